"""The independent judge: an audio embedding this project did not train, for scoring against real sound.

foleykit's own classifier (`classifier.py`) learned from foleykit's synthesiser, so it measures "like our
synth". The judge is aiSFX (Ma & Lerch, ISMIR 2022; CC BY 4.0): a CNN trained on professional sound-effects
libraries (Pro Sound Effects, Soundly, UCS categories and others), whose 512-d embedding separates kinds
of sound effect. Its weights ship inside the `aisfx` wheel, so it loads offline. That wheel pins
numpy 1.23 and librosa 0.9, which do not install on Python 3.11, and its loader predates torch's safe
loading; so foleykit installs it without its pins (`pip install --no-deps aisfx==0.1.2`), loads the
checkpoint itself with `weights_only=True` (only the numpy types the file names are allowed) and computes
the model's input here in torch:

    44.1 kHz mono, peak-normalised → |STFT|² (Hann 2048, hop 1024) → 96 HTK mel bands 0–22.05 kHz (each
    band's weights summing to 1) → log10(1 + 10⁴·x) / 9.4578 (the paper's fixed normalisation) →
    blocks of 100 frames (2.3 s), hop 50 → embedding per block → mean over blocks = the clip's embedding.

The paper computed its spectrograms with Essentia; this front end matches that input's shape
(frames × 96, as the network reads it) and scale, with three differences: the STFT pads by reflection
where Essentia pads with zeros, clips are peak-normalised where Essentia normalised loudness, and the last
partial block of a clip is embedded too. Every clip goes through the same front end, so scores compare
sets and classes fairly, but they are not the paper's numbers. The class heads are not used: the wheel
does not ship their label names.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import numpy as np
import torch

from foleykit.audio.post import resample
from foleykit.errors import ModelNotAvailableError

JUDGE_RATE = 44100
N_FFT, HOP, N_MELS = 2048, 1024, 96
LOG_MAX = 9.457798957824707  # aiSFX's fixed spectrogram normalisation ('original')
BLOCK, BLOCK_HOP = 100, 50
EMBEDDING_DIM = 512
INSTALL = "pip install --no-deps aisfx==0.1.2"


def require_judge() -> Path:
    """The aiSFX checkpoint's path, or ModelNotAvailableError saying how to install it."""
    try:
        import aisfx
    except ImportError:
        raise ModelNotAvailableError(
            f"the independent judge (aisfx) is not installed: {INSTALL} (its weights are in the wheel)"
        ) from None
    if not hasattr(torch.serialization, "safe_globals"):
        raise ModelNotAvailableError(
            f"the judge needs torch 2.5 or newer (torch {torch.__version__} is installed)"
        )
    path = Path(aisfx.__file__).parent / "models" / "checkpoint.pth"
    if not path.is_file():
        raise ModelNotAvailableError(
            f"aisfx is installed without its weights ({path}): reinstall with {INSTALL}"
        )
    return path


def _load_state(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(weights, dataset table) with torch's safe loader: only the numpy types this checkpoint names."""
    try:
        from numpy._core.multiarray import scalar
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import scalar  # type: ignore[no-redef]
    allowed = [(scalar, "numpy.core.multiarray.scalar"), np.dtype, codecs.encode]
    allowed += [getattr(np.dtypes, "Int64DType", np.int64)] if hasattr(np, "dtypes") else []
    with torch.serialization.safe_globals(allowed):
        weights, datasets = torch.load(path, map_location="cpu", weights_only=True)
    return weights, datasets


class Judge:
    """aiSFX's embedding network with its input computed in torch; `embed` takes audio at any rate."""

    def __init__(self, network: torch.nn.Module) -> None:
        from transformers.audio_utils import mel_filter_bank

        self.network = network.eval()
        basis = mel_filter_bank(
            num_frequency_bins=N_FFT // 2 + 1,
            num_mel_filters=N_MELS,
            min_frequency=0.0,
            max_frequency=JUDGE_RATE / 2,
            sampling_rate=JUDGE_RATE,
            norm=None,
            mel_scale="htk",
        )
        basis = basis / np.maximum(basis.sum(axis=0, keepdims=True), 1e-12)
        self.basis = torch.from_numpy(basis.astype(np.float32))
        self.window = torch.hann_window(N_FFT)

    @classmethod
    def load(cls) -> Judge:
        """The installed aiSFX weights (ModelNotAvailableError, saying how to install them, if absent)."""
        from aisfx.models.cnn2d import CrossNet, EmbeddingNet

        weights, datasets = _load_state(require_judge())
        model = CrossNet(EmbeddingNet("max", 3, 1, 64), datasets, "cpu")
        model.load_state_dict(weights)
        return cls(model.embedding_net)

    def spectrogram(self, audio: np.ndarray, rate: int) -> torch.Tensor:
        """(frames, 96) normalised log-mel of mono `audio` at `rate`: the network's input."""
        mono = np.asarray(audio, dtype=np.float32)
        mono = mono.mean(axis=0) if mono.ndim == 2 else mono
        mono = resample(mono[None], rate, JUDGE_RATE)[0]
        peak = float(np.abs(mono).max(initial=0.0))
        wave = torch.from_numpy(mono / peak if peak > 0 else mono)
        if wave.numel() < N_FFT:
            wave = torch.nn.functional.pad(wave, (0, N_FFT - wave.numel()))
        power = torch.stft(wave, N_FFT, HOP, window=self.window, return_complex=True).abs() ** 2
        mel = self.basis.T @ power  # (mels, frames)
        return (torch.log10(1 + 1e4 * mel) / LOG_MAX).T.contiguous()

    @torch.no_grad()
    def embed(self, audio: np.ndarray, rate: int) -> np.ndarray:
        """(512,) embedding of one clip: the mean of its 2.3 s blocks' embeddings."""
        spec = self.spectrogram(audio, rate)
        frames = spec.shape[0]
        starts = list(range(0, max(frames - BLOCK, 0) + 1, BLOCK_HOP))
        if frames > BLOCK and (frames - BLOCK) % BLOCK_HOP:
            starts.append(frames - BLOCK)  # the tail too, so no part of the clip goes unheard
        padded = torch.nn.functional.pad(spec, (0, 0, 0, max(0, BLOCK - frames)))
        blocks = torch.stack([padded[s : s + BLOCK] for s in starts])
        return self.network(blocks).mean(dim=0).numpy()

    def embed_many(self, clips: list[np.ndarray], rate: int) -> np.ndarray:
        """(clips, 512)."""
        if not clips:
            return np.zeros((0, EMBEDDING_DIM), np.float32)
        return np.stack([self.embed(clip, rate) for clip in clips])
