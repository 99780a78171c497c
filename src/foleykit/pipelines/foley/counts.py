"""Takes that hold as many events as their prompt counts: "three knocks on a door" three knocks, "a single
beep" one beep, "three footsteps" three steps.

The model learnt counts only from the synthesiser's knocks, bells, beeps and hits, and follows them loosely
(version 14: 16 of 80 dev takes of counted prompts held their count; "three footsteps on wood" walked on for six
to eight steps, "a stick hitting wood twice" hit once). Where the pipeline's `match_counts` is on, a take with
more events than its prompt counts keeps the first ones and is brought down to its own floor from the dip after
the last of them, as an editor would gate it; a take with fewer (a prompt that asks for no walk: walks are
walks.py's) gets copies of its own loudest event pasted after its last one, at the pace of its own events (or
the pace the prompt states), each 0 to 4 dB below it: a counted sound is one source struck again, as a
knocking hand or a beeping device is — and, with `copy_detune_cents` (version 16), each copy played up to that
many cents higher or lower, as a sampler detunes a repeated hit, so that no copy is the same hit again.

This works on the decoded waveform, where the events are read as `bench/anchor_quality.py` counts them (10 ms
RMS frames; walks.py's thresholds): the mel frames walks.py reads are four times longer and merge drops or
knocks that a listener hears apart. For a prompt that asks for steps, the peaks within `STEP_SPAN_SECONDS` of a
step's first (heel, toe, scuff) are that step. No maintained library edits the number of events in a sound
(librosa, not a dependency, detects onsets but edits nothing), so this is written by hand over scipy's
`find_peaks`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import soxr

from foleykit.pipelines.foley.walks import (
    CUT_AFTER_SECONDS,
    CUT_BEFORE_SECONDS,
    END_MARGIN_SECONDS,
    STEP_FADE_DB,
    STEP_GAIN_DB,
    STEP_JITTER,
    STEP_SPAN_SECONDS,
    group_peaks,
    level_peaks,
)

# seconds between copies where the take holds one event, by the speed its prompt states (a knocking hand's
# unhurried three knocks a second, a slow bell's or hammer's pace, a fast beeper's)
REPEAT_INTERVALS: dict[str | None, tuple[float, float]] = {
    "slow": (0.6, 0.9),
    None: (0.3, 0.45),
    "fast": (0.18, 0.25),
}
FRAME_SECONDS = 0.01  # the RMS frames events are read in
QUIET_SECONDS = 0.05  # the fade from the take into its floor after the last event kept
FLOOR_PERCENTILE = 20  # a take's floor: the RMS of its quieter frames (its room and noise)
# a take whose floor is within this of its loudest frame holds a sound that goes on (a ringing bell, a running
# tap, rain): its events are swells of it, and neither cutting it after one nor pasting a strike over it gives
# a count (version 14's counted takes: sustained ones -22 to -33 dB, struck ones -70 dB and below)
SUSTAINED_FLOOR_DB = -45.0
COPY_FADE_SHARE = 1 / 3  # a copy's last third decays to STEP_FADE_DB, as a step's cut does in walks.py
EASE_SECONDS = 0.005  # a copy played lower and cut back to its length eases to nothing over its last 5 ms


def rms_frames(mono: np.ndarray, rate: int) -> tuple[np.ndarray, int]:
    """The RMS of `mono` in `FRAME_SECONDS` frames, and the frame's length in samples."""
    hop = max(1, round(rate * FRAME_SECONDS))
    frames = len(mono) // hop
    squares = np.square(np.asarray(mono[: frames * hop], dtype=np.float64)).reshape(frames, hop)
    return np.sqrt(squares.mean(axis=1)), hop


def envelope_peaks(envelope: np.ndarray) -> np.ndarray:
    """The RMS frames where events peak in an RMS envelope (walks.py's `level_peaks`: 12 dB above the dips
    beside them, within 30 dB of the loudest, 100 ms apart)."""
    if len(envelope) == 0:
        return np.zeros(0, dtype=int)
    return level_peaks(20 * np.log10(envelope / (envelope.max() + 1e-12) + 1e-6), FRAME_SECONDS)


def event_peaks(mono: np.ndarray, rate: int) -> np.ndarray:
    """The RMS frames where the take's events peak; an event at the very first frame counts."""
    return envelope_peaks(rms_frames(mono, rate)[0])


def event_spans(mono: np.ndarray, rate: int, span_seconds: float = 0.0) -> list[tuple[int, int]]:
    """(first, last) peak frame of each event: peaks within `span_seconds` of an event's first belong to it."""
    return group_peaks(event_peaks(mono, rate).tolist(), FRAME_SECONDS, span_seconds)


@dataclass(frozen=True)
class CountPlan:
    """What a take whose prompt counts its events holds, read once: its events and the count asked."""

    spans: list[tuple[int, int]]  # (first, last) peak RMS frame of each event
    count: int  # the events the prompt asks for
    speed: str | None  # the speed the prompt states
    span_seconds: float  # peaks this close to an event's first are that event (a step's heel and toe)
    quiet_from: int | None = None  # where it holds more: the RMS frame from which the rest is quieted


def plan_count(mono: np.ndarray, rate: int, count: int, speed: str | None, steps: bool) -> CountPlan | None:
    """The plan for giving a take `count` events, or None where it needs none or cannot have them: it holds
    them already, holds none to repeat, holds a sound that goes on (`SUSTAINED_FLOOR_DB`), or needs more and
    asks for steps (`steps`: walks.py lays walks out)."""
    envelope, _ = rms_frames(mono, rate)  # read once: the events, the floor, the dip
    span = STEP_SPAN_SECONDS if steps else 0.0
    spans = group_peaks(envelope_peaks(envelope).tolist(), FRAME_SECONDS, span)
    if len(spans) == count or not spans or (len(spans) < count and steps) or sustained(envelope):
        return None
    quiet_from = kept_until(envelope, spans, count) if len(spans) > count else None
    return CountPlan(spans, count, speed, span, quiet_from)


def sustained(envelope: np.ndarray) -> bool:
    """Whether a take's floor (its RMS `envelope`'s) lies within `SUSTAINED_FLOOR_DB` of its loudest frame."""
    floor = np.percentile(envelope, FLOOR_PERCENTILE) if len(envelope) else 0.0
    return bool(floor > envelope.max(initial=0.0) * 10 ** (SUSTAINED_FLOOR_DB / 20))


def kept_until(envelope: np.ndarray, spans: list[tuple[int, int]], count: int) -> int:
    """The RMS frame after which a take holding more than `count` events (`spans`) is quieted: the quietest
    frame between its `count`-th event and the next. The events are those read against the whole take's
    loudest frame: once a louder event is cut, a faint bump before it would stand out against what is left,
    but it is no more audible than it was (the bench that counts takes reads the take afresh, and so counts
    such a bump)."""
    last, following = spans[count - 1][1], spans[count][0]
    return last + 1 + int(envelope[last + 1 : following + 1].argmin())  # never the kept peak itself


def quiet_after(mono: np.ndarray, rate: int, plan: CountPlan) -> np.ndarray:
    """`mono` brought down to its floor from the plan's `quiet_from` frame on, through a fade of at most
    `QUIET_SECONDS` that ends there and starts after the last kept event's peak: what the count leaves out is
    gone, what it keeps keeps its level, and the room stays."""
    envelope, hop = rms_frames(mono, rate)
    dip, kept_peak = plan.quiet_from, plan.spans[plan.count - 1][1]
    floor = np.percentile(envelope, FLOOR_PERCENTILE)
    gate = np.minimum(1.0, floor / np.maximum(envelope, 1e-12))  # each frame at most the floor
    # each frame's gain no more than its neighbours': an attack at a frame's edge falls under its own gain,
    # not under the gain eased towards it from the quiet frame before
    edged = np.pad(gate, 1, mode="edge")
    gate = np.minimum.reduce([gate, edged[:-2], edged[2:]])
    begin = max(dip - round(QUIET_SECONDS / FRAME_SECONDS), kept_peak + 1)
    share = np.clip((np.arange(len(envelope)) - begin + 1) / (dip - begin + 1), 0.0, 1.0)
    frame_gain = 1.0 - share * (1.0 - gate)
    centres = (np.arange(len(envelope)) + 0.5) * hop
    gain = np.interp(np.arange(len(mono)), centres, frame_gain)  # past the last frame: its gain
    gain[: (kept_peak + 1) * hop] = 1.0  # up to the end of the kept peak's frame, as it was
    return (mono * gain).astype(mono.dtype)


def repeat_onsets(plan: CountPlan, seconds: float, rng: np.random.Generator) -> tuple[list[float], float]:
    """When (seconds) the copies after the take's last event peak, until the count or the take's end, and the
    interval between them: the take's own median event interval where it holds two events or more, else one
    drawn for the prompt's speed."""
    peaks = [first * FRAME_SECONDS for first, _ in plan.spans]
    if len(peaks) > 1:
        interval = float(np.median(np.diff(peaks)))
    else:
        interval = float(rng.uniform(*REPEAT_INTERVALS.get(plan.speed, REPEAT_INTERVALS[None])))
    onsets: list[float] = []
    at = peaks[-1]
    while len(peaks) + len(onsets) < plan.count:
        at += interval * rng.uniform(1 - STEP_JITTER, 1 + STEP_JITTER)
        if at > seconds - END_MARGIN_SECONDS:
            break
        onsets.append(at)
    return onsets, interval


def loudest_event(
    mono: np.ndarray, rate: int, plan: CountPlan, after_seconds: float
) -> tuple[np.ndarray, int]:
    """The take's loudest event, from `CUT_BEFORE_SECONDS` before its loudest frame to `after_seconds`
    after it (at most `CUT_AFTER_SECONDS`) or to the quietest frame before the next event's peak, where that
    is sooner (a copy holds one event), its last third decaying to `STEP_FADE_DB`; and where in the cut that
    frame starts (samples)."""
    envelope, hop = rms_frames(mono, rate)
    loudest = int(envelope.argmax())
    end = loudest + max(1, round(min(after_seconds, CUT_AFTER_SECONDS) / FRAME_SECONDS))
    following = [first for first, _ in plan.spans if first > loudest]
    if following:
        end = min(end, loudest + 1 + int(envelope[loudest + 1 : following[0] + 1].argmin()))
    peak = loudest * hop
    start = max(0, peak - round(CUT_BEFORE_SECONDS * rate))
    stop = min(len(mono), end * hop)
    event = np.asarray(mono[start:stop], dtype=np.float64).copy()
    fade = round(len(event) * COPY_FADE_SHARE)
    if fade:
        event[-fade:] *= 10 ** (np.linspace(0.0, STEP_FADE_DB, fade) / 20)
    return event, peak - start


def detuned(event: np.ndarray, peak: int, rate: int, cents: float) -> tuple[np.ndarray, int]:
    """`event` played `cents` higher (and as much shorter) or lower (longer), as a sampler detunes a
    repeated hit, resampled by soxr; and where its peak lands."""
    if cents == 0:
        return event, peak
    ratio = 2 ** (cents / 1200)
    played, played_peak = soxr.resample(event, rate, rate / ratio), round(peak / ratio)
    # played lower, the tail after the peak grows: keep it as long as the cut's, so that a copy still ends
    # before the next one (the cut ends at 0.9 of the interval; the next copy can come at 0.93), and ease the
    # end it is cut at down to nothing
    end = played_peak + len(event) - peak
    if end < len(played):
        played = played[:end].copy()
        ease = min(end, round(EASE_SECONDS * rate))
        played[end - ease :] *= np.linspace(1.0, 0.0, ease)
    return played, played_peak


def repeat_events(
    mono: np.ndarray, rate: int, plan: CountPlan, rng: np.random.Generator, detune_cents: float = 0.0
) -> tuple[np.ndarray, int]:
    """`mono` with copies of its loudest event (cut to end at 0.9 of the interval between events after its
    loudest frame, or before the next event) pasted after its last one, each 0 to 4 dB below it and, where
    `detune_cents` > 0, detuned by up to that much either way, so that no copy is the same hit again (drawn
    after the levels, so the levels are those drawn without it). Returns the samples and how many copies were
    pasted."""
    onsets, interval = repeat_onsets(plan, len(mono) / rate, rng)
    if not onsets:
        return mono, 0
    event, peak = loudest_event(mono, rate, plan, 0.9 * interval)
    gains = [10 ** (rng.uniform(*STEP_GAIN_DB) / 20) for _ in onsets]
    spread = abs(detune_cents)
    cents = rng.uniform(-spread, spread, len(onsets)) if spread > 0 else np.zeros(len(onsets))
    out = np.asarray(mono, dtype=np.float64).copy()
    for onset, gain, shift in zip(onsets, gains, cents, strict=True):
        copy, copy_peak = detuned(event, peak, rate, float(shift))
        start = round(onset * rate) - copy_peak
        span = slice(max(0, start), min(len(out), start + len(copy)))
        out[span] += gain * copy[span.start - start : span.stop - start]
    return out.astype(mono.dtype), len(onsets)


def match_count(
    mono: np.ndarray,
    rate: int,
    plan: CountPlan,
    rng: np.random.Generator | None,
    detune_cents: float = 0.0,
) -> tuple[np.ndarray, int]:
    """A take's samples holding the plan's count of events: those past it quieted, or copies pasted up to it
    (as many as fit, detuned by up to `detune_cents`; `rng` draws their pace, levels and detuning, and is
    needed only there). Returns the samples and how many more (> 0) or fewer (< 0) events they hold than the
    take did."""
    if plan.quiet_from is not None:
        matched = quiet_after(mono, rate, plan)
    elif rng is None:
        raise ValueError("pasting copies needs a generator")
    else:
        matched = repeat_events(mono, rate, plan, rng, detune_cents)[0]
    # as read in the take that comes out: a copy that lands on a faint event, or a faint bump between two kept
    # events, makes the count in the file differ from the plan's
    return matched, len(event_spans(matched, rate, plan.span_seconds)) - len(plan.spans)
