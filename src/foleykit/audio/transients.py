"""Where a sound's first transient is, to the sample (DESIGN §3).

Hand-written on purpose: librosa-style onset detectors work on an STFT grid (10 ms or so) and report the
frame of steepest spectral flux, not the sample where the sound starts; placement needs the latter.

Two passes over the raw 48 kHz samples:
1. coarse: 5 ms energy blocks, the quietest of them the noise floor; the first sample clearly above it
   (≥ 10 dB over it and within 15 dB of the loudest block) is in the first hit (quieter pre-noise and
   lead-in are skipped);
2. fine: a causal 0.5 ms energy envelope; walking back from the first sample over that level, the
   transient is the sample right after the envelope last sat at the floor (≤ 6 dB above it, or 70 dB below
   the peak in silence). When the hit steps ≥ 20 dB over the 10 ms just before it (a lead-in, a breath,
   room tone), that local level is the floor, so the hit, not its lead-in, is the transient.

A click after digital silence or after a noise floor is found to within a few samples. A soft attack
(rain, wind, a swell) has no sharp edge: the result is then where its envelope starts to rise out of the
floor, which is also where an editor would put the cut. A sound that is loud from its first sample has its
transient at 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from foleykit.audio import DELIVERY_SAMPLE_RATE as SAMPLE_RATE

BLOCK_SECONDS = 0.005
ENVELOPE_SECONDS = 0.0005
EVENT_OVER_FLOOR = 10.0  # 10 dB
EVENT_UNDER_PEAK = 10 ** (-15 / 10)  # 15 dB
RISE_OVER_FLOOR = 4.0  # 6 dB
RISE_UNDER_PEAK = 1e-7  # 70 dB
SOFT_RISE_SECONDS = 0.010
SHARP_STEP = 100.0  # 20 dB over the 10 ms before it: a hit, placed on its own edge


@dataclass(frozen=True)
class Transient:
    sample: int  # index of the transient's first sample
    rise_samples: int  # from there to the peak of its 5 ms block: short for hits, long for swells
    peak_over_floor_db: float

    @property
    def soft(self) -> bool:
        return self.rise_samples > SOFT_RISE_SECONDS * SAMPLE_RATE


def _energy(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float64)
    if audio.ndim == 1:
        audio = audio[None]
    # a DC offset is not a sound; the median of every 16th sample estimates it robustly at 1/16 the cost
    centred = audio - np.median(audio[:, ::16], axis=1, keepdims=True)
    return np.square(centred).sum(axis=0)


def find_transient(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Transient:
    """The first transient of `audio` (channels, samples) or (samples,); sample 0 for silence."""
    energy = _energy(audio)
    total = energy.size
    block = max(1, round(BLOCK_SECONDS * sample_rate))
    window = max(1, round(ENVELOPE_SECONDS * sample_rate))
    if total == 0:
        return Transient(0, 0, 0.0)
    blocks = np.pad(energy, (0, -total % block)).reshape(-1, block)
    block_peaks = blocks.max(axis=1)  # peaks, not means: a one-sample click must count
    peak = float(block_peaks.max())
    if peak <= 1e-20:
        return Transient(0, 0, 0.0)
    # The floor is the quietest 5 ms anywhere: a short silence before a steady sound (an engine, rain)
    # is still the floor, even when it is a few percent of the clip.
    floor_peak = float(block_peaks[:-1].min() if block_peaks.size > 1 else block_peaks.min())
    floor_mean = float(blocks.mean(axis=1)[:-1].min() if block_peaks.size > 1 else 0.0)
    event = max(floor_peak * EVENT_OVER_FLOOR, floor_peak + EVENT_UNDER_PEAK * (peak - floor_peak))
    over = np.flatnonzero(energy > event)
    if over.size == 0:  # no edge anywhere: loud from the start, or a steady texture
        return Transient(0, 0, 0.0)
    hit = int(over[0])

    cumulative = np.concatenate(([0.0], np.cumsum(energy[: hit + 1])))
    starts = np.maximum(np.arange(hit + 1) - window + 1, 0)
    envelope = (cumulative[1:] - cumulative[starts]) / window  # causal: env[n] covers n-window+1 … n
    quiet = max(floor_mean * RISE_OVER_FLOOR, peak * RISE_UNDER_PEAK)
    # A sharp hit after a lead-in (a breath, a scrape, room tone) starts where it leaves the lead-in's
    # level, not where the lead-in left the floor; a swell has no such step and keeps the global floor.
    guard, span = round(0.001 * sample_rate), round(0.010 * sample_rate)
    before = energy[max(0, hit - guard - span) : max(0, hit - guard)]
    local = float(before.mean()) if before.size else 0.0
    attack = float(energy[hit : hit + block].max())
    if local > 0 and attack > local * SHARP_STEP:
        quiet = max(quiet, local * RISE_OVER_FLOOR)
    at_floor = np.flatnonzero(envelope[:hit] <= quiet)
    sample = int(at_floor[-1] + 1) if at_floor.size else 0
    over_db = 10 * np.log10(peak / floor_peak) if floor_peak > 0 else 200.0
    return Transient(sample, hit - sample, round(float(over_db), 1))
