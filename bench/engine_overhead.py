"""How much does foleykit's engine add on top of calling the diffusers pipeline directly?

Both sides use the same saved model, steps, guidance, batch (takes) and seeds. The bare side is one
pipeline call; the engine side is `foleykit.generate(...)` end to end (model already loaded): resolve the
request, the same pipeline call, resampling to 48 kHz, fades, true-peak normalisation, 24-bit WAV and
JSON sidecar writes. Runs alternate between the two so drift hits both alike; medians are reported.

    python bench/engine_overhead.py                 # bundled architecture (random weights) + tiny AudioLDM 2
    python bench/engine_overhead.py --repeats 9 --json bench/results/engine_overhead.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
warnings.filterwarnings("ignore")  # library deprecation notices, not results

import torch  # noqa: E402

import foleykit  # noqa: E402
from foleykit.backends import BACKENDS  # noqa: E402
from foleykit.engine import get_engine  # noqa: E402
from foleykit.models import resolve_model  # noqa: E402
from foleykit.pipelines.foley import FoleyArchitecture, build_foley_pipeline  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def build_models(root: Path) -> dict[str, Path]:
    from tiny_pipelines import build_tiny_audioldm2

    torch.manual_seed(0)
    bundled = root / "bundled-architecture"
    build_foley_pipeline(FoleyArchitecture()).save_pretrained(bundled, include_text_encoder=False)
    return {"bundled (default architecture)": bundled, "audioldm2 (tiny)": build_tiny_audioldm2(root / "a2")}


def measure(model_dir: Path, duration: float, takes: int, steps: int, repeats: int, out: Path) -> dict:
    source = resolve_model(str(model_dir))
    backend_cls = BACKENDS[source.backend]
    bare = backend_cls.import_pipeline_class().from_pretrained(str(model_dir), local_files_only=True)
    bare.set_progress_bar_config(disable=True)
    engine = get_engine(source, device="cpu", dtype="fp32", progress=False)
    guidance = engine.backend.info.default_guidance
    seeds = list(range(1, takes + 1))
    prompt = "footsteps on gravel, slow"
    request = foleykit.SoundRequest(
        prompt, duration=duration, takes=takes, seeds=tuple(seeds), steps=steps, model=str(model_dir)
    )
    call_kwargs = engine.backend.call_kwargs(engine.backend.native_seconds(duration))

    def run_bare() -> float:
        began = time.perf_counter()
        bare(
            prompt=[prompt] * takes,
            negative_prompt=None,  # as the engine passes it when there is no negative prompt
            num_inference_steps=steps,
            guidance_scale=guidance,
            generator=[torch.Generator().manual_seed(s) for s in seeds],
            output_type="np",
            **call_kwargs,
        )
        return time.perf_counter() - began

    def run_engine() -> float:
        began = time.perf_counter()
        foleykit.generate(
            request=request, out_dir=out, force=True, device="cpu", dtype="fp32", batch_size=takes
        )
        return time.perf_counter() - began

    run_bare(), run_engine()  # warm-up (first-call allocations, weights digest)
    bare_times, engine_times = [], []
    for _ in range(repeats):
        bare_times.append(run_bare())
        engine_times.append(run_engine())
    bare_s, engine_s = statistics.median(bare_times), statistics.median(engine_times)
    return {
        "duration_s": duration,
        "takes": takes,
        "steps": steps,
        "guidance": guidance,
        "bare_pipeline_s": round(bare_s, 4),
        "foleykit_generate_s": round(engine_s, 4),
        "overhead_pct": round(100 * (engine_s / bare_s - 1), 2),
        "bare_all_s": [round(t, 4) for t in bare_times],
        "engine_all_s": [round(t, 4) for t in engine_times],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--duration", type=float, default=4.0)
    parser.add_argument("--takes", type=int, default=4)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()

    results = {"torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(), "models": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, directory in build_models(Path(tmp)).items():
            results["models"][name] = measure(
                directory, args.duration, args.takes, args.steps, args.repeats, Path(tmp) / "out"
            )
    print(f"{'model':<32} {'bare s':>8} {'foleykit s':>11} {'overhead':>9}")
    for name, row in results["models"].items():
        print(
            f"{name:<32} {row['bare_pipeline_s']:>8.3f} {row['foleykit_generate_s']:>11.3f} "
            f"{row['overhead_pct']:>8.1f}%"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
