"""Where training and sampling run: the config's `device` (auto, cpu, cuda) as a torch device."""

from __future__ import annotations

import torch

from cldm import CldmError


def resolve_device(name: str) -> torch.device:
    """auto: CUDA where a GPU is visible, else the CPU; cuda without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise CldmError("device: cuda was asked for, but torch sees no CUDA device (use auto or cpu)")
    return torch.device(name)
