"""Diffusion pipelines that foleykit defines itself (the stock ones come from diffusers); they load on first
use (see `foleykit.pipelines.foley`)."""

from __future__ import annotations

from typing import Any

__all__ = ["FoleyArchitecture", "FoleyPipeline", "build_foley_pipeline"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from foleykit.pipelines import foley

    return getattr(foley, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
