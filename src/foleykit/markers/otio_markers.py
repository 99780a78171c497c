"""Markers in OTIO files (`.otio`, `.otioz`), FCP 7 XML (`.xml`, Premiere's and FCP 7's export) and AAF
(`.aaf`, read only: Media Composer's markers, which the AAF adapter attaches to the clip or track they
describe), through OpenTimelineIO's own adapters.

Markers may sit on the timeline's stack (FCP sequence markers), on a track, or on a clip (in the clip's
media time, OTIO's convention: FCP clip markers count from the media start). Each is moved to the
stack's time with `transformed_time`, then to absolute time by the timeline's `global_start_time`
(its start timecode), then onto the programme's frames (`common.frame_of_time`).
Written as a timeline of the programme's length (its picture, or a gap) with the markers on its stack.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

from foleykit.errors import BadInputError
from foleykit.exports.otio_picture import video_track
from foleykit.framesync.marker import Marker
from foleykit.framesync.video import Programme
from foleykit.markers.common import frame_of_time

ADAPTERS = {".otio": "otio_json", ".otioz": "otioz", ".xml": "fcp_xml", ".aaf": "AAF"}


def _read(path: Path) -> otio.schema.Timeline:
    adapter = ADAPTERS[Path(path).suffix.lower()]
    try:
        # the AAF reader prints what it cannot resolve: to stderr, where it cannot break --json output
        with contextlib.redirect_stdout(sys.stderr):
            result = otio.adapters.read_from_file(str(path), adapter_name=adapter)
    except Exception as err:  # the adapters raise many kinds; any of them means "not a timeline we can read"
        kind = {"fcp_xml": "FCP 7 XML", "AAF": "AAF"}.get(adapter, "OpenTimelineIO")
        raise BadInputError(f"{path} is not a readable {kind} file ({type(err).__name__}: {err})") from None
    if isinstance(result, otio.schema.SerializableCollection):  # an XML with several sequences: the first
        timelines = [t for t in result.find_children(descended_from_type=otio.schema.Timeline)] or list(
            result
        )
        result = next((t for t in timelines if isinstance(t, otio.schema.Timeline)), None)
    if not isinstance(result, otio.schema.Timeline):
        raise BadInputError(f"{path} holds no timeline")
    return result


def _comment(marker: otio.schema.Marker) -> str:
    comment = getattr(marker, "comment", "") or ""
    fcp = marker.metadata.get("fcp_xml")
    if not comment and fcp is not None and "comment" in fcp:
        comment = str(fcp["comment"] or "")
    return comment


def _placed(
    timeline: otio.schema.Timeline, from_media_start: bool
) -> Iterator[tuple[Any, otio.schema.Marker, RationalTime]]:
    """(owner, marker, time in the stack) for every marker of the timeline. `from_media_start` (FCP 7
    XML): a clip marker counts from its media's first frame, while the fcp_xml reader puts the clip's
    source range at the media's own timecode, so the media start is added back."""
    stack = timeline.tracks
    for marker in stack.markers:
        yield stack, marker, marker.marked_range.start_time
    for item in stack.find_children():
        for marker in getattr(item, "markers", ()):
            at = marker.marked_range.start_time
            reference = item.media_reference if isinstance(item, otio.schema.Clip) else None
            available = getattr(reference, "available_range", None)
            if from_media_start and available is not None:
                at = available.start_time + at.rescaled_to(available.start_time.rate)
            yield item, marker, item.transformed_time(at, stack)


def read_from_file(path: Path, programme: Programme) -> list[tuple[str, Marker]]:
    timeline = _read(path)
    start = timeline.global_start_time
    try:
        placed = list(_placed(timeline, ADAPTERS[Path(path).suffix.lower()] == "fcp_xml"))
    except (otio.exceptions.OTIOError, ValueError, ArithmeticError) as err:
        raise BadInputError(f"{path}: a marker cannot be placed ({type(err).__name__}: {err})") from None
    found = []
    for number, (owner, marker, at) in enumerate(placed, start=1):
        label = f"marker {number} ({marker.name!r}" + (f" on {owner.name!r})" if owner.name else ")")
        try:
            absolute = at + start.rescaled_to(at.rate) if start is not None else at
            where = f"at {absolute.value:g}/{absolute.rate:g}"
            frame = frame_of_time(absolute.value, absolute.rate, programme, where)
        except (ValueError, ArithmeticError) as err:  # BadInputError, and NaN or infinite times
            raise BadInputError(f"{label}: {err}") from None
        found.append(
            (label, Marker(frame, marker.name or "", comment=_comment(marker), color=str(marker.color)))
        )
    found.sort(key=lambda pair: pair[1].frame)
    return found


def to_timeline(markers: Sequence[Marker], programme: Programme, title: str) -> otio.schema.Timeline:
    rate = float(programme.rate)
    timeline = otio.schema.Timeline(name=title, global_start_time=RationalTime(programme.start_frame, rate))
    display = "DF" if programme.drop_frame else "NDF"
    timeline.metadata["fcp_xml"] = {"timecode": {"displayformat": display}}
    timeline.tracks.append(video_track(programme))
    for marker in sorted(markers, key=lambda m: m.frame):
        timeline.tracks.markers.append(
            otio.schema.Marker(
                name=marker.name,
                marked_range=TimeRange(RationalTime(marker.frame, rate), RationalTime(0, rate)),
                color=marker.color.upper()
                if hasattr(otio.schema.MarkerColor, marker.color.upper())
                else "BLUE",
                comment=marker.comment,
                metadata={"fcp_xml": {"comment": marker.comment}} if marker.comment else {},
            )
        )
    return timeline


def to_string(
    markers: Sequence[Marker], programme: Programme, suffix: str, title: str = "foleykit markers"
) -> str:
    adapter = ADAPTERS[suffix.lower()]
    if adapter == "otioz":
        raise ValueError("an .otioz bundle is written as a file, not a string")
    return otio.adapters.write_to_string(to_timeline(markers, programme, title), adapter_name=adapter)


__all__ = ["ADAPTERS", "read_from_file", "to_string", "to_timeline"]
