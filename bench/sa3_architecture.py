"""Random-weight Stable Audio 3 pipelines, built in memory without any download.

Why: the GPU benchmark needs a ``StableAudio3Pipeline`` of the real size (compute and memory are what it
measures, not sound quality), and offline tests need the same classes small enough to run in a fraction
of a second on CPU. Neither may touch the Hugging Face hub, so every component, the tokenizer included,
is built here from configuration with reproducible random weights (``torch.manual_seed(0)`` before each
module).

Two sizes:

* ``"full"``: Stable Audio 3 *small* (the 433 M-parameter DiT that the Stability AI model overview pairs
  with SAME-S) as the diffusers classes describe it: ``AutoencoderSAME()`` with its SAME-S defaults
  (stereo 44.1 kHz, 4096x compression, 256 latent channels), the encoder of T5Gemma-b
  (``google/t5gemma-b-b-ul2``: 12 layers, hidden 768, 12 heads of 64, GeGLU 2048, 256 000-token vocabulary),
  ``StableAudio3DurationEmbedder`` with its defaults (768-d output) and ``FlowMatchEulerDiscreteScheduler``
  configured like the diffusers conversion script does for the distilled (``rf_denoiser``) checkpoint:
  ``num_train_timesteps=1`` (the DiT takes timesteps in [0, 1]) and ``stochastic_sampling=True``, which
  makes the pipeline default to 8 ping-pong steps. Note that ``StableAudio3DiTModel()``'s *default*
  config is SA3 *Medium*'s 1.45 B-parameter differential-attention DiT, not small's; small is 1024 wide,
  20 blocks, 16 heads, plain attention (shapes of the published ``sa3-sm-*`` DiTs).
* ``"tiny"``: the same classes and wiring at toy widths, with a SAME autoencoder of patch size 1024 and a
  single stride-2 level (2048x compression, 21.5 latent frames per second at 44.1 kHz stereo), so that a
  1 s, 2-step call takes a few tens of milliseconds on CPU.

The tokenizer of both is character-level, built with the ``tokenizers`` library exactly the way
transformers' ``GemmaTokenizer`` rebuilds itself from a saved ``tokenizer.json`` (BPE without merges, byte
fallback, ``▁`` for spaces), so a ``save_pretrained`` / ``from_pretrained`` round trip gives identical ids.
The pipeline always pads prompts to ``model_max_length`` (capped at 256), so the text encoder's sequence
length, and hence its cost, does not depend on how the prompt is tokenized.
"""

from __future__ import annotations

import inspect
import string
from pathlib import Path
from typing import Any, Final, Literal

import torch
from diffusers import (
    AutoencoderSAME,
    FlowMatchEulerDiscreteScheduler,
    StableAudio3DiTModel,
    StableAudio3DurationEmbedder,
    StableAudio3Pipeline,
)
from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers
from tokenizers.models import BPE
from transformers import GemmaTokenizerFast, T5GemmaConfig, T5GemmaEncoderModel, T5GemmaModuleConfig

__all__ = [
    "FULL_SIZE_FIGURES",
    "SA3Size",
    "build_stable_audio_3",
    "build_tokenizer",
    "describe_stable_audio_3",
    "save_tiny_stable_audio_3",
]

SA3Size = Literal["tiny", "full"]

SEED: Final = 0

# Gemma's special tokens and their ids (pad 0, eos 1, bos 2, unk 3, mask 4), as in T5Gemma's config.
_SPECIAL_TOKENS: Final = ("<pad>", "<eos>", "<bos>", "<unk>", "<mask>")
_METASPACE: Final = "\u2581"

# Configuration of each size. Conditioning widths must agree: the text encoder's hidden size is the DiT's
# `cond_token_dim`, and the duration embedding is both the DiT's global (AdaLN) input and an extra
# cross-attention token appended after the text tokens, so its `output_dim` equals both.
_CONFIGS: Final[dict[str, dict[str, Any]]] = {
    "full": {
        "tokenizer_max_length": 256,  # SA3's T5Gemma conditioner length; the pipeline caps at 256 anyway
        # SAME-S is AutoencoderSAME's default configuration (44.1 kHz stereo, patch 256 x stride 16).
        "vae": {},
        "transformer": {
            "io_channels": 256,
            "patch_size": 1,
            "embed_dim": 1024,
            "depth": 20,
            "num_heads": 16,
            "cond_token_dim": 768,
            "global_cond_dim": 768,
            "local_add_cond_dim": 257,  # inpaint mask + masked latents
            "timestep_features_dim": 256,
            "ff_mult": 4.0,
            "num_memory_tokens": 64,
            "use_differential_attention": False,
        },
        # Encoder of google/t5gemma-b-b-ul2 (Gemma 2 style; other fields keep T5GemmaModuleConfig defaults:
        # gelu_pytorch_tanh GeGLU, RMSNorm eps 1e-6, attention logit softcap 50, RoPE theta 10 000).
        "text_encoder": {
            "vocab_size": 256_000,  # the real Gemma vocabulary: realistic embedding size and memory
            "hidden_size": 768,
            "intermediate_size": 2048,
            "num_hidden_layers": 12,
            "num_attention_heads": 12,
            "num_key_value_heads": 12,
            "head_dim": 64,
            "query_pre_attn_scalar": 64,
            "sliding_window": 4096,
        },
        "duration_embedder": {"output_dim": 768, "fourier_dim": 256},
    },
    "tiny": {
        "tokenizer_max_length": 64,
        "vae": {
            "audio_channels": 2,
            "patch_size": 1024,
            "encoder_channels": 16,
            "encoder_c_mults": (2,),
            "encoder_strides": (2,),
            "encoder_transformer_depths": (1,),
            "latent_dim": 8,
            "use_differential_attention": True,  # as SAME-S
            "dim_heads": 16,
            "ff_mult": 2,
            "sampling_rate": 44_100,
        },
        "transformer": {
            "io_channels": 8,
            "patch_size": 1,
            "embed_dim": 32,
            "depth": 2,
            "num_heads": 2,
            "cond_token_dim": 32,
            "global_cond_dim": 32,
            "local_add_cond_dim": 9,
            "timestep_features_dim": 16,
            "ff_mult": 2.0,
            "num_memory_tokens": 4,
            "use_differential_attention": False,  # as SA3 small
        },
        "text_encoder": {
            "vocab_size": None,  # len(tokenizer)
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "head_dim": 16,
            "query_pre_attn_scalar": 16,
            "max_position_embeddings": 128,
            "sliding_window": 64,
        },
        "duration_embedder": {"output_dim": 32, "fourier_dim": 16},
    },
}

# The distilled ("rf_denoiser") checkpoints' scheduler, as scripts/convert_stable_audio_3_to_diffusers.py
# writes it: timesteps equal sigmas (num_train_timesteps=1) and the ping-pong re-noise step.
_SCHEDULER: Final[dict[str, Any]] = {"num_train_timesteps": 1, "shift": 1.0, "stochastic_sampling": True}

# Measured with describe_stable_audio_3(build_stable_audio_3("full")): diffusers 0.42.1, transformers
# 5.24.0, torch 2.13.0 (CPU, float32). Counts are sum(p.numel()) over each module's parameters.
FULL_SIZE_FIGURES: Final[dict[str, Any]] = {
    "transformer_parameters": 459_131_648,  # 432.8 M without the 20 inpainting `to_local_embed` MLPs
    "vae_parameters": 107_458_096,
    "text_encoder_parameters": 281_580_288,  # 196.6 M of it is the 256 000 x 768 token embedding
    "duration_embedder_parameters": 197_376,
    "sampling_rate": 44_100,
    "audio_channels": 2,
    "latent_channels": 256,
    "downsampling_ratio": 4096,
    "latent_frames_per_second": 44_100 / 4096,  # ~10.77
    "tokenizer_max_length": 256,
    "default_num_inference_steps": 8,
    "default_guidance_scale": 1.0,
}


def build_tokenizer(model_max_length: int) -> GemmaTokenizerFast:
    """Character-level Gemma tokenizer built in memory (no download).

    Vocabulary: Gemma's specials at Gemma's ids, ``▁`` (a space), every printable ASCII character and the
    256 byte-fallback tokens ``<0x00>``..``<0xFF>``, so any text encodes without ``<unk>``. The backend is
    a BPE without merges with Gemma's normalizer, pre-tokenizer and decoder: transformers v5 rebuilds a
    ``GemmaTokenizer`` on load as exactly that from the saved vocabulary, so the round trip is lossless.
    """
    vocab: dict[str, int] = {token: index for index, token in enumerate(_SPECIAL_TOKENS)}
    for symbol in (
        _METASPACE,
        *string.ascii_letters,
        *string.digits,
        *string.punctuation,
        *(f"<0x{byte:02X}>" for byte in range(256)),
    ):
        vocab[symbol] = len(vocab)

    backend = Tokenizer(BPE(vocab=vocab, merges=[], unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    backend.normalizer = normalizers.Replace(" ", _METASPACE)
    backend.pre_tokenizer = pre_tokenizers.Split(pattern=" ", behavior="merged_with_previous", invert=False)
    backend.decoder = decoders.Sequence(
        [decoders.Replace(_METASPACE, " "), decoders.ByteFallback(), decoders.Fuse()]
    )
    return GemmaTokenizerFast(
        tokenizer_object=backend,
        pad_token="<pad>",
        eos_token="<eos>",
        bos_token="<bos>",
        unk_token="<unk>",
        mask_token="<mask>",
        add_bos_token=True,  # as Gemma's tokenizers: "<bos>" + text
        model_max_length=model_max_length,
    )


def _text_encoder(config: dict[str, Any], vocab_size: int) -> T5GemmaEncoderModel:
    module = T5GemmaModuleConfig(**{**config, "vocab_size": config["vocab_size"] or vocab_size})
    # The encoder-only model ignores `decoder`; T5GemmaConfig requires one, so it mirrors the encoder.
    return T5GemmaEncoderModel(
        T5GemmaConfig(encoder=module.to_dict(), decoder=module.to_dict(), is_encoder_decoder=False)
    )


def _untie_autoencoder_from_init(vae: AutoencoderSAME) -> None:
    """Make a freshly built SAME decoder's output depend on its latents, as a trained one's does.

    SAME zero-initializes the output projection of every attention and feed-forward branch and starts its
    learned output tokens at 1e-5: its transformers are then identities, and the (differential) attention
    of a near-zero query is two equal uniform maps that cancel. The decoder reads its waveform from those
    output tokens, so it would return the same sound whatever the latents, i.e. for every prompt and seed.
    Zero linear weights get N(0, 1/fan_in) and the output tokens N(0, 0.1^2); nothing else changes.
    """
    for layer in vae.modules():  # (nothing to untie on the meta device, where sizes are counted)
        if isinstance(layer, torch.nn.Linear) and not layer.weight.is_meta and not layer.weight.any():
            torch.nn.init.normal_(layer.weight, std=layer.in_features**-0.5)
    for name, parameter in vae.named_parameters():
        if name.endswith("new_tokens"):
            torch.nn.init.normal_(parameter, std=0.1)


def _cpu_scheduler() -> FlowMatchEulerDiscreteScheduler:
    """Schedulers keep their tables on the CPU, whatever device the models are being built on."""
    with torch.device("cpu"):
        return FlowMatchEulerDiscreteScheduler(**_SCHEDULER)


def build_stable_audio_3(size: SA3Size) -> StableAudio3Pipeline:
    """Build a random-weight ``StableAudio3Pipeline`` of ``size`` ``"tiny"`` or ``"full"`` in memory (CPU, fp32)."""
    if size not in _CONFIGS:
        raise ValueError(f"size must be one of {sorted(_CONFIGS)}, got {size!r}")
    config = _CONFIGS[size]

    tokenizer = build_tokenizer(config["tokenizer_max_length"])
    torch.manual_seed(SEED)
    vae = AutoencoderSAME(**config["vae"])
    _untie_autoencoder_from_init(vae)
    torch.manual_seed(SEED)
    text_encoder = _text_encoder(config["text_encoder"], len(tokenizer)).eval()
    torch.manual_seed(SEED)
    duration_embedder = StableAudio3DurationEmbedder(**config["duration_embedder"])
    torch.manual_seed(SEED)
    transformer = StableAudio3DiTModel(**config["transformer"])

    if text_encoder.config.encoder.vocab_size < len(tokenizer):
        raise ValueError("the text encoder's vocabulary is smaller than the tokenizer's")
    if transformer.config.io_channels != vae.config.latent_dim:
        raise ValueError("the DiT's io_channels must equal the autoencoder's latent_dim")
    hidden = text_encoder.config.encoder.hidden_size
    if {hidden, transformer.config.global_cond_dim, duration_embedder.config.output_dim} != {
        transformer.config.cond_token_dim
    }:
        raise ValueError("text hidden size, duration embedding and DiT conditioning widths must match")

    return StableAudio3Pipeline(
        vae=vae.eval(),  # inference mode, as from_pretrained leaves every module
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        duration_embedder=duration_embedder.eval(),
        transformer=transformer.eval(),
        scheduler=_cpu_scheduler(),
    )


def save_tiny_stable_audio_3(directory: Path) -> Path:
    """Build the tiny pipeline, ``save_pretrained`` it into ``directory`` and return ``directory``.

    ``StableAudio3Pipeline.from_pretrained(directory, local_files_only=True)`` loads it back, tokenizer
    included.
    """
    directory = Path(directory)
    build_stable_audio_3("tiny").save_pretrained(directory)
    return directory


def _parameters(module: torch.nn.Module) -> int:
    return sum(parameter.numel() for parameter in module.parameters())


def describe_stable_audio_3(pipe: StableAudio3Pipeline) -> dict[str, Any]:
    """The figures of ``FULL_SIZE_FIGURES`` for any SA3 pipeline: parameter counts, audio and latent rates,
    default steps and guidance."""
    vae_config = pipe.vae.config
    return {
        "transformer_parameters": _parameters(pipe.transformer),
        "vae_parameters": _parameters(pipe.vae),
        "text_encoder_parameters": _parameters(pipe.text_encoder),
        "duration_embedder_parameters": _parameters(pipe.duration_embedder),
        "sampling_rate": vae_config.sampling_rate,
        "audio_channels": vae_config.audio_channels,
        "latent_channels": vae_config.latent_dim,
        "downsampling_ratio": pipe.vae.downsampling_ratio,
        "latent_frames_per_second": vae_config.sampling_rate / pipe.vae.downsampling_ratio,
        "tokenizer_max_length": min(pipe.tokenizer.model_max_length, 256),  # the pipeline's own cap
        # StableAudio3Pipeline.__call__ with num_inference_steps=None: 8 if stochastic_sampling else 100.
        "default_num_inference_steps": 8 if pipe.scheduler.config.stochastic_sampling else 100,
        "default_guidance_scale": inspect.signature(type(pipe).__call__).parameters["guidance_scale"].default,
    }
