"""FCP 7 XML (xmeml) of a `PlacedProgramme`, through OTIO's fcp_xml adapter.

Adapter limits worked around here (otio-fcp-adapter 1.0; read back in tests with ElementTree and the
adapter's own reader):
- it takes the sequence rate from `global_start_time`'s rate and writes every time as a whole number at
  its item's rate (a 48 kHz clip would get `<timebase>48000`): the XML is written from the frame timeline.
- it writes timecode drop-frame only if `displayformat` DF is in the `fcp_xml` timecode metadata, and
  describes audio media only from `fcp_xml` media metadata: both are set here.
- it writes clip-marker times verbatim (no media-start offset, unlike in/out); FCP 7 and the adapter's own
  reader count them in frames from the media start, so they are moved there.
"""

from __future__ import annotations

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

from foleykit.exports.otio_timeline import BIT_DEPTH, NAMESPACE, to_otio
from foleykit.framesync.placed import PlacedProgramme
from foleykit.framesync.timecode import SAMPLE_RATE


def _display(drop_frame: bool) -> dict[str, dict[str, str]]:
    return {"timecode": {"displayformat": "DF" if drop_frame else "NDF"}}


def to_fcp_timeline(model: PlacedProgramme) -> otio.schema.Timeline:
    """The frame timeline with the metadata the fcp_xml writer reads, clip markers from the media start."""
    drop = model.programme.drop_frame
    timeline = to_otio(model, frames=True)
    timeline.metadata["fcp_xml"] = _display(drop)
    for clip in timeline.find_clips():
        reference = clip.media_reference
        info = reference.metadata.get(NAMESPACE)
        if info is None:  # the picture
            reference.metadata["fcp_xml"] = _display(drop)
            continue
        media = {
            "audio": {
                "samplecharacteristics": {"depth": BIT_DEPTH, "samplerate": SAMPLE_RATE},
                "channelcount": int(info["channels"]),
            }
        }
        reference.metadata["fcp_xml"] = {**_display(drop), "media": media}
        clip.metadata["fcp_xml"] = {"sourcetrack": {"mediatype": "audio", "trackindex": 1}}
        media_start = reference.available_range.start_time
        for marker in clip.markers:
            at = marker.marked_range.start_time - media_start
            marker.marked_range = TimeRange(at, RationalTime(0, at.rate))
    return timeline


def to_string(model: PlacedProgramme) -> str:
    return otio.adapters.write_to_string(to_fcp_timeline(model), adapter_name="fcp_xml")


__all__ = ["to_fcp_timeline", "to_string"]
