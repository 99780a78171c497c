"""Working from a take: variations, a region made again, a sound made longer — each file naming its parent.

source file → the model's rate → `Backend.vary` / `Backend.inpaint` → 48 kHz → either the usual delivery
post-processing (a variation is a new take) or a splice into the source (inpaint, extend): outside the
region and its crossfades (at most 20 ms each side) the output holds the source's own samples, so a
48 kHz/24-bit source comes back bit-identical there; the new part is gain-matched to the source across
the crossfades instead of renormalising the file. Every sidecar names the parent (path, sha256, and its
own sidecar's prompt/seed/model) and the operation, and its `command` makes the file again from the parent.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from foleykit.audio.joins import fit_channels, splice
from foleykit.audio.post import DELIVERY_SAMPLE_RATE, PostReport, resample, to_delivery, true_peak
from foleykit.backends import BACKENDS, Speedups
from foleykit.engine import (
    DEFAULT_OUT_DIR,
    NO_SPEEDUPS,
    Engine,
    GenerationResult,
    Take,
    check_outputs,
    generation_result,
    get_engine,
)
from foleykit.errors import BadInputError
from foleykit.longform import SPLICE_FADE_SECONDS, continue_sound, inpaint_window, to_model
from foleykit.models import resolve_model
from foleykit.request import SoundRequest

CROSSFADE_SECONDS = SPLICE_FADE_SECONDS  # each side of a new part
OPERATIONS = ("vary", "inpaint", "extend")


@dataclass(frozen=True)
class SourceAudio:
    """The file a derived take starts from, at the delivery rate, with what its sidecar says of it."""

    path: Path
    audio: np.ndarray  # float32 (channels, samples) at 48 kHz
    sha256: str
    file_rate: int
    sidecar: dict[str, Any] | None

    @property
    def seconds(self) -> float:
        return self.audio.shape[1] / DELIVERY_SAMPLE_RATE

    def lineage(self) -> dict[str, Any]:
        parent: dict[str, Any] = {"path": str(self.path), "sha256": self.sha256}
        if self.sidecar:
            parent.update({k: self.sidecar.get(k) for k in ("prompt", "seed", "take")})
            model = self.sidecar.get("model")
            parent["model"] = model.get("name") if isinstance(model, dict) else model
            parent["operation"] = (self.sidecar.get("derived_from") or {}).get("operation", "generate")
        return parent


def read_source(path: str | Path) -> SourceAudio:
    """Any file soundfile reads (WAV, FLAC, …), resampled to 48 kHz with soxr where it is not already."""
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"source {path} does not exist")
    data = path.read_bytes()  # read once: the samples and the digest the lineage records
    try:
        audio, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        raise BadInputError(f"source {path} is not audio that can be read: {err}") from None
    if audio.shape[0] == 0:
        raise BadInputError(f"source {path} holds no samples")
    audio = np.ascontiguousarray(audio.T)
    if rate != DELIVERY_SAMPLE_RATE:
        audio = resample(audio, rate)
    sidecar = None
    if path.with_suffix(".json").is_file():
        try:
            sidecar = json.loads(path.with_suffix(".json").read_text())
        except ValueError:
            sidecar = None
    digest = hashlib.sha256(data).hexdigest()
    return SourceAudio(path, audio, digest, int(rate), sidecar if isinstance(sidecar, dict) else None)


def parse_region(value: Any) -> tuple[float, float]:
    """A region as `START:END` text (seconds) or a two-number list."""
    if isinstance(value, list | tuple) and len(value) == 2:
        parts = list(value)
    elif isinstance(value, str) and value.count(":") == 1:
        parts = value.split(":")
    else:
        raise BadInputError(f"region must be START:END in seconds, e.g. 1.1:1.4, got {value!r}")
    try:
        start, end = (float(part) for part in parts)
    except (TypeError, ValueError):
        raise BadInputError(f"region must be START:END in seconds, e.g. 1.1:1.4, got {value!r}") from None
    return start, end


# ------------------------------------------------------------------------------------------- operations
@dataclass(frozen=True)
class Operation:
    """What to make from the source: `vary` (strength), `inpaint` (region) or `extend` (to seconds)."""

    name: str
    strength: float | None = None
    region: tuple[float, float] | None = None
    to: float | None = None

    def check(self, source: SourceAudio) -> None:
        if self.name not in OPERATIONS:
            raise BadInputError(f"unknown operation {self.name!r}; choose one of {', '.join(OPERATIONS)}")
        if self.name == "vary":
            if self.strength is None or not (0 < self.strength <= 1):
                raise BadInputError(f"strength must be in (0, 1], got {self.strength!r}")
        elif self.name == "inpaint":
            if self.region is None:
                raise BadInputError("give the region to make again as START:END seconds")
            start, end = self.region
            if not (0 <= start < end <= source.seconds + 1e-9):
                raise BadInputError(
                    f"region {start:g}:{end:g} s is empty or outside {source.path.name} (0 to {source.seconds:.3f} s)"
                )
        elif self.to is None or not self.to > source.seconds + CROSSFADE_SECONDS:
            raise BadInputError(
                f"--to must be longer than {source.path.name} ({source.seconds:.3f} s), got {self.to!r}"
            )

    def settings(self) -> dict[str, Any]:
        if self.name == "vary":
            return {"strength": self.strength}
        if self.name == "inpaint":
            return {"region": list(self.region or ()), "crossfade_s": CROSSFADE_SECONDS}
        return {"to": self.to, "crossfade_s": CROSSFADE_SECONDS}

    def flags(self) -> list[str]:
        if self.name == "vary":
            return ["--strength", f"{self.strength:g}"]
        if self.name == "inpaint":
            start, end = self.region or (0, 0)
            return ["--region", f"{start:g}:{end:g}"]
        return ["--to", f"{self.to:g}"]


def _varied_takes(
    engine: Engine,
    source: SourceAudio,
    operation: Operation,
    request: SoundRequest,
    steps: int,
    guidance: float,
) -> list[Take]:
    """Variations: new takes of the source's length (or `duration`, padded with silence), delivered as
    generated takes are, on the source's channels."""
    rate = engine.backend.info.sample_rate
    wanted = round(request.duration * DELIVERY_SAMPLE_RATE)
    audio = source.audio[:, :wanted]
    native = to_model(
        engine.backend, np.pad(audio, ((0, 0), (0, wanted - audio.shape[1]))), DELIVERY_SAMPLE_RATE
    )
    seeds = list(request.take_seeds())
    began = time.perf_counter()
    made = engine.backend.vary(
        native, [request.prompt] * len(seeds), seeds, operation.strength or 1.0, steps, guidance
    )
    elapsed = time.perf_counter() - began
    takes = []
    for number, (seed, audio) in enumerate(zip(seeds, made, strict=True), start=1):
        delivered, report = to_delivery(audio, rate, request.duration)
        takes.append(
            Take(number, seed, fit_channels(delivered, source.audio.shape[0]), report, elapsed, tuple(seeds))
        )
    return takes


def _spliced_takes(
    engine: Engine,
    source: SourceAudio,
    operation: Operation,
    request: SoundRequest,
    steps: int,
    guidance: float,
) -> list[Take]:
    """Inpaint or extend: every take is the source with the new part spliced in (see `splice`)."""
    seeds = list(request.take_seeds())
    fade = round(CROSSFADE_SECONDS * DELIVERY_SAMPLE_RATE)
    began = time.perf_counter()
    if operation.name == "inpaint":
        start, end = operation.region or (0.0, 0.0)
        news = inpaint_window(
            engine.backend,
            source.audio,
            DELIVERY_SAMPLE_RATE,
            start,
            end,
            seeds,
            request.prompt,
            steps,
            guidance,
        )
        cut = (round(start * DELIVERY_SAMPLE_RATE), round(end * DELIVERY_SAMPLE_RATE))
        made = [splice(source.audio, new, *cut, fade) for new in news]
    else:  # extend: window by window, each continuing from the last few seconds made (foleykit.longform)
        target = round((operation.to or 0) * DELIVERY_SAMPLE_RATE)
        made = []
        for seed in seeds:
            audio, windows = continue_sound(
                engine.backend,
                source.audio,
                DELIVERY_SAMPLE_RATE,
                target,
                seed,
                request.prompt,
                steps,
                guidance,
            )
            made.append((audio, float(np.mean([w.gain_db for w in windows]))))
    elapsed = time.perf_counter() - began
    takes = []
    for number, (seed, (audio, gain)) in enumerate(zip(seeds, made, strict=True), start=1):
        peak = true_peak(audio, DELIVERY_SAMPLE_RATE)
        report = PostReport(
            normalisation="none: spliced into the source",
            gain_db=gain,
            true_peak_dbtp=20 * math.log10(peak) if peak > 0 else None,
            loudness_lufs=None,
            fade_in_samples=0,
            fade_out_samples=0,
            note=f"outside the new part and its {CROSSFADE_SECONDS * 1000:g} ms crossfades, the source's samples",
        )
        takes.append(Take(number, seed, audio, report, elapsed, tuple(seeds)))
    return takes


def check_fits(operation: Operation, seconds: float, model: Any) -> None:
    """What the model (a ModelSource) can do (before it is loaded) and make in one pass: a whole
    variation, a region with its crossfades."""
    BACKENDS[model.backend].check_can(operation.name)
    if operation.name == "inpaint" and operation.region is not None:
        start, end = operation.region
        if end - start + 2 * CROSSFADE_SECONDS > model.info.max_duration:
            raise BadInputError(
                f"the region is {end - start:.2f} s; {model.name} makes at most "
                f"{model.info.max_duration - 2 * CROSSFADE_SECONDS:.2f} s at once"
            )
    if operation.name == "vary" and seconds > model.info.max_duration + 1e-9:
        raise BadInputError(
            f"a variation is made in one pass: {seconds:g} s is longer than {model.name} makes "
            f"(maximum {model.info.max_duration:.2f} s)"
        )


def render_derived(
    engine: Engine, source: SourceAudio, operation: Operation, request: SoundRequest
) -> list[Take]:
    """The takes of `request` (its seeds, prompt and length) made from `source` by `operation`."""
    steps, guidance = engine.settings(request.steps, request.guidance)
    with engine.lock, engine.backend.anchoring(request.anchor_weight):
        if operation.name == "vary":
            return _varied_takes(engine, source, operation, request, steps, guidance)
        return _spliced_takes(engine, source, operation, request, steps, guidance)


def lineage(source: SourceAudio, operation: Operation, prompt: str) -> dict[str, Any]:
    """`Engine.write`'s `derived_from` and `command` for files made from `source`."""
    return {
        "derived_from": {"operation": operation.name, **operation.settings(), "parent": source.lineage()},
        "command": ["foleykit", operation.name, str(source.path), *operation.flags(), "--prompt", prompt],
    }


def derive(
    source_path: str | Path,
    operation: Operation,
    *,
    prompt: str | None = None,
    duration: float | None = None,
    takes: int = 1,
    seed: int | None = None,
    model: str = "bundled",
    steps: int | None = None,
    guidance: float | None = None,
    anchor_weight: float | None = None,
    out_dir: str | Path = DEFAULT_OUT_DIR,
    force: bool = False,
    device: str = "auto",
    dtype: str = "auto",
    speedups: Speedups = NO_SPEEDUPS,
    progress: bool = False,
) -> GenerationResult:
    """Make `takes` files from `source_path` by `operation`; everything checkable is checked first."""
    began = time.perf_counter()
    source = read_source(source_path)
    operation.check(source)
    if prompt is None:
        prompt = (source.sidecar or {}).get("prompt")
        if not prompt:
            raise BadInputError(f"give --prompt: {source.path.name} has no sidecar to take its prompt from")
        if anchor_weight is None:  # the source's prompt, worded and anchored as it was
            anchor_weight = (source.sidecar or {}).get("anchor_weight")
    length = {"vary": duration or source.seconds, "inpaint": source.seconds, "extend": operation.to}[
        operation.name
    ]
    if duration is not None and operation.name != "vary":
        raise BadInputError(f"--duration is for vary; {operation.name} keeps the length it is given")
    request = SoundRequest(
        prompt=prompt,
        duration=float(length),
        takes=takes,
        seed=seed,
        steps=steps,
        guidance=guidance,
        anchor_weight=anchor_weight,
        model=model,
        name=f"{source.path.stem}_{operation.name}",
    ).with_seeds()
    src = resolve_model(request.model)
    check_fits(operation, request.duration, src)
    out = check_outputs(request, src, out_dir, force=force, speedups=speedups)

    checked = time.perf_counter()
    engine = get_engine(src, device=device, dtype=dtype, progress=progress, speedups=speedups)
    loaded = time.perf_counter()
    result_takes = render_derived(engine, source, operation, request)
    rendered = time.perf_counter()
    files = engine.write(request, result_takes, out, force=force, **lineage(source, operation, prompt))
    return generation_result(request, engine, result_takes, files, (began, checked, loaded, rendered))


__all__ = [
    "CROSSFADE_SECONDS",
    "Operation",
    "SourceAudio",
    "check_fits",
    "derive",
    "lineage",
    "parse_region",
    "read_source",
    "render_derived",
]
