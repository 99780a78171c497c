"""Tiny random-weight diffusers text-to-audio pipelines for fast, offline tests.

Each ``build_tiny_*`` function builds a complete pipeline from scratch (no Hugging Face hub access: the
tokenizers are constructed in memory), saves it with ``save_pretrained`` into ``directory`` and returns
that directory, so tests can exercise the real ``<Pipeline>.from_pretrained(directory)`` loading path.

The weights are random but reproducible (``torch.manual_seed(0)`` before every module), the audio
front-ends use realistic sample rates and hops, and every pipeline generates 0.5 s of audio with two
denoising steps in a fraction of a second on CPU (use ``torch.set_num_threads(1)`` on small machines).

* AudioLDM / AudioLDM2: 16 kHz mono, 16 mel bins, hop 160 (10 ms), VAE scale factor 4.
* Stable Audio: 44.1 kHz stereo, Oobleck hop 256, a ~2.04 s generation window.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable
from pathlib import Path

import torch
from diffusers import (
    AudioLDM2Pipeline,
    AudioLDM2ProjectionModel,
    AudioLDM2UNet2DConditionModel,
    AudioLDMPipeline,
    AutoencoderKL,
    AutoencoderOobleck,
    CosineDPMSolverMultistepScheduler,
    DDIMScheduler,
    DiffusionPipeline,
    StableAudioDiTModel,
    StableAudioPipeline,
    StableAudioProjectionModel,
    UNet2DConditionModel,
)
from tokenizers import pre_tokenizers
from transformers import (
    ClapAudioConfig,
    ClapConfig,
    ClapFeatureExtractor,
    ClapModel,
    ClapTextConfig,
    ClapTextModelWithProjection,
    GPT2Config,
    GPT2LMHeadModel,
    RobertaTokenizer,
    SpeechT5HifiGan,
    SpeechT5HifiGanConfig,
    T5Config,
    T5EncoderModel,
    T5Tokenizer,
)

__all__ = [
    "AUDIOLDM_HOP_LENGTH",
    "AUDIOLDM_SAMPLING_RATE",
    "STABLE_AUDIO_HOP_LENGTH",
    "STABLE_AUDIO_SAMPLE_SIZE",
    "STABLE_AUDIO_SAMPLING_RATE",
    "build_tiny_audioldm",
    "build_tiny_audioldm2",
    "build_tiny_stable_audio",
]

SEED = 0

# AudioLDM / AudioLDM2: SpeechT5HifiGan vocoder on a 16 kHz, 10 ms-hop log-mel spectrogram.
AUDIOLDM_SAMPLING_RATE = 16_000
AUDIOLDM_UPSAMPLE_RATES = (5, 4, 4, 2)  # product = hop length
AUDIOLDM_UPSAMPLE_KERNEL_SIZES = (11, 8, 8, 4)  # (kernel - rate) even => exactly `rate` x upsampling
AUDIOLDM_HOP_LENGTH = math.prod(AUDIOLDM_UPSAMPLE_RATES)  # 160
AUDIOLDM_MEL_BINS = 16
AUDIOLDM_VAE_CHANNELS = (8, 16, 16)  # 3 blocks => VAE scale factor 4 (divides the 16 mel bins)
AUDIOLDM_UNET_SAMPLE_SIZE = 32  # default length = 32 * 4 * 160 / 16000 = 1.28 s
AUDIOLDM_TOKENIZER_MAX_LENGTH = 128  # the tiny tokenizers are character-level

# Stable Audio: AutoencoderOobleck at 44.1 kHz stereo.
STABLE_AUDIO_SAMPLING_RATE = 44_100
STABLE_AUDIO_DOWNSAMPLING_RATIOS = (2, 4, 4, 8)
STABLE_AUDIO_HOP_LENGTH = math.prod(STABLE_AUDIO_DOWNSAMPLING_RATIOS)  # 256
STABLE_AUDIO_SAMPLE_SIZE = 352  # window = 352 * 256 / 44100 ~= 2.04 s
STABLE_AUDIO_LATENT_CHANNELS = 8
STABLE_AUDIO_CONDITIONING_DIM = 32
STABLE_AUDIO_TOKENIZER_MAX_LENGTH = 128

_SCHEDULER_DDIM_KWARGS = {
    "num_train_timesteps": 1000,
    "beta_start": 0.0015,
    "beta_end": 0.0195,
    "beta_schedule": "scaled_linear",
    "clip_sample": False,
    "set_alpha_to_one": False,
    "steps_offset": 1,
}


# --------------------------------------------------------------------------------------------------
# Offline tokenizers
# --------------------------------------------------------------------------------------------------
def _tiny_roberta_tokenizer(model_max_length: int) -> RobertaTokenizer:
    """Byte-level BPE RoBERTa tokenizer with no merges (one token per UTF-8 byte), built in memory.

    AudioLDM2 dispatches on ``isinstance(tokenizer, RobertaTokenizer)`` and transformers v5 rebuilds a
    ``RobertaTokenizer`` from BPE vocab/merges on load, so a wrapped WordPiece tokenizer would not survive
    a save/load round trip. Special-token ids follow RoBERTa (``<s>``=0, ``<pad>``=1, ``</s>``=2).
    """
    vocab = {token: index for index, token in enumerate(("<s>", "<pad>", "</s>", "<unk>"))}
    for symbol in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab[symbol] = len(vocab)
    vocab["<mask>"] = len(vocab)
    return RobertaTokenizer(vocab=vocab, merges=[], model_max_length=model_max_length)


def _tiny_t5_tokenizer(model_max_length: int) -> T5Tokenizer:
    """Character-level Unigram T5 tokenizer (``<pad>``=0, ``</s>``=1, ``<unk>``=2), built in memory.

    Pipelines check ``isinstance(tokenizer, T5Tokenizer)``; every printable ASCII character is a piece (plus
    a word-initial, metaspace-prefixed variant of it), anything else maps to ``<unk>``.
    """
    characters = string.ascii_letters + string.digits + string.punctuation
    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
    pieces += [(char, -3.0) for char in characters]
    pieces += [("\u2581" + char, -2.5) for char in characters]
    return T5Tokenizer(vocab=pieces, extra_ids=0, model_max_length=model_max_length)


# --------------------------------------------------------------------------------------------------
# Shared AudioLDM / AudioLDM2 components
# --------------------------------------------------------------------------------------------------
def _tiny_mel_vae() -> AutoencoderKL:
    """Single-channel mel-spectrogram VAE with a scale factor of 4 and 4 latent channels."""
    torch.manual_seed(SEED)
    return AutoencoderKL(
        in_channels=1,
        out_channels=1,
        down_block_types=("DownEncoderBlock2D",) * len(AUDIOLDM_VAE_CHANNELS),
        up_block_types=("UpDecoderBlock2D",) * len(AUDIOLDM_VAE_CHANNELS),
        block_out_channels=AUDIOLDM_VAE_CHANNELS,
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=AUDIOLDM_UNET_SAMPLE_SIZE * 4,
    )


def _tiny_vocoder() -> SpeechT5HifiGan:
    """HiFi-GAN vocoder: 16 mel bins -> 16 kHz waveform, 160 samples per mel frame."""
    torch.manual_seed(SEED)
    config = SpeechT5HifiGanConfig(
        model_in_dim=AUDIOLDM_MEL_BINS,
        sampling_rate=AUDIOLDM_SAMPLING_RATE,
        upsample_initial_channel=32,
        upsample_rates=list(AUDIOLDM_UPSAMPLE_RATES),
        upsample_kernel_sizes=list(AUDIOLDM_UPSAMPLE_KERNEL_SIZES),
        resblock_kernel_sizes=[3],
        resblock_dilation_sizes=[[1, 3]],
        normalize_before=False,
        # the default N(0, 0.01) init shrinks the signal ~1e-9 through the stack: random audio would be silent
        initializer_range=0.2,
    )
    return SpeechT5HifiGan(config)


def _tiny_ddim_scheduler() -> DDIMScheduler:
    """DDIM scheduler with the AudioLDM beta schedule."""
    return DDIMScheduler(**_SCHEDULER_DDIM_KWARGS)


def _tiny_clap_text_config(vocab_size: int, projection_dim: int) -> ClapTextConfig:
    """Small RoBERTa-style CLAP text branch (position ids are offset by ``pad_token_id`` + 1)."""
    return ClapTextConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_attention_heads=2,
        num_hidden_layers=2,
        max_position_embeddings=2 * AUDIOLDM_TOKENIZER_MAX_LENGTH,  # position ids start at pad_token_id + 1
        type_vocab_size=1,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        layer_norm_eps=1e-5,
        projection_dim=projection_dim,
    )


# --------------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------------
def build_tiny_audioldm(directory: Path) -> Path:
    """Build a tiny random ``AudioLDMPipeline`` (16 kHz mono), save it into ``directory`` and return it."""
    directory = Path(directory)
    tokenizer = _tiny_roberta_tokenizer(AUDIOLDM_TOKENIZER_MAX_LENGTH)
    projection_dim = 32

    torch.manual_seed(SEED)
    text_encoder = ClapTextModelWithProjection(_tiny_clap_text_config(len(tokenizer), projection_dim))

    torch.manual_seed(SEED)
    unet = UNet2DConditionModel(
        sample_size=AUDIOLDM_UNET_SAMPLE_SIZE,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        block_out_channels=(16, 32),
        layers_per_block=1,
        norm_num_groups=8,
        attention_head_dim=8,
        # AudioLDM has no text cross-attention: the "cross" attention attends to the feature map itself.
        cross_attention_dim=(16, 32),
        class_embed_type="simple_projection",
        projection_class_embeddings_input_dim=projection_dim,
        class_embeddings_concat=True,
    )

    pipe = AudioLDMPipeline(
        vae=_tiny_mel_vae(),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=_tiny_ddim_scheduler(),
        vocoder=_tiny_vocoder(),
    )
    pipe.save_pretrained(directory)
    return directory


def build_tiny_audioldm2(directory: Path) -> Path:
    """Build a tiny random ``AudioLDM2Pipeline`` (16 kHz mono), save it into ``directory`` and return it."""
    directory = Path(directory)
    tokenizer = _tiny_roberta_tokenizer(AUDIOLDM_TOKENIZER_MAX_LENGTH)
    tokenizer_2 = _tiny_t5_tokenizer(AUDIOLDM_TOKENIZER_MAX_LENGTH)
    clap_dim, t5_dim, gpt2_dim = 32, 24, 32  # distinct sizes catch wiring mistakes

    torch.manual_seed(SEED)
    audio_config = ClapAudioConfig(
        spec_size=64,
        num_mel_bins=64,
        window_size=4,
        patch_size=4,
        patch_stride=(4, 4),
        patch_embed_input_channels=1,
        patch_embeds_hidden_size=16,
        hidden_size=32,  # = patch_embeds_hidden_size * 2 ** (len(depths) - 1)
        depths=[1, 1],
        num_attention_heads=[2, 2],
        num_classes=8,
        enable_fusion=False,
    )
    text_encoder = ClapModel(
        ClapConfig(
            text_config=_tiny_clap_text_config(len(tokenizer), clap_dim),
            audio_config=audio_config,
            projection_dim=clap_dim,
        )
    )
    # Only used to rank waveforms when num_waveforms_per_prompt > 1 (and librosa is installed); its
    # hop keeps a 10 s clip within the tiny HTSAT input (spec_size 64 frames).
    feature_extractor = ClapFeatureExtractor(
        feature_size=64,
        sampling_rate=48_000,
        hop_length=7_680,
        max_length_s=10,
        fft_window_size=1024,
        frequency_min=50,
        frequency_max=14_000,
        truncation="rand_trunc",
        padding="repeatpad",
    )

    torch.manual_seed(SEED)
    text_encoder_2 = T5EncoderModel(
        T5Config(
            vocab_size=len(tokenizer_2),
            d_model=t5_dim,
            d_ff=48,
            d_kv=12,
            num_heads=2,
            num_layers=2,
            relative_attention_num_buckets=8,
            pad_token_id=0,
            eos_token_id=1,
            decoder_start_token_id=0,
        )
    )

    torch.manual_seed(SEED)
    lm_vocab = 64  # the language model only consumes/produces hidden states; its LM head is unused
    language_model = GPT2LMHeadModel(
        GPT2Config(
            vocab_size=lm_vocab,
            n_embd=gpt2_dim,
            n_head=2,
            n_layer=2,
            # sequence = CLAP (1) + T5 (<= max_length) + 4 SOS/EOS embeddings + max_new_tokens (8)
            n_positions=2 * AUDIOLDM_TOKENIZER_MAX_LENGTH,
            bos_token_id=lm_vocab - 1,
            eos_token_id=lm_vocab - 1,
            max_new_tokens=8,
        )
    )

    torch.manual_seed(SEED)
    projection_model = AudioLDM2ProjectionModel(
        text_encoder_dim=clap_dim, text_encoder_1_dim=t5_dim, langauge_model_dim=gpt2_dim
    )

    torch.manual_seed(SEED)
    unet = AudioLDM2UNet2DConditionModel(
        sample_size=AUDIOLDM_UNET_SAMPLE_SIZE,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        block_out_channels=(16, 32),
        layers_per_block=1,
        norm_num_groups=8,
        attention_head_dim=8,
        # per transformer: self-attention, GPT2-generated embeddings, T5 embeddings
        cross_attention_dim=([None, gpt2_dim, t5_dim], [None, gpt2_dim, t5_dim]),
    )

    pipe = AudioLDM2Pipeline(
        vae=_tiny_mel_vae(),
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        projection_model=projection_model,
        language_model=language_model,
        tokenizer=tokenizer,
        tokenizer_2=tokenizer_2,
        feature_extractor=feature_extractor,
        unet=unet,
        scheduler=_tiny_ddim_scheduler(),
        vocoder=_tiny_vocoder(),
    )
    pipe.save_pretrained(directory)
    return directory


def build_tiny_stable_audio(directory: Path) -> Path:
    """Build a tiny random ``StableAudioPipeline`` (44.1 kHz stereo), save it in ``directory``, return it."""
    directory = Path(directory)
    tokenizer = _tiny_t5_tokenizer(STABLE_AUDIO_TOKENIZER_MAX_LENGTH)
    window_s = STABLE_AUDIO_SAMPLE_SIZE * STABLE_AUDIO_HOP_LENGTH / STABLE_AUDIO_SAMPLING_RATE

    torch.manual_seed(SEED)
    vae = AutoencoderOobleck(
        encoder_hidden_size=2 * STABLE_AUDIO_LATENT_CHANNELS,  # mean + scale
        downsampling_ratios=list(STABLE_AUDIO_DOWNSAMPLING_RATIOS),
        channel_multiples=[1, 2, 4, 4],
        decoder_channels=8,
        decoder_input_channels=STABLE_AUDIO_LATENT_CHANNELS,
        audio_channels=2,
        sampling_rate=STABLE_AUDIO_SAMPLING_RATE,
    )

    torch.manual_seed(SEED)
    text_encoder = T5EncoderModel(
        T5Config(
            vocab_size=len(tokenizer),
            d_model=STABLE_AUDIO_CONDITIONING_DIM,
            d_ff=64,
            d_kv=16,
            num_heads=2,
            num_layers=2,
            relative_attention_num_buckets=8,
            pad_token_id=0,
            eos_token_id=1,
            decoder_start_token_id=0,
        )
    )

    torch.manual_seed(SEED)
    projection_model = StableAudioProjectionModel(
        text_encoder_dim=STABLE_AUDIO_CONDITIONING_DIM,
        conditioning_dim=STABLE_AUDIO_CONDITIONING_DIM,
        min_value=0,
        max_value=math.ceil(window_s),
    )

    torch.manual_seed(SEED)
    transformer = StableAudioDiTModel(
        sample_size=STABLE_AUDIO_SAMPLE_SIZE,
        in_channels=STABLE_AUDIO_LATENT_CHANNELS,
        out_channels=STABLE_AUDIO_LATENT_CHANNELS,
        num_layers=2,
        attention_head_dim=16,
        num_attention_heads=2,
        num_key_value_attention_heads=1,
        cross_attention_dim=32,
        time_proj_dim=32,
        global_states_input_dim=2 * STABLE_AUDIO_CONDITIONING_DIM,  # start + end seconds embeddings
        cross_attention_input_dim=STABLE_AUDIO_CONDITIONING_DIM,
    )

    scheduler = CosineDPMSolverMultistepScheduler(
        sigma_min=0.3,
        sigma_max=500.0,
        sigma_data=1.0,
        sigma_schedule="exponential",
        solver_order=2,
        prediction_type="v_prediction",
        rho=7.0,
        final_sigmas_type="zero",
    )

    pipe = StableAudioPipeline(
        vae=vae,
        text_encoder=text_encoder,
        projection_model=projection_model,
        tokenizer=tokenizer,
        transformer=transformer,
        scheduler=scheduler,
    )
    pipe.save_pretrained(directory)
    return directory


def foley_with_settings(source: Path, target: Path, **settings: object) -> Path:
    """The FoleyPipeline saved at `source`, saved again at `target` with `settings` in its model_index.json
    (how a user turns a rendering setting on or off in a copy of the model)."""
    from foleykit.pipelines.foley import FoleyPipeline

    pipe = FoleyPipeline.from_pretrained(source)
    pipe.register_to_config(**settings)
    pipe.save_pretrained(target)
    return target


def _smoke(name: str, builder: Callable[[Path], Path], pipeline_cls: type[DiffusionPipeline]) -> None:
    """Build, reload and generate 0.5 s of audio twice (seeded list of generators, CFG on); print stats."""
    import tempfile
    import time

    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        path = builder(Path(tmp) / name)
        build_s = time.perf_counter() - start
        start = time.perf_counter()
        pipe = pipeline_cls.from_pretrained(path)
        load_s = time.perf_counter() - start
    pipe.set_progress_bar_config(disable=True)

    if isinstance(pipe, StableAudioPipeline):
        sampling_rate, hop = pipe.vae.config.sampling_rate, pipe.vae.hop_length
        window_s = pipe.transformer.config.sample_size * hop / sampling_rate
        length_kwargs = {"audio_end_in_s": 0.5}
        limits = f"max={window_s:.3f}s"
    else:
        sampling_rate, hop = pipe.vocoder.config.sampling_rate, math.prod(pipe.vocoder.config.upsample_rates)
        default_s = pipe.unet.config.sample_size * pipe.vae_scale_factor * hop / sampling_rate
        length_kwargs = {"audio_length_in_s": 0.5}
        limits = f"default={default_s:.3f}s (no hard max)"

    def generate() -> tuple[np.ndarray, float]:
        start = time.perf_counter()
        audio = pipe(
            ["a dog barking", "rain"],
            negative_prompt=["", ""],
            num_inference_steps=2,
            guidance_scale=2.5,
            generator=[torch.Generator().manual_seed(1), torch.Generator().manual_seed(2)],
            output_type="np",
            **length_kwargs,
        ).audios
        return audio, time.perf_counter() - start

    audio, gen_s = generate()
    again, _ = generate()
    assert audio.shape[-1] == int(0.5 * sampling_rate), audio.shape
    assert np.isfinite(audio).all() and audio.std() > 1e-3, "audio must be finite and non-silent"
    assert np.array_equal(audio, again), "the same seeds must give identical audio"
    assert not np.allclose(audio[0], audio[1]), "batch elements should differ"
    n_params = sum(
        p.numel() for m in pipe.components.values() if isinstance(m, torch.nn.Module) for p in m.parameters()
    )
    print(
        f"{name:12s} audios={tuple(audio.shape)} sr={sampling_rate} hop={hop} {limits} "
        f"params={n_params / 1e6:.2f}M build={build_s:.2f}s load={load_s:.2f}s generate={gen_s:.2f}s "
        f"std={audio.std():.3f}"
    )


if __name__ == "__main__":
    # Smoke check; run as `HF_HUB_OFFLINE=1 python tests/tiny_pipelines.py` (nothing here needs the hub).
    torch.set_num_threads(1)  # tiny ops: 1 thread is fastest and immune to OpenMP oversubscription
    _smoke("audioldm", build_tiny_audioldm, AudioLDMPipeline)
    _smoke("audioldm2", build_tiny_audioldm2, AudioLDM2Pipeline)
    _smoke("stable_audio", build_tiny_stable_audio, StableAudioPipeline)
