"""The Griffin-Lim decoders: holding the mel through the iterations keeps a round trip's mel nearer the
original's than imposing the filter bank's inverse, at the same iterations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from foleykit.pipelines.foley import FoleyArchitecture, FoleyPipeline, build_foley_pipeline
from foleykit.pipelines.foley.griffin_lim import griffin_lim, mel_to_linear
from foleykit.synth import synthesize


@pytest.fixture(scope="module")
def pipe() -> FoleyPipeline:
    """The bundled architecture's analysis (24 kHz, n_fft 1024, hop 256, 64 bands to 12 kHz); its weights
    are never used."""
    return build_foley_pipeline(FoleyArchitecture(), load_text_encoder=False)


@pytest.mark.parametrize("label", ["bell", "glass_shatter", "footsteps_gravel"])
def test_holding_the_mel_keeps_the_round_trip_nearer_the_original(pipe: FoleyPipeline, label: str) -> None:
    n_fft, hop, basis = pipe.config.n_fft, pipe.hop_length, pipe._mel_basis
    audio = synthesize(label, 900_123, 2.0, pipe.sample_rate).audio[: 180 * hop]
    wave = torch.from_numpy(audio.astype(np.float32))[None]
    mel = pipe.log_mel(wave)
    start = mel_to_linear(torch.exp(mel), basis)
    errors = {}
    for held in (False, True):
        target = torch.exp(mel) if held else None
        out = griffin_lim(start, n_fft, hop, 16, mel_target=target, basis=basis if held else None)
        assert out.shape == wave.shape and torch.isfinite(out).all()
        loud = mel > math.log(1e-3)  # where there is sound: the floor's own error says nothing
        errors[held] = (pipe.log_mel(out) - mel).abs()[loud].mean().item()
    assert errors[True] < 0.8 * errors[False], errors


def test_a_mel_target_needs_its_filter_bank() -> None:
    with pytest.raises(ValueError, match="needs the filter bank"):
        griffin_lim(torch.ones(1, 513, 8), 1024, 256, 2, mel_target=torch.ones(1, 8, 64))
