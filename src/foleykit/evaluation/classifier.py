"""A small CNN foley classifier, trained only on held-out synthesised clips (never on generated audio).

It is the measuring instrument of `foleykit eval`: its predictions score whether generated takes are
recognisable, and its penultimate layer is the embedding for the Fréchet distance and the two-sample test.
Trained weights are cached (keyed by the recipe) so that `eval` trains it once per machine.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from foleykit.audio.io import write_atomic
from foleykit.audio.post import resample
from foleykit.synth import CLASSES, synthesize
from foleykit.synth.dsp import normalise_peak

EVAL_RATE = 24000
EVAL_SECONDS = 4.0
N_FFT, HOP, N_MELS = 1024, 256, 64
CLASSIFIER_SEEDS = 0  # classifier training clips: seeds 0…; its test clips and eval prompts lie above
REAL_TEST_SEEDS = 500_000
PROMPT_SEEDS = 900_000  # all below foleykit.training's TRAIN_SEED_BASE: never seen by the generator


@dataclass(frozen=True)
class ClassifierRecipe:
    clips_per_class: int = 60  # 8 epochs of 60 per class: 240/240 held-out clips right, 4 min on 2 cores
    epochs: int = 8
    batch_size: int = 32
    learning_rate: float = 2e-3
    seed: int = 0

    def key(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]


class LogMel(nn.Module):
    """Fixed analysis: (batch, samples) at 24 kHz → (batch, 1, mels, frames) log-mel."""

    def __init__(self) -> None:
        super().__init__()
        from transformers.audio_utils import mel_filter_bank

        basis = mel_filter_bank(
            num_frequency_bins=N_FFT // 2 + 1,
            num_mel_filters=N_MELS,
            min_frequency=20.0,
            max_frequency=EVAL_RATE / 2,
            sampling_rate=EVAL_RATE,
            norm="slaney",
            mel_scale="slaney",
        )
        self.register_buffer("basis", torch.from_numpy(basis.astype(np.float32)), persistent=False)
        self.register_buffer("window", torch.hann_window(N_FFT), persistent=False)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        spec = torch.stft(wave, N_FFT, HOP, window=self.window, return_complex=True).abs() ** 2
        mel = torch.einsum("bft,fm->bmt", spec, self.basis)
        return torch.log(mel + 1e-6)[:, None]


class FoleyClassifier(nn.Module):
    """Four conv blocks, pooled over time and frequency, a 128-d embedding and a linear head."""

    def __init__(self, classes: int = len(CLASSES), width: int = 24) -> None:
        super().__init__()
        self.features = LogMel()
        self.norm = nn.BatchNorm2d(1)
        layers: list[nn.Module] = []
        channels = 1
        for out in (width, width * 2, width * 4, width * 8):
            layers += [
                nn.Conv2d(channels, out, 3, padding=1),
                nn.BatchNorm2d(out),
                nn.ReLU(),
                nn.MaxPool2d(2),
            ]
            channels = out
        self.body = nn.Sequential(*layers)
        self.embed = nn.Linear(channels * 2, 128)
        self.head = nn.Linear(128, classes)

    def embedding(self, wave: torch.Tensor) -> torch.Tensor:
        x = self.body(self.norm(self.features(wave)))
        pooled = torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=1)
        return torch.relu(self.embed(pooled))

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        return self.head(self.embedding(wave))


def to_eval_audio(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Any clip → mono, 24 kHz, exactly 4 s, peak-normalised: what the classifier hears."""
    audio = np.asarray(audio, dtype=np.float32)
    mono = audio.mean(axis=0) if audio.ndim == 2 else audio
    mono = resample(mono[None], sample_rate, EVAL_RATE)[0]
    samples = int(EVAL_SECONDS * EVAL_RATE)
    mono = np.pad(mono, (0, max(0, samples - len(mono))))[:samples]
    return normalise_peak(mono.astype(np.float64), 0.89).astype(np.float32)


def real_clips(
    first_seed: int, per_class: int, classes: tuple[str, ...] = CLASSES
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Synthesised clips (the 'real' sounds) with labels and captions, at the evaluation format."""
    waves, labels, captions = [], [], []
    for index, label in enumerate(classes):
        for seed in range(first_seed, first_seed + per_class):
            clip = synthesize(label, seed, EVAL_SECONDS, EVAL_RATE)
            waves.append(to_eval_audio(clip.audio, EVAL_RATE))
            labels.append(index)
            captions.append(clip.caption)
    return np.stack(waves), np.array(labels), captions


def _cache_dir() -> Path:
    base = os.environ.get("FOLEYKIT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", "~/.cache"), "foleykit"
    )
    return Path(base).expanduser() / "eval"


@torch.no_grad()
def predict(model: FoleyClassifier, waves: np.ndarray, batch: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """(class probabilities, embeddings) for a stack of evaluation clips."""
    model.eval()
    probs, embeds = [], []
    for start in range(0, len(waves), batch):
        x = torch.from_numpy(waves[start : start + batch])
        e = model.embedding(x)
        probs.append(torch.softmax(model.head(e), dim=1).numpy())
        embeds.append(e.numpy())
    return np.concatenate(probs), np.concatenate(embeds)


def train_classifier(recipe: ClassifierRecipe, progress: bool = True) -> FoleyClassifier:
    from foleykit.progress import progress_bar

    torch.manual_seed(recipe.seed)
    waves, labels, _ = real_clips(CLASSIFIER_SEEDS, recipe.clips_per_class)
    model = FoleyClassifier()
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.learning_rate, weight_decay=1e-3)
    steps = recipe.epochs * int(np.ceil(len(waves) / recipe.batch_size))
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, recipe.learning_rate, total_steps=steps)
    generator = np.random.default_rng(recipe.seed)
    bar = progress_bar(total=steps, desc="eval classifier", disable=not progress)
    for _ in range(recipe.epochs):
        model.train()
        for batch in np.array_split(
            generator.permutation(len(waves)), int(np.ceil(len(waves) / recipe.batch_size))
        ):
            x = torch.from_numpy(waves[batch]) * torch.empty(len(batch), 1).uniform_(0.3, 1.0)  # level varies
            loss = nn.functional.cross_entropy(model(x), torch.from_numpy(labels[batch]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            bar.update()
    bar.close()
    return model.eval()


def load_classifier(
    recipe: ClassifierRecipe = ClassifierRecipe(), retrain: bool = False, progress: bool = True
) -> FoleyClassifier:
    """The cached classifier for this recipe, trained first if needed (a few minutes on 2 CPU cores)."""
    from safetensors.torch import load_file, save_file

    path = _cache_dir() / f"classifier-{recipe.key()}.safetensors"
    model = FoleyClassifier()
    if path.is_file() and not retrain:
        model.load_state_dict(load_file(path))
        return model.eval()
    model = train_classifier(recipe, progress=progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda tmp: save_file(model.state_dict(), str(tmp)), force=True)
    return model
