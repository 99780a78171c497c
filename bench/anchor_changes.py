"""Which prompts two anchor lists pair differently, and how many of them now go to another class's caption.

Candidate D (session 29) dropped the anchors the judge never recognised; its test look failed on the own
classifier's two-sample test, and this shows one cause: a prompt whose nearest anchors were all dropped is
paired with the nearest caption left, which may be another class's ("slow footsteps on concrete" → "footsteps
walking on wood", "door slam, outdoors" → "door knocking"). The prompts are the synthesiser's captions the
two-sample test uses (`--reference-seed`), or a prompt file's (`--prompts`, label<TAB>prompt).

Usage: python bench/anchor_changes.py MODEL_A MODEL_B --corpus DIR [--reference-seed 1900000 | --prompts TSV]
       [--show 40]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path


def caption_classes(corpus_dir: Path) -> dict[str, str]:
    """Each recording's caption or class wording that belongs to one class (anchor_quality.py's reading)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "anchor_quality", Path(__file__).with_name("anchor_quality.py")
    )
    quality_tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(quality_tool)
    return quality_tool.anchor_labels(corpus_dir)


def crossings(
    labels: Sequence[str], anchors_a: Sequence[str], anchors_b: Sequence[str], classes: dict[str, str]
) -> tuple[list[int], Counter[str], list[int]]:
    """(the prompts whose anchor differs, "class → class" counts of those whose anchor was their own class's
    caption in A and is not in B, how many prompts each list anchors outside their class)."""
    changed = [i for i, (a, b) in enumerate(zip(anchors_a, anchors_b, strict=True)) if a != b]
    crossed: Counter[str] = Counter()
    for i in changed:
        before, after = classes.get(anchors_a[i]), classes.get(anchors_b[i])
        if before == labels[i] and after != labels[i]:
            crossed[f"{labels[i]} → {after}"] += 1
    away = [
        sum(classes.get(a) != label for a, label in zip(pairs, labels, strict=True))
        for pairs in (anchors_a, anchors_b)
    ]
    return changed, crossed, away


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_a")
    parser.add_argument("model_b")
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--reference-seed", type=int, default=1_900_000)
    parser.add_argument("--prompts", type=Path, default=None)
    parser.add_argument("--show", type=int, default=40)
    args = parser.parse_args(argv)
    import torch

    from foleykit.engine import get_engine
    from foleykit.models import resolve_model

    if args.prompts is not None:
        try:
            lines = args.prompts.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as err:
            print(f"anchor_changes: error: cannot read {args.prompts}: {err}", file=sys.stderr)
            return 2
        rows = [line.split("\t", 1) for line in lines if line.strip() and not line.startswith("#")]
        if any(len(row) != 2 for row in rows):
            print(f"anchor_changes: error: {args.prompts}: each line is label<TAB>prompt", file=sys.stderr)
            return 2
        labels, prompts = [r[0] for r in rows], [r[1].strip() for r in rows]
    else:
        from foleykit.evaluation.classifier import real_clips
        from foleykit.synth import CLASSES

        _, indices, prompts = real_clips(args.reference_seed, 10)
        labels = [CLASSES[int(i)] for i in indices]
    classes = caption_classes(args.corpus)
    anchors = []
    for model in (args.model_a, args.model_b):
        pipe = get_engine(resolve_model(model), progress=False).backend.pipe
        anchors.append(pipe.prompt_anchors(list(prompts), torch.device("cpu")))
    changed, crossed, away = crossings(labels, anchors[0], anchors[1], classes)
    print(
        f"{len(changed)} of {len(prompts)} prompts change anchor; {sum(crossed.values())} of them leave their"
        f" own class's caption for another's (anchored outside their class, or to a caption of no single"
        f" class: A {away[0]}, B {away[1]} of {len(prompts)})"
    )
    for name, count in crossed.most_common():
        print(f"  {name}: {count}")
    for i in changed[: args.show]:
        print(f"  [{labels[i]}] {prompts[i]!r}: {anchors[0][i]!r} → {anchors[1][i]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
