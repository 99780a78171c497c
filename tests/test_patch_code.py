"""`MelPatchCode`: the fixed linear latent space — exact where it keeps every component, the best linear
code where it keeps fewer, whitened, and saved and loaded inside a FoleyPipeline like any diffusers model."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from foleykit.pipelines.foley import FoleyArchitecture, FoleyPipeline, build_foley_pipeline
from foleykit.pipelines.foley.patch_code import MelPatchCode, cell_places


def _images(
    count: int = 6, frames: int = 32, mels: int = 16, seed: int = 0, noise: float = 1.0
) -> torch.Tensor:
    """Log-mel-like images: a spectral tilt, a few loud onsets decaying over frames, and noise."""
    g = torch.Generator().manual_seed(seed)
    tilt = torch.linspace(-2.0, -8.0, mels)
    decay = torch.exp(-torch.arange(frames, dtype=torch.float32) / 6.0)
    onsets = torch.rand(count, 1, 1, mels, generator=g) * 6.0
    return tilt + onsets * decay[:, None] + noise * torch.randn(count, 1, frames, mels, generator=g)


def test_every_component_kept_is_an_exact_round_trip_with_white_latents() -> None:
    images = _images()
    code = MelPatchCode(patch_size=4, latent_channels=16).fit(images)
    latents = code.encode(images).latent_dist
    assert latents.mean.shape == (6, 16, 8, 4)
    assert torch.equal(latents.sample(), latents.mode()), "a deterministic code: no sampling noise"
    assert torch.allclose(code.decode(latents.mode()).sample, images, atol=1e-4)
    per_channel = latents.mean.transpose(0, 1).reshape(16, -1)
    assert torch.allclose(per_channel.mean(dim=1), torch.zeros(16), atol=1e-4)
    assert torch.allclose(per_channel.std(dim=1, correction=0), torch.ones(16), atol=1e-3)


def test_fewer_components_keep_more_than_any_other_linear_code_of_that_size() -> None:
    images, unseen = _images(seed=0), _images(seed=1)
    code = MelPatchCode(patch_size=4, latent_channels=4).fit(images)
    error = (code(images).sample - images).pow(2).mean()
    other = MelPatchCode(patch_size=4, latent_channels=4)
    other.load_state_dict(code.state_dict())
    q, _ = torch.linalg.qr(torch.randn(16, 4, generator=torch.Generator().manual_seed(3)))
    other.components.copy_(q.T)  # another orthonormal 4-dimensional code with the same mean
    assert error < (other(images).sample - images).pow(2).mean()
    assert 0 < error < images.var() / 4, "the first four components carry most of the variance"
    assert (code(unseen).sample - unseen).pow(2).mean() < 2 * error, "it generalises to unseen clips"


def test_clip_weights_decide_what_the_code_fits() -> None:
    images = torch.cat([_images(3, seed=0), _images(3, seed=1) * 3.0])
    weighted = MelPatchCode(patch_size=4, latent_channels=4).fit(images, torch.tensor([1.0] * 3 + [0.0] * 3))
    alone = MelPatchCode(patch_size=4, latent_channels=4).fit(images[:3])
    assert torch.allclose(weighted.mean, alone.mean, atol=1e-5)
    assert torch.allclose(weighted.components.abs(), alone.components.abs(), atol=1e-4)


def test_a_refiner_starts_as_the_identity_and_learns_to_undo_latent_noise() -> None:
    """Untrained, a refiner leaves the linear decode exactly as it is (so does `with_parts` for the fitted
    part); trained a hundred small steps on noisy latents, it decodes unseen noisy latents closer to the
    clean image than the linear inverse does."""
    images, unseen = _images(16, seed=0, noise=0.2), _images(16, seed=1, noise=0.2)  # mostly structure
    linear = MelPatchCode(patch_size=4, latent_channels=4).fit(images)
    code = linear.with_parts(refiner_channels=8, texture_levels=0)
    assert code.refiner is not None and code.config.refiner_channels == 8
    assert torch.equal(code(unseen).sample, linear(unseen).sample), "an untrained refiner changes nothing"
    g = torch.Generator().manual_seed(2)
    torch.manual_seed(2)
    optimizer = torch.optim.Adam(code.parameters(), lr=1e-2)
    clean = code.encode(images).latent_dist.mode()
    for _ in range(100):
        noisy = clean + 0.3 * torch.randn(clean.shape, generator=g)
        loss = (code.decode(noisy).sample - images).abs().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    unseen_latents = code.encode(unseen).latent_dist.mode()
    noisy = unseen_latents + 0.3 * torch.randn(unseen_latents.shape, generator=g)
    with torch.no_grad():
        refined = (code.decode(noisy).sample - unseen).abs().mean()
        plain = (linear.decode(noisy).sample - unseen).abs().mean()
    assert refined < 0.75 * plain, (refined, plain)  # 0.26 against 0.51 when written


def test_cell_places_are_counted_exactly_in_half_precision() -> None:
    """The refiner's position channels: the same in bf16 as in float32 well past frame 256, where a bf16
    counter would already round (257 → 256)."""
    exact = cell_places(600, 64, 8, torch.device("cpu"), torch.float32)
    half = cell_places(600, 64, 8, torch.device("cpu"), torch.bfloat16)
    assert exact.shape == (2, 600, 64)
    assert torch.allclose(half.float(), exact, atol=0.01), "bf16 rounding only (a place off by one is 1/7)"
    assert exact[0, 257, 0] == exact[0, 1, 0] and exact[0, 263, 0] == 0.5, "frame 263 ends a cell"


def test_shapes_it_cannot_code_are_refused() -> None:
    with pytest.raises(ValueError, match="cannot come from"):
        MelPatchCode(patch_size=2, latent_channels=5)
    with pytest.raises(ValueError, match="does not split into 4×4 patches"):
        MelPatchCode(patch_size=4, latent_channels=4).encode(torch.zeros(1, 1, 10, 16))


def test_a_pipeline_with_a_textured_patch_code_saves_loads_generates_and_varies(tmp_path: Path) -> None:
    torch.manual_seed(0)
    pipe = build_foley_pipeline(
        replace(
            FoleyArchitecture.tiny(), latent_code="patch", patch_refiner_channels=4, patch_texture_levels=2
        )
    )
    assert isinstance(pipe.vae, MelPatchCode) and pipe.vae_scale_factor == 4
    torch.nn.init.normal_(pipe.vae.refiner.out.weight)  # as if trained: saved and loaded like the rest
    waves = torch.randn(4, 16000, generator=torch.Generator().manual_seed(1)) * 0.1
    pipe.vae.fit(pipe.log_mel(waves)[:, None, :60])
    pipe.vae.fit_texture(pipe.log_mel(waves)[:, None, :60])
    pipe.save_pretrained(tmp_path, include_text_encoder=False)
    index = json.loads((tmp_path / "model_index.json").read_text())
    assert index["vae"] == ["foleykit.pipelines.foley.patch_code", "MelPatchCode"]

    minilm = {"tokenizer": pipe.tokenizer, "text_encoder": pipe.text_encoder}  # loaded once (seconds)
    loaded = FoleyPipeline.from_pretrained(str(tmp_path), local_files_only=True, **minilm)
    assert isinstance(loaded.vae, MelPatchCode)
    for name, value in pipe.vae.state_dict().items():
        assert torch.equal(loaded.vae.state_dict()[name], value), name
    loaded.set_progress_bar_config(disable=True)
    assert loaded.vae.texture_fitted

    def take(seed: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(seed)
        kwargs = {"audio_length_in_s": 1.0, "num_inference_steps": 2, "output_type": "pt"}
        return loaded("rain on a roof", generator=generator, **kwargs).audios

    first = take(0)
    assert first.shape == (1, 16000) and torch.isfinite(first).all() and first.abs().max() > 0
    assert torch.equal(take(0), first), "the texture is drawn from the take's generator: one seed, one take"
    varied = loaded(
        "rain on a roof",
        audio=waves[:1],
        strength=0.5,
        audio_length_in_s=1.0,
        num_inference_steps=2,
        output_type="pt",
    ).audios
    assert varied.shape == (1, 16000) and torch.isfinite(varied).all()


def _textured(levels: int = 3) -> tuple[MelPatchCode, torch.Tensor]:
    """A fitted 4-component code of 4 × 4 cells, its texture fitted to what it drops, on images with a
    silent stretch (the floor, -11.5) at the end."""
    images = _images(16, frames=48, seed=0, noise=0.5)
    images[..., 32:, :] = -11.5
    code = MelPatchCode(patch_size=4, latent_channels=4).fit(images).with_parts(0, levels)
    return code.fit_texture(images), images


def test_the_texture_restores_the_grain_the_code_drops_and_a_seed_gives_one_take() -> None:
    """Decoded with its texture, a code's output has about the residual variance the code drops (none in
    silence, never below the floor); the same generator gives the same image, batched or alone; without
    the texture (or before it is fitted) it decodes exactly as the plain code does."""
    code, images = _textured()
    plain = MelPatchCode(patch_size=4, latent_channels=4).fit(images)
    assert not MelPatchCode(patch_size=4, latent_channels=4, texture_levels=3).texture_fitted
    assert not plain.with_parts(0, 3).texture_fitted and code.texture_fitted
    latents = code.encode(images).latent_dist.mode()
    smooth = plain.decode(latents).sample
    assert torch.equal(code.decode(latents, texture=False).sample, smooth)
    assert torch.equal(plain.with_parts(0, 3).decode(latents).sample, smooth), "unfitted: no texture"

    textured = code.decode(latents, generator=torch.Generator().manual_seed(1)).sample
    residual, added = (images - smooth)[..., :32, :], (textured - smooth)[..., :32, :]
    assert 0.8 < added.var() / residual.var() < 1.25, (added.var(), residual.var())
    assert (textured - smooth)[..., 32:, :].abs().max() < 0.05, "silence stays silent"
    assert textured.min() >= -11.5

    again = code.decode(latents, generator=torch.Generator().manual_seed(1)).sample
    other = code.decode(latents, generator=torch.Generator().manual_seed(2)).sample
    assert torch.equal(again, textured) and not torch.equal(other, textured)
    seeds = [torch.Generator().manual_seed(seed) for seed in (5, 6)]
    batched = code.decode(latents[:2], generator=seeds).sample
    alone = code.decode(latents[1:2], generator=torch.Generator().manual_seed(6)).sample
    assert torch.equal(batched[1:], alone), "each take's texture comes from its own generator"


def test_a_texture_saves_loads_and_refuses_what_it_cannot_fit(tmp_path: Path) -> None:
    code, images = _textured()
    code.save_pretrained(tmp_path)
    loaded = MelPatchCode.from_pretrained(tmp_path)
    assert loaded.config.texture_levels == 3 and loaded.texture_fitted
    for name, value in code.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], value), name
    with pytest.raises(ValueError, match="has no texture"):
        MelPatchCode(patch_size=4, latent_channels=4).fit(images).fit_texture(images)
    with pytest.raises(ValueError, match="every cell of these images is silence"):
        code.fit_texture(torch.full_like(images, -11.5))
    with pytest.raises(ValueError, match="texture_levels must be 0 or more"):
        MelPatchCode(texture_levels=-1)
