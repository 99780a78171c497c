"""Dataset builder: synthesised clips + captions on disk, the corpus the bundled model trains on.

    python -m foleykit.synth OUT --per-class 200 [--duration 4] [--sample-rate 24000] [--first-seed 0]

Writes `OUT/<label>/<label>_s<seed>.wav` (24-bit) and `OUT/metadata.jsonl` (one line per clip: file,
label, caption, seed, params). Re-running skips clips already on disk; the metadata is rewritten whole,
atomically, so it always lists exactly the clips present.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from foleykit.audio.io import write_atomic, write_wav
from foleykit.progress import progress_bar
from foleykit.synth import CLASSES, DEFAULT_DURATION, DEFAULT_SAMPLE_RATE, synthesize


def build_dataset(
    out_dir: Path,
    per_class: int,
    *,
    duration: float = DEFAULT_DURATION,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    first_seed: int = 0,
    classes: Sequence[str] = CLASSES,
    progress: bool = True,
) -> Path:
    """Synthesise `per_class` clips of each class (seeds first_seed…); returns the metadata file."""
    out_dir = Path(out_dir)
    rows = []
    jobs = [(label, seed) for label in classes for seed in range(first_seed, first_seed + per_class)]
    for label, seed in progress_bar(jobs, desc="synthesising", unit="clip", disable=not progress):
        clip = synthesize(label, seed, duration, sample_rate)
        path = out_dir / label / f"{label}_s{seed}.wav"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_wav(
                path,
                clip.audio[None],
                sample_rate,
                info={"software": "foleykit.synth", "title": clip.caption},
            )
        rows.append(
            {
                "file": str(path.relative_to(out_dir)),
                "label": label,
                "caption": clip.caption,
                "seed": seed,
                "params": clip.params,
            }
        )
    metadata = out_dir / "metadata.jsonl"
    text = "".join(json.dumps(row) + "\n" for row in rows)
    write_atomic(metadata, lambda tmp: tmp.write_text(text), force=True)
    return metadata


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m foleykit.synth", description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--per-class", type=int, default=100)
    parser.add_argument("--duration", type=float, default=DEFAULT_DURATION)
    parser.add_argument("--sample-rate", type=int, default=DEFAULT_SAMPLE_RATE)
    parser.add_argument("--first-seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.per_class < 1 or args.duration <= 0 or args.sample_rate < 8000 or args.first_seed < 0:
        parser.error("per-class ≥ 1, duration > 0, sample rate ≥ 8000 and first seed ≥ 0 are required")
    print(
        build_dataset(
            args.out,
            args.per_class,
            duration=args.duration,
            sample_rate=args.sample_rate,
            first_seed=args.first_seed,
        )
    )
    return 0
