"""Broadcast WAV (EBU Tech 3285 v1): 24-bit PCM with a `bext` chunk carrying the file's timecode position
and provenance, and a LIST/INFO chunk for the players and libraries that read only that.

Every WAV foleykit delivers is one of these: generated takes (TimeReference 0) and sync's cue files and mix
(TimeReference = their place on the programme). python-soundfile cannot write `bext`, so the RIFF chunks are
packed here with `struct` (DESIGN §3); `wavinfo` reads them back in the tests. A file over 4 GiB (a long
programme's mix) is written as RF64 (EBU Tech 3306): `RF64` instead of `RIFF`, a `ds64` chunk first with
the 64-bit sizes, the 32-bit size fields set to 0xFFFFFFFF, the `bext` chunk as in any BWF.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from foleykit import __version__
from foleykit.audio.io import write_atomic

BEXT_FIXED_BYTES = 602
MAX_RIFF_BYTES = 2**32 - 1
# LIST/INFO ids of the keys python-soundfile also writes (libsndfile's names), so readers of either agree
INFO_IDS = {
    "title": b"INAM",
    "copyright": b"ICOP",
    "software": b"ISFT",
    "artist": b"IART",
    "comment": b"ICMT",
    "date": b"ICRD",
    "album": b"IPRD",
    "genre": b"IGNR",
}


@dataclass(frozen=True)
class BextInfo:
    """The `bext` fields foleykit fills; `time_reference` is the first sample's position since midnight."""

    time_reference: int
    description: str = ""
    originator: str = "foleykit"
    originator_reference: str = ""
    coding_history: str = ""
    created: datetime | None = None


def _ascii(text: str, size: int) -> bytes:
    data = text.encode("ascii", "replace")[:size]
    return data + b"\0" * (size - len(data))


def bext_chunk(info: BextInfo) -> bytes:
    created = info.created or datetime.now()
    if not 0 <= info.time_reference < 2**64:
        raise ValueError(f"time reference {info.time_reference} does not fit in 64 bits")
    history = info.coding_history.encode("ascii", "replace")
    if history and not history.endswith(b"\r\n"):
        history += b"\r\n"
    body = b"".join(
        (
            _ascii(info.description, 256),
            _ascii(info.originator, 32),
            _ascii(info.originator_reference, 32),
            _ascii(created.strftime("%Y-%m-%d"), 10),
            _ascii(created.strftime("%H:%M:%S"), 8),
            struct.pack("<II", info.time_reference & 0xFFFFFFFF, info.time_reference >> 32),
            struct.pack("<H", 1),  # version 1: no loudness fields
            b"\0" * 64,  # UMID: none
            b"\0" * 190,  # v1 reserved (v2's loudness fields + reserved)
            history,
        )
    )
    assert len(body) == BEXT_FIXED_BYTES + len(history)
    return _chunk(b"bext", body)


def info_chunk(info: dict[str, str]) -> bytes:
    """A LIST/INFO chunk: each value NUL-terminated 8-bit text (non-ASCII shown as '?')."""
    unknown = sorted(set(info) - set(INFO_IDS))
    if unknown:
        raise ValueError(f"no LIST/INFO field for {unknown[0]!r} (known: {', '.join(INFO_IDS)})")
    body = b"INFO" + b"".join(
        _chunk(INFO_IDS[key], value.encode("ascii", "replace") + b"\0")
        for key, value in info.items()
        if value
    )
    return _chunk(b"LIST", body)


def loop_chunks(samples: int, sample_rate: int) -> bytes:
    """A `cue ` point at the first sample and a `smpl` chunk with one forward loop over the whole file
    (start 0, end `samples − 1`: the smpl end is the last sample played), played for ever: what Wwise,
    FMOD, Unity and samplers read as loop points."""
    if not 0 < samples <= 2**32:
        raise ValueError(f"a loop of {samples} samples does not fit a smpl chunk")
    cue = struct.pack("<I", 1) + struct.pack("<II4sIII", 1, 0, b"data", 0, 0, 0)
    header = struct.pack(
        "<9I",
        0,  # manufacturer: none
        0,  # product
        round(1e9 / sample_rate),  # sample period, ns
        60,  # MIDI unity note: middle C, played as recorded
        0,  # pitch fraction
        0,  # SMPTE format: none
        0,  # SMPTE offset
        1,  # one loop
        0,  # no sampler-specific data
    )
    loop = struct.pack("<6I", 1, 0, 0, samples - 1, 0, 0)  # cue id 1, forward, start, end, fraction, for ever
    return _chunk(b"cue ", cue) + _chunk(b"smpl", header + loop)


def coding_history(audio: np.ndarray, sample_rate: int) -> str:
    """bext CodingHistory (EBU R 98) of a file foleykit wrote: PCM, its rate, 24-bit, mono or stereo."""
    mode = "stereo" if np.asarray(audio).ndim > 1 and audio.shape[0] == 2 else "mono"
    return f"A=PCM,F={sample_rate},W=24,M={mode},T=foleykit {__version__}"


def _chunk(tag: bytes, body: bytes) -> bytes:
    return tag + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def pcm24(audio: np.ndarray) -> bytes:
    """Float (channels, samples) in [-1, 1] → interleaved little-endian 24-bit PCM, rounded, clipped.

    Scaled by 2**23 as readers (libsndfile, soundfile) scale 24-bit PCM to float, so audio read from a
    24-bit file is written back to the very same integers.
    """
    scaled = np.rint(np.asarray(audio, dtype=np.float64).T * 8388608.0)
    ints = np.clip(scaled, -8388608, 8388607).astype("<i4").reshape(-1)
    return ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()


def write_bwf(
    path: Path,
    audio: np.ndarray,
    sample_rate: int,
    bext: BextInfo,
    *,
    info: dict[str, str] | None = None,
    loop: bool = False,
    force: bool = False,
) -> Path:
    """Write `audio` (channels, samples) as a 24-bit BWF with `bext` (and `info` as LIST/INFO, and with
    `loop` a cue point and a smpl loop over the whole file) before `data`, atomically."""
    writer = bwf_writer(audio, sample_rate, bext, info=info, loop=loop)
    return write_atomic(Path(path), writer, force=force)


def bwf_writer(
    audio: np.ndarray,
    sample_rate: int,
    bext: BextInfo,
    *,
    info: dict[str, str] | None = None,
    loop: bool = False,
) -> Callable[[Path], None]:
    """A function that writes `write_bwf`'s file to the path it is given (not atomically: the caller
    commits it). Sizes are checked here, before anything is written."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[None]
    channels = audio.shape[0]
    block_align = channels * 3
    fmt = _chunk(
        b"fmt ",
        struct.pack("<HHIIHH", 1, channels, sample_rate, sample_rate * block_align, block_align, 24),
    )
    data_bytes = audio.shape[1] * block_align
    head = b"WAVE" + fmt + bext_chunk(bext) + (info_chunk(info) if info else b"")
    if loop:
        head += loop_chunks(audio.shape[1], sample_rate)
    riff_size = len(head) + 8 + data_bytes + (data_bytes % 2)
    if riff_size > MAX_RIFF_BYTES:  # RF64: the sizes move to a ds64 chunk right after WAVE
        ds64 = _chunk(b"ds64", struct.pack("<QQQI", 0, data_bytes, audio.shape[1], 0))
        riff_size += len(ds64)
        head = b"WAVE" + ds64 + head[4:]
        head = head[:12] + struct.pack("<Q", riff_size) + head[20:]  # ds64's riffSize, now it is known
        riff_id, riff_field, data_field = b"RF64", 0xFFFFFFFF, 0xFFFFFFFF
    else:
        riff_id, riff_field, data_field = b"RIFF", riff_size, data_bytes

    def writer(tmp: Path) -> None:
        with Path(tmp).open("wb") as fh:
            fh.write(riff_id + struct.pack("<I", riff_field) + head)
            fh.write(b"data" + struct.pack("<I", data_field))
            step = max(1, (8 << 20) // block_align)  # 8 MB at a time: a 10-minute mix needs no big copy
            for start in range(0, audio.shape[1], step):
                block = audio[:, start : start + step]
                if block.any():
                    fh.write(pcm24(block))
                else:  # silence is zero bytes: a hole in the file where the filesystem allows (sparse)
                    fh.seek(block.shape[1] * block_align, 1)
            if data_bytes % 2:
                fh.write(b"\0")
            fh.truncate()  # a file ending in silence ends where its data does

    return writer
