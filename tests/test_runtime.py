"""Device and dtype choice: auto picks what the machine has; a missing accelerator is bad input."""

from __future__ import annotations

import pytest
import torch

from foleykit.errors import BadInputError
from foleykit.runtime import resolve_device, resolve_dtype


@pytest.mark.skipif(
    torch.cuda.is_available() or torch.backends.mps.is_available(), reason="this machine has an accelerator"
)
def test_auto_falls_back_to_cpu_and_fp32_without_an_accelerator() -> None:
    device = resolve_device("auto")
    assert device.type == "cpu"
    assert resolve_dtype("auto", device) == torch.float32


def test_explicit_and_accelerator_dtypes() -> None:
    assert resolve_dtype("auto", torch.device("mps")) == torch.float16
    assert resolve_dtype("bf16", torch.device("cpu")) == torch.bfloat16
    assert resolve_dtype("fp16", torch.device("cpu")) == torch.float16


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_requested_without_a_gpu_is_bad_input() -> None:
    with pytest.raises(BadInputError, match="no CUDA GPU"):
        resolve_device("cuda")


def test_unknown_names_are_bad_input() -> None:
    with pytest.raises(BadInputError, match="unknown device"):
        resolve_device("tpu")
    with pytest.raises(BadInputError, match="unknown dtype"):
        resolve_dtype("int8", torch.device("cpu"))
