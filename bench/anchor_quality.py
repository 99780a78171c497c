"""Each anchor's own takes judged: which of a model's anchor captions sound like their class's recordings.

Prompt anchoring (MODEL.md, sessions 21-24) shares a prompt's guidance with the nearest caption the model
learned. Some anchors give their class in every take and others of the same class never do (session 28:
"a diesel engine idling" gave rumbles heard as thunder to the six engine prompts anchored to it). This
makes `--takes` takes of every listed anchor of a class the corpus judges (the anchor as the prompt, so
it is its own anchor), judges them as `foleykit eval --corpus` does (trimmed, nearest class centroid), and
with `--prune-into DIR` writes a copy of the model whose list drops each anchor with at most
`--drop-at-most` (default 0) of its takes recognised (own anchors, and anchors of classes the corpus cannot
judge, are kept; a class the rule would leave with none keeps its best-recognised). `--pool EARLIER.json`
adds an earlier run's takes of the same anchors (other seeds) before deciding (session 29: 2 + 2 takes).
`--classes a,b` judges the anchors of those classes only (session 41: the lagging classes' anchors judged again
against the grown corpus). On every run an anchor not judged keeps its listed alias, and an anchor's takes are its
own even where the list aliases it: the model renders them with its aliases set aside.
With `--alias`, a dropped anchor stays listed with an alias instead: the kept anchor of its class nearest to
it (MiniLM) that states no speed or count it does not and asks for nothing more (descriptors.py), so that the prompts
nearest to it keep an anchor of their class (session 29: dropping them sent 12 of 240 of the two-sample
test's prompts to another class's caption); one with no such anchor is dropped. In a class heard as a
sequence of events (steps, drips), the alias must also sound as the dropped anchor does, a walk for a walk
and a single step for a single step, by the events counted in their own takes (`events`; session 30:
"footsteps walking on rock", 9-10 events a take, aliased to "a footstep on rock", one, made "footsteps on
gravel" one step, and the judge, whose test recordings are single steps, cannot hear what was lost).

Seeds: use ones no evaluation draws (3,000,000 on in session 28, 3,100,000 on in session 29), so that the
pruned list is decided on development takes, never on a judged prompt's.

Usage: python bench/anchor_quality.py MODEL --corpus DIR --json OUT.json [--takes 2] [--first-seed 3000000]
       [--pool EARLIER.json ...] [--drop-at-most 0] [--classes a,b] [--prune-into DIR [--alias]]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from foleykit.pipelines.foley.walks import WALK_EVENTS


def anchor_labels(corpus_dir: Path) -> dict[str, str]:
    """Each caption of a labelled recording or a class wording that belongs to exactly one class."""
    from foleykit.corpus import load_corpus
    from foleykit.training.data import class_wordings

    labels: dict[str, set[str]] = {}
    for clip in load_corpus(corpus_dir):
        for caption in clip.captions if clip.label is not None else ():
            labels.setdefault(caption, set()).add(clip.label)
    for label, texts in class_wordings().items():
        for text in texts:
            labels.setdefault(text, set()).add(label)
    return {caption: next(iter(found)) for caption, found in labels.items() if len(found) == 1}


SEQUENCE_CLASSES = frozenset({
    "footsteps_gravel", "footsteps_wood", "footsteps_concrete", "water_drip", "door_knock", "clock_tick",
    "keyboard_typing", "heartbeat",
})  # fmt: skip
# a take with this many events on average is a sequence (a walk), fewer a single one: the count below which the
# pipeline lays a walk out
SEQUENCE_EVENTS = WALK_EVENTS


def rms_envelope(audio: Any, sample_rate: int) -> tuple[Any, Any, int]:
    """(mono samples, their RMS in 10 ms frames, the frame's length in samples)."""
    import numpy as np

    from foleykit.pipelines.foley.counts import rms_frames

    mono = np.asarray(audio, dtype=np.float64)
    mono = mono.mean(axis=0) if mono.ndim > 1 else mono
    return mono, *rms_frames(mono, sample_rate)


def count_events(audio: Any, sample_rate: int) -> int:
    """How many separate events (steps, drips, hits) a take holds: peaks of its 10 ms RMS envelope that
    stand 12 dB above the dips beside them, within 30 dB of its loudest, at least 100 ms apart. Written by
    hand over scipy's `find_peaks` (no onset detector among the dependencies; librosa is not one); it only
    has to tell a walk (5-9 events in 4 s) from a single step (1-2), not to place onsets. Its thresholds are
    the ones the pipeline's composed walks count a take's events by (pipelines/foley/walks.py)."""
    return len(event_times(audio, sample_rate))


def event_times(audio: Any, sample_rate: int) -> list[float]:
    """When (seconds, the start of its 10 ms frame) each event `count_events` counts peaks: read as the
    pipeline reads a counted prompt's take (pipelines/foley/counts.py `event_peaks`)."""
    from foleykit.pipelines.foley.counts import FRAME_SECONDS, event_peaks

    mono = rms_envelope(audio, sample_rate)[0]
    return [float(peak) * FRAME_SECONDS for peak in event_peaks(mono, sample_rate)]


def judge_anchors(
    model: str, corpus_dir: Path, takes: int, first_seed: int, classes: Sequence[str] | None = None
) -> dict[str, Any]:
    """Per anchor (of `classes` only, where given: checked with `asked_classes` first): its class, how many of its
    `takes` takes were recognised, and what each was heard as. The takes are the anchor's own: an aliased
    anchor, rendered with its alias, would be heard as the alias it already has."""
    from foleykit.audio import DELIVERY_SAMPLE_RATE
    from foleykit.engine import Engine
    from foleykit.errors import BadInputError
    from foleykit.evaluation.judge import Judge
    from foleykit.evaluation.judged import JUDGED_SECONDS, as_recorded, asked_classes, real_reference

    judged = None if classes is None else set(asked_classes(corpus_dir, classes))
    began = time.perf_counter()
    engine = Engine.load(model, device="cpu", progress=False)
    judge = Judge.load()
    reference = real_reference(corpus_dir, judge, engine.backend.info.sample_rate)
    labels = anchor_labels(corpus_dir)
    judged = set(reference.classes) if judged is None else judged
    engine.backend.pipe.anchor_aliases = {}
    anchors = [c for c in engine.backend.pipe.known_captions if labels.get(c) in judged]
    bare = sorted(judged - {labels[anchor] for anchor in anchors})
    if classes is not None and bare:
        raise BadInputError(f"--classes: {', '.join(bare)}: no anchor of the list is of this class")
    prompts = [anchor for anchor in anchors for _ in range(takes)]
    seeds = list(range(first_seed, first_seed + len(prompts)))
    audio = engine.render_prompts(prompts, seeds, JUDGED_SECONDS, progress="anchor takes")
    embeddings = judge.embed_many([as_recorded(a, DELIVERY_SAMPLE_RATE) for a in audio], DELIVERY_SAMPLE_RATE)
    meant = [reference.classes.index(labels[p]) for p in prompts]
    scored = reference.scored(embeddings, meant)
    rows = {}
    for i, anchor in enumerate(anchors):
        part = slice(i * takes, (i + 1) * takes)
        rows[anchor] = {
            "label": labels[anchor],
            "recognised": int(sum(scored["recognised"][part])),
            "takes": takes,
            "heard_as": [reference.classes[h] for h in scored["heard_as"][part]],
            "events": [count_events(a, DELIVERY_SAMPLE_RATE) for a in audio[part]],
        }
    return {
        "model": model,
        "first_seed": first_seed,
        "takes": takes,
        **({"classes": sorted(judged)} if classes is not None else {}),
        "aliases_set_aside": True,  # runs before session 41 rendered an aliased anchor with its alias
        "listed": len(engine.backend.pipe.known_captions),
        "seconds": round(time.perf_counter() - began, 1),
        "anchors": rows,
    }


def pooled(quality: dict[str, Any], earlier: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """`quality` with each anchor's takes in the `earlier` runs added (runs on other seeds; anchors an
    earlier run lacks keep their own takes only)."""
    rows = {}
    for anchor, row in quality["anchors"].items():
        rows[anchor] = dict(row, heard_as=list(row.get("heard_as", [])))
        if "events" in row:
            rows[anchor]["events"] = list(row["events"])
        for run in earlier:
            before = run["anchors"].get(anchor)
            if before is not None:
                rows[anchor]["recognised"] += before["recognised"]
                rows[anchor]["takes"] += before["takes"]
                rows[anchor]["heard_as"] += before.get("heard_as", [])
                if "events" in rows[anchor] and "events" in before:
                    rows[anchor]["events"] += before["events"]
    return {**quality, "anchors": rows, "pooled_runs": 1 + len(earlier)}


def unrecognised(quality: dict[str, Any], at_most: int = 0) -> set[str]:
    """The anchors with at most `at_most` of their takes recognised; where that would be every judged anchor
    of a class, the class keeps those tied for its most recognised (a prompt of a class with no anchor
    would be paired with another class's caption)."""
    by_class: dict[str, dict[str, int]] = {}
    for anchor, row in quality["anchors"].items():
        by_class.setdefault(row["label"], {})[anchor] = row["recognised"]
    dropped = set()
    for scores in by_class.values():
        drop = {anchor for anchor, recognised in scores.items() if recognised <= at_most}
        if len(drop) == len(scores):
            best = max(scores.values())
            drop = {anchor for anchor, recognised in scores.items() if recognised < best}
        dropped |= drop
    return dropped


def aliases_for(
    dropped: set[str], quality: dict[str, Any], captions: list[str], embeddings: Any
) -> dict[str, str]:
    """Each dropped anchor → the kept anchor of its class most like it (rows of unit `embeddings`, one per
    caption) among those that state no speed or count it does not and ask for nothing it does not (a prompt
    it was nearest to may state anything it does not contradict), and in a sequence class (SEQUENCE_CLASSES)
    whose own takes are a sequence where its are and a single event where its are (`events`: a walk
    stands for a walk); none: no alias. A sequence class's anchors need their `events` counted."""
    from foleykit.pipelines.foley.descriptors import modifies, stated

    row = {caption: i for i, caption in enumerate(captions)}
    labels = {anchor: r["label"] for anchor, r in quality["anchors"].items()}

    def sequence(anchor: str) -> bool | None:
        events = quality["anchors"].get(anchor, {}).get("events")
        if labels.get(anchor) not in SEQUENCE_CLASSES:
            return None
        if not events:
            raise ValueError(f"{anchor!r}: its takes' events were not counted (run anchor_quality.py again)")
        return sum(events) / len(events) >= SEQUENCE_EVENTS

    aliases = {}
    for anchor in sorted(dropped & row.keys()):
        candidates = [
            kept
            for kept in captions
            if kept not in dropped
            and labels.get(kept) == labels[anchor]
            and stated(kept).items() <= stated(anchor).items()
            and (modifies(anchor) or not modifies(kept))
            and sequence(kept) == sequence(anchor)
        ]
        if candidates:
            similarity = embeddings[[row[c] for c in candidates]] @ embeddings[row[anchor]]
            aliases[anchor] = candidates[int(similarity.argmax())]
    return aliases


def prune_into(
    model_dir: Path, quality: dict[str, Any], target: Path, at_most: int = 0, alias: bool = False
) -> tuple[int, int]:
    """Copy `model_dir` to `target` with its anchor list less the `unrecognised` anchors, written as
    `python -m foleykit.training.anchors` writes a list (`write_anchors`: the model's anchor settings kept,
    the list's embeddings made again, its digest in the training record); with `alias`, a dropped anchor with
    a kept anchor of its class to stand for it stays listed, aliased to it. An anchor `quality` did not judge
    keeps its listed alias (on every run, `--classes` or not); where that alias is dropped, the dropped one's new
    alias, and with none the anchor is dropped too. Returns (anchors a prompt can be given before, after: an
    aliased anchor is not one)."""
    import torch

    from foleykit.pipelines.foley.pipeline_foley import KNOWN_CAPTIONS, anchor_list, sentence_embeddings
    from foleykit.training.anchors import model_text_encoder, write_anchors

    if target.exists():
        raise ValueError(f"{target} exists")
    known = json.loads((Path(model_dir) / KNOWN_CAPTIONS).read_text(encoding="utf-8"))
    index = json.loads((Path(model_dir) / "model_index.json").read_text())
    dropped = unrecognised(quality, at_most)
    aliases = {}
    if alias:
        captions = anchor_list(known["captions"], known.get("own_anchors", []))
        embeddings = sentence_embeddings(
            *model_text_encoder(Path(model_dir), index), captions, torch.device("cpu")
        ).float()
        aliases = aliases_for(dropped, quality, captions, embeddings)
    # an anchor this run did not judge keeps its listed alias; where the alias was dropped, the dropped
    # one's new alias stands for it, and with none it leaves the list too (its own takes were never heard)
    for anchor, listed_alias in (known.get("aliases") or {}).items():
        if anchor in quality["anchors"]:
            continue
        if listed_alias not in dropped:
            aliases[anchor] = listed_alias
        elif listed_alias in aliases:
            aliases[anchor] = aliases[listed_alias]
        else:
            dropped.add(anchor)
    kept = [caption for caption in known["captions"] if caption not in dropped or caption in aliases]
    shutil.copytree(model_dir, target)
    write_anchors(
        target,
        kept,
        index.get("anchor_weight", 0.0),
        force=True,
        own_anchors=known.get("own_anchors", []),
        command="bench/anchor_quality.py --prune-into" + (" --alias" if alias else ""),
        bare_anchor_weight=index.get("bare_anchor_weight"),
        plain_bare_anchors=bool(index.get("plain_bare_anchors")),
        aliases=aliases,
    )
    return len(known["captions"]) - len(known.get("aliases") or {}), len(kept) - len(aliases)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="a bundled-style model directory (or `bundled`)")
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--json", type=Path, required=True, help="the per-anchor results")
    parser.add_argument("--takes", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=3_000_000)
    parser.add_argument("--pool", type=Path, action="append", default=[], help="an earlier run's json")
    parser.add_argument(
        "--drop-at-most", type=int, default=0, help="drop anchors with this many recognised or fewer"
    )
    parser.add_argument("--prune-into", type=Path, default=None, help="write the pruned model here")
    parser.add_argument(
        "--alias", action="store_true", help="alias dropped anchors to kept ones of their class"
    )
    parser.add_argument("--classes", default=None, help="judge these classes' anchors only (comma-separated)")
    args = parser.parse_args(argv)
    from foleykit.errors import BadInputError
    from foleykit.models import resolve_model

    classes = None if args.classes is None else args.classes.split(",")

    if args.prune_into is not None and args.prune_into.exists():
        print(f"anchor_quality: error: {args.prune_into} exists", file=sys.stderr)
        return 2
    try:
        earlier = [json.loads(path.read_text()) for path in args.pool]
    except (OSError, ValueError) as err:
        print(f"anchor_quality: error: cannot read --pool: {err}", file=sys.stderr)
        return 2
    try:
        fresh = judge_anchors(args.model, args.corpus, args.takes, args.first_seed, classes)
    except BadInputError as err:
        print(f"anchor_quality: error: {err}", file=sys.stderr)
        return 2
    args.json.write_text(json.dumps(fresh) + "\n")
    quality = pooled(fresh, earlier)
    rows = quality["anchors"].values()
    print(
        f"{len(rows)} anchors of judged classes ({quality['listed']} listed): "
        f"{sum(r['recognised'] for r in rows)} of {sum(r['takes'] for r in rows)} takes recognised, "
        f"{len(unrecognised(quality, args.drop_at_most))} anchors {args.drop_at_most} or fewer, "
        f"pooled over {len(earlier) + 1} runs ({fresh['seconds']:.0f} s)"
    )
    if args.prune_into is not None:
        directory = resolve_model(args.model).directory
        before, after = prune_into(directory, quality, args.prune_into, args.drop_at_most, args.alias)
        print(f"{args.prune_into}: {before} → {after} anchors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
