"""A mel-patch discriminator for the VAE stage, and its hinge losses.

Trained on L1 alone, the VAE's decoder outputs the average of what a latent cell could hold: noise
textures (rain, gravel) come back smooth and onsets smeared over a cell (85 ms), and the independent
judge hears the loss (MODEL.md). A discriminator that judges small patches of log-mel asks for the texture
instead (the recipe of image and audio latent autoencoders, e.g. AudioLDM's). Written here because
diffusers ships the autoencoders but not their training losses; this is the usual PatchGAN with spectral
norm, hinge loss and feature matching.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class MelPatchCritic(nn.Module):
    """(batch, 1, frames, mels) log-mel → a real/fake score per patch, and each layer's features."""

    def __init__(self, channels: tuple[int, ...] = (32, 64, 128, 128), downsampling_layers: int = 3) -> None:
        super().__init__()
        widths = (1, *channels)
        self.layers = nn.ModuleList(
            nn.utils.spectral_norm(
                nn.Conv2d(widths[i], widths[i + 1], 3, stride=2 if i < downsampling_layers else 1, padding=1)
            )
            for i in range(len(channels))
        )
        self.score = nn.utils.spectral_norm(nn.Conv2d(channels[-1], 1, 3, padding=1))

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        features = []
        for layer in self.layers:
            image = F.leaky_relu(layer(image), 0.2)
            features.append(image)
        return self.score(image), features


def critic_loss(critic: MelPatchCritic, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Hinge loss of the critic: real patches above +1, fake (detached) ones below −1."""
    real_score, _ = critic(real)
    fake_score, _ = critic(fake.detach())
    return F.relu(1 - real_score).mean() + F.relu(1 + fake_score).mean()


def generator_terms(
    critic: MelPatchCritic, real: torch.Tensor, fake: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(adversarial, feature matching) losses of the generator: raise the critic's score of `fake`, and
    match its features of `real` layer by layer (which keeps the adversarial training steady)."""
    fake_score, fake_features = critic(fake)
    with torch.no_grad():
        _, real_features = critic(real)
    matching = sum(F.l1_loss(f, r) for f, r in zip(fake_features, real_features, strict=True))
    return -fake_score.mean(), matching / len(fake_features)
