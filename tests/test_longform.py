"""Long takes past the model's window and seamless loops (issue 17): every join and every loop seam is
scored against the file's own ordinary moments (foleykit.audio.joins), the level stays even, the loop
points read back with an independent reader (wavinfo), and bad input stops before any work."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import wavinfo

import foleykit
from foleykit.audio.joins import block_levels, check_level, check_loop_seam, check_seams, fold_loop
from foleykit.cli import main

RATE = 48_000


def read(path: Path) -> tuple[np.ndarray, dict]:
    audio = sf.read(path, dtype="float32", always_2d=True)[0].T
    return audio, json.loads(path.with_suffix(".json").read_text())


def joins_of(sidecar: dict) -> list[int]:
    return [round(w["join_at_s"] * RATE) for w in sidecar["windows"][1:]]


def test_a_bed_past_the_window_is_continued_with_joins_no_one_can_pick_out(tmp_path: Path) -> None:
    """The bundled model (10 s window) continues a 22 s rain bed from each window's last seconds."""
    result = foleykit.generate("rain on a tin roof", duration=22.0, seed=3, out_dir=tmp_path)
    audio, sidecar = read(result.files[0].path)
    assert audio.shape == (1, 22 * RATE)
    windows = sidecar["windows"]
    assert windows[0]["join"] == "first" and {w["join"] for w in windows[1:]} == {"continued"}
    assert len(windows) >= 3 and len({w["seed"] for w in windows}) == len(windows)
    assert all(a["end_s"] > b["join_at_s"] for a, b in itertools.pairwise(windows))
    seams = check_seams(audio, RATE, joins_of(sidecar))
    assert seams.passed, seams.to_dict()
    level = check_level(audio, RATE)
    assert level.passed, level.to_dict()


def test_a_loop_runs_from_its_end_into_its_start_and_says_so_in_the_wav(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    argv = ["generate", "wind howling through trees", "--duration", "20", "--loop", "--seed", "3"]
    assert main([*argv, "--out", str(tmp_path), "--json"]) == 0
    wav = Path(json.loads(capsys.readouterr().out)["takes"][0]["path"])
    audio, sidecar = read(wav)
    assert audio.shape == (1, 20 * RATE)
    seam = check_loop_seam(audio, RATE)
    assert seam.passed, seam.to_dict()
    assert check_seams(audio, RATE, joins_of(sidecar)).passed and check_level(audio, RATE).passed
    assert np.abs(audio[:, :240]).max() > 0.01, "no fade-in: the end runs on into the start"
    info = wavinfo.WavInfoReader(str(wav))
    (loop,) = info.smpl.sample_loops
    assert (loop.loop_type, loop.start, loop.end, loop.repetition_count) == (0, 0, 20 * RATE - 1, 0)
    assert list(info.cues.each_cue()) == [(1, 0)]
    assert sidecar["loop"] == {"start_sample": 0, "end_sample": 20 * RATE - 1}
    assert "--loop" in sidecar["command"] and "loop:" in sidecar["post"]["note"]


def test_a_plain_cut_fails_the_loop_check_and_a_folded_loop_passes() -> None:
    """The measures can fail: a tone cut mid-cycle clicks at the seam; the same tone folded does not."""
    seconds = np.arange(round(4.25 * RATE)) / RATE
    rng = np.random.default_rng(0)
    tone = (0.3 * np.sin(2 * np.pi * 221.3 * seconds) + 0.01 * rng.standard_normal(seconds.size))[None]
    tone = tone.astype(np.float32)
    assert not check_loop_seam(tone[:, : 4 * RATE], RATE).passed
    assert check_loop_seam(fold_loop(tone, 4 * RATE), RATE).passed
    noise = (0.1 * rng.standard_normal((1, 8 * RATE))).astype(np.float32)
    stepped = noise.copy()
    stepped[:, 4 * RATE :] *= 4  # +12 dB at once
    assert check_seams(noise, RATE, [4 * RATE]).passed and not check_seams(stepped, RATE, [4 * RATE]).passed
    clicked = noise.copy()
    clicked[:, 4 * RATE] += 0.9
    assert not check_seams(clicked, RATE, [4 * RATE]).passed
    gapped = noise.copy()
    gapped[:, 3 * RATE : 5 * RATE] = 0
    assert not check_level(gapped, RATE).passed and check_level(noise, RATE).passed


def test_a_model_that_cannot_continue_joins_overlapping_windows(
    tiny_stable_audio_dir: Path, tmp_path: Path
) -> None:
    """Stable Audio Open cannot inpaint: independent windows, crossfaded; the take is as long as asked
    and made again the same from its sidecar's seeds."""
    made = [
        foleykit.generate(
            "rain", model=str(tiny_stable_audio_dir), duration=5.0, seed=1, steps=2, out_dir=out
        )
        for out in (tmp_path / "a", tmp_path / "b")
    ]
    (first, sidecar), (again, _) = (read(m.files[0].path) for m in made)
    assert first.shape == (2, 5 * RATE) and np.isfinite(first).all() and np.abs(first).max() > 0
    assert {w["join"] for w in sidecar["windows"][1:]} == {"crossfaded"} and len(sidecar["windows"]) >= 3
    assert np.array_equal(first, again)
    assert check_seams(first, RATE, joins_of(sidecar)).passed


def test_stable_audio_3_continues_a_long_take_in_stereo(
    tiny_stable_audio_3_dir: Path, tmp_path: Path
) -> None:
    """Its own inpaint pipeline continues each window; a copy whose duration embedder stops at 1 s has
    a 1 s window, so a 2.5 s take takes three."""
    import shutil

    model = shutil.copytree(tiny_stable_audio_3_dir, tmp_path / "sa3")
    config = model / "duration_embedder" / "config.json"
    config.write_text(json.dumps(json.loads(config.read_text()) | {"max_val": 1.0}))
    result = foleykit.generate(
        "rain", model=str(model), duration=2.5, seed=2, steps=2, out_dir=tmp_path / "o"
    )
    audio, sidecar = read(result.files[0].path)
    assert audio.shape == (2, round(2.5 * RATE)) and np.isfinite(audio).all()
    assert {w["join"] for w in sidecar["windows"][1:]} == {"continued"} and len(sidecar["windows"]) >= 3


def test_a_prompt_file_makes_loops_and_long_takes_and_resumes(tiny_bundled_dir: Path, tmp_path: Path) -> None:
    from foleykit.batch import run_batch

    prompts = tmp_path / "beds.toml"
    prompts.write_text(
        f'[defaults]\nmodel = "{tiny_bundled_dir}"\nsteps = 2\n\n'
        '[[sound]]\nname = "hum"\nprompt = "room tone hum"\nduration = 2\nloop = true\n\n'
        '[[sound]]\nname = "long"\nprompt = "rain"\nduration = 12\ntakes = 2\n'
    )
    out = tmp_path / "out"
    assert run_batch(prompts, out, device="cpu").generated == 3
    loop_wav = next((out / "beds" / "hum").glob("*.wav"))
    assert wavinfo.WavInfoReader(str(loop_wav)).smpl.sample_loops[0].end == 2 * RATE - 1
    assert check_loop_seam(read(loop_wav)[0], RATE).passed
    for wav in (out / "beds" / "long").glob("*.wav"):
        audio, sidecar = read(wav)
        assert audio.shape == (1, 12 * RATE) and len(sidecar["windows"]) >= 3
        joins = joins_of(sidecar)
        assert joins == sorted(joins) and joins[0] > 0 and joins[-1] < audio.shape[1]
        # no second of the long take is silent (a window that died away is never kept). Whether its joins
        # can be heard is judged with the bundled model above: this random model's float output peaks far
        # over full scale (~30), so `splice` turns each new window down to its context's peak and
        # check_seams fails at 5 of 8 seeds whatever the tiny model's sizes (measured, 2026-12-02)
        assert (block_levels(audio, RATE, 1.0) > -60).all()
    again = run_batch(prompts, out, device="cpu")
    assert (again.generated, again.skipped) == (0, 3)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--loop", "--duration", "0.5"], "a loop must be at least 1 s long"),
        (["--loop", "--trim"], "give loop or trim, not both"),
        (["--duration", "1800.5"], "over the 30-minute limit"),
    ],
)
def test_bad_long_and_loop_requests_are_one_line(
    extra: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["generate", "rain", *extra, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not (tmp_path / "out").exists()


def test_a_long_walk_lays_its_first_window_out_and_says_so(tmp_path: Path) -> None:
    """The bundled model lays a walk out in a fresh window (compose_walks), not in one continued from a source;
    the sidecar lists each window's laid-out steps and the take's sum."""
    result = foleykit.generate("footsteps on gravel", duration=14.0, seed=0, out_dir=tmp_path)
    _, sidecar = read(result.files[0].path)
    windows = sidecar["windows"]
    assert windows[0]["join"] == "first" and windows[0]["edits"]["walk_steps_added"] > 0
    assert all(w["edits"] is None for w in windows[1:] if w["join"] == "continued")
    assert sidecar["walk_steps_added"] == sum((w["edits"] or {}).get("walk_steps_added", 0) for w in windows)
