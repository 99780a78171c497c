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

from foleykit.audio.post import DELIVERY_SAMPLE_RATE, PostReport, resample, to_delivery, true_peak
from foleykit.backends import Speedups
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
from foleykit.models import resolve_model
from foleykit.request import SoundRequest

CROSSFADE_SECONDS = 0.02
OPERATIONS = ("vary", "inpaint", "extend")
MAX_SPLICE_GAIN_DB = 24.0  # a silent neighbourhood must not blow the new part up


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


# ------------------------------------------------------------------------------------------- splicing
def fit_channels(audio: np.ndarray, channels: int) -> np.ndarray:
    """A mono model's audio on every channel of a stereo source; a stereo model's mid for a mono one."""
    if audio.shape[0] == channels:
        return audio
    if audio.shape[0] == 1:
        return np.repeat(audio, channels, axis=0)
    return audio.mean(axis=0, keepdims=True)


def splice(source: np.ndarray, new: np.ndarray, start: int, end: int, fade: int) -> tuple[np.ndarray, float]:
    """`source` with samples [start, end) from `new` (both at one rate; `new` at least `end` long), linear
    crossfades of `fade` samples just outside the region, the new part gain-matched (RMS) to the source
    over those crossfades and kept under the source's peak or −1 dBFS, whichever is higher. Returns the result (as long as `end` or the source, whichever is longer) and
    the gain in dB; outside [start − fade, end + fade] every sample is the source's."""
    length = max(source.shape[1], end)
    out = np.zeros((source.shape[0], length), dtype=np.float32)
    out[:, : source.shape[1]] = source
    before = slice(max(0, start - fade), start)
    after = slice(end, min(end + fade, source.shape[1]))
    zones = [z for z in (before, after) if z.stop > z.start]
    gain = 1.0
    if zones:
        heard = np.concatenate([source[:, z] for z in zones], axis=1)
        made = np.concatenate([new[:, z] for z in zones], axis=1)
        heard_rms, made_rms = float(np.sqrt(np.mean(heard**2))), float(np.sqrt(np.mean(made**2)))
        if heard_rms > 1e-6 and made_rms > 1e-6:
            gain = float(
                np.clip(heard_rms / made_rms, *(10 ** (np.array([-1, 1]) * MAX_SPLICE_GAIN_DB / 20)))
            )
    # never louder than the source's own peak or −1 dBFS, whichever is higher: no clipping comes in
    ceiling = max(float(np.abs(source).max(initial=0.0)), 10 ** (-1 / 20))
    new_peak = float(np.abs(new[:, max(0, start - fade) : end + fade]).max(initial=0.0)) * gain
    if new_peak > ceiling:
        gain *= ceiling / new_peak
    scaled = new[:, :length].astype(np.float32) * np.float32(gain)
    out[:, start:end] = scaled[:, start:end]
    for zone, rising in ((before, True), (after, False)):
        n = zone.stop - zone.start
        if n <= 0:
            continue
        ramp = (np.arange(1, n + 1, dtype=np.float32) / (n + 1))[None]
        weight = ramp if rising else ramp[:, ::-1]
        out[:, zone] = source[:, zone] * (1 - weight) + scaled[:, zone] * weight
    return out, 20 * math.log10(gain)


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


def _native(engine: Engine, audio: np.ndarray) -> np.ndarray:
    """Delivery-rate audio at the model's own rate and channel count."""
    info = engine.backend.info
    return fit_channels(resample(audio, DELIVERY_SAMPLE_RATE, info.sample_rate), info.channels)


def _inpaint_window(
    engine: Engine,
    canvas: np.ndarray,
    start: float,
    end: float,
    seeds: list[int],
    prompt: str,
    steps: int,
    guidance: float,
) -> list[np.ndarray]:
    """Make [start, end) s of `canvas` (48 kHz) again, with as much context around it as the model's window
    holds; returns each seed's new audio over the whole canvas length at 48 kHz (zeros outside the window)."""
    info = engine.backend.info
    total = canvas.shape[1] / DELIVERY_SAMPLE_RATE
    context = (info.max_duration - (end - start)) / 2
    first = max(0.0, min(start - context, total - info.max_duration))
    last = min(total, first + info.max_duration)
    a, b = round(first * DELIVERY_SAMPLE_RATE), round(last * DELIVERY_SAMPLE_RATE)
    window = _native(engine, canvas[:, a:b])
    made = engine.backend.inpaint(
        window, (start - first, end - first), [prompt] * len(seeds), seeds, steps, guidance
    )
    results = []
    for native in made:
        at_48k = resample(native, info.sample_rate)[:, : b - a]
        full = np.zeros_like(canvas)
        full[:, a : a + at_48k.shape[1]] = fit_channels(at_48k, canvas.shape[0])
        results.append(full)
    return results


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
    native = _native(engine, np.pad(audio, ((0, 0), (0, wanted - audio.shape[1]))))
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
        canvases = [source.audio] * len(seeds)
        news = _inpaint_window(engine, source.audio, start, end, seeds, request.prompt, steps, guidance)
        cuts = [(round(start * DELIVERY_SAMPLE_RATE), round(end * DELIVERY_SAMPLE_RATE))] * len(seeds)
        made = [splice(c, n, s, e, fade) for c, n, (s, e) in zip(canvases, news, cuts, strict=True)]
    else:  # extend: window by window, each keeping half the model's window of what is already there
        target = round((operation.to or 0) * DELIVERY_SAMPLE_RATE)
        made = []
        for seed in seeds:
            current, gains = source.audio, []
            while current.shape[1] < target:
                have = current.shape[1] / DELIVERY_SAMPLE_RATE
                step = min(target / DELIVERY_SAMPLE_RATE - have, engine.backend.info.max_duration / 2)
                canvas = np.pad(current, ((0, 0), (0, round(step * DELIVERY_SAMPLE_RATE))))
                (new,) = _inpaint_window(
                    engine, canvas, have, have + step, [seed], request.prompt, steps, guidance
                )
                current, gain = splice(current, new, current.shape[1], canvas.shape[1], fade)
                gains.append(gain)
            made.append((current[:, :target], float(np.mean(gains))))
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
    """What the model (a ModelSource) can make in one pass: a whole variation, a region with its crossfades."""
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
    with engine.lock:
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
    "splice",
]
