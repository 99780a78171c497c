"""Markers in CMX 3600 EDLs: DaVinci Resolve's "Timeline Markers to EDL" and Avid-style `* LOC:` locators.

Resolve writes one event per marker, its record in on the marker, and a comment line under it:
`NOTE |C:ResolveColorBlue |M:NAME |D:FRAMES`. Avid writes locators under any event as
`* LOC: HH:MM:SS:FF COLOR   TEXT`, the timecode on the record (programme) side. Read by hand: OTIO's
cmx_3600 reader ignores Resolve's marker lines and reads LOC times as source times (OpenTimelineIO issue
#169). Written in Resolve's layout with a LOC line under each event, so Resolve, Avid and OTIO's reader
all find the markers (OTIO's LOC pattern takes non-drop timecode only).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from foleykit.errors import BadInputError
from foleykit.framesync.marker import Marker
from foleykit.framesync.video import Programme
from foleykit.markers.common import frame_of_timecode

_TC = r"\d{1,2}[:;.,]\d{2}[:;.,]\d{2}[:;.,]\d{2}"
_EVENT = re.compile(
    rf"^\s*(\d+)\s+(\S+)\s+(\S+)\s+(C|D|W\d*|K\s*[BO]?)\s+(?:\d+\s+)?({_TC})\s+({_TC})\s+({_TC})\s+({_TC})"
)
_LOC = re.compile(rf"^\*\s*LOC:\s*({_TC})\s+(\w*)\s*(.*)$")
_RESOLVE = re.compile(r"\|M:(.*?)(?:\s*\|D:\s*(\d+))?\s*$")
_RESOLVE_COLOR = re.compile(r"\|C:\s*(?:ResolveColor)?(\w+)")

# OTIO's MarkerColor names ↔ Resolve's marker colours (Resolve has no orange; Avid uses the OTIO names).
RESOLVE_COLORS = {
    "RED": "Red",
    "PINK": "Pink",
    "ORANGE": "Yellow",
    "YELLOW": "Yellow",
    "GREEN": "Green",
    "CYAN": "Cyan",
    "BLUE": "Blue",
    "PURPLE": "Purple",
    "MAGENTA": "Fuchsia",
    "BLACK": "Sand",
    "WHITE": "Cream",
}


def read_from_string(text: str, programme: Programme) -> list[tuple[str, Marker]]:
    """(where, marker) for every Resolve marker event and every LOC line, in file order."""
    drop: bool | None = None
    found: list[tuple[str, Marker]] = []
    record_in: str | None = None
    in_event: list[Marker] = []
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"line {number}"
        stripped = line.strip()
        try:
            if stripped.upper().startswith("FCM:") and record_in is None:  # the header's, not a note's
                drop = "NON" not in stripped.upper()
                continue
            event = _EVENT.match(line)
            if event:
                record_in = event.group(7)
                in_event = []  # markers under this event, for telling a LOC twin of a Resolve marker
                continue
            loc = _LOC.match(stripped)
            if loc:
                marker = Marker(
                    frame_of_timecode(loc.group(1), programme, drop=drop),
                    loc.group(3).strip(),
                    color=(loc.group(2) or "RED").upper(),
                )
                twins = [
                    m for m in in_event if m.frame == marker.frame and marker.name in (m.name, m.comment)
                ]
                if not twins:  # the same marker in Resolve's and Avid's words under one event: once
                    found.append((where, marker))
                    in_event.append(marker)
                continue
            resolve = _RESOLVE.search(stripped)
            if resolve and record_in is not None and not stripped.startswith("*"):
                head = stripped[: resolve.start()]
                color = _RESOLVE_COLOR.search(head)
                note = _RESOLVE_COLOR.split(head)[0].rstrip(" |")
                marker = Marker(
                    frame_of_timecode(record_in, programme, drop=drop),
                    resolve.group(1).strip(),
                    comment=note.strip(),
                    color=color.group(1).upper() if color else "BLUE",
                )
                found.append((where, marker))
                in_event.append(marker)
        except BadInputError as err:
            raise BadInputError(f"{where}: {err}") from None
    return found


def _clean(text: str) -> str:
    return " ".join(text.replace("|", "/").split())


def to_string(markers: Sequence[Marker], programme: Programme, title: str = "foleykit markers") -> str:
    """Resolve's marker EDL, with an Avid LOC line under each event; one-frame markers."""
    lines = [
        f"TITLE: {_clean(title)}",
        "FCM: DROP FRAME" if programme.drop_frame else "FCM: NON-DROP FRAME",
        "",
    ]
    for number, marker in enumerate(sorted(markers, key=lambda m: m.frame), start=1):
        at = programme.timecode_of(marker.frame)
        out = programme.timecode_of(marker.frame + 1)
        color = RESOLVE_COLORS.get(marker.color.upper(), "Blue")
        lines.append(f"{number:03d}  001      V     C        {at} {out} {at} {out}  ")
        lines.append(f"{_clean(marker.comment)} |C:ResolveColor{color} |M:{_clean(marker.name)} |D:1")
        lines.append(f"* LOC: {at} {marker.color.upper():7} {_clean(marker.name)}")
        lines.append("")
    return "\n".join(lines)


__all__ = ["read_from_string", "to_string"]
