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
  ("round trip"), which bounds what any generated take can reach; and through the VAE (or patch code) as well
  ("latent_round_trip": mel → latents → mel → decoder), which bounds what the UNet can reach.
- the synthesiser's own clips, scored like generated takes ("synthesised"): the realism of what the
  model mostly learns from.
Generated takes (and synthesised clips) are judged as the recordings are: the corpus builder trims each
recording's silence at both ends (`foleykit.corpus.build.trim_silence`), so a real door slam is 0.6 s of
slam, while a 4 s take of one is the slam and seconds of room after it. Judged whole, the judge averages
those quiet blocks in, and a model that ends its sounds the way recordings do lands far from them (session
12, MODEL.md: the same takes, Fréchet 143.9 whole, 44.1 trimmed; a model that fills the 4 s with noise
gains nothing). The whole takes are still judged, as "generated_whole". Reports made before (no
`takes_trimmed`) are not paired with newer ones.
Every accuracy of a set of takes comes with a 95 % interval from resampling whole prompts (the takes of one
prompt share its wording and are not independent draws), and the per-take results are kept, so two models
judged on the same prompts and seeds are compared take for take (`compare_judged`): with a few dozen takes
the seeds alone move an accuracy by ten points, more than most changes between two models.
Classes with no real recordings in the corpus are not scored here: foleykit's own classifier
(`classifier.py`) still covers them, against synthesised references.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from foleykit.audio import DELIVERY_SAMPLE_RATE
from foleykit.errors import BadInputError

FRECHET_DIMS = 16
JUDGED_SECONDS = 4.0  # generated takes' length before trimming: the judge's blocks are 2.3 s
RESAMPLES = 1000  # bootstrap resamples per interval
CONFIDENCE = 0.95


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

    def scored(self, embeddings: np.ndarray, labels: Sequence[int] | np.ndarray) -> dict[str, Any]:
        """Nearest-centroid accuracy, overall (each sound counts once) and per class, and the per-class
        mean ("balanced": each class counts once, so a class with many test recordings cannot carry it);
        per sound, whether it was recognised and the class it was heard as (what a lost class became)."""
        labels = np.asarray(labels, dtype=int)
        predicted = nearest_centroid(embeddings, self.centroids)
        correct = predicted == labels
        per_class = {
            name: float(correct[labels == i].mean())
            for i, name in enumerate(self.classes)
            if (labels == i).any()
        }
        return {
            "accuracy": float(correct.mean()) if correct.size else None,
            "balanced_accuracy": float(np.mean(list(per_class.values()))) if per_class else None,
            "recognised": correct.astype(int).tolist(),
            "labels": np.asarray(labels).astype(int).tolist(),
            "heard_as": predicted.astype(int).tolist(),
            "per_class": per_class,
        }


def _unit_rows(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def nearest_centroid(embeddings: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    return np.argmax(_unit_rows(embeddings) @ centroids.T, axis=1)


def _unit_mean(rows: np.ndarray) -> np.ndarray:
    mean = rows.mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)


def judged_classes(clips: Sequence[Any]) -> tuple[str, ...]:
    """The labels the judge can score: those with recordings in both splits (the train split makes the
    centroids, the test split is what is judged), sorted."""
    train = {c.label for c in clips if c.split == "train" and c.label is not None}
    return tuple(sorted(train & {c.label for c in clips if c.split == "test" and c.label is not None}))


def asked_classes(corpus_dir: str | Path, asked: Sequence[str]) -> list[str]:
    """`asked` (each once, in order) when the corpus can judge every one of them; else a `BadInputError` naming
    those it cannot and those it can. Reads the manifest only, so that a misspelt class costs no embedding."""
    from foleykit.corpus import load_corpus

    judged = judged_classes([c for c in load_corpus(corpus_dir) if c.label is not None])
    names = list(dict.fromkeys(name.strip() for name in asked if name.strip()))
    unknown = [name for name in names if name not in judged]
    if not names or unknown:
        raise BadInputError(
            f"{', '.join(unknown) or 'no class named'}: {corpus_dir} judges {', '.join(judged) or 'no class'}"
        )
    return names


def real_reference(corpus_dir: str | Path, judge: Any, rate: int) -> RealReference:
    """Embed every labelled real clip once; classes need recordings in both splits to be scored."""
    from foleykit.corpus import load_corpus, read_clip

    clips = [c for c in load_corpus(corpus_dir) if c.label is not None]
    classes = judged_classes(clips)
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
    groups: np.ndarray | None = None,
) -> dict[str, Any]:
    """Recognition (with its interval and each sound's result) and Fréchet distance of a set of sounds meant
    to be `labels` (embedded unless given); `groups` numbers the prompt each sound came from (default: one
    sound each), what the interval resamples."""
    if embeddings is None:
        embeddings = judge.embed_many(list(waves), rate)
    groups = np.arange(len(labels)) if groups is None else np.asarray(groups)
    basis = np.concatenate([reference.train_embeddings, reference.test_embeddings])
    scores = reference.scored(embeddings, labels)

    # No interval for the Fréchet distance: resampling repeats takes, which shrinks a set's spread and
    # moves the distance up (measured: 29 round-tripped clips at 8.4 gave a 95 % bootstrap range of
    # 16.6-46.4, not containing it). Compare Fréchet distances only between sets of the same size.
    return {
        **scores,
        "accuracy_interval": group_interval(
            groups, partial(_mean_of, np.asarray(scores["recognised"], float))
        ),
        "frechet": frechet_reduced(embeddings, reference.test_embeddings, basis),
        "groups": groups.tolist(),
        "clips": len(waves),
        "chance": round(1 / len(reference.classes), 4),
    }


def group_interval(
    groups: np.ndarray, statistic: Callable[[np.ndarray], float], resamples: int = RESAMPLES
) -> list[float] | None:
    """A `CONFIDENCE` percentile-bootstrap interval of `statistic(rows)`, resampling whole groups (scipy's
    bootstrap draws the groups; `statistic` gets the rows of the groups drawn). None with under 3 groups."""
    from scipy.stats import bootstrap

    names = np.unique(groups)
    if len(names) < 3:
        return None
    members = [np.flatnonzero(groups == name) for name in names]

    def of_groups(drawn: np.ndarray) -> float:
        return float(statistic(np.concatenate([members[int(i)] for i in drawn])))

    result = bootstrap(
        (np.arange(len(names)),),
        of_groups,
        n_resamples=resamples,
        vectorized=False,
        method="percentile",
        confidence_level=CONFIDENCE,
        rng=np.random.default_rng(0),
    )
    return [float(result.confidence_interval.low), float(result.confidence_interval.high)]


def as_recorded(take: np.ndarray, rate: int) -> np.ndarray:
    """A take (samples or (channels, samples)) in mono with its silence trimmed as the corpus builder trims a
    recording's; a take with nothing above the silence threshold stays whole."""
    from foleykit.corpus.build import trim_silence

    mono = np.asarray(take, dtype=np.float32)
    mono = mono.mean(axis=0) if mono.ndim == 2 else mono
    trimmed = trim_silence(mono, rate)
    return trimmed if trimmed.size else mono


def read_judged(path: Path, takes_per_clip: int, first_seed: int = 0) -> dict[str, Any]:
    """The judge's section of an earlier `foleykit eval --corpus --json` report, checked before any work:
    it must hold per-take results made with the same number of takes per prompt, from the same seeds."""
    import json

    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise BadInputError(f"cannot read {path}: {err}") from None
    judged = report.get("judge") if isinstance(report, dict) else None
    if not isinstance(judged, dict) or "generated" not in judged:
        raise BadInputError(f"{path}: not an eval report with the judge's scores (eval --corpus)")
    if "recognised" not in judged["generated"]:
        raise BadInputError(f"{path}: made before eval kept per-take results; evaluate that model again")
    if not judged.get("takes_trimmed"):
        raise BadInputError(
            f"{path}: made before eval trimmed takes' silence like the recordings'; evaluate that model again"
        )
    if judged.get("takes_per_clip") != takes_per_clip:
        raise BadInputError(
            f"{path}: made with --takes-per-clip {judged.get('takes_per_clip')}, this run {takes_per_clip}"
        )
    if judged.get("first_seed", 0) != first_seed:
        raise BadInputError(
            f"{path}: its takes start at seed {judged.get('first_seed', 0)}, this run's at {first_seed}"
        )
    return judged


def _mean_of(values: np.ndarray, rows: np.ndarray) -> float:
    return float(values[rows].mean())


def _class_mean_of(values: np.ndarray, labels: np.ndarray, rows: np.ndarray) -> float:
    """The mean over the classes present in `rows` of each class's mean value."""
    drawn, classes = values[rows], labels[rows]
    return float(np.mean([drawn[classes == c].mean() for c in np.unique(classes)]))


def compare_judged(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """Take-for-take differences between two `judge_model` results on the same corpus, prompts and seeds:
    for each set both have, the accuracy difference (new − old) with a paired interval (whole prompts
    resampled, each prompt's takes in both), and both Fréchet distances. A set judged on other prompts or
    another corpus cannot be paired: BadInputError."""
    if (
        new["real"]["test_clips"] != old["real"]["test_clips"]
        or new["real"]["classes"] != old["real"]["classes"]
    ):
        raise BadInputError("the two evaluations were judged on different corpora: nothing to pair")
    compared: dict[str, Any] = {}
    for name in ("round_trip", "latent_round_trip", "generated", "generated_whole", "generated_prompts"):
        a, b = new.get(name), old.get(name)
        if not a or not b or "recognised" not in b:
            continue
        if a.get("texts") != b.get("texts") or a["groups"] != b["groups"]:
            raise BadInputError(f"{name}: the two evaluations used other prompts or takes: nothing to pair")
        difference = np.asarray(a["recognised"], float) - np.asarray(b["recognised"], float)
        groups = np.asarray(a["groups"])
        compared[name] = {
            "accuracy": [a["accuracy"], b["accuracy"]],
            "difference": float(difference.mean()),
            "interval": group_interval(groups, partial(_mean_of, difference)),
            "frechet": [a["frechet"], b["frechet"]],
            "clips": a["clips"],
        }
        if "labels" in a:  # the same prompts, so the same labels (an older report may not hold them)
            labels = np.asarray(a["labels"])
            compared[name]["balanced_difference"] = _class_mean_of(difference, labels, np.arange(len(labels)))
            compared[name]["balanced_interval"] = group_interval(
                groups, partial(_class_mean_of, difference, labels)
            )
            compared[name]["per_class"] = _per_class_pairs(a, b, labels, new["real"]["classes"])
    return compared


def _per_class_pairs(
    new: dict[str, Any], old: dict[str, Any], labels: np.ndarray, classes: list[str]
) -> dict[str, dict[str, float | int]]:
    """Each class's share recognised in both evaluations of the same takes, and how many takes it had:
    where a difference comes from (a class has a few prompts, so no interval is given)."""
    recognised_new, recognised_old = (
        np.asarray(new["recognised"], float),
        np.asarray(old["recognised"], float),
    )
    return {
        classes[label]: {
            "new": float(recognised_new[labels == label].mean()),
            "old": float(recognised_old[labels == label].mean()),
            "takes": int((labels == label).sum()),
        }
        for label in np.unique(labels)
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
    reference: RealReference,
    judge: Any,
    decode: Callable[[np.ndarray], np.ndarray],
    rate: int,
    progress: str | None = None,
) -> dict[str, Any]:
    """Real test clips through `decode` (waveform at `rate` → waveform at `rate`), judged; `similarity` is
    the mean cosine between each original's embedding and its round trip's. With a few dozen clips the
    accuracy moves in steps of one clip; the similarity shows smaller losses (1.0: the judge hears no change).
    `progress` names a bar over the clips; None shows none."""
    from foleykit.progress import progress_bar

    clips = progress_bar(reference.test_waves, desc=progress, unit="clip", disable=progress is None)
    waves = [decode(w) for w in clips]
    embeddings = judge.embed_many(waves, rate)
    scores = judge_set(reference, judge, waves, reference.test_labels, rate, embeddings)
    scores["texts"] = list(reference.test_captions)
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
    first_seed: int = 0,
    progress: bool = False,
) -> dict[str, Any]:
    """The judge's scores for a loaded model (`foleykit.engine.Engine`) against a real corpus.

    Generated takes are prompted with the captions of the real test recordings, `takes_per_clip` each,
    JUDGED_SECONDS long; and, as "generated_prompts", with `prompts` ((class, prompt) pairs such as the
    paraphrases, worded unlike any caption) of the classes the corpus can judge. The round trips need the
    model's own mel analysis, VAE and decoder (the bundled `FoleyPipeline`); other pipelines get the real,
    generated and synthesised scores only. Takes use seeds `first_seed`, `first_seed` + 1, … (the
    caption and the paraphrase sets each from `first_seed`): a confirmatory evaluation starts past the
    seeds an earlier one used, so that it judges takes no earlier evaluation heard. `progress` shows a bar
    for each set of takes and round trips (an evaluation with paraphrases makes over a thousand takes).
    """
    from foleykit.evaluation.judge import Judge

    judge = Judge.load()
    rate = engine.backend.info.sample_rate
    reference = real_reference(corpus_dir, judge, rate)
    scores: dict[str, Any] = {
        "judge": "aiSFX (Ma & Lerch 2022) embedding",
        "takes_per_clip": takes_per_clip,
        "first_seed": first_seed,
        "takes_trimmed": True,
        "real": judge_real(reference),
    }

    def shown(what: str) -> str | None:
        return what if progress else None

    pipe = engine.backend.pipe
    if hasattr(pipe, "log_mel") and hasattr(pipe, "decode_mel"):
        scores["round_trip"] = {
            "decoder": pipe.config.decoder,
            **round_trip(reference, judge, mel_round_trip(pipe), rate, shown("judge: decoder round trip")),
        }
        scores["latent_round_trip"] = round_trip(
            reference, judge, mel_round_trip(pipe, latent=True), rate, shown("judge: latent round trip")
        )

    def judge_prompts(
        texts: Sequence[str], labels: np.ndarray, what: str, whole: bool = False
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """`takes_per_clip` takes of each text, seeds `first_seed`, `first_seed` + 1, …, judged as meant to
        be `labels`, trimmed (and, with `whole`, untrimmed too; else None); the texts are kept with the
        scores, so that another model judged on them can be paired take for take."""
        repeated = [text for text in texts for _ in range(takes_per_clip)]
        takes = engine.render_prompts(
            repeated,
            list(range(first_seed, first_seed + len(repeated))),
            JUDGED_SECONDS,
            steps=steps,
            guidance=guidance,
            batch_size=batch_size,
            progress=shown(what),
        )
        groups = np.repeat(np.arange(len(texts)), takes_per_clip)
        meant = np.repeat(labels, takes_per_clip)
        rate = DELIVERY_SAMPLE_RATE
        trimmed = [as_recorded(take, rate) for take in takes]
        judged = {**judge_set(reference, judge, trimmed, meant, rate, groups=groups), "texts": list(texts)}
        if not whole:
            return judged, None
        return judged, {
            **judge_set(reference, judge, takes, meant, rate, groups=groups),
            "texts": list(texts),
        }

    scores["generated"], scores["generated_whole"] = judge_prompts(
        reference.test_captions, reference.test_labels, "judge: caption takes", whole=True
    )
    scores["synthesised"] = judge_synthesised(
        reference, judge, np.repeat(reference.test_labels, takes_per_clip)
    )
    judged = [(reference.classes.index(label), text) for label, text in prompts if label in reference.classes]
    if judged:
        scores["generated_prompts"], _ = judge_prompts(
            [text for _, text in judged], np.array([label for label, _ in judged]), "judge: prompt takes"
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
    """foleykit's synthesiser judged like the generated takes (one clip per label, trimmed): how real the sound the
    model mostly learns from is, class by class. A class the judge does not recognise here is one whose
    synthesis needs work, or more real recordings."""
    from foleykit.synth import synthesize

    waves = [
        as_recorded(
            synthesize(reference.classes[label], SYNTH_JUDGE_SEED + i, JUDGED_SECONDS, reference.rate).audio,
            reference.rate,
        )
        for i, label in enumerate(labels)
    ]
    return judge_set(reference, judge, waves, labels, reference.rate)


def _ratio(value: float | None, scale: float | None) -> float | None:
    return None if value is None or not scale else round(value / scale, 4)


def analysed_mel(pipe: Any, wave: np.ndarray) -> Any:
    """The pipeline's log-mel (1, frames, bands) of a waveform at its rate, padded to whole latent cells."""
    import torch

    unit = pipe.hop_length * pipe.frame_multiple
    with torch.no_grad():
        return pipe.log_mel(torch.from_numpy(np.pad(wave, (0, -len(wave) % unit)))[None].to(pipe.device))


def through_vae(pipe: Any, mel: Any) -> Any:
    """A log-mel (batch, frames, bands) through the pipeline's latent code (its VAE or `MelPatchCode`): the
    latents' mode, decoded (what a code draws, a patch code's texture, from a generator seeded alike for
    every clip, so a round trip is reproducible)."""
    import torch

    with torch.no_grad():
        image = mel[:, None].to(pipe.vae.dtype)
        latents = pipe.vae.encode(image).latent_dist.mode()
        generator = torch.Generator(latents.device).manual_seed(0)
        return pipe.vae.decode(latents, generator=generator).sample[:, 0].float()


def mel_round_trip(pipe: Any, latent: bool = False) -> Callable[[np.ndarray], np.ndarray]:
    """waveform → the pipeline's log-mel → (with `latent`: its VAE's latents and back →) its decoder →
    waveform, at the pipeline's rate. The latent round trip bounds what the UNet can reach: a generated
    take is decoded from latents, so what the VAE loses no denoiser can bring back."""
    import torch

    @torch.no_grad()
    def decode(wave: np.ndarray) -> np.ndarray:
        mel = analysed_mel(pipe, wave)
        if latent:
            mel = through_vae(pipe, mel)
        return pipe.decode_mel(mel)[0, : len(wave)].float().cpu().numpy()

    return decode
