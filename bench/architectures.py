"""Random-weight text-to-audio pipelines for the GPU benchmark, built from config with no download.

`build(name, size, device)` returns a real diffusers pipeline in memory:
- size "full": the published architectures (DESIGN §8): AudioLDM 2 (cvssp/audioldm2), Stable Audio Open 1.0,
  Stable Audio 3 small (bench/sa3_architecture.py). Same shapes, so the same FLOPs and memory traffic as the
  real checkpoints; random weights, so the audio is noise and only speed and numerics are measured.
- size "tiny": the suite's tiny pipelines (tests/tiny_pipelines.py), for `--tiny` dry runs and `--check`.

Tokenizers are built in memory (character level): prompts cost a few more tokens than with the real
vocabularies, which only the text encoders see, once per call.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the tiny builders live beside the tests that made them
sys.path.insert(0, str(REPO / "bench"))

ARCHITECTURES = ("audioldm2", "stable-audio", "stable-audio-3")
TOKENIZER_MAX_LENGTH = 128
SEED = 0


def _seeded(make: Callable[[], Any]) -> Any:
    torch.manual_seed(SEED)
    return make()


def _on_cpu(make: Callable[[], Any]) -> Any:
    """Schedulers keep their tables on the CPU, whatever device the models are being built on."""
    with torch.device("cpu"):
        return make()


def _full_audioldm2() -> Any:
    """cvssp/audioldm2: CLAP (HTSAT + RoBERTa), Flan-T5-large, GPT-2, the 4-level UNet, a 3-level mel VAE
    and a 16 kHz HiFi-GAN (DESIGN §8)."""
    from diffusers import (
        AudioLDM2Pipeline,
        AudioLDM2ProjectionModel,
        AudioLDM2UNet2DConditionModel,
        AutoencoderKL,
        DDIMScheduler,
    )
    from tiny_pipelines import _tiny_roberta_tokenizer, _tiny_t5_tokenizer
    from transformers import (
        ClapConfig,
        ClapFeatureExtractor,
        ClapModel,
        GPT2Config,
        GPT2LMHeadModel,
        SpeechT5HifiGan,
        SpeechT5HifiGanConfig,
        T5Config,
        T5EncoderModel,
    )

    t5 = T5Config(
        vocab_size=32128,
        d_model=1024,
        d_kv=64,
        d_ff=2816,
        num_layers=24,
        num_heads=16,
        feed_forward_proj="gated-gelu",
        is_encoder_decoder=False,
    )
    gpt2 = GPT2Config(n_embd=768, n_layer=12, n_head=12, vocab_size=50257, n_positions=1024, max_new_tokens=8)
    unet = _seeded(
        lambda: AudioLDM2UNet2DConditionModel(
            sample_size=1024,
            in_channels=8,
            out_channels=8,
            down_block_types=(
                "DownBlock2D",
                "CrossAttnDownBlock2D",
                "CrossAttnDownBlock2D",
                "CrossAttnDownBlock2D",
            ),
            up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
            block_out_channels=(128, 256, 384, 640),
            layers_per_block=2,
            attention_head_dim=8,
            cross_attention_dim=([None, 768, 1024],) * 4,
        )
    )
    vae = _seeded(
        lambda: AutoencoderKL(
            in_channels=1,
            out_channels=1,
            down_block_types=("DownEncoderBlock2D",) * 3,
            up_block_types=("UpDecoderBlock2D",) * 3,
            block_out_channels=(128, 256, 512),
            latent_channels=8,
            layers_per_block=2,
            scaling_factor=0.4,
        )
    )
    vocoder = _seeded(
        lambda: SpeechT5HifiGan(
            SpeechT5HifiGanConfig(
                model_in_dim=64,
                sampling_rate=16_000,
                upsample_initial_channel=1024,
                upsample_rates=[5, 4, 2, 2, 2],
                upsample_kernel_sizes=[16, 16, 8, 4, 4],
                resblock_kernel_sizes=[3, 7, 11],
                resblock_dilation_sizes=[[1, 3, 5]] * 3,
                normalize_before=False,
            )
        )
    )
    return AudioLDM2Pipeline(
        vae=vae,
        text_encoder=_seeded(lambda: ClapModel(ClapConfig())),
        text_encoder_2=_seeded(lambda: T5EncoderModel(t5)),
        projection_model=_seeded(
            lambda: AudioLDM2ProjectionModel(
                text_encoder_dim=512, text_encoder_1_dim=1024, langauge_model_dim=768
            )
        ),
        language_model=_seeded(lambda: GPT2LMHeadModel(gpt2)),
        tokenizer=_tiny_roberta_tokenizer(TOKENIZER_MAX_LENGTH),
        tokenizer_2=_tiny_t5_tokenizer(TOKENIZER_MAX_LENGTH),
        feature_extractor=ClapFeatureExtractor(),
        unet=unet,
        scheduler=DDIMScheduler(
            beta_start=0.0015,
            beta_end=0.0195,
            beta_schedule="scaled_linear",
            clip_sample=False,
            steps_offset=1,
        ),
        vocoder=vocoder,
    )


def _full_stable_audio() -> Any:
    """Stable Audio Open 1.0: the 24-layer DiT, the Oobleck VAE (stereo 44.1 kHz), T5-base (DESIGN §8)."""
    from diffusers import (
        AutoencoderOobleck,
        CosineDPMSolverMultistepScheduler,
        StableAudioDiTModel,
        StableAudioPipeline,
        StableAudioProjectionModel,
    )
    from tiny_pipelines import _tiny_t5_tokenizer
    from transformers import T5Config, T5EncoderModel

    t5 = T5Config(vocab_size=32128, d_model=768, d_kv=64, d_ff=3072, num_layers=12, num_heads=12)
    return StableAudioPipeline(
        vae=_seeded(
            lambda: AutoencoderOobleck(
                encoder_hidden_size=128,
                downsampling_ratios=[2, 4, 4, 8, 8],
                channel_multiples=[1, 2, 4, 8, 16],
                decoder_channels=128,
                decoder_input_channels=64,
                audio_channels=2,
                sampling_rate=44_100,
            )
        ),
        text_encoder=_seeded(lambda: T5EncoderModel(t5)),
        projection_model=_seeded(
            lambda: StableAudioProjectionModel(
                text_encoder_dim=768, conditioning_dim=768, min_value=0, max_value=512
            )
        ),
        tokenizer=_tiny_t5_tokenizer(TOKENIZER_MAX_LENGTH),
        transformer=_seeded(
            lambda: StableAudioDiTModel(
                sample_size=1024,
                in_channels=64,
                num_layers=24,
                attention_head_dim=64,
                num_attention_heads=24,
                num_key_value_attention_heads=12,
                out_channels=64,
                cross_attention_dim=768,
                time_proj_dim=256,
                global_states_input_dim=1536,
                cross_attention_input_dim=768,
            )
        ),
        scheduler=_on_cpu(
            lambda: CosineDPMSolverMultistepScheduler(
                sigma_min=0.3,
                sigma_max=500.0,
                sigma_data=1.0,
                sigma_schedule="exponential",
                solver_order=2,
                prediction_type="v_prediction",
                rho=7.0,
                final_sigmas_type="zero",
            )
        ),
    )


def _tiny_saved(builder_name: str, pipeline_class: str) -> Any:
    """A tiny suite pipeline, through save_pretrained/from_pretrained like a user's model directory."""
    import diffusers
    import tiny_pipelines

    with tempfile.TemporaryDirectory() as tmp:
        directory = getattr(tiny_pipelines, builder_name)(Path(tmp) / "model")
        return getattr(diffusers, pipeline_class).from_pretrained(directory, local_files_only=True)


def build(name: str, size: str) -> Any:
    """The pipeline `name` ("audioldm2", "stable-audio", "stable-audio-3") at `size`, fp32, on the CPU."""
    if name not in ARCHITECTURES or size not in ("tiny", "full"):
        raise ValueError(f"unknown architecture {name!r} / size {size!r}")
    if name == "stable-audio-3":
        from sa3_architecture import build_stable_audio_3

        return build_stable_audio_3(size)
    if size == "tiny":
        if name == "audioldm2":
            return _tiny_saved("build_tiny_audioldm2", "AudioLDM2Pipeline")
        return _tiny_saved("build_tiny_stable_audio", "StableAudioPipeline")
    return _full_audioldm2() if name == "audioldm2" else _full_stable_audio()


def parameter_counts(pipe: Any) -> dict[str, int]:
    """Parameters per component (the figures DESIGN §8 gives for the real checkpoints)."""
    return {
        name: sum(p.numel() for p in component.parameters())
        for name, component in pipe.components.items()
        if isinstance(component, torch.nn.Module)
    }
