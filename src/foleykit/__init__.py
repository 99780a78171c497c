"""foleykit: text-to-audio diffusion for foley and sound design.

One Python API under the CLI and the UI: `foleykit.generate(...)` turns a prompt into delivery-ready
48 kHz/24-bit WAV takes with JSON sidecars; `foleykit.sync(...)` places a cue sheet's (or an editor's
markers') sounds on their frames of a video and exports them for editors; `foleykit.spot(...)` proposes
the cues.

The names below load on first use (PEP 562), so `foleykit --help` and a bad-input error do not pay for
torch, scipy or OpenTimelineIO.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_API = {
    "BadInputError": ("foleykit.errors", "BadInputError"),
    "Engine": ("foleykit.engine", "Engine"),
    "FoleykitError": ("foleykit.errors", "FoleykitError"),
    "GenerationResult": ("foleykit.engine", "GenerationResult"),
    "ModelNotAvailableError": ("foleykit.errors", "ModelNotAvailableError"),
    "OutputExistsError": ("foleykit.errors", "OutputExistsError"),
    "SoundRequest": ("foleykit.request", "SoundRequest"),
    "SpotResult": ("foleykit.framesync.spot", "SpotResult"),
    "SyncResult": ("foleykit.syncing", "SyncResult"),
    "Take": ("foleykit.engine", "Take"),
    "describe_models": ("foleykit.models", "describe_models"),
    "generate": ("foleykit.engine", "generate"),
    "resolve_model": ("foleykit.models", "resolve_model"),
    "spot": ("foleykit.framesync.spot", "spot_events"),
    "sync": ("foleykit.syncing", "sync"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _API[name]
    except KeyError:
        raise AttributeError(f"module 'foleykit' has no attribute {name!r}") from None
    value = getattr(import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])


__all__ = ["__version__", *sorted(_API)]
