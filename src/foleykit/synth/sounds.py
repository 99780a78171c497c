"""The 24 foley classes, each a small physically motivated model (DESIGN §7).

Every generator takes a `Scene` (random generator, sample rate, duration) and returns the dry sound and
the descriptors its caption may mention (speed, count, size, surface…). Distance and room are applied
afterwards by `foleykit.synth.synthesize`, the same way for every class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from foleykit.synth import dsp


@dataclass
class Scene:
    rng: np.random.Generator
    sr: int
    duration: float

    @property
    def n(self) -> int:
        return dsp.seconds(self.sr, self.duration)

    def buffer(self) -> np.ndarray:
        return np.zeros(self.n)

    def u(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high))

    def pick(self, options: list | tuple) -> Any:
        return options[int(self.rng.integers(len(options)))]


Sound = tuple[np.ndarray, dict[str, Any]]
SPEEDS = {"slow": (0.75, 0.95), "": (0.5, 0.65), "fast": (0.3, 0.4)}


def _resonances(
    s: Scene, duration: float, freqs: np.ndarray, amps: np.ndarray, taus: np.ndarray, width: float = 1.35
) -> np.ndarray:
    """Decaying bands of noise around `freqs` (each `width`× wide): the body of a wooden panel or piece,
    dense enough to sound like wood. Pure decaying sines at inharmonic ratios sound like metal (the
    independent judge hears them as a metal clang)."""
    n = dsp.seconds(s.sr, duration)
    out = np.zeros(n)
    for freq, amp, tau in zip(freqs, amps, taus, strict=True):
        band = dsp.bandpass(dsp.white(s.rng, n), s.sr, freq / width, freq * width, order=2)
        out += amp * band * dsp.attack_decay(n, s.sr, 0.001, tau)
    return out / (np.abs(out).max() + 1e-12)


def _step_times(s: Scene, interval: tuple[float, float]) -> list[float]:
    period = s.u(*interval)
    t, times = s.u(0.05, 0.3), []
    while t < s.duration - 0.2:
        times.append(t)
        t += period * s.u(0.92, 1.08)
    return times


def _footsteps(s: Scene, step: Callable[[Scene, float], np.ndarray]) -> Sound:
    speed = s.pick(list(SPEEDS))
    out = s.buffer()
    weight = s.u(0.7, 1.3)
    for i, t in enumerate(_step_times(s, SPEEDS[speed])):
        heel = step(s, weight)
        toe = 0.45 * step(s, weight * 0.6)
        start = int(t * s.sr)
        gain = s.u(0.75, 1.0) * (1.0 if i % 2 else 0.9)
        dsp.place(out, heel, start, gain)
        dsp.place(out, toe, start + int(s.u(0.05, 0.09) * s.sr), gain)
    return out, {"speed": speed}


def _heel_thump(s: Scene, seconds: float) -> np.ndarray:
    """The body's weight landing. Corpus7's recorded steps carry 6-20 % of their energy at 30-125 Hz (medians:
    gravel 6, concrete 8, wood 20 %), synthesised ones carried none, and the independent judge heard them as drips,
    chirps or wood impacts (session 43). The thumps below are heavier than the recordings' (12-40 %): lighter
    ones were not tried."""
    return dsp.modes(s.sr, seconds, np.array([s.u(55, 95)]), np.array([1.0]), np.array([0.03]))


def _crunch(
    s: Scene,
    weight: float,
    band: tuple[float, float],
    seconds: tuple[float, float],
    grains: tuple[int, int],
    tau: float,
    thump_gain: float,
) -> np.ndarray:
    """A sole grinding loose grains: `grains` (a range, scaled by the step's weight) 2-8 ms noise bursts bunched
    early in a step `seconds` long, kept to `band` (Hz), decaying with time constant `tau`, over a heel thump
    `thump_gain` of the crunch's peak."""
    n = int(s.u(*seconds) * s.sr)
    crunch = np.zeros(n)
    for _ in range(int(s.u(*grains) * weight)):
        k = max(int(s.u(0.002, 0.008) * s.sr), 4)
        grain = dsp.white(s.rng, k) * np.hanning(k)
        dsp.place(crunch, grain, int(s.rng.beta(1.5, 2.5) * (n - k)), s.u(0.2, 1.0))
    crunch = dsp.bandpass(crunch, s.sr, *band) * dsp.attack_decay(n, s.sr, 0.01, tau)
    crunch /= np.abs(crunch).max() + 1e-12
    return weight * (crunch + thump_gain * _heel_thump(s, n / s.sr)[:n])


def _gravel_step(s: Scene, weight: float) -> np.ndarray:
    # real gravel steps: a dense crunch lasting a quarter second or more, bright up to ~9 kHz; a light thump keeps
    # it bright (dry: 41 of 60 recognised, at thump 0.5 37; session 43's scratch variants)
    return _crunch(s, weight, (800.0, 9000.0), (0.25, 0.35), (150, 250), 0.12, 0.3)


def _wood_step(s: Scene, weight: float) -> np.ndarray:
    # real wooden-floor steps peak below 500 Hz and fall ~25 dB by 2 kHz: a short, damped board thud
    dur = 0.2
    f0 = s.u(170, 300)
    body = dsp.modes(
        s.sr,
        dur,
        f0 * np.array([1.0, 1.9, 3.1]),
        np.array([1.0, 0.55, 0.25]),
        np.array([0.022, 0.014, 0.009]),
        s.rng,
    )
    n = dsp.seconds(s.sr, dur)
    click = dsp.bandpass(dsp.white(s.rng, n), s.sr, 250.0, 2200.0) * dsp.attack_decay(n, s.sr, 0.002, 0.018)
    return weight * (body + 0.9 * click + 0.8 * _heel_thump(s, dur))


def _concrete_step(s: Scene, weight: float) -> np.ndarray:
    # real concrete and stone steps: a short gritty scuff of a hard sole, darker and shorter than gravel's
    return _crunch(s, weight, (300.0, 4500.0), (0.12, 0.2), (60, 120), 0.05, 0.5)


def footsteps_gravel(s: Scene) -> Sound:
    return _footsteps(s, _gravel_step)


def footsteps_wood(s: Scene) -> Sound:
    return _footsteps(s, _wood_step)


def footsteps_concrete(s: Scene) -> Sound:
    return _footsteps(s, _concrete_step)


def _knock(s: Scene, f0: float) -> np.ndarray:
    dur = 0.2
    ratios = np.array([1.0, 1.58, 2.42, 3.3])
    body = dsp.modes(
        s.sr, dur, f0 * ratios, np.array([1.0, 0.6, 0.35, 0.2]), np.array([0.035, 0.025, 0.018, 0.012]), s.rng
    )
    n = dsp.seconds(s.sr, dur)
    contact = dsp.bandpass(dsp.white(s.rng, n), s.sr, 800.0, 4000.0) * dsp.decay(n, s.sr, 0.003)
    return body + 0.8 * contact


def door_knock(s: Scene) -> Sound:
    count = int(s.rng.integers(2, 6))
    out = s.buffer()
    f0 = s.u(140, 320)
    t = s.u(0.1, 0.4)
    gap = s.u(0.16, 0.3)
    for _ in range(count):
        dsp.place(out, _knock(s, f0 * s.u(0.97, 1.03)), int(t * s.sr), s.u(0.8, 1.0))
        t += gap * s.u(0.9, 1.1)
    return out, {"count": count}


def door_slam(s: Scene) -> Sound:
    # real slams are broadband (within ~8 dB from 50 Hz to 2 kHz) and short: a damped panel thud and a
    # wide crack, not long-ringing inharmonic modes (which the judge hears as metal)
    out = s.buffer()
    t0 = int(s.u(0.1, 0.5) * s.sr)
    n = dsp.seconds(s.sr, 1.2)
    f0 = s.u(70, 130)
    body = _resonances(
        s,
        1.2,
        f0 * np.array([1.0, 1.6, 2.5, 3.7]),
        np.array([1.0, 0.6, 0.35, 0.2]),
        np.array([0.09, 0.06, 0.04, 0.03]),
    )
    crack = dsp.bandpass(dsp.white(s.rng, n), s.sr, 100.0, 2500.0) * dsp.attack_decay(n, s.sr, 0.001, 0.045)
    thud = dsp.bandpass(dsp.white(s.rng, n), s.sr, 40.0, 400.0) * dsp.attack_decay(n, s.sr, 0.003, 0.12)
    rattle = 0.06 * _resonances(
        s, 1.2, np.array([s.u(600, 1100), s.u(1300, 2200)]), np.array([1.0, 0.7]), np.array([0.05, 0.04])
    )
    dsp.place(out, 0.6 * body + crack + 1.2 * thud + rattle, t0)
    latch = dsp.bandpass(dsp.white(s.rng, int(0.02 * s.sr)), s.sr, 2000.0, 8000.0) * dsp.decay(
        int(0.02 * s.sr), s.sr, 0.003
    )
    dsp.place(out, latch, t0 + int(s.u(0.03, 0.08) * s.sr), 0.25)
    return out, {"size": s.pick(["", "heavy"])}


def door_creak(s: Scene) -> Sound:
    length = min(s.u(1.0, 2.8), max(s.duration - 0.3, 0.1))
    n = dsp.seconds(s.sr, length)
    t = np.arange(n) / s.sr
    # stick-slip friction: the slip rate wanders slowly, the pulses excite the door's resonances
    rate = (
        s.u(35, 80)
        * (1 + 0.6 * np.sin(2 * np.pi * s.u(0.3, 1.0) * t + s.u(0, 6)))
        * (1 + 0.3 * np.cumsum(s.rng.standard_normal(n)) / np.sqrt(n) / 3)
    )
    phase = np.cumsum(np.maximum(rate, 10.0)) / s.sr
    pulses = (np.diff(np.floor(phase), prepend=0) > 0).astype(float) * (1 + 0.3 * s.rng.standard_normal(n))
    body = sum(
        dsp.bandpass(pulses, s.sr, f * 0.9, f * 1.1, order=2) * a
        for f, a in ((s.u(400, 700), 1.0), (s.u(1100, 1600), 0.6), (s.u(2200, 3200), 0.3))
    )
    env = np.sin(np.pi * np.clip(t / length, 0, 1)) ** 0.5
    out = s.buffer()
    dsp.place(out, body * env, int(s.u(0.05, 0.3) * s.sr))
    return out, {"speed": s.pick(["slow", ""])}


def glass_shatter(s: Scene) -> Sound:
    out = s.buffer()
    t0 = int(s.u(0.1, 0.4) * s.sr)
    n = dsp.seconds(s.sr, 0.3)
    dsp.place(out, dsp.bandpass(dsp.white(s.rng, n), s.sr, 1500.0, 11000.0) * dsp.decay(n, s.sr, 0.03), t0)
    shards = int(s.u(40, 120))
    for _ in range(shards):
        f = s.u(2500, 10000)
        piece = dsp.modes(
            s.sr,
            0.15,
            np.array([f, f * s.u(1.3, 2.1)]),
            np.array([1.0, 0.5]),
            np.array([s.u(0.01, 0.05)] * 2),
            s.rng,
        )
        delay = s.rng.exponential(0.25)
        dsp.place(out, piece, t0 + int(delay * s.sr), s.u(0.05, 0.4) * np.exp(-delay * 2))
    return out, {"size": s.pick(["", "large", "small"])}


def thunder(s: Scene) -> Sound:
    n = s.n
    t = np.arange(n) / s.sr
    start = s.u(0.1, 0.6)
    crack = s.rng.random() < 0.5
    rumble = dsp.bandpass(dsp.brown(s.rng, n), s.sr, 25.0, 400.0) * 3
    swell = np.clip((t - start) / 0.3, 0, 1) * np.exp(-np.maximum(t - start, 0) / s.u(0.8, 2.0))
    rolls = 1 + 0.6 * dsp.bandpass(s.rng.standard_normal(n), s.sr, None, 4.0, order=2) * 40
    out = rumble * swell * np.clip(rolls, 0.2, None)
    if crack:
        m = dsp.seconds(s.sr, 0.5)
        dsp.place(
            out,
            dsp.bandpass(dsp.white(s.rng, m), s.sr, 300.0, 5000.0) * dsp.decay(m, s.sr, 0.08) * 0.8,
            int(start * s.sr),
        )
    return out, {"size": "" if crack else "rolling"}


def rain(s: Scene) -> Sound:
    heavy = s.rng.random() < 0.5
    n = s.n
    out = dsp.bandpass(dsp.pink(s.rng, n), s.sr, 400.0, 9000.0) * (0.25 if heavy else 0.12)
    drops = int(s.duration * (s.u(900, 1800) if heavy else s.u(250, 600)))
    for _ in range(drops):  # each drop a tiny damped, slightly rising resonance
        f = s.u(1800, 7000)
        m = int(s.u(0.004, 0.012) * s.sr)
        drop = np.sin(2 * np.pi * f * (1 + 0.3 * np.arange(m) / m) * np.arange(m) / s.sr) * dsp.decay(
            m, s.sr, 0.003
        )
        dsp.place(out, drop, int(s.rng.integers(0, n)), s.u(0.05, 0.35))
    return out, {"size": "heavy" if heavy else "light"}


def wind(s: Scene) -> Sound:
    # real wind recordings put their energy at 125-500 Hz and fall ~30 dB by 1.3 kHz: a dark, gusting
    # roar with at most a faint whistle, not the hiss of broadband noise
    n = s.n
    t = np.arange(n) / s.sr
    gust = 0.5 + 0.5 * np.clip(dsp.bandpass(s.rng.standard_normal(n), s.sr, None, 0.8, order=2) * 60, -1, 1)
    noise = dsp.pink(s.rng, n)
    centre = s.u(150, 350)
    low = dsp.bandpass(noise, s.sr, centre * 0.5, centre * 2.0, order=2)
    high = dsp.bandpass(noise, s.sr, centre * 2, centre * 4, order=2) * gust
    whistle = 0.0
    if s.rng.random() < 0.4:
        whistle = (
            0.05 * dsp.bandpass(dsp.white(s.rng, n), s.sr, centre * 2.9, centre * 3.1, order=2) * gust**2
        )
    env = np.clip(t / 0.5, 0, 1)
    roar = low * (0.3 + 0.7 * gust) + 0.3 * high + whistle
    return dsp.bandpass(roar, s.sr, None, 1100.0, order=4) * env, {"size": s.pick(["", "strong", "gentle"])}


# A faint bed of air under sounds that are never heard against digital silence: corpus7's recorded birds and
# drips sit on a floor 13-46 dB and 26-62 dB below their peak (10th-percentile 20 ms frame's RMS); the
# synthesiser's were exact zeros between events, which the independent judge heard as beeps
# (bench/synth_realism.py, MODEL.md session 44). (the bed's peak as a share of the clip's, band in Hz; its 20 ms
# frames' RMS lies ~13 dB under its peak: -54 and -64 dB, quieter than every recording's floor)
BIRD_AMBIENCE = (0.01, (300.0, 6000.0))  # peak -40 dB: birds outdoors
DRIP_AMBIENCE = (0.003, (300.0, 6000.0))  # peak -50 dB: a cave's or a kitchen's air


def _over_ambience(s: Scene, out: np.ndarray, ambience: tuple[float, tuple[float, float]]) -> np.ndarray:
    """`out` at unit peak over a pink-noise bed peaking at `ambience[0]` of that, in the band `ambience[1]`. The bed
    is drawn after the events, so a seed keeps its events; what `synthesize` draws after the generator (distance,
    room, caption) moved on for birds and drips when the bed came in (session 44)."""
    level, (low, high) = ambience
    bed = dsp.bandpass(dsp.pink(s.rng, len(out)), s.sr, low, high)
    return out / (np.abs(out).max() + 1e-12) + level * bed / (np.abs(bed).max() + 1e-12)


def _drop(s: Scene, f: float) -> np.ndarray:
    """One drop falling into water: the impact's broadband splash (~12 ms), then the entrained air bubble's
    resonance gliding upward as it shrinks (Minnaert). The bubble alone is a pure chirp, which the independent
    judge heard as a beep when dry (bench/synth_realism.py, fresh seeds: dry drips 0 of 23 recognised as the
    chirp, 14 of 17 with the splash)."""
    m = int(0.12 * s.sr)
    bubble = dsp.chirp(s.sr, 0.12, f, f * s.u(1.8, 2.6))[:m] * dsp.attack_decay(m, s.sr, 0.001, 0.02)
    splash = dsp.bandpass(dsp.white(s.rng, m), s.sr, 800.0, 9000.0, order=2) * dsp.attack_decay(
        m, s.sr, 0.0005, 0.012
    )
    return bubble + s.u(0.3, 0.7) * splash / (np.abs(splash).max() + 1e-12)


def water_drip(s: Scene) -> Sound:
    out = s.buffer()
    rate = s.u(0.6, 3.0)  # a leaking tap or a cave: a drop every 0.4-1.7 s on average, no fast patter
    t = s.u(0.05, 0.4)
    f0 = s.u(600, 1400)
    while t < s.duration - 0.15:
        dsp.place(out, _drop(s, f0 * s.u(0.85, 1.15)), int(t * s.sr), s.u(0.6, 1.0))
        t += s.rng.exponential(1 / rate) + 0.08
    return _over_ambience(s, out, DRIP_AMBIENCE), {"speed": "slow" if rate < 2 else ""}


def fire_crackle(s: Scene) -> Sound:
    n = s.n
    out = dsp.bandpass(dsp.brown(s.rng, n), s.sr, 40.0, 600.0) * 0.3
    for _ in range(int(s.duration * s.u(8, 30))):
        m = int(s.u(0.001, 0.006) * s.sr)
        crackle = dsp.bandpass(dsp.white(s.rng, m + 32), s.sr, 1000.0, 9000.0, order=2)[:m] * dsp.decay(
            m, s.sr, 0.0015
        )
        dsp.place(out, crackle, int(s.rng.integers(0, n)), s.rng.pareto(2.5) * 0.3 + 0.1)
    return out, {"size": s.pick(["", "small", "roaring"])}


def whoosh(s: Scene) -> Sound:
    speed = s.pick(["fast", "", "slow"])
    length = {"fast": s.u(0.25, 0.5), "": s.u(0.5, 0.9), "slow": s.u(0.9, 1.6)}[speed]
    n = dsp.seconds(s.sr, length)
    x = dsp.white(s.rng, n)
    # noise whose spectral centre rises and falls as the object approaches and passes: a bank of
    # fixed bands, each weighted by its distance (in octaves) from the moving centre
    progress = np.sin(np.pi * np.linspace(0, 1, n))
    centre = np.exp(np.log(s.u(300, 600)) + progress * np.log(s.u(4, 10)))
    out_seg = np.zeros(n)
    for c in np.geomspace(250, 8000, 10):
        weight = np.exp(-((np.log2(c) - np.log2(centre)) ** 2) / (2 * 0.6**2))
        out_seg += dsp.bandpass(x, s.sr, c / 1.4, c * 1.4, order=2) * weight
    env = np.sin(np.pi * np.linspace(0, 1, n)) ** 2
    out = s.buffer()
    dsp.place(out, out_seg * env, int(s.u(0.1, max(0.15, s.duration - length - 0.1)) * s.sr))
    return out, {"speed": speed}


def metal_clang(s: Scene) -> Sound:
    f0 = s.u(180, 700)
    ratios = np.array([1.0, 2.76, 5.40, 8.93, 13.34])  # free-free bar modes
    ratios = ratios * (1 + 0.02 * s.rng.standard_normal(len(ratios)))
    tau = s.u(0.6, 2.0)
    body = dsp.modes(
        s.sr,
        s.duration,
        f0 * ratios,
        np.array([1.0, 0.7, 0.5, 0.3, 0.2]),
        tau / np.sqrt(np.arange(1, 6)),
        s.rng,
    )
    n = dsp.seconds(s.sr, 0.05)
    strike = dsp.bandpass(dsp.white(s.rng, n), s.sr, 2000.0, 10000.0) * dsp.decay(n, s.sr, 0.004)
    out = s.buffer()
    dsp.place(out, body[: s.n] + np.pad(strike, (0, max(0, s.n - n)))[: s.n], int(s.u(0.05, 0.3) * s.sr))
    return out, {"size": "large" if f0 < 350 else "small"}


def wood_impact(s: Scene) -> Sound:
    # real wood hits are flat within ~7 dB from 80 Hz to 8 kHz: a low knock of the piece, its ring, and
    # a bright contact crack
    out = s.buffer()
    count = int(s.rng.integers(1, 4))
    t = s.u(0.1, 0.4)
    for _ in range(count):
        f0 = s.u(150, 500)
        body = _resonances(
            s,
            0.3,
            f0 * np.array([1.0, 2.6, 4.1]),
            np.array([1.0, 0.5, 0.3]),
            np.array([0.04, 0.025, 0.015]) * s.u(0.7, 1.5),
        )
        n = dsp.seconds(s.sr, 0.3)
        contact = dsp.bandpass(dsp.white(s.rng, n), s.sr, 500.0, 11000.0) * dsp.decay(n, s.sr, 0.006)
        knock = dsp.bandpass(dsp.white(s.rng, n), s.sr, 50.0, 400.0) * dsp.attack_decay(n, s.sr, 0.002, 0.04)
        dsp.place(out, body + 1.2 * contact + 3.0 * knock, int(t * s.sr), s.u(0.7, 1.0))
        t += s.u(0.4, 0.9)
    return out, {"count": count}


def punch_impact(s: Scene) -> Sound:
    out = s.buffer()
    t0 = int(s.u(0.15, 0.5) * s.sr)
    n = dsp.seconds(s.sr, 0.4)
    thump = dsp.chirp(s.sr, 0.4, s.u(110, 160), s.u(45, 60))[:n] * dsp.attack_decay(n, s.sr, 0.002, 0.07)
    slap = dsp.bandpass(dsp.white(s.rng, n), s.sr, 700.0, 4000.0) * dsp.decay(n, s.sr, 0.012)
    dsp.place(out, thump + 0.7 * slap, t0)
    cloth = (
        dsp.bandpass(dsp.white(s.rng, int(0.12 * s.sr)), s.sr, 500.0, 3000.0)
        * np.hanning(int(0.12 * s.sr))
        * 0.15
    )
    dsp.place(out, cloth, max(t0 - int(0.12 * s.sr), 0))
    return out, {"size": s.pick(["", "heavy"])}


def bell(s: Scene) -> Sound:
    f0 = s.u(250, 1400)
    ratios = np.array([0.5, 1.0, 1.183, 1.506, 2.0, 2.514, 2.662, 3.011])  # church-bell partials
    amps = np.array([0.6, 1.0, 0.6, 0.5, 0.45, 0.3, 0.25, 0.2])
    tau = s.u(1.0, 3.0) * (500 / f0) ** 0.3
    taus = tau / np.linspace(1, 3, len(ratios))
    out = s.buffer()
    strikes = int(s.rng.integers(1, 3))
    t = s.u(0.05, 0.3)
    for _ in range(strikes):
        dsp.place(out, dsp.modes(s.sr, s.duration, f0 * ratios, amps, taus, s.rng), int(t * s.sr))
        t += s.u(1.2, 2.0)
    return out, {"size": "large" if f0 < 500 else "small", "count": strikes}


def beep(s: Scene) -> Sound:
    count = int(s.rng.integers(1, 5))
    f = s.pick([440.0, 600.0, 800.0, 1000.0, 1200.0, 1600.0, 2000.0])
    length = s.u(0.08, 0.3)
    gap = s.u(0.1, 0.3)
    out = s.buffer()
    n = dsp.seconds(s.sr, length)
    ramp = min(int(0.004 * s.sr), n // 2)
    env = np.ones(n)
    env[:ramp] = np.linspace(0, 1, ramp)
    env[n - ramp :] = np.linspace(1, 0, ramp)
    tone = np.sin(2 * np.pi * f * np.arange(n) / s.sr) * env
    t = s.u(0.1, 0.3)
    for _ in range(count):
        dsp.place(out, tone, int(t * s.sr))
        t += length + gap
    return out, {"count": count, "size": "high" if f >= 1200 else ""}


def engine_idle(s: Scene) -> Sound:
    n = s.n
    t = np.arange(n) / s.sr
    firing = s.u(18, 45) * (1 + 0.02 * np.sin(2 * np.pi * s.u(0.2, 0.6) * t))
    phase = np.cumsum(firing) / s.sr
    pulses = (np.diff(np.floor(phase), prepend=0) > 0).astype(float) * (1 + 0.15 * s.rng.standard_normal(n))
    body = (
        dsp.bandpass(pulses, s.sr, 30.0, 800.0) * 6
        + dsp.bandpass(dsp.white(s.rng, n), s.sr, 100.0, 2000.0) * 0.05
    )
    env = np.clip(t / 0.3, 0, 1)
    return body * env, {"size": "large" if firing.mean() < 28 else "small"}


def explosion(s: Scene) -> Sound:
    n = s.n
    t = np.arange(n) / s.sr
    start = s.u(0.1, 0.4)
    tail = s.u(0.8, 2.0)
    env = np.clip((t - start) / 0.005, 0, 1) * np.exp(-np.maximum(t - start, 0) / tail)
    body = (
        dsp.bandpass(dsp.brown(s.rng, n), s.sr, 20.0, 500.0) * 2.0
        + dsp.bandpass(dsp.white(s.rng, n), s.sr, 200.0, 6000.0)
        * np.exp(-np.maximum(t - start, 0) / 0.15)
        * 0.6
    )
    out = body * env
    for _ in range(int(s.u(10, 40))):  # debris
        m = int(0.01 * s.sr)
        bit = dsp.bandpass(dsp.white(s.rng, m + 32), s.sr, 1500.0, 8000.0, order=2)[:m] * dsp.decay(
            m, s.sr, 0.002
        )
        dsp.place(out, bit, int((start + s.rng.exponential(0.6)) * s.sr), s.u(0.02, 0.15))
    return out, {"size": s.pick(["", "huge", "small"])}


def keyboard_typing(s: Scene) -> Sound:
    speed = s.pick(["fast", "", "slow"])
    rate = {"fast": s.u(9, 13), "": s.u(5, 8), "slow": s.u(2.5, 4)}[speed]
    out = s.buffer()
    t = s.u(0.05, 0.2)
    while t < s.duration - 0.15:
        space = s.rng.random() < 0.12
        for offset, gain in ((0.0, 1.0), (s.u(0.06, 0.1), 0.5)):  # press, then release
            m = int(0.03 * s.sr)
            low, high = (600.0, 3000.0) if space else (1500.0, 7000.0)
            click = dsp.bandpass(dsp.white(s.rng, m), s.sr, low, high) * dsp.decay(m, s.sr, 0.004)
            click += dsp.modes(s.sr, 0.03, np.array([s.u(1800, 3500)]), np.array([0.3]), np.array([0.006]))
            dsp.place(out, click, int((t + offset) * s.sr), gain * s.u(0.6, 1.0))
        t += s.rng.exponential(1 / rate) * 0.7 + 0.3 / rate
    return out, {"speed": speed}


def bird_chirp(s: Scene) -> Sound:
    out = s.buffer()
    t = s.u(0.05, 0.3)
    base = s.u(2500, 5000)
    while t < s.duration - 0.3:
        for _ in range(int(s.rng.integers(2, 6))):  # a phrase of syllables
            length = s.u(0.04, 0.12)
            f0, f1 = base * s.u(0.8, 1.2), base * s.u(0.6, 1.6)
            n = dsp.seconds(s.sr, length)
            syl = dsp.chirp(s.sr, length, f0, f1)[:n] * np.hanning(n)
            dsp.place(out, syl, int(t * s.sr), s.u(0.6, 1.0))
            t += length + s.u(0.02, 0.08)
        t += s.u(0.3, 1.2)
    size = s.pick(["", "small"])
    return _over_ambience(s, out, BIRD_AMBIENCE), {"size": size}


def clock_tick(s: Scene) -> Sound:
    period = s.pick([0.5, 1.0])
    out = s.buffer()
    f = s.u(2500, 5000)
    t = s.u(0.05, 0.3)
    i = 0
    while t < s.duration - 0.05:
        ff = f * (1.0 if i % 2 == 0 else 0.85)  # tick, tock
        m = int(0.03 * s.sr)
        tick = dsp.modes(
            s.sr, 0.03, np.array([ff, ff * 1.5]), np.array([1.0, 0.4]), np.array([0.004, 0.003]), s.rng
        )
        tick += dsp.bandpass(dsp.white(s.rng, m), s.sr, 2000.0, 9000.0) * dsp.decay(m, s.sr, 0.001)
        dsp.place(out, tick, int(t * s.sr))
        t += period
        i += 1
    return out, {"speed": "fast" if period < 1 else ""}


def heartbeat(s: Scene) -> Sound:
    bpm = s.u(50, 130)
    out = s.buffer()
    t = s.u(0.05, 0.3)
    while t < s.duration - 0.4:
        for delay, gain in ((0.0, 1.0), (s.u(0.25, 0.35) * (60 / bpm) ** 0.5, 0.7)):  # lub, dub
            n = dsp.seconds(s.sr, 0.15)
            f = s.u(40, 70)
            beat = np.sin(2 * np.pi * f * np.arange(n) / s.sr) * dsp.attack_decay(n, s.sr, 0.01, 0.035)
            dsp.place(out, beat, int((t + delay) * s.sr), gain)
        t += 60 / bpm
    return out, {"speed": "fast" if bpm > 100 else "slow" if bpm < 65 else ""}


GENERATORS: dict[str, Callable[[Scene], Sound]] = {
    f.__name__: f
    for f in (
        footsteps_gravel, footsteps_wood, footsteps_concrete, door_knock, door_slam, door_creak,
        glass_shatter, thunder, rain, wind, water_drip, fire_crackle, whoosh, metal_clang, wood_impact,
        punch_impact, bell, beep, engine_idle, explosion, keyboard_typing, bird_chirp, clock_tick, heartbeat,
    )
}  # fmt: skip
