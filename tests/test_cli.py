"""The command as users run it: a real process, one-line errors, exit code 2 for bad input, nothing lost."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import foleykit


def foleykit_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "foleykit", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


def assert_one_line_error(run: subprocess.CompletedProcess, fragment: str, code: int = 2) -> None:
    assert run.returncode == code, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{run.stderr}"
    assert "Traceback" not in run.stderr and fragment in lines[0], lines[0]
    assert run.stdout == ""


@pytest.fixture(scope="module")
def corrupt_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("corrupt_model")
    (directory / "model_index.json").write_text("{ this is not json")
    return directory


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["generate", ""], "prompt is empty"),
        (["generate", "rain", "--duration", "0"], "duration must be a positive number"),
        (["generate", "rain", "--duration", "-2"], "duration must be a positive number"),
        (["generate", "rain", "--duration", "abc"], "invalid float value"),
        (["generate", "rain", "--takes", "0"], "takes must be a whole number"),
        (["generate", "rain", "--steps", "0"], "steps must be a whole number"),
        (["generate", "rain", "--model", "no-such-model"], "unknown model 'no-such-model'"),
        (["generate", "rain", "--model", "/no/such/model"], "does not exist"),
        (["generate", "rain", "--device", "tpu"], "invalid choice"),
        (["generate", "rain", "--model", "cvssp/audioldm2"], "not in the local cache"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], fragment: str) -> None:
    began = time.perf_counter()
    run = foleykit_cli(*args)
    assert_one_line_error(run, fragment)
    assert time.perf_counter() - began < 15, "bad input fails in seconds"


def test_unreadable_model_directory(corrupt_model_dir: Path) -> None:
    assert_one_line_error(foleykit_cli("generate", "rain", "--model", str(corrupt_model_dir)), "cannot read")


def test_duration_above_the_30_minute_limit_names_it(tiny_bundled_dir: Path) -> None:
    run = foleykit_cli("generate", "rain", "--model", str(tiny_bundled_dir), "--duration", "1801")
    assert_one_line_error(run, "over the 30-minute limit")


def test_an_output_folder_that_is_a_file_is_named_as_one(tiny_bundled_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    for out in (blocker, blocker / "out"):
        run = foleykit_cli("generate", "rain", "--model", str(tiny_bundled_dir), "--out", str(out))
        assert_one_line_error(run, f"output folder {blocker}")
        assert "is a file, not a folder" in run.stderr and "File exists" not in run.stderr
    assert blocker.read_text() == ""


@pytest.mark.parametrize(
    ("args", "help_of"),
    [
        (["generate"], "foleykit generate --help"),
        (["generate", "rain", "--takes", "two"], "foleykit generate --help"),
        (["batch"], "foleykit batch --help"),
        (["sync", "--fps", "25"], "foleykit sync --help"),
        (["frobnicate"], "foleykit --help"),
    ],
)
def test_usage_errors_start_like_every_other_error(args: list[str], help_of: str) -> None:
    run = foleykit_cli(*args)
    assert_one_line_error(run, "foleykit: error: ")
    assert run.stderr.startswith("foleykit: error: ") and run.stderr.strip().endswith(f"(see {help_of})")


def test_warnings_reach_stderr_not_only_the_sidecar(
    tiny_bundled_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """A loudness target held at the true-peak ceiling says so on stderr, one line, naming the takes."""
    from foleykit.cli import main

    # The tiny model decoded by its random HiFi-GAN (not Griffin-Lim) is far below full scale.
    quiet_model = tmp_path / "quiet_model"
    shutil.copytree(tiny_bundled_dir, quiet_model)
    index = json.loads((quiet_model / "model_index.json").read_text())
    (quiet_model / "model_index.json").write_text(json.dumps({**index, "decoder": "vocoder"}))
    code = main([
        "generate", "rain", "--model", str(quiet_model), "--duration", "1", "--takes", "2",
        "--seed", "3", "--steps", "2", "--loudness", "0", "--out", str(tmp_path / "takes"), "--json",
    ])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    warnings = [line for line in captured.err.splitlines() if line.startswith("foleykit: warning: ")]
    held = [w for w in warnings if "held at the -1 dBTP ceiling" in w]
    assert len(held) == 1 and "takes 1, 2: 0 LUFS would clip" in held[0], warnings
    # the tiny random model is far below full scale: the gain it needs is reported too
    assert any("very quiet" in w and "dB" in w for w in warnings), warnings
    # --json: stdout is one JSON document, the progress bars are on stderr (one process, both checks)
    doc = json.loads(captured.out)
    assert len(doc["takes"]) == 2 and all(Path(t["path"]).is_file() for t in doc["takes"])
    assert "takes" in captured.err and "steps" in captured.err, "progress bars go to stderr"
    assert doc["warnings"] == [w.removeprefix("foleykit: warning: ") for w in warnings]
    sidecar = json.loads(Path(doc["takes"][0]["sidecar"]).read_text())
    assert "ceiling" in sidecar["post"]["note"]


def test_progress_in_a_log_is_plain_lines(
    tiny_bundled_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """stderr redirected (CI, a log file): whole lines, no carriage returns, no cursor movement."""
    from foleykit.cli import main

    # in this process, whose stderr is pytest's capture (not a terminal, as a log is); the tiny model
    # loads once for the suite
    argv = ["generate", "rain", "--model", str(tiny_bundled_dir), "--duration", "0.5", "--takes", "3"]
    assert main([*argv, "--batch-size", "2", "--steps", "3", "--out", str(tmp_path)]) == 0
    run = capsys.readouterr()
    assert "\x1b[" not in run.err and "\r" not in run.err, repr(run.err[:300])
    assert "takes: 3/3 take" in run.err  # the bar's last state, as a line
    assert all(line.strip() for line in run.err.splitlines()), "no blank lines"
    # plain mode prints the paths and nothing else on stdout
    seed = json.loads(next(tmp_path.glob("rain_t1_s*.json")).read_text())["seed"]
    assert run.out.splitlines() == [str(tmp_path / f"rain_t{k}_s{seed + k - 1}.wav") for k in (1, 2, 3)]


def test_existing_output_needs_force_and_is_left_untouched(
    tiny_bundled_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from foleykit.cli import main

    made = foleykit.generate(
        "door knock", model=str(tiny_bundled_dir), duration=0.5, seed=9, steps=2, out_dir=tmp_path
    ).files[0]
    before = made.path.read_bytes()
    args = ["generate", "door knock", "--model", str(tiny_bundled_dir), "--duration", "0.5", "--seed", "9"]
    args += ["--steps", "3", "--out", str(tmp_path), "--takes", "2"]
    # in this process (the CLI's entry point; the tiny model loads once for the suite)
    assert main(args) == 2
    refused = capsys.readouterr()
    assert refused.out == "" and len(refused.err.strip().splitlines()) == 1
    assert "door_knock_t1_s9.wav exists; pass --force" in refused.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["door_knock_t1_s9.json", "door_knock_t1_s9.wav"]
    assert made.path.read_bytes() == before, "nothing was generated, nothing overwritten"

    assert main([*args, "--force"]) == 0
    assert made.path.read_bytes() != before, "--force regenerated it (with 3 steps instead of 2)"
    assert (tmp_path / "door_knock_t2_s10.wav").is_file()
    assert '"steps": 3' in made.sidecar.read_text()
