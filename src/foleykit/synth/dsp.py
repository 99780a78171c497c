"""Signal building blocks for the procedural foley synthesiser: noise, filters, modes, envelopes, rooms.

Filters and convolution come from scipy.signal; what is here is only the arrangement of them.
All functions return float64 mono arrays at `sr`.
"""

from __future__ import annotations

import numpy as np
from scipy import signal


def seconds(sr: int, duration: float) -> int:
    return max(round(duration * sr), 1)


def white(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.standard_normal(n)


def pink(rng: np.random.Generator, n: int) -> np.ndarray:
    """1/f noise by spectral shaping of white noise."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.arange(len(spectrum), dtype=np.float64)
    freqs[0] = 1.0
    out = np.fft.irfft(spectrum / np.sqrt(freqs), n)
    return out / (np.abs(out).max() + 1e-12)


def brown(rng: np.random.Generator, n: int) -> np.ndarray:
    out = np.cumsum(rng.standard_normal(n))
    out = signal.sosfilt(signal.butter(1, 0.001, "highpass", output="sos"), out)  # no DC drift
    return out / (np.abs(out).max() + 1e-12)


def _clip_band(sr: int, low: float | None, high: float | None) -> tuple[float | None, float | None]:
    nyquist = sr / 2
    low = None if low is None else min(max(low, 10.0), nyquist * 0.95)
    high = None if high is None else min(max(high, 20.0), nyquist * 0.95)
    return low, high


def bandpass(x: np.ndarray, sr: int, low: float | None, high: float | None, order: int = 4) -> np.ndarray:
    """Butterworth band/low/high-pass (second-order sections); `None` leaves that side open."""
    low, high = _clip_band(sr, low, high)
    if low is not None and high is not None and low < high:
        sos = signal.butter(order, [low, high], "bandpass", fs=sr, output="sos")
    elif low is not None:
        sos = signal.butter(order, low, "highpass", fs=sr, output="sos")
    elif high is not None:
        sos = signal.butter(order, high, "lowpass", fs=sr, output="sos")
    else:
        return x
    return signal.sosfilt(sos, x)


def decay(n: int, sr: int, tau: float) -> np.ndarray:
    """exp(-t / tau)."""
    return np.exp(-np.arange(n) / (sr * max(tau, 1e-4)))


def attack_decay(n: int, sr: int, attack: float, tau: float) -> np.ndarray:
    t = np.arange(n) / sr
    rise = np.clip(t / max(attack, 1e-5), 0.0, 1.0)
    return rise * np.exp(-np.maximum(t - attack, 0.0) / max(tau, 1e-4))


def modes(
    sr: int,
    duration: float,
    freqs: np.ndarray,
    amps: np.ndarray,
    taus: np.ndarray,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """A struck resonator: a sum of exponentially damped sinusoids (modal synthesis)."""
    n = seconds(sr, duration)
    t = np.arange(n) / sr
    out = np.zeros(n)
    phases = rng.uniform(0, 2 * np.pi, len(freqs)) if rng is not None else np.zeros(len(freqs))
    for f, a, tau, ph in zip(freqs, amps, taus, phases, strict=True):
        if f < sr / 2 * 0.95:
            out += a * np.sin(2 * np.pi * f * t + ph) * np.exp(-t / tau)
    return out


def chirp(sr: int, duration: float, f0: float, f1: float, method: str = "logarithmic") -> np.ndarray:
    t = np.arange(seconds(sr, duration)) / sr
    return signal.chirp(t, f0=f0, t1=max(duration, 1e-4), f1=f1, method=method)


def place(buffer: np.ndarray, event: np.ndarray, start: int, gain: float = 1.0) -> None:
    """Mix `event` into `buffer` at sample `start` (clipped at the end of the buffer)."""
    if start >= len(buffer) or start < 0:
        return
    end = min(len(buffer), start + len(event))
    buffer[start:end] += gain * event[: end - start]


def room_impulse(rng: np.random.Generator, sr: int, rt60: float) -> np.ndarray:
    """A synthetic room: direct sound, a few early reflections and an exponentially decaying diffuse tail."""
    n = seconds(sr, rt60 * 1.2 + 0.05)
    ir = np.zeros(n)
    ir[0] = 1.0
    for _ in range(6):
        ir[rng.integers(int(0.005 * sr), int(0.05 * sr))] += rng.uniform(-0.5, 0.5)
    tail = rng.standard_normal(n) * np.exp(-6.91 * np.arange(n) / (sr * rt60))
    tail = bandpass(tail, sr, 100.0, 8000.0, order=2)
    tail[: int(0.01 * sr)] *= np.linspace(0, 1, int(0.01 * sr))
    return ir + 0.35 * tail / (np.sqrt(np.sum(tail**2)) / np.sqrt(sr * 0.05) + 1e-12)


def reverberate(x: np.ndarray, rng: np.random.Generator, sr: int, rt60: float, wet: float) -> np.ndarray:
    if rt60 <= 0 or wet <= 0:
        return x
    tail = signal.fftconvolve(x, room_impulse(rng, sr, rt60))[: len(x)]
    tail *= np.abs(x).max() / (np.abs(tail).max() + 1e-12)
    return (1 - wet) * x + wet * tail


def normalise_peak(x: np.ndarray, peak: float = 0.89) -> np.ndarray:
    top = np.abs(x).max()
    return x * (peak / top) if top > 0 else x


def fade_edges(x: np.ndarray, sr: int, fade: float = 0.005) -> np.ndarray:
    n = min(int(fade * sr), len(x) // 2)
    if n > 0:
        ramp = np.linspace(0.0, 1.0, n)
        x = x.copy()
        x[-n:] *= ramp[::-1]
    return x
