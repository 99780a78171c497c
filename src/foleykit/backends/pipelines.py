"""The backends, each a thin adapter over one diffusers pipeline class."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from foleykit.backends.base import Backend, ConfigReader, ModelInfo
from foleykit.errors import BadInputError


class _MelVocoderBackend(Backend):
    """AudioLDM-style pipelines: mel frames of `hop` samples, a VAE that needs whole multiples of its scale
    factor in frames, length asked in `audio_length_in_s`."""

    trained_seconds = 10.24  # AudioLDM and AudioLDM 2 are trained on 10.24 s clips: foleykit's limit
    enforces_max_duration = False  # the pipelines themselves take any length

    @classmethod
    def describe_configs(cls, read: ConfigReader) -> ModelInfo:
        vocoder = read("vocoder/config.json")
        return cls._info(
            read, sample_rate=int(vocoder["sampling_rate"]), channels=1, max_duration=cls.trained_seconds
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
    def describe_configs(cls, read: ConfigReader) -> ModelInfo:
        vae = read("vae/config.json")
        transformer = read("transformer/config.json")
        projection = read("projection_model/config.json")
        window = transformer["sample_size"] * math.prod(vae["downsampling_ratios"]) / vae["sampling_rate"]
        return cls._info(
            read,
            sample_rate=int(vae["sampling_rate"]),
            channels=int(vae.get("audio_channels", 2)),
            max_duration=min(window, float(projection.get("max_value", window))),
        )

    has_fixed_window = True
    can_vary = True
    window_quantum_frames = 64  # cropped windows come in steps of 64 latent frames (≈3 s): few shapes to
    # compile, little waste

    def call_kwargs(self, seconds: float) -> dict[str, Any]:
        return {"audio_end_in_s": seconds}

    def window_frames(self, seconds: float) -> int:
        """Latent frames to denoise: the whole window, or with `crop_window` only what `seconds` needs."""
        window = int(self.pipe.transformer.config.sample_size)
        if not self.speedups.crop_window:
            return window
        needed = math.ceil(seconds * self.info.sample_rate / self.pipe.vae.hop_length)
        step = self.window_quantum_frames
        return min(window, math.ceil(needed / step) * step)

    def initial_noise(self, seconds: float, generators: list[Any]) -> dict[str, Any]:
        """With `crop_window`, the first frames of the very noise the stock pipeline would draw per seed
        (same shape, dtype and generator as its `randn_tensor`), so a crop to the whole window is the
        stock call bit for bit and a shorter crop starts from the same noise."""
        if not self.speedups.crop_window:
            return {}
        noise = self.window_noise(generators)
        return {"latents": noise[:, :, : self.window_frames(seconds)].to(self.device)}

    def window_noise(self, generators: list[Any]) -> Any:
        """The whole window's initial noise per seed, drawn as the stock pipeline's `randn_tensor` draws it."""
        import torch

        shape = (1, self.pipe.transformer.config.in_channels, self.pipe.transformer.config.sample_size)
        return torch.cat([torch.randn(shape, generator=g, dtype=self.dtype) for g in generators])

    def from_source(
        self,
        audio: np.ndarray,
        prompts: list[str],
        seeds: list[int],
        steps: int,
        guidance: float,
        *,
        strength: float | None = None,
        region: tuple[float, float] | None = None,
    ) -> np.ndarray:
        """Variations through the stock pipeline's `initial_audio_waveforms`, with a strength it lacks.

        The stock call adds noise at the schedule's `sigma_max` (500) to the encoded source, which
        drowns it: every variation is a new take. Here the same scheduler class starts lower, at the
        sigma `strength` of the way up its own schedule (SDEdit), the noise is scaled so that the source
        gets exactly that sigma (the pipeline multiplies by `sqrt(sigma_max² + 1)`), and, as diffusers'
        img2img pipelines do, `steps × strength` steps are run. At strength 1 this is the stock call (but
        for noise of sigma_max, not sqrt(sigma_max² + 1), a 2e-6 difference).
        """
        if region is not None or strength is None:
            return super().from_source(
                audio, prompts, seeds, steps, guidance, strength=strength, region=region
            )
        if self.speedups.crop_window:
            raise BadInputError(
                "--crop-window does not apply to Stable Audio Open variations: its pipeline encodes the "
                "source over the whole window"
            )
        import torch

        scheduler = self.pipe.scheduler
        if "sigma_max" not in scheduler.config:
            raise BadInputError(
                f"this Stable Audio model's scheduler ({type(scheduler).__name__}) has no sigma range to "
                "start a variation part-way"
            )
        schedule = type(scheduler).from_config(scheduler.config)
        schedule.set_timesteps(1001)  # its own schedule, finely: position (1 - strength) gives the sigma
        sigma = float(schedule.sigmas[round((1 - strength) * 1000)])
        started = type(scheduler).from_config(scheduler.config, sigma_max=sigma)
        pipe = type(self.pipe).from_pipe(self.pipe, scheduler=started)
        pipe.set_progress_bar_config(disable=True)

        generators = self.generators(seeds)
        noise = self.window_noise(generators) * (
            sigma / math.sqrt(sigma**2 + 1)
        )  # the pipeline scales by sqrt(sigma² + 1)
        source = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))[None]
        output = pipe(
            prompt=prompts,
            num_inference_steps=max(1, round(steps * strength)),
            guidance_scale=guidance,
            generator=generators,
            output_type="np",
            latents=noise.to(self.device),
            initial_audio_waveforms=source.repeat(len(prompts), 1, 1).to(self.device, self.dtype),
            initial_audio_sampling_rate=self.info.sample_rate,
            **self.call_kwargs(audio.shape[-1] / self.info.sample_rate),
        )
        return self._as_batch(output.audios)


class StableAudio3Backend(Backend):
    """Stable Audio 3: a DiT over a SAME latent, stereo, any length up to its limit; distilled checkpoints
    (a stochastic scheduler) sample in 8 steps without guidance, the base one in 100."""

    name = "stable-audio-3"
    pipeline_class = "diffusers:StableAudio3Pipeline"
    default_steps = 8
    default_guidance = 1.0
    can_vary = can_inpaint = True
    longest_seconds = 120.0  # Stable Audio 3's published limit; the duration embedder clamps later still

    @classmethod
    def describe_configs(cls, read: ConfigReader) -> ModelInfo:
        vae = read("vae/config.json")
        durations = read("duration_embedder/config.json")
        distilled = bool(read("scheduler/scheduler_config.json").get("stochastic_sampling", True))
        return cls._info(
            read,
            sample_rate=int(vae["sampling_rate"]),
            channels=int(vae.get("audio_channels", 2)),
            max_duration=min(cls.longest_seconds, float(durations.get("max_val", cls.longest_seconds))),
            default_steps=8 if distilled else 100,
        )

    def call_kwargs(self, seconds: float) -> dict[str, Any]:
        return {"duration": seconds}

    def from_source(
        self,
        audio: np.ndarray,
        prompts: list[str],
        seeds: list[int],
        steps: int,
        guidance: float,
        *,
        strength: float | None = None,
        region: tuple[float, float] | None = None,
    ) -> np.ndarray:
        """Stable Audio 3's own audio-to-audio or inpainting pipeline over the loaded components (both are
        distilled: no guidance)."""
        import diffusers
        import torch

        if region is not None:
            pipeline, kwargs = (
                diffusers.StableAudio3InpaintPipeline,
                {
                    "mask_start_seconds": [region[0]] * len(prompts),
                    "mask_end_seconds": [region[1]] * len(prompts),
                },
            )
        else:
            pipeline, kwargs = diffusers.StableAudio3AudioToAudioPipeline, {"init_noise_level": strength}
        pipe = pipeline.from_pipe(self.pipe)
        pipe.set_progress_bar_config(disable=True)
        channels = self.info.channels
        source = np.resize(audio, (channels, audio.shape[-1])) if audio.shape[0] != channels else audio
        batch = torch.from_numpy(np.ascontiguousarray(source))[None].repeat(len(prompts), 1, 1)
        output = pipe(
            prompt=prompts,
            duration=audio.shape[-1] / self.info.sample_rate,
            audio=batch.to(self.device, torch.float32),
            num_inference_steps=steps,
            generator=self.generators(seeds),
            output_type="np",
            **kwargs,
        )
        return self._as_batch(output.audios)


class BundledBackend(Backend):
    """foleykit's own `FoleyPipeline`: its config carries its longest clip and recommended settings."""

    name = "bundled"
    pipeline_class = "foleykit.pipelines.foley:FoleyPipeline"
    can_vary = can_inpaint = anchors_prompts = True
    default_steps = 25
    default_guidance = 3.0

    @classmethod
    def describe_configs(cls, read: ConfigReader) -> ModelInfo:
        index = read("model_index.json")
        vocoder = read("vocoder/config.json")
        return cls._info(
            read,
            sample_rate=int(vocoder["sampling_rate"]),
            channels=1,
            max_duration=float(index.get("max_duration", 10.0)),
            default_steps=int(index.get("default_steps", cls.default_steps)),
            default_guidance=float(index.get("default_guidance", cls.default_guidance)),
        )

    def call_kwargs(self, seconds: float) -> dict[str, Any]:
        return {"audio_length_in_s": seconds}

    def anchor_kwargs(self) -> dict[str, Any]:
        return {} if self.anchor_weight is None else {"anchor_weight": self.anchor_weight}

    def has_anchor_list(self) -> bool:
        return bool(self.pipe.known_captions)

    def prompt_anchor(self, prompt: str, guidance: float) -> dict[str, Any] | None:
        """The learned caption this prompt shares guidance with, for the sidecar (pipeline_foley.py)."""
        weight = float(self.pipe.anchor_weights([prompt], self.anchor_weight)[0])
        if weight <= 0 or guidance <= 1.0:
            return None
        anchor = self.pipe.prompt_anchors([prompt], self.device)[0]
        return None if anchor == prompt else {"caption": anchor, "weight": weight}

    def from_source(
        self,
        audio: np.ndarray,
        prompts: list[str],
        seeds: list[int],
        steps: int,
        guidance: float,
        *,
        strength: float | None = None,
        region: tuple[float, float] | None = None,
    ) -> np.ndarray:
        """FoleyPipeline's own source path (it is mono: a stereo source is heard as its mid)."""
        import torch

        mono = torch.from_numpy(np.ascontiguousarray(audio.mean(axis=0), dtype=np.float32))
        output = self.pipe(
            prompt=prompts,
            audio_length_in_s=audio.shape[-1] / self.info.sample_rate,
            num_inference_steps=steps,
            guidance_scale=guidance,
            generator=self.generators(seeds),
            output_type="np",
            audio=mono[None].repeat(len(prompts), 1),
            strength=1.0 if strength is None else strength,
            region=region,
            **self.anchor_kwargs(),
        )
        return self._as_batch(output.audios)


BACKENDS: dict[str, type[Backend]] = {
    b.name: b
    for b in (BundledBackend, AudioLDMBackend, AudioLDM2Backend, StableAudioBackend, StableAudio3Backend)
}
BACKEND_BY_PIPELINE: dict[str, type[Backend]] = {
    b.pipeline_class.partition(":")[2]: b for b in BACKENDS.values()
}
