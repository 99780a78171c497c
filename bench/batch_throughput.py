"""Batch runner throughput (issue 5 targets) with the bundled model on this machine's CPU.

1. Batching: the same takes (different prompts, 4 s each) through `foleykit.batch.run_batch` at
   `--batch-size 8` and at `--batch-size 1`; audio seconds per wall second of each. Target ≥ 1.5×.
2. Overhead: on a `--takes-total` run, the runner's own time (validation, resume checks, files,
   manifest, report) as a share of wall time: wall − time inside pipeline calls (sum of each call's
   `render_seconds`, recorded per take in the manifest as wall_s) − the engine's audio post (timed
   separately per take, × takes). Target ≤ 5 %. Both shares are printed.

    python bench/batch_throughput.py --takes-total 200 --json bench/results/batch_throughput.json
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

PROMPTS = [
    "footsteps on gravel",
    "door knock",
    "rain on a roof",
    "wind through trees",
    "a glass breaking",
    "metal pipe struck",
    "campfire crackling",
    "a whoosh",
]


def _prompt_file(folder: Path, sounds: int, duration: float) -> Path:
    body = f'[defaults]\nmodel = "bundled"\nduration = {duration}\ntakes = 1\n'
    for i in range(sounds):
        body += f'\n[[sound]]\nname = "s{i:03d}"\nprompt = "{PROMPTS[i % len(PROMPTS)]}"\n'
    path = folder / "bench.toml"
    path.write_text(body)
    return path


def _post_seconds(duration: float) -> float:
    """The engine's audio post per take (soxr to 48 kHz, true peak, loudness): not the runner's cost."""
    import numpy as np

    from foleykit.audio.post import to_delivery

    take = np.random.default_rng(0).normal(0, 0.1, (1, int(24000 * duration))).astype(np.float32)
    to_delivery(take, 24000, duration)
    began = time.perf_counter()
    for _ in range(20):
        to_delivery(take, 24000, duration)
    return (time.perf_counter() - began) / 20


def run(sounds: int, batch_size: int, duration: float) -> dict:
    from foleykit.batch import run_batch

    with tempfile.TemporaryDirectory() as tmp:
        path = _prompt_file(Path(tmp), sounds, duration)
        began = time.perf_counter()
        result = run_batch(path, Path(tmp) / "out", batch_size=batch_size)
        wall = time.perf_counter() - began
        lines = [json.loads(x) for x in result.manifest.read_text().splitlines()]
        inside = sum(e["wall_s"] for e in lines if e["wall_s"] is not None)
        post = _post_seconds(duration) * result.generated
        return {
            "takes": result.planned,
            "post_s": round(post, 3),
            "runner_share": round((wall - inside - post) / wall, 4),
            "batch_size": batch_size,
            "wall_s": round(wall, 3),
            "audio_s_per_wall_s": round(result.audio_s / wall, 3),
            "pipeline_s": round(inside, 3),
            "overhead_share": round((wall - inside) / wall, 4),
            "timings": result.to_dict()["timings"],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--takes", type=int, default=32, help="takes for the batching comparison")
    parser.add_argument("--takes-total", type=int, default=200, help="takes for the overhead run")
    parser.add_argument("--duration", type=float, default=4.0)
    parser.add_argument("--repeats", type=int, default=3, help="alternating batch-8/batch-1 pairs")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    import torch

    from foleykit.engine import get_engine
    from foleykit.models import resolve_model

    torch.set_num_threads(2)
    get_engine(resolve_model("bundled"), progress=False)  # load once; every run below shares it
    run(8, 8, args.duration)  # warm-up
    pairs = []  # alternating, so a slow spell of this shared machine hits both sides of a pair
    for _ in range(args.repeats):
        pairs.append((run(args.takes, 8, args.duration), run(args.takes, 1, args.duration)))
    ratios = [b["audio_s_per_wall_s"] / s["audio_s_per_wall_s"] for b, s in pairs]
    for (b, s), r in zip(pairs, ratios, strict=True):
        print(
            f"batch 8: {b['audio_s_per_wall_s']:.2f} audio s/s; batch 1: {s['audio_s_per_wall_s']:.2f}; ×{r:.2f}"
        )
    ratio = sorted(ratios)[len(ratios) // 2]
    batched, single = pairs[ratios.index(ratio)]
    print(f"median ×{ratio:.2f} over {len(ratios)} pairs (min ×{min(ratios):.2f}, max ×{max(ratios):.2f})")
    overhead = run(args.takes_total, 8, args.duration)
    print(
        f"{overhead['takes']} takes: wall {overhead['wall_s']:.1f} s, outside pipeline calls "
        f"{100 * overhead['overhead_share']:.1f} %: the runner's own (files, manifest, report) "
        f"{100 * overhead['runner_share']:.1f} %, audio post {100 * overhead['post_s'] / overhead['wall_s']:.1f} %"
    )
    if args.json:
        document = {
            "platform": platform.platform(),
            "batched": batched,
            "single": single,
            "ratio": round(ratio, 3),
            "ratios": [round(r, 3) for r in ratios],
            "overhead_run": overhead,
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
