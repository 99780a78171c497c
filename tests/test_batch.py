"""`foleykit batch`: validation, batching, resume (also after SIGKILL), two accelerate processes, report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import soundfile as sf

from foleykit.cli import main as foleykit_main

SOUNDS = [("knock", "door knock"), ("rain", "rain on a roof"), ("steps", "footsteps on gravel")]


def _prompt_file(tmp_path: Path, model: Path, takes: int = 2, duration: float = 1.0, sounds=SOUNDS) -> Path:
    body = f'[defaults]\nmodel = "{model}"\nduration = {duration}\ntakes = {takes}\nsteps = 2\n'
    for name, prompt in sounds:
        body += f'\n[[sound]]\nname = "{name}"\nprompt = "{prompt}"\n'
    path = tmp_path / "lib.toml"
    path.write_text(body)
    return path


def _run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = foleykit_main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _manifest(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "lib" / "manifest.jsonl").read_text().splitlines()]


def _default_sigint() -> None:
    """Ctrl-C as in a terminal, in a child the tests interrupt: a suite started in the background by a
    shell without job control inherits SIGINT ignored, and Python then never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _env() -> dict[str, str]:
    src = str(Path(__file__).resolve().parents[1] / "src")
    return {
        **os.environ,
        "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "HF_HUB_OFFLINE": "1",
    }


@pytest.mark.parametrize(
    ("text", "suffix", "reason"),
    [
        ("[[sound]]\nname = 'a'\nprompt = 'x'\nvolume = 3\n", ".toml", "[[sound]] #1: unknown key 'volume'"),
        (
            "[[sound]]\nname = 'a'\nprompt = 'x'\n[[sound]]\nname = 'a'\nprompt = 'y'\n",
            ".toml",
            "duplicate name",
        ),
        ("[[sound]]\nname = 'a'\n", ".toml", "missing prompt"),
        ("[defaults]\ntakes = -1\n[[sound]]\nprompt = 'x'\n", ".toml", "takes must be"),
        ("[[sound]\nprompt = 'x'\n", ".toml", "not valid TOML"),
        ("name,prompt,loudness\na,x,3\n", ".csv", "unknown column 'loudness'"),
        ("name,prompt,prompt\na,x,y\n", ".csv", "line 1: column 'prompt' appears twice"),
        ("sound = [1, 2]\n", ".toml", "must be [[sound]] tables"),
        (
            '{"name": "a", "prompt": "x"}\n{"name": "b", "prompt": "y", "takes": "many"}\n',
            ".jsonl",
            "line 2: takes",
        ),
        ("[[sound]]\nprompt = 'x'\nmodel = 'no/such-model'\n", ".toml", "[[sound]] #1"),
        ("name,prompt,trim\na,x,maybe\n", ".csv", "line 2: trim must be true or false"),
        ("[[sound]]\nprompt = 'x'\ntrim = 1\n", ".toml", "trim must be true or false"),
    ],
)
def test_bad_prompt_files_are_exit_2_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture, text: str, suffix: str, reason: str
) -> None:
    path = tmp_path / f"bad{suffix}"
    path.write_text(text)
    code, out, err = _run(capsys, "batch", str(path), "--out", str(tmp_path / "out"))
    assert code == 2 and out == "" and err.count("\n") == 1 and reason in err, err
    assert not list((tmp_path / "out").rglob("*.wav"))


def test_a_resume_in_the_same_second_counts_only_its_own_takes(
    tmp_path: Path, tiny_bundled_dir: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs are told apart by more than their start second: a quick resume once counted the first run's
    six takes as its own ("generated": 6 beside "skipped": 6)."""
    from datetime import datetime, timezone

    import foleykit.batch.runner as runner

    class FrozenClock(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:
            return datetime(2026, 12, 1, 12, 0, 0, tzinfo=timezone.utc)

    monkeypatch.setattr(runner, "datetime", FrozenClock)
    path, out = _prompt_file(tmp_path, tiny_bundled_dir, takes=1), tmp_path / "out"
    first = json.loads(_run(capsys, "batch", str(path), "--out", str(out), "--json")[1])
    second = json.loads(_run(capsys, "batch", str(path), "--out", str(out), "--json")[1])
    assert (first["generated"], second["generated"], second["skipped"]) == (3, 0, 3)
    runs = [json.loads(line) for line in (out / "lib" / "runs.jsonl").read_text().splitlines()]
    assert runs[0]["started"] == runs[1]["started"] and runs[0]["run"] != runs[1]["run"]


def test_a_batch_writes_takes_manifest_and_report_and_resumes(
    tmp_path: Path, tiny_bundled_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    path = _prompt_file(tmp_path, tiny_bundled_dir)
    out = tmp_path / "out"
    code, stdout, err = _run(capsys, "batch", str(path), "--out", str(out), "--batch-size", "4", "--json")
    assert code == 0, err
    result = json.loads(stdout)
    assert result["takes"] == 6 and result["generated"] == 6 and result["skipped"] == 0
    entries = _manifest(out)
    assert sorted(e["path"] for e in entries) == sorted({e["path"] for e in entries}) and len(entries) == 6
    for entry in entries:
        wav = out / entry["path"]
        assert sf.info(wav).frames == 48000 and sf.info(wav).samplerate == 48000
        sidecar = json.loads((out / entry["sidecar"]).read_text())
        assert sidecar["seed"] == entry["seed"] and sidecar["prompt"] == entry["prompt"]
    batch_seeds = {tuple(json.loads((out / e["sidecar"]).read_text())["batch_seeds"]) for e in entries}
    assert max(len(s) for s in batch_seeds) == 4, "several prompts and takes share one pipeline call"
    page = (out / "lib" / "report.html").read_text()
    assert page.count("<audio") == 6 and page.count("data:image/png;base64,") == 7  # + the colour scale
    assert "6 of 6 takes finished. This run (finished): 6 take(s) made, 6.0 s of audio in" in page
    assert "All " not in page

    # resume: nothing to do; then a truncated WAV and a lost sidecar are made again, nothing else
    stamps = {e["path"]: (out / e["path"]).stat().st_mtime_ns for e in entries}
    code, stdout, _ = _run(capsys, "batch", str(path), "--out", str(out), "--json")
    assert code == 0 and json.loads(stdout)["generated"] == 0 and json.loads(stdout)["skipped"] == 6
    assert json.loads(stdout)["audio_s"] == 0, "a run that made nothing made no audio"
    page = (out / "lib" / "report.html").read_text()
    assert "This run (finished): 0 take(s) made, 0.0 s of audio" in page
    assert "All 2 runs: 6 take(s) made, 6.0 s of audio in" in page
    broken, orphan = out / entries[0]["path"], out / entries[1]["sidecar"]
    broken.write_bytes(broken.read_bytes()[:1000])
    orphan.unlink()
    code, stdout, _ = _run(capsys, "batch", str(path), "--out", str(out), "--json")
    assert json.loads(stdout)["generated"] == 2
    again = _manifest(out)
    assert len(again) == 6 and sf.info(broken).frames == 48000
    unchanged = [p for p in stamps if p not in (entries[0]["path"], entries[1]["path"])]
    assert all((out / p).stat().st_mtime_ns == stamps[p] for p in unchanged)
    code, stdout, _ = _run(capsys, "batch", str(path), "--out", str(out), "--force", "--json")
    assert json.loads(stdout)["generated"] == 6


def _batch_until(
    tmp_path: Path, model: Path, takes_done: int
) -> tuple[list[str], Path, Path, subprocess.Popen]:
    """A batch of 18 two-second takes in a process, left running once `takes_done` are in the manifest."""
    path = _prompt_file(tmp_path, model, takes=6, duration=2.0)
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "foleykit", "batch", str(path), "--out", str(out), "--batch-size", "1"]
    proc = subprocess.Popen(
        argv,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )
    manifest = out / "lib" / "manifest.jsonl"
    _wait_for_takes(proc, manifest, takes_done, 120)
    return argv, out, manifest, proc


def _wait_for_takes(proc: subprocess.Popen, manifest: Path, count: int, seconds: float) -> None:
    """Until `count` takes are in the manifest, the process ends, or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        if manifest.exists() and len(manifest.read_text().splitlines()) >= count:
            return
        time.sleep(0.05)


def test_a_killed_run_loses_no_finished_take_and_resumes(tmp_path: Path, tiny_bundled_dir: Path) -> None:
    argv, out, manifest, proc = _batch_until(tmp_path, tiny_bundled_dir, 3)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    listed = [json.loads(line)["path"] for line in manifest.read_text().splitlines()]
    assert 3 <= len(listed) < 18, "killed mid-way"
    for wav in (out / "lib").rglob("*.wav"):
        assert sf.info(wav).frames == 96000, f"{wav} is whole"  # atomic: never a truncated WAV
    before = {p: (out / p).read_bytes() for p in listed}
    done = subprocess.run([*argv, "--json"], env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["generated"] + result["skipped"] == 18 and result["skipped"] >= len(listed)
    final = [json.loads(line)["path"] for line in manifest.read_text().splitlines()]
    assert len(final) == len(set(final)) == 18
    assert all((out / p).read_bytes() == data for p, data in before.items()), "finished takes kept"


def test_ctrl_c_says_what_is_safe_and_how_to_resume(tmp_path: Path, tiny_bundled_dir: Path) -> None:
    _, out, manifest, proc = _batch_until(tmp_path, tiny_bundled_dir, 2)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1 and stdout == ""
    finished = len(manifest.read_text().splitlines())
    assert 2 <= finished < 18
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"foleykit: interrupted: {finished} of 18 takes are finished and safe in "), last
    assert last.endswith(f"run the same command again to make the other {18 - finished}"), last
    assert "report.html" in last and "Traceback" not in stderr
    page = (out / "lib" / "report.html").read_text()
    assert page.count("<audio") == finished and f"This run (interrupted): {finished} take(s)" in page
    runs = [json.loads(line) for line in (out / "lib" / "runs.jsonl").read_text().splitlines()]
    assert [r["interrupted"] for r in runs] == [True] and runs[0]["generated"] == finished


_CTRL_C_IN_AN_IMPORT = """
import importlib.abc, sys
from foleykit.batch.runner import run_batch, BatchInterrupted

class CtrlCInScipySignal(importlib.abc.MetaPathFinder):
    \"\"\"A Ctrl-C that lands while the first take's audio post imports pyloudnorm, inside scipy.signal's
    import (after its _signal_api part): the moment that left CI's batch unable to draw its report.\"\"\"
    armed = False

    def find_spec(self, name, path=None, target=None):
        if name == "pyloudnorm":
            CtrlCInScipySignal.armed = True
        elif name == "scipy.signal._delegators" and CtrlCInScipySignal.armed:
            CtrlCInScipySignal.armed = False
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, CtrlCInScipySignal())
try:
    result = run_batch(sys.argv[1], sys.argv[2], progress=False)
    print("finished", result.generated)
except BatchInterrupted as stop:
    print("interrupted", stop.result.finished, stop.result.report is not None)
"""


def test_a_ctrl_c_inside_an_import_still_leaves_a_report(tmp_path: Path, tiny_bundled_dir: Path) -> None:
    out = tmp_path / "out"
    path = _prompt_file(tmp_path, tiny_bundled_dir, takes=1, sounds=SOUNDS[:1])
    assert foleykit_main(["batch", str(path), "--out", str(out), "--json"]) == 0
    path = _prompt_file(tmp_path, tiny_bundled_dir, takes=2, sounds=SOUNDS[:1])  # a take to draw, one to make
    done = subprocess.run(
        [sys.executable, "-c", _CTRL_C_IN_AN_IMPORT, str(path), str(out)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # where the report's imports are loaded before the first take, the Ctrl-C never lands and the run
    # finishes; where it lands, the run stops with its report written — never a NameError
    assert done.stdout.split() in (["finished", "1"], ["interrupted", "1", "True"]), done.stdout
    assert (out / "lib" / "report.html").read_text().count("<audio") == int(done.stdout.split()[1]) + 1


def test_trim_in_a_prompt_file(tmp_path: Path) -> None:
    from foleykit.batch import load_prompt_file

    path = tmp_path / "t.csv"
    path.write_text("name,prompt,trim\na,door knock,yes\nb,rain,\nc,thud,false\n")
    assert [s.request.trim for s in load_prompt_file(path).sounds] == [True, False, False]
    toml = tmp_path / "t.toml"
    toml.write_text(
        "[defaults]\ntrim = true\n[[sound]]\nprompt = 'x'\n[[sound]]\nprompt = 'y'\ntrim = false\n"
    )
    assert [s.request.trim for s in load_prompt_file(toml).sounds] == [True, False]


def test_two_accelerate_processes_split_the_work_merge_one_manifest_and_stop_on_ctrl_c(
    tmp_path: Path, tiny_bundled_dir: Path
) -> None:
    path = _prompt_file(tmp_path, tiny_bundled_dir, takes=6, duration=1.0)
    out = tmp_path / "out"
    argv = [
        sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
        "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
        "-m", "foleykit", "batch", str(path), "--out", str(out), "--batch-size", "1",
    ]  # fmt: skip
    # Ctrl-C in a terminal reaches the launcher and both processes (one process group)
    first = subprocess.Popen(
        argv,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_default_sigint,
    )
    manifest = out / "lib" / "manifest.jsonl"
    _wait_for_takes(first, manifest, 2, 180)
    os.killpg(first.pid, signal.SIGINT)
    _, stderr = first.communicate(timeout=120)
    said = [line for line in stderr.splitlines() if line.startswith("foleykit: interrupted")]
    diagnosis = f"exit {first.returncode}, said {said}: {stderr[:1500]} … {stderr[-800:]}"
    # one answer, from the main process; the exit status is the launcher's: 1 when it sees its workers
    # fail first, 130 (128 + SIGINT) when it handles its own Ctrl-C first — a race in torch's elastic agent
    # (seen once in 4 CI runs, session 10), not foleykit's to choose
    assert first.returncode in (1, 130) and len(said) == 1, diagnosis
    finished = len(manifest.read_text().splitlines())
    assert said[0].startswith(f"foleykit: interrupted: {finished} of 18 takes are finished and safe")
    assert (out / "lib" / "report.html").is_file()

    done = subprocess.run([*argv, "--json"], env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["takes"] == 18, "one JSON document, from the main process"
    made = 18 - finished
    assert result["generated"] == made and result["audio_s"] == made, "this run counts both processes' takes"
    entries = _manifest(out)
    assert len(entries) == len({e["path"] for e in entries}) == 18
    assert {e["process"] for e in entries} == {0, 1}, "both processes made takes"
    assert all(sf.info(out / e["path"]).frames == 48000 for e in entries)


def test_the_prompt_library_is_valid_and_covers_every_category() -> None:
    from foleykit.batch import load_prompt_file

    library = Path(__file__).resolve().parents[1] / "prompts"
    files = sorted(library.glob("*.toml"))
    stems = {f.stem for f in files}
    assert len(files) >= 12
    assert {"footsteps", "doors", "impacts", "weather", "water", "fire", "vehicles"} <= stems
    assert {"ui_electronic", "nature", "household", "whooshes_transitions", "ambience"} <= stems
    for path in files:
        sounds = load_prompt_file(path).sounds
        assert len(sounds) >= 8, path.name
        assert all(s.request.model == "bundled" and s.request.duration <= 10 for s in sounds)
        assert all(s.request.negative_prompt for s in sounds), "every sound says what it should not be"
