"""Training data: synthesised clips, made in parallel, and real recordings, held in memory for a stage.

Synthesis is deterministic by seed, so a corpus is fully described by (rate, seconds, clips per class,
seed) and is never written to disk. Clips come from seeds `TRAIN_SEED_BASE` upwards; seeds below it are
held out for evaluation, so the model never trains on a clip `foleykit eval` scores it against. Each clip
gets several captions (the synthesiser's own, then more drawn from the same templates and descriptors), so
the text side sees more wordings than clips.

Real recordings (`foleykit.corpus`, train split only: the test split is what the judge scores against)
join them with `with_real_clips`: each is cut or padded with silence to the clip length, keeps its three
captions, and is drawn with a set share of every batch (`Corpus.weights`), since a few hundred
recordings beside thousands of synthesised clips would otherwise hardly be seen. With `class_share`, a
synthesised class also hands part of its own draws to the recordings of that class: spread over the whole
corpus, a class's seven bird recordings would be drawn a tenth as often as its hundred synthesised
chirps, and the model's birds sounded like the synthesiser's thin tones (MODEL.md, session 11).

The corpus's steps are single steps (a game plays one per footfall): 4 of its 42 train step recordings
are walks, and a model trained on them answers "footsteps on gravel" with one step and silence. `with_composed_walks` lays
a class's single-step recordings out at a walker's pace (slow, walking or running, by the speed its caption
states) as a game engine does, and captions each walk with the class's texts that ask for a walk
(`descriptors.gait`: its recordings' captions and its wordings), so "walking" and "footsteps" learn the
class's own steps in sequence.

Users do not type the captions' few wordings: `class_wordings` holds, per class, more ways to ask for it
(`wordings.tsv`, training only; written blind to `foleykit eval --paraphrases`' prompts, which stay the test
of wordings never seen), and a recipe's `wording_share` swaps them in for a share of a labelled clip's draws.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

from foleykit.synth import CLASSES, caption, synthesize

TRAIN_SEED_BASE = 1_000_000
# `with_real_clips(class_share=...)`: a class with this many real recordings hands over the whole share of
# its synthesised draws, one with fewer a part in proportion (a single recording drawn in place of a
# hundred synthesised clips would be learnt by heart)
RECORDINGS_FOR_FULL_CLASS_SHARE = 10
WORDINGS = Path(__file__).with_name("wordings.tsv")
STEP_CLASSES = ("footsteps_gravel", "footsteps_wood", "footsteps_concrete")
SINGLE_STEP_SECONDS = 1.0  # a step class's recording this short is one step (the walks are 1.5-3.3 s)
WALKS_PER_CLASS = 64


@dataclass(frozen=True)
class CorpusSpec:
    sample_rate: int
    seconds: float
    clips_per_class: int
    seed: int = 0
    captions_per_clip: int = 3

    def jobs(self) -> list[tuple[str, int, float, int, int]]:
        """(label, seed, seconds, rate, captions) per clip, classes interleaved."""
        first = TRAIN_SEED_BASE + self.seed * 10_000_000
        return [
            (label, first + index, self.seconds, self.sample_rate, self.captions_per_clip)
            for index in range(self.clips_per_class)
            for label in CLASSES
        ]


@dataclass(frozen=True)
class Corpus:
    waveforms: torch.Tensor  # (clips, samples) float32
    labels: torch.Tensor  # (clips,) class index; -1 for a real recording outside the 24 classes
    captions: tuple[tuple[str, ...], ...]  # several captions of each clip
    weights: torch.Tensor | None = None  # sampling weight of each clip (None: uniform)
    recordings: int = 0  # the last this many clips are real recordings (`with_real_clips`)

    def recorded_share(self) -> float:
        """The share of draws that are real recordings."""
        if not self.recordings:
            return 0.0
        if self.weights is None:
            return self.recordings / len(self)
        return float(self.weights[-self.recordings :].sum() / self.weights.sum())

    def __len__(self) -> int:
        return len(self.labels)

    def draw_weights(self) -> torch.Tensor:
        """Each clip's sampling weight: `weights`, or the uniform weights that None stands for."""
        return self.weights if self.weights is not None else torch.full((len(self),), 1.0 / len(self))

    def sample(self, batch: int, generator: torch.Generator) -> torch.Tensor:
        """`batch` clip indices, by `weights` (with replacement)."""
        device = generator.device
        if self.weights is None:
            return torch.randint(0, len(self), (batch,), device=device, generator=generator)
        return torch.multinomial(self.weights.to(device), batch, replacement=True, generator=generator)


def read_recording(clip: Any, rate: int, subsonic_cutoff_hz: float = 0.0) -> np.ndarray:
    """A corpus recording as training reads it: float32 mono at `rate`, without what lies below
    `subsonic_cutoff_hz` where that is above 0 (`foleykit.audio.post.remove_subsonic`: recorded effects carry
    DC and rumble that the mel's lowest band turns into boom). The corpus keeps the recordings as published,
    and `foleykit eval` judges them so."""
    from foleykit.audio.post import remove_subsonic
    from foleykit.corpus import read_clip

    audio = read_clip(clip, rate)
    return remove_subsonic(audio, rate, subsonic_cutoff_hz) if subsonic_cutoff_hz > 0 else audio


def with_real_clips(
    corpus: Corpus,
    corpus_dir: str,
    rate: int,
    share: float,
    class_share: float = 0.0,
    subsonic_cutoff_hz: float = 0.0,
) -> Corpus:
    """`corpus` plus the train split of a real-recordings corpus (`read_recording`), drawn with probability
    `share`; then, per synthesised class with recordings, up to `class_share` of the class's synthesised draws
    go to them."""
    from foleykit.corpus import load_corpus

    real = load_corpus(corpus_dir, split="train")
    if not real or share <= 0:
        return corpus
    samples = corpus.waveforms.shape[1]
    waves = []
    for clip in real:
        audio = read_recording(clip, rate, subsonic_cutoff_hz)[:samples]
        waves.append(np.pad(audio, (0, samples - len(audio))))
    labels = torch.tensor([CLASSES.index(c.label) if c.label in CLASSES else -1 for c in real])
    per_clip = len(corpus.captions[0]) if corpus.captions else 3  # every clip needs as many captions
    captions = tuple(tuple(c.captions[i % len(c.captions)] for i in range(per_clip)) for c in real)
    count = len(corpus)
    synthesised = torch.full((count,), (1 - share) / count, dtype=torch.float64)
    recorded = torch.full((len(real),), share / len(real), dtype=torch.float64)
    for index in range(len(CLASSES)) if class_share > 0 else ():
        own, recordings = corpus.labels == index, labels == index
        fraction = class_share * min(1.0, int(recordings.sum()) / RECORDINGS_FOR_FULL_CLASS_SHARE)
        if not fraction or not own.any():
            continue
        moved = fraction * synthesised[own].sum()
        synthesised[own] *= 1 - fraction
        recorded[recordings] += moved / int(recordings.sum())
    return Corpus(
        waveforms=torch.cat([corpus.waveforms, torch.from_numpy(np.stack(waves)).float()]),
        labels=torch.cat([corpus.labels, labels]),
        captions=corpus.captions + captions,
        weights=torch.cat([synthesised, recorded]).float(),
        recordings=len(real),
    )


def composed_walks(
    corpus_dir: str,
    rate: int,
    seconds: float,
    captions_per_clip: int,
    seed: int = 0,
    subsonic_cutoff_hz: float = 0.0,
) -> tuple[list[np.ndarray], list[tuple[str, ...]]]:
    """`WALKS_PER_CLASS` walks of `seconds` per step class, each made of that class's single-step train
    recordings (random order, 0 to -4 dB each) at the pace its caption states, with `captions_per_clip`
    captions that state the same speed (or none). A text that names a place ("in a stone cathedral") or a
    count is no walk's caption: the steps are dry and as many as the pace fits. Deterministic by `seed`.
    (Version 13's fine-tune composed its walks before texts naming a place were left out, commit 15325e3.)
    The steps are read as `read_recording` reads them."""
    from foleykit.corpus import load_corpus
    from foleykit.pipelines.foley.descriptors import gait, names_place, stated
    from foleykit.pipelines.foley.walks import STEP_GAIN_DB, STEP_INTERVALS, STEP_JITTER

    real = load_corpus(corpus_dir, split="train")
    wordings = class_wordings()
    samples = round(seconds * rate)
    waves, captions = [], []
    for number, label in enumerate(STEP_CLASSES):
        mine = [clip for clip in real if clip.label == label]
        steps = [
            read_recording(clip, rate, subsonic_cutoff_hz)
            for clip in mine
            if clip.seconds <= SINGLE_STEP_SECONDS
        ]
        texts = {text for clip in mine for text in clip.captions} | set(wordings.get(label, ()))
        by_speed: dict[str | None, list[str]] = {}
        for text in sorted(texts):
            said = stated(text)
            if gait(text) == "walk" and not names_place(text) and "count" not in said:
                by_speed.setdefault(said.get("speed"), []).append(text)  # type: ignore[arg-type]
        paces = sorted(by_speed, key=str)
        if not steps or not paces:
            continue
        for index in range(WALKS_PER_CLASS):
            rng = np.random.default_rng([seed, number, index])
            pace = paces[index % len(paces)]
            pool = by_speed[pace]
            captions.append(tuple(pool[i] for i in rng.integers(len(pool), size=captions_per_clip)))
            low, high = STEP_INTERVALS[pace]
            interval = rng.uniform(low, high)
            walk = np.zeros(samples, dtype=np.float32)
            at = rng.uniform(0.02, 0.25)
            while (start := round(at * rate)) < samples:
                step = steps[rng.integers(len(steps))][: samples - start]
                walk[start : start + len(step)] += step * np.float32(10 ** (rng.uniform(*STEP_GAIN_DB) / 20))
                at += interval * rng.uniform(1 - STEP_JITTER, 1 + STEP_JITTER)
            peak = float(np.abs(walk).max())
            waves.append(walk * np.float32(0.99 / peak) if peak > 0.99 else walk)
    return waves, captions


def with_composed_walks(
    corpus: Corpus, corpus_dir: str, rate: int, share: float, seed: int = 0, subsonic_cutoff_hz: float = 0.0
) -> Corpus:
    """`corpus` plus `composed_walks`, drawn with probability `share` (the other clips' draws scaled down by
    1 - share). The walks join with label -1, so that a wording swap (`wording_share`) never captions one
    with a single step's wording; they go before the real recordings, which stay the corpus's last."""
    if share <= 0:
        return corpus
    per_clip = len(corpus.captions[0]) if corpus.captions else 3
    waves, captions = composed_walks(
        corpus_dir, rate, corpus.waveforms.shape[1] / rate, per_clip, seed, subsonic_cutoff_hz
    )
    if not waves:
        return corpus
    head = len(corpus) - corpus.recordings
    weights = corpus.draw_weights()
    walk_weights = torch.full((len(waves),), share / len(waves), dtype=torch.float64)
    weights = weights.double() / weights.double().sum() * (1 - share)
    return Corpus(
        waveforms=torch.cat(
            [corpus.waveforms[:head], torch.from_numpy(np.stack(waves)), corpus.waveforms[head:]]
        ),
        labels=torch.cat([corpus.labels[:head], torch.full((len(waves),), -1), corpus.labels[head:]]),
        captions=corpus.captions[:head] + tuple(captions) + corpus.captions[head:],
        weights=torch.cat([weights[:head], walk_weights, weights[head:]]).float(),
        recordings=corpus.recordings,
    )


def emphasise_classes(corpus: Corpus, factors: dict[str, float]) -> Corpus:
    """`corpus` with each named class's clips, synthesised and recorded, weighted `factors[label]` times
    as much: drawn that many times as often relative to the other classes (all weights are then scaled to
    sum to one, so the others are drawn a little less often than before)."""
    weights = corpus.draw_weights().double().clone()
    for label, factor in factors.items():
        weights[corpus.labels == CLASSES.index(label)] *= factor
    return replace(corpus, weights=(weights / weights.sum()).float())


@lru_cache(maxsize=1)
def class_wordings() -> dict[str, tuple[str, ...]]:
    """Each class's training wordings (`wordings.tsv`: `label<TAB>wording` lines)."""
    from foleykit.evaluation.evaluate import read_prompt_file

    table: dict[str, list[str]] = {}
    for index, text in read_prompt_file(WORDINGS):
        table.setdefault(CLASSES[index], []).append(text)
    return {label: tuple(texts) for label, texts in table.items()}


def wording_texts() -> tuple[str, ...]:
    """Every class's wordings in one list, in the file's order (what a run encodes and packs)."""
    return tuple(text for texts in class_wordings().values() for text in texts)


def wordings_digest() -> str:
    """sha256 of the wordings as training reads them (a run records it: resuming must not change them)."""
    text = json.dumps(class_wordings(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _make_clip(job: tuple[str, int, float, int, int]) -> tuple[np.ndarray, int, tuple[str, ...]]:
    label, seed, seconds, rate, captions = job
    clip = synthesize(label, seed, seconds, rate)
    index = CLASSES.index(label)
    more = [caption(label, clip.params, np.random.default_rng([seed, index, k])) for k in range(1, captions)]
    return clip.audio, index, (clip.caption, *more)


@lru_cache(maxsize=2)
def build_corpus(spec: CorpusSpec, workers: int | None = None, progress: bool = True) -> Corpus:
    """Synthesise the corpus, on `workers` processes (default: every core); cached per process."""
    from foleykit.progress import progress_bar

    jobs = spec.jobs()
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) // 32))  # a pool costs seconds to start
    bar = dict(total=len(jobs), desc="synthesising corpus", disable=not progress)
    if workers == 1:
        made = [_make_clip(job) for job in progress_bar(jobs, **bar)]
    else:  # spawn: children must not inherit a CUDA context or torch's thread pools
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            made = list(progress_bar(pool.imap(_make_clip, jobs, chunksize=8), **bar))
    return Corpus(
        waveforms=torch.from_numpy(np.stack([audio for audio, _, _ in made])),
        labels=torch.tensor([label for _, label, _ in made]),
        captions=tuple(captions for _, _, captions in made),
    )


__all__ = [
    "RECORDINGS_FOR_FULL_CLASS_SHARE",
    "TRAIN_SEED_BASE",
    "Corpus",
    "CorpusSpec",
    "build_corpus",
    "class_wordings",
    "composed_walks",
    "read_recording",
    "with_composed_walks",
    "with_real_clips",
    "wording_texts",
]
