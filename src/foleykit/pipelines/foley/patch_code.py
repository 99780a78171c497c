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

With `refiner_channels > 0` the decoder adds a small residual convolutional net (`CellEdgeRefiner`) after
the linear inverse. A linear code has no overlap between cells, so where a UNet's neighbouring cells
disagree the log-mel shows block edges every `patch_size` frames and bands (MODEL.md, session 10); the
refiner sees across cell borders (and where they are) and is trained by the trainer's vae stage to undo
latent noise, so it blends those edges and restores some of the detail the dropped components held. The
encoder stays linear: a UNet trained on the code's latents works with or without a refiner. Its last
layer starts at zero, so an untrained refiner is exactly the linear code.
"""

from __future__ import annotations

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKLOutput
from diffusers.models.autoencoders.vae import DecoderOutput, DiagonalGaussianDistribution
from diffusers.models.modeling_utils import ModelMixin
from torch import nn

# Dilations of the refiner's hidden layers: with its first and last layers, eight 3 × 3 convolutions that
# see 31 × 31 pixels (nearly two 8-pixel cells each way around a border).
REFINER_DILATIONS = (1, 2, 4, 4, 1, 1)


class CellEdgeRefiner(nn.Module):
    """A residual correction of a decoded log-mel image, from the image and each pixel's place in its cell.

    Input and output are in log-mel units; inside, the image is standardised by the code's own level and
    spread so one set of layer sizes fits any fitted code.
    """

    def __init__(self, patch_size: int, channels: int) -> None:
        super().__init__()
        self.patch_size = patch_size
        layers: list[nn.Module] = [nn.Conv2d(3, channels, 3, padding=1)]
        for dilation in REFINER_DILATIONS:
            layers += [nn.GELU(), nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation)]
        self.body = nn.Sequential(*layers, nn.GELU())
        self.out = nn.Conv2d(channels, 1, 3, padding=1)
        nn.init.zeros_(self.out.weight)  # untrained: the identity
        nn.init.zeros_(self.out.bias)

    def forward(self, image: torch.Tensor, level: torch.Tensor, spread: torch.Tensor) -> torch.Tensor:
        batch, _, frames, mels = image.shape
        places = cell_places(frames, mels, self.patch_size, image.device, image.dtype)
        standard = (image - level) / spread
        inputs = torch.cat([standard, places.expand(batch, 2, frames, mels)], dim=1)
        return image + self.out(self.body(inputs)) * spread


def cell_places(
    frames: int, mels: int, patch_size: int, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """(2, frames, mels): where each pixel sits in its cell, frame-wise and band-wise, from −0.5 to 0.5 (the
    borders are where a channel jumps back). Counted in integers, then cast: bf16 cannot count frames past
    256, so a ramp made in it would put frames in the wrong place."""
    ramp = (torch.arange(max(frames, mels), device=device) % patch_size).to(dtype) / (patch_size - 1) - 0.5
    return torch.stack([ramp[:frames, None].expand(frames, mels), ramp[None, :mels].expand(frames, mels)])


class MelPatchCode(ModelMixin, ConfigMixin):
    """Whitened PCA of log-mel patches: (batch, 1, frames, mels) ↔ (batch, channels, frames/p, mels/p)."""

    # `scaling_factor` is there because the pipeline scales latents by it, as for a VAE: 1.0, the code is
    # already whitened
    @register_to_config
    def __init__(
        self,
        patch_size: int = 8,
        latent_channels: int = 16,
        scaling_factor: float = 1.0,
        refiner_channels: int = 0,
    ) -> None:
        super().__init__()
        if latent_channels > patch_size * patch_size:
            raise ValueError(f"{latent_channels} channels cannot come from {patch_size}×{patch_size} patches")
        if refiner_channels < 0 or (refiner_channels and patch_size < 2):
            raise ValueError(f"no refiner of {refiner_channels} channels on {patch_size}-wide cells")
        values = patch_size * patch_size
        # Until `fit`: the first `latent_channels` patch values, unscaled (an exact code of nothing useful).
        self.register_buffer("mean", torch.zeros(values))
        self.register_buffer("components", torch.eye(values)[:latent_channels].clone())  # (channels, values)
        self.register_buffer("scale", torch.ones(latent_channels))
        self.refiner = CellEdgeRefiner(patch_size, refiner_channels) if refiner_channels else None

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
        """Latents → log-mel images: each cell rebuilt from its components, then refined where there is
        a refiner."""
        coefficients = latents.to(self.mean.dtype).permute(0, 2, 3, 1) * self.scale
        image = self._image(coefficients @ self.components + self.mean)
        if self.refiner is not None:
            # the code's own level and spread (per value, of what its components keep) standardise the
            # refiner's input: buffers the fit sets, so the refiner needs none of its own
            spread = (self.scale.pow(2).sum() / self.mean.numel()).sqrt()
            image = self.refiner(image, self.mean.mean(), spread)
        return DecoderOutput(sample=image) if return_dict else (image,)

    def with_refiner(self, channels: int) -> MelPatchCode:
        """This code's fitted linear part (same device and dtype) with a new, untrained refiner of
        `channels` (0: none)."""
        config = {key: self.config[key] for key in ("patch_size", "latent_channels", "scaling_factor")}
        code = MelPatchCode(**config, refiner_channels=channels).to(self.mean.device, self.mean.dtype)
        for name in ("mean", "components", "scale"):
            getattr(code, name).copy_(getattr(self, name))
        return code

    def forward(self, image: torch.Tensor) -> DecoderOutput:
        return self.decode(self.encode(image).latent_dist.mode())


__all__ = ["CellEdgeRefiner", "MelPatchCode", "cell_places"]
