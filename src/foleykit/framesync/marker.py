"""A marker on a programme: plain data shared by the sync model, spot's output and the marker adapters."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Marker:
    """A named point on the programme: a frame from its first frame (not timecode: that is the programme's)."""

    frame: int
    name: str
    comment: str = ""
    color: str = "BLUE"  # an OTIO MarkerColor name; each format maps it to its own


__all__ = ["Marker"]
