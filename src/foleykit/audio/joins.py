"""Joining audio: a new part spliced into a sound, two windows crossfaded at a quiet point, a loop's overrun
folded into its head — and the measures that say whether a join can be heard (sample step, spectral flux,
level either side), used on every join in the tests.

Pure numpy on float32 (channels, samples) arrays at one rate; nothing here knows about models. Written by
hand: the crossfades are a few lines, and no maintained library scores a seam.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_SPLICE_GAIN_DB = 24.0  # a silent neighbourhood must not blow the new part up
FLUX_FFT = 1024
FLUX_HOP = 256
ORDINARY_POINTS = 200
MIN_ORDINARY_POINTS = 20
CLICK_SECONDS = 0.0005
LEVEL_SPREAD_DB = 6.0
GAP_DIP_DB = 12.0
OUTLIER_MARGIN = 1.25


def fit_channels(audio: np.ndarray, channels: int) -> np.ndarray:
    """A mono model's audio on every channel of a stereo source; a stereo model's mid for a mono one."""
    if audio.shape[0] == channels:
        return audio
    if audio.shape[0] == 1:
        return np.repeat(audio, channels, axis=0)
    return audio.mean(axis=0, keepdims=True)


def rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if audio.size else 0.0


def matching_gain(reference: np.ndarray, other: np.ndarray, limit_db: float = MAX_SPLICE_GAIN_DB) -> float:
    """The linear gain that gives `other` the RMS of `reference`, within ±`limit_db`; 1 where either is
    silent (nothing to match)."""
    heard, made = rms(reference), rms(other)
    if heard <= 1e-6 or made <= 1e-6:
        return 1.0
    bound = 10 ** (limit_db / 20)
    return float(np.clip(heard / made, 1 / bound, bound))


def splice(
    source: np.ndarray,
    new: np.ndarray,
    start: int,
    end: int,
    fade: int,
    gain: float | None = None,
    power: bool = False,
) -> tuple[np.ndarray, float]:
    """`source` with samples [start, end) from `new` (both at one rate; `new` at least `end` long), linear
    crossfades of `fade` samples just outside the region, the new part scaled by `gain` (default: the RMS
    match to the source over those crossfades) and kept under the source's peak or −1 dBFS, whichever is
    higher. Returns the result (as long as `end` or the source, whichever is longer) and the gain in dB;
    outside [start − fade, end + fade] every sample is the source's. The crossfades are linear (right for
    a short fade, where the two signals are nearly alike) or, with `power`, equal-power (right for a long
    one between signals whose phases differ, which a linear fade would dip by 3 dB in its middle)."""
    length = max(source.shape[1], end)
    out = np.zeros((source.shape[0], length), dtype=np.float32)
    out[:, : source.shape[1]] = source
    before = slice(max(0, start - fade), start)
    after = slice(end, min(end + fade, source.shape[1]))
    zones = [z for z in (before, after) if z.stop > z.start]
    if gain is None:
        gain = 1.0
        if zones:
            gain = matching_gain(
                np.concatenate([source[:, z] for z in zones], axis=1),
                np.concatenate([new[:, z] for z in zones], axis=1),
            )
    # never louder than the source's own peak or −1 dBFS, whichever is higher: no clipping comes in
    ceiling = max(float(np.abs(source).max(initial=0.0)), 10 ** (-1 / 20))
    new_peak = float(np.abs(new[:, max(0, start - fade) : end + fade]).max(initial=0.0)) * gain
    if new_peak > ceiling:
        gain *= ceiling / new_peak
    scaled = new[:, :length].astype(np.float32) * np.float32(gain)
    out[:, start:end] = scaled[:, start:end]
    for zone, rising in ((before, True), (after, False)):
        n = zone.stop - zone.start
        if n <= 0:
            continue
        if power:
            fade_out, fade_in = equal_power(n)
            kept, taken = (fade_out, fade_in) if rising else (fade_in, fade_out)
        else:
            ramp = np.arange(1, n + 1, dtype=np.float32) / (n + 1)
            taken = ramp if rising else ramp[::-1]
            kept = 1 - taken
        out[:, zone] = source[:, zone] * kept[None] + scaled[:, zone] * taken[None]
    return out, 20 * math.log10(gain)


def equal_power(samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Fade-out and fade-in gains over `samples` whose squares sum to 1: two unrelated sounds crossfaded
    with them keep their power through the join."""
    angle = (np.arange(samples, dtype=np.float64) + 0.5) / max(samples, 1) * (np.pi / 2)
    return np.cos(angle).astype(np.float32), np.sin(angle).astype(np.float32)


def quietest_point(a: np.ndarray, b: np.ndarray, fade: int) -> int:
    """Where in the overlap of `a` (ending) and `b` (starting), both the same length, a crossfade of `fade`
    samples centred there is quietest in both: the index of that centre (a join at a low-energy point is
    the hardest to hear)."""
    length = a.shape[1]
    if length <= fade:
        return length // 2
    energy = np.square(a, dtype=np.float64).sum(axis=0) + np.square(b, dtype=np.float64).sum(axis=0)
    window = np.convolve(energy, np.ones(fade), mode="valid")  # energy under each crossfade position
    return int(np.argmin(window)) + fade // 2


def fold_loop(audio: np.ndarray, samples: int) -> np.ndarray:
    """A loop of `samples` from audio made `overrun` longer (`overrun` = the rest): the overrun, which
    continues the end, is crossfaded (equal power) into the head. Playing end → start then goes on as
    the sound itself went on, and by the end of the overrun the head is back to its own samples."""
    overrun = audio.shape[1] - samples
    if overrun <= 0 or overrun > samples:
        raise ValueError(
            f"a loop of {samples} samples needs 1 to {samples} samples past its end, got {overrun}"
        )
    out = audio[:, :samples].astype(np.float32, copy=True)
    tail_gain, head_gain = equal_power(overrun)
    out[:, :overrun] = audio[:, samples:] * tail_gain + out[:, :overrun] * head_gain
    return out


# ------------------------------------------------------------------------------------------- measures
@dataclass(frozen=True)
class SeamScore:
    """One point of a file measured as a join; the ratios are to the file's own (≤ 1: ordinary there)."""

    at_s: float
    step_ratio: float  # the largest sample step within 0.5 ms / the 99.9th percentile of the steps around it
    flux_ratio: float  # the spectral flux of the frames holding it / the 99th percentile of the file's flux
    level_step_db: float  # RMS over the half second after − the half second before

    def to_dict(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in self.__dict__.items()}


class SeamMeter:
    """Scores joins of one file against the file itself: a join that is no larger a step, no sharper a
    change of spectrum and no larger a change of level than the file's ordinary moments cannot be heard
    as a join. The file's statistics are computed once."""

    def __init__(self, audio: np.ndarray, rate: int, span: float = 0.5) -> None:
        self.audio, self.rate, self.width = audio, rate, round(span * rate)
        self.steps = np.abs(np.diff(audio, axis=1)).max(axis=0)
        mono = audio.mean(axis=0, dtype=np.float64)
        frames = np.lib.stride_tricks.sliding_window_view(mono, FLUX_FFT)[::FLUX_HOP]
        spectra = np.log(np.abs(np.fft.rfft(frames * np.hanning(FLUX_FFT), axis=1)) + 1e-5)
        self.flux = np.sqrt(np.mean(np.square(np.maximum(np.diff(spectra, axis=0), 0)), axis=1))
        self.flux_scale = max(float(np.percentile(self.flux, 99)), 1e-9) if self.flux.size else 1.0

    def score(self, at: int) -> SeamScore:
        """The point between samples `at − 1` and `at`."""
        click = round(CLICK_SECONDS * self.rate)  # a click lasts at most a millisecond
        here = slice(max(0, at - click), at + click)
        near = np.concatenate(
            [self.steps[max(0, at - self.width) : here.start], self.steps[here.stop : at + self.width]]
        )
        scale = float(np.percentile(near, 99.9)) if near.size else 0.0
        step = float(self.steps[here].max(initial=0.0)) / max(scale, 1e-9)
        first = max(0, (at - FLUX_FFT) // FLUX_HOP)  # flux[t] compares frame t+1 (from (t+1)·hop) with t
        last = min(len(self.flux), at // FLUX_HOP)
        flux = float(self.flux[first:last].max(initial=0.0)) / self.flux_scale
        before = rms(self.audio[:, max(0, at - self.width) : at])
        after = rms(self.audio[:, at : at + self.width])
        level = 20 * math.log10(after / before) if before > 1e-9 and after > 1e-9 else 0.0
        return SeamScore(at / self.rate, step, flux, level)

    def interior(self, avoid: list[int], count: int = ORDINARY_POINTS) -> list[SeamScore]:
        """Up to `count` evenly spaced ordinary points, a second (an eighth of a short file) or more from
        the ends and from every join."""
        margin = min(self.rate, self.audio.shape[1] // 8)
        points = np.linspace(margin, self.audio.shape[1] - margin, count + 2)[1:-1].astype(int)
        return [self.score(int(p)) for p in points if all(abs(int(p) - a) > margin for a in avoid)]

    def check(self, joins: list[int]) -> SeamReport:
        """Judge `joins` (sample indices) against the file's ordinary points; see `SeamReport`."""
        ordinary = self.interior(joins)
        scores = [self.score(at) for at in joins]
        measures = {
            "step_ratio": (lambda s: s.step_ratio, 1.0),
            "flux_ratio": (lambda s: s.flux_ratio, 1.0),
            "level_step_db": (lambda s: abs(s.level_step_db), 3.0),
        }
        outliers, ranks = [], {}
        for name, (value, floor) in measures.items():
            usual = np.array([value(s) for s in ordinary]) if ordinary else np.zeros(1)
            bound = OUTLIER_MARGIN * max(floor, float(usual.max()))
            outliers += [s for s in scores if value(s) > bound and s not in outliers]
            ranks[name] = float(np.mean([np.mean(usual < value(s)) for s in scores])) if scores else 0.0
        return SeamReport(scores, outliers, ranks, len(ordinary))


@dataclass(frozen=True)
class SeamReport:
    """Joins judged against a file's ordinary points. A join is an outlier when a measure passes 1.25 ×
    the largest ordinary value (or its floor: a step or flux ratio of 1, a 3 dB level change — wind gusts
    that much in half a second). If joins cannot be told from ordinary points, the share of ordinary
    points each join exceeds is uniform on [0, 1]: its mean over n joins is 0.5 ± 0.29/√n, so a mean more
    than 2.5 of those deviations above 0.5 says the joins are systematically worse."""

    scores: list[SeamScore]
    outliers: list[SeamScore]
    mean_rank: dict[str, float]
    ordinary_points: int

    @property
    def rank_limit(self) -> float:
        return 0.5 + 2.5 * 0.2887 / math.sqrt(max(1, len(self.scores)))

    @property
    def passed(self) -> bool:
        """No outlier, no systematic excess, and enough of the file to judge by."""
        return (
            self.ordinary_points >= MIN_ORDINARY_POINTS
            and not self.outliers
            and all(rank <= self.rank_limit for rank in self.mean_rank.values())
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "joins": len(self.scores),
            "outliers": [s.to_dict() for s in self.outliers],
            "mean_rank": {k: round(v, 3) for k, v in self.mean_rank.items()},
            "rank_limit": round(self.rank_limit, 3),
        }


def check_seams(audio: np.ndarray, rate: int, joins: list[int]) -> SeamReport:
    """`SeamMeter(audio, rate).check(joins)`."""
    return SeamMeter(audio, rate).check(joins)


def check_loop_seam(audio: np.ndarray, rate: int) -> SeamReport:
    """The seam a loop plays through (last sample → first), judged as a join in the middle of the file
    rotated by half its length."""
    half = audio.shape[1] // 2
    return check_seams(np.roll(audio, half, axis=1), rate, [half])


def block_levels(audio: np.ndarray, rate: int, block: float) -> np.ndarray:
    """Level (dB RMS, all channels) of each whole `block`-second block; of the whole, if shorter."""
    width = max(1, round(block * rate))
    count = audio.shape[1] // width
    if count == 0:
        return np.array([10 * np.log10(np.mean(np.square(audio, dtype=np.float64)) + 1e-12)])
    blocks = audio[:, : count * width].reshape(audio.shape[0], count, width)
    return 10 * np.log10(np.mean(np.square(blocks, dtype=np.float64), axis=(0, 2)) + 1e-12)


def level_range_db(audio: np.ndarray, rate: int, block: float = 1.0) -> tuple[float, float]:
    """(loudest − median, median − quietest) block RMS in dB, over `block`-second blocks: a bed whose
    level stays even has both small; a gap shows as a large second figure."""
    levels = block_levels(audio, rate, block)
    if len(levels) < 2:
        return 0.0, 0.0
    median = float(np.median(levels))
    return float(levels.max()) - median, median - float(levels.min())


@dataclass(frozen=True)
class LevelReport:
    """Whether a long file's level stays even: every 3-second block (EBU's short-term window) within
    ±6 dB of the median, and no 1-second block more than 12 dB under it (a gap)."""

    spread_db: float  # the largest distance of a 3 s block from the median
    deepest_dip_db: float  # how far the quietest 1 s block is under the median

    @property
    def passed(self) -> bool:
        return self.spread_db <= LEVEL_SPREAD_DB and self.deepest_dip_db <= GAP_DIP_DB

    def to_dict(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "spread_db": round(self.spread_db, 2),
            "deepest_dip_db": round(self.deepest_dip_db, 2),
        }


def check_level(audio: np.ndarray, rate: int) -> LevelReport:
    loud, quiet = level_range_db(audio, rate, 3.0)
    _, dip = level_range_db(audio, rate, 1.0)
    return LevelReport(max(loud, quiet), dip)


__all__ = [
    "LevelReport",
    "SeamMeter",
    "SeamReport",
    "SeamScore",
    "block_levels",
    "check_level",
    "check_loop_seam",
    "check_seams",
    "equal_power",
    "fit_channels",
    "fold_loop",
    "level_range_db",
    "matching_gain",
    "quietest_point",
    "rms",
    "splice",
]
