"""Scores from the independent judge (`judge.py`) against REAL recordings (`foleykit.corpus`) — issue 14.

Three questions, each answered for a set of sounds by where the judge puts them:
- recognised: the share whose nearest class centroid (cosine, judge embedding) is their own class.
  Centroids are the means of the corpus's *train* split recordings per class: the test split has only
  one or two recordings per class, too few for a centroid. Real test recordings scored this way are the
  ceiling (`real.accuracy`). A model fine-tuned with `--corpus` has heard the train split, and generated
  takes are prompted with captions the train split shares, so compare its scores with that in mind.
  With a few dozen test clips each score moves by several points per clip: `clips` and `chance` (one
  over the number of classes) are reported beside it.
- how far as a set: the Fréchet distance to the real *test* recordings in the judge's space, reduced to
  `FRECHET_DIMS` principal axes (fitted on all real clips) so that a few dozen clips give a well-posed
  covariance; real train vs real test is the scale ("frechet_real").
- the same for the decoder alone: real test clips → the model's log-mel → its decoder → waveform
  ("round trip"), which bounds what any generated take can reach; and through the VAE as well
  ("latent_round_trip": mel → latents → mel → decoder), which bounds what the UNet can reach.
- the synthesiser's own clips, scored like generated takes ("synthesised"): the realism of what the
  model mostly learns from.
Classes with no real recordings in the corpus are not scored here: foleykit's own classifier
(`classifier.py`) still covers them, against synthesised references.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from foleykit.audio import DELIVERY_SAMPLE_RATE
from foleykit.errors import BadInputError

FRECHET_DIMS = 16
JUDGED_SECONDS = 4.0  # generated takes' length: the judge's blocks are 2.3 s


@dataclass(frozen=True)
class RealReference:
    """The judge's view of a real corpus: train-split class centroids and the held-out test clips."""

    classes: tuple[str, ...]
    centroids: np.ndarray  # (classes, 512), unit length
    test_waves: tuple[np.ndarray, ...]  # at `rate`
    test_labels: np.ndarray  # index into `classes`
    test_captions: tuple[str, ...]
    test_embeddings: np.ndarray
    train_embeddings: np.ndarray
    rate: int

    def scored(self, embeddings: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
        """Nearest-centroid accuracy, overall and per class."""
        predicted = nearest_centroid(embeddings, self.centroids)
        correct = predicted == labels
        return {
            "accuracy": float(correct.mean()) if correct.size else None,
            "per_class": {
                name: float(correct[labels == i].mean())
                for i, name in enumerate(self.classes)
                if (labels == i).any()
            },
        }


def _unit_rows(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def nearest_centroid(embeddings: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    return np.argmax(_unit_rows(embeddings) @ centroids.T, axis=1)


def _unit_mean(rows: np.ndarray) -> np.ndarray:
    mean = rows.mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)


def real_reference(corpus_dir: str | Path, judge: Any, rate: int) -> RealReference:
    """Embed every labelled real clip once; classes need recordings in both splits to be scored."""
    from foleykit.corpus import load_corpus, read_clip

    clips = [c for c in load_corpus(corpus_dir) if c.label is not None]
    train_classes = {c.label for c in clips if c.split == "train"}
    test_classes = {c.label for c in clips if c.split == "test"}
    classes = tuple(sorted(train_classes & test_classes))
    if len(classes) < 2:
        raise BadInputError(f"corpus {corpus_dir} has fewer than 2 classes with train and test recordings")
    waves = {id(c): read_clip(c, rate) for c in clips if c.label in classes}
    train = [c for c in clips if c.split == "train" and c.label in classes]
    test = [c for c in clips if c.split == "test" and c.label in classes]
    train_embeddings = judge.embed_many([waves[id(c)] for c in train], rate)
    train_labels = np.array([classes.index(c.label) for c in train])
    centroids = np.stack([_unit_mean(train_embeddings[train_labels == i]) for i in range(len(classes))])
    return RealReference(
        classes=classes,
        centroids=centroids,
        test_waves=tuple(waves[id(c)] for c in test),
        test_labels=np.array([classes.index(c.label) for c in test]),
        test_captions=tuple(c.captions[0] for c in test),
        test_embeddings=judge.embed_many([waves[id(c)] for c in test], rate),
        train_embeddings=train_embeddings,
        rate=rate,
    )


def frechet_reduced(a: np.ndarray, b: np.ndarray, basis_rows: np.ndarray, dims: int = FRECHET_DIMS) -> float:
    """Fréchet distance between two embedding sets on the `dims` main axes of `basis_rows`."""
    from foleykit.evaluation.distances import frechet_distance

    centre = basis_rows.mean(axis=0)
    _, _, axes = np.linalg.svd(basis_rows - centre, full_matrices=False)
    project = axes[: min(dims, axes.shape[0])].T
    return frechet_distance((a - centre) @ project, (b - centre) @ project)


def judge_set(
    reference: RealReference,
    judge: Any,
    waves: Sequence[np.ndarray],
    labels: np.ndarray,
    rate: int,
    embeddings: np.ndarray | None = None,
) -> dict[str, Any]:
    """Recognition and Fréchet distance of a set of sounds meant to be `labels` (embedded unless given)."""
    if embeddings is None:
        embeddings = judge.embed_many(list(waves), rate)
    basis = np.concatenate([reference.train_embeddings, reference.test_embeddings])
    return {
        **reference.scored(embeddings, labels),
        "frechet": frechet_reduced(embeddings, reference.test_embeddings, basis),
        "clips": len(waves),
        "chance": round(1 / len(reference.classes), 4),
    }


def judge_real(reference: RealReference) -> dict[str, Any]:
    """The ceiling: real test recordings against train centroids, and train vs test as the Fréchet scale."""
    basis = np.concatenate([reference.train_embeddings, reference.test_embeddings])
    return {
        **reference.scored(reference.test_embeddings, reference.test_labels),
        "frechet_real": frechet_reduced(reference.train_embeddings, reference.test_embeddings, basis),
        "classes": list(reference.classes),
        "test_clips": len(reference.test_waves),
        "train_clips": len(reference.train_embeddings),
    }


def round_trip(
    reference: RealReference, judge: Any, decode: Callable[[np.ndarray], np.ndarray], rate: int
) -> dict[str, Any]:
    """Real test clips through `decode` (waveform at `rate` → waveform at `rate`), judged; `similarity` is
    the mean cosine between each original's embedding and its round trip's. With a few dozen clips the
    accuracy moves in steps of one clip; the similarity shows smaller losses (1.0: the judge hears no change)."""
    waves = [decode(w) for w in reference.test_waves]
    embeddings = judge.embed_many(waves, rate)
    scores = judge_set(reference, judge, waves, reference.test_labels, rate, embeddings)
    cosines = np.sum(_unit_rows(embeddings) * _unit_rows(reference.test_embeddings), axis=1)
    return {**scores, "similarity": float(np.mean(cosines))}


def judge_model(
    engine: Any,
    corpus_dir: str | Path,
    *,
    takes_per_clip: int = 2,
    steps: int | None = None,
    guidance: float | None = None,
    batch_size: int = 8,
    prompts: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """The judge's scores for a loaded model (`foleykit.engine.Engine`) against a real corpus.

    Generated takes are prompted with the captions of the real test recordings, `takes_per_clip` each,
    JUDGED_SECONDS long; and, as "generated_prompts", with `prompts` ((class, prompt) pairs such as the
    paraphrases, worded unlike any caption) of the classes the corpus can judge. The round trips need the
    model's own mel analysis, VAE and decoder (the bundled `FoleyPipeline`); other pipelines get the real,
    generated and synthesised scores only.
    """
    from foleykit.evaluation.judge import Judge

    judge = Judge.load()
    rate = engine.backend.info.sample_rate
    reference = real_reference(corpus_dir, judge, rate)
    scores: dict[str, Any] = {"judge": "aiSFX (Ma & Lerch 2022) embedding", "real": judge_real(reference)}
    pipe = engine.backend.pipe
    if hasattr(pipe, "log_mel") and hasattr(pipe, "decode_mel"):
        scores["round_trip"] = {
            "decoder": pipe.config.decoder,
            **round_trip(reference, judge, _mel_round_trip(pipe), rate),
        }
        scores["latent_round_trip"] = round_trip(reference, judge, _mel_round_trip(pipe, latent=True), rate)

    def judge_prompts(texts: Sequence[str], labels: np.ndarray) -> dict[str, Any]:
        """`takes_per_clip` takes of each text, seeds 0, 1, …, judged as meant to be `labels`."""
        repeated = [text for text in texts for _ in range(takes_per_clip)]
        takes = engine.render_prompts(
            repeated,
            list(range(len(repeated))),
            JUDGED_SECONDS,
            steps=steps,
            guidance=guidance,
            batch_size=batch_size,
        )
        return judge_set(reference, judge, takes, np.repeat(labels, takes_per_clip), DELIVERY_SAMPLE_RATE)

    scores["generated"] = judge_prompts(reference.test_captions, reference.test_labels)
    scores["synthesised"] = judge_synthesised(
        reference, judge, np.repeat(reference.test_labels, takes_per_clip)
    )
    judged = [(reference.classes.index(label), text) for label, text in prompts if label in reference.classes]
    if judged:
        scores["generated_prompts"] = judge_prompts(
            [text for _, text in judged], np.array([label for label, _ in judged])
        )
    real, generated = scores["real"], scores["generated"]
    scores["ratios"] = {
        "round_trip_accuracy": _ratio(scores.get("round_trip", {}).get("accuracy"), real["accuracy"]),
        "latent_round_trip_accuracy": _ratio(
            scores.get("latent_round_trip", {}).get("accuracy"), real["accuracy"]
        ),
        "generated_accuracy": _ratio(generated["accuracy"], real["accuracy"]),
        "generated_frechet": _ratio(generated["frechet"], real["frechet_real"]),
    }
    return scores


SYNTH_JUDGE_SEED = 500_000  # below TRAIN_SEED_BASE: clips no training run has used


def judge_synthesised(reference: RealReference, judge: Any, labels: np.ndarray) -> dict[str, Any]:
    """foleykit's synthesiser judged like the generated takes (one clip per label): how real the sound the
    model mostly learns from is, class by class. A class the judge does not recognise here is one whose
    synthesis needs work, or more real recordings."""
    from foleykit.synth import synthesize

    waves = [
        synthesize(reference.classes[label], SYNTH_JUDGE_SEED + i, JUDGED_SECONDS, reference.rate).audio
        for i, label in enumerate(labels)
    ]
    return judge_set(reference, judge, waves, labels, reference.rate)


def _ratio(value: float | None, scale: float | None) -> float | None:
    return None if value is None or not scale else round(value / scale, 4)


def _mel_round_trip(pipe: Any, latent: bool = False) -> Callable[[np.ndarray], np.ndarray]:
    """waveform → the pipeline's log-mel → (with `latent`: its VAE's latents and back →) its decoder →
    waveform, at the pipeline's rate. The latent round trip bounds what the UNet can reach: a generated
    take is decoded from latents, so what the VAE loses no denoiser can bring back."""
    import torch

    unit = pipe.hop_length * pipe.frame_multiple

    @torch.no_grad()
    def decode(wave: np.ndarray) -> np.ndarray:
        padded = np.pad(wave, (0, -len(wave) % unit))
        mel = pipe.log_mel(torch.from_numpy(padded)[None].to(pipe.device))
        if latent:
            image = mel[:, None].to(pipe.vae.dtype)
            mel = pipe.vae.decode(pipe.vae.encode(image).latent_dist.mode()).sample[:, 0].float()
        return pipe.decode_mel(mel)[0, : len(wave)].float().cpu().numpy()

    return decode
