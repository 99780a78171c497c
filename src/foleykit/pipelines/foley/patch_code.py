"""`MelPatchCode`: a fixed linear latent space over log-mel, in place of a trained VAE.

Each `patch_size × patch_size` cell of the log-mel image (frames × mel bands) is projected on the first
`latent_channels` principal components of the training data's cells and divided by each component's
standard deviation (whitened), so every latent channel has unit variance, as the diffusion schedule
assumes. Decoding is the exact inverse on that subspace. It has the grid and channel count of the
bundled VAE (8 × 8 cells, 16 channels: the UNet's cost is the same), but it is fitted in closed form
(`fit`), not trained, and on real recordings it keeps far more of the sound: the independent judge
recognises 70 % of round-tripped real test recordings against the VAE's 38.5 % (MODEL.md, session 9,
`bench/latent_grid.py`).

Its `encode`/`decode` answer like `AutoencoderKL`'s (a `latent_dist` with `mean`/`mode()`/`sample()`,
a `DecoderOutput`), so the pipeline, the trainer and the judge use either without asking which.
Written by hand: a PCA of 64-value patches is a few lines of `torch.linalg.eigh`; no library ships one
as a diffusers model.
"""

from __future__ import annotations

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKLOutput
from diffusers.models.autoencoders.vae import DecoderOutput, DiagonalGaussianDistribution
from diffusers.models.modeling_utils import ModelMixin


class MelPatchCode(ModelMixin, ConfigMixin):
    """Whitened PCA of log-mel patches: (batch, 1, frames, mels) ↔ (batch, channels, frames/p, mels/p)."""

    # `scaling_factor` is there because the pipeline scales latents by it, as for a VAE: 1.0, the code is
    # already whitened
    @register_to_config
    def __init__(self, patch_size: int = 8, latent_channels: int = 16, scaling_factor: float = 1.0) -> None:
        super().__init__()
        if latent_channels > patch_size * patch_size:
            raise ValueError(f"{latent_channels} channels cannot come from {patch_size}×{patch_size} patches")
        values = patch_size * patch_size
        # Until `fit`: the first `latent_channels` patch values, unscaled (an exact code of nothing useful).
        self.register_buffer("mean", torch.zeros(values))
        self.register_buffer("components", torch.eye(values)[:latent_channels].clone())  # (channels, values)
        self.register_buffer("scale", torch.ones(latent_channels))

    # ------------------------------------------------------------------ patches
    def _patches(self, image: torch.Tensor) -> torch.Tensor:
        """(batch, 1, frames, mels) → (batch, frames/p, mels/p, p·p)."""
        p = self.config.patch_size
        batch, _, frames, mels = image.shape
        if frames % p or mels % p:
            raise ValueError(f"a {frames}×{mels} log-mel does not split into {p}×{p} patches")
        grid = image.reshape(batch, frames // p, p, mels // p, p)
        return grid.permute(0, 1, 3, 2, 4).reshape(batch, frames // p, mels // p, p * p)

    def _image(self, patches: torch.Tensor) -> torch.Tensor:
        """The inverse of `_patches`."""
        p = self.config.patch_size
        batch, rows, cols, _ = patches.shape
        grid = patches.reshape(batch, rows, cols, p, p).permute(0, 1, 3, 2, 4)
        return grid.reshape(batch, 1, rows * p, cols * p)

    @property
    def fitted(self) -> bool:
        """Whether `fit` has set the code (a log-mel's mean cell is never exactly zero)."""
        return bool(self.mean.abs().sum() > 0)

    # ------------------------------------------------------------------ the code
    @torch.no_grad()
    def fit(self, images: torch.Tensor, weights: torch.Tensor | None = None) -> MelPatchCode:
        """Set the code from log-mel `images` (clips, 1, frames, mels), each clip's cells weighted by
        `weights` (clips,) if given (the trainer's sampling weights: the mix the UNet will see)."""
        rows = self._patches(images.float()).reshape(len(images), -1, self.mean.numel()).double()
        per_clip = torch.ones(len(images)) if weights is None else weights
        per_clip = per_clip.to(rows) / per_clip.sum() / rows.shape[1]  # each cell's weight, summing to 1
        mean = torch.einsum("n,ncv->v", per_clip, rows)
        centred = rows - mean
        covariance = torch.einsum("n,ncv,ncw->vw", per_clip, centred, centred)
        variances, vectors = torch.linalg.eigh(covariance)  # ascending
        keep = self.config.latent_channels
        order = variances.flip(0)[:keep].clamp_min(1e-8)
        basis = vectors.flip(1)[:, :keep].T  # (channels, values)
        basis = basis * torch.where(basis.sum(dim=1, keepdim=True) < 0, -1.0, 1.0)  # a fixed sign per axis
        self.mean.copy_(mean.to(self.mean))
        self.components.copy_(basis.to(self.components))
        self.scale.copy_(order.sqrt().to(self.scale))
        return self

    def encode(self, image: torch.Tensor, return_dict: bool = True) -> AutoencoderKLOutput | tuple:
        """Log-mel images → latents, as a zero-variance `latent_dist` (the code is deterministic)."""
        patches = self._patches(image.to(self.mean.dtype))
        latents = ((patches - self.mean) @ self.components.T / self.scale).permute(0, 3, 1, 2)
        dist = DiagonalGaussianDistribution(torch.cat([latents, torch.zeros_like(latents)], dim=1), True)
        return AutoencoderKLOutput(latent_dist=dist) if return_dict else (dist,)

    def decode(self, latents: torch.Tensor, return_dict: bool = True) -> DecoderOutput | tuple:
        """Latents → log-mel images: each cell rebuilt from its components."""
        coefficients = latents.to(self.mean.dtype).permute(0, 2, 3, 1) * self.scale
        image = self._image(coefficients @ self.components + self.mean)
        return DecoderOutput(sample=image) if return_dict else (image,)

    def forward(self, image: torch.Tensor) -> DecoderOutput:
        return self.decode(self.encode(image).latent_dist.mode())


__all__ = ["MelPatchCode"]
