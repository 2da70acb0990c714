"""One training run from start to saved model: the pipeline that ``vaedesk train`` (also
under torchrun) and the training studio's child process both call.

:func:`run_training` continues an interrupted run from its checkpoint or starts one from
its settings, checks that the model can be saved before the run (which may take hours),
trains with a checkpoint after every epoch, then saves the model, measures it on the
test set and forgets the finished run's checkpoint. It tells its caller what happens
through the events of :mod:`vaedesk.training.events`; whatever stops it is a
TrainingError in one line.
"""

from __future__ import annotations

import dataclasses
import numbers
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vaedesk.errors import VaedeskError
from vaedesk.training.checkpoint import RUN_SUFFIX, load_checkpoint, remove_run, run_dir_for
from vaedesk.training.config import TrainConfig, TrainingError
from vaedesk.training.distributed import Processes
from vaedesk.training.events import EpochSaved, Event, Saved, Started, StepDone, Trained

if TYPE_CHECKING:
    from vaedesk.model.model import Model
    from vaedesk.model.nets import AutoEncoder


@dataclass(frozen=True)
class TrainingRequest:
    """What to train and where the result goes: a new run's settings, or a run to resume."""

    config: TrainConfig | None = None  # a new run's settings (None when resuming: the checkpoint's own)
    out: str | os.PathLike | None = None  # where to save the model; None: a resumed run's own name, else
    # the user's model folder (saving.default_destination)
    resume: str | os.PathLike | None = None  # a run folder (NAME.run) or its checkpoint, to continue
    device: str | None = None  # with resume: the device for the rest of the run (settings are the run's own)
    initial: str | None = None  # a model (name or path) to fine-tune
    command: str | None = None  # the command that reproduces the run, for its card (a resumed run keeps its own)
    threads: int | None = None  # CPU threads for PyTorch; None: PyTorch's choice
    save_every_epoch: bool = False  # also save the model at ``out`` after every epoch (the studio shows them)
    report_every: int = 50  # optimiser steps between Progress events

    def __post_init__(self) -> None:
        if (self.config is None) == (self.resume is None):
            raise TrainingError("a training run needs either its settings or a run to resume, not both")
        if self.resume is not None and self.initial is not None:
            raise TrainingError("a resumed run continues from its checkpoint, not from another model")
        if self.threads is not None and (isinstance(self.threads, bool) or not isinstance(self.threads, int)
                                         or self.threads < 1):
            raise TrainingError(f"threads must be a whole number, at least 1, not {self.threads!r:.40}")
        if isinstance(self.report_every, bool) or not isinstance(self.report_every, numbers.Integral) \
                or self.report_every < 1:
            raise TrainingError(f"report_every must be a whole number of steps, at least 1, not "
                                f"{self.report_every!r:.40}")


@dataclass(frozen=True)
class TrainingOutcome:
    """How a run ended."""

    model: Model  # the trained weights (on the CPU) with their card
    path: Path | None  # where the model was saved; None if stopped early or not the first of several processes
    run_dir: Path  # the run's checkpoint folder: removed once the model is saved, kept by a stopped run
    stopped: bool  # stopped early on request: resumable from its last checkpoint


def run_training(request: TrainingRequest, on_event: Callable[[Event], None] | None = None, *,
                 should_stop: Callable[[], bool] | None = None) -> TrainingOutcome:
    """Run ``request`` to its end and return how it ended; ``on_event`` hears every
    :mod:`event <vaedesk.training.events>` on the way. ``should_stop`` is asked after every
    step: when it says True the run ends there, unsaved and resumable from its last epoch.

    Every expected failure (settings, data, a model to fine-tune, a checkpoint, the
    destination, a diverging loss) is a :class:`TrainingError`; on several processes only the
    first writes anything.
    """
    emit = on_event or _ignore
    try:
        return _run(request, emit, should_stop)
    except TrainingError:
        raise
    except VaedeskError as exc:  # the data, the model to fine-tune: one kind of error for the callers
        raise TrainingError(str(exc)) from exc


def _run(request: TrainingRequest, emit: Callable[[Event], None],
         should_stop: Callable[[], bool] | None) -> TrainingOutcome:
    import torch

    from vaedesk.model.model import load_model
    from vaedesk.training.loop import train
    from vaedesk.training.saving import check_writable, default_destination, reason, save_and_evaluate

    processes = Processes.from_environment()
    if request.threads is not None:
        torch.set_num_threads(request.threads)
    resume = load_checkpoint(request.resume) if request.resume is not None else None
    if resume is not None:
        config = TrainConfig.from_dict(resume["config"])
        if request.device is not None:
            config = dataclasses.replace(config, device=request.device)
        command = resume["command"]
    else:
        assert request.config is not None  # a run that resumes nothing has settings (checked on creation)
        config = dataclasses.replace(request.config)  # train() fills in a fine-tuned model's architecture
        command = request.command
    out = Path(request.out) if request.out is not None else (
        _resumed_destination(request.resume) if request.resume is not None else default_destination(config))
    run_dir = run_dir_for(out)
    initial = load_model(request.initial) if request.initial is not None else None
    if processes.is_main:
        check_writable(out)  # before the run, not after it
    emit(Started(config, out, run_dir, 0 if resume is None else int(resume["epoch"])))

    def on_epoch(model: Model) -> None:
        epoch, saved = int(model.card["epochs"]), None
        if request.save_every_epoch:
            try:
                saved = model.save(out)
            except (OSError, VaedeskError) as exc:  # this epoch's checkpoint is written: it can go on later
                raise TrainingError(f"cannot save epoch {epoch}'s model as {out} ({reason(exc)}); the run can "
                                    f"be resumed from {run_dir}") from None
        emit(EpochSaved(epoch, run_dir, saved))

    steps_per_epoch = 0  # known once the data is loaded

    def on_start(count: int) -> None:
        nonlocal steps_per_epoch
        steps_per_epoch = count

    def on_step(step: int, net: AutoEncoder) -> None:
        emit(StepDone(step, net, steps_per_epoch, steps_per_epoch * config.epochs))

    model = train(config, on_progress=emit, should_stop=should_stop, report_every=request.report_every,
                  command=command, initial=initial, on_step=on_step, on_epoch=on_epoch, run_dir=run_dir,
                  resume=resume, on_start=on_start)
    processes.finish()
    stopped = bool(model.card.get("stopped_early"))
    emit(Trained(model, stopped))
    if stopped or not processes.is_main:
        return TrainingOutcome(model, None, run_dir, stopped)
    path = save_and_evaluate(model, out, config.data_dir, on_event=emit)
    remove_run(run_dir)
    emit(Saved(path, model.card["metrics"]))
    return TrainingOutcome(model, path, run_dir, stopped)


def _resumed_destination(resume: str | os.PathLike) -> Path:
    """The model a run in ``resume`` (its folder or its checkpoint) was to save."""
    folder = Path(resume) if Path(resume).is_dir() else Path(resume).parent
    return folder.with_name(folder.name.removesuffix(RUN_SUFFIX))


def _ignore(_event: Any) -> None:
    pass
