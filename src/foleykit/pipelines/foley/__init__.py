"""The bundled model's pipeline: MiniLM text → cross-attention UNet over a log-mel VAE latent → HiFi-GAN."""

from foleykit.pipelines.foley.architecture import FoleyArchitecture, build_foley_pipeline
from foleykit.pipelines.foley.pipeline_foley import FoleyPipeline, load_minilm

__all__ = ["FoleyArchitecture", "FoleyPipeline", "build_foley_pipeline", "load_minilm"]
