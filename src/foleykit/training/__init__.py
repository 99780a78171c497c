"""Training the bundled model on the procedural foley corpus (see `foleykit.training.trainer`).

The names below load on first use (PEP 562), as in `foleykit`: a tool of this package run as a module
(`python -m foleykit.training.records`) is not imported first by the trainer it serves, and needs no torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_TRAINER_NAMES = ("RECIPES", "STAGES", "StageRecipe", "TrainRecipe", "export", "train")


def __getattr__(name: str) -> Any:
    if name not in _TRAINER_NAMES:
        raise AttributeError(f"module 'foleykit.training' has no attribute {name!r}")
    value = getattr(import_module("foleykit.training.trainer"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_TRAINER_NAMES])


__all__ = list(_TRAINER_NAMES)
