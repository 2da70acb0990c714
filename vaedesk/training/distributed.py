"""This process's place in a run that ``torchrun`` started on several processes.

torchrun describes it in environment variables (WORLD_SIZE, RANK, LOCAL_RANK and the
rendezvous address MASTER_ADDR and MASTER_PORT); :meth:`Processes.from_environment` is the
one place that reads them. Each process trains on its share of every batch with
DistributedDataParallel; the first alone reports, writes checkpoints and saves the model.
PyTorch is imported only to join or leave the process group.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vaedesk.training.config import TrainingError

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class Processes:
    """This process's rank among ``world`` processes (one process: rank 0 of 1)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0  # its rank on this machine: which GPU it takes

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Processes:
        """What torchrun set (``os.environ`` unless given); a lone process without it.
        TrainingError for values torchrun would never set."""
        environ = os.environ if environ is None else environ
        world = _whole(environ, "WORLD_SIZE", 1)
        if world <= 1:
            return cls()
        missing = [name for name in ("MASTER_ADDR", "MASTER_PORT") if not environ.get(name)]
        if missing:
            raise TrainingError(f"WORLD_SIZE is {world} but {' and '.join(missing)} is not set: start a run on "
                                "several processes with torchrun")
        rank, local_rank = _whole(environ, "RANK", 0), _whole(environ, "LOCAL_RANK", 0)
        if not 0 <= rank < world:
            raise TrainingError(f"RANK {rank} is not one of the {world} processes' (0..{world - 1})")
        return cls(rank, world, local_rank)

    @property
    def is_main(self) -> bool:
        """The first process: the one that reports and saves."""
        return self.rank == 0

    def launcher(self) -> str:
        """The start of the command line that runs this many processes ("" for one)."""
        return f"torchrun --standalone --nproc-per-node {self.world} -m " if self.world > 1 else ""

    def start(self, device: torch.device) -> None:
        """Join the process group: NCCL between GPUs, gloo on CPUs."""
        import torch.distributed

        if self.world > 1 and not torch.distributed.is_initialized():
            torch.distributed.init_process_group("nccl" if device.type == "cuda" else "gloo")

    def total(self, values: torch.Tensor) -> torch.Tensor:
        """``values`` summed over every process (itself alone in a one-process run)."""
        if self.world > 1:
            import torch.distributed

            torch.distributed.all_reduce(values)
        return values

    def finish(self) -> None:
        """Leave the process group, if this process joined one."""
        if self.world > 1:
            import torch.distributed

            if torch.distributed.is_available() and torch.distributed.is_initialized():
                torch.distributed.destroy_process_group()


def _whole(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name, "")
    if not text.strip():
        return default
    try:
        return int(text)
    except ValueError:
        raise TrainingError(f"{name} must be a whole number, not {text[:40]!r}") from None
