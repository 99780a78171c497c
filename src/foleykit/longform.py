"""Sounds longer than a model's window, made window by window at the model's own rate.

A backend that can inpaint (the bundled model's latent masking, Stable Audio 3's inpaint pipeline)
*continues* the sound: each window holds the last few seconds already made as context and makes the
rest, which is spliced on through a crossfade (0.5 s, equal power, in a long take; 20 ms when `extend`
must keep a file's own samples), its level matched to what came before. Any other backend makes
independent windows that overlap by up to 2 s and are joined by an equal-power crossfade at the overlap's
quietest point, again level-matched. Parts that die away, and each window's faded last second, are not
kept (see `usable`, TAIL_SECONDS). Only one window is in the model at a time, so a 30-minute
take never holds more than one window of latents; the audio itself is written into one array as it comes.

Window k ≥ 1 draws its noise from `window_seed(seed, k)`, so a long take is as reproducible as a short one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from foleykit.audio.joins import block_levels, equal_power, fit_channels, quietest_point, splice
from foleykit.audio.post import resample
from foleykit.backends import Backend

CONTEXT_SECONDS = 3.0  # what a continued window hears of the sound so far (at most half the window)
SPLICE_FADE_SECONDS = 0.02  # an extended file keeps all but its last 20 ms
BOUNDARY_SECONDS = 0.25  # made again before the crossfade and not kept
JOIN_FADE_SECONDS = 0.5  # a long take's windows crossfade longer: a change of timbre spread over 0.5 s
JOIN_LEVEL_SECONDS = 1.0  # at a join, the new part's first second meets the level of the last second made
GAIN_RAMP_SECONDS = 2.0  # and moves to its own overall match over the next two
MAX_JOIN_GAIN_DB = 12.0
LEVEL_BLOCK_SECONDS = 0.25
GAP_DB = 15.0  # a new part whose level falls this far under what came before has died away
SILENCE_DB = -60.0  # under this, there is no level to keep up
MIN_USABLE_SECONDS = 1.0  # a window that gives less is made again with another seed …
MAX_ATTEMPTS = 3  # … at most this many times (then its best attempt is kept)
TAIL_SECONDS = 1.0  # a window's last second (at most a tenth of it) is not kept where more follows:
# models fade their sound out towards the end of their window (the bundled one by 5-10 dB)
OVERLAP_SECONDS = 2.0  # independent windows overlap by this much (at most a quarter of the window)
CROSSFADE_SECONDS = 0.25  # and are crossfaded over this much, at the overlap's quietest point

WindowCallback = Callable[[int, int], None]  # (windows done, windows in all)


@dataclass(frozen=True)
class Window:
    """One model call of a long take, as the sidecar lists it (seconds in the take's own time)."""

    index: int
    seed: int
    start_s: float  # where the audio this call made begins (context included)
    end_s: float
    join: str  # "first", "continued" (inpainted after context) or "crossfaded"
    join_at_s: float | None = None  # where its audio takes over (the middle of the crossfade)
    gain_db: float = 0.0  # the level match applied to it
    # what the pipeline changed in the whole call after denoising (backends.EDIT_OUTPUTS: steps laid out after
    # the call's own, events added or left out to hold a count): where the window keeps less than the call
    # made (a first window's last second), some of them are not in the take
    edits: dict[str, int] | None = None

    def to_dict(self) -> dict[str, object]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


def call_edits(backend: Backend) -> dict[str, int] | None:
    """What the pipeline changed in the one take of the backend's last call (`Window.edits`)."""
    return backend.edits[0] if backend.edits else None


def summed_edits(per_window: list[dict[str, int] | None]) -> dict[str, int]:
    """A long take's edits: each kind summed over the windows that report it."""
    total: dict[str, int] = {}
    for edits in per_window:
        for key, value in (edits or {}).items():
            total[key] = total.get(key, 0) + value
    return total


def window_seed(seed: int, index: int, attempt: int = 0) -> int:
    """Window 0 uses the take's seed; later windows (and second attempts) a seed drawn from (seed, index)."""
    if index == 0 and attempt == 0:
        return seed
    entropy = [seed, index] + ([attempt] if attempt else [])
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def can_continue(backend: type[Backend] | Backend) -> bool:
    return bool(backend.can_inpaint)


def tail_seconds(window: float) -> float:
    return min(TAIL_SECONDS, window / 10)


def count_windows(backend: type[Backend] | Backend, window: float, have: float, total: float) -> int:
    """How many more model calls make `total` seconds from `have` (0: nothing yet) with `window`-second
    calls, if every call's new part is usable (a call whose sound dies away counts for less: see `usable`)."""
    tail = tail_seconds(window)
    count, made = (0, have) if have > 0 else (1, min(window - tail, total) if total > window else total)
    while made < total - 1e-9:
        if can_continue(backend):
            reach = window - min(made, CONTEXT_SECONDS, window / 2)
        else:
            reach = window - min(OVERLAP_SECONDS, window / 4, made)
        made = total if made + reach >= total else made + reach - tail
        count += 1
    return count


# ------------------------------------------------------------------------------------------- levels
def reference_level(audio: np.ndarray, rate: int) -> float:
    """A part's level as a listener hears it go on: the 75th percentile of its block levels (a faded end or
    the gaps between footsteps do not pull it down)."""
    return float(np.percentile(block_levels(audio, rate, LEVEL_BLOCK_SECONDS), 75))


def usable(part: np.ndarray, reference: float, rate: int) -> int:
    """How much of a new part to keep: all of it, or up to where it dies away (two blocks in a row more
    than GAP_DB under `reference`). The bundled model, asked to go on, often makes a second of sound and
    then silence; that silence is never kept as part of a bed."""
    if reference < SILENCE_DB:
        return part.shape[1]
    quiet = block_levels(part, rate, LEVEL_BLOCK_SECONDS) < reference - GAP_DB
    width = round(LEVEL_BLOCK_SECONDS * rate)
    for block in range(len(quiet) - 1):
        if quiet[block] and quiet[block + 1]:
            return block * width
    return part.shape[1]


def fit_level(part: np.ndarray, reference: float, rate: int) -> tuple[float, int]:
    """(gain, samples to keep) for a new part: kept up to where it dies away (against its own first
    second), brought to `reference` dB (within ±MAX_JOIN_GAIN_DB) over what is kept, and cut again where,
    so brought, it falls under `reference`."""
    keep = max(1, usable(part, reference_level(part[:, : round(rate * MIN_USABLE_SECONDS)], rate), rate))
    difference = reference - reference_level(part[:, :keep], rate)
    gain = float(10 ** (np.clip(difference, -MAX_JOIN_GAIN_DB, MAX_JOIN_GAIN_DB) / 20))
    return gain, min(keep, usable(part * np.float32(gain), reference, rate))


def join_envelope(
    context: np.ndarray, new: np.ndarray, at: int, keep: int, gain: float, rate: int
) -> np.ndarray:
    """Gain over `new[:, :at + keep]`: at the join, the level of the context's last second (no jump where
    the two meet); over the next GAIN_RAMP_SECONDS, a straight line to `gain`, the new part's own match to
    the context as a whole (no drift from window to window)."""
    head = round(JOIN_LEVEL_SECONDS * rate)
    difference = reference_level(context[:, -head:], rate) - reference_level(
        new[:, at : at + min(keep, head)], rate
    )
    start = float(10 ** (np.clip(difference, -MAX_JOIN_GAIN_DB, MAX_JOIN_GAIN_DB) / 20))
    envelope = np.full(at + keep, gain, dtype=np.float32)
    envelope[:at] = start
    ramp = min(keep, round(GAIN_RAMP_SECONDS * rate))
    envelope[at : at + ramp] = np.linspace(start, gain, ramp, dtype=np.float32)
    return envelope[None]


# ------------------------------------------------------------------------------------------- continuing
def to_model(backend: Backend, audio: np.ndarray, rate: int) -> np.ndarray:
    """`audio` at `rate` as the model takes it: its own rate and channel count."""
    return fit_channels(resample(audio, rate, backend.info.sample_rate), backend.info.channels)


def inpaint_window(
    backend: Backend,
    canvas: np.ndarray,
    rate: int,
    start: float,
    end: float,
    seeds: list[int],
    prompt: str,
    steps: int,
    guidance: float,
) -> list[np.ndarray]:
    """Make [start, end) s of `canvas` (at `rate`) again, with as much context around it as the model's
    window holds; each seed's new audio over the whole canvas length at `rate` (zeros outside the window)."""
    info = backend.info
    total = canvas.shape[1] / rate
    context = (info.max_duration - (end - start)) / 2
    first = max(0.0, min(start - context, total - info.max_duration))
    last = min(total, first + info.max_duration)
    a, b = round(first * rate), round(last * rate)
    window = to_model(backend, canvas[:, a:b], rate)
    made = backend.inpaint(
        window, (start - first, end - first), [prompt] * len(seeds), seeds, steps, guidance
    )
    results = []
    for native in made:
        back = resample(native, info.sample_rate, rate)[:, : b - a]
        full = np.zeros_like(canvas)
        full[:, a : a + back.shape[1]] = fit_channels(back, canvas.shape[0])
        results.append(full)
    return results


def continue_sound(
    backend: Backend,
    audio: np.ndarray,
    rate: int,
    total: int,
    seed: int,
    prompt: str,
    steps: int,
    guidance: float,
    *,
    first_index: int = 1,
    fade_seconds: float = SPLICE_FADE_SECONDS,
    on_window: WindowCallback | None = None,
    done_before: int = 0,
    planned: int | None = None,
) -> tuple[np.ndarray, list[Window]]:
    """`audio` (at `rate`) continued to `total` samples by inpainting past its end, window by window.

    The first `len(audio) − fade_seconds` samples are `audio`'s own; each window after that replaces only
    the last `fade_seconds` before its new part (the crossfade). The model makes the new part from a
    little before that crossfade, so the crossfade is between the sound and the model's own continuation
    of it, away from the edge of the region it made. Each new part is brought to the level of the context it
    continues and kept up to where it dies away (`usable`); a window that gives under a second is made
    again with another seed (at most MAX_ATTEMPTS calls; its best is kept)."""
    info = backend.info
    fade = round(fade_seconds * rate)
    out = np.zeros((audio.shape[0], max(total, audio.shape[1])), dtype=np.float32)
    out[:, : audio.shape[1]] = audio
    have, index, windows = audio.shape[1], first_index, []
    calls = done_before
    while have < total:
        context = round(min(have / rate, CONTEXT_SECONDS, info.max_duration / 2) * rate)
        step = min(total - have, round(info.max_duration * rate) - context)
        canvas = np.zeros((out.shape[0], context + step), dtype=np.float32)
        canvas[:, :context] = out[:, have - context : have]
        reference = reference_level(canvas[:, :context], rate)
        limit = step if have + step >= total else step - round(tail_seconds(info.max_duration) * rate)
        # the region made again starts before the crossfade: what a model makes right at a region's edge
        # (the bundled one: a 100 ms burst ~9 dB up) is not kept
        lead = min(context, fade + round(BOUNDARY_SECONDS * rate))
        best: tuple[int, int, np.ndarray, float] | None = None
        for attempt in range(MAX_ATTEMPTS):
            seed_k = window_seed(seed, index, attempt)
            (new,) = inpaint_window(
                backend,
                canvas,
                rate,
                (context - lead) / rate,
                (context + step) / rate,
                [seed_k],
                prompt,
                steps,
                guidance,
            )
            calls += 1
            gain, found = fit_level(new[:, context : context + step], reference, rate)
            keep = max(min(found, limit), 1)
            if best is None or keep > best[0]:
                best = (keep, seed_k, new, gain)
            if on_window:
                on_window(calls, max(planned or 0, calls + (1 if have + keep < total else 0)))
            if keep >= min(limit, round(MIN_USABLE_SECONDS * rate)):
                break
        keep, seed_k, new, gain = best
        # every window moves on by a second at least (or to the end), even if each attempt died away
        keep = max(keep, min(limit, round(MIN_USABLE_SECONDS * rate)))
        new = new[:, : context + keep] * join_envelope(canvas[:, :context], new, context, keep, gain, rate)
        joined, _ = splice(
            canvas[:, :context],
            new,
            context,
            context + keep,
            fade,
            gain=1.0,
            power=fade_seconds > SPLICE_FADE_SECONDS,
        )
        gain_db = 20 * math.log10(gain)
        out[:, have - context : have + keep] = joined
        windows.append(
            Window(
                index,
                seed_k,
                (have - context) / rate,
                (have + keep) / rate,
                "continued",
                (have - fade / 2) / rate,
                gain_db,
            )
        )
        have += keep
        index += 1
    return out[:, :total], windows


# ------------------------------------------------------------------------------------------- whole takes
def render_long(
    backend: Backend,
    prompt: str,
    negative: str,
    seconds: float,
    seed: int,
    steps: int,
    guidance: float,
    on_window: WindowCallback | None = None,
) -> tuple[np.ndarray, list[Window]]:
    """`seconds` of one take at the model's rate, (channels, samples), and the windows that made it."""
    info = backend.info
    rate = info.sample_rate
    total = round(seconds * rate)
    planned = count_windows(backend, info.max_duration, 0.0, seconds)
    first_seconds = min(seconds, info.max_duration)
    (first,) = backend.generate([prompt], [negative], first_seconds, [seed], steps, guidance)
    first = first[:, : round(first_seconds * rate)]
    # the first window, too, is kept only up to where its sound dies away
    if first.shape[1] < total:
        limit = first.shape[1] - round(tail_seconds(info.max_duration) * rate)
        kept = min(usable(first, reference_level(first, rate), rate), limit)
        first = first[:, : max(kept, round(min(MIN_USABLE_SECONDS, first_seconds) * rate))]
    windows = [Window(0, seed, 0.0, first.shape[1] / rate, "first", edits=call_edits(backend))]
    if on_window:
        on_window(1, planned)
    if first.shape[1] >= total:
        return first[:, :total], windows
    if can_continue(backend):
        audio, more = continue_sound(
            backend, first, rate, total, seed, prompt, steps, guidance,
            fade_seconds=JOIN_FADE_SECONDS, on_window=on_window, done_before=1, planned=planned,
        )  # fmt: skip
        return audio, windows + more
    return _crossfaded(
        backend, first, total, seed, prompt, negative, steps, guidance, on_window, planned, windows
    )


def _crossfaded(
    backend: Backend,
    first: np.ndarray,
    total: int,
    seed: int,
    prompt: str,
    negative: str,
    steps: int,
    guidance: float,
    on_window: WindowCallback | None,
    planned: int,
    windows: list[Window],
) -> tuple[np.ndarray, list[Window]]:
    """Independent windows, each overlapping the last, joined by equal-power crossfades at quiet points;
    each brought to the level of the audio it overlaps and kept up to where it dies away."""
    rate = backend.info.sample_rate
    window = round(backend.info.max_duration * rate)
    overlap = round(min(OVERLAP_SECONDS, backend.info.max_duration / 4) * rate)
    fade = max(1, min(round(CROSSFADE_SECONDS * rate), overlap))
    out = np.zeros((first.shape[0], total), dtype=np.float32)
    out[:, : first.shape[1]] = first
    have, calls = first.shape[1], 1
    while have < total:
        index = len(windows)
        overlap_here = min(overlap, have)
        begin = have - overlap_here
        length = min(window, total - begin)
        reference = reference_level(out[:, max(0, have - round(CONTEXT_SECONDS * rate)) : have], rate)
        last = begin + length >= total
        limit = length if last else length - round(tail_seconds(backend.info.max_duration) * rate)
        least = min(limit, overlap_here + fade + round(MIN_USABLE_SECONDS * rate))
        best: tuple[int, int, np.ndarray, float, dict[str, int] | None] | None = None
        for attempt in range(MAX_ATTEMPTS):
            seed_k = window_seed(seed, index, attempt)
            (new,) = backend.generate([prompt], [negative], length / rate, [seed_k], steps, guidance)
            calls += 1
            new = fit_channels(new[:, :length], out.shape[0])
            new = np.pad(new, ((0, 0), (0, length - new.shape[1])))
            gain, found = fit_level(new, reference, rate)
            keep = min(found, limit)
            if best is None or keep > best[0]:
                best = (keep, seed_k, new, gain, call_edits(backend))
            if on_window:
                on_window(calls, max(planned, calls + (1 if begin + keep < total else 0)))
            if keep >= least:
                break
        keep, seed_k, new, gain, edits = best
        keep = max(keep, least)  # every window moves on by a second at least (or to the end)
        new = new[:, :keep] * np.float32(gain)
        centre = quietest_point(out[:, begin:have], new[:, :overlap_here], fade)
        cut = min(max(0, centre - fade // 2), max(0, overlap_here - fade))
        fade_out, fade_in = equal_power(fade)
        span = slice(begin + cut, begin + cut + fade)
        out[:, span] = out[:, span] * fade_out + new[:, cut : cut + fade] * fade_in
        out[:, begin + cut + fade : begin + keep] = new[:, cut + fade : keep]
        windows.append(
            Window(index, seed_k, begin / rate, (begin + keep) / rate, "crossfaded", (begin + cut + fade / 2) / rate,
                   20 * math.log10(gain), edits=edits)
        )  # fmt: skip
        have = begin + keep
    return out, windows


__all__ = [
    "Window",
    "can_continue",
    "continue_sound",
    "count_windows",
    "inpaint_window",
    "reference_level",
    "render_long",
    "to_model",
    "usable",
    "window_seed",
]
