"""The four backends, each a thin adapter over one diffusers pipeline class."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from foleykit.backends.base import Backend, ModelInfo, read_json


class _MelVocoderBackend(Backend):
    """AudioLDM-style pipelines: mel frames of `hop` samples, a VAE that needs whole multiples of its scale
    factor in frames, length asked in `audio_length_in_s`."""

    trained_seconds = 10.24  # AudioLDM and AudioLDM 2 are trained on 10.24 s clips: foleykit's limit
    enforces_max_duration = False  # the pipelines themselves take any length

    @classmethod
    def describe(cls, directory: Path) -> ModelInfo:
        vocoder = read_json(directory / "vocoder" / "config.json")
        return cls._info(
            directory, sample_rate=int(vocoder["sampling_rate"]), channels=1, max_duration=cls.trained_seconds
        )

    def length_quantum(self) -> tuple[int, int]:
        return math.prod(self.pipe.vocoder.config.upsample_rates), self.pipe.vae_scale_factor

    def call_kwargs(self, seconds: float) -> dict[str, Any]:
        return {"audio_length_in_s": seconds}


class AudioLDMBackend(_MelVocoderBackend):
    name = "audioldm"
    pipeline_class = "diffusers:AudioLDMPipeline"
    default_steps = 10
    default_guidance = 2.5


class AudioLDM2Backend(_MelVocoderBackend):
    name = "audioldm2"
    pipeline_class = "diffusers:AudioLDM2Pipeline"
    default_steps = 200
    default_guidance = 3.5


class StableAudioBackend(Backend):
    """Stable Audio Open: a DiT over an Oobleck latent, stereo; the window bounds the longest clip."""

    name = "stable-audio"
    pipeline_class = "diffusers:StableAudioPipeline"
    default_steps = 100
    default_guidance = 7.0

    @classmethod
    def describe(cls, directory: Path) -> ModelInfo:
        vae = read_json(directory / "vae" / "config.json")
        transformer = read_json(directory / "transformer" / "config.json")
        projection = read_json(directory / "projection_model" / "config.json")
        window = transformer["sample_size"] * math.prod(vae["downsampling_ratios"]) / vae["sampling_rate"]
        return cls._info(
            directory,
            sample_rate=int(vae["sampling_rate"]),
            channels=int(vae.get("audio_channels", 2)),
            max_duration=min(window, float(projection.get("max_value", window))),
        )

    def call_kwargs(self, seconds: float) -> dict[str, Any]:
        return {"audio_end_in_s": seconds}


class BundledBackend(Backend):
    """foleykit's own `FoleyPipeline`: its config carries its longest clip and recommended settings."""

    name = "bundled"
    pipeline_class = "foleykit.pipelines.foley:FoleyPipeline"
    default_steps = 25
    default_guidance = 3.0

    @classmethod
    def describe(cls, directory: Path) -> ModelInfo:
        index = read_json(directory / "model_index.json")
        vocoder = read_json(directory / "vocoder" / "config.json")
        return cls._info(
            directory,
            sample_rate=int(vocoder["sampling_rate"]),
            channels=1,
            max_duration=float(index.get("max_duration", 10.0)),
            default_steps=int(index.get("default_steps", cls.default_steps)),
            default_guidance=float(index.get("default_guidance", cls.default_guidance)),
        )

    def call_kwargs(self, seconds: float) -> dict[str, Any]:
        return {"audio_length_in_s": seconds}


BACKENDS: dict[str, type[Backend]] = {
    b.name: b for b in (BundledBackend, AudioLDMBackend, AudioLDM2Backend, StableAudioBackend)
}
BACKEND_BY_PIPELINE: dict[str, type[Backend]] = {
    b.pipeline_class.partition(":")[2]: b for b in BACKENDS.values()
}
