"""The device a run trains on, and the precision it computes in."""

from __future__ import annotations

import torch

from vaedesk.training.config import TrainingError
from vaedesk.training.distributed import Processes


def pick_device(name: str = "auto") -> torch.device:
    """The device a run asks for: "auto" is CUDA when available, then Apple's MPS, else the
    CPU. TrainingError when the asked-for one is not on this machine."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        return torch.device("mps" if mps is not None and mps.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise TrainingError(f"--device {name}: this PyTorch ({torch.__version__}) has no CUDA device to use")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise TrainingError(f"--device {name}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    if device.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise TrainingError(f"--device {name}: Apple's MPS is not available here")
    return device


def device_for(name: str, processes: Processes) -> torch.device:
    """:func:`pick_device`; on several processes, "cuda" is each one's own GPU."""
    device = pick_device(name)
    if device.type == "cuda" and processes.world > 1 and device.index is None:
        device = torch.device("cuda", processes.local_rank)
    return device


def describe(device: torch.device) -> str:
    """The device as a model card records it, e.g. "cuda:0 (NVIDIA H100)"."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return device.type


def amp_dtype(device: torch.device) -> torch.dtype:
    """The lower precision --amp computes in on ``device``."""
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "cpu":
        return torch.bfloat16
    raise TrainingError(f"--amp runs on CUDA or the CPU, not on {device.type}")
