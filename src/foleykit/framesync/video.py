"""What `sync` needs to know about a programme: exact rate, frame count, start timecode (PyAV).

A programme is either a real video (probed here) or `--fps RATE --length S` with no picture.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from foleykit.errors import BadInputError
from foleykit.framesync.timecode import (
    SAMPLE_RATE,
    STANDARD_RATES,
    Timecode,
    frame_to_sample,
    parse_rate,
    rate_label,
    snap_rate,
)

MAX_PROGRAMME_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Programme:
    """The picture the sounds are placed against. Time 0 is its first frame (DESIGN §3)."""

    rate: Fraction
    frame_count: int
    start_frame: int = 0  # start timecode as frames since midnight, counted in `timecode`'s format
    drop_frame: bool = False
    video: Path | None = None
    first_frame_seconds: Fraction = Fraction(0)  # the first frame's presentation time in the container
    width: int | None = None
    height: int | None = None
    timecode_source: str = "default"  # container | --start-tc | default

    @property
    def timecode(self) -> Timecode:
        return Timecode(self.rate, self.drop_frame)

    @property
    def start_timecode(self) -> str:
        return self.timecode.to_string(self.start_frame)

    @property
    def duration(self) -> Fraction:
        return self.frame_count / self.rate

    @property
    def samples(self) -> int:
        """Programme length at 48 kHz: the mix is exactly this long."""
        return frame_to_sample(self.frame_count, self.rate)

    @property
    def start_sample_since_midnight(self) -> int:
        """BWF TimeReference of the programme's first sample: timecode frames × den/num, exactly."""
        return frame_to_sample(self.start_frame, self.rate)

    def time_reference(self, frame: int) -> int:
        """BWF TimeReference of a file starting on programme frame `frame`: (start TC + frame) rounded once.

        Not `start_sample_since_midnight + frame_to_sample(frame)`: at 29.97 that sum of two roundings can
        fall one sample short of the frame, and a reader that floors samples to frames shows it a frame early.
        """
        return frame_to_sample(self.start_frame + frame, self.rate)

    def timecode_of(self, frame: int) -> str:
        return self.timecode.to_string(self.start_frame + frame)

    def to_dict(self) -> dict[str, Any]:
        return {
            "video": str(self.video) if self.video else None,
            "rate": f"{self.rate.numerator}/{self.rate.denominator}",
            "rate_label": rate_label(self.rate),
            "frame_count": self.frame_count,
            "duration_s": float(self.duration),
            "samples": self.samples,
            "start_timecode": self.start_timecode,
            "drop_frame": self.drop_frame,
            "timecode_source": self.timecode_source,
            "first_frame_s": float(self.first_frame_seconds),
            "width": self.width,
            "height": self.height,
        }


def _with_start(programme: Programme, start_tc: str | None, container_tc: str | None) -> Programme:
    text, source = (start_tc, "--start-tc") if start_tc else (container_tc, "container")
    if not text:
        return programme
    drop = any(sep in text for sep in ";.,")
    try:
        timecode = Timecode(programme.rate, drop)
        start = timecode.to_frame(text)
    except BadInputError as err:
        raise BadInputError(f"start timecode ({source}): {err}") from None
    return replace(programme, start_frame=start, drop_frame=drop, timecode_source=source)


def programme_from_rate(
    rate: str | Fraction, length_seconds: float, start_tc: str | None = None
) -> Programme:
    """A programme with no picture: `--fps RATE --length S` (the length rounds up to whole frames)."""
    exact = parse_rate(rate)
    try:
        seconds = Fraction(str(length_seconds))
    except (ValueError, ZeroDivisionError):
        raise BadInputError(f"--length {length_seconds!r} is not a number of seconds") from None
    if seconds <= 0:
        raise BadInputError(f"--length must be positive, got {length_seconds}")
    if seconds > MAX_PROGRAMME_SECONDS:
        raise BadInputError(f"--length {length_seconds} s is over 24 hours, the most timecode can label")
    frames = -(-seconds * exact // 1)
    return _with_start(Programme(rate=exact, frame_count=int(frames)), start_tc, None)


def probe_video(path: str | Path, start_tc: str | None = None) -> Programme:
    """Rate, frame count, first-frame time and start timecode of a video file, read with PyAV."""
    import av

    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"video {path} does not exist")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise BadInputError(f"{path} has no video stream")
            stream = container.streams.video[0]
            raw_rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            if not raw_rate:
                raise BadInputError(f"{path}: the video stream has no frame rate")
            rate = _standard_rate(path, stream)
            frames = stream.frames or _count_frames(container, stream)
            first = Fraction(0)
            if stream.start_time is not None and stream.time_base is not None:
                first = stream.start_time * Fraction(stream.time_base)
            container_tc = stream.metadata.get("timecode") or container.metadata.get("timecode")
            for other in container.streams:
                container_tc = container_tc or other.metadata.get("timecode")
            width, height = stream.codec_context.width, stream.codec_context.height
    except av.error.FFmpegError as err:
        raise BadInputError(
            f"{path} is not a readable video ({err.strerror or type(err).__name__})"
        ) from None
    if frames <= 0:
        raise BadInputError(f"{path}: the video stream has no frames")
    programme = Programme(
        rate=rate,
        frame_count=frames,
        video=path.resolve(),
        first_frame_seconds=first,
        width=width,
        height=height,
    )
    return _with_start(programme, start_tc, container_tc)


def _standard_rate(path: Path, stream: Any) -> Fraction:
    """The stream's exact standard rate; variable or non-standard rates are refused (editors conform first)."""
    seen = []
    for candidate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if candidate:
            rate = snap_rate(Fraction(candidate))
            if rate in STANDARD_RATES:
                return rate
            seen.append(rate)
    shown = f"{float(seen[0]):.3f}" if seen else "unknown"
    raise BadInputError(
        f"{path}: frame rate {shown} fps is variable or not a standard rate; conform it first "
        "(e.g. ffmpeg -i IN -r 25 OUT) or use --fps with --length"
    )


def _count_frames(container: Any, stream: Any) -> int:
    """Containers that do not store a frame count (MKV, WebM, raw streams): count packets, no decoding."""
    count = 0
    for packet in container.demux(stream):
        if packet.size:  # the demuxer ends with an empty flush packet
            count += 1
    container.seek(0)
    return count


__all__ = ["SAMPLE_RATE", "Programme", "probe_video", "programme_from_rate"]
