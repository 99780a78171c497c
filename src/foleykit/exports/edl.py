"""CMX 3600 EDLs of a `PlacedProgramme`, one per lane, through OTIO's cmx_3600 adapter.

Adapter limits worked around here (otio-cmx3600-adapter 1.0; every file is read back in tests):
- it writes only the first track, wants exactly one video track beside it, and ignores
  `global_start_time`: one EDL per lane (`timeline.edl` for A1, `timeline_A2.edl`, …), each from a
  timeline [lane, empty video track] whose lane starts with a gap as long as the start timecode.
- it formats every time with `to_timecode(t, rate)`, which infers drop-frame from the rate: a 29.97/59.94
  non-drop programme would get drop-frame timecode. Non-drop EDLs are therefore written at the nominal
  integer rate (30 frames per timecode second, the same frame counts), drop-frame ones at the exact NTSC
  rate. It writes no FCM line; one is inserted after TITLE (its reader skips FCM lines).
- it writes every audio event on channel `A` (= A1): each lane's events are moved to their own channel.
"""

from __future__ import annotations

import re

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

from foleykit.exports.otio_timeline import Clock, audio_track, lane_name
from foleykit.framesync.placed import PlacedProgramme
from foleykit.framesync.video import Programme

FIRST_NAME = "timeline.edl"


def names(lanes: int) -> list[str]:
    """File names of the lanes' EDLs, A1 first."""
    return [FIRST_NAME] + [f"timeline_{lane_name(lane)}.edl" for lane in range(1, lanes)]


def edl_rate(programme: Programme) -> float:
    """The rate the cmx_3600 adapter is given: it infers drop-frame from it."""
    return float(programme.rate) if programme.drop_frame else float(programme.timecode.fps)


def fcm_line(drop_frame: bool) -> str:
    return "FCM: DROP FRAME" if drop_frame else "FCM: NON-DROP FRAME"


def with_fcm(text: str, drop_frame: bool) -> str:
    """`text` with an FCM line after its TITLE line (or first)."""
    if text.startswith("TITLE:"):
        title, _, rest = text.partition("\n")
        return f"{title}\n{fcm_line(drop_frame)}\n{rest}"
    return f"{fcm_line(drop_frame)}\n{text}"


# An event line as cmx_3600 writes it: edit number, reel, channel (5 wide), then C or D.
_EVENT_CHANNEL = re.compile(r"^(\d{3,}\s+\S+\s+)A {4}(?= +(?:C|D) )", re.MULTILINE)


def _audio_channel(text: str, lane: int) -> str:
    """Each event on its lane's channel (`A2`, `A3`… are the CMX names): else every lane lands on A1."""
    if lane == 0:
        return text
    return _EVENT_CHANNEL.sub(lambda m: m.group(1) + lane_name(lane).ljust(5), text)


def lane_text(model: PlacedProgramme, lane: int) -> str:
    programme = model.programme
    rate = edl_rate(programme)
    track = audio_track(model, lane, Clock(programme, frames=True, rate=rate))
    if programme.start_frame:
        lead = TimeRange(RationalTime(0, rate), RationalTime(programme.start_frame, rate))
        track.insert(0, otio.schema.Gap(source_range=lead))
    timeline = otio.schema.Timeline(name=f"{model.title} {lane_name(lane)}")
    timeline.tracks.extend([track, otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)])
    text = otio.adapters.write_to_string(timeline, adapter_name="cmx_3600", rate=rate)
    return with_fcm(_audio_channel(text, lane), programme.drop_frame)


__all__ = ["FIRST_NAME", "edl_rate", "lane_text", "names", "with_fcm"]
