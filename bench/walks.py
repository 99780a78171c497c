"""Do prompts that ask for footsteps get a walk, and does each step sound like its surface? (issue 14)

The corpus's step recordings are single steps, so the judge's step classes are single steps too: it hears a
4 s walk (eight steps and the gaps between them) less often as gravel than one step and silence (session 34:
"footsteps running on gravel", seven to eleven events a take, 1 of 6 takes recognised whole and 4 of 6 by its
loudest step alone). `foleykit eval` cannot see what a user asking for "footsteps" loses when the take is one
step. This makes `--takes` takes of each prompt of a file (label<TAB>prompt) with each model and reports, per
prompt and summed by what the prompt asks (`descriptors.gait`: a walk, one step, or neither):

- `events`: the events in each take (bench/anchor_quality.py `count_events`; a walk has 5-11 in 4 s);
- `whole`: takes the judge recognises as `foleykit eval --corpus` judges them (trimmed, nearest centroid);
- `step`: takes whose loudest step alone (from 0.1 s before the start of its loudest 10 ms frame to 0.5 s after
  it: a step recording's length) the judge recognises: what the take's steps sound like, walk or not;
- `heard_walks` (summed): takes that are walks and whose loudest step the judge recognises.

Seeds: takes of prompt i are seeds first-seed + i·takes on, the same for each model (paired). Use seeds no
evaluation draws (3,400,000 on).

Usage: python bench/walks.py --models bundled,DIR --prompts FILE.tsv --corpus DIR [--takes 4]
       [--first-seed 3400000] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

STEP_BEFORE_SECONDS = 0.1
STEP_AFTER_SECONDS = 0.5


def loudest_step(take: np.ndarray, rate: int) -> np.ndarray:
    """The take's loudest event alone, trimmed as a recording is: a step's length around its loudest 10 ms."""
    from foleykit.evaluation.judged import as_recorded

    mono, envelope, hop = _anchor_quality().rms_envelope(take, rate)
    peak = int(envelope.argmax()) * hop
    start = max(0, peak - round(STEP_BEFORE_SECONDS * rate))
    return as_recorded(mono[start : peak + round(STEP_AFTER_SECONDS * rate)].astype(np.float32), rate)


@functools.cache
def _anchor_quality() -> Any:
    """bench/anchor_quality.py, whose envelope and event count these takes are read with."""
    spec = importlib.util.spec_from_file_location(
        "anchor_quality", Path(__file__).with_name("anchor_quality.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def paired_takes(
    model: str, rows: list[tuple[str, str]], corpus_dir: Path, judge: Any, takes: int, first_seed: int
) -> tuple[Any, Any, list[np.ndarray]]:
    """The loaded engine, the judge's real reference, and `takes` takes of each row's prompt (judged
    length, delivered), prompt i's at seeds first_seed + i·takes on: the same seeds for every model."""
    from foleykit.engine import Engine
    from foleykit.evaluation.judged import JUDGED_SECONDS, real_reference

    engine = Engine.load(model, device="cpu", progress=False)
    reference = real_reference(corpus_dir, judge, engine.backend.info.sample_rate)
    prompts = [prompt for _, prompt in rows for _ in range(takes)]
    seeds = list(range(first_seed, first_seed + len(prompts)))
    return engine, reference, engine.render_prompts(prompts, seeds, JUDGED_SECONDS, progress=f"{model} takes")


def walk_takes(
    model: str, rows: list[tuple[str, str]], corpus_dir: Path, judge: Any, takes: int, first_seed: int
) -> dict[str, Any]:
    """Per prompt: its anchor, each take's events, and how many takes the judge recognises whole and by
    their loudest step."""
    import torch

    from foleykit.audio import DELIVERY_SAMPLE_RATE as RATE
    from foleykit.evaluation.judged import as_recorded
    from foleykit.pipelines.foley.descriptors import gait

    count_events = _anchor_quality().count_events
    began = time.perf_counter()
    engine, reference, audio = paired_takes(model, rows, corpus_dir, judge, takes, first_seed)
    pipe = getattr(engine.backend, "pipe", None)
    texts = [prompt for _, prompt in rows]
    anchors = pipe.prompt_anchors(texts, torch.device("cpu")) if hasattr(pipe, "prompt_anchors") else texts
    meant = [reference.classes.index(label) for label, _ in rows for _ in range(takes)]
    whole = reference.scored(judge.embed_many([as_recorded(a, RATE) for a in audio], RATE), meant)
    step = reference.scored(judge.embed_many([loudest_step(a, RATE) for a in audio], RATE), meant)
    out = []
    for i, (label, prompt) in enumerate(rows):
        part = slice(i * takes, (i + 1) * takes)
        out.append({
            "label": label,
            "prompt": prompt,
            "gait": gait(prompt),
            "anchor": anchors[i],
            "events": [count_events(a, RATE) for a in audio[part]],
            "whole": int(sum(whole["recognised"][part])),
            "step": int(sum(step["recognised"][part])),
            "step_takes": [int(r) for r in step["recognised"][part]],
            "heard_as": [reference.classes[h] for h in whole["heard_as"][part]],
        })  # fmt: skip
    return {"model": model, "seconds": round(time.perf_counter() - began, 1), "prompts": out}


def summary(run: dict[str, Any], takes: int) -> dict[str, dict[str, float]]:
    """By what the prompts ask: takes, walks (3 events or more), recognised whole and by their loudest step,
    and walks recognised by their loudest step (`heard_walks`: what a user asking for footsteps wants; left
    out of a group with a row stored without per-take step verdicts: session 34's files, session 35's gravel
    probe)."""
    walk_events = _anchor_quality().SEQUENCE_EVENTS  # a take of this many events or more is a walk
    groups: dict[str, dict[str, float]] = {}
    unheard: set[str] = set()  # groups with a row stored without its per-take step verdicts
    for row in run["prompts"]:
        counts = {"takes": 0, "walks": 0, "whole": 0, "step": 0, "heard_walks": 0}
        group = groups.setdefault(str(row["gait"]), counts)
        walks = [events >= walk_events for events in row["events"]]
        group["takes"] += takes
        group["walks"] += sum(walks)
        group["whole"] += row["whole"]
        group["step"] += row["step"]
        if "step_takes" in row:  # per-take step verdicts, stored by walks.py since session 35
            group["heard_walks"] += sum(w and bool(r) for w, r in zip(walks, row["step_takes"], strict=True))
        else:
            unheard.add(str(row["gait"]))
    for name in unheard:
        del groups[name]["heard_walks"]
    return groups


def bench_arguments(description: str, first_seed: int, argv: list[str] | None) -> argparse.Namespace:
    """The arguments walks.py and counts.py share: models, a prompt file, the corpus, takes, seeds, JSON out."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--models", required=True, help="comma-separated: bundled, a directory, …")
    parser.add_argument("--prompts", type=Path, required=True, help="label<TAB>prompt lines")
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--takes", type=int, default=4)
    parser.add_argument("--first-seed", type=int, default=first_seed)
    parser.add_argument("--json", type=Path)
    return parser.parse_args(argv)


def prompt_rows(prompts: Path, corpus_dir: Path | None) -> tuple[list[tuple[str, str]], Any]:
    """A prompt file's (label, prompt) rows and the judge; with `corpus_dir`, every label must have test
    recordings there to be judged by (BadInputError otherwise)."""
    from foleykit.corpus import load_corpus
    from foleykit.errors import BadInputError
    from foleykit.evaluation.evaluate import read_prompt_file
    from foleykit.evaluation.judge import Judge
    from foleykit.evaluation.judged import judged_classes
    from foleykit.synth import CLASSES

    rows = [(CLASSES[index], text) for index, text in read_prompt_file(prompts)]
    judge = Judge.load()
    if corpus_dir is not None:
        unjudged = sorted({label for label, _ in rows} - set(judged_classes(load_corpus(corpus_dir))))
        if unjudged:
            raise BadInputError(
                f"the corpus has no test recordings of {', '.join(unjudged)}: nothing to judge by"
            )
    return rows, judge


def write_report(args: argparse.Namespace, runs: list[dict[str, Any]]) -> None:
    """The runs, with the prompt file, takes and first seed they were made with, to `--json` where given."""
    report = {
        "prompts_file": str(args.prompts),
        "takes": args.takes,
        "first_seed": args.first_seed,
        "runs": runs,
    }
    if args.json:
        args.json.write_text(json.dumps(report), encoding="utf-8")


def model_runs(
    args: argparse.Namespace, rows: list[tuple[str, str]], judge: Any, make_takes: Any, summarise: Any
) -> Any:
    """Each model's run (`make_takes(model, rows, corpus, judge, takes, first seed)`) with its summary."""
    for model in args.models.split(","):
        run = make_takes(model, rows, args.corpus, judge, args.takes, args.first_seed)
        run["summary"] = summarise(run, args.takes)
        yield run


def main(argv: list[str] | None = None) -> int:
    from foleykit.errors import BadInputError

    args = bench_arguments(__doc__.split("\n")[0], 3_400_000, argv)
    try:
        rows, judge = prompt_rows(args.prompts, args.corpus)
    except BadInputError as err:
        print(f"walks.py: error: {err}", file=sys.stderr)
        return 2
    runs = list(model_runs(args, rows, judge, walk_takes, summary))
    for run in runs:
        model = run["model"]
        for row in run["prompts"]:
            print(
                f"{model[-12:]:>12} {row['gait']!s:5} events {row['events']} whole {row['whole']} "
                f"step {row['step']}/{args.takes}  {row['prompt']!r} -> {row['anchor']!r}"
            )
        for group, counts in run["summary"].items():
            print(f"{model[-12:]:>12} asks {group}: " + ", ".join(f"{k} {v:g}" for k, v in counts.items()))
    write_report(args, runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
