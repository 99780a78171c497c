"""foleykit: text-to-audio diffusion for foley and sound design.

One Python API under the CLI and the UI: `foleykit.generate(...)` turns a prompt into delivery-ready
48 kHz/24-bit WAV takes with JSON sidecars.
"""

__version__ = "0.1.0"

from foleykit.engine import Engine, GenerationResult, Take, generate
from foleykit.errors import BadInputError, FoleykitError, ModelNotAvailableError, OutputExistsError
from foleykit.models import describe_models, resolve_model
from foleykit.request import SoundRequest

__all__ = [
    "BadInputError",
    "Engine",
    "FoleykitError",
    "GenerationResult",
    "ModelNotAvailableError",
    "OutputExistsError",
    "SoundRequest",
    "Take",
    "__version__",
    "describe_models",
    "generate",
    "resolve_model",
]
