"""Walks laid out from single steps, as a game engine plays footsteps: one step a footfall, at a walker's pace.

The corpus's step recordings are single steps, and a model trained on them answers some prompts that ask for
footsteps ("footsteps on gravel") with one step and silence. Where the pipeline's `compose_walks` is on, such
a take keeps its own step where it lies, and the rest of the walk is laid out after it from the same prompt's
steps (short takes of it, each its loudest event), in turn, at the pace the prompt states — the way
`foleykit.training.data.composed_walks` makes the walks the model learns from, with the same paces.

Everything here works on mel magnitudes (frames, mel bands): steps are added as power (sounds that do not
cohere add in power), then decoded once. No maintained library lays out foley steps, so this is written by
hand; the events are read with scipy's `find_peaks`, with the thresholds `bench/anchor_quality.py` counts a
take's events by.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

# seconds from one step to the next, by the speed a text states (cadences of about 70, 100 and 180 steps a
# minute), each step's own spread around it, and each step's level below the walk's loudest
STEP_INTERVALS: dict[str | None, tuple[float, float]] = {
    "slow": (0.75, 0.95),
    None: (0.5, 0.65),
    "fast": (0.3, 0.38),
}
STEP_JITTER = 0.07
STEP_GAIN_DB = (-4.0, 0.0)
# an event: a peak of the frame level that stands this far above the dips beside it, within this far of the
# take's loudest, this far from the next; a take of WALK_EVENTS events or more already walks
EVENT_PROMINENCE_DB = 12.0
EVENT_FLOOR_DB = -30.0
EVENT_GAP_SECONDS = 0.1
WALK_EVENTS = 3
# a step cut from a short take: from a little before its loudest frame to when a step recording has ended
CUT_BEFORE_SECONDS = 0.05
CUT_AFTER_SECONDS = 0.45
STEP_FADE_SECONDS = 0.15
STEP_FADE_DB = -40.0
# a step's heel, toe and scuff peak within this of its first peak (a walk's steps are at least 0.28 s apart)
STEP_SPAN_SECONDS = 0.25
STEP_TAKE_SECONDS = 1.0  # the short takes the steps are cut from
END_MARGIN_SECONDS = 0.15  # no step starts this close to the take's end


def frame_level_db(magnitude: np.ndarray) -> np.ndarray:
    """Each frame's power in dB below the take's loudest frame (magnitude: frames × mel bands)."""
    power = np.square(magnitude, dtype=np.float64).sum(axis=1)
    return 10 * np.log10(power / (power.max() + 1e-20) + 1e-12)


def level_peaks(level: np.ndarray, frame_seconds: float) -> np.ndarray:
    """The frames where events peak in a frame level (dB below the loudest frame): `EVENT_PROMINENCE_DB`
    above the dips beside them, within `EVENT_FLOOR_DB` of the loudest, `EVENT_GAP_SECONDS` apart; an event
    at the very first or last frame counts. Read the same way on a mel (here) and a waveform (counts.py)."""
    if len(level) == 0:
        return np.zeros(0, dtype=int)
    edged = np.concatenate([[level.min()], level, [level.min()]])
    gap = max(1, round(EVENT_GAP_SECONDS / frame_seconds))
    peaks, _ = find_peaks(edged, prominence=EVENT_PROMINENCE_DB, height=EVENT_FLOOR_DB, distance=gap)
    return peaks - 1


def event_frames(magnitude: np.ndarray, frame_seconds: float) -> np.ndarray:
    """The frames where the take's events (steps, hits) peak; an event at the very first frame counts."""
    return level_peaks(frame_level_db(magnitude), frame_seconds) if len(magnitude) else np.zeros(0, dtype=int)


def group_peaks(peaks: list[int], frame_seconds: float, span_seconds: float) -> list[tuple[int, int]]:
    """(first, last) peak frame of each event, the peaks within `span_seconds` of an event's first peak
    belonging to it (a step's heel, toe and scuff: `STEP_SPAN_SECONDS`)."""
    spans: list[tuple[int, int]] = []
    for frame in peaks:
        if spans and (frame - spans[-1][0]) * frame_seconds < span_seconds:
            spans[-1] = (spans[-1][0], frame)
        else:
            spans.append((frame, frame))
    return spans


def cut_step(magnitude: np.ndarray, frame_seconds: float) -> tuple[np.ndarray, int]:
    """A short take's loudest event as power above the take's own floor, faded out, and the index of its
    loudest frame within the cut."""
    power = np.square(magnitude, dtype=np.float64)
    peak = int(power.sum(axis=1).argmax())
    start = max(0, peak - round(CUT_BEFORE_SECONDS / frame_seconds))
    stop = min(len(power), peak + round(CUT_AFTER_SECONDS / frame_seconds))
    floor = np.percentile(power, 20, axis=0)  # the take's room and noise, not the step's
    step = np.clip(power[start:stop] - floor, 0.0, None)
    fade = min(len(step), round(STEP_FADE_SECONDS / frame_seconds))
    if fade:  # a decay to STEP_FADE_DB, even in dB as a step's own tail is, not a cut
        step[-fade:] *= 10 ** (np.linspace(0.0, STEP_FADE_DB, fade)[:, None] / 10)
    return step, peak - start


def room_for_a_step(last: float, seconds: float, speed: str | None) -> bool:
    """Whether a step fits after an event at `last` seconds at the quickest the pace allows (else `walk_onsets`
    lays none)."""
    soonest = STEP_INTERVALS.get(speed, STEP_INTERVALS[None])[0] * (1 - STEP_JITTER)
    return last + soonest <= seconds - END_MARGIN_SECONDS


@dataclass(frozen=True)
class WalkPlan:
    """What a take that needs a walk holds, read once: its events and where the last one peaks."""

    heard: int  # events in the take (steps, where the prompt counts them and `count_steps` is on)
    last: float  # seconds where its last event peaks (its loudest frame where it holds none)
    seconds: float  # the take's length
    speed: str | None
    count: int | None  # the steps the prompt counts, in all


def plan_walk(
    take: np.ndarray,
    frame_seconds: float,
    seconds: float,
    speed: str | None,
    count: int | None,
    count_steps: bool = False,
) -> WalkPlan | None:
    """The plan for laying a walk out after `take` (mel magnitudes, frames × bands), or None where it needs
    none: it already holds a walk's events (or the `count` asked for: with `count_steps`, a step's heel and
    toe peaks counted as one step, as counts.py counts them), or no step fits after its last event."""
    heard = event_frames(take, frame_seconds)
    if count and count_steps:
        steps = len(group_peaks(heard.tolist(), frame_seconds, STEP_SPAN_SECONDS))
    else:
        steps = len(heard)
    if steps >= (count or WALK_EVENTS):
        return None
    last = (int(heard[-1]) if len(heard) else int(frame_level_db(take).argmax())) * frame_seconds
    if not room_for_a_step(last, seconds, speed):
        return None
    return WalkPlan(steps, last, seconds, speed, count)


def walk_onsets(
    first: float, seconds: float, speed: str | None, count: int | None, rng: np.random.Generator
) -> list[float]:
    """When the steps after one at `first` seconds land: at the pace of `speed`, until `count` steps in all
    (where the text states one) or the take's end."""
    low, high = STEP_INTERVALS.get(speed, STEP_INTERVALS[None])
    interval = rng.uniform(low, high)
    onsets: list[float] = []
    at = first
    while count is None or len(onsets) + 1 < count:
        at += interval * rng.uniform(1 - STEP_JITTER, 1 + STEP_JITTER)
        if at > seconds - END_MARGIN_SECONDS:
            break
        onsets.append(at)
    return onsets


def lay_out_walk(
    take: np.ndarray,
    plan: WalkPlan,
    steps: list[np.ndarray],
    frame_seconds: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, int]:
    """`take` (mel magnitudes, frames × bands) with the walk `plan` asks for laid out after its last event from
    `steps` (mel magnitudes of short takes, one step each), in turn, each at the level of the take's own loudest
    frame less 0 to 4 dB, at the plan's pace until its count or its end. Returns the walk's magnitudes and how
    many steps were added."""
    wanted = None if plan.count is None else plan.count - max(0, plan.heard - 1)
    onsets = walk_onsets(plan.last, plan.seconds, plan.speed, wanted, rng)
    cuts = [cut_step(step, frame_seconds) for step in steps]
    cuts = [(power, peak) for power, peak in cuts if power.sum() > 0]
    if not onsets or not cuts:
        return take, 0
    power = np.square(take, dtype=np.float64)
    loudest = power.sum(axis=1).max()
    for number, onset in enumerate(onsets):
        step, peak = cuts[number % len(cuts)]
        gain = loudest / max(step.sum(axis=1).max(), 1e-20) * 10 ** (rng.uniform(*STEP_GAIN_DB) / 10)
        start = round(onset / frame_seconds) - peak
        span = slice(max(0, start), min(len(power), start + len(step)))
        power[span] += gain * step[span.start - start : span.stop - start]
    return np.sqrt(power).astype(take.dtype), len(onsets)
