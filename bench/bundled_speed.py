"""How fast is the bundled model on a laptop-class CPU? Load time, and one 5 s take at default settings.

Targets (issues 3 and 14): load ≤ 6 s, a 5 s take ≤ 1.0 s wall on 2 CPU cores after load. Each measurement runs
in a fresh Python process (`--child`) so that load time includes what a user's first command pays:
reading the weights, MiniLM from its package, and placing the pipeline. The take is the whole
`Engine.render` path (pipeline at its default steps and guidance, then 48 kHz resampling, fades, true-peak
normalisation); one warm-up take, then the median of `--repeats`.

    python bench/bundled_speed.py --threads 2 --json bench/results/bundled_speed.json
    python bench/bundled_speed.py --decoders griffin-lim,vocoder   # both decoders, alternating, one run
    python bench/bundled_speed.py --models bundled,/tmp/v1          # two models, alternating, one run
    python bench/bundled_speed.py --prompt "footsteps on gravel"    # a prompt whose takes get a walk laid out

With `--decoders`, the model's own weights are measured once per decoder (a copy of its model_index.json
with `decoder` set, the weight folders linked), fresh processes alternating between them, so the ratio
between decoders is measured on the same machine in the same minutes (machines here differ by up to 1.7×).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

DEFAULT_PROMPT = "footsteps on gravel, slow"


def child(model: str, threads: int, repeats: int, duration: float, prompt: str = DEFAULT_PROMPT) -> dict:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
    warnings.filterwarnings("ignore")
    began = time.perf_counter()
    import torch

    from foleykit.engine import Engine
    from foleykit.request import SoundRequest

    torch.set_num_threads(threads)
    imported = time.perf_counter()
    engine = Engine.load(model, device="cpu", progress=False)
    loaded = time.perf_counter()
    takes, walk_steps, count_changes = [], [], []
    for seed in range(repeats + 1):
        request = SoundRequest(prompt, duration=duration, seeds=(seed,), model=model)
        start = time.perf_counter()
        (take,) = engine.render(request, progress=False)
        takes.append(time.perf_counter() - start)
        walk_steps.append(take.edits.get("walk_steps_added"))
        count_changes.append(take.edits.get("count_events_changed"))
    steps, guidance = engine.settings(None, None)
    return {
        "model": model,
        "prompt": prompt,
        "walk_steps_added": walk_steps,  # per take, warm-up first: a walk laid out costs 3 short takes more
        "count_events_changed": count_changes,  # per take, warm-up first
        "threads": threads,
        "duration_s": duration,
        "steps": steps,
        "guidance": guidance,
        "import_s": round(imported - began, 3),
        "load_s": round(loaded - imported, 3),
        "first_take_s": round(takes[0], 3),
        "take_median_s": round(statistics.median(takes[1:]), 3),
        "take_min_s": round(min(takes[1:]), 3),
        "samples": int(take.audio.shape[-1]),
    }


def decoder_variant(model: str, decoder: str, root: Path) -> str:
    """A directory with `model`'s weights (linked) and its model_index.json set to `decoder`."""
    from foleykit.models import resolve_model

    source = resolve_model(model).directory
    target = root / decoder
    target.mkdir()
    for item in source.iterdir():
        if item.name != "model_index.json":
            (target / item.name).symlink_to(item.resolve())
    index = json.loads((source / "model_index.json").read_text())
    (target / "model_index.json").write_text(json.dumps({**index, "decoder": decoder}, indent=2))
    return str(target)


def measure(model: str, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--child", "--model", model, "--threads", str(args.threads)]
    cmd += ["--repeats", str(args.repeats), "--duration", str(args.duration), "--prompt", args.prompt]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def summary(runs: list[dict]) -> dict:
    return {
        **{
            k: runs[0][k]
            for k in ("model", "prompt", "threads", "duration_s", "steps", "guidance", "samples")
        },
        "load_s": statistics.median(r["load_s"] for r in runs),
        "import_s": statistics.median(r["import_s"] for r in runs),
        "take_median_s": statistics.median(r["take_median_s"] for r in runs),
        "first_take_s": statistics.median(r["first_take_s"] for r in runs),  # what a one-take command pays
        "runs": runs,
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
    }


def alternate(labels: dict[str, str], args: argparse.Namespace) -> int:
    """Measure every {label: model} in fresh processes, alternating, and print each one's ratio to the first."""
    if not labels:
        print("nothing to compare", file=sys.stderr)
        return 2
    runs: dict[str, list[dict]] = {label: [] for label in labels}
    for _ in range(args.runs):
        for label, model in labels.items():  # alternating, so drift on the machine hits all alike
            runs[label].append(measure(model, args))
    result = {label: {**summary(r), "model": label} for label, r in runs.items()}
    first = next(iter(labels))
    for label, r in result.items():
        ratio = r["take_median_s"] / result[first]["take_median_s"]
        load_ratio = r["load_s"] / result[first]["load_s"]
        r["take_ratio_to_first"], r["load_ratio_to_first"] = round(ratio, 3), round(load_ratio, 3)
        print(
            f"{label}: load {r['load_s']:.2f} s (×{load_ratio:.2f}), {args.duration:g} s take "
            f"{r['take_median_s']:.3f} s (×{ratio:.2f} of {first}), first take after load {r['first_take_s']:.3f} s"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="bundled")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--prompt", default=DEFAULT_PROMPT)
    parser.add_argument("--runs", type=int, default=3, help="fresh processes (load is the median over them)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--decoders", default=None, help="compare decoders of the same weights, e.g. griffin-lim,vocoder"
    )
    parser.add_argument("--models", default=None, help="compare models, e.g. bundled,/path/to/other")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.model, args.threads, args.repeats, args.duration, args.prompt)))
        return 0
    if args.decoders:
        decoders = [d.strip() for d in args.decoders.split(",") if d.strip()]
        with tempfile.TemporaryDirectory() as tmp:
            labels = {
                f"{args.model} (decoder {d})": decoder_variant(args.model, d, Path(tmp)) for d in decoders
            }
            return alternate(labels, args)
    if args.models:
        return alternate({m.strip(): m.strip() for m in args.models.split(",") if m.strip()}, args)
    result = summary([measure(args.model, args) for _ in range(args.runs)])
    print(
        f"model {result['model']}: {result['steps']} steps, guidance {result['guidance']}, {args.threads} threads"
    )
    print(f"  import torch + foleykit  {result['import_s']:.2f} s")
    print(f"  load                     {result['load_s']:.2f} s   (target ≤ 6 s)")
    print(f"  {args.duration:g} s take (median)    {result['take_median_s']:.3f} s (target ≤ 1.0 s)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
