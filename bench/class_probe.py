"""How the independent judge hears a few classes: a model's takes beside the class's own real recordings.

A class that lags in `foleykit eval` may lag because the model misses it, or because the judge cannot tell it
from its neighbours even in real recordings. This answers which, for the classes asked:

- the model's takes of the class's prompts (a prompts file, `label<TAB>text`), judged as `foleykit eval` judges
  them (trimmed, nearest train-split centroid);
- the class's train-split recordings judged the same way, each against centroids made without it (leave one
  out): the judge's own ceiling for the class, which the held-out test split (often one or two recordings)
  cannot show. (The takes are judged against all the train recordings, which a model trained with the
  corpus has learned from: the two are not quite like with like);
- the average spectrum of each group and a spectrogram of three of each (PNG, with axes).

    python bench/class_probe.py --corpus corpus/ --classes footsteps_concrete,footsteps_gravel \\
        --prompts bench/paraphrases_d.tsv --first-seed 5900000 --out bench/results/probe

Seeds: use dev seeds; the takes are not a test look.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

SHOWN_PER_GROUP = 3


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=-1, keepdims=True), 1e-12)


def leave_one_out_heard(
    embeddings: np.ndarray, labels: np.ndarray, which: np.ndarray, classes: int
) -> np.ndarray:
    """For each row in `which`, the nearest class centroid (cosine) when that row is left out of its own class:
    centroids as `foleykit.evaluation.judged` makes them, the unit vector of the mean of the raw embeddings."""
    sums = np.stack([embeddings[labels == c].sum(axis=0) for c in range(classes)])
    heard = []
    for row in which:
        own = sums.copy()
        own[labels[row]] -= embeddings[row]
        heard.append(int(np.argmax(_unit(own) @ _unit(embeddings[row]))))
    return np.asarray(heard)


def _padded(wave: np.ndarray, length: int) -> np.ndarray:
    """At least `length` samples (a trimmed take can be shorter than one analysis window)."""
    return np.pad(wave, (0, max(0, length - wave.size)))


def _group_summary(
    heard: Sequence[int], classes: Sequence[str], label: str, spectrum: np.ndarray, freqs: np.ndarray
) -> dict[str, Any]:
    counts = Counter(classes[h] for h in heard)
    return {
        "n": len(heard),
        "recognised": counts.get(label, 0),
        "heard_as": dict(counts.most_common()),
        "energy_above_4k": round(float(spectrum[freqs > 4000].sum()), 3),
        "spectral_centroid_hz": round(float((freqs * spectrum).sum())),
    }


def probe(args: argparse.Namespace) -> dict[str, Any]:
    from scipy.signal import welch

    from foleykit.audio import DELIVERY_SAMPLE_RATE as RATE
    from foleykit.corpus import load_corpus, read_clip
    from foleykit.engine import Engine
    from foleykit.errors import BadInputError
    from foleykit.evaluation.evaluate import read_prompt_file
    from foleykit.evaluation.judge import Judge
    from foleykit.evaluation.judged import (
        JUDGED_SECONDS,
        as_recorded,
        asked_classes,
        nearest_centroid,
        real_reference,
    )
    from foleykit.synth import CLASSES

    if args.takes_per_prompt < 1:
        raise BadInputError(f"--takes-per-prompt must be 1 or more, got {args.takes_per_prompt}")
    if args.out.exists() and not args.out.is_dir():
        raise BadInputError(f"--out {args.out} is a file: give a folder")
    asked = asked_classes(args.corpus, args.classes.split(","))
    rows = read_prompt_file(args.prompts)  # as `foleykit eval --prompts` reads it
    prompts = {label: [text for index, text in rows if CLASSES[index] == label] for label in asked}
    missing = [label for label in asked if not prompts[label]]
    if missing:
        raise BadInputError(f"{args.prompts} has no prompt for {', '.join(missing)}")
    engine = Engine.load(args.model, progress=False)
    judge = Judge.load()
    # the recordings at the model's own rate, the takes at the delivery rate: as `foleykit eval` judges them
    reference = real_reference(args.corpus, judge, engine.backend.info.sample_rate)
    classes = list(reference.classes)
    clips = [c for c in load_corpus(args.corpus) if c.label is not None]
    train = [c for c in clips if c.split == "train" and c.label in classes]  # real_reference's order
    train_labels = np.array([classes.index(c.label) for c in train])
    groups: dict[str, list[np.ndarray]] = {}
    report: dict[str, Any] = {
        "model": args.model,
        "corpus": str(args.corpus),
        "first_seed": args.first_seed,
        "takes_per_prompt": args.takes_per_prompt,
        "classes": {},
    }
    seed = args.first_seed
    for label in asked:
        texts = [t for t in prompts[label] for _ in range(args.takes_per_prompt)]
        seeds = list(range(seed, seed + len(texts)))
        seed += len(texts)
        takes = [
            as_recorded(t, RATE) for t in engine.render_prompts(texts, seeds, JUDGED_SECONDS, batch_size=8)
        ]
        heard_takes = nearest_centroid(judge.embed_many(takes, RATE), reference.centroids)
        own = np.flatnonzero(train_labels == classes.index(label))
        heard_real = leave_one_out_heard(reference.train_embeddings, train_labels, own, len(classes))
        recordings = [read_clip(train[i], RATE) for i in own]
        entry = {"prompts": len(prompts[label]), "seeds": [seeds[0], seeds[-1]]}
        for name, waves, heard in (("takes", takes, heard_takes), ("recordings", recordings, heard_real)):
            spectra = []
            for wave in waves:
                freqs, power = welch(_padded(wave, 2048), RATE, nperseg=2048)
                spectra.append(power / max(float(power.sum()), 1e-20))
            mean = np.mean(spectra, axis=0)
            entry[name] = _group_summary(heard, classes, label, mean, freqs)
            groups[f"{label}: {name}"] = waves
            entry[name]["_spectrum"] = (freqs, mean)
        report["classes"][label] = entry
    _plots(groups, report, Path(args.out), RATE)
    for entry in report["classes"].values():
        for name in ("takes", "recordings"):
            entry[name].pop("_spectrum")
    return report


def _plots(groups: dict[str, list[np.ndarray]], report: dict[str, Any], out: Path, rate: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.signal import spectrogram

    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label, entry in report["classes"].items():
        for name in ("takes", "recordings"):
            freqs, mean = entry[name]["_spectrum"]
            ax.semilogx(
                freqs[1:], 10 * np.log10(mean[1:] + 1e-12), label=f"{label}: {name} (n={entry[name]['n']})"
            )
    ax.set(xlabel="frequency (Hz)", ylabel="share of power (dB)", xlim=(30, rate / 2), ylim=(-75, -15))
    ax.set_title(f"average spectrum: {report['model']} takes and the train recordings")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "class_probe_spectra.png", dpi=110)
    plt.close(fig)
    fig, axes = plt.subplots(SHOWN_PER_GROUP, len(groups), figsize=(4 * len(groups), 9), squeeze=False)
    for col, (name, waves) in enumerate(groups.items()):
        step = max(1, len(waves) // SHOWN_PER_GROUP)
        for row in range(SHOWN_PER_GROUP):
            ax = axes[row, col]
            if row * step < len(waves):
                freqs, times, power = spectrogram(
                    _padded(waves[row * step], 1024), rate, nperseg=1024, noverlap=768
                )
                ax.pcolormesh(
                    times, freqs / 1000, 10 * np.log10(power + 1e-12), vmin=-120, vmax=-40, shading="auto"
                )
            ax.set_title(name if row == 0 else "", fontsize=9)
            ax.set_ylabel("kHz" if col == 0 else "")
            ax.set_xlabel("s" if row == SHOWN_PER_GROUP - 1 else "")
    fig.tight_layout()
    fig.savefig(out / "class_probe_spectrograms.png", dpi=60)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="bundled")
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--classes", required=True, help="comma-separated labels the corpus judges")
    parser.add_argument("--prompts", type=Path, default=Path(__file__).with_name("paraphrases_d.tsv"))
    parser.add_argument("--takes-per-prompt", type=int, default=3)
    parser.add_argument("--first-seed", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True, help="a folder: class_probe.json and two PNGs")
    args = parser.parse_args(argv)
    from foleykit.errors import BadInputError

    try:
        report = probe(args)
    except BadInputError as err:
        print(f"class_probe: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    (args.out / "class_probe.json").write_text(json.dumps(report, indent=1) + "\n")
    for label, entry in report["classes"].items():
        for name in ("takes", "recordings"):
            e = entry[name]
            print(
                f"{label} {name}: {e['recognised']} of {e['n']}; heard as {e['heard_as']}; "
                f"above 4 kHz {e['energy_above_4k']}; centroid {e['spectral_centroid_hz']} Hz"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
