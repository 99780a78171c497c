"""Marker lists as text: Premiere Pro's marker export (File > Export > Markers, CSV) and plain
`TIMECODE<whitespace>text` lines.

Premiere writes its marker CSV as UTF-16 with a BOM, tab-separated despite the name, with the columns
`Marker Name`, `Description`, `In`, `Out`, `Duration`, `Marker Type`; drop-frame timecode is written with
semicolons throughout (`00;00;05;12`). Its `In` is sequence timecode. Read with the csv module.
"""

from __future__ import annotations

import csv
import io
import re

from foleykit.errors import BadInputError
from foleykit.framesync.marker import Marker
from foleykit.framesync.video import Programme
from foleykit.markers.common import frame_of_timecode

PREMIERE_COLUMNS = ("marker name", "description", "in")
_LINE = re.compile(r"^(\S+)(?:\s+(.*))?$")  # the timecode, then the sound (may be missing)


def is_premiere(text: str) -> bool:
    """Premiere's marker export, by its header (a cue sheet CSV has other columns)."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].lower()
    return "marker name" in first and "in" in re.split(r"[\t,]", first)


def read_premiere(text: str, programme: Programme) -> list[tuple[str, Marker]]:
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first else ","
    try:
        table = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as err:
        raise BadInputError(f"not a readable marker list: {err}") from None
    rows = iter(table)
    header = [h.strip().lower() for h in next(rows)]
    missing = [c for c in PREMIERE_COLUMNS if c not in header]
    if missing:
        raise BadInputError(f"line 1: a Premiere marker list needs the column {missing[0]!r}")
    name_at, note_at, in_at = (header.index(c) for c in PREMIERE_COLUMNS)
    found = []
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"line {number}"
        cells = row + [""] * (len(header) - len(row))
        try:
            frame = frame_of_timecode(cells[in_at], programme)
        except BadInputError as err:
            raise BadInputError(f"{where}: {err}") from None
        found.append((where, Marker(frame, cells[name_at].strip(), comment=cells[note_at].strip())))
    return found


def read_plain(text: str, programme: Programme) -> list[tuple[str, Marker]]:
    """`01:00:05:12  door slam` per line; blank lines and `#` comments skipped, anything else refused."""
    found = []
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        where = f"line {number}"
        match = _LINE.match(stripped)
        assert match is not None  # any non-blank stripped line has a first word
        try:
            frame = frame_of_timecode(match.group(1), programme)
        except BadInputError as err:
            raise BadInputError(f"{where}: {err} (lines are TIMECODE then the sound)") from None
        found.append((where, Marker(frame, (match.group(2) or "").strip())))
    return found


def plain_to_string(markers: list[Marker], programme: Programme) -> str:
    return "".join(
        f"{programme.timecode_of(m.frame)}\t{m.name}\n" for m in sorted(markers, key=lambda m: m.frame)
    )


__all__ = ["is_premiere", "plain_to_string", "read_plain", "read_premiere"]
