"""The bundled model's pipeline: MiniLM text → cross-attention UNet over a log-mel latent (a VAE's, or the
fixed linear `MelPatchCode`) → Griffin-Lim or the HiFi-GAN."""

from foleykit.pipelines.foley.architecture import FoleyArchitecture, build_foley_pipeline
from foleykit.pipelines.foley.patch_code import MelPatchCode
from foleykit.pipelines.foley.pipeline_foley import FoleyPipeline, load_minilm

__all__ = ["FoleyArchitecture", "FoleyPipeline", "MelPatchCode", "build_foley_pipeline", "load_minilm"]
