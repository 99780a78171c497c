"""Per class, where the judge's recognition is lost: real recordings → decoder → latent code → generated takes.

Reads one or more `foleykit eval --corpus` reports of ONE model on the same corpus (different
`--judge-first-seed`s: their takes are pooled, so two looks of 1,016 prompt takes give each class twice the
takes) and prints a markdown table, a row per class the corpus can judge:

- the real test recordings' own accuracy (the ceiling), the decoder's and the latent code's round trips;
- caption takes and prompt takes (worded as users word them) recognised, pooled over the reports, with
  caption takes' ratio to the real recordings' (issue 14's per-class target: ≥ ×0.80);
- the synthesiser's own clips;
- what the judge heard the missed prompt takes as (the two most frequent other classes).

With `--left-out PROBE_JSON ...` (`bench/class_probe.py` reports of the same corpus) a second table measures each
class's takes against more recordings: the test recordings (judged against the train centroids) pooled with the
class's train recordings, each judged against centroids made without it. A class's test split is often one
recording, which the judge recognises or not; pooled, the ceiling is the judge's own reach for the class.

Usage: python bench/per_class_gap.py EVAL_JSON [EVAL_JSON ...] [--left-out PROBE_JSON ...] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

TARGET_RATIO = 0.80  # caption takes against the real recordings, per class (issue 14)
STAGES = ("real", "round_trip", "latent_round_trip", "generated", "generated_prompts", "synthesised")


def _judge_section(path: Path) -> dict[str, Any]:
    report = json.loads(Path(path).read_text())
    judged = report.get("judge", report)
    if "real" not in judged or "generated" not in judged:
        raise ValueError(f"{path} is not a `foleykit eval --corpus` report")
    return judged


def per_class(reports: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per judged class: recognised/takes per stage, pooled over `reports` (judge sections)."""
    classes = reports[0]["real"]["classes"]
    for judged in reports[1:]:
        if judged["real"]["classes"] != classes or judged["real"]["labels"] != reports[0]["real"]["labels"]:
            raise ValueError("the reports were not made on the same corpus")
    rows = []
    for index, name in enumerate(classes):
        row: dict[str, Any] = {"class": name}
        for stage in STAGES:
            # the real recordings and the round trips do not depend on the seeds: counted once
            sources = reports[:1] if stage in ("real", "round_trip", "latent_round_trip") else reports
            hits = takes = 0
            heard: Counter[str] = Counter()
            for judged in sources:
                scores = judged.get(stage)
                if not scores:
                    continue
                for label, recognised, heard_as in zip(
                    scores["labels"], scores["recognised"], scores["heard_as"], strict=True
                ):
                    if label == index:
                        takes += 1
                        hits += bool(recognised)
                        if not recognised:
                            heard[classes[heard_as]] += 1
            row[stage] = {"recognised": hits, "takes": takes, "heard_as": dict(heard.most_common())}
        real, captions = row["real"], row["generated"]
        real_share = real["recognised"] / real["takes"] if real["takes"] else None
        caption_share = captions["recognised"] / captions["takes"] if captions["takes"] else None
        row["caption_ratio"] = (
            caption_share / real_share if real_share and caption_share is not None else None
        )
        row["target_met"] = None if row["caption_ratio"] is None else row["caption_ratio"] >= TARGET_RATIO
        rows.append(row)
    return rows


def _probe_section(path: Path) -> dict[str, Any]:
    """A `bench/class_probe.py` report, checked for what `with_left_out` reads."""
    report = json.loads(Path(path).read_text())
    classes = report.get("classes") if isinstance(report, dict) else None

    def counted(entry: Any) -> bool:
        found = entry.get("recordings") if isinstance(entry, dict) else None
        return isinstance(found, dict) and all(
            isinstance(found.get(key), int) and not isinstance(found.get(key), bool)
            for key in ("n", "recognised")
        )

    if not isinstance(classes, dict) or not all(counted(entry) for entry in classes.values()):
        raise ValueError(f"{path} is not a bench/class_probe.py report")
    return report


def _left_out_counts(entry: dict[str, Any]) -> dict[str, int]:
    """A probe's count of a class's train recordings each judged without itself. A class with one train recording
    has no centroid left without it: a probe from before session 47 (no `train_recordings`) judged that one against
    an empty centroid and counted it, which is no verdict; it counts as none here."""
    found = entry["recordings"]
    if "train_recordings" not in found and found["n"] == 1:
        return {"recognised": 0, "takes": 0}
    return {"recognised": found["recognised"], "takes": found["n"]}


def with_left_out(rows: Sequence[dict[str, Any]], probes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` (from `per_class`) with, where `probes` (class_probe reports) judged a class's train recordings each
    without itself: `left_out` (recognised/takes), `pooled_real` (those and the test recordings together) and the
    caption and prompt takes' ratios to the pooled rate (`caption_ratio_pooled`, `prompt_ratio_pooled`). The
    recordings' verdicts do not depend on a probe's seeds, so probes that count a class differently are an error."""
    left_out: dict[str, dict[str, int]] = {}
    for report in probes:
        for label, entry in report["classes"].items():
            counts = _left_out_counts(entry)
            if left_out.setdefault(label, counts) != counts:
                raise ValueError(
                    f"the probes count {label}'s recordings differently: {left_out[label]}, {counts}"
                )
    out = []
    for row in rows:
        row = dict(row)
        found = left_out.get(row["class"])
        if found is not None:
            pooled = {key: row["real"][key] + found[key] for key in ("recognised", "takes")}
            rate = pooled["recognised"] / pooled["takes"] if pooled["takes"] else None
            row["left_out"], row["pooled_real"] = found, pooled
            for stage, key in (
                ("generated", "caption_ratio_pooled"),
                ("generated_prompts", "prompt_ratio_pooled"),
            ):
                cell = row[stage]
                row[key] = cell["recognised"] / cell["takes"] / rate if rate and cell["takes"] else None
        out.append(row)
    return out


def _share(cell: dict[str, Any]) -> str:
    if not cell["takes"]:
        return "—"
    return f"{100 * cell['recognised'] / cell['takes']:.0f} % ({cell['takes']})"


def _ratio(value: float | None) -> str:
    if value is None:
        return "—"
    return f"×{value:.2f}" if value >= TARGET_RATIO else f"**×{value:.2f}**"


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    lines = [
        "| class | real (recordings) | decoder trip | latent trip | caption takes | × real | prompt takes "
        "| synthesiser | prompt takes missed, heard as |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in sorted(rows, key=lambda r: -r["real"]["takes"]):
        ratio = _ratio(row["caption_ratio"])
        heard = ", ".join(
            f"{name} {count}" for name, count in list(row["generated_prompts"]["heard_as"].items())[:2]
        )
        cells = [_share(row[stage]) for stage in STAGES]
        lines.append(
            f"| {row['class']} | {cells[0]} | {cells[1]} | {cells[2]} | {cells[3]} | {ratio} | {cells[4]} "
            f"| {cells[5]} | {heard} |"
        )
    return "\n".join(lines)


def pooled_markdown(rows: Sequence[dict[str, Any]]) -> str:
    """The classes `with_left_out` could pool, against the pooled recordings' rate."""
    lines = [
        "| class | test recordings | train recordings, each left out | pooled | caption takes | × pooled "
        "| prompt takes | × pooled |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in sorted((r for r in rows if "pooled_real" in r), key=lambda r: r["class"]):
        lines.append(
            f"| {row['class']} | {_share(row['real'])} | {_share(row['left_out'])} | {_share(row['pooled_real'])} "
            f"| {_share(row['generated'])} | {_ratio(row['caption_ratio_pooled'])} "
            f"| {_share(row['generated_prompts'])} | {_ratio(row['prompt_ratio_pooled'])} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", nargs="+", type=Path, help="eval.json files of one model, other seeds")
    parser.add_argument(
        "--left-out",
        nargs="+",
        type=Path,
        default=[],
        help="class_probe.json files: pool the train recordings",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    try:
        rows = per_class([_judge_section(path) for path in args.reports])
        if args.left_out:
            rows = with_left_out(rows, [_probe_section(path) for path in args.left_out])
    except (OSError, ValueError, KeyError, TypeError) as err:
        print(f"per_class_gap: error: {err}", file=sys.stderr)
        return 2
    print(markdown(rows))
    if args.left_out:
        print()
        print(pooled_markdown(rows))
    if args.json is not None:
        written = {"reports": [str(p) for p in args.reports], "rows": rows}
        if args.left_out:
            written["left_out"] = [str(p) for p in args.left_out]
        args.json.write_text(json.dumps(written) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
