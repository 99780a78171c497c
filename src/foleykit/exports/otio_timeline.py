"""A `PlacedProgramme` as an OpenTimelineIO timeline: the translation the OTIO-based adapters share.

`to_otio(model)` keeps 48 kHz sample times (timeline.otio); `to_otio(model, frames=True)` counts in frames
for the frame-based formats (EDL, FCP XML, AAF). Every clip starts and ends on a frame (placement pads
the cue files so), so samples → frames is exact and checked, never rounded. Each format's own quirks
(metadata its adapter reads, marker conventions) live in that format's module, not here.

Media time follows OTIO's convention: a clip's media starts at its own timecode. A cue file's media
starts at its BWF TimeReference (samples since midnight; in frames, start timecode + first frame), so EDL
source timecodes, FCP `<file><timecode>` and AAF tape timecodes all name the timecode in its `bext`.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

from foleykit.exports.otio_picture import video_track
from foleykit.framesync.placed import PlacedProgramme
from foleykit.framesync.placement import PlacedCue
from foleykit.framesync.timecode import SAMPLE_RATE, frame_to_sample, rate_label, sample_to_frame
from foleykit.framesync.video import Programme

NAMESPACE = "foleykit"
BIT_DEPTH = 24  # cue files are 24-bit BWF (DESIGN §2)


def plain(value: Any) -> Any:
    """Metadata OTIO can serialise: Paths and numpy scalars become str/int/float; unknown types their str."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    item = getattr(value, "item", None)  # numpy scalar
    if callable(item):
        return plain(item())
    return str(value)


def lane_name(lane: int) -> str:
    return f"A{lane + 1}"


class Clock:
    """Programme samples as OTIO times: 48 kHz samples, or frames at `rate` (exact frame boundaries only).

    `rate` is the float OTIO stores; the EDL adapter passes the nominal rate for non-drop NTSC timecode.
    """

    def __init__(self, programme: Programme, *, frames: bool, rate: float | None = None) -> None:
        self.programme = programme
        self.frames = frames
        self.rate = (rate or float(programme.rate)) if frames else float(SAMPLE_RATE)

    def frame_of(self, sample: int, what: str) -> int:
        frame = sample_to_frame(sample, self.programme.rate)
        if frame_to_sample(frame, self.programme.rate) != sample:
            raise ValueError(
                f"{what} at sample {sample} is not on a frame boundary at "
                f"{rate_label(self.programme.rate)} fps"
            )
        return frame

    def at(self, sample: int, what: str = "a clip edge") -> RationalTime:
        """A programme position (sample from the first frame)."""
        value = self.frame_of(sample, what) if self.frames else sample
        return RationalTime(value, self.rate)

    def span(self, start: int, end: int, what: str) -> RationalTime:
        return self.at(end, f"end of {what}") - self.at(start, what)

    def media_start(self, p: PlacedCue) -> RationalTime:
        """Where a cue file's media starts: its own timecode (bext TimeReference)."""
        if self.frames:
            return RationalTime(self.programme.start_frame + p.file_start_frame, self.rate)
        return RationalTime(self.programme.time_reference(p.file_start_frame), self.rate)

    def mark_in_media(self, p: PlacedCue) -> RationalTime:
        """The cue's mark in its file's media time (where a clip marker goes, by OTIO's convention)."""
        if self.frames:
            return self.media_start(p) + RationalTime(p.cue.mark_frame - p.file_start_frame, self.rate)
        offset = p.transient_sample - p.file_start_sample
        return self.media_start(p) + RationalTime(offset, self.rate)


def _cue_clip(model: PlacedProgramme, p: PlacedCue, path: Path, clock: Clock) -> otio.schema.Clip:
    programme, cue = model.programme, p.cue
    start = clock.media_start(p)
    length = clock.span(p.file_start_sample, p.file_end_sample, f"{path.name!r} on {lane_name(p.lane)}")
    media_range = TimeRange(start, length)
    reference = otio.schema.ExternalReference(target_url=path.resolve().as_uri(), available_range=media_range)
    reference.metadata[NAMESPACE] = {
        "time_reference": programme.time_reference(p.file_start_frame),
        "timecode": programme.timecode_of(p.file_start_frame),
        "sample_rate": SAMPLE_RATE,
        "bit_depth": BIT_DEPTH,
        "channels": int(p.audio.shape[0]),
        "file_samples": p.file_samples,
    }
    source = {
        key: value
        for key, value in (
            ("prompt", cue.prompt),
            ("seed", cue.seed),
            ("model", cue.model),
            ("audio", cue.audio),
        )
        if value is not None
    }
    source.update(p.source)
    clip = otio.schema.Clip(name=path.name, media_reference=reference, source_range=media_range)
    clip.metadata[NAMESPACE] = plain(
        {
            "cue": cue.number,
            "name": cue.name,
            "lane": p.lane,
            "sync": cue.sync,
            "gain_db": cue.gain_db,
            "mark_frame": cue.mark_frame,
            "mark_timecode": programme.timecode_of(cue.mark_frame),
            "mark_sample": cue.mark_sample,
            "transient_sample": p.transient_sample,
            "transient_offset_samples": p.transient_sample - p.file_start_sample,
            "file_start_frame": p.file_start_frame,
            "file_start_timecode": programme.timecode_of(p.file_start_frame),
            "file_start_sample": p.file_start_sample,
            "file_samples": p.file_samples,
            "source": source,
        }
    )
    clip.markers.append(
        otio.schema.Marker(
            name=cue.name,
            marked_range=TimeRange(clock.mark_in_media(p), RationalTime(0, clock.rate)),
            metadata={
                NAMESPACE: {
                    "cue": cue.number,
                    "mark_frame": cue.mark_frame,
                    "mark_timecode": programme.timecode_of(cue.mark_frame),
                    "mark_sample": cue.mark_sample,
                }
            },
        )
    )
    return clip


def _gap(clock: Clock, start: int, end: int) -> otio.schema.Gap:
    return otio.schema.Gap(
        source_range=TimeRange(RationalTime(0, clock.rate), clock.span(start, end, "a gap"))
    )


def audio_track(model: PlacedProgramme, lane: int, clock: Clock) -> otio.schema.Track:
    """One lane, running the whole programme: gaps between its cue clips."""
    track = otio.schema.Track(name=lane_name(lane), kind=otio.schema.TrackKind.Audio)
    cursor = 0
    for p, path in model.lane(lane):
        if p.file_start_sample > cursor:
            track.append(_gap(clock, cursor, p.file_start_sample))
        track.append(_cue_clip(model, p, path, clock))
        cursor = p.file_end_sample
    if cursor < model.programme.samples:
        track.append(_gap(clock, cursor, model.programme.samples))
    return track


def to_otio(model: PlacedProgramme, *, frames: bool = False) -> otio.schema.Timeline:
    """The model as an OTIO timeline: the picture on V1, one audio track per lane.

    `global_start_time` is the start timecode as a frame count at the programme rate (the fcp_xml and AAF
    adapters take the sequence rate and start timecode from it; OTIO guesses drop-frame from 29.97/59.94,
    so metadata["foleykit"]["programme"] says which it is).
    """
    programme = model.programme
    clock = Clock(programme, frames=frames)
    rate = float(programme.rate)
    timeline = otio.schema.Timeline(
        name=model.title, global_start_time=RationalTime(programme.start_frame, rate)
    )
    timeline.metadata[NAMESPACE] = {
        "programme": plain({**programme.to_dict(), "start_frame": programme.start_frame}),
        "sample_rate": SAMPLE_RATE,
    }
    timeline.tracks.append(video_track(programme))
    for lane in range(model.lanes):
        timeline.tracks.append(audio_track(model, lane, clock))
    return timeline


def to_string(model: PlacedProgramme) -> str:
    """timeline.otio: the 48 kHz timeline as OTIO JSON."""
    return otio.adapters.write_to_string(to_otio(model), adapter_name="otio_json")


__all__ = [
    "BIT_DEPTH",
    "NAMESPACE",
    "Clock",
    "audio_track",
    "lane_name",
    "plain",
    "to_otio",
    "to_string",
    "video_track",
]
