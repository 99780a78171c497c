"""Takes that hold the events their prompt counts (pipelines/foley/counts.py), alone and inside a real tiny
FoleyPipeline, and the counts read from prompts (descriptors.event_count)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_pipelines import foley_with_settings

from foleykit.pipelines.foley import FoleyPipeline
from foleykit.pipelines.foley.counts import (
    FRAME_SECONDS,
    REPEAT_INTERVALS,
    detuned,
    event_peaks,
    event_spans,
    match_count,
    plan_count,
    rms_frames,
)
from foleykit.pipelines.foley.descriptors import event_count, step_count, take_count
from foleykit.pipelines.foley.walks import STEP_JITTER

RATE = 8000


def hits(seconds: float, at: list[float], levels: list[float] | None = None, seed: int = 0) -> np.ndarray:
    """A take of `seconds` holding a decaying noise burst (5 ms attack, 40 ms decay) at each of `at` over
    a faint noise floor."""
    rng = np.random.default_rng(seed)
    take = 1e-4 * rng.standard_normal(round(seconds * RATE))
    for number, start in enumerate(at):
        n = round(0.25 * RATE)
        envelope = np.minimum(np.arange(n) / (0.005 * RATE), 1.0) * np.exp(-np.arange(n) / (0.04 * RATE))
        burst = envelope * rng.standard_normal(n) * (levels[number] if levels else 0.5)
        begin = round(start * RATE)
        take[begin : begin + n] += burst[: len(take) - begin]
    return take.astype(np.float32)


def peak_level_db(take: np.ndarray, frame: int) -> float:
    envelope, _ = rms_frames(take, RATE)
    return 20 * float(np.log10(envelope[frame] / envelope.max()))


def test_counts_are_read_where_a_text_counts_the_sounds_it_names_or_times() -> None:
    counted = {
        "three knocks on a wooden door": 3, "someone knocking on a door twice": 2, "knocking 3 times": 3,
        "a single beep": 1, "two short electronic beeps": 2, "a church bell tolling four times": 4,
        "three sharp raps on the front door": 3, "2 gunshots": 2, "three footsteps on wood": 3,
        "three punches to the body": 3, "single water drop": 1, "stomping once": 1,
    }  # fmt: skip
    for text, count in counted.items():
        assert event_count(text) == count, text
    assert event_count("1 beep") == 1 and event_count("seven knocks") == 7 and event_count("10 beeps") == 10
    for text in ("a knock at the door", "door knocking", "two people walking", "two swords clashing",
                 "single drops falling into a puddle", "twice as fast footsteps", "three times as loud",
                 "all at once", "two knocks, then three knocks", "one-two punch", "a bell",
                 # rates, a conjunction, "once more"
                 "water drips once per second", "an alarm beeps twice a second", "a metronome clicks four times per bar",
                 "one knock per second", "once the door opens a bell rings", "knock once more",
                 # more than one sound: the count is not the take's
                 "three loud knocks and a door creaking open", "a gunshot, then two more gunshots",
                 "one gunshot followed by two more", "two footsteps then a door slam",
                 # what makes the sound, a unit, a compound
                 "two boxers trading punches", "two guns firing shots", "three second beeps", "two tone beeps"):  # fmt: skip
        assert event_count(text) is None, text
    for text in (
        "someone walks to the door and knocks twice",
        "footsteps approach and someone knocks three times",
    ):
        assert take_count(text) is None, text
    # a text that asks for steps counts steps: its other counts are not the walk's
    assert take_count("footsteps and two knocks") is None and take_count("three footsteps on wood") == 3
    assert take_count("a single footstep") == 1 and take_count("knocking twice") == 2
    # laps are not sounds: "times" before a lap counts neither steps nor events; a path after a sound does
    for text in ("walking three times around the room", "running twice round the track",
                 "a car driving three times around the block", "pacing twice in a circle",
                 "walking three times, around the room"):  # fmt: skip
        assert take_count(text) is None and step_count(text) is None, text
    for text, count in (("knocking twice on the door", 2), ("stomping twice, slowly", 2),
                        ("a ball bounces three times down the stairs", 3), ("a dog barks twice through the wall", 2),
                        ("stomping twice up the stairs", 2), ("a bell rings twice over", 2)):  # fmt: skip
        assert take_count(text) == count, text


def test_events_past_the_count_are_quieted_from_the_dip_after_the_last_kept_and_the_rest_is_untouched() -> (
    None
):
    take = hits(3.0, [0.1, 0.5, 0.9, 1.3, 1.7])
    plan = plan_count(take, RATE, 3, None, steps=False)
    assert plan is not None and len(plan.spans) == 5
    matched, change = match_count(take, RATE, plan, None)
    assert change == -2 and len(event_peaks(matched, RATE)) == 3
    dip = round(1.25 * RATE)  # the third hit has died away (40 ms decay) long before the fourth
    assert np.array_equal(matched[: round(1.0 * RATE)], take[: round(1.0 * RATE)])
    envelope, _ = rms_frames(matched, RATE)
    floor = np.percentile(rms_frames(take, RATE)[0], 20)
    assert envelope[round(1.3 / FRAME_SECONDS) :].max() <= floor * 1.01, "the fourth and fifth hits are gone"
    assert np.abs(matched[dip:]).max() > 0, "the room stays: the floor is kept, not silenced"
    assert plan_count(matched, RATE, 3, None, steps=False) is None, "a take holding its count is left alone"


@pytest.mark.parametrize("speed", ["slow", None, "fast"])
def test_a_single_event_is_repeated_up_to_the_count_at_the_pace_asked_each_0_to_4_db_below_it(
    speed: str | None,
) -> None:
    take = hits(4.0, [0.2], levels=[0.5])
    plan = plan_count(take, RATE, 4, speed, steps=False)
    matched, change = match_count(take, RATE, plan, np.random.default_rng(3))
    peaks = event_peaks(matched, RATE)
    assert change == 3 and len(peaks) == 4
    assert np.array_equal(matched[: round(0.2 * RATE)], take[: round(0.2 * RATE)])
    low, high = REPEAT_INTERVALS[speed]
    gaps = np.diff(peaks) * FRAME_SECONDS
    assert gaps.min() >= low * (1 - STEP_JITTER) - 0.02 and gaps.max() <= high * (1 + STEP_JITTER) + 0.02
    assert abs(gaps.max() - gaps.min()) <= 2 * high * STEP_JITTER + 0.02, "one pace, jittered"
    for frame in peaks[1:]:
        assert -4.6 <= peak_level_db(matched, frame) <= 0.1


def test_detuned_copies_differ_in_pitch_and_keep_the_levels_and_pace_drawn_without_detuning() -> None:
    """`copy_detune_cents`: each copy of a 1 kHz ping plays within ±100 cents of it, no two alike; the
    generator draws the pace and levels first, so the copies land where, and as loud as, undetuned ones do."""
    n = round(0.3 * RATE)
    ping = np.exp(-np.arange(n) / (0.06 * RATE)) * np.sin(2 * np.pi * 1000 * np.arange(n) / RATE)
    take = 1e-4 * np.random.default_rng(5).standard_normal(4 * RATE)
    take[round(0.2 * RATE) : round(0.2 * RATE) + n] += 0.5 * ping
    take = take.astype(np.float32)
    plan = plan_count(take, RATE, 4, None, steps=False)
    plain, _ = match_count(take, RATE, plan, np.random.default_rng(9))
    assert np.array_equal(plain, match_count(take, RATE, plan, np.random.default_rng(9), 0.0)[0])
    detuned, change = match_count(take, RATE, plan, np.random.default_rng(9), 100.0)
    assert change == 3 and not np.array_equal(plain, detuned)
    peaks, plain_peaks = event_peaks(detuned, RATE), event_peaks(plain, RATE)
    assert len(peaks) == 4 and np.abs(peaks - plain_peaks).max() <= 1, "the same pace"
    pitches = []
    for frame in peaks[1:]:
        assert abs(peak_level_db(detuned, frame) - peak_level_db(plain, frame)) <= 0.5, "the same levels"
        segment = detuned[frame * RATE // 100 : frame * RATE // 100 + round(0.2 * RATE)]
        spectrum = np.abs(np.fft.rfft(segment, 16 * len(segment)))
        pitches.append(1200 * np.log2(np.fft.rfftfreq(16 * len(segment), 1 / RATE)[spectrum.argmax()] / 1000))
    assert all(abs(cents) <= 105 for cents in pitches), pitches
    assert np.ptp(pitches) > 10, f"no two copies alike: {pitches}"


def test_a_copy_played_lower_is_no_longer_after_its_peak_than_the_cut() -> None:
    """Played a semitone lower a copy grows 6 %: its tail is cut back to the cut's and eased to nothing, so
    it still ends before the next copy; played higher it is shorter and left as it plays."""
    n, peak = round(0.3 * RATE), round(0.02 * RATE)
    ring = np.exp(-np.arange(n) / (0.2 * RATE)) * np.sin(2 * np.pi * 700 * np.arange(n) / RATE)
    lower, lower_peak = detuned(ring, peak, RATE, -100.0)
    assert lower_peak > peak and len(lower) - lower_peak == n - peak
    assert lower[-1] == 0.0 and abs(lower[-round(0.005 * RATE) - 1]) > 0.05, "eased at the end, not before"
    higher, higher_peak = detuned(ring, peak, RATE, 100.0)
    assert higher_peak < peak and len(higher) < n
    assert detuned(ring, peak, RATE, 0.0)[0] is ring


def test_a_copy_holds_one_event_where_the_loudest_is_followed_closely() -> None:
    """The loudest hit (0.6 s) is followed 0.2 s later by another: each copy is cut before that one, so the
    take ends with the count asked, and the change reported is what the take holds."""
    take = hits(4.0, [0.1, 0.6, 0.8], levels=[0.3, 0.6, 0.3], seed=4)
    plan = plan_count(take, RATE, 5, None, steps=False)
    matched, change = match_count(take, RATE, plan, np.random.default_rng(1))
    assert len(event_peaks(matched, RATE)) == 5 and change == 2


def test_the_fade_into_the_floor_leaves_the_last_kept_event_at_its_level() -> None:
    """A short hit followed at once by a slowly swelling one: the dip lies two frames after the kept peak,
    and the fade starts after that peak, not 50 ms before the dip."""
    rng = np.random.default_rng(5)
    take = 1e-4 * rng.standard_normal(3 * RATE)
    for start in (0.1, 0.5):
        take[round(start * RATE) : round((start + 0.05) * RATE)] += 0.5 * rng.standard_normal(
            round(0.05 * RATE)
        )
    swell = round(0.6 * RATE)
    take[round(0.58 * RATE) : round(0.58 * RATE) + swell] += (
        np.linspace(0.0, 1.0, swell) ** 2 * 0.8 * rng.standard_normal(swell)
    )
    take = take.astype(np.float32)
    plan = plan_count(take, RATE, 2, None, steps=False)
    assert plan is not None and len(plan.spans) == 3
    kept_peak = plan.spans[1][1]
    assert plan.quiet_from - kept_peak <= 5, "the dip lies within the fade's length of the kept peak"
    matched, change = match_count(take, RATE, plan, None)
    assert change == -1
    before, after = rms_frames(take, RATE)[0], rms_frames(matched, RATE)[0]
    assert np.allclose(after[: kept_peak + 1], before[: kept_peak + 1], rtol=1e-5), (
        "the kept peak keeps its level"
    )


def test_copies_keep_the_takes_own_pace_and_stop_at_its_end() -> None:
    take = hits(2.0, [0.1, 0.62], seed=1)
    plan = plan_count(take, RATE, 5, None, steps=False)
    matched, change = match_count(take, RATE, plan, np.random.default_rng(0))
    peaks = event_peaks(matched, RATE) * FRAME_SECONDS
    assert change == 2 and len(peaks) == 4, "no copy starts past the end (2 s holds 4 at this pace)"
    assert np.allclose(np.diff(peaks), 0.52, atol=0.52 * STEP_JITTER + 0.02)


def test_a_steps_heel_and_toe_are_one_event_and_a_walk_short_of_its_count_is_left_to_walks() -> None:
    starts = [t for step in (0.1, 0.8, 1.5, 2.2) for t in (step, step + 0.16)]  # heel, then toe 160 ms on
    take = hits(3.0, starts, levels=[0.5, 0.3] * 4)
    assert len(event_spans(take, RATE)) == 8 and len(event_spans(take, RATE, 0.25)) == 4
    plan = plan_count(take, RATE, 3, None, steps=True)
    matched, change = match_count(take, RATE, plan, None)
    assert change == -1 and len(event_spans(matched, RATE, 0.25)) == 3
    assert len(event_peaks(matched, RATE)) == 6, "the third step keeps its toe"
    assert plan_count(take, RATE, 6, None, steps=True) is None, "more steps are walks.py's to lay out"
    assert plan_count(np.zeros(RATE, dtype=np.float32), RATE, 2, None, steps=False) is None


def test_a_sound_that_goes_on_is_neither_cut_nor_repeated() -> None:
    """Drips over a running tap, strikes on a ringing bell: the take's floor lies within 45 dB of its
    loudest, and its swells are no events a count could be cut or pasted by."""
    struck = hits(3.0, [0.1, 0.7, 1.3, 1.9], seed=2)
    assert plan_count(struck, RATE, 2, None, steps=False) is not None
    bed = struck + 0.01 * np.random.default_rng(0).standard_normal(len(struck)).astype(np.float32)
    assert len(event_peaks(bed, RATE)) == 4, "its events still stand out"
    assert plan_count(bed, RATE, 2, None, steps=False) is None
    assert plan_count(bed, RATE, 6, None, steps=False) is None


@pytest.fixture(scope="module")
def pipe(tiny_bundled_dir: Path) -> FoleyPipeline:
    loaded = FoleyPipeline.from_pretrained(tiny_bundled_dir)
    loaded.set_progress_bar_config(disable=True)
    return loaded


def test_match_counts_is_a_saved_setting_that_leaves_every_uncounted_take_as_it_was(
    tmp_path: Path, pipe: FoleyPipeline, tiny_bundled_dir: Path
) -> None:
    prompts = ["a door knock", "glass shattering", "a single beep", "knocking on a door five times"]

    def takes(model: FoleyPipeline, seed: int) -> tuple[np.ndarray, list[int] | None]:
        generators = [torch.Generator().manual_seed(seed + i) for i in range(len(prompts))]
        output = model(prompts, audio_length_in_s=2.0, num_inference_steps=2, generator=generators)
        return output.audios, output.count_changes

    saved = foley_with_settings(tiny_bundled_dir, tmp_path / "counting", match_counts=True)
    assert json.loads((saved / "model_index.json").read_text())["match_counts"] is True
    counting = FoleyPipeline.from_pretrained(saved)
    counting.set_progress_bar_config(disable=True)
    for seed in range(5, 20, 3):
        (before, off), (after, changes) = takes(pipe, seed), takes(counting, seed)
        assert off is None and changes is not None and changes[:2] == [0, 0]
        assert np.array_equal(after[:2], before[:2]), (
            "takes that count nothing are the same, sample for sample"
        )
        for index in (2, 3):  # the tiny model's takes are noise, which holds no events to count
            assert (changes[index] != 0) == (not np.array_equal(after[index], before[index]))
        assert np.array_equal(takes(counting, seed)[0], after), "the same seed, the same take"


def test_the_pipeline_gives_each_counted_take_its_count_and_draws_only_for_copies(
    pipe: FoleyPipeline,
) -> None:
    rate = pipe.sample_rate
    takes = [hits(3.0, [0.1, 0.5, 0.9, 1.3], seed=i) for i in range(4)]
    resampled = [np.interp(np.arange(3 * rate) / rate, np.arange(len(t)) / RATE, t) for t in takes]
    audio = torch.from_numpy(np.stack(resampled).astype(np.float32))
    prompts = ["two knocks on a door", "a door knock", "knocking six times", "four knocks"]
    generators = [torch.Generator().manual_seed(i) for i in range(4)]
    untouched = [g.get_state() for g in generators]
    out, changes = pipe.match_event_counts(audio, prompts, generators)
    assert changes == [-2, 0, 2, 0], changes
    assert [len(event_peaks(take.numpy(), rate)) for take in out] == [2, 4, 6, 4]
    assert torch.equal(out[1], audio[1]) and torch.equal(out[3], audio[3])
    drew = [not torch.equal(g.get_state(), state) for g, state in zip(generators, untouched, strict=True)]
    assert drew == [False, False, True, False], "only a take that gets copies draws from its generator"


def test_a_variation_is_not_recounted(pipe: FoleyPipeline) -> None:
    pipe.register_to_config(match_counts=True)
    try:
        source = torch.from_numpy(hits(1.0, [0.1, 0.4, 0.7])).view(1, -1)
        source = torch.nn.functional.interpolate(source[None], size=pipe.sample_rate, mode="linear")[0]
        output = pipe(
            "a single knock", audio=source, strength=0.5, audio_length_in_s=1.0, num_inference_steps=2,
            generator=torch.Generator().manual_seed(0),
        )  # fmt: skip
    finally:
        pipe.register_to_config(match_counts=False)
    assert output.count_changes is None
