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

With `texture_levels > 0` the decoder then fills in what the code cannot hold, as a codec's noise filling
does (AAC's perceptual noise substitution, Opus's spectral folding): the 48 dropped components of each
cell, and whatever the refiner does not bring back, leave the decoded log-mel smooth where real sound has
grain. `fit_texture` measures that residual on training clips — its 64 × 64 covariance within a cell, per
band of cell loudness (quiet cells have almost none) — and `decode` adds a Gaussian draw of it to each
cell, from the caller's generator, so a seed still gives one take (MODEL.md, session 19: the independent
judge's Fréchet distance of takes to real recordings fell by a third with it). Written by hand: a
Gaussian with a fitted covariance is a Cholesky factor and a matmul.
"""

from __future__ import annotations

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKLOutput
from diffusers.models.autoencoders.vae import DecoderOutput, DiagonalGaussianDistribution
from diffusers.models.modeling_utils import ModelMixin
from diffusers.utils.torch_utils import randn_tensor
from torch import nn

# Dilations of the refiner's hidden layers: with its first and last layers, eight 3 × 3 convolutions that
# see 31 × 31 pixels (nearly two 8-pixel cells each way around a border).
REFINER_DILATIONS = (1, 2, 4, 4, 1, 1)
# A cell whose decoded mean log-mel is within this of the image's floor (the log-mel's clamp) is silence:
# it gets texture band 0, fitted on silent cells alone (their residual is ~0.03 against ~0.3 elsewhere).
SILENCE_MARGIN = 0.2


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
        texture_levels: int = 0,
    ) -> None:
        super().__init__()
        if latent_channels > patch_size * patch_size:
            raise ValueError(f"{latent_channels} channels cannot come from {patch_size}×{patch_size} patches")
        if refiner_channels < 0 or (refiner_channels and patch_size < 2):
            raise ValueError(f"no refiner of {refiner_channels} channels on {patch_size}-wide cells")
        if texture_levels < 0:
            raise ValueError(f"texture_levels must be 0 or more, got {texture_levels}")
        values = patch_size * patch_size
        # Until `fit`: the first `latent_channels` patch values, unscaled (an exact code of nothing useful).
        self.register_buffer("mean", torch.zeros(values))
        self.register_buffer("components", torch.eye(values)[:latent_channels].clone())  # (channels, values)
        self.register_buffer("scale", torch.ones(latent_channels))
        self.refiner = CellEdgeRefiner(patch_size, refiner_channels) if refiner_channels else None
        if texture_levels:  # until `fit_texture`: zero factors, no texture
            # edges between loudness bands: [silence threshold, then the loud cells' quantiles]
            self.register_buffer("texture_edges", torch.zeros(texture_levels))
            self.register_buffer("texture_factors", torch.zeros(texture_levels + 1, values, values))
            self.register_buffer("texture_floor", torch.zeros(()))

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

    def decode(
        self,
        latents: torch.Tensor,
        return_dict: bool = True,
        generator: torch.Generator | list[torch.Generator] | None = None,
        texture: bool = True,
    ) -> DecoderOutput | tuple:
        """Latents → log-mel images: each cell rebuilt from its components, refined where there is a
        refiner, and given its texture where one is fitted (unless `texture` is False), drawn from
        `generator` (one per batch item, or one for all; None: torch's global generator)."""
        coefficients = latents.to(self.mean.dtype).permute(0, 2, 3, 1) * self.scale
        image = self._image(coefficients @ self.components + self.mean)
        if self.refiner is not None:
            # the code's own level and spread (per value, of what its components keep) standardise the
            # refiner's input: buffers the fit sets, so the refiner needs none of its own
            spread = (self.scale.pow(2).sum() / self.mean.numel()).sqrt()
            image = self.refiner(image, self.mean.mean(), spread)
        if texture and self.texture_fitted:
            image = self._with_texture(image, generator)
        return DecoderOutput(sample=image) if return_dict else (image,)

    # ------------------------------------------------------------------ texture
    @property
    def texture_fitted(self) -> bool:
        """Whether `fit_texture` has set the texture (a fitted factor is never all zero)."""
        return bool(self.config.texture_levels) and bool(self.texture_factors.abs().sum() > 0)

    def _texture_bands(self, patches: torch.Tensor) -> torch.Tensor:
        """Each cell's loudness band (0: silence) from its decoded patch (…, p·p)."""
        return torch.bucketize(patches.mean(dim=-1), self.texture_edges.to(patches.dtype))

    def _with_texture(
        self, image: torch.Tensor, generator: torch.Generator | list[torch.Generator] | None
    ) -> torch.Tensor:
        patches = self._patches(image)
        bands = self._texture_bands(patches)
        draws = randn_tensor(patches.shape, generator=generator, device=image.device, dtype=patches.dtype)
        noise = torch.zeros_like(patches)
        for band, factor in enumerate(self.texture_factors.to(patches.dtype)):
            cells = bands == band
            noise[cells] = draws[cells] @ factor.T
        return self._image(patches + noise).clamp_min(self.texture_floor.to(patches.dtype))

    @torch.no_grad()
    def fit_texture(
        self, images: torch.Tensor, weights: torch.Tensor | None = None, batch: int = 64
    ) -> MelPatchCode:
        """Set the texture from log-mel `images` (clips, 1, frames, mels): the residual of each cell's round
        trip through this code and its refiner, its covariance per loudness band (silent cells; then bands
        holding equal shares of the other cells), each clip's cells weighted by `weights` (clips,)."""
        if not self.config.texture_levels:
            raise ValueError("this code has no texture (texture_levels=0)")
        residuals, levels = [], []
        for start in range(0, len(images), batch):
            image = images[start : start + batch].to(self.mean.dtype)
            smooth = self.decode(self.encode(image).latent_dist.mode(), texture=False).sample
            residuals.append(self._patches(image - smooth).flatten(1, 2).float())
            levels.append(self._patches(smooth).mean(dim=-1).flatten(1))
        residual, level = torch.cat(residuals), torch.cat(levels).double()  # (clips, cells, …)
        per_clip = torch.ones(len(images)) if weights is None else weights
        weight = per_clip.to(level)[:, None].expand_as(level)
        floor = images.min().double()
        loud = level[level > floor + SILENCE_MARGIN]
        if not len(loud):
            raise ValueError("every cell of these images is silence: no texture to fit")
        quantiles = torch.linspace(0, 1, self.config.texture_levels + 1, dtype=loud.dtype)[1:-1]
        edges = torch.cat([(floor + SILENCE_MARGIN)[None], torch.quantile(loud, quantiles)])
        bands = torch.bucketize(level, edges)

        def factor(cells: torch.Tensor) -> torch.Tensor:
            rows, w = residual[cells].double(), weight[cells]
            w = w / w.sum()
            centred = rows - w @ rows
            covariance = torch.einsum("n,nv,nw->vw", w, centred, centred)
            return torch.linalg.cholesky(covariance + 1e-6 * torch.eye(len(covariance), dtype=rows.dtype))

        # a band with too few cells for its own covariance (a small or quiet corpus) takes all cells' one
        pooled = factor(torch.ones_like(bands, dtype=torch.bool))
        enough = 2 * residual.shape[-1]
        factors = [
            factor(bands == band) if int((bands == band).sum()) >= enough else pooled
            for band in range(self.config.texture_levels + 1)
        ]
        self.texture_edges.copy_(edges.to(self.texture_edges))
        self.texture_factors.copy_(torch.stack(factors).to(self.texture_factors))
        self.texture_floor.copy_(floor.to(self.texture_floor))
        return self

    def with_parts(self, refiner_channels: int, texture_levels: int) -> MelPatchCode:
        """This code's fitted linear part (same device and dtype) with these parts: the refiner kept if its
        width is unchanged, else a new, untrained one (0: none); likewise the texture (unfitted if new)."""
        config = {key: self.config[key] for key in ("patch_size", "latent_channels", "scaling_factor")}
        code = MelPatchCode(**config, refiner_channels=refiner_channels, texture_levels=texture_levels)
        code = code.to(self.mean.device, self.mean.dtype)
        kept = ["mean", "components", "scale"]
        if texture_levels and texture_levels == self.config.texture_levels:
            kept += ["texture_edges", "texture_factors", "texture_floor"]
        for name in kept:
            getattr(code, name).copy_(getattr(self, name))
        if refiner_channels and refiner_channels == self.config.refiner_channels:
            code.refiner.load_state_dict(self.refiner.state_dict())
        return code

    def forward(self, image: torch.Tensor) -> DecoderOutput:
        return self.decode(self.encode(image).latent_dist.mode())


__all__ = ["CellEdgeRefiner", "MelPatchCode", "cell_places"]
