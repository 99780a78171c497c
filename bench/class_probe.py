"""How the independent judge hears a few classes: a model's takes beside the class's own real recordings.

A class that lags in `foleykit eval` may lag because the model misses it, or because the judge cannot tell it
from its neighbours even in real recordings. This answers which, for the classes asked:

- the model's takes of the class's prompts (a prompts file, `label<TAB>text`), judged as `foleykit eval` judges
  them (trimmed, nearest train-split centroid);
- the class's train-split recordings judged the same way, each against centroids made without it (leave one
  out): the judge's own ceiling for the class, which the held-out test split (often one or two recordings)
  cannot show (a class with one train recording has none: `n` 0; `bench/per_class_gap.py --left-out`
  pools these with the test recordings). The takes are judged against all the train recordings, which a
  model trained with the corpus has learned from: the two are not quite like with like;
- each group's average spectrum in octave bands (in the JSON) and spectrograms of three recordings beside
  three takes a class (`foleykit eval`'s grid: time and frequency axes, one dBFS scale).

    python bench/class_probe.py --corpus corpus/ --classes footsteps_concrete,footsteps_gravel \\
        --prompts bench/paraphrases_d.tsv --first-seed 5900000 --out bench/results/probe

Seeds: use dev seeds; the takes are not a test look.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

SHOWN_PER_CLASS = 3
OCTAVE_CENTRES_HZ = (63, 125, 250, 500, 1000, 2000, 4000, 8000)


def leave_one_out_heard(
    embeddings: np.ndarray, labels: np.ndarray, which: np.ndarray, classes: int
) -> np.ndarray:
    """For each row in `which`, the nearest class centroid (cosine) when that row is left out of its own class:
    centroids as `foleykit.evaluation.judged` makes them, the unit vector of the mean of the raw embeddings.
    -1 for a row that is its class's only one: without it the class has no centroid to be heard as."""
    from foleykit.evaluation.judged import _unit_rows, nearest_centroid

    sums = np.stack([embeddings[labels == c].sum(axis=0) for c in range(classes)])
    counts = np.bincount(labels, minlength=classes)
    heard = []
    for row in which:
        if counts[labels[row]] < 2:
            heard.append(-1)
            continue
        own = sums.copy()
        own[labels[row]] -= embeddings[row]
        heard.append(int(nearest_centroid(embeddings[row][None], _unit_rows(own))[0]))
    return np.asarray(heard)


def _padded(wave: np.ndarray, length: int) -> np.ndarray:
    """At least `length` samples (a trimmed take can be shorter than one analysis window)."""
    return np.pad(wave, (0, max(0, length - wave.size)))


def _spectrum_summary(waves: Sequence[np.ndarray], rate: int) -> dict[str, Any]:
    """The group's average spectrum (each wave's power as a share of its own, Welch): octave bands in dB, the
    share under 400 Hz and above 4 kHz, the spectral centroid."""
    from scipy.signal import welch

    spectra = []
    for wave in waves:
        freqs, power = welch(_padded(wave, 2048), rate, nperseg=2048)
        spectra.append(power / max(float(power.sum()), 1e-20))
    mean = np.mean(spectra, axis=0)

    def octave(centre: float) -> float:
        share = float(mean[(freqs >= centre / 2**0.5) & (freqs < centre * 2**0.5)].sum())
        return round(10 * math.log10(max(share, 1e-12)), 1)

    bands = {str(centre): octave(centre) for centre in OCTAVE_CENTRES_HZ if centre * 2**0.5 <= rate / 2}
    return {
        "octave_bands_db": bands,
        "energy_below_400": round(float(mean[freqs < 400].sum()), 3),
        "energy_above_4k": round(float(mean[freqs > 4000].sum()), 3),
        "spectral_centroid_hz": round(float((freqs * mean).sum())),
    }


def probe(args: argparse.Namespace) -> dict[str, Any]:
    from foleykit.audio import DELIVERY_SAMPLE_RATE as RATE
    from foleykit.audio.post import resample
    from foleykit.corpus import load_corpus, read_clip
    from foleykit.engine import Engine
    from foleykit.errors import BadInputError
    from foleykit.evaluation.classifier import EVAL_RATE
    from foleykit.evaluation.evaluate import read_prompt_file, write_spectrogram_grid
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
    shown_recordings: list[np.ndarray] = []
    shown_takes: list[np.ndarray] = []
    titles: list[str] = []
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
        # pictures and spectra at the grid's rate (the corpus's and the bundled model's): nothing above it to lose
        recordings = [read_clip(train[i], EVAL_RATE) for i in own]
        pictured = [resample(take[None], RATE, EVAL_RATE)[0] for take in takes]
        entry = {"prompts": len(prompts[label]), "seeds": [seeds[0], seeds[-1]]}
        heard_real = heard_real[heard_real >= 0]  # a class's only recording has no centroid left without it
        for name, waves, heard in (("takes", pictured, heard_takes), ("recordings", recordings, heard_real)):
            counts = Counter(classes[h] for h in heard)
            entry[name] = {
                "n": len(heard),
                **({"train_recordings": len(own)} if name == "recordings" else {}),
                "recognised": counts.get(label, 0),
                "heard_as": dict(counts.most_common()),
                **_spectrum_summary(waves, EVAL_RATE),
            }
        report["classes"][label] = entry
        for k in range(min(SHOWN_PER_CLASS, len(recordings), len(pictured))):
            r, t = k * len(recordings) // SHOWN_PER_CLASS, k * len(pictured) // SHOWN_PER_CLASS
            shown_recordings.append(recordings[r])
            shown_takes.append(pictured[t])
            titles.append(
                f"{label}: train recording {r + 1} of {len(recordings)} | take {t + 1} ({texts[t]})"
            )
    write_spectrogram_grid(args.out / "class_probe_spectrograms.png", shown_recordings, shown_takes, titles)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="bundled")
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--classes", required=True, help="comma-separated labels the corpus judges")
    parser.add_argument("--prompts", type=Path, default=Path(__file__).with_name("paraphrases_d.tsv"))
    parser.add_argument("--takes-per-prompt", type=int, default=3)
    parser.add_argument("--first-seed", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True, help="a folder: class_probe.json and a PNG")
    args = parser.parse_args(argv)
    from foleykit.audio.io import write_atomic
    from foleykit.errors import BadInputError

    try:
        report = probe(args)
    except BadInputError as err:
        print(f"class_probe: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    text = json.dumps(report, indent=1) + "\n"
    write_atomic(args.out / "class_probe.json", lambda tmp: tmp.write_text(text), force=True)
    for label, entry in report["classes"].items():
        for name in ("takes", "recordings"):
            e = entry[name]
            print(
                f"{label} {name}: {e['recognised']} of {e['n']}; heard as {e['heard_as']}; "
                f"under 400 Hz {e['energy_below_400']}, above 4 kHz {e['energy_above_4k']}; "
                f"centroid {e['spectral_centroid_hz']} Hz; octaves {e['octave_bands_db']}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
