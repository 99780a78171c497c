"""Where does foleykit's own classifier tell the model's takes from the synthesiser's clips? (issue 14)

`foleykit eval` reports a two-sample accuracy: a linear classifier, on its own CNN's embedding, told to
separate generated takes from the synthesised clips of the same captions (0.5: it cannot). Version 4
scores 0.86 against a target of 0.75. A take passes several stages — the model's mel analysis, its latent
code, the UNet, the decoder — and each can leave a mark the classifier sees. This script measures the
same statistic for each stage on its own, against the same synthesised references as the eval:

- `synthesised, other seeds`: more synthesised clips (the floor: the test's own noise at this size);
- `decoder round trip`: each reference → the model's log-mel → its decoder (Griffin-Lim for `bundled`);
  and its two losses apart, for a Griffin-Lim model: `… true magnitude, Griffin-Lim phase` (the STFT
  magnitude itself, no mel, phase by Griffin-Lim) and `… mel → linear, true phase` (the magnitude the
  decoder infers from the mel, with the original's phase; for `griffin-lim-mel` too: the magnitude it
  starts from, and plain Griffin-Lim's phase);
- `latent round trip`: → log-mel → latent code (and refiner) → log-mel → decoder;
- `generated`: the model's takes of the references' captions (what the eval scores);
- with `--corpus`, trimmed as the corpus builder trims a recording: the same classes' real recordings
  against synthesised clips of their classes, and the generated takes against the same clips.

Usage: python bench/two_sample_stages.py [--model bundled] [--corpus DIR] [--json OUT.json]
       [--reference-seed N] [--take-seed N]   (a fresh look: other references and take seeds than the eval's)
       [--takes-only]   (only the stages the model's takes enter: comparing two models that share a decoder)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from foleykit.evaluation.distances import TWO_SAMPLE_SPLITS as SPLITS  # the eval's, since session 28


def stage_scores(
    references: np.ndarray, others: np.ndarray, embed: Callable[[np.ndarray], np.ndarray]
) -> dict[str, float]:
    """Two-sample accuracy (mean, spread and split 0 over `SPLITS` splits, as the eval reports it) and Fréchet
    distance of `others` against `references` (row i paired with row i)."""
    from foleykit.evaluation.distances import frechet_distance, two_sample_scores

    a, b = embed(references), embed(others)
    return {**two_sample_scores(a, b), "frechet": frechet_distance(b, a), "clips": len(others)}


def decoder_parts(pipe: object, wave: np.ndarray) -> dict[str, np.ndarray]:
    """A Griffin-Lim pipeline's two losses one at a time: its phase reconstruction from the true STFT
    magnitude, and its mel → linear magnitude inference with the true phase."""
    import torch

    from foleykit.pipelines.foley.griffin_lim import griffin_lim

    n_fft, hop = pipe.config.n_fft, pipe.hop_length
    window = torch.hann_window(n_fft)
    spec = torch.stft(
        torch.from_numpy(wave)[None], n_fft, hop, window=window, center=True, return_complex=True
    )
    frames = len(wave) // hop
    magnitude = spec.abs()[..., :frames]
    # the decoder's own magnitude: the pipeline's log-mel of the wave, inverted as decode_mel inverts it
    linear = pipe.linear_magnitude(pipe.log_mel(torch.from_numpy(wave)[None]))
    linear = torch.nn.functional.pad(linear, (0, spec.shape[-1] - frames))
    iterations = pipe.config.griffin_lim_iterations
    return {
        "… true magnitude, Griffin-Lim phase": griffin_lim(magnitude, n_fft, hop, iterations)[0],
        "… mel → linear, true phase": torch.istft(
            linear * torch.exp(1j * spec.angle()), n_fft, hop, window=window, center=True, length=len(wave)
        )[0],
    }


def trimmed(waves: Sequence[np.ndarray], rate: int) -> np.ndarray:
    """Each clip trimmed of silence as a recording is (judged.as_recorded), then back to the eval format."""
    from foleykit.evaluation.classifier import to_eval_audio
    from foleykit.evaluation.judged import as_recorded

    return np.stack([to_eval_audio(as_recorded(w, rate), rate) for w in waves])


def real_pairs(corpus: Path, per_class: int, rate: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Up to `per_class` labelled recordings of each class (both splits, in manifest order), and as many
    synthesised clips of that class (seeds no eval or training uses), trimmed alike; returns (synth, real,
    labels)."""
    from foleykit.corpus import load_corpus, read_clip
    from foleykit.evaluation.classifier import EVAL_SECONDS
    from foleykit.synth import CLASSES, synthesize

    synth, real, labels = [], [], []
    clips = [c for c in load_corpus(corpus) if c.label in CLASSES]
    for label in CLASSES:
        mine = [c for c in clips if c.label == label][:per_class]
        for i, clip in enumerate(mine):
            real.append(read_clip(clip, rate))
            synth.append(synthesize(label, 700_000 + i, EVAL_SECONDS, rate).audio)
            labels.append(label)
    return trimmed(synth, rate), trimmed(real, rate), labels


def round_trip_stages(
    pipe: object,
    references: np.ndarray,
    per_class: int,
    rate: int,
    embed: Callable[[np.ndarray], np.ndarray],
) -> dict[str, dict[str, float]]:
    """The stages before the UNet: more synthesised clips (the floor), the decoder's and the latent code's
    round trips of the references, and for a Griffin-Lim decoder its two losses apart."""
    from foleykit.evaluation.classifier import REAL_TEST_SEEDS, real_clips, to_eval_audio
    from foleykit.evaluation.judged import mel_round_trip

    stages = {}
    print("synthesised, other seeds …", flush=True)
    others = real_clips(REAL_TEST_SEEDS, per_class)[0]
    stages["synthesised, other seeds"] = stage_scores(references, others, embed)
    for name, latent in (("decoder round trip", False), ("latent round trip", True)):
        print(f"{name} …", flush=True)
        decode = mel_round_trip(pipe, latent=latent)
        trips = np.stack([to_eval_audio(decode(w), rate) for w in references])
        stages[name] = stage_scores(references, trips, embed)
        if not latent and pipe.config.decoder in ("griffin-lim", "griffin-lim-mel"):
            parts = [decoder_parts(pipe, w) for w in references]
            for part in parts[0]:
                waves = np.stack(
                    [
                        to_eval_audio(p[part].numpy()[: len(w)], rate)
                        for p, w in zip(parts, references, strict=True)
                    ]
                )
                stages[part] = stage_scores(references, waves, embed)
    return stages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="bundled")
    parser.add_argument("--per-class", type=int, default=10, help="references per class (the eval's 10)")
    parser.add_argument("--corpus", type=Path, help="real recordings (python -m foleykit.corpus build)")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--reference-seed", type=int, help="first synthesised reference seed (default: the eval's)"
    )
    parser.add_argument("--take-seed", type=int, default=0, help="first take seed (the eval's: 0)")
    parser.add_argument(
        "--takes-only",
        action="store_true",
        help="only `generated` (and `generated (trimmed)`): the other stages do not depend on the UNet or its "
        "anchors, so two models sharing a decoder score the same there",
    )
    args = parser.parse_args(argv)

    import torch

    from foleykit.audio import DELIVERY_SAMPLE_RATE
    from foleykit.engine import get_engine
    from foleykit.evaluation.classifier import (
        EVAL_RATE,
        EVAL_SECONDS,
        PROMPT_SEEDS,
        ClassifierRecipe,
        load_classifier,
        predict,
        real_clips,
        to_eval_audio,
    )
    from foleykit.models import resolve_model

    torch.manual_seed(0)
    started = time.perf_counter()
    classifier = load_classifier(ClassifierRecipe(), progress=True)

    def embed(waves: np.ndarray) -> np.ndarray:
        return predict(classifier, waves)[1]

    n = args.per_class
    reference_seed = PROMPT_SEEDS if args.reference_seed is None else args.reference_seed
    references, _, captions = real_clips(reference_seed, n)
    engine = get_engine(resolve_model(args.model), progress=False)
    pipe = engine.backend.pipe
    rate = engine.backend.info.sample_rate
    if rate != EVAL_RATE:
        print(f"the model's rate is {rate} Hz; this script needs a {EVAL_RATE} Hz model", file=sys.stderr)
        return 2
    stages: dict[str, dict[str, float]] = {}
    if not args.takes_only:
        stages.update(round_trip_stages(pipe, references, n, rate, embed))
    print("generated …", flush=True)
    seeds = list(range(args.take_seed, args.take_seed + len(captions)))
    takes = engine.render_prompts(captions, seeds, EVAL_SECONDS)
    generated = np.stack([to_eval_audio(t, DELIVERY_SAMPLE_RATE) for t in takes])
    stages["generated"] = stage_scores(references, generated, embed)
    if args.corpus is not None and not args.takes_only:
        print("real recordings …", flush=True)
        synth, real, labels = real_pairs(args.corpus, n, rate)
        stages["real recordings (trimmed)"] = stage_scores(synth, real, embed)
        stages["real recordings (trimmed)"]["classes"] = len(set(labels))
    if args.corpus is not None:
        stages["generated (trimmed)"] = stage_scores(
            trimmed(references, rate), trimmed(generated, rate), embed
        )

    width = max(map(len, stages))
    seconds = round(time.perf_counter() - started)
    print(f"\n{'stage':<{width}}  two-sample, mean ± sd of {SPLITS} splits  Fréchet  clips")
    for name, s in stages.items():
        accuracy = f"{s['two_sample_accuracy']:.3f} ± {s['two_sample_sd']:.3f}"
        print(f"{name:<{width}}  {accuracy:>32}  {s['frechet']:>7.1f}  {s['clips']:>5}")
    print(f"({seconds} s)")
    if args.json:
        record = {
            "model": args.model,
            "per_class": n,
            "splits": SPLITS,
            "reference_seed": reference_seed,
            "take_seed": args.take_seed,
            "seconds": seconds,
            "stages": stages,
        }
        args.json.write_text(json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
