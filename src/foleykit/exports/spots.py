"""Spotted events out (`foleykit spot --out FILE`): a cue sheet CSV (DESIGN §4) or editor markers.

The CSV names each mark three ways (frame, timecode, seconds: the same frame) and leaves the prompt for
the user. Markers (`.edl`, `.otio`, `.xml`, `.txt`) go on the editor's timeline to be reviewed and named
there before anything is generated; each is named by the prompt, or by the event's kind.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

from foleykit.audio.io import write_atomic
from foleykit.errors import BadInputError
from foleykit.framesync.marker import Marker
from foleykit.markers import WRITE_SUFFIXES

if TYPE_CHECKING:  # the detectors (and scipy) load only where spots are found, not to write them
    from foleykit.framesync.spot import SpotResult

SHEET_COLUMNS = ("frame", "timecode", "seconds", "kind", "strength", "prompt")
SUFFIXES = (".csv", *WRITE_SUFFIXES)  # the cue sheet, or any marker format


def check_suffix(path: Path) -> None:
    """Refuse an output name no writer takes, before minutes of analysis."""
    if Path(path).suffix.lower() not in SUFFIXES:
        raise BadInputError(f"--out {path}: spots are written as {', '.join(SUFFIXES)} (chosen by extension)")


def sheet_text(result: SpotResult, prompt: str = "") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SHEET_COLUMNS)
    for event in result.events:
        timecode = result.programme.timecode_of(event.frame)
        seconds = result.seconds_of(event.frame)
        writer.writerow([event.frame, timecode, seconds, event.kind, f"{event.strength:.3f}", prompt])
    return buffer.getvalue()


def markers(result: SpotResult, prompt: str = "") -> list[Marker]:
    return [
        Marker(
            frame=event.frame,
            name=prompt or event.kind,
            comment=f"foleykit spot: {event.kind}, strength {event.strength:.2f}",
            color="GREEN" if event.kind == "impact" else "YELLOW",
        )
        for event in result.events
    ]


def to_string(result: SpotResult, suffix: str, prompt: str = "") -> str:
    if suffix.lower() == ".csv":
        return sheet_text(result, prompt)
    from foleykit.markers import markers_to_string

    title = (
        f"foleykit spots of {Path(result.programme.video).name}"
        if result.programme.video
        else "foleykit spots"
    )
    return markers_to_string(markers(result, prompt), result.programme, suffix, title=title)


def write_spot_sheet(result: SpotResult, path: Path, *, force: bool = False, prompt: str = "") -> Path:
    """The spots as the extension says, atomically; an existing file is kept unless `force`."""
    check_suffix(path)
    text = to_string(result, Path(path).suffix, prompt)
    return write_atomic(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"), force=force)


__all__ = [
    "SHEET_COLUMNS",
    "SUFFIXES",
    "check_suffix",
    "markers",
    "sheet_text",
    "to_string",
    "write_spot_sheet",
]
