"""The picture track every OTIO-based export starts with (sync timelines and marker files alike)."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

from foleykit.framesync.video import Programme


def video_track(programme: Programme, rate: float | None = None) -> otio.schema.Track:
    """The picture (or a gap as long as it, with no video) at the programme's frame rate."""
    rate = rate or float(programme.rate)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    length = RationalTime(programme.frame_count, rate)
    if programme.video is None:
        track.append(otio.schema.Gap(source_range=TimeRange(RationalTime(0, rate), length)))
        return track
    video = Path(programme.video).resolve()
    media_range = TimeRange(RationalTime(programme.start_frame, rate), length)
    reference = otio.schema.ExternalReference(target_url=video.as_uri(), available_range=media_range)
    track.append(otio.schema.Clip(name=video.name, media_reference=reference, source_range=media_range))
    return track


__all__ = ["video_track"]
