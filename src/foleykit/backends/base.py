"""The one interface every model backend implements: describe from configs, load, generate waveforms.

Backends stay thin: each adapts one real diffusers pipeline class. Module-level imports are light so that
resolving and validating a request (and failing on bad input) never waits for torch or diffusers.
"""

from __future__ import annotations

import importlib
import json
import math
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from foleykit.errors import ModelNotAvailableError

if TYPE_CHECKING:
    import torch

# Extra native samples asked of a model beyond the request, so resampling to 48 kHz never comes up short.
RESAMPLE_MARGIN_SAMPLES = 4


@dataclass(frozen=True)
class ModelInfo:
    """What a model makes, read from its config files alone (no weights loaded)."""

    backend: str
    pipeline_class: str
    sample_rate: int
    channels: int
    max_duration: float
    default_steps: int
    default_guidance: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelNotAvailableError(f"not a complete diffusers model: {path} is missing") from None
    except (OSError, ValueError) as err:
        raise ModelNotAvailableError(f"cannot read {path}: {err}") from None


class Backend(ABC):
    """A loaded model: turns prompts + seeds into float32 waveforms (batch, channels, samples) at its own rate."""

    name: ClassVar[str]
    pipeline_class: ClassVar[str]  # "module:Class", imported only when a model is loaded
    default_steps: ClassVar[int]
    default_guidance: ClassVar[float]
    enforces_max_duration: ClassVar[bool] = True  # the pipeline itself refuses a longer request

    def __init__(self, pipe: Any, info: ModelInfo, device: torch.device, dtype: torch.dtype) -> None:
        self.pipe = pipe
        self.info = info
        self.device = device
        self.dtype = dtype

    # ---------------------------------------------------------------- without weights
    @classmethod
    @abstractmethod
    def describe(cls, directory: Path) -> ModelInfo:
        """Sample rate, channels, longest clip and defaults, from the saved configs only."""

    @classmethod
    def _info(cls, directory: Path, **fields: Any) -> ModelInfo:
        index = read_json(directory / "model_index.json")
        defaults = {"default_steps": cls.default_steps, "default_guidance": cls.default_guidance}
        return ModelInfo(
            backend=cls.name, pipeline_class=index.get("_class_name", "?"), **{**defaults, **fields}
        )

    # ---------------------------------------------------------------- loading
    @classmethod
    def import_pipeline_class(cls) -> type:
        module, _, attr = cls.pipeline_class.partition(":")
        return getattr(importlib.import_module(module), attr)

    @classmethod
    def load(
        cls, directory: Path, device: torch.device, dtype: torch.dtype, progress: bool = True
    ) -> Backend:
        """Load the real diffusers pipeline from a local directory and place it on `device`."""
        from diffusers.utils import logging as diffusers_logging
        from transformers.utils import logging as transformers_logging

        from foleykit.progress import is_terminal
        from foleykit.runtime import place_pipeline

        info = cls.describe(directory)
        pipeline_cls = cls.import_pipeline_class()
        libraries = (diffusers_logging, transformers_logging)
        if not progress or not is_terminal():  # loading bars interleave with a caller's own, and a log
            # wants none of their redraws
            for library in libraries:
                library.disable_progress_bar()
        try:
            pipe = pipeline_cls.from_pretrained(str(directory), local_files_only=True)
        finally:
            for library in libraries:
                library.enable_progress_bar()
        place_pipeline(pipe, device, dtype)
        return cls(pipe, info, device, dtype)

    # ---------------------------------------------------------------- generation
    def length_quantum(self) -> tuple[int, int]:
        """(samples per frame, frames per step): a pipeline makes whole steps of `frame × step` samples."""
        return 1, 1

    def native_seconds(self, duration: float) -> float:
        """Seconds to ask the pipeline for so that it makes at least `duration` (+ margin) samples.

        The request is rounded up to whole length steps, plus half a frame so that a pipeline computing
        `int(seconds / frame_seconds)` can never lose the last frame to float rounding.
        """
        frame, frames_per_step = self.length_quantum()
        step = frame * frames_per_step
        needed = math.ceil(duration * self.info.sample_rate) + RESAMPLE_MARGIN_SAMPLES
        seconds = (math.ceil(needed / step) * step + frame / 2) / self.info.sample_rate
        return min(seconds, self.info.max_duration) if self.enforces_max_duration else seconds

    @abstractmethod
    def call_kwargs(self, seconds: float) -> dict[str, Any]:
        """The pipeline's own keyword for the clip length."""

    def generate(
        self,
        prompts: list[str],
        negative_prompts: list[str],
        duration: float,
        seeds: list[int],
        steps: int,
        guidance: float,
        progress: bool = False,
    ) -> np.ndarray:
        """One pipeline call for the whole batch; each item's initial noise comes from its own seed.

        With no negative prompt the pipeline gets `None`, i.e. its own unconditional input (Stable Audio's
        is a zero embedding, not the encoding of an empty string).
        """
        import torch

        generators = [torch.Generator(device="cpu").manual_seed(seed) for seed in seeds]
        from foleykit.progress import bar_options

        self.pipe.set_progress_bar_config(**bar_options(disable=not progress), leave=False, desc="steps")
        output = self.pipe(
            prompt=prompts,
            negative_prompt=negative_prompts if any(negative_prompts) else None,
            num_inference_steps=steps,
            guidance_scale=guidance,
            num_waveforms_per_prompt=1,
            generator=generators,
            output_type="np",
            **self.call_kwargs(self.native_seconds(duration)),
        )
        audio = np.asarray(output.audios, dtype=np.float32)
        if audio.ndim == 2:  # mono pipelines return (batch, samples)
            audio = audio[:, None, :]
        return audio
