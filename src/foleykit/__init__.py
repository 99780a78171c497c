"""foleykit: text-to-audio diffusion for foley and sound design.

One Python API under the CLI and the UI: `foleykit.generate(...)` turns a prompt into delivery-ready
48 kHz/24-bit WAV takes with JSON sidecars; `foleykit.sync(...)` places a cue sheet's sounds on their
frames of a video and exports them for editors; `foleykit.spot(...)` proposes the cue sheet.
"""

__version__ = "0.1.0"

from foleykit.engine import Engine, GenerationResult, Take, generate
from foleykit.errors import BadInputError, FoleykitError, ModelNotAvailableError, OutputExistsError
from foleykit.framesync.api import SyncResult, sync
from foleykit.framesync.spot import SpotResult
from foleykit.framesync.spot import spot_events as spot
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
    "SpotResult",
    "SyncResult",
    "Take",
    "__version__",
    "describe_models",
    "generate",
    "resolve_model",
    "spot",
    "sync",
]
