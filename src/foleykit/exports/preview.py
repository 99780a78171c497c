"""A preview of the sync (DESIGN §6): the original picture, copied packet by packet, plus the mix as AAC.

The video stream is remuxed, never re-encoded (no generation loss, no time spent, identical frames), so
the preview shows exactly the frames the marks were spotted on: the packets are byte-identical to the
source's, except that H.264/HEVC from MPEG-TS or raw streams get their Annex B start codes rewritten as
MP4 length prefixes by the muxer (the same coded frames). Timestamps are shifted so the first frame plays
at 0 (an MPEG-TS picture starts later), and the mix's sample 0 is put at 0 too.

AAC priming, measured with PyAV 18.1 (FFmpeg's aac encoder and mov muxer): the first AAC packet has pts
-1024 (the encoder delay) and the muxer writes an edit list (media_time 1024, duration = the mix's
length), so players that honour it, FFmpeg/PyAV included, play the mix sample-aligned with the picture.
tests/test_exports.py decodes a click placed on a frame at 24, 25 and 29.97 fps (MP4 and MOV): it comes
back on its sample, 0 samples off. FFmpeg does not apply the edit list's end, so it decodes up to 1023
samples of the last frame's padding after the mix; the stream duration is the mix's.

Containers: MP4 when the video codec may go into MP4 (H.264, HEVC, AV1, VP9, MPEG-2/4, MJPEG, FFV1 …).
ProRes, DNxHD, DV and other editorial codecs cannot; they go into QuickTime instead: the preview is then
written as `<stem>.mov` beside the requested path, and the path returned says which. A codec neither
takes is refused with a BadInputError.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from foleykit.audio.io import NO_SPACE, write_atomic
from foleykit.errors import BadInputError
from foleykit.framesync.placed import PlacedProgramme
from foleykit.framesync.timecode import SAMPLE_RATE
from foleykit.framesync.video import Programme

AAC_FRAME = 1024  # samples per AAC frame
AUDIO_LEAD_SECONDS = 0.5  # audio muxed this far ahead of the video, so the muxer buffers little
LAYOUTS = {1: "mono", 2: "stereo"}


def _container_for(codec: str, path: Path) -> tuple[Path, str]:
    """MP4 if the codec may go there, else QuickTime (.mov) beside it, else a clear refusal."""
    import av

    for fmt, target in (("mp4", path), ("mov", path.with_suffix(".mov"))):
        with av.open(io.BytesIO(), "w", format=fmt) as probe:  # asks the muxer; writes nothing
            supported = codec in probe.supported_codecs
        if supported:
            return target, fmt
    raise BadInputError(f"the video codec {codec!r} cannot be copied into MP4 or QuickTime for the preview")


def _audio_frames(mix: np.ndarray) -> Iterator[Any]:
    """The mix as 1024-sample float planar frames, pts in samples from the first video frame."""
    import av

    layout = LAYOUTS[mix.shape[0]]
    for start in range(0, mix.shape[1], AAC_FRAME):
        chunk = np.ascontiguousarray(mix[:, start : start + AAC_FRAME], dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
        frame.sample_rate = SAMPLE_RATE
        frame.pts = start
        frame.time_base = Fraction(1, SAMPLE_RATE)
        yield frame


def target(programme: Programme, path: Path) -> Path:
    """Where the preview goes: `path` (MP4), or `.mov` beside it for codecs MP4 cannot hold; a codec
    neither holds, or a file that is no video, is refused (BadInputError) before any work."""
    import av

    if programme.video is None:
        raise ValueError("a programme without picture has no preview")
    video = Path(programme.video)
    try:
        with av.open(str(video)) as source:
            if not source.streams.video:
                raise BadInputError(f"{video} has no video stream")
            codec = source.streams.video[0].codec_context.name
    except av.error.FFmpegError as err:
        raise BadInputError(
            f"{video} is not a readable video ({err.strerror or type(err).__name__})"
        ) from None
    return _container_for(codec, Path(path))[0]


def write_to_file(model: PlacedProgramme, path: Path) -> None:
    """The preview of the model's mix against its picture, written to `path` (from `target`)."""
    assert model.programme.video is not None
    _mux(Path(model.programme.video), model.mix, model.programme, Path(path))


def write_preview(
    video: Path, mix: np.ndarray, programme: Programme, path: Path, *, force: bool = False
) -> Path:
    """Write the preview of any `mix` (float32 (channels, samples) at 48 kHz, mono or stereo, sample 0 at
    the video's first frame) against `video`, atomically. Returns the path written (`target`'s)."""
    from dataclasses import replace

    picture = replace(programme, video=Path(video))
    chosen = target(picture, Path(path))
    return write_atomic(chosen, lambda tmp: _mux(Path(video), mix, picture, tmp), force=force)


def _mux(video: Path, mix: np.ndarray, programme: Programme, tmp: Path) -> None:
    """`video`'s picture copied, `mix` as AAC, into `tmp` (its container from `target`'s suffix)."""
    import av

    mix = np.asarray(mix, dtype=np.float32)
    if mix.ndim == 1:
        mix = mix[None]
    if mix.ndim != 2 or mix.shape[0] not in LAYOUTS:
        raise ValueError(f"the mix must be (channels, samples) with 1 or 2 channels, got shape {mix.shape}")
    fmt = "mov" if Path(tmp).name.removesuffix(".tmp").endswith(".mov") else "mp4"  # target()'s choice
    try:
        with av.open(str(video)) as source, av.open(str(tmp), "w", format=fmt) as output:
            in_video = source.streams.video[0]
            out_video = output.add_stream_from_template(in_video)
            if programme.start_frame or programme.timecode_source != "default":
                # The muxer writes a tmcd track from this, if it knows the frame rate: a template stream
                # only carries it over for codecs whose bitstream states it (H.264 does, ProRes not).
                out_video.metadata["timecode"] = programme.start_timecode
                if in_video.average_rate:
                    out_video.codec_context.framerate = in_video.average_rate
            out_audio = output.add_stream("aac", rate=SAMPLE_RATE, layout=LAYOUTS[mix.shape[0]])
            out_audio.bit_rate = 128_000 * mix.shape[0]
            # The first frame's presentation time, in the stream's own ticks: it becomes time 0.
            time_base = Fraction(in_video.time_base)
            shift = round(programme.first_frame_seconds / time_base)
            frames = _audio_frames(mix)
            pending: Any = next(frames, None)

            def audio_until(seconds: float) -> None:
                nonlocal pending
                while pending is not None and pending.pts < seconds * SAMPLE_RATE:
                    output.mux(out_audio.encode(pending))
                    pending = next(frames, None)

            for packet in source.demux(in_video):
                if packet.dts is None:  # the demuxer's empty flush packet
                    continue
                packet.dts -= shift
                if packet.pts is not None:
                    packet.pts -= shift
                audio_until(float(packet.dts * time_base) + AUDIO_LEAD_SECONDS)
                packet.stream = out_video
                output.mux(packet)
            audio_until(float("inf"))
            output.mux(out_audio.encode(None))
    except av.error.FFmpegError as err:
        if isinstance(err, OSError) and err.errno in NO_SPACE:
            raise  # the commit turns it into DiskFullError, naming the folder
        raise BadInputError(
            f"cannot write the preview from {video} ({err.strerror or type(err).__name__})"
        ) from None


__all__ = ["target", "write_preview", "write_to_file"]
