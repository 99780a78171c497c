"""The engine: request → backend → audio post → files + sidecars. The CLI, the UI and batch call this.

`generate()` checks everything it can before loading a model (request, model files, duration limit,
output folder, existing files), so bad input fails in well under a second and nothing is half-made.
"""

from __future__ import annotations

import os
import shlex
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from foleykit import __version__
from foleykit.audio.bwf import BextInfo, coding_history, write_bwf
from foleykit.audio.io import ensure_writable_dir, write_json
from foleykit.audio.post import (
    DELIVERY_SAMPLE_RATE,
    TRIM_MARGIN_SECONDS,
    PostReport,
    loop_overrun,
    to_delivery,
)
from foleykit.backends import BACKENDS, Backend, Speedups
from foleykit.backends.base import EDIT_OUTPUTS
from foleykit.errors import BadInputError, OutputExistsError
from foleykit.longform import Window, WindowCallback, count_windows, render_long, summed_edits
from foleykit.models import ModelSource, resolve_model
from foleykit.request import SoundRequest

DEFAULT_OUT_DIR = Path("outputs")
DEFAULT_BATCH_SIZE = 8
NO_SPEEDUPS = Speedups()  # the stock way to run a model
POST_THREADS = min(8, os.cpu_count() or 1)


@dataclass(frozen=True)
class Take:
    """One rendered take, delivery-ready: float32 (channels, samples) at 48 kHz."""

    take: int
    seed: int
    audio: np.ndarray
    post: PostReport
    render_seconds: float  # wall time of the pipeline call this take was part of
    batch_seeds: tuple[int, ...]  # the takes generated in that call: batch composition affects the bits
    sample_rate: int = DELIVERY_SAMPLE_RATE
    windows: tuple[Window, ...] = ()  # a take longer than the model's window: the calls that made it
    # what the pipeline changed after denoising, by sidecar key (backends.EDIT_OUTPUTS: steps laid out to make
    # the walk it asked for, events added or left out to hold its count); empty where nothing of the kind
    edits: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class GeneratedFile:
    take: int
    seed: int
    path: Path
    sidecar: Path


@dataclass
class GenerationResult:
    request: SoundRequest
    model: dict[str, Any]
    files: list[GeneratedFile]
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # what the user should hear about now (stderr, UI)

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt": self.request.prompt,
            "model": self.model,
            "takes": [
                {"take": f.take, "seed": f.seed, "path": str(f.path), "sidecar": str(f.sidecar)}
                for f in self.files
            ],
            "seeds": [f.seed for f in self.files],
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "warnings": self.warnings,
        }


def _span(values: list[float], unit: str) -> str:
    low, high = min(values), max(values)
    return f"{low:.1f} {unit}" if round(low, 1) == round(high, 1) else f"{low:.1f} to {high:.1f} {unit}"


def take_warnings(takes: list[Take], loudness: float | None = None) -> list[str]:
    """What post-processing did that a user should hear about at once (not only find in the sidecars):
    one line per kind, naming the takes."""

    def which(group: list[Take]) -> str:
        numbers = [str(t.take) for t in group]
        return f"take {numbers[0]}" if len(numbers) == 1 else f"takes {', '.join(numbers)}"

    lines = []
    held = [t for t in takes if t.post.held_at_ceiling]
    if held:
        reached = [t.post.loudness_lufs for t in held if t.post.loudness_lufs is not None]
        target = f"{loudness:g} LUFS" if loudness is not None else "the loudness target"
        lines.append(
            f"{which(held)}: {target} would clip; held at the -1 dBTP ceiling"
            + (f" ({_span(reached, 'LUFS')})" if reached else "")
        )
    padded = [t for t in takes if t.post.trim is not None and t.post.trim.padded_samples > 0]
    if padded:
        seconds = [t.post.trim.padded_samples / DELIVERY_SAMPLE_RATE for t in padded]  # type: ignore[union-attr]
        lines.append(
            f"{which(padded)}: trim cut more lead-in than the model could make up at the end; "
            f"the last {_span(seconds, 's')} are silence"
        )
    quiet = [t for t in takes if t.post.very_quiet]
    if quiet:
        lines.append(
            f"{which(quiet)}: the model's output was very quiet, {_span([t.post.gain_db for t in quiet], 'dB')} "
            "of gain applied (its noise floor came up with it)"
        )
    return lines


def _versions() -> dict[str, str]:
    import diffusers
    import torch
    import transformers

    return {
        "foleykit": __version__,
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "transformers": transformers.__version__,
        "python": sys.version.split()[0],
    }


class Engine:
    """A loaded model plus everything needed to turn requests into delivery files."""

    def __init__(self, backend: Backend, source: ModelSource) -> None:
        self.backend = backend
        self.source = source
        self._provenance: dict[str, Any] | None = None
        self.lock = threading.Lock()  # one pipeline call at a time: diffusers pipelines are not re-entrant
        # sidecars: one anchor lookup per (prompt, guidance, anchor share asked for)
        self._anchors: dict[tuple[str, float, float | None], dict[str, Any] | None] = {}

    @classmethod
    def load(
        cls,
        model: str | ModelSource = "bundled",
        device: str = "auto",
        dtype: str = "auto",
        progress: bool = True,
        speedups: Speedups = NO_SPEEDUPS,
    ) -> Engine:
        from foleykit.runtime import resolve_device, resolve_dtype

        source = model if isinstance(model, ModelSource) else resolve_model(model)
        torch_device = resolve_device(device)
        torch_dtype = resolve_dtype(dtype, torch_device)
        backend = BACKENDS[source.backend].load(
            source.directory, torch_device, torch_dtype, progress=progress
        )
        backend.apply(speedups)
        return cls(backend, source)

    @classmethod
    def from_pipeline(
        cls,
        pipe: Any,
        *,
        name: str,
        device: str = "auto",
        dtype: str = "auto",
        speedups: Speedups = NO_SPEEDUPS,
    ) -> Engine:
        """An engine over a diffusers pipeline built in memory (a benchmark's random-weight model, a
        notebook's own): described from its configs, placed like a loaded one; `name` stands for it in
        sidecars, which record it as built in memory (there are no files to digest)."""
        from foleykit.backends import BACKEND_BY_PIPELINE
        from foleykit.runtime import resolve_device, resolve_dtype

        backend_class = BACKEND_BY_PIPELINE.get(type(pipe).__name__)
        if backend_class is None:
            known = ", ".join(sorted(BACKEND_BY_PIPELINE))
            raise BadInputError(f"foleykit runs {known}, not {type(pipe).__name__}")
        torch_device = resolve_device(device)
        backend = backend_class.from_pipeline(pipe, torch_device, resolve_dtype(dtype, torch_device))
        backend.apply(speedups)
        return cls(backend, ModelSource(name, Path(name), backend.info, built_in_memory=True))

    @property
    def provenance(self) -> dict[str, Any]:
        if self._provenance is None:
            self._provenance = self.source.provenance()
        return self._provenance

    def settings(self, steps: int | None, guidance: float | None) -> tuple[int, float]:
        """The request's steps and guidance, or the model's defaults where it gives none."""
        info = self.backend.info
        return (
            steps if steps is not None else info.default_steps,
            guidance if guidance is not None else info.default_guidance,
        )

    def generation_seconds(self, duration: float, trim: bool, loop: bool = False) -> float:
        """What the model is asked for: a trimmed take needs audio past its end to keep its length (as much
        as one call can add), a loop the overrun folded into its head."""
        if loop:
            return duration + loop_overrun(duration)
        if not trim:
            return duration
        longest = self.backend.info.max_duration
        return (
            duration + TRIM_MARGIN_SECONDS
            if duration > longest
            else min(duration + TRIM_MARGIN_SECONDS, max(duration, longest))
        )

    def windows_needed(self, seconds: float) -> int:
        """Model calls per take for `seconds` of audio: 1 within the window, more past it."""
        info = self.backend.info
        return (
            1
            if seconds <= info.max_duration + 1e-9
            else count_windows(self.backend, info.max_duration, 0, seconds)
        )

    def _batches(
        self,
        prompts: list[str],
        negatives: list[str],
        seeds: list[int],
        duration: float,
        steps: int,
        guidance: float,
        batch_size: int,
        progress: bool,
        anchor_weight: float | None = None,
    ) -> Iterator[tuple[int, list[int], np.ndarray, float, list[dict[str, int]]]]:
        """(index of the batch's first item, its seeds, native audio, wall seconds, what the pipeline changed
        in each take after denoising: `Take.edits`) per pipeline call."""
        for start in range(0, len(prompts), batch_size):
            chunk = slice(start, start + batch_size)
            began = time.perf_counter()
            with self.lock, self.backend.anchoring(anchor_weight):
                audio = self.backend.generate(
                    prompts[chunk],
                    negatives[chunk],
                    duration,
                    seeds[chunk],
                    steps,
                    guidance,
                    progress=progress,
                )
                edits = self.backend.edits or [{} for _ in audio]
            yield start, seeds[chunk], audio, time.perf_counter() - began, edits

    def render(
        self,
        request: SoundRequest,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: bool = True,
        on_window: WindowCallback | None = None,
    ) -> list[Take]:
        """Generate every take of `request` (several per pipeline call) and post-process it for delivery;
        past the model's window, each take window by window (foleykit.longform), `on_window` told of each."""
        from foleykit.progress import progress_bar

        request = request.with_seeds()
        self.backend.check_anchor_share(request.anchor_weight)  # before any progress is shown
        seeds = list(request.take_seeds())
        steps, guidance = self.settings(request.steps, request.guidance)
        seconds = self.generation_seconds(request.duration, request.trim, request.loop)
        if self.windows_needed(seconds) > 1:
            return self._render_long(request, seconds, steps, guidance, progress, on_window)
        prompts, negatives = [request.prompt] * len(seeds), [request.negative_prompt or ""] * len(seeds)
        takes: list[Take] = []
        with progress_bar(total=len(seeds), desc="takes", unit="take", disable=not progress) as bar:
            made = self._batches(
                prompts,
                negatives,
                seeds,
                seconds,
                steps,
                guidance,
                batch_size,
                progress,
                request.anchor_weight,
            )
            for start, batch, audio, elapsed, edits in made:
                for offset, (seed, native) in enumerate(zip(batch, audio, strict=True)):
                    delivered, report = to_delivery(
                        native,
                        self.backend.info.sample_rate,
                        request.duration,
                        request.loudness,
                        trim=request.trim,
                        loop=request.loop,
                    )
                    takes.append(
                        Take(
                            start + offset + 1,
                            seed,
                            delivered,
                            report,
                            elapsed,
                            tuple(batch),
                            edits=edits[offset],
                        )
                    )
                bar.update(len(batch))
        return takes

    def _render_long(
        self,
        request: SoundRequest,
        seconds: float,
        steps: int,
        guidance: float,
        progress: bool,
        on_window: WindowCallback | None,
    ) -> list[Take]:
        """Takes past the model's window: one at a time, window by window, one progress step per window."""
        from foleykit.progress import progress_bar

        seeds = list(request.take_seeds())
        per_take = self.windows_needed(seconds)
        takes: list[Take] = []
        with progress_bar(
            total=per_take * len(seeds), desc="windows", unit="window", disable=not progress
        ) as bar:
            for number, seed in enumerate(seeds, start=1):
                done_before = (number - 1) * per_take

                def tell(done: int, planned: int, before: int = done_before) -> None:
                    shown = before + min(done, per_take)  # a window made again does not pass the end
                    bar.update(shown - bar.n)
                    if on_window:
                        on_window(shown, per_take * len(seeds))

                began = time.perf_counter()
                with self.lock, self.backend.anchoring(request.anchor_weight):
                    native, windows = render_long(
                        self.backend, request.prompt, request.negative_prompt or "", seconds, seed, steps,
                        guidance, on_window=tell,
                    )  # fmt: skip
                delivered, report = to_delivery(
                    native, self.backend.info.sample_rate, request.duration, request.loudness,
                    trim=request.trim, loop=request.loop,
                )  # fmt: skip
                del native
                elapsed = time.perf_counter() - began
                edits = summed_edits([w.edits for w in windows])
                takes.append(
                    Take(number, seed, delivered, report, elapsed, (seed,), windows=tuple(windows),
                         edits=edits)
                )  # fmt: skip
        return takes

    def render_prompts(
        self,
        prompts: list[str],
        seeds: list[int],
        duration: float,
        *,
        steps: int | None = None,
        guidance: float | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: str | None = None,
    ) -> list[np.ndarray]:
        """Several different prompts, one take each, batched into shared pipeline calls; delivery audio.
        `progress` names a bar over the takes (an evaluation makes a thousand of them); None shows none."""
        from foleykit.progress import progress_bar

        if len(prompts) != len(seeds):
            raise ValueError(f"{len(prompts)} prompts but {len(seeds)} seeds")
        if not prompts:
            return []
        batches = self.render_batches(
            prompts,
            [""] * len(prompts),
            seeds,
            duration,
            steps=steps,
            guidance=guidance,
            batch_size=batch_size,
        )
        audio: list[np.ndarray] = []
        with progress_bar(total=len(prompts), desc=progress, unit="take", disable=progress is None) as bar:
            for done in batches:
                audio += [take.audio for _, take in done]
                bar.update(len(done))
        return audio

    def render_batches(
        self,
        prompts: list[str],
        negatives: list[str],
        seeds: list[int],
        duration: float,
        *,
        steps: int | None = None,
        guidance: float | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        trim: bool = False,
        anchor_weight: float | None = None,
    ) -> Iterator[list[tuple[int, Take]]]:
        """Different prompts, one take each, several per pipeline call; yields each call's (index, take)s.

        A generator, so a caller (the batch runner) can write every call's files before the next starts.
        """
        if not (len(prompts) == len(negatives) == len(seeds)):
            raise ValueError("prompts, negatives and seeds differ in length")
        check_duration(duration, self.source)
        steps, guidance = self.settings(steps, guidance)
        rate = self.backend.info.sample_rate
        seconds = self.generation_seconds(duration, trim)
        for start, batch, audio, elapsed, edits in self._batches(
            prompts, negatives, seeds, seconds, steps, guidance, batch_size, False, anchor_weight
        ):
            done = []
            for offset, (seed, native) in enumerate(zip(batch, audio, strict=True)):
                delivered, report = to_delivery(native, rate, duration, trim=trim)
                take = Take(1, seed, delivered, report, elapsed, tuple(batch), edits=edits[offset])
                done.append((start + offset, take))
            yield done

    def render_mixed(
        self,
        prompts: list[str],
        seeds: list[int],
        durations: list[float],
        *,
        steps: int | None = None,
        guidance: float | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> list[np.ndarray]:
        """Requests of different lengths, packed into shared pipeline calls; delivery audio in input order.

        A stock pipeline call makes one length, so a foley list of 1–10 s sounds costs one call per length,
        each too small to fill a GPU. Here requests are sorted by length and taken `batch_size` at a time;
        each call makes its longest member's length and the shorter ones are cut from it (a take so made
        differs from one made alone at its own length: its noise, and for Stable Audio its timing
        conditioning, are those of the longer call).
        """
        if not (len(prompts) == len(seeds) == len(durations)):
            raise ValueError("prompts, seeds and durations differ in length")
        for duration in durations:
            check_duration(duration, self.source)
        steps, guidance = self.settings(steps, guidance)
        order = sorted(range(len(prompts)), key=lambda i: durations[i])
        rate = self.backend.info.sample_rate
        delivered: dict[int, Future[tuple[np.ndarray, PostReport]]] = {}
        # Post-processing (resampling, loudness, true peak: ~0.1 s per 10 s stereo take on one core) runs in
        # threads, beside the next pipeline call and each other: soxr and numpy release the GIL.
        with ThreadPoolExecutor(max_workers=POST_THREADS) as post:
            for start in range(0, len(order), batch_size):
                members = order[start : start + batch_size]
                longest = max(durations[i] for i in members)
                with self.lock:
                    audio = self.backend.generate(
                        [prompts[i] for i in members],
                        [""] * len(members),
                        longest,
                        [seeds[i] for i in members],
                        steps,
                        guidance,
                    )
                for index, native in zip(members, audio, strict=True):
                    delivered[index] = post.submit(to_delivery, native, rate, durations[index])
            return [delivered[index].result()[0] for index in range(len(prompts))]

    def _regenerate_flags(self, request: SoundRequest, take: Take, batch_flag: bool = True) -> list[str]:
        """Model, seed, batch, sampling, device and speed-up flags that make this take again bit for bit:
        the same batch, so the same kernels see the same shapes."""
        from foleykit.runtime import dtype_name

        steps, guidance = self.settings(request.steps, request.guidance)
        first, size = take.batch_seeds[0], len(take.batch_seeds)
        contiguous = take.batch_seeds == tuple(range(first, first + size))
        flags = ["--model", self.source.name, "--seed", str(first if contiguous else take.seed)]
        flags += ["--takes", str(size if contiguous else 1)]
        flags += ["--batch-size", str(size if contiguous else 1)] if batch_flag else []
        flags += ["--steps", str(steps), "--guidance", f"{guidance:g}"]
        if request.anchor_weight is not None:
            flags += ["--anchor-weight", repr(float(request.anchor_weight))]  # exactly, as it was used
        flags += ["--device", self.backend.device.type, "--dtype", dtype_name(self.backend.dtype)]
        return flags + self.backend.speedups.flags()

    def _prompt_anchor(
        self, prompt: str, guidance: float, anchor_weight: float | None
    ) -> dict[str, Any] | None:
        """The learned caption a prompt shared guidance with (MiniLM runs: under the pipeline's lock)."""
        key = (prompt, guidance, anchor_weight)
        if key not in self._anchors:
            with self.lock, self.backend.anchoring(anchor_weight):
                self._anchors[key] = self.backend.prompt_anchor(prompt, guidance)
        return self._anchors[key]

    def sidecar(self, request: SoundRequest, take: Take, file_name: str) -> dict[str, Any]:
        """Everything it takes to make the file again (DESIGN §2)."""
        steps, guidance = self.settings(request.steps, request.guidance)
        scheduler = self.backend.pipe.scheduler
        from foleykit.runtime import dtype_name

        command = ["foleykit", "generate", request.prompt]
        if request.negative_prompt:
            command += ["--negative", request.negative_prompt]
        if request.name:
            command += ["--name", request.name]
        command += ["--duration", f"{request.duration:g}", *self._regenerate_flags(request, take)]
        if request.loudness is not None:
            command += ["--loudness", f"{request.loudness:g}"]
        if request.trim:
            command += ["--trim"]
        if request.loop:
            command += ["--loop"]
        return {
            "file": file_name,
            "generator": f"foleykit {__version__}",
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt,
            "name": request.name,
            "take": take.take,
            "seed": take.seed,
            "duration": request.duration,
            "steps": steps,
            "guidance": guidance,
            "anchor_weight": request.anchor_weight,
            "prompt_anchor": self._prompt_anchor(request.prompt, guidance, request.anchor_weight),
            "scheduler": {"class": type(scheduler).__name__, "config": dict(scheduler.config)},
            "model": self.provenance,
            "sample_rate": {"model": self.backend.info.sample_rate, "file": take.sample_rate},
            "channels": int(take.audio.shape[0]),
            "samples": int(take.audio.shape[1]),
            "bit_depth": 24,
            "loudness_target_lufs": request.loudness,
            "trim": request.trim,
            "loop": {"start_sample": 0, "end_sample": int(take.audio.shape[1]) - 1} if request.loop else None,
            "windows": [w.to_dict() for w in take.windows] or None,
            **{key: take.edits.get(key) for key in EDIT_OUTPUTS.values()},
            "post": take.post.to_dict(),
            "device": str(self.backend.device),
            "dtype": dtype_name(self.backend.dtype),
            "speedups": self.backend.speedups.to_dict(),
            "batch_seeds": list(take.batch_seeds),
            "wall_time_s": round(take.render_seconds, 4),
            "versions": _versions(),
            "command": shlex.join(command),
        }

    def write(
        self,
        request: SoundRequest,
        takes: list[Take],
        out_dir: Path,
        *,
        force: bool = False,
        derived_from: dict[str, Any] | None = None,
        command: list[str] | None = None,
    ) -> list[GeneratedFile]:
        """Each take as a Broadcast WAV (bext + LIST/INFO: the provenance travels inside) and its sidecar.

        A take made from another file (foleykit.derive) names it in `derived_from`, and `command` (without
        the seed, takes and sampling flags, added here) makes it again from that file.
        """
        files = []
        for take in takes:
            wav = Path(out_dir) / request.file_name(take.take, take.seed)
            sidecar = self.sidecar(request, take, wav.name)
            if derived_from is not None and command is not None:
                sidecar["derived_from"] = derived_from
                sidecar["command"] = shlex.join(command + self._regenerate_flags(request, take, False))
            comment = (
                f"model={self.source.name} seed={take.seed} steps={sidecar['steps']} prompt={request.prompt}"
            )
            info = {
                "title": request.name or request.prompt,
                "software": f"foleykit {__version__}",
                "comment": comment,
            }
            bext = BextInfo(
                time_reference=0,  # a take has no place on a timeline yet; sync's cue files do
                description=f"foleykit take {take.take}: {comment}",
                originator_reference=f"foleykit-s{take.seed}-t{take.take}",
                coding_history=coding_history(take.audio, take.sample_rate),
                created=datetime.fromisoformat(sidecar["created"]).astimezone(),
            )
            write_bwf(wav, take.audio, take.sample_rate, bext, info=info, loop=request.loop, force=force)
            write_json(wav.with_suffix(".json"), sidecar, force=force)
            files.append(GeneratedFile(take.take, take.seed, wav, wav.with_suffix(".json")))
        return files


def check_duration(duration: float, source: ModelSource) -> None:
    limit = source.info.max_duration
    if duration > limit + 1e-9:
        raise BadInputError(
            f"duration {duration:g} s is longer than {source.name} can make (maximum {limit:.2f} s)"
        )


def planned_files(request: SoundRequest, out_dir: Path) -> list[Path]:
    paths = []
    for take, seed in enumerate(request.take_seeds(), start=1):
        wav = Path(out_dir) / request.file_name(take, seed)
        paths += [wav, wav.with_suffix(".json")]
    return paths


_ENGINES: dict[tuple[str, str, str, Speedups], Engine] = {}
_ENGINES_LOCK = threading.Lock()
ENGINE_LOADS = 0  # how many engines this process has loaded: a server should load each model once


def loaded_engines() -> list[tuple[str, str, str, Speedups]]:
    """(model directory, device, dtype, speed-ups) of every engine this process holds."""
    with _ENGINES_LOCK:
        return list(_ENGINES)


def get_engine(
    source: ModelSource,
    device: str = "auto",
    dtype: str = "auto",
    progress: bool = True,
    speedups: Speedups = NO_SPEEDUPS,
) -> Engine:
    """A loaded engine for this model/device/dtype/speed-ups, shared across calls (loaded once per process)."""
    global ENGINE_LOADS
    key = (str(source.directory), device, dtype, speedups)
    with _ENGINES_LOCK:
        if key not in _ENGINES:
            _ENGINES[key] = Engine.load(
                source, device=device, dtype=dtype, progress=progress, speedups=speedups
            )
            ENGINE_LOADS += 1
        return _ENGINES[key]


def generate(
    prompt: str | None = None,
    *,
    request: SoundRequest | None = None,
    out_dir: str | Path = DEFAULT_OUT_DIR,
    force: bool = False,
    device: str = "auto",
    dtype: str = "auto",
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
    speedups: Speedups = NO_SPEEDUPS,
    **request_fields: Any,
) -> GenerationResult:
    """Generate `takes` delivery-ready WAV files (+ JSON sidecars) for one prompt.

    Either pass a `SoundRequest`, or a prompt and its fields (`duration`, `takes`, `seed`, `model`, …).
    """
    began = time.perf_counter()
    if request is None:
        if prompt is None:
            raise BadInputError("prompt is empty: describe the sound, e.g. 'footsteps on gravel, slow'")
        request = SoundRequest(prompt=prompt, **request_fields)
    elif prompt is not None or request_fields:
        raise TypeError("pass either a SoundRequest or a prompt with its fields, not both")
    request = request.with_seeds()
    if not isinstance(batch_size, int) or batch_size < 1:
        raise BadInputError(f"batch size must be a whole number ≥ 1, got {batch_size!r}")

    source = resolve_model(request.model)
    out = check_outputs(request, source, out_dir, force=force, speedups=speedups)

    checked = time.perf_counter()
    engine = get_engine(source, device=device, dtype=dtype, progress=progress, speedups=speedups)
    loaded = time.perf_counter()
    takes = engine.render(request, batch_size=batch_size, progress=progress)
    rendered = time.perf_counter()
    files = engine.write(request, takes, out, force=force)
    return generation_result(request, engine, takes, files, (began, checked, loaded, rendered))


def check_outputs(
    request: SoundRequest, source: ModelSource, out_dir: str | Path, *, force: bool, speedups: Speedups
) -> Path:
    """What a command that writes takes checks before loading anything: speed-ups the model can use, an
    output folder it may write, and no file of the request already there (unless `force`)."""
    if speedups.crop_window and not BACKENDS[source.backend].has_fixed_window:
        raise BadInputError(f"--crop-window applies to Stable Audio Open models, not {source.backend}")
    BACKENDS[source.backend].check_can_anchor(request.anchor_weight)
    out = ensure_writable_dir(Path(out_dir))
    existing = [p for p in planned_files(request, out) if p.exists()]
    if existing and not force:
        raise OutputExistsError(f"{existing[0]} exists; pass --force to overwrite it (nothing was generated)")
    return out


def generation_result(
    request: SoundRequest,
    engine: Engine,
    takes: list[Take],
    files: list[GeneratedFile],
    stamps: tuple[float, float, float, float],
) -> GenerationResult:
    """The result of a run whose stages began at `stamps` (start, checked, loaded, rendered); written now."""
    began, checked, loaded, rendered = stamps
    done = time.perf_counter()
    return GenerationResult(
        request=request,
        model={**engine.provenance, **engine.backend.info.to_dict()},
        files=files,
        warnings=take_warnings(takes, request.loudness),
        timings={
            "check_s": checked - began,
            "load_s": loaded - checked,
            "render_s": rendered - loaded,
            "write_s": done - rendered,
            "total_s": done - began,
        },
    )
