"""Device and dtype choice: auto picks what the machine has; a missing accelerator is bad input."""

from __future__ import annotations

import pytest
import torch

from foleykit.errors import BadInputError
from foleykit.runtime import resolve_device, resolve_dtype


def test_auto_device_and_dtype_on_this_machine() -> None:
    device = resolve_device("auto")
    expected = "cuda" if torch.cuda.is_available() else device.type
    assert device.type == expected
    if device.type == "cpu":
        assert resolve_dtype("auto", device) == torch.float32
    assert resolve_dtype("auto", torch.device("mps")) == torch.float16
    assert resolve_dtype("bf16", device) == torch.bfloat16


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_requested_without_a_gpu_is_bad_input() -> None:
    with pytest.raises(BadInputError, match="no CUDA GPU"):
        resolve_device("cuda")


def test_unknown_names_are_bad_input() -> None:
    with pytest.raises(BadInputError, match="unknown device"):
        resolve_device("tpu")
    with pytest.raises(BadInputError, match="unknown dtype"):
        resolve_dtype("int8", torch.device("cpu"))
