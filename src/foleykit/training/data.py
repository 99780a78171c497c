"""Training data: a corpus of synthesised clips, made in parallel and held in memory for a whole stage.

Synthesis is deterministic by seed, so a corpus is fully described by (rate, seconds, clips per class,
seed) and is never written to disk. Clips come from seeds `TRAIN_SEED_BASE` upwards; seeds below it are
held out for evaluation, so the model never trains on a clip `foleykit eval` scores it against. Each clip
gets several captions (the synthesiser's own, then more drawn from the same templates and descriptors), so
the text side sees more wordings than clips.
"""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from foleykit.synth import CLASSES, caption, synthesize

TRAIN_SEED_BASE = 1_000_000


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
    labels: torch.Tensor  # (clips,) class index
    captions: tuple[tuple[str, ...], ...]  # several captions of each clip

    def __len__(self) -> int:
        return len(self.labels)


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


__all__ = ["TRAIN_SEED_BASE", "Corpus", "CorpusSpec", "build_corpus"]
