"""Log-mel → waveform without a neural vocoder: mel inversion, then fast Griffin-Lim phase reconstruction.

Why it replaced the bundled HiFi-GAN (issue 14; measured 2026-12-01 by the independent judge,
`foleykit eval --corpus`, nearest class centroid of aiSFX embeddings; MODEL.md has the tables): real
recordings → mel → waveform keeps 71–75 % recognised (the originals: 75 %) where the HiFi-GAN keeps 38 %
(its output has tonal stripes where the sound is noise), and generated takes go from 21 % to 27 %.
At 16 iterations it decodes a 5 s take in about 0.1 s on 2 cores, less than the HiFi-GAN
(`bench/bundled_speed.py --decoders griffin-lim,vocoder` measures both in one run).

Written by hand: torchaudio has no CPU build here and librosa is not a dependency. The algorithm:
1. the linear magnitude that the mel filter bank maps onto the given mel magnitudes, non-negative
   (pseudo-inverse, then Lee & Seung's multiplicative updates for the I-divergence);
2. fast Griffin-Lim (Perraudin, Balazs & Søndergaard 2013): alternate projections between that magnitude
   and consistent STFTs, with momentum 0.99. The initial phase comes from a fixed seed, the same for every
   clip, so a take does not depend on its batch and the same request gives the same samples.

With a mel target (`decoder="griffin-lim-mel"`, the bundled model since version 5) step 2 keeps the mel,
not the magnitude of step 1: each iteration takes the rebuilt STFT's own magnitude and scales it, band by
band, towards the target mel (one multiplicative step of step 1's rule, started from that magnitude). The
inverse of step 1 is one of many spectra with that mel, and a smooth one; imposing it fights the fine
structure consistent STFTs have, and the output's mel drifts from the target (a round trip of
synthesised clips: mean |Δ log-mel| 0.106). Re-fitting lets the phase and the fine structure settle
together while the mel is held (0.067 at the same 16 iterations and cost), and foleykit's own classifier
tells the round trip from the originals far less often (MODEL.md, session 18).
"""

from __future__ import annotations

import math

import torch

NNLS_STEPS = 10
MOMENTUM = 0.99
PHASE_SEED = 0


def _pseudo_inverse(basis: torch.Tensor) -> torch.Tensor:
    """(mels, freq), computed on the CPU in float32 (some accelerators lack the SVD behind it)."""
    return torch.linalg.pinv(basis.detach().float().cpu())


def fit_step(linear: torch.Tensor, target: torch.Tensor, basis: torch.Tensor) -> torch.Tensor:
    """One multiplicative update (Lee & Seung, I-divergence) of linear magnitudes (batch, freq, frames)
    towards mel magnitudes `target` (batch, mels, frames) under `basis` (freq, mels)."""
    norm = basis.sum(dim=1, keepdim=True).clamp_min(1e-8)  # (freq, 1)
    ratio = target / (basis.T @ linear).clamp_min(1e-8)
    return linear * (basis @ ratio) / norm


def mel_to_linear(mel_magnitude: torch.Tensor, basis: torch.Tensor, steps: int = NNLS_STEPS) -> torch.Tensor:
    """(batch, frames, mels) mel magnitudes → (batch, freq, frames) non-negative linear magnitudes."""
    basis = basis.to(mel_magnitude)
    target = mel_magnitude.transpose(1, 2)  # (batch, mels, frames)
    inverse = _pseudo_inverse(basis).to(mel_magnitude)
    # a small floor, not 0: a multiplicative update can never move a bin away from exactly 0
    linear = (inverse.T @ target).clamp_min(1e-8)  # (batch, freq, frames)
    for _ in range(steps):
        linear = fit_step(linear, target, basis)
    return linear


def griffin_lim(
    magnitude: torch.Tensor,
    n_fft: int,
    hop: int,
    iterations: int,
    momentum: float = MOMENTUM,
    mel_target: torch.Tensor | None = None,
    basis: torch.Tensor | None = None,
) -> torch.Tensor:
    """(batch, freq, frames) magnitudes → (batch, frames × hop) waveforms, float32. With `mel_target`
    (batch, frames, mels mel magnitudes) and its filter `basis` (freq, mels), `magnitude` is only the start
    and each iteration re-fits the rebuilt magnitude to the mel (the module's docstring says why)."""
    magnitude = magnitude.float()
    if mel_target is not None:
        if basis is None:
            raise ValueError("a mel target needs the filter bank it was made with")
        target, basis = mel_target.float().transpose(1, 2), basis.float().to(magnitude.device)
    _, bins, frames = magnitude.shape
    window = torch.hann_window(n_fft, device=magnitude.device)
    length = frames * hop
    generator = torch.Generator(device="cpu").manual_seed(PHASE_SEED)
    phase = torch.rand((bins, frames), generator=generator).to(magnitude.device) * (2 * math.pi)
    spec = magnitude * torch.polar(torch.ones_like(phase), phase)[None]
    previous = torch.zeros_like(spec)
    for _ in range(iterations):
        wave = torch.istft(spec, n_fft, hop, window=window, center=True, length=length)
        rebuilt = torch.stft(wave, n_fft, hop, window=window, center=True, return_complex=True)[..., :frames]
        accelerated = rebuilt - (momentum / (1 + momentum)) * previous
        previous = rebuilt
        if mel_target is not None:
            magnitude = fit_step(rebuilt.abs(), target, basis)
        spec = magnitude * (accelerated / accelerated.abs().clamp_min(1e-16))  # its phase, our magnitude
    return torch.istft(spec, n_fft, hop, window=window, center=True, length=length)
