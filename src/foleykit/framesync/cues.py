"""Cue sheets (DESIGN §4): CSV or TOML, validated whole before anything is generated.

Each row names a mark (frame, SMPTE timecode or seconds; several only if they agree) and a sound (a prompt
to generate or an audio file). Errors name the row as the user sees it: the CSV line (the header is line 1)
or the TOML `[[cue]]` number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from foleykit.errors import BadInputError
from foleykit.framesync.timecode import SAMPLE_RATE, frame_to_sample, sample_to_frame, seconds_to_sample
from foleykit.framesync.video import Programme
from foleykit.request import MAX_SEED, MAX_TAKES, slugify
from foleykit.tables import Rows, beside, csv_rows, read_text, table_array, toml_document

MARK_KEYS = ("frame", "timecode", "seconds")
SOUND_KEYS = ("prompt", "audio")
OPTIONAL_KEYS = ("name", "duration", "seed", "takes", "negative", "gain_db", "sync", "model")
INFORMATIONAL_KEYS = ("kind", "strength", "note")  # spot's output; `sync` ignores them
KNOWN_KEYS = MARK_KEYS + SOUND_KEYS + OPTIONAL_KEYS + INFORMATIONAL_KEYS
SYNC_MODES = ("onset", "start")
DEFAULT_CUE_DURATION = 2.0


@dataclass(frozen=True)
class Cue:
    """One validated cue, its mark resolved against the programme."""

    number: int  # 1-based, in sheet order
    where: str  # "line 4" / "cue 3": how errors and reports name it
    mark_frame: int  # frame index from the programme's first frame
    mark_sample: int  # 48 kHz sample the transient lands on
    name: str
    prompt: str | None = None
    audio: Path | None = None
    duration: float = DEFAULT_CUE_DURATION
    seed: int | None = None
    takes: int = 1
    negative: str | None = None
    gain_db: float = 0.0
    sync: str = "onset"
    model: str | None = None

    @property
    def file_stem(self) -> str:
        return f"{self.number:03d}_{slugify(self.name)}"


@dataclass(frozen=True)
class CueSheet:
    path: Path
    cues: tuple[Cue, ...]


def _read_rows(path: Path) -> Rows:
    text = read_text(path, "cue sheet")
    if path.suffix.lower() == ".toml":
        document = toml_document(path, text, "cue sheet", {"cue"}, "cues are [[cue]] tables")
        return table_array(path, document, "cue", "cue sheet", "cue ")
    if path.suffix.lower() != ".csv":
        from foleykit.markers import READ_SUFFIXES

        raise BadInputError(
            f"cue sheet {path} must be .csv or .toml, or editor markers ({', '.join(READ_SUFFIXES)})"
        )
    return csv_rows(path, text, "cue sheet", KNOWN_KEYS, comments=True)


class _RowError(BadInputError):
    pass


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool):
        raise _RowError(f"{key} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _RowError(f"{key} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise _RowError(f"{key} must be a finite number, got {value!r}")
    return number


def _whole(value: Any, key: str, low: int, high: int | None = None) -> int:
    number = _number(value, key)
    if number != int(number) or number < low or (high is not None and number > high):
        bound = f"from {low} to {high}" if high is not None else f"≥ {low}"
        raise _RowError(f"{key} must be a whole number {bound}, got {value!r}")
    return int(number)


def _text(value: Any, key: str) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise _RowError(f"{key} must be text, got {value!r}")
    return str(value).strip()


def _resolve_mark(row: dict[str, Any], programme: Programme) -> tuple[int, int]:
    """(frame, sample) of a row's mark; every mark given must name the same frame."""
    named: list[tuple[str, int, int]] = []
    if "frame" in row:
        frame = _whole(row["frame"], "frame", 0)
        named.append((f"frame {frame}", frame, frame_to_sample(frame, programme.rate)))
    if "timecode" in row:
        text = _text(row["timecode"], "timecode")
        absolute = programme.timecode.to_frame(text)
        if absolute < programme.start_frame:
            raise _RowError(
                f"timecode {text} is before the programme's start timecode {programme.start_timecode}"
            )
        frame = absolute - programme.start_frame
        named.append((f"timecode {text}", frame, frame_to_sample(frame, programme.rate)))
    if "seconds" in row:
        seconds = _number(row["seconds"], "seconds")
        if seconds < 0:
            raise _RowError(f"seconds must be ≥ 0, got {row['seconds']!r}")
        sample = seconds_to_sample(Fraction(str(row["seconds"])))
        named.append((f"seconds {row['seconds']}", sample_to_frame(sample, programme.rate), sample))
    if not named:
        raise _RowError("no mark: give frame, timecode or seconds")
    first = named[0]
    for other in named[1:]:
        if other[1] != first[1]:
            raise _RowError(f"{first[0]} and {other[0]} name different frames ({first[1]} and {other[1]})")
    frame, sample = first[1], first[2]
    if sample >= programme.samples:
        end = programme.timecode_of(programme.frame_count)
        raise _RowError(
            f"{first[0]} is at or after the programme end ({programme.frame_count} frames, {end})"
        )
    return frame, sample


def _cue(
    number: int, where: str, row: dict[str, Any], programme: Programme, base: Path, confine: bool = False
) -> Cue:
    frame, sample = _resolve_mark(row, programme)
    sounds = [k for k in SOUND_KEYS if k in row and str(row[k]).strip()]
    if len(sounds) != 1:
        raise _RowError(
            "give a prompt (a sound to generate) or an audio file, not both"
            if sounds
            else "no sound: fill in a prompt (what to generate) or an audio file"
        )
    fields: dict[str, Any] = {}
    if "prompt" in sounds:
        fields["prompt"] = _text(row["prompt"], "prompt")
    else:
        name = _text(row["audio"], "audio")
        audio = beside(base, name, "audio file") if confine else (base / name).resolve()
        if not audio.is_file():
            raise _RowError(f"audio file {row['audio']} not found (looked in {audio.parent})")
        fields["audio"] = audio
    if "duration" in row:
        fields["duration"] = _number(row["duration"], "duration")
        if fields["duration"] <= 0:
            raise _RowError(f"duration must be positive, got {row['duration']!r}")
    if "seed" in row:
        fields["seed"] = _whole(row["seed"], "seed", 0, MAX_SEED - MAX_TAKES)
    if "takes" in row:
        fields["takes"] = _whole(row["takes"], "takes", 1, MAX_TAKES)
    if "negative" in row:
        fields["negative"] = _text(row["negative"], "negative") or None
    if "gain_db" in row:
        fields["gain_db"] = _number(row["gain_db"], "gain_db")
        if not -96 <= fields["gain_db"] <= 24:
            raise _RowError(f"gain_db must be from -96 to +24 dB, got {row['gain_db']!r}")
    if "sync" in row:
        fields["sync"] = _text(row["sync"], "sync").lower()
        if fields["sync"] not in SYNC_MODES:
            raise _RowError(f"sync must be onset or start, got {row['sync']!r}")
    if "model" in row:
        fields["model"] = _text(row["model"], "model") or None
    name = _text(row["name"], "name") if "name" in row else ""
    if not name:
        name = fields.get("prompt") or fields["audio"].stem
    return Cue(number=number, where=where, mark_frame=frame, mark_sample=sample, name=name, **fields)


def _marker_rows(path: Path, programme: Programme) -> Rows:
    """An editor's markers as cue rows: each marker's text (its name, else its comment) is the prompt, or
    `audio: FILE` a sound file; the marker's frame is the mark."""
    from foleykit.markers import read_markers, sound_text

    rows: Rows = []
    for where, marker in read_markers(path, programme):
        text = sound_text(marker.name, marker.comment)
        shown = programme.timecode_of(marker.frame)
        if not text:
            raise BadInputError(
                f"{path}, {where}: the marker at {shown} has no text: name it with the sound to make "
                "(or `audio: FILE`)"
            )
        row: dict[str, Any] = {"frame": marker.frame, "name": text}
        if text.lower().startswith("audio:"):
            row["audio"] = text[len("audio:") :].strip()
            row["name"] = Path(row["audio"]).stem or text
        else:
            row["prompt"] = text
        rows.append((f"{where} ({shown})", row))
    return rows


def load_cue_sheet(path: str | Path, programme: Programme, *, confine: bool = False) -> CueSheet:
    """Parse and validate every row (or editor marker) against the programme; the first bad one raises a
    one-line error naming it. `confine` (the UI): an audio file outside the sheet's folder is refused
    before anything looks for it."""
    from foleykit.markers import is_marker_file

    path = Path(path)
    rows = _marker_rows(path, programme) if is_marker_file(path) else _read_rows(path)
    if not rows:
        raise BadInputError(f"cue sheet {path} has no cues")
    cues = []
    for number, (where, row) in enumerate(rows, start=1):
        unknown = sorted(set(row) - set(KNOWN_KEYS))
        try:
            if unknown:
                raise _RowError(f"unknown key {unknown[0]!r} (keys: {', '.join(KNOWN_KEYS)})")
            cues.append(_cue(number, where, row, programme, path.parent, confine))
        except BadInputError as err:  # timecode errors come from the timecode module, unprefixed
            raise BadInputError(f"{path}, {where}: {err}") from None
    return CueSheet(path=path, cues=tuple(cues))


__all__ = ["SAMPLE_RATE", "Cue", "CueSheet", "load_cue_sheet"]
