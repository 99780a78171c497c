"""Do prompts that count their sounds get that many? ("three knocks on a door", "a single beep"; issue 14)

A user who types "knock twice" and gets one knock, or "three footsteps" and gets a walk of eight, has to edit
the take by hand; `foleykit eval` judges what a take sounds like, not how many times. This makes `--takes`
takes of each prompt of a file (label<TAB>prompt) that counts its events (`descriptors.take_count`) with each
model and reports, per prompt and in all:

- `events`: the events in each take, counted on its waveform (bench/anchor_quality.py `event_times`), with
  the peaks of one step (`walks.STEP_SPAN_SECONDS`) as one event where the prompt asks for steps;
- `exact`: takes holding the count asked for; `off`: the mean of |events - count|;
- `whole`: for a class the corpus has test recordings of, takes the judge recognises as `foleykit eval
  --corpus` judges them (trimmed, nearest centroid): a take cut or lengthened to its count should still
  sound like what was asked;
- `likeness`: in a take of two events or more, the mean over its pairs of events of their waveforms' peak
  normalised cross-correlation (130 ms from 10 ms before each event's first peak; pairs closer than that
  left out): 1.0 is the same event again (version 15's pasted copies: most pairs above 0.9), knocks the model
  made apart 0.4-0.7 (session 39).

Seeds: takes of prompt i are seeds first-seed + i·takes on, the same for each model (paired). Use seeds no
evaluation draws (4,400,000 on).

Usage: python bench/counts.py --models bundled,DIR --prompts FILE.tsv --corpus DIR [--takes 4]
       [--first-seed 4400000] [--json OUT.json]
"""

from __future__ import annotations

import functools
import importlib.util
import sys
import time
from pathlib import Path
from typing import Any


@functools.cache
def _walks() -> Any:
    """bench/walks.py: its arguments, prompt rows and report are this bench's too, and its
    anchor_quality.py's event times count these takes."""
    spec = importlib.util.spec_from_file_location("walks_bench", Path(__file__).with_name("walks.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def event_starts(times: list[float], steps: bool) -> list[float]:
    """When (seconds) each event at peak `times` begins, a step's peaks within `STEP_SPAN_SECONDS` of its
    first as one where `steps`: as the pipeline counts a counted prompt's take."""
    from foleykit.pipelines.foley.counts import FRAME_SECONDS
    from foleykit.pipelines.foley.walks import STEP_SPAN_SECONDS, group_peaks

    frames = [round(at / FRAME_SECONDS) for at in times]  # whole frames, as the pipeline groups them
    groups = group_peaks(frames, FRAME_SECONDS, STEP_SPAN_SECONDS if steps else 0.0)
    return [first * FRAME_SECONDS for first, _ in groups]


LIKENESS_SECONDS = (0.01, 0.12)  # an event's waveform, compared from before its peak to after it


def event_likeness(audio: Any, rate: int, times: list[float]) -> float | None:
    """How alike a take's events (starting at `times`) are: the mean over pairs whose windows do not overlap
    of their peak normalised cross-correlation; None where no such pair is."""
    import numpy as np
    from scipy.signal import correlate

    mono = np.asarray(audio, dtype=np.float64)
    mono = mono if mono.ndim == 1 else mono.mean(axis=0)
    before, after = (round(seconds * rate) for seconds in LIKENESS_SECONDS)
    cuts = [mono[max(0, round(at * rate) - before) : round(at * rate) + after] for at in times]
    pairs = []
    for first in range(len(cuts)):
        for second in range(first + 1, len(cuts)):
            if times[second] - times[first] < sum(LIKENESS_SECONDS):
                continue  # one window holds part of the other event
            a, b = cuts[first], cuts[second]
            n = min(len(a), len(b))
            energy = float(np.sqrt((a[:n] ** 2).sum() * (b[:n] ** 2).sum()))
            if energy > 0:
                pairs.append(float(correlate(a[:n], b[:n], mode="full", method="fft").max()) / energy)
    return round(float(np.mean(pairs)), 3) if pairs else None


def count_takes(
    model: str, rows: list[tuple[str, str]], corpus_dir: Path, judge: Any, takes: int, first_seed: int
) -> dict[str, Any]:
    """Per prompt: the count it asks, each take's events, and (judged classes) takes recognised whole."""
    from foleykit.audio import DELIVERY_SAMPLE_RATE as RATE
    from foleykit.evaluation.judged import as_recorded
    from foleykit.pipelines.foley.descriptors import gait, take_count

    event_times = _walks()._anchor_quality().event_times
    began = time.perf_counter()
    _, reference, audio = _walks().paired_takes(model, rows, corpus_dir, judge, takes, first_seed)
    judged = [i for i, (label, _) in enumerate(rows) if label in reference.classes]
    takes_judged = [i * takes + k for i in judged for k in range(takes)]
    meant = [reference.classes.index(rows[i // takes][0]) for i in takes_judged]
    embedded = judge.embed_many([as_recorded(audio[i], RATE) for i in takes_judged], RATE)
    scored = reference.scored(embedded, meant) if takes_judged else {"recognised": [], "heard_as": []}
    verdicts = dict(
        zip(takes_judged, zip(scored["recognised"], scored["heard_as"], strict=True), strict=True)
    )
    out = []
    for i, (label, prompt) in enumerate(rows):
        count = take_count(prompt)
        part = range(i * takes, (i + 1) * takes)
        starts = [event_starts(event_times(audio[k], RATE), gait(prompt) is not None) for k in part]
        events = [len(at) for at in starts]
        likeness = [event_likeness(audio[k], RATE, at) for k, at in zip(part, starts, strict=True)]
        row: dict[str, Any] = {
            "label": label,
            "prompt": prompt,
            "count": count,
            "events": events,
            "likeness": likeness,
        }
        if i in judged:
            row["whole"] = int(sum(verdicts[k][0] for k in part))
            row["heard_as"] = [reference.classes[verdicts[k][1]] for k in part]
        out.append(row)
    return {"model": model, "seconds": round(time.perf_counter() - began, 1), "prompts": out}


def summary(run: dict[str, Any], takes: int) -> dict[str, float | None]:
    """Over the counted prompts: takes, takes holding their count, the mean |events - count|, the judged
    classes' takes and how many of them the judge recognises whole, and the mean likeness of the events in
    takes of two or more."""
    counted = [row for row in run["prompts"] if row["count"] is not None]
    misses = [abs(events - row["count"]) for row in counted for events in row["events"]]
    judged = [row for row in counted if "whole" in row]
    alike = [value for row in counted for value in row.get("likeness", []) if value is not None]
    return {
        "takes": len(misses),
        "exact": sum(miss == 0 for miss in misses),
        "off": round(sum(misses) / max(1, len(misses)), 3),
        "judged_takes": takes * len(judged),
        "whole": sum(row["whole"] for row in judged),
        "likeness": round(sum(alike) / len(alike), 3) if alike else None,
    }


def main(argv: list[str] | None = None) -> int:
    from foleykit.errors import BadInputError

    walks = _walks()
    args = walks.bench_arguments(__doc__.split("\n")[0], 4_400_000, argv)
    try:
        rows, judge = walks.prompt_rows(args.prompts, None)  # a knock is counted, not judged
    except BadInputError as err:
        print(f"counts.py: error: {err}", file=sys.stderr)
        return 2
    runs = list(walks.model_runs(args, rows, judge, count_takes, summary))
    for run in runs:
        model = run["model"]
        for row in run["prompts"]:
            judged = f" whole {row['whole']}/{args.takes}" if "whole" in row else ""
            print(f"{model[-12:]:>12} count {row['count']} events {row['events']}{judged}  {row['prompt']!r}")
        print(f"{model[-12:]:>12} " + ", ".join(f"{k} {v:g}" for k, v in run["summary"].items()))
    walks.write_report(args, runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
