"""GPU throughput of foleykit's engine against stock diffusers, and a CUDA correctness check, in one call.

    python bench/gpu_throughput.py --out DIR [--check] [--tiny] [--only audioldm2,stable-audio] [--budget-s 420]

Per architecture (bench/architectures.py: AudioLDM 2, Stable Audio Open 1.0, Stable Audio 3 small; full-size
random weights, nothing downloaded) and per workload ("uniform": 16 × 10 s requests; "foley-mix" of 16 lengths from
1 to 10 s), at equal steps, after a warm-up that pays any compiling:
  (a) stock: the diffusers pipeline at its defaults and dtype (float32); requests of one length share a call;
  (b) tuned stock: the documented speed recipe, the whole pipeline in bf16, SDPA (diffusers' default
      attention), `torch.compile(denoiser, mode="reduce-overhead", fullgraph=True)`, calls as in (a);
  (c) foleykit: `Engine.from_pipeline` in bf16 with float32 decoders, the denoiser compiled, requests of
      different lengths packed into shared calls (`Engine.render_mixed`), Stable Audio Open denoising only
      the window a request needs (`crop_window`), and delivery post-processing (48 kHz) included.
It reports audio seconds made per wall second, peak GPU memory, and model FLOP utilisation: FLOPs counted by
`torch.utils.flop_counter` on eager runs of the same calls, over the measured bf16 matrix rate of this card.

`--check` first runs every backend's tiny model on this device (DESIGN §2 conventions): finite, non-silent,
exact length, decoders in float32, the same seed twice identical, this device against the CPU, and a quality
guard per optimisation (spectral difference against the reference path on the same seed).

`--tiny` runs all of it with tiny models on whatever device there is (the suite runs it on CPU), so the GPU
run cannot fail on a typo. JSON goes to DIR/gpu_throughput.json; the table is printed last.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import architectures

MODES = ("stock", "tuned", "foleykit")
WORKLOADS = ("uniform", "foley-mix")
LENGTH_KEYWORD = {
    "audioldm2": "audio_length_in_s",
    "stable-audio": "audio_end_in_s",
    "stable-audio-3": "duration",
}
BACKEND_NAME = {"audioldm2": "audioldm2", "stable-audio": "stable-audio", "stable-audio-3": "stable-audio-3"}
# A foley session's lengths (s): mostly short one-shots, a few longer beds.
FOLEY_MIX = (1.0, 1.0, 1.5, 2.0, 2.0, 2.5, 3.0, 3.0, 4.0, 4.5, 5.0, 6.0, 6.5, 8.0, 9.0, 10.0)
UNIFORM = (10.0,) * 16
PROMPTS = ("footsteps on gravel", "a door slams", "rain on a tin roof", "glass shatters")
GUIDANCE = {"audioldm2": 3.5, "stable-audio": 7.0, "stable-audio-3": 1.0}


@dataclass
class Measurement:
    architecture: str
    workload: str
    mode: str
    audio_seconds: float = 0.0
    wall_s: float | None = None
    warmup_s: float | None = None
    calls: int = 0
    peak_memory_gib: float | None = None
    flops: float | None = None
    note: str = ""

    @property
    def audio_per_second(self) -> float | None:
        return self.audio_seconds / self.wall_s if self.wall_s else None

    def utilisation(self, peak_flops: float) -> float | None:
        if not (self.flops and self.wall_s and peak_flops):
            return None
        return self.flops / self.wall_s / peak_flops

    def to_dict(self, peak_flops: float) -> dict[str, Any]:
        return {
            **asdict(self),
            "audio_s_per_wall_s": self.audio_per_second,
            "model_flop_utilisation": self.utilisation(peak_flops),
        }


@dataclass
class Clock:
    """The run's budget: each measurement asks before starting, so the table is always printed in time."""

    budget_s: float
    started: float = field(default_factory=time.perf_counter)

    def left(self) -> float:
        return self.budget_s - (time.perf_counter() - self.started)


# ---------------------------------------------------------------------------------------------- device
def synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matrix_rate(device: torch.device, tiny: bool) -> dict[str, Any]:
    """The card's measured bf16 matrix rate (FLOP/s): the ceiling utilisation is reported against. On the
    CPU (--tiny) float32, since that is what CPUs run fast."""
    size, dtype = (512, torch.float32) if tiny or device.type != "cuda" else (8192, torch.bfloat16)
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    synchronise(device)
    began = time.perf_counter()
    repeats = 10
    for _ in range(repeats):
        a @ b
    synchronise(device)
    seconds = (time.perf_counter() - began) / repeats
    return {"dtype": str(dtype).removeprefix("torch."), "size": size, "flops_per_s": 2 * size**3 / seconds}


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({os.cpu_count()} cores)"


# ---------------------------------------------------------------------------------------------- workloads
def workload_lengths(name: str, longest: float, count: int) -> list[float]:
    """`count` requests of the workload (the mix evenly thinned when fewer than 16), scaled down where a
    tiny model's window is shorter than 10 s."""
    lengths = UNIFORM if name == "uniform" else FOLEY_MIX
    picked = [lengths[round(i * (len(lengths) - 1) / max(count - 1, 1))] for i in range(count)]
    scale = min(1.0, longest / 10.0)
    return [round(length * scale, 3) for length in picked]


def prompts_for(count: int) -> list[str]:
    return [PROMPTS[i % len(PROMPTS)] for i in range(count)]


def stock_calls(
    pipe: Any, architecture: str, lengths: list[float], steps: int, guidance: float, device: torch.device
) -> int:
    """As a stock user would: one pipeline call per distinct length, all requests of that length in it."""
    calls = 0
    for length in sorted(set(lengths)):
        members = [i for i, d in enumerate(lengths) if d == length]
        generators = [torch.Generator("cpu").manual_seed(i) for i in members]
        pipe(
            prompt=[prompts_for(len(lengths))[i] for i in members],
            num_inference_steps=steps,
            guidance_scale=guidance,
            generator=generators,
            output_type="np",
            **{LENGTH_KEYWORD[architecture]: length},
        )
        calls += 1
    synchronise(device)
    return calls


def count_flops(run: Callable[[int], Any], steps: int) -> float | None:
    """FLOPs of a run at `steps`: runs at 2 and 3 steps under FlopCounterMode (eager), extrapolated."""
    from torch.utils.flop_counter import FlopCounterMode

    totals = []
    for counted in (2, 3):
        with FlopCounterMode(display=False) as counter:
            run(counted)
        totals.append(counter.get_total_flops())
    per_step = totals[1] - totals[0]
    return float(totals[0] + per_step * (steps - 2))


def timed(device: torch.device, run: Callable[[], int]) -> tuple[float, int, float | None]:
    """(wall seconds, pipeline calls, peak GiB) of one run."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    synchronise(device)
    began = time.perf_counter()
    calls = run()
    synchronise(device)
    wall = time.perf_counter() - began
    peak = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
    return wall, calls, peak


def denoiser_name(pipe: Any) -> str:
    return "unet" if hasattr(pipe, "unet") else "transformer"


def bench_architecture(
    architecture: str,
    size: str,
    device: torch.device,
    steps: int,
    requests: int,
    clock: Clock,
    log: Callable[[str], None],
    chosen: tuple[str, ...] = WORKLOADS,
) -> list[Measurement]:
    """The three modes on both workloads for one architecture; what the budget does not allow is skipped."""
    from foleykit.backends import BACKEND_BY_PIPELINE, Speedups
    from foleykit.engine import Engine
    from foleykit.runtime import compile_backend

    results: list[Measurement] = []
    if size == "full":  # built where it runs: no 5 GB pass through host memory
        with torch.device(device):
            pipe = architectures.build(architecture, size)
    else:  # tiny ones load from disk like a user's model
        pipe = architectures.build(architecture, size)
    pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    guidance = GUIDANCE[architecture]
    longest = _longest_seconds(pipe, architecture)
    workloads = {name: workload_lengths(name, longest, requests) for name in chosen}
    log(
        f"{architecture}: built ({sum(architectures.parameter_counts(pipe).values()) / 1e6:.0f} M parameters)"
    )

    def measure(mode: str, workload: str, warm: Callable[[int], Any], run: Callable[[], int], flops) -> None:
        lengths = workloads[workload]
        m = Measurement(architecture, workload, mode, audio_seconds=sum(lengths))
        results.append(m)
        if clock.left() < 0.05 * clock.budget_s:
            m.note = "skipped: out of budget"
            return
        try:
            began = time.perf_counter()
            warm(2)
            synchronise(device)
            m.warmup_s = time.perf_counter() - began
            m.wall_s, m.calls, m.peak_memory_gib = timed(device, run)
            m.flops = flops
            log(
                f"  {workload:9s} {mode:8s} {m.audio_per_second:8.2f} audio s/s  (warm-up {m.warmup_s:.1f} s)"
            )
        except Exception as err:  # a mode that breaks is reported and the others still run
            m.note = f"failed: {type(err).__name__}: {str(err).splitlines()[0][:160]}"
            log(f"  {workload} {mode}: {m.note}\n{traceback.format_exc(limit=3)}")

    def stock_runs(lengths: list[float]) -> tuple[Callable[[int], int], Callable[[], int]]:
        """(a run at any steps, the timed run) of the stock calls for `lengths`."""
        return (
            lambda s: stock_calls(pipe, architecture, lengths, s, guidance, device),
            lambda: stock_calls(pipe, architecture, lengths, steps, guidance, device),
        )

    # (a) stock, float32. Its eager FLOP counts are also (b)'s: same calls, same shapes.
    stock_flops = {}
    for workload, lengths in workloads.items():
        if clock.left() > 0.5 * clock.budget_s:
            stock_flops[workload] = count_flops(stock_runs(lengths)[0], steps)
        measure("stock", workload, *stock_runs(lengths), stock_flops.get(workload))

    # (b) the documented speed recipe. fullgraph=True as documented; where the denoiser breaks its graph
    # (AudioLDM 2's UNet logs on lengths its levels do not divide), again with fullgraph=False, noted.
    denoiser = denoiser_name(pipe)
    eager_denoiser = getattr(pipe, denoiser)
    pipe.to(torch.bfloat16)
    backend = compile_backend()
    options = {"mode": "reduce-overhead"} if backend == "inductor" else {}
    for workload, lengths in workloads.items():
        for fullgraph in (True, False):
            torch._dynamo.reset()
            setattr(
                pipe, denoiser, torch.compile(eager_denoiser, backend=backend, fullgraph=fullgraph, **options)
            )
            measure("tuned", workload, *stock_runs(lengths), stock_flops.get(workload))
            if not (fullgraph and results[-1].note.startswith("failed")):
                break
            log(f"  {workload} tuned: fullgraph=True failed; again with fullgraph=False")
            results[-1].note = ""
            results.pop()
        if not fullgraph:
            results[-1].note = ("fullgraph=False (graph breaks); " + results[-1].note).strip("; ")
    setattr(pipe, denoiser, eager_denoiser)
    torch._dynamo.reset()  # (b)'s graphs and CUDA graphs go; the inductor cache on disk stays

    # (c) foleykit's engine.
    if type(pipe).__name__ not in BACKEND_BY_PIPELINE:
        for workload in workloads:
            results.append(
                Measurement(
                    architecture, workload, "foleykit", note="no foleykit backend for this pipeline yet"
                )
            )
        return results
    speedups = Speedups(compile=False, crop_window=architecture == "stable-audio")
    engine = Engine.from_pipeline(pipe, name=f"{architecture}-random", device=str(device), dtype="bf16")
    engine.backend.apply(speedups)
    batch = {"uniform": requests, "foley-mix": max(1, requests // 2)}  # the mix: short half, long half

    def engine_run(lengths: list[float], steps_: int, workload: str) -> int:
        engine.render_mixed(
            prompts_for(len(lengths)),
            list(range(len(lengths))),
            lengths,
            steps=steps_,
            guidance=guidance,
            batch_size=batch[workload],
        )
        synchronise(device)
        return math.ceil(len(lengths) / batch[workload])

    engine_flops = {}
    for workload, lengths in workloads.items():  # counted eager, before compiling
        if clock.left() > 0.5 * clock.budget_s:
            engine_flops[workload] = count_flops(lambda s, L=lengths, w=workload: engine_run(L, s, w), steps)
    engine.backend.apply(Speedups(compile=True, crop_window=speedups.crop_window))
    for workload, lengths in workloads.items():
        measure(
            "foleykit",
            workload,
            lambda s, L=lengths, w=workload: engine_run(L, s, w),
            lambda L=lengths, w=workload: engine_run(L, steps, w),
            engine_flops.get(workload),
        )
    torch._dynamo.reset()
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return results


def _longest_seconds(pipe: Any, architecture: str) -> float:
    if architecture == "stable-audio":
        return pipe.transformer.config.sample_size * pipe.vae.hop_length / pipe.vae.config.sampling_rate
    return 10.0


# ---------------------------------------------------------------------------------------------- check
def spectral_difference(a: np.ndarray, b: np.ndarray) -> float:
    """‖|STFT a| − |STFT b|‖ / ‖|STFT b|‖ over all channels: 0 for identical audio, ~1.4 for unrelated noise."""
    n = min(a.shape[-1], b.shape[-1])
    x = torch.from_numpy(np.ascontiguousarray(a[..., :n], dtype=np.float64)).reshape(-1, n)
    y = torch.from_numpy(np.ascontiguousarray(b[..., :n], dtype=np.float64)).reshape(-1, n)
    window = torch.hann_window(512, dtype=torch.float64)
    sx = torch.stft(x, 512, 128, window=window, return_complex=True).abs()
    sy = torch.stft(y, 512, 128, window=window, return_complex=True).abs()
    return float(torch.linalg.norm(sx - sy) / max(float(torch.linalg.norm(sy)), 1e-12))


def _tiny_bundled(directory: Path) -> Path:
    """A tiny FoleyPipeline with a tiny random BERT saved inside it: MiniLM's package (88 MB) does not travel
    to the GPU machine, and the check is about the pipeline, not the words."""
    import string

    from transformers import BertConfig, BertModel, BertTokenizerFast

    from foleykit.pipelines.foley import FoleyArchitecture, build_foley_pipeline

    arch = FoleyArchitecture.tiny()
    directory.mkdir(parents=True, exist_ok=True)
    vocab = directory / "vocab.txt"
    vocab.write_text(
        "\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *string.ascii_lowercase]) + "\n"
    )
    tokenizer = BertTokenizerFast(vocab_file=str(vocab))
    torch.manual_seed(0)
    encoder = BertModel(
        BertConfig(
            vocab_size=len(tokenizer),
            hidden_size=arch.text_dim,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=64,
        )
    ).eval()
    torch.manual_seed(0)
    build_foley_pipeline(arch, tokenizer, encoder).save_pretrained(directory, include_text_encoder=True)
    vocab.unlink()
    return directory


def _tiny_model_dirs(root: Path) -> dict[str, Path]:
    from tiny_pipelines import build_tiny_audioldm, build_tiny_audioldm2, build_tiny_stable_audio

    dirs = {
        "bundled": _tiny_bundled(root / "bundled"),
        "audioldm": build_tiny_audioldm(root / "audioldm"),
        "audioldm2": build_tiny_audioldm2(root / "audioldm2"),
        "stable-audio": build_tiny_stable_audio(root / "stable-audio"),
    }
    try:
        from sa3_architecture import save_tiny_stable_audio_3

        dirs["stable-audio-3"] = save_tiny_stable_audio_3(root / "stable-audio-3")
    except ImportError:
        pass
    return dirs


def _decoder_dtypes(pipe: Any) -> tuple[list[str], Callable[[], None]]:
    """Record the dtype every decoder component computes in (its outputs), via forward hooks."""
    from foleykit.runtime import DECODER_COMPONENTS

    seen: list[str] = []
    handles = []
    for name in DECODER_COMPONENTS:
        module = getattr(pipe, name, None)
        target = getattr(module, "decoder", module)
        if isinstance(target, torch.nn.Module):

            def hook(_module: Any, _args: Any, output: Any, name: str = name) -> None:
                tensor = output if isinstance(output, torch.Tensor) else getattr(output, "sample", None)
                if tensor is None and isinstance(output, tuple):
                    tensor = output[0]
                if isinstance(tensor, torch.Tensor):
                    seen.append(f"{name}:{str(tensor.dtype).removeprefix('torch.')}")

            handles.append(target.register_forward_hook(hook))
    return seen, lambda: [h.remove() for h in handles]


def check_backend(
    name: str, directory: Path, device: torch.device, log: Callable[[str], None], compile_guard: bool = True
) -> dict[str, Any]:
    """One tiny backend on `device`: the checks of the module docstring, each a named pass/fail with figures."""
    from foleykit.audio.post import DELIVERY_SAMPLE_RATE
    from foleykit.backends import BACKEND_BY_PIPELINE, Speedups
    from foleykit.engine import Engine
    from foleykit.models import resolve_model

    source = resolve_model(str(directory))
    if source.info.pipeline_class not in BACKEND_BY_PIPELINE:
        return {"backend": name, "skipped": "no foleykit backend for this pipeline yet"}
    low = "bf16"  # what a GPU runs; on the CPU the same dtype, so the dry run takes the same paths
    seconds = round(min(1.0, source.info.max_duration * 0.6), 2)
    seeds, prompts = [3, 4], ["a door slams", "rain on a window"]
    steps = 3

    def make(dev: str, dtype: str) -> Engine:
        return Engine.load(source, device=dev, dtype=dtype, progress=False)

    def render(engine: Engine, lengths: list[float] | None = None, batch: int = 2) -> list[np.ndarray]:
        lengths = lengths or [seconds] * len(prompts)
        return engine.render_mixed(prompts, seeds, lengths, steps=steps, batch_size=batch)

    def worst(a: list[np.ndarray], b: list[np.ndarray]) -> float:
        return max(spectral_difference(x, y) for x, y in zip(a, b, strict=True))

    result: dict[str, Any] = {"backend": name, "device": str(device), "dtype": low, "seconds": seconds}
    checks: dict[str, Any] = {}
    engine = make(str(device), low)
    seen, unhook = _decoder_dtypes(engine.backend.pipe)
    first = render(engine)
    unhook()
    second = render(engine)
    expected = round(seconds * DELIVERY_SAMPLE_RATE)
    checks["finite"] = all(bool(np.isfinite(a).all()) for a in first)
    checks["not_silent"] = all(float(np.sqrt(np.mean(a.astype(np.float64) ** 2))) > 1e-5 for a in first)
    checks["exact_length"] = all(a.shape[-1] == expected for a in first)
    checks["decoders_float32"] = bool(seen) and all(s.endswith("float32") for s in seen)
    result["decoder_dtypes"] = sorted(set(seen))
    checks["same_seed_identical"] = all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))

    # Tolerances come from this model on this machine: bf16 rounding alone moves the output by `rounding`
    # (CPU bf16 vs CPU fp32); a change that should not alter the maths must move it less than that.
    cpu32 = render(make("cpu", "fp32"))
    cpu_low = first if device.type == "cpu" else render(make("cpu", low))
    result["bf16_vs_fp32_cpu"] = rounding = worst(cpu_low, cpu32)
    result["tolerance"] = tolerance = max(2 * rounding, 1e-3)
    if device.type != "cpu":
        result["device_vs_cpu_fp32"] = worst(render(make(str(device), "fp32")), cpu32)
        checks["device_agrees_with_cpu"] = result["device_vs_cpu_fp32"] <= tolerance
    # Guard: packed lengths. The longest member of a packed call is made at its own length, so it must match
    # a call of its own (up to batch-composition kernel differences).
    packed = render(engine, lengths=[seconds / 2, seconds])
    alone = engine.render_mixed(prompts[1:], seeds[1:], [seconds], steps=steps, batch_size=1)
    result["packed_vs_alone"] = spectral_difference(packed[1], alone[0])
    checks["packing_keeps_longest"] = result["packed_vs_alone"] <= tolerance
    if engine.backend.has_fixed_window:  # the crop is not the stock output by design: exact at full window
        backend = engine.backend
        backend.apply(Speedups(crop_window=True))
        backend.window_quantum_frames = backend.pipe.transformer.config.sample_size
        checks["crop_at_full_window_is_stock"] = all(
            np.array_equal(a, b) for a, b in zip(render(engine), first, strict=True)
        )
        backend.window_quantum_frames = 1
        result["cropped_vs_full_window"] = worst(render(engine), first)
        backend.apply(Speedups())
    if compile_guard:  # torch.compile of the denoiser, same dtype and seeds
        engine.backend.apply(Speedups(compile=True))
        result["compiled_vs_eager"] = worst(render(engine), first)
        checks["compile_keeps_output"] = result["compiled_vs_eager"] <= tolerance
    result["checks"] = checks
    result["passed"] = all(checks.values())
    failed = [check for check, ok in checks.items() if not ok]
    log(f"  check {name}: {'pass' if not failed else 'FAIL ' + ', '.join(failed)}")
    return result


def run_check(
    device: torch.device, work: Path, log: Callable[[str], None], clock: Clock, compile_guard: bool = True
) -> list[dict[str, Any]]:
    """Every backend's checks; compiling tiny models costs ~30 s each on a GPU, so the compile guard stops
    once the check has used a third of the run's budget (the bench still compiles the full-size ones)."""
    results = []
    for name, directory in _tiny_model_dirs(work / "tiny-models").items():
        try:
            began = time.perf_counter()
            guard = compile_guard and clock.left() > clock.budget_s * 2 / 3
            results.append(check_backend(name, directory, device, log, guard))
            results[-1]["compile_guard"] = guard
            results[-1]["wall_s"] = time.perf_counter() - began
        except Exception as err:
            results.append({"backend": name, "passed": False, "error": f"{type(err).__name__}: {err}"})
            log(f"  check {name}: ERROR {err}\n{traceback.format_exc(limit=4)}")
    return results


# ---------------------------------------------------------------------------------------------- report
def table(measurements: list[Measurement], peak_flops: float, card: str) -> str:
    """Audio seconds per wall second per mode, with foleykit's speed-up over (a) and (b)."""
    by_key = {(m.architecture, m.workload, m.mode): m for m in measurements}
    lines = [
        f"card: {card}",
        f"{'architecture':15s} {'workload':10s} {'mode':9s} {'audio s/s':>10s} {'×stock':>7s} {'×tuned':>7s} "
        f"{'peak GiB':>8s} {'MFU':>6s}  note",
    ]
    for m in measurements:
        rate = m.audio_per_second
        ratios = []
        for reference in ("stock", "tuned"):
            ref = by_key.get((m.architecture, m.workload, reference))
            ratios.append(
                f"{rate / ref.audio_per_second:7.2f}" if rate and ref and ref.audio_per_second else " " * 7
            )
        mfu = m.utilisation(peak_flops)
        lines.append(
            f"{m.architecture:15s} {m.workload:10s} {m.mode:9s} "
            f"{f'{rate:10.2f}' if rate else ' ' * 10} {ratios[0]} {ratios[1]} "
            f"{f'{m.peak_memory_gib:8.1f}' if m.peak_memory_gib is not None else ' ' * 8} "
            f"{f'{100 * mfu:5.1f}%' if mfu is not None else ' ' * 6}  {m.note}"
        )
    return "\n".join(lines)


def write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for gpu_throughput.json")
    parser.add_argument("--tiny", action="store_true", help="tiny models on any device: the suite's dry run")
    parser.add_argument("--check", action="store_true", help="the CUDA correctness check first")
    parser.add_argument(
        "--only",
        default="stable-audio,stable-audio-3,audioldm2",
        help="architectures to time, in this order (default: the DiT with the utilisation target first)",
    )
    parser.add_argument("--steps", type=int, default=None, help="denoising steps, equal for every mode")
    parser.add_argument("--budget-s", type=float, default=None, help="stop starting measurements after this")
    parser.add_argument("--no-bench", action="store_true", help="only --check")
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="workloads to time (default both)")
    parser.add_argument(
        "--no-compile-guard",
        action="store_true",
        help="--check without the torch.compile guard (slow on CPU)",
    )
    args = parser.parse_args(argv)
    only = [name for name in args.only.split(",") if name]
    chosen = tuple(name for name in args.workloads.split(",") if name)
    unknown = sorted(set(only) - set(architectures.ARCHITECTURES)) + sorted(set(chosen) - set(WORKLOADS))
    if unknown:
        print(f"gpu_throughput: unknown architecture or workload {unknown[0]!r}", file=sys.stderr)
        return 2
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not args.tiny and device.type != "cuda":
        print(
            "gpu_throughput: full-size models need a CUDA GPU here; --tiny runs the dry run", file=sys.stderr
        )
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    size = "tiny" if args.tiny else "full"
    if args.tiny:  # trace the graphs (fullgraph errors show) without minutes of C++ codegen on a CPU
        os.environ.setdefault("FOLEYKIT_COMPILE_BACKEND", "eager")
        torch.set_num_threads(min(torch.get_num_threads(), 2))
    steps = args.steps or (3 if args.tiny else 10)
    requests = 4 if args.tiny else 16
    clock = Clock(args.budget_s or (120 if args.tiny else 420))

    def log(line: str) -> None:
        print(f"[{time.perf_counter() - clock.started:6.1f} s] {line}", file=sys.stderr, flush=True)

    torch.manual_seed(0)
    card = device_name(device)
    rate = matrix_rate(device, args.tiny)
    log(
        f"{card}: torch {torch.__version__}, matrix rate {rate['flops_per_s'] / 1e12:.1f} TFLOP/s ({rate['dtype']})"
    )
    report: dict[str, Any] = {
        "card": card,
        "torch": torch.__version__,
        "size": size,
        "steps": steps,
        "requests_per_workload": requests,
        "matrix_rate": rate,
        "check": None,
        "bench": [],
    }
    if args.check:
        report["check"] = run_check(device, args.out, log, clock, compile_guard=not args.no_compile_guard)
        write_json(args.out / "gpu_throughput.json", report)
    measurements: list[Measurement] = []
    if not args.no_bench:
        for index, architecture in enumerate(only):  # each gets an equal share of what is left
            share = Clock(clock.left() / (len(only) - index))
            try:
                measurements += bench_architecture(
                    architecture, size, device, steps, requests, share, log, chosen
                )
            except Exception as err:
                log(f"{architecture}: failed {err}\n{traceback.format_exc(limit=4)}")
                measurements.append(
                    Measurement(architecture, "-", "-", note=f"failed: {type(err).__name__}: {err}")
                )
            report["bench"] = [m.to_dict(rate["flops_per_s"]) for m in measurements]
            write_json(args.out / "gpu_throughput.json", report)
    report["wall_s"] = time.perf_counter() - clock.started
    write_json(args.out / "gpu_throughput.json", report)
    if report["check"] is not None:
        failed = [c["backend"] for c in report["check"] if c.get("passed") is False]
        print(f"check: {'all passed' if not failed else 'FAILED: ' + ', '.join(failed)}")
    print(table(measurements, rate["flops_per_s"], card))
    return 0


if __name__ == "__main__":
    sys.exit(main())
