"""Pictures of sounds: a log-frequency spectrogram with time and frequency axes, and a waveform envelope.

Every spectrogram uses one colour scale, fixed in dBFS (`SCALE_DBFS`), not one stretched to each file's
own loudest bin: takes side by side (the batch report, the UI's take cards) can be compared by eye, and a
quiet take looks quiet. Drawn with SciPy + Pillow (no plotting library): the batch report embeds hundreds
of these and the UI makes one per take while the user waits, so each costs a few milliseconds.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import numpy as np

BACKGROUND = (17, 20, 24)
AXIS = (149, 165, 166)
GRID = (60, 70, 80)
WAVE = (127, 179, 213)
SCALE_DBFS = (-110.0, -20.0)  # colour scale of every spectrogram: power per STFT bin, full-scale sine ≈ 0
LOW_HZ = 40.0  # bottom of the log-frequency axis
FFT_SIZE = 2048  # 23 Hz bins at 48 kHz: enough rows at the bottom of a log axis
AXIS_LEFT, AXIS_BOTTOM = 34, 16  # margins for the frequency labels (left) and time labels (below)
FREQ_TICKS = (100, 1000, 10000)
TIME_STEPS = (0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600)


def read_mono(path: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf

    audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return audio.mean(axis=1), rate


@lru_cache(maxsize=4)
def _font(size: int = 10):
    from PIL import ImageFont

    return ImageFont.load_default(size=size)  # Pillow's own scalable font: same look on every machine


def colour(level: np.ndarray) -> np.ndarray:
    """0..1 → RGB 0..1: dark blue through magenta to pale yellow (readable on the dark background)."""
    return np.stack([level**0.5, level**1.5, 0.35 + 0.4 * level - 0.3 * level**3], axis=-1).clip(0, 1)


def spectrogram_db(mono: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frequencies Hz, times s, power dBFS per bin) of a Hann STFT; a full-scale sine's bin is ≈ 0 dBFS."""
    from scipy import signal

    if mono.size < FFT_SIZE:
        mono = np.pad(mono, (0, FFT_SIZE - mono.size))
    window = signal.get_window("hann", FFT_SIZE)
    freqs, times, power = signal.spectrogram(
        mono, rate, window=window, nperseg=FFT_SIZE, noverlap=FFT_SIZE * 3 // 4, scaling="spectrum"
    )
    return freqs, times, 10 * np.log10(2 * power + 1e-20)  # ×2: one-sided power of a sine is half of it


def _log_rows(freqs: np.ndarray, height: int, rate: int) -> tuple[np.ndarray, float, float]:
    """For each pixel row (top first), the STFT bin nearest its frequency on a log axis LOW_HZ..Nyquist."""
    low, high = np.log10(LOW_HZ), np.log10(rate / 2)
    centres = 10 ** (high - (np.arange(height) + 0.5) / height * (high - low))
    return np.abs(freqs[None, :] - centres[:, None]).argmin(axis=1), low, high


def spectrogram_rgb(mono: np.ndarray, rate: int, width: int, height: int) -> np.ndarray:
    """(height, width, 3) uint8, no axes: log frequency (low at the bottom), colours on SCALE_DBFS."""
    freqs, _, db = spectrogram_db(mono, rate)
    rows, _, _ = _log_rows(freqs, height, rate)
    cols = np.linspace(0, max(db.shape[1] - 1, 0), width).round().astype(int)
    lo, hi = SCALE_DBFS
    level = np.clip((db[np.ix_(rows, cols)] - lo) / (hi - lo), 0, 1)
    return (colour(level) * 255).astype(np.uint8)


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
    image[int(half), :][~inside[int(half), :]] = GRID  # the zero line where the wave is silent
    return image


def _time_ticks(seconds: float, width: int) -> list[float]:
    """Round times at least ~60 px apart."""
    wanted = max(seconds * 60 / max(width, 1), 1e-3)
    step = next((s for s in TIME_STEPS if s >= wanted), TIME_STEPS[-1])
    return [i * step for i in range(int(seconds / step + 1e-9) + 1)]


def _seconds_label(value: float) -> str:
    return f"{value:g} s" if value < 60 else f"{int(value // 60)}:{int(value % 60):02d}"


def _hz_label(value: float) -> str:
    return f"{value / 1000:g}k" if value >= 1000 else f"{value:g}"


def with_axes(panels: list[np.ndarray], spectro_index: int, seconds: float, rate: int) -> np.ndarray:
    """Stack `panels` (same width) with a frequency axis beside the spectrogram panel and a time axis below."""
    from PIL import Image, ImageDraw

    width = panels[0].shape[1]
    gap = 2
    heights = [p.shape[0] for p in panels]
    total = sum(heights) + gap * (len(panels) - 1)
    image = Image.new("RGB", (AXIS_LEFT + width + 4, total + AXIS_BOTTOM), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = _font()
    top = 0
    for index, panel in enumerate(panels):
        image.paste(Image.fromarray(panel), (AXIS_LEFT, top))
        if index == spectro_index:
            low, high = np.log10(LOW_HZ), np.log10(rate / 2)
            for hz in FREQ_TICKS:
                y = top + round((high - np.log10(hz)) / (high - low) * panel.shape[0])
                if hz >= rate / 2 or y - top < 10:  # (the top rows hold the "Hz" label)
                    continue
                draw.line([(AXIS_LEFT - 3, y), (AXIS_LEFT - 1, y)], fill=AXIS)
                draw.text((AXIS_LEFT - 5, y), _hz_label(hz), fill=AXIS, font=font, anchor="rm")
            draw.text((2, top), "Hz", fill=AXIS, font=font, anchor="lt")
        top += panel.shape[0] + gap
    bottom = total
    for t in _time_ticks(seconds, width):
        x = AXIS_LEFT + round(t / max(seconds, 1e-9) * (width - 1))
        draw.line([(x, bottom), (x, bottom + 1)], fill=AXIS)
        anchor = "lt" if t == 0 else ("rt" if x > AXIS_LEFT + width - 20 else "mt")
        draw.text((x, bottom + 4), _seconds_label(t), fill=AXIS, font=font, anchor=anchor)
    return np.asarray(image)


def colour_bar_rgb(width: int = 240, height: int = 12) -> np.ndarray:
    """The shared colour scale as a labelled bar (for a legend)."""
    from PIL import Image, ImageDraw

    bar = (colour(np.linspace(0, 1, width))[None, :, :].repeat(height, 0) * 255).astype(np.uint8)
    image = Image.new("RGB", (width + 120, height), BACKGROUND)
    image.paste(Image.fromarray(bar), (0, 0))
    lo, hi = SCALE_DBFS
    ImageDraw.Draw(image).text(
        (width + 6, height // 2), f"{lo:g} … {hi:g} dBFS", fill=AXIS, font=_font(), anchor="lm"
    )
    return np.asarray(image)


def png_bytes(rgb: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def warm_up() -> None:
    """Load what drawing needs (SciPy's signal module, Pillow, its font) now, by drawing a blank picture.

    For callers that draw after a Ctrl-C (the batch report): an import that a Ctrl-C cuts short cannot be
    repeated in the same process (scipy.signal's then fails with NameError: '_signal_api').
    """
    silence, rate = np.zeros(FFT_SIZE, dtype=np.float32), 48_000
    panels = [waveform_rgb(silence, 64, 8), spectrogram_rgb(silence, rate, 64, 8)]
    png_bytes(with_axes(panels, 1, silence.size / rate, rate))
    png_bytes(colour_bar_rgb())


def spectrogram_png(path: Path, width: int = 360, height: int = 90) -> bytes:
    """A take's spectrogram with its axes (the plot area is `width` × `height`)."""
    mono, rate = read_mono(path)
    spectro = spectrogram_rgb(mono, rate, width, height)
    return png_bytes(with_axes([spectro], 0, mono.size / rate, rate))


def take_png(path: Path, width: int = 480, wave_height: int = 60, spectro_height: int = 110) -> bytes:
    """Waveform above spectrogram, one picture per take: level and timing on top, colour below."""
    mono, rate = read_mono(path)
    panels = [waveform_rgb(mono, width, wave_height), spectrogram_rgb(mono, rate, width, spectro_height)]
    return png_bytes(with_axes(panels, 1, mono.size / rate, rate))
