"""Where the synthesiser sounds real: the independent judge's verdict on synthesised clips, by class and room.

Much of what the bundled UNet learns of a class with few recordings is the synthesiser's (training/data.py hands
part of a class's synthesised draws to its recordings, `real_class_share` of them from 10 recordings up, less
with fewer). Each synthesised clip is placed in a room (outdoors, a small room, a large hall: synth/__init__.py)
with a speed or size; `foleykit eval` judges a few synthesised clips per test recording and cannot say which of
these settings fails. This makes `--clips` clips of each class the corpus judges, from seeds no training run or
evaluation draws, judges them as the eval judges its synthesised clips (4 s, trimmed, nearest class centroid of
the corpus's recordings) and prints, per class and room, how many were recognised and what the rest were heard as
(session 41: wooden steps and door creaks are recognised in no room, drips only in a small room; session 42's
drop and hall raised drips 18 -> 44 of 60 on fresh seeds). It also counts the clips whose caption names no room:
a prompt without a room is taught by them (session 43: a room's reverb is always named, so they are dry but for
doors, always in a room, and distant outdoor-only sounds' echo).

Usage: python bench/synth_realism.py --corpus DIR --json OUT.json [--clips 60] [--classes a,b]
       [--first-seed 620000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# below TRAIN_SEED_BASE (1,000,000) and apart from the eval's synthesised clips (SYNTH_JUDGE_SEED 500,000 on)
FIRST_SEED = 620_000


def judge_synthesiser(
    corpus_dir: Path, clips: int, first_seed: int = FIRST_SEED, classes: Sequence[str] | None = None
) -> dict[str, Any]:
    """Per judged class (of `classes`, where given), per room: clips, recognised, heard as (counts). Clips are
    made at the synthesiser's rate (24 kHz, the bundled model's), as the model is taught them."""
    from foleykit.evaluation.judge import Judge
    from foleykit.evaluation.judged import (
        JUDGED_SECONDS,
        as_recorded,
        asked_classes,
        nearest_centroid,
        real_reference,
    )
    from foleykit.synth import DEFAULT_SAMPLE_RATE, room_named, synthesize

    asked = None if classes is None else asked_classes(corpus_dir, classes)
    began = time.perf_counter()
    judge = Judge.load()
    reference = real_reference(corpus_dir, judge, DEFAULT_SAMPLE_RATE)
    rows: dict[str, Any] = {}
    for label in asked or reference.classes:
        made = [synthesize(label, first_seed + i, JUDGED_SECONDS, DEFAULT_SAMPLE_RATE) for i in range(clips)]
        waves = [as_recorded(clip.audio, DEFAULT_SAMPLE_RATE) for clip in made]
        heard = nearest_centroid(judge.embed_many(waves, DEFAULT_SAMPLE_RATE), reference.centroids)
        rooms: dict[str, dict[str, Any]] = {}
        no_room = {"clips": 0, "recognised": 0}
        for clip, index in zip(made, heard, strict=True):
            recognised = int(reference.classes[index] == label)
            if room_named(clip.caption) is None:
                no_room["clips"] += 1
                no_room["recognised"] += recognised
            room = rooms.setdefault(clip.params["room"], {"clips": 0, "recognised": 0, "heard_as": Counter()})
            room["clips"] += 1
            room["recognised"] += recognised
            room["heard_as"][reference.classes[index]] += 1
        rows[label] = {
            "clips": clips,
            "recognised": sum(room["recognised"] for room in rooms.values()),
            "no_room_named": no_room,
            "rooms": {
                name: {**room, "heard_as": dict(room["heard_as"].most_common())}
                for name, room in sorted(rooms.items())
            },
        }
    return {
        "corpus": str(corpus_dir),
        "first_seed": first_seed,
        "clips_per_class": clips,
        "sample_rate": DEFAULT_SAMPLE_RATE,
        **({"asked": asked} if asked is not None else {}),
        "seconds": round(time.perf_counter() - began, 1),
        "classes": rows,
    }


def table(result: dict[str, Any]) -> str:
    """A markdown table: per class, recognised of clips in each room and overall, and every other class the judge
    heard them as, most often first."""
    rooms = sorted({room for row in result["classes"].values() for room in row["rooms"]})
    lines = [
        "| class | " + " | ".join(rooms) + " | all | no room named | heard as, by count |",
        "| --- | " + " | ".join("---:" for _ in rooms) + " | ---: | ---: | --- |",
    ]
    for label, row in result["classes"].items():
        cells = []
        heard: Counter[str] = Counter()
        for room in rooms:
            found = row["rooms"].get(room)
            cells.append(f"{found['recognised']}/{found['clips']}" if found else "—")
            heard.update(found["heard_as"] if found else {})
        others = ", ".join(f"{name} {n}" for name, n in heard.most_common() if name != label)
        no_room = row.get("no_room_named")
        no_room_cell = f"{no_room['recognised']}/{no_room['clips']}" if no_room else "—"
        lines.append(
            f"| {label} | "
            + " | ".join(cells)
            + f" | {row['recognised']}/{row['clips']} | {no_room_cell} | {others or '—'} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus", type=Path, required=True, help="a built corpus (its recordings' centroids)"
    )
    parser.add_argument("--json", type=Path, required=True, help="the per-class, per-room results")
    parser.add_argument("--clips", type=int, default=60, help="synthesised clips per class")
    parser.add_argument("--classes", default=None, help="only these classes (comma-separated)")
    parser.add_argument("--first-seed", type=int, default=FIRST_SEED)
    args = parser.parse_args(argv)
    if args.clips < 1:
        print("synth_realism: error: --clips must be at least 1", file=sys.stderr)
        return 2
    from foleykit.errors import BadInputError

    classes = None if args.classes is None else args.classes.split(",")
    try:
        result = judge_synthesiser(args.corpus, args.clips, args.first_seed, classes)
    except BadInputError as err:
        print(f"synth_realism: error: {err}", file=sys.stderr)
        return 2
    args.json.write_text(json.dumps(result) + "\n")
    print(table(result))
    print(f"({result['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
