"""Training data: an endless stream of synthesised clips, split between processes and loader workers.

Synthesis is cheap (tens of ms per 4 s clip), so nothing is stored: each (process, worker) draws its own
disjoint seeds from `TRAIN_SEED_BASE` upwards. Seeds below it are held out for evaluation, so the model
never trains on a clip `foleykit eval` scores it against.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from foleykit.synth import CLASSES, synthesize

TRAIN_SEED_BASE = 1_000_000


@dataclass(frozen=True)
class ClipStream:
    """Where a stream starts and how it interleaves with the others."""

    seed: int = 0
    rank: int = 0
    world_size: int = 1


class SynthClipDataset(IterableDataset):
    """Yields dicts {waveform (samples,), caption, label}, cycling through the classes evenly."""

    def __init__(self, sample_rate: int, seconds: float, stream: ClipStream = ClipStream()) -> None:
        super().__init__()
        self.sample_rate = sample_rate
        self.seconds = seconds
        self.stream = stream

    def __iter__(self) -> Iterator[dict]:
        worker = get_worker_info()
        workers, worker_id = (worker.num_workers, worker.id) if worker else (1, 0)
        lanes = self.stream.world_size * workers
        lane = self.stream.rank * workers + worker_id
        rng = np.random.default_rng([self.stream.seed, lane])
        index = 0
        while True:
            label = CLASSES[int(rng.integers(len(CLASSES)))]
            seed = TRAIN_SEED_BASE + self.stream.seed * 10_000_000 + index * lanes + lane
            clip = synthesize(label, seed, self.seconds, self.sample_rate)
            index += 1
            yield {"waveform": torch.from_numpy(clip.audio), "caption": clip.caption, "label": label}


def collate(batch: list[dict]) -> dict:
    return {
        "waveform": torch.stack([item["waveform"] for item in batch]),
        "caption": [item["caption"] for item in batch],
        "label": [item["label"] for item in batch],
    }
