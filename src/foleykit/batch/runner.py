"""`foleykit batch`: a prompt file → takes on disk, resumable, batched, spread over accelerate processes.

Safe to kill at any moment: each take's WAV and sidecar are written atomically (WAV first), and a take
counts as finished only when both are there and the WAV reads back at its full length; its manifest line
is appended with one `write` after that. A re-run skips finished takes and makes the rest; `--force` makes
all again. Under `accelerate launch`, `PartialState.split_between_processes` hands each process a share of
the missing takes; every process appends to the one manifest, and the main process rewrites it at the end
with one line per take (no duplicates, none lost, takes finished before a kill included).

Ctrl-C stops after the take being written: the manifest and report.html are brought up to date with what
is finished, and `BatchInterrupted` says how much that is. Every run appends one line to `runs.jsonl`, so
the report gives this run's wall time and throughput and, separately, the totals across resumed runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from foleykit.audio.io import NO_SPACE, disk_full, ensure_writable_dir, write_atomic
from foleykit.audio.post import DELIVERY_SAMPLE_RATE
from foleykit.backends.base import Speedups
from foleykit.batch.jobs import TakeJob
from foleykit.batch.prompt_file import PromptFile, load_prompt_file
from foleykit.errors import BadInputError

MANIFEST = "manifest.jsonl"
REPORT = "report.html"
RUNS = "runs.jsonl"


@dataclass
class BatchResult:
    file: Path
    out_dir: Path
    planned: int
    generated: int
    skipped: int
    wall_s: float
    audio_s: float
    manifest: Path
    report: Path | None
    timings: dict[str, float] = field(default_factory=dict)
    main_process: bool = True  # under accelerate, only the main process answers the user
    finished: int = 0  # takes on disk and whole at the end of this run, from this run or earlier ones
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.file),
            "out_dir": str(self.out_dir),
            "takes": self.planned,
            "generated": self.generated,
            "skipped": self.skipped,
            "finished": self.finished,
            "interrupted": self.interrupted,
            "wall_s": round(self.wall_s, 3),
            "audio_s": round(self.audio_s, 3),
            "audio_s_per_wall_s": round(self.audio_s / self.wall_s, 3) if self.wall_s > 0 else None,
            "manifest": str(self.manifest),
            "report": str(self.report) if self.report else None,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C during a batch, after what was finished has been recorded; `result` says how much."""

    def __init__(self, result: BatchResult, *, force: bool = False) -> None:
        super().__init__(result.out_dir)
        self.result = result
        self.force = force

    def message(self) -> str:
        r = self.result
        left = r.planned - r.finished
        again = "the same command again without --force" if self.force else "the same command again"
        return (
            f"interrupted: {r.finished} of {r.planned} takes are finished and safe in {r.out_dir} "
            f"({r.generated} made by this run{'; listed in ' + str(r.report) if r.report else ''}); "
            f"run {again} to make the other {left}"
        )


def plan(prompts: PromptFile, out_dir: Path) -> list[TakeJob]:
    root = Path(out_dir) / prompts.stem
    jobs = []
    for sound in prompts.sounds:
        for take, seed in enumerate(sound.request.take_seeds(), start=1):
            jobs.append(TakeJob(sound, take, seed, root / sound.folder / sound.request.file_name(take, seed)))
    return jobs


def is_finished(job: TakeJob) -> bool:
    """WAV and sidecar both present, the sidecar JSON, the WAV readable at its full length."""
    import soundfile as sf

    try:
        info = sf.info(str(job.wav))
        json.loads(job.sidecar.read_text())
    except (OSError, RuntimeError, ValueError, sf.LibsndfileError):
        return False
    return info.frames == round(job.sound.request.duration * DELIVERY_SAMPLE_RATE)


def _manifest_line(
    job: TakeJob, out_dir: Path, wall_s: float | None, process: int | None = None, run: str | None = None
) -> dict[str, Any]:
    r = job.sound.request
    return {
        "name": job.sound.name,
        "take": job.take,
        "seed": job.seed,
        "prompt": r.prompt,
        "negative": r.negative_prompt,
        "model": r.model,
        "duration": r.duration,
        "path": job.wav.relative_to(out_dir).as_posix(),
        "sidecar": job.sidecar.relative_to(out_dir).as_posix(),
        "wall_s": None if wall_s is None else round(wall_s, 4),
        "process": process,
        "run": run,  # the run that made it (runs.jsonl); None where a kill cut its line
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _derived(
    engine: Any, group: list[TakeJob], manifest: Path, out: Path, process: int, run_id: str, bar: Any
) -> int:
    """The takes of one sound made from a file (foleykit.derive), written where the plan expects them."""
    from foleykit.derive import lineage, render_derived

    sound = group[0].sound
    assert sound.source is not None and sound.operation is not None
    request = replace(sound.request, takes=len(group), seed=None, seeds=tuple(j.seed for j in group))
    takes = render_derived(engine, sound.source, sound.operation, request)
    for job, take in zip(group, takes, strict=True):
        job.wav.parent.mkdir(parents=True, exist_ok=True)
        engine.write(
            sound.request,
            [replace(take, take=job.take)],
            job.wav.parent,
            force=True,
            **lineage(sound.source, sound.operation, sound.request.prompt),
        )
        _append(manifest, _manifest_line(job, out, take.render_seconds / len(group), process, run_id))
        bar.update(1)
    return len(group)


def _one_by_one(
    engine: Any, group: list[TakeJob], manifest: Path, out: Path, process: int, run_id: str, bar: Any
) -> int:
    """Loops and takes longer than the model's window: each made on its own (`Engine.render`), window by
    window where it must be."""
    for job in group:
        request = replace(job.sound.request, takes=1, seed=None, seeds=(job.seed,))
        (take,) = engine.render(request, progress=False)
        job.wav.parent.mkdir(parents=True, exist_ok=True)
        engine.write(job.sound.request, [replace(take, take=job.take)], job.wav.parent, force=True)
        _append(manifest, _manifest_line(job, out, take.render_seconds, process, run_id))
        bar.update(1)
    return len(group)


def _append(path: Path, entry: dict[str, Any]) -> None:
    """One `write` on an O_APPEND descriptor: whole lines, even with several processes appending."""
    data = (json.dumps(entry, ensure_ascii=False) + "\n").encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as err:  # the take itself is written: the next run lists it (_merge_manifest)
        raise disk_full(err, path) if err.errno in NO_SPACE else err from None


def _merge_manifest(path: Path, jobs: list[TakeJob], out_dir: Path) -> list[dict[str, Any]]:
    """One line per finished take, in plan order: appended lines kept, takes finished but unlisted added."""
    seen: dict[str, dict[str, Any]] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
                seen[entry["path"]] = entry
            except (ValueError, KeyError, TypeError):
                continue  # a line cut by a kill mid-write: the take is re-listed from its files below
    lines = []
    for job in jobs:
        key = job.wav.relative_to(out_dir).as_posix()
        if key in seen and job.wav.exists():
            lines.append(seen[key])
        elif is_finished(job):
            lines.append(_manifest_line(job, out_dir, None))
    text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in lines)
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), force=True)
    return lines


def read_runs(path: Path) -> list[dict[str, Any]]:
    """The runs.jsonl log: one entry per run of this prompt file into this folder (unreadable lines skipped)."""
    runs = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                runs.append(entry)
    return runs


def _check_models(prompts: PromptFile) -> dict[str, Any]:
    from foleykit.backends import BACKENDS
    from foleykit.derive import check_fits
    from foleykit.models import resolve_model

    sources: dict[str, Any] = {}
    for sound in prompts.sounds:  # any length is made (window by window past the model's); a file's
        model = sound.request.model  # variation or region must fit the model at once
        try:
            if model not in sources:
                sources[model] = resolve_model(model)
            BACKENDS[sources[model].backend].check_can_anchor(sound.request.anchor_weight)
            if sound.operation is not None:
                check_fits(sound.operation, sound.request.duration, sources[model])
        except BadInputError as err:
            raise BadInputError(f"{sound.where}: {err}") from None
    return sources


def _remove_stray_temporaries(root: Path) -> None:
    """A killed run can leave `.name.xxxx.wav.tmp` files (never a truncated WAV): clear them."""
    if root.is_dir():
        for tmp in root.rglob(".*.tmp"):
            tmp.unlink(missing_ok=True)


def _process_state(device: str) -> Any:
    """accelerate's view of the processes; on a machine without CUDA it must be told it is CPU-only,
    or processes started by `accelerate launch`/torchrun each think they are alone."""
    import torch
    from accelerate import PartialState

    return PartialState(cpu=device == "cpu" or (device == "auto" and not torch.cuda.is_available()))


def run_batch(
    file: str | Path,
    out_dir: str | Path = "outputs/batch",
    *,
    force: bool = False,
    device: str = "auto",
    dtype: str = "auto",
    batch_size: int = 8,
    report: bool = True,
    progress: bool = False,
    speedups: Speedups | None = None,
) -> BatchResult:
    """Make every take of a prompt file that is not already on disk; see the module docstring.

    Raises `BatchInterrupted` (a KeyboardInterrupt) on Ctrl-C, once the manifest and report are written.
    """
    from foleykit.engine import get_engine
    from foleykit.progress import progress_bar

    began = time.perf_counter()
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    # A run's id: its start and a random part, since two runs can start within the same second (a resume
    # right after a short run) and must not count each other's takes.
    run_id = f"{started}/{secrets.token_hex(4)}"
    if not isinstance(batch_size, int) or batch_size < 1:
        raise BadInputError(f"batch size must be a whole number ≥ 1, got {batch_size!r}")
    prompts = load_prompt_file(file)
    sources = _check_models(prompts)
    out = ensure_writable_dir(Path(out_dir))
    jobs = plan(prompts, out)
    state = _process_state(device)
    started, run_id = _shared(state, (started, run_id))  # one run id for every process's manifest lines
    # device "auto" is this process's own GPU under accelerate (runtime.resolve_device asks PartialState)
    if state.is_main_process:
        _remove_stray_temporaries(out / prompts.stem)
    state.wait_for_everyone()
    pending = jobs if force else [j for j in jobs if not is_finished(j)]
    manifest = out / prompts.stem / MANIFEST
    manifest.parent.mkdir(parents=True, exist_ok=True)
    checked = time.perf_counter()

    if report and state.is_main_process:
        # the report is drawn after a Ctrl-C too: load its imports now, where a Ctrl-C cannot cut one short
        from foleykit.audio import pictures
        from foleykit.batch.report import write_report

        pictures.warm_up()

    generated = 0
    interrupted = False
    with state.split_between_processes(pending) as mine:
        groups: dict[tuple, list[TakeJob]] = {}
        for job in mine:
            groups.setdefault(job.group, []).append(job)
        bar = progress_bar(
            total=len(mine),
            desc=f"batch {prompts.stem}" + (f" [{state.process_index}]" if state.num_processes > 1 else ""),
            unit="take",
            disable=not progress,
        )
        try:
            for (model, duration, steps, guidance, anchor_weight, shape), group in groups.items():
                engine = get_engine(
                    sources[model],
                    device=device,
                    dtype=dtype,
                    progress=False,
                    speedups=speedups or Speedups(),
                )
                if group[0].sound.source is not None:
                    generated += _derived(engine, group, manifest, out, state.process_index, run_id, bar)
                    continue
                trim, loop = shape
                if loop or engine.windows_needed(engine.generation_seconds(duration, trim)) > 1:
                    generated += _one_by_one(engine, group, manifest, out, state.process_index, run_id, bar)
                    continue
                batches = engine.render_batches(
                    [j.sound.request.prompt for j in group],
                    [j.sound.request.negative_prompt or "" for j in group],
                    [j.seed for j in group],
                    duration,
                    steps=steps,
                    guidance=guidance,
                    batch_size=batch_size,
                    trim=trim,
                    anchor_weight=anchor_weight,
                )
                for done in batches:
                    for index, take in done:
                        job = group[index]
                        job.wav.parent.mkdir(parents=True, exist_ok=True)
                        engine.write(
                            job.sound.request, [replace(take, take=job.take)], job.wav.parent, force=True
                        )
                        wall = take.render_seconds / len(done)
                        _append(manifest, _manifest_line(job, out, wall, state.process_index, run_id))
                        generated += 1
                    bar.update(len(done))
        except KeyboardInterrupt:
            interrupted = True  # every take written so far is whole: record them, then say so
        finally:
            bar.close()
    generated_at = time.perf_counter()
    if not interrupted:  # after Ctrl-C the other processes may be gone: no barrier that could hang
        try:
            state.wait_for_everyone()
        except KeyboardInterrupt:
            interrupted = True

    report_path = None
    finished = made_here = 0
    audio_s = 0.0
    if state.is_main_process:
        # a second Ctrl-C must not leave the record of what is finished half-made; after a Ctrl-C, neither
        # may the SIGTERM that accelerate's launcher sends its workers once it has had one itself
        with _sigint_held(also_sigterm=interrupted):
            lines = _merge_manifest(manifest, jobs, out)
            finished = len(lines)
            made = [e for e in lines if e.get("run") == run_id]
            made_here, audio_s = len(made), sum(float(e["duration"]) for e in made)
            run = {
                "run": run_id,
                "started": started,
                "wall_s": round(time.perf_counter() - began, 3),
                "generated": made_here,
                "audio_s": round(audio_s, 3),
                "skipped": len(jobs) - len(pending),
                "finished": finished,
                "planned": len(jobs),
                "processes": state.num_processes,
                "interrupted": interrupted,
            }
            _append(out / prompts.stem / RUNS, run)
            if report:
                report_path = write_report(
                    out / prompts.stem / REPORT, prompts, jobs, read_runs(out / prompts.stem / RUNS)
                )
    if not interrupted:
        state.wait_for_everyone()
    done_at = time.perf_counter()
    result = BatchResult(
        file=Path(file),
        out_dir=out / prompts.stem,
        planned=len(jobs),
        generated=made_here if state.is_main_process else generated,  # all processes' / this one's
        skipped=len(jobs) - len(pending),
        wall_s=done_at - began,
        audio_s=audio_s,  # made by this run, all processes
        manifest=manifest,
        report=report_path,
        timings={
            "check_s": checked - began,
            "generate_s": generated_at - checked,
            "manifest_report_s": done_at - generated_at,
        },
        main_process=state.is_main_process,
        finished=finished,
        interrupted=interrupted,
    )
    if interrupted:
        raise BatchInterrupted(result, force=force)
    return result


def _shared(state: Any, value: Any) -> Any:
    """The main process's `value` on every process (accelerate's broadcast; itself when alone)."""
    if state.num_processes == 1:
        return value
    from accelerate.utils import broadcast_object_list

    holder = [value]
    broadcast_object_list(holder, from_process=0)
    return holder[0]


@contextlib.contextmanager
def _sigint_held(*, also_sigterm: bool = False) -> Iterator[None]:
    """Ctrl-C (and with `also_sigterm`, SIGTERM: the run is stopping already) ignored inside, for the few
    seconds the manifest, run record and report take (main thread only: a UI worker thread cannot and
    need not change it)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = [signal.SIGINT, signal.SIGTERM] if also_sigterm else [signal.SIGINT]
    previous = {number: signal.signal(number, signal.SIG_IGN) for number in held}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
