"""Broadcast WAV (EBU Tech 3285 v1): 24-bit PCM with a `bext` chunk carrying the file's timecode position.

python-soundfile cannot write `bext`, so the RIFF chunks are packed here with `struct` (DESIGN §3);
`wavinfo` reads them back in the tests. Files over 4 GiB would need RF64 and are refused.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from foleykit.audio.io import write_atomic

BEXT_FIXED_BYTES = 602
MAX_RIFF_BYTES = 2**32 - 1


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


def _chunk(tag: bytes, body: bytes) -> bytes:
    return tag + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def pcm24(audio: np.ndarray) -> bytes:
    """Float (channels, samples) in [-1, 1] → interleaved little-endian 24-bit PCM, clipped, rounded."""
    scaled = np.clip(np.asarray(audio, dtype=np.float64).T, -1.0, 1.0) * 8388607.0
    ints = np.rint(scaled).astype("<i4").reshape(-1)
    return ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()


def write_bwf(
    path: Path, audio: np.ndarray, sample_rate: int, bext: BextInfo, *, force: bool = False
) -> Path:
    """Write `audio` (channels, samples) as a 24-bit BWF with `bext` before `data`, atomically."""
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
    head = b"WAVE" + fmt + bext_chunk(bext)
    riff_size = len(head) + 8 + data_bytes + (data_bytes % 2)
    if riff_size > MAX_RIFF_BYTES:
        raise ValueError(f"{path}: {riff_size} bytes is over the 4 GiB WAV limit (RF64 is not supported)")

    def writer(tmp: Path) -> None:
        with tmp.open("wb") as fh:
            fh.write(b"RIFF" + struct.pack("<I", riff_size) + head)
            fh.write(b"data" + struct.pack("<I", data_bytes))
            step = max(1, (8 << 20) // block_align)  # 8 MB at a time: a 10-minute mix needs no big copy
            for start in range(0, audio.shape[1], step):
                fh.write(pcm24(audio[:, start : start + step]))
            if data_bytes % 2:
                fh.write(b"\0")

    return write_atomic(Path(path), writer, force=force)
