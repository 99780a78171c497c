"""Diffusion pipelines that foleykit defines itself (the stock ones come from diffusers)."""

from foleykit.pipelines.foley import FoleyArchitecture, FoleyPipeline, build_foley_pipeline

__all__ = ["FoleyArchitecture", "FoleyPipeline", "build_foley_pipeline"]
