"""Model backends: one interface (`Backend`), one thin adapter per diffusers pipeline class."""

from foleykit.backends.base import Backend, ModelInfo, Speedups
from foleykit.backends.pipelines import (
    BACKEND_BY_PIPELINE,
    BACKENDS,
    AudioLDM2Backend,
    AudioLDMBackend,
    BundledBackend,
    StableAudio3Backend,
    StableAudioBackend,
)

__all__ = [
    "BACKENDS",
    "BACKEND_BY_PIPELINE",
    "AudioLDM2Backend",
    "AudioLDMBackend",
    "Backend",
    "BundledBackend",
    "ModelInfo",
    "Speedups",
    "StableAudio3Backend",
    "StableAudioBackend",
]
