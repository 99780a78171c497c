"""Walks laid out from single steps (pipelines/foley/walks.py), alone and inside a real tiny FoleyPipeline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_pipelines import foley_with_settings

from foleykit.pipelines.foley import FoleyPipeline
from foleykit.pipelines.foley.walks import (
    STEP_INTERVALS,
    STEP_JITTER,
    event_frames,
    lay_out_walk,
    plan_walk,
)

FRAME = 0.01  # seconds a mel frame


def one_step(frames: int, at: int, bands: int = 8, level: float = 1.0) -> np.ndarray:
    """Mel magnitudes of a take holding one step at frame `at` (a 30 ms attack, a 200 ms decay) over a
    faint floor."""
    rng = np.random.default_rng(at)
    take = np.full((frames, bands), 1e-4) * rng.uniform(0.5, 1.5, (frames, bands))
    decay = np.exp(-np.arange(20) / 4.0)
    attack = np.linspace(0.2, 1.0, 3)
    envelope = np.concatenate([attack, decay])
    stop = min(frames, at - 3 + len(envelope))
    take[at - 3 : stop] += level * envelope[: stop - at + 3, None]
    return take


@pytest.mark.parametrize("speed", ["slow", None, "fast"])
def test_a_one_step_take_gets_its_walk_after_its_own_step_at_the_pace_asked(speed: str | None) -> None:
    take = one_step(400, at=30)
    steps = [one_step(100, at=15, level=0.3), one_step(100, at=20, level=3.0), one_step(100, at=10)]
    plan = plan_walk(take, FRAME, 4.0, speed, None)
    walk, added = lay_out_walk(take, plan, steps, FRAME, np.random.default_rng(0))
    events = event_frames(walk, FRAME)
    assert events[0] == 30 and len(events) == added + 1 >= 3
    assert np.array_equal(walk[:30], take[:30]), "the take's own step is where it was"
    low, high = STEP_INTERVALS[speed]
    gaps = np.diff(events) * FRAME
    assert (
        gaps.min() >= low * (1 - STEP_JITTER) - 2 * FRAME
        and gaps.max() <= high * (1 + STEP_JITTER) + 2 * FRAME
    )
    assert events[-1] * FRAME <= 4.0 - 0.1, "no step starts at the very end"
    peaks = walk[events].sum(axis=1)
    assert np.all(peaks <= take[30].sum() * 1.05), "each step at most as loud as the take's own"
    assert np.all(peaks >= take[30].sum() * 10 ** (-4.5 / 10)), "and at most 4 dB below it (in power)"


def test_a_stated_count_is_the_number_of_steps_and_a_walk_already_there_is_kept() -> None:
    take = one_step(400, at=20)
    steps = [one_step(100, at=15)]
    walk, added = lay_out_walk(
        take, plan_walk(take, FRAME, 4.0, None, 3), steps, FRAME, np.random.default_rng(1)
    )
    assert added == 2 and len(event_frames(walk, FRAME)) == 3
    assert plan_walk(walk, FRAME, 4.0, None, 3) is None, "a walk already there is kept"
    silent = np.zeros((100, 8))
    plan = plan_walk(take, FRAME, 4.0, None, None)
    assert lay_out_walk(take, plan, [silent], FRAME, np.random.default_rng(2))[1] == 0


def test_with_count_steps_a_counted_walk_counts_a_steps_heel_and_toe_as_one_step() -> None:
    """`match_counts` on (count_steps): a take holding one step whose heel and toe peak 0.15 s apart is one
    step of the three asked for, not two; off (version 14), it is two events, as before."""
    take = one_step(400, at=30)
    take[40:] += one_step(360, at=5, level=0.6)
    assert len(event_frames(take, FRAME)) == 2
    assert plan_walk(take, FRAME, 4.0, None, 3).heard == 2
    assert plan_walk(take, FRAME, 4.0, None, 3, count_steps=True).heard == 1
    assert plan_walk(take, FRAME, 4.0, None, 2) is None, "two events already: version 14 lays none"
    assert plan_walk(take, FRAME, 4.0, None, 2, count_steps=True).heard == 1


@pytest.fixture(scope="module")
def pipe(tiny_bundled_dir: Path) -> FoleyPipeline:
    loaded = FoleyPipeline.from_pretrained(tiny_bundled_dir)
    loaded.set_progress_bar_config(disable=True)
    return loaded


def conditioning(pipe: FoleyPipeline, prompts: list[str], guidance: float = 3.0) -> tuple:
    states, mask = pipe.encode_prompt([""] * len(prompts) + prompts, pipe.device)
    return states, mask, guidance, torch.zeros(len(prompts), 1, 1, 1)


def test_the_pipeline_lays_out_a_walk_only_where_a_prompt_asks_for_one_and_the_take_is_one_step(
    pipe: FoleyPipeline,
) -> None:
    prompts = ["footsteps on gravel", "a door knock", "three footsteps on wood", "a footstep on gravel"]
    frames = pipe.num_frames(2.0)
    frame_seconds = pipe.hop_length / pipe.sample_rate
    single = np.log(one_step(frames, at=40, bands=pipe.n_mels).astype(np.float32))
    mel = torch.from_numpy(np.stack([single] * len(prompts)))

    def compose(seed: int) -> tuple[torch.Tensor, list[int]]:
        generators = [torch.Generator().manual_seed(seed + i) for i in range(len(prompts))]
        return pipe.lay_out_walks(mel, prompts, 2.0, 2, conditioning(pipe, prompts), generators, pipe.device)

    out, added = compose(7)
    assert len(event_frames(np.exp(out[0].numpy()), frame_seconds)) >= 3, "a walk asked for is laid out"
    assert added[0] >= 2 and added[1] == added[3] == 0 and added[2] == 2, "three footsteps are three"
    assert torch.equal(out[1], mel[1]) and torch.equal(out[3], mel[3]), "a knock and one step are kept"
    assert torch.equal(out[0, :40], mel[0, :40]), "the take's own step is where it was"
    assert torch.equal(compose(7)[0], out), "a seed is one take"
    assert not torch.equal(compose(8)[0][0], out[0])


@pytest.mark.parametrize("passes", [1, 2, 3])
@pytest.mark.parametrize("generators", ["list", "one", "none"])
def test_the_short_takes_are_guided_as_their_own_take_was(
    pipe: FoleyPipeline, monkeypatch: pytest.MonkeyPatch, passes: int, generators: str
) -> None:
    """The short takes a walk is cut from get their take's rows of every pass (unconditional, prompt,
    anchor) and its anchor share, with each kind of generator a caller may pass."""
    prompts = ["a door knock", "footsteps on gravel", "someone walking on wood"]
    texts = ([""] * 3 + prompts + ["rain falling", "a footstep on gravel", "wood creaking"])[-passes * 3 :]
    states, mask = pipe.encode_prompt(texts if passes > 1 else prompts, pipe.device)
    share = torch.tensor([0.1, 0.5, 0.9]).view(-1, 1, 1, 1)
    frames = pipe.num_frames(2.0)
    single = np.log(one_step(frames, at=40, bands=pipe.n_mels).astype(np.float32))
    mel = torch.from_numpy(np.stack([single] * 3))
    seen = {}
    denoise = pipe.denoise

    def spy(latents, timesteps, text_states, text_mask, guidance, anchor_share, generator, *rest):
        seen.update(states=text_states, mask=text_mask, share=anchor_share, batch=latents.shape[0])
        return denoise(latents, timesteps, text_states, text_mask, guidance, anchor_share, generator, *rest)

    monkeypatch.setattr(pipe, "denoise", spy)
    generator = {
        "list": [torch.Generator().manual_seed(i) for i in range(3)],
        "one": torch.Generator().manual_seed(0),
        "none": None,
    }[generators]
    guidance = 3.0 if passes > 1 else 1.0
    _, added = pipe.lay_out_walks(
        mel, prompts, 2.0, 2, (states, mask, guidance, share), generator, pipe.device
    )
    assert added[0] == 0 and added[1] > 0 and added[2] > 0
    rows = [1, 1, 1, 2, 2, 2]  # each walk-asking take's 3 short takes
    expected = torch.cat([states[p * 3 + row][None] for p in range(passes) for row in rows])
    assert seen["batch"] == 6 and torch.equal(seen["states"], expected)
    assert torch.equal(
        seen["mask"], torch.cat([mask[p * 3 + row][None] for p in range(passes) for row in rows])
    )
    assert torch.equal(seen["share"].flatten(), torch.tensor([0.5] * 3 + [0.9] * 3))


def test_compose_walks_is_a_saved_setting_that_leaves_every_other_take_as_it_was(
    tmp_path: Path, pipe: FoleyPipeline, tiny_bundled_dir: Path
) -> None:
    prompts = ["a door knock", "glass shattering", "footsteps running on gravel"]

    def takes(model: FoleyPipeline, seed: int = 11) -> np.ndarray:
        generators = [torch.Generator().manual_seed(seed + i) for i in range(len(prompts))]
        output = model(prompts, audio_length_in_s=1.0, num_inference_steps=2, generator=generators)
        assert output.walk_steps is None or output.walk_steps[:2] == [0, 0]
        model.walked = output.walk_steps
        return output.audios

    before = takes(pipe)
    saved = foley_with_settings(tiny_bundled_dir, tmp_path / "walks", compose_walks=True)
    assert json.loads((saved / "model_index.json").read_text())["compose_walks"] is True
    walking = FoleyPipeline.from_pretrained(saved)
    walking.set_progress_bar_config(disable=True)
    assert walking.config.compose_walks is True
    after = takes(walking)
    assert np.array_equal(after[:2], before[:2]), "takes that ask for no walk are the same, sample for sample"
    assert after.shape == before.shape and np.isfinite(after).all()
    assert np.array_equal(takes(walking), after)
    composed = 0
    for seed in range(11, 41, 3):  # the tiny model's takes are noise: some of them hold few events
        after, before = takes(walking, seed), takes(pipe, seed)
        assert np.array_equal(after[:2], before[:2])
        assert (walking.walked[2] > 0) == (not np.array_equal(after[2], before[2]))
        composed += walking.walked[2] > 0
    assert composed, "no seed laid a walk out: the check above proved nothing"


def test_a_count_is_of_steps_only_where_its_word_names_them() -> None:
    from foleykit.pipelines.foley.descriptors import step_count

    assert step_count("three footsteps on gravel") == 3
    assert step_count("five slow crunchy footsteps") == 5
    assert step_count("two heavy steps on wood") == 2
    assert step_count("footsteps on stone, three times") == 3
    assert step_count("stomping twice") == 2
    assert step_count("two people strolling down a gravel road") is None
    assert step_count("footsteps on gravel") is None
    assert step_count("two steps, then three steps") is None
    for no_count in ("footsteps twice as fast", "twice as fast footsteps", "three times as loud footsteps",
                     "footsteps all at once"):  # fmt: skip
        assert step_count(no_count) is None, no_count


def test_no_step_is_laid_where_none_fits_and_none_is_cut_for_it(
    pipe: FoleyPipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`room_for_a_step` says no exactly where the pace cannot fit a step (then `walk_onsets` lays none), and
    a take whose step lies at its end costs no short takes."""
    from foleykit.pipelines.foley.walks import room_for_a_step, walk_onsets

    rng = np.random.default_rng(0)
    for _ in range(500):
        seconds, speed = rng.uniform(0.5, 4.0), [None, "slow", "fast"][rng.integers(3)]
        take = one_step(round(seconds / FRAME), at=int(rng.integers(3, round(seconds / FRAME))))
        first = event_frames(take, FRAME)[-1] * FRAME
        if not room_for_a_step(first, seconds, speed):
            assert (
                walk_onsets(first, seconds, speed, None, np.random.default_rng(int(rng.integers(99)))) == []
            )
    frames = pipe.num_frames(2.0)
    late = np.log(one_step(frames, at=frames - 20, bands=pipe.n_mels).astype(np.float32))
    mel = torch.from_numpy(late[None])
    monkeypatch.setattr(pipe, "denoise", lambda *args, **kwargs: pytest.fail("short takes made for no step"))
    out, added = pipe.lay_out_walks(
        mel, ["footsteps on gravel"], 2.0, 2, conditioning(pipe, ["footsteps on gravel"]), None, pipe.device
    )
    assert added == [0] and out is mel


def test_only_the_mel_values_a_step_changed_are_written_back(
    pipe: FoleyPipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A value below the log-mel floor that no step touched stays as it was (not raised to the floor)."""
    import foleykit.pipelines.foley.pipeline_foley as module

    frames = pipe.num_frames(2.0)
    take = one_step(frames, at=40, bands=pipe.n_mels).astype(np.float32)
    take[100:, 0] = 1e-8  # below LOG_MEL_FLOOR (1e-5)
    mel = torch.from_numpy(np.log(take)[None])

    def one_value(magnitude, plan, steps, *rest):
        changed = magnitude.copy()
        changed[120, 3] += 1.0
        return changed, 1

    monkeypatch.setattr(module, "lay_out_walk", one_value)
    out, added = pipe.lay_out_walks(
        mel, ["footsteps on gravel"], 2.0, 2, conditioning(pipe, ["footsteps on gravel"]), None, pipe.device
    )
    differs = (out != mel)[0].nonzero().tolist()
    assert added == [1] and differs == [[120, 3]]


@pytest.mark.parametrize(
    ("setting", "prompt", "key", "others"),
    [
        ("compose_walks", "footsteps on gravel", "walk_steps_added", "count_events_changed"),
        ("match_counts", "a single beep", "count_events_changed", "walk_steps_added"),
    ],
)
def test_the_sidecar_says_what_the_pipeline_changed_after_denoising(
    setting: str,
    prompt: str,
    key: str,
    others: str,
    tmp_path: Path,
    tiny_bundled_dir: Path,
    capsys: pytest.CaptureFixture,
) -> None:
    """Steps laid out after a take's own (`compose_walks`, never fewer than none), events added or left out to
    hold a count (`match_counts`; one beep asked, so none added): each in its sidecar key, None where its
    setting is off."""
    from foleykit.cli import main

    changing = foley_with_settings(tiny_bundled_dir, tmp_path / "changing", **{setting: True})
    argv = ["generate", prompt, "--duration", "1", "--steps", "2", "--takes", "2", "--json"]
    reported = {}
    for name, model in (("off", tiny_bundled_dir), ("on", changing)):
        assert main([*argv, "--model", str(model), "--out", str(tmp_path / name)]) == 0
        takes = json.loads(capsys.readouterr().out)["takes"]
        sidecars = [json.loads(Path(t["path"]).with_suffix(".json").read_text()) for t in takes]
        reported[name] = [sidecar[key] for sidecar in sidecars]
        assert all(sidecar[others] is None for sidecar in sidecars)
    assert reported["off"] == [None, None]
    assert all(isinstance(n, int) for n in reported["on"]), reported
    assert (
        all(n >= 0 for n in reported["on"])
        if key == "walk_steps_added"
        else all(n <= 0 for n in reported["on"])
    )
