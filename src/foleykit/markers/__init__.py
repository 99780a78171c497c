"""Editor markers in and out (DESIGN §6): one adapter per format, chosen by extension (or content).

In (`read_markers`): a CMX 3600 EDL of markers (Resolve) or locators (Avid), FCP 7 XML markers (Premiere,
FCP 7), OTIO markers (`.otio`, `.otioz`), Avid's AAF sequence markers (`.aaf`, through OTIO's AAF adapter),
Premiere's marker CSV, and plain `TIMECODE text` lists (`.txt`).
Out (`markers_to_string`; the caller commits the text atomically): `.edl` (Resolve's layout with Avid locators), `.otio`, `.xml`
(FCP 7 sequence markers), `.txt`.
Each reader gives (where, Marker) pairs, `where` naming the line or marker as the user sees it, and
frames on the programme (from its first frame), converted exactly from the file's own timecode.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from foleykit.errors import BadInputError
from foleykit.framesync.marker import Marker
from foleykit.framesync.video import Programme
from foleykit.markers.common import decode, decode_head, sound_text

READ_SUFFIXES = (".edl", ".xml", ".otio", ".otioz", ".aaf", ".txt")  # and .csv from Premiere, by its header
WRITE_SUFFIXES = (".edl", ".otio", ".xml", ".txt")


def is_marker_file(path: Path) -> bool:
    """A marker file rather than a cue sheet: by extension, or a .csv in Premiere's marker layout."""
    suffix = Path(path).suffix.lower()
    if suffix in READ_SUFFIXES:
        return True
    if suffix == ".csv" and Path(path).is_file():
        from foleykit.markers.lists import is_premiere

        try:
            with Path(path).open("rb") as fh:
                head = fh.read(4096)
        except OSError:
            return False  # the cue sheet reader says why it cannot be read
        return is_premiere(decode_head(head))
    return False


def read_markers(path: str | Path, programme: Programme) -> list[tuple[str, Marker]]:
    """Every marker of `path` on `programme`, in time order; a file with none is refused."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".otio", ".otioz", ".xml", ".aaf"):
            if not path.is_file():
                raise BadInputError(f"marker file {path} does not exist")
            from foleykit.markers import otio_markers  # OpenTimelineIO loads only for these

            found = otio_markers.read_from_file(path, programme)
        else:
            from foleykit.markers import edl, lists

            text = decode(path)
            if suffix == ".edl":
                found = edl.read_from_string(text, programme)
            elif suffix == ".csv":
                found = lists.read_premiere(text, programme)
            elif suffix == ".txt":
                found = lists.read_plain(text, programme)
            else:
                raise BadInputError(f"a marker file is {', '.join(READ_SUFFIXES)} or Premiere's .csv")
    except BadInputError as err:
        message = str(err)
        raise BadInputError(message if str(path) in message else f"{path}, {message}") from None
    if not found:
        raise BadInputError(f"{path} has no markers")
    return sorted(found, key=lambda pair: pair[1].frame)


def markers_to_string(
    markers: Sequence[Marker], programme: Programme, suffix: str, *, title: str = "foleykit markers"
) -> str:
    from foleykit.markers import edl, lists, otio_markers

    suffix = suffix.lower()
    if suffix == ".edl":
        return edl.to_string(markers, programme, title)
    if suffix == ".txt":
        return lists.plain_to_string(list(markers), programme)
    if suffix in (".otio", ".xml"):
        return otio_markers.to_string(markers, programme, suffix, title)
    raise BadInputError(f"markers are written as {', '.join(WRITE_SUFFIXES)}, not {suffix or 'no extension'}")


__all__ = [
    "READ_SUFFIXES",
    "WRITE_SUFFIXES",
    "Marker",
    "decode",
    "is_marker_file",
    "markers_to_string",
    "read_markers",
    "sound_text",
]
