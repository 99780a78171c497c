"""The one interface every model backend implements: describe from configs, load, generate waveforms.

Backends stay thin: each adapts one real diffusers pipeline class. Module-level imports are light so that
resolving and validating a request (and failing on bad input) never waits for torch or diffusers.
"""

from __future__ import annotations

import importlib
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from foleykit.errors import BadInputError, ModelNotAvailableError

if TYPE_CHECKING:
    import torch

# Extra native samples asked of a model beyond the request, so resampling to 48 kHz never comes up short.
RESAMPLE_MARGIN_SAMPLES = 4


# Reads one of a model's config files by its path in a saved pipeline ("vae/config.json" → its dict).
ConfigReader = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class Speedups:
    """Opt-in ways to run the same model faster; each is recorded in a take's sidecar because each can
    change its bits.

    `compile`: `torch.compile` the denoiser (inductor, kernels cached on disk, eager if compiling fails).
    Same model, same maths; float sums may be reordered (bench/gpu_throughput.py --check measures how far).
    `crop_window`: Stable Audio Open denoises only the latent frames a request needs, not its whole
    47.55 s window. Faster by up to the window/request ratio, but the model then sees a shorter context
    than the stock pipeline gives it: not the same output, so off unless asked for.
    """

    compile: bool = False
    crop_window: bool = False

    def to_dict(self) -> dict[str, bool]:
        return asdict(self)

    def flags(self) -> list[str]:
        """The command-line flags that ask for these speed-ups again."""
        return [f"--{name.replace('_', '-')}" for name, on in asdict(self).items() if on]


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


# what a pipeline may change in a take after denoising, by its output's field → the key a take's sidecar reports
# it under: steps laid out after the take's own (the bundled model's compose_walks), events added (> 0) or left
# out (< 0) to hold the count its prompt asks for (match_counts)
EDIT_OUTPUTS = {"walk_steps": "walk_steps_added", "count_changes": "count_events_changed"}


def take_edits(output: Any) -> list[dict[str, int]] | None:
    """Per take of a pipeline call, its `EDIT_OUTPUTS` (by sidecar key) that the output reports; None where it
    reports none."""
    found = {key: getattr(output, field, None) for field, key in EDIT_OUTPUTS.items()}
    found = {key: values for key, values in found.items() if values is not None}
    if not found:
        return None
    return [dict(zip(found, values, strict=True)) for values in zip(*found.values(), strict=True)]


class Backend(ABC):
    """A loaded model: turns prompts + seeds into float32 waveforms (batch, channels, samples) at its own rate."""

    name: ClassVar[str]
    pipeline_class: ClassVar[str]  # "module:Class", imported only when a model is loaded
    default_steps: ClassVar[int]
    default_guidance: ClassVar[float]
    enforces_max_duration: ClassVar[bool] = True  # the pipeline itself refuses a longer request
    has_fixed_window: ClassVar[bool] = False  # the stock pipeline always denoises its whole window
    can_vary: ClassVar[bool] = False  # `from_source(strength=…)` works: variations of a sound
    can_inpaint: ClassVar[bool] = False  # `from_source(region=…)` works: a region made again, a continuation
    anchors_prompts: ClassVar[bool] = False  # shares guidance with learned captions (`anchoring`)

    def __init__(self, pipe: Any, info: ModelInfo, device: torch.device, dtype: torch.dtype) -> None:
        self.pipe = pipe
        self.info = info
        self.device = device
        self.dtype = dtype
        self.speedups = Speedups()
        self.denoiser_compiled: str | None = None  # the component torch.compile wraps, once asked
        self.anchor_weight: float | None = None  # set by `anchoring` for the calls inside it
        # what the last `generate` call's pipeline changed in each take after denoising (`take_edits`); None
        # where it changes nothing of the kind
        self.edits: list[dict[str, int]] | None = None

    def apply(self, speedups: Speedups) -> None:
        """Turn on opt-in speed-ups (after loading; before the first call, so compiling sees it)."""
        if speedups.crop_window and not self.has_fixed_window:
            raise BadInputError(
                f"--crop-window applies to models with a fixed window (Stable Audio Open), not {self.name}"
            )
        if speedups.compile and self.denoiser_compiled is None:
            from foleykit.runtime import compile_denoiser

            self.denoiser_compiled = compile_denoiser(self.pipe)
        elif not speedups.compile and self.denoiser_compiled is not None:
            from foleykit.runtime import uncompile_denoiser

            uncompile_denoiser(self.pipe, self.denoiser_compiled)
            self.denoiser_compiled = None
        self.speedups = speedups

    # ---------------------------------------------------------------- without weights
    @classmethod
    def describe(cls, directory: Path) -> ModelInfo:
        """Sample rate, channels, longest clip and defaults, from the saved configs only."""
        return cls.describe_configs(lambda name: read_json(directory / name))

    @classmethod
    @abstractmethod
    def describe_configs(cls, read: ConfigReader) -> ModelInfo:
        """The same, from any source of the configs: files on disk, or a pipeline built in memory."""

    @classmethod
    def _info(cls, read: ConfigReader, **fields: Any) -> ModelInfo:
        index = read("model_index.json")
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
        # a file of the model that cannot be what it says (a config, an anchor list)
        except ValueError as err:
            raise ModelNotAvailableError(f"cannot load {directory}: {err}") from None
        finally:
            for library in libraries:
                library.enable_progress_bar()
        place_pipeline(pipe, device, dtype)
        return cls(pipe, info, device, dtype)

    @classmethod
    def from_pipeline(cls, pipe: Any, device: torch.device, dtype: torch.dtype) -> Backend:
        """Adopt a pipeline built in memory (a benchmark's random-weight model, a notebook's own pipe)."""
        from foleykit.runtime import place_pipeline

        info = cls.describe_configs(pipeline_config_reader(pipe))
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

    def prompt_anchor(self, prompt: str, guidance: float) -> dict[str, Any] | None:
        """A caption the pipeline pairs with `prompt` in guidance (only foleykit's own model does)."""
        return None

    def anchor_kwargs(self) -> dict[str, Any]:
        """The pipeline's keyword for `anchor_weight`, where it has one and a share was set."""
        return {}

    def has_anchor_list(self) -> bool:
        """Whether this loaded model has learned captions a prompt can be anchored to."""
        return False

    @contextmanager
    def anchoring(self, weight: float | None) -> Iterator[None]:
        """Pipeline calls inside give the prompt's nearest learned caption `weight` of the guidance (None:
        the model's own shares; 0: the prompt as worded; a weight replaces every share the model has). Hold
        the engine's lock around it: it is a setting of this loaded model, not of one call."""
        self.check_anchor_share(weight)
        before, self.anchor_weight = self.anchor_weight, weight
        try:
            yield
        finally:
            self.anchor_weight = before

    def check_anchor_share(self, weight: float | None) -> None:
        """`check_can_anchor`, and for a loaded model of a backend that anchors, that it lists captions."""
        self.check_can_anchor(weight)
        if weight and not self.has_anchor_list():
            raise BadInputError(
                "this model lists no learned captions to anchor prompts to (python -m foleykit.training.anchors "
                "MODEL_DIR lists them): use an anchor weight of 0 or none"
            )

    @classmethod
    def check_can_anchor(cls, weight: float | None) -> None:
        """One line when a share above 0 is asked of a model with no learned captions (before loading)."""
        if weight and not cls.anchors_prompts:
            raise BadInputError(
                f"{cls.name} models do not anchor prompts to learned captions: "
                "an anchor weight above 0 is for the bundled model"
            )

    def initial_noise(self, seconds: float, generators: list[torch.Generator]) -> dict[str, Any]:
        """Initial latents to hand the pipeline (`{"latents": …}`), or none to let it draw its own."""
        return {}

    # ---------------------------------------------------------------- working from a source
    def vary(
        self,
        audio: np.ndarray,
        prompts: list[str],
        seeds: list[int],
        strength: float,
        steps: int,
        guidance: float,
    ) -> np.ndarray:
        """Variations of `audio` (channels, samples at this model's rate), one per prompt/seed, as
        (batch, channels, samples) of the same length; `strength` in (0, 1]: how far from the source."""
        return self.from_source(audio, prompts, seeds, steps, guidance, strength=strength)

    def inpaint(
        self,
        audio: np.ndarray,
        region: tuple[float, float],
        prompts: list[str],
        seeds: list[int],
        steps: int,
        guidance: float,
    ) -> np.ndarray:
        """`audio` with `region` (start, end seconds) made again, one per prompt/seed: (batch, channels,
        samples), the length of `audio`. Past the end of the sound, `audio` holds silence there (extend)."""
        return self.from_source(audio, prompts, seeds, steps, guidance, region=region)

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
        """The one pipeline call behind `vary` (`strength`) and `inpaint` (`region`), for the backends
        whose pipelines can start from audio; the others say they cannot."""
        self.check_can("vary" if strength is not None else "inpaint")
        raise NotImplementedError(f"{type(self).__name__} says it can but has no from_source")

    @classmethod
    def check_can(cls, operation: str) -> None:
        """One line saying this backend cannot `operation` (vary, inpaint, extend), before any loading."""
        if operation == "vary" and not cls.can_vary:
            raise BadInputError(
                f"{cls.name} models cannot make variations here; use bundled, stable-audio or stable-audio-3"
            )
        if operation in ("inpaint", "extend") and not cls.can_inpaint:
            raise BadInputError(
                f"{cls.name} models cannot inpaint or extend here; use bundled or stable-audio-3"
            )

    @staticmethod
    def generators(seeds: list[int]) -> list[torch.Generator]:
        """One CPU generator per item, seeded: a take's noise depends on its seed alone, on any device."""
        import torch

        return [torch.Generator(device="cpu").manual_seed(seed) for seed in seeds]

    @staticmethod
    def _as_batch(audio: Any) -> np.ndarray:
        """(batch, channels, samples) float32: mono pipelines return (batch, samples)."""
        audio = np.asarray(audio, dtype=np.float32)
        return audio[:, None, :] if audio.ndim == 2 else audio

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

        from foleykit.progress import bar_options

        generators = self.generators(seeds)
        seconds = self.native_seconds(duration)

        self.pipe.set_progress_bar_config(**bar_options(disable=not progress), leave=False, desc="steps")
        output = self.pipe(
            prompt=prompts,
            negative_prompt=negative_prompts if any(negative_prompts) else None,
            num_inference_steps=steps,
            guidance_scale=guidance,
            num_waveforms_per_prompt=1,
            generator=generators,
            output_type="np",
            **self.call_kwargs(seconds),
            **self.anchor_kwargs(),
            **self.initial_noise(seconds, generators),
        )
        self.edits = take_edits(output)
        return self._as_batch(output.audios)


def pipeline_config_reader(pipe: Any) -> ConfigReader:
    """Config files as `save_pretrained` would write them, read from a pipeline object instead."""

    def read(name: str) -> dict[str, Any]:
        if name == "model_index.json":
            return {"_class_name": type(pipe).__name__, **dict(pipe.config)}
        component = getattr(pipe, name.partition("/")[0], None)
        if component is None or not hasattr(component, "config"):
            raise ModelNotAvailableError(f"the pipeline has no component with {name}")
        config = component.config
        return dict(config) if not hasattr(config, "to_dict") else config.to_dict()

    return read
