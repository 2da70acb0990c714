"""What a training run tells whoever started it, as typed events.

:func:`vaedesk.training.run.run_training` hands each to its ``on_event`` callback in the
order of the run: :class:`Started`, then for every optimiser step a :class:`StepDone` and
every few steps a :class:`Progress`, an :class:`EpochSaved` after each completed epoch,
:class:`Trained` when the last step is done, then :class:`Evaluating`, any
:class:`Notice` and :class:`Saved`. No PyTorch here: the studio's window reads
:class:`Progress` too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vaedesk.model.model import Model
    from vaedesk.model.nets import AutoEncoder
    from vaedesk.training.config import TrainConfig


@dataclass(frozen=True)
class Started:
    """The run's settings are checked, its destination writable and its data about to load."""

    config: TrainConfig  # a resumed run's are its checkpoint's
    out: Path  # where the model will be saved
    run_dir: Path  # where its checkpoint is written after every epoch
    resumed_after: int  # the epoch a resumed run continues after; 0 for a new run


@dataclass
class Progress:
    """One report from the training loop."""

    epoch: int  # 1-based
    epochs: int
    step: int  # global step, 1-based
    steps_per_epoch: int
    recon: float  # mean per image over the last report interval, nats
    kl: float
    images_per_second: float
    epoch_done: bool = False
    train: dict[str, float] = field(default_factory=dict)  # at epoch ends: the epoch's mean recon and kl
    test: dict[str, float] = field(default_factory=dict)  # at epoch ends: test recon, kl, neg_elbo


@dataclass(frozen=True)
class StepDone:
    """An optimiser step is done. ``net`` holds the weights the run keeps, in eval mode until
    the handler returns; a handler may wait here (the studio's pause)."""

    step: int  # 1-based, counted over the whole run
    net: AutoEncoder
    steps_per_epoch: int
    steps: int  # the run's last step: steps_per_epoch × epochs


@dataclass(frozen=True)
class EpochSaved:
    """An epoch is complete and its checkpoint written in ``run_dir``."""

    epoch: int
    run_dir: Path
    model_path: Path | None  # the model saved at the run's destination too (the studio's), else None


@dataclass(frozen=True)
class Trained:
    """The last step is done; the model (on the CPU, in eval mode) is not saved yet."""

    model: Model
    stopped: bool  # stopped early on request: it will not be saved or evaluated


@dataclass(frozen=True)
class Evaluating:
    """The model is saved at ``path`` and is being measured on the test set."""

    path: Path


@dataclass(frozen=True)
class Notice:
    """Something the user should know that does not stop the run."""

    text: str


@dataclass(frozen=True)
class Saved:
    """The run is finished: the model is saved at ``path`` with its measured ``metrics``."""

    path: Path
    metrics: dict[str, Any]


Event = Started | Progress | StepDone | EpochSaved | Trained | Evaluating | Notice | Saved
