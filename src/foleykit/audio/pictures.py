"""Pictures of sounds: a log-power spectrogram and a waveform envelope, as PNG.

Drawn with SciPy + Pillow (no plotting library): the batch report embeds hundreds of these and the UI
makes one per take while the user waits, so each costs a few milliseconds.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

BACKGROUND = (17, 20, 24)
WAVE = (127, 179, 213)
SPECTRO_FLOOR_DB = 80.0


def read_mono(path: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf

    audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return audio.mean(axis=1), rate


def spectrogram_rgb(mono: np.ndarray, rate: int, width: int, height: int) -> np.ndarray:
    """(height, width, 3) uint8: 80 dB of log power, low frequencies at the bottom."""
    from scipy import signal

    if mono.size < 1024:
        mono = np.pad(mono, (0, 1024 - mono.size))
    _, _, power = signal.spectrogram(mono, rate, nperseg=1024, noverlap=512)
    db = 10 * np.log10(power + 1e-12)
    level = np.clip((db - (db.max() - SPECTRO_FLOOR_DB)) / SPECTRO_FLOOR_DB, 0, 1)[::-1]
    rows = np.linspace(0, level.shape[0] - 1, height).astype(int)
    cols = np.linspace(0, max(level.shape[1] - 1, 0), width).astype(int)
    v = level[np.ix_(rows, cols)]
    rgb = np.stack([v**0.5, v**1.5, 0.35 + 0.4 * v - 0.3 * v**3], axis=-1).clip(0, 1)
    return (rgb * 255).astype(np.uint8)


def waveform_rgb(mono: np.ndarray, width: int, height: int) -> np.ndarray:
    """(height, width, 3) uint8: the min..max envelope of each pixel column, centred."""
    image = np.empty((height, width, 3), np.uint8)
    image[:] = BACKGROUND
    if mono.size == 0:
        return image
    edges = np.linspace(0, mono.size, width + 1).astype(int)
    edges[1:] = np.maximum(edges[1:], edges[:-1] + 1)
    edges = np.minimum(edges, mono.size)
    starts = np.minimum(edges[:-1], mono.size - 1)
    high = np.maximum.reduceat(mono, starts)
    low = np.minimum.reduceat(mono, starts)
    half = (height - 1) / 2
    top = np.clip(np.round(half - high * half), 0, height - 1).astype(int)
    bottom = np.clip(np.round(half - low * half), 0, height - 1).astype(int)
    rows = np.arange(height)[:, None]
    inside = (rows >= top[None, :]) & (rows <= bottom[None, :])
    image[inside] = WAVE
    image[int(half), :][~inside[int(half), :]] = (60, 70, 80)  # the zero line where the wave is silent
    return image


def png_bytes(rgb: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def spectrogram_png(path: Path, width: int = 360, height: int = 90) -> bytes:
    mono, rate = read_mono(path)
    return png_bytes(spectrogram_rgb(mono, rate, width, height))


def take_png(path: Path, width: int = 480, wave_height: int = 70, spectro_height: int = 110) -> bytes:
    """Waveform above spectrogram, one picture per take: level and timing on top, colour below."""
    mono, rate = read_mono(path)
    gap = np.empty((2, width, 3), np.uint8)
    gap[:] = BACKGROUND
    return png_bytes(
        np.concatenate(
            [waveform_rgb(mono, width, wave_height), gap, spectrogram_rgb(mono, rate, width, spectro_height)]
        )
    )
