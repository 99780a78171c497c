"""The bundled model's pipeline: MiniLM text → cross-attention UNet over a log-mel latent (a VAE's, or the
fixed linear `MelPatchCode`) → Griffin-Lim or the HiFi-GAN.

The pipeline's classes load on first use (PEP 562), so that its model-free parts (`descriptors`, `walks`,
`counts`: numpy and scipy only) import without torch and diffusers, as the benches that count events do."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "FoleyArchitecture": "architecture",
    "build_foley_pipeline": "architecture",
    "MelPatchCode": "patch_code",
    "FoleyPipeline": "pipeline_foley",
    "load_minilm": "pipeline_foley",
}
__all__ = sorted(_EXPORTS, key=str.lower)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
