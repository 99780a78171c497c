"""The Griffin-Lim decoders: holding the mel through the iterations keeps a round trip's mel nearer the
original's than imposing the filter bank's inverse, at the same iterations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from transformers.audio_utils import mel_filter_bank

from foleykit.pipelines.foley.griffin_lim import griffin_lim, mel_to_linear
from foleykit.synth import synthesize

RATE, N_FFT, HOP, MELS = 24000, 1024, 256, 64


@pytest.fixture(scope="module")
def basis() -> torch.Tensor:
    bank = mel_filter_bank(
        num_frequency_bins=N_FFT // 2 + 1,
        num_mel_filters=MELS,
        min_frequency=0.0,
        max_frequency=12000.0,
        sampling_rate=RATE,
        norm="slaney",
        mel_scale="slaney",
    )
    return torch.from_numpy(bank.astype(np.float32))


def log_mel(wave: torch.Tensor, basis: torch.Tensor) -> torch.Tensor:
    """(batch, frames, mels), as the bundled pipeline analyses."""
    window = torch.hann_window(N_FFT)
    spec = torch.stft(wave, N_FFT, HOP, window=window, center=True, return_complex=True).abs()
    frames = wave.shape[-1] // HOP
    return torch.log(torch.einsum("bft,fm->btm", spec[..., :frames], basis).clamp_min(1e-5))


@pytest.mark.parametrize("label", ["bell", "glass_shatter", "footsteps_gravel"])
def test_holding_the_mel_keeps_the_round_trip_nearer_the_original(basis: torch.Tensor, label: str) -> None:
    wave = torch.from_numpy(synthesize(label, 900_123, 2.0, RATE).audio[: 180 * HOP].astype(np.float32))[None]
    mel = log_mel(wave, basis)
    start = mel_to_linear(torch.exp(mel), basis)
    errors = {}
    for held in (False, True):
        target = torch.exp(mel) if held else None
        out = griffin_lim(start, N_FFT, HOP, 16, mel_target=target, basis=basis if held else None)
        assert out.shape == wave.shape and torch.isfinite(out).all()
        loud = mel > math.log(1e-3)  # where there is sound: the floor's own error says nothing
        errors[held] = (log_mel(out, basis) - mel).abs()[loud].mean().item()
    assert errors[True] < 0.8 * errors[False], errors


def test_a_mel_target_needs_its_filter_bank(basis: torch.Tensor) -> None:
    magnitude = torch.ones(1, N_FFT // 2 + 1, 8)
    with pytest.raises(ValueError, match="needs the filter bank"):
        griffin_lim(magnitude, N_FFT, HOP, 2, mel_target=torch.ones(1, 8, MELS))
