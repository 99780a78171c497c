"""When the disk fills: generate, batch and sync stop with one line naming the folder, leave no partial
file and lose no finished take; the next run (with space) carries on.

A full disk is made with a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored, so a write past it fails with
EFBIG as one past a full disk fails with ENOSPC), set in this process around one CLI call: every file the
call writes past the limit is refused, whatever its folder.
"""

from __future__ import annotations

import contextlib
import json
import resource
import signal
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from foleykit.cli import main as foleykit_main


@contextlib.contextmanager
def file_size_limit(limit: int) -> Iterator[None]:
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)


def run_full(capsys: pytest.CaptureFixture, limit: int, *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    with file_size_limit(limit):
        code = foleykit_main(list(argv))
    return code, capsys.readouterr().err


def assert_disk_full_line(code: int, err: str, folder: Path) -> None:
    """The file-size limit's EFBIG is said as such (freeing space would not help); ENOSPC: below."""
    lines = [line for line in err.splitlines() if line.startswith("foleykit: error:")]
    assert code == 1 and len(lines) == 1 and "Traceback" not in err, err
    assert f"the file system of {folder} refuses a file this large" in lines[0], lines[0]
    assert "finished before it is kept" in lines[0], lines[0]


def test_a_full_disk_and_a_file_size_limit_are_told_apart(tmp_path: Path) -> None:
    import errno

    from foleykit.audio.io import disk_full

    full = disk_full(OSError(errno.ENOSPC, "No space left on device"), tmp_path / "mix.wav")
    assert str(full).startswith(f"no space left in {tmp_path} (No space left on device): mix.wav")
    assert "Free some space" in str(full)
    large = disk_full(OSError(errno.EFBIG, "File too large"), tmp_path / "mix.wav")
    assert "refuses a file this large" in str(large) and "Free some space" not in str(large)


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith((".tmp", ".part"))]


def test_generate_on_a_full_disk(
    tiny_bundled_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "takes"
    argv = ["generate", "rain", "--model", str(tiny_bundled_dir), "--duration", "2", "--steps", "2"]
    argv += ["--seed", "4", "--out", str(out)]
    code, err = run_full(capsys, 100_000, *argv)  # a 2 s take is 288 kB
    assert_disk_full_line(code, err, out)
    assert not leftovers(out) and not list(out.glob("*.wav"))
    assert foleykit_main(argv) == 0  # with space again, the same command works
    assert [p.name for p in out.glob("*.wav")] == ["rain_t1_s4.wav"]


def test_batch_on_a_full_disk_keeps_finished_takes_and_resumes(
    tiny_bundled_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    prompts = tmp_path / "lib.toml"
    prompts.write_text(
        f'[defaults]\nmodel = "{tiny_bundled_dir}"\nsteps = 2\nseed = 1\n\n'
        '[[sound]]\nname = "tick"\nprompt = "clock ticking"\nduration = 0.5\ntakes = 2\n\n'
        '[[sound]]\nname = "wind"\nprompt = "wind gusts"\nduration = 2.0\n'
    )
    out = tmp_path / "out"
    argv = ["batch", str(prompts), "--out", str(out)]
    code, err = run_full(capsys, 100_000, *argv)  # 0.5 s takes (72 kB) fit, the 2 s one does not
    assert_disk_full_line(code, err, out / "lib" / "wind")
    assert not leftovers(out)
    manifest = out / "lib" / "manifest.jsonl"
    finished = [json.loads(line)["path"] for line in manifest.read_text().splitlines()]
    assert len(finished) == 2 and all("tick" in p for p in finished)
    kept = {p: (out / p).read_bytes() for p in finished}
    assert not list((out / "lib" / "wind").glob("*.wav"))

    assert foleykit_main([*argv, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["generated"], result["skipped"]) == (1, 2)
    final = [json.loads(line)["path"] for line in manifest.read_text().splitlines()]
    assert len(final) == len(set(final)) == 3
    assert all((out / p).read_bytes() == data for p, data in kept.items()), "finished takes untouched"


def test_sync_on_a_full_disk(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rng = np.random.default_rng(0)
    audio = np.zeros(9600)
    audio[500:] = 0.3 * rng.standard_normal(9100) * np.exp(-np.arange(9100) / 900)
    sf.write(tmp_path / "hit.wav", audio, 48000, subtype="PCM_24")
    (tmp_path / "cues.csv").write_text("frame,audio\n10,hit.wav\n60,hit.wav\n")
    out = tmp_path / "sync"
    argv = ["sync", "--fps", "25", "--length", "8", "--cues", str(tmp_path / "cues.csv"), "--out", str(out)]
    code, err = run_full(capsys, 200_000, *argv, "--no-aaf")  # cue files fit; the 8 s mix (1.15 MB) does not
    assert_disk_full_line(code, err, out)
    assert not leftovers(out) and not (out / "mix.wav").exists()
    assert sorted(p.name for p in (out / "cues").iterdir()) == ["001_hit.wav", "002_hit.wav"]
    assert foleykit_main([*argv, "--no-aaf", "--force"]) == 0
    assert (out / "mix.wav").is_file() and (out / "spotting.csv").is_file()


def test_the_ui_says_a_full_disk_in_one_line_and_keeps_serving(
    tiny_bundled_dir: Path, tmp_path: Path
) -> None:
    """The UI's generate (Studio, under app.py's one-line `friendly` errors): refused, then served again."""
    from foleykit.errors import DiskFullError, FoleykitError
    from foleykit.studio import Studio

    studio = Studio(tmp_path / "ui")
    ask = {"model": str(tiny_bundled_dir), "duration": 2.0, "takes": 1, "steps": 2, "seed": 1}
    with file_size_limit(100_000), pytest.raises(DiskFullError) as refused:
        list(studio.generate("rain on a roof", **ask))
    assert isinstance(refused.value, FoleykitError)  # what app.py's handlers turn into one line
    assert "\n" not in str(refused.value) and f"the file system of {studio.root}" in str(refused.value)
    assert not leftovers(studio.root)
    made = list(studio.generate("rain on a roof", **ask))[-1]  # space again: the same studio serves
    assert made.takes[0].wav.is_file()
