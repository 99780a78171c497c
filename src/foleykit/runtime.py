"""Device and dtype choice (through accelerate), keeping waveform decoding in float32, and compiling the
denoiser."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from foleykit.errors import BadInputError

DEVICES = ("auto", "cpu", "cuda", "mps")
DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
# Components that turn latents into waveforms: always float32 (fp16 waveforms are a known source of bad files).
DECODER_COMPONENTS = ("vae", "vocoder")
# The component that runs once per denoising step (and per guidance branch): where the time goes.
DENOISER_COMPONENTS = ("unet", "transformer")


def _mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def resolve_device(name: str = "auto") -> torch.device:
    """`auto` asks accelerate (cuda, then mps, then cpu; the local rank's GPU under `accelerate launch`)."""
    if name == "auto":
        from accelerate import PartialState

        return torch.device(PartialState().device)
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda":
        if not torch.cuda.is_available():
            raise BadInputError(f"--device cuda: no CUDA GPU is usable here (torch {torch.__version__})")
        return torch.device("cuda")
    if name == "mps":
        if not _mps_available():
            raise BadInputError("--device mps: Apple's MPS backend is not available here")
        return torch.device("mps")
    raise BadInputError(f"unknown device {name!r}; choose one of {', '.join(DEVICES)}")


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    """`auto`: bf16 on GPUs that have it (else fp16), fp16 on mps, fp32 on cpu."""
    if name == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float16 if device.type == "mps" else torch.float32
    if name not in DTYPES:
        raise BadInputError(f"unknown dtype {name!r}; choose one of auto, {', '.join(DTYPES)}")
    return DTYPES[name]


def dtype_name(dtype: torch.dtype) -> str:
    return next((k for k, v in DTYPES.items() if v == dtype), str(dtype))


def _cast_floats_to_float32(module: torch.nn.Module, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    def cast(value: Any) -> Any:
        if isinstance(value, torch.Tensor) and value.is_floating_point() and value.dtype != torch.float32:
            return value.float()
        return value

    return tuple(cast(a) for a in args), {k: cast(v) for k, v in kwargs.items()}


def place_pipeline(pipe: Any, device: torch.device, dtype: torch.dtype) -> None:
    """Move a diffusers pipeline to `device`: denoiser and text encoders in `dtype`, decoders in float32.

    Stock pipelines hand the decoders latents in the denoiser's dtype, so the decoders' entry modules get
    a forward pre-hook that casts their inputs to float32 (PyTorch's hook API; the pipeline is untouched).
    """
    if device.type == "cuda":  # same request + seed + machine ⇒ same samples (DESIGN §2)
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    for name, component in pipe.components.items():
        if not isinstance(component, torch.nn.Module):
            continue
        decoder = name in DECODER_COMPONENTS
        component.to(device=device, dtype=torch.float32 if decoder else dtype)
        if decoder and dtype != torch.float32:
            entries = [component] + [getattr(component, n, None) for n in ("post_quant_conv", "decoder")]
            for entry in entries:
                if isinstance(entry, torch.nn.Module):
                    entry.register_forward_pre_hook(_cast_floats_to_float32, with_kwargs=True)


def inductor_cache_dir() -> Path:
    """Where compiled kernels persist between processes: the user's cache, unless torch is told otherwise."""
    if os.environ.get("TORCHINDUCTOR_CACHE_DIR"):
        return Path(os.environ["TORCHINDUCTOR_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "foleykit" / "torchinductor"


def compile_backend() -> str:
    """torch.compile's backend: inductor, unless FOLEYKIT_COMPILE_BACKEND names another (`eager` traces
    without generating code: a dry run that checks the graphs in seconds on a CPU)."""
    return os.environ.get("FOLEYKIT_COMPILE_BACKEND", "inductor")


def compile_denoiser(pipe: Any) -> str:
    """`torch.compile` the pipeline's denoiser in place and return its component name.

    Compiling happens lazily at the first call. Kernels go to `inductor_cache_dir()` so later processes
    skip most of the compile time, and dynamo's `suppress_errors` makes a failed compile (no C++ compiler,
    an unsupported op) run that code eagerly instead of failing the take.
    """
    import torch._dynamo

    backend = compile_backend()

    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(inductor_cache_dir()))
    torch._dynamo.config.suppress_errors = True
    for name in DENOISER_COMPONENTS:
        module = getattr(pipe, name, None)
        if isinstance(module, torch.nn.Module):
            module.compile(backend=backend)
            return name
    raise ValueError(f"{type(pipe).__name__} has no denoiser among {', '.join(DENOISER_COMPONENTS)}")


def uncompile_denoiser(pipe: Any, name: str) -> None:
    """Undo `compile_denoiser`: the module runs eagerly again (`nn.Module.compile` keeps the original)."""
    getattr(pipe, name)._compiled_call_impl = None
