"""The training loop: :func:`train` runs a run's epochs, each epoch its steps.

It puts together the pieces beside it: the data and each step's batch
(:mod:`vaedesk.training.batches`, with :mod:`vaedesk.training.augment`), the network and
what moves its weights (:mod:`vaedesk.training.optimisation`), the device and the
processes (:mod:`vaedesk.training.devices`, :mod:`vaedesk.training.distributed`) and the
checkpoints (:mod:`vaedesk.training.checkpoint`). Pure PyTorch with no Qt: the command line
and the training studio both run it through :func:`vaedesk.training.run.run_training`.
It reports through callbacks and stops cooperatively when asked.
"""

from __future__ import annotations

import math
import numbers
import os
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import torch

from vaedesk import __version__
from vaedesk.data.datasets import dataset_name
from vaedesk.insight.evaluation import evaluate_loss
from vaedesk.model.model import Model, new_card
from vaedesk.model.nets import AutoEncoder, loss_terms
from vaedesk.training.batches import TrainingData
from vaedesk.training.checkpoint import restore_checkpoint, write_checkpoint
from vaedesk.training.config import TrainConfig, TrainingError
from vaedesk.training.devices import amp_dtype, describe, device_for
from vaedesk.training.distributed import Processes
from vaedesk.training.events import Progress
from vaedesk.training.optimisation import Optimisation, build_network

__all__ = ["train"]

StepHook = Callable[[int, AutoEncoder], None]


def train(
    config: TrainConfig,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    report_every: int = 50,
    command: str | None = None,
    initial: Model | None = None,
    on_step: StepHook | None = None,
    on_epoch: Callable[[Model], None] | None = None,
    run_dir: str | os.PathLike | None = None,
    resume: dict[str, Any] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> Model:
    """Train a model from scratch (or fine-tune ``initial``) and return it with its card.

    Raises TrainingError if the loss becomes NaN or infinite. If ``should_stop`` returns
    True, training ends after the current step and the model so far is returned with
    ``card["stopped_early"] = True``. ``on_step(step, net)`` runs after every optimiser
    step (it may pause there, or look at the weights in eval mode); ``on_epoch(model)``
    gets the model after each completed epoch with its card, e.g. to save a checkpoint.
    ``on_start(steps_per_epoch)`` runs once the data is loaded, before the first step.

    With ``run_dir``, every completed epoch also writes a checkpoint there
    (:mod:`vaedesk.training.checkpoint`); ``resume`` (a loaded checkpoint) continues that run where
    it stopped, with its own settings. Started by ``torchrun``, each process trains on its
    share of every batch with DistributedDataParallel; the first alone saves anything.
    """
    config.validate()
    if isinstance(report_every, bool) or not isinstance(report_every, numbers.Integral) or report_every < 1:
        raise TrainingError(f"report_every must be a whole number of steps, at least 1, got {report_every!r:.40}")
    run = _Run(config, command, initial, resume, run_dir)
    if on_start is not None:
        on_start(run.steps_per_epoch)
    stopped = False
    for epoch in range(run.first_epoch, config.epochs + 1):
        stopped = run.epoch(epoch, on_progress, should_stop, report_every, on_step, on_epoch)
        if stopped:
            break
    return run.result(stopped)


class _Run:
    """One run's state between its steps: the data, the network and its optimisation, the
    shared random stream, the step count and the loss history."""

    def __init__(self, config: TrainConfig, command: str | None, initial: Model | None,
                 resume: dict[str, Any] | None, run_dir: str | os.PathLike | None) -> None:
        self.config, self.command, self.run_dir = config, command, run_dir
        self.processes = Processes.from_environment()
        self.device = device_for(config.device, self.processes)
        self.amp_dtype = amp_dtype(self.device) if config.amp else None
        self.processes.start(self.device)
        # Each process its own stream for the posterior samples; the first keeps the seed's, so
        # a one-process run is what it always was.
        torch.manual_seed(config.seed + self.processes.rank)
        self.generator = torch.Generator().manual_seed(config.seed)  # shared: every process shuffles alike
        self.data = TrainingData.load(config, self.device)
        net = build_network(config, initial, resuming=resume is not None).to(self.device).train()
        self.steps_per_epoch = math.ceil(len(self.data.train) / config.batch_size)
        self.optimisation = Optimisation(net, config, self.steps_per_epoch * config.epochs)
        self.history: list[dict[str, float]] = []
        self.step = 0
        self.first_epoch = 1
        self.resumed = 0
        self.spent = 0.0  # seconds trained before a resume
        if resume is not None:
            self.first_epoch, self.step, self.spent, self.resumed = restore_checkpoint(
                resume, self.optimisation, self.generator, self.processes)
            self.history = list(resume["history"])
        self.optimisation.distribute(self.processes, self.device, self.amp_dtype)
        # A fine-tuned model is reproduced by its parent's recipe, then this one's command.
        self.ancestor = resume.get("initial_card") if resume is not None else (
            None if initial is None else {key: initial.card.get(key) for key in _ANCESTOR_KEYS})
        self.started = time.perf_counter()

    def seconds(self) -> float:
        """Seconds trained, before a resume included."""
        return self.spent + time.perf_counter() - self.started

    def epoch(self, epoch: int, on_progress: Callable[[Progress], None] | None,
              should_stop: Callable[[], bool] | None, report_every: int, on_step: StepHook | None,
              on_epoch: Callable[[Model], None] | None) -> bool:
        """One pass over the training set in a fresh order; True if it stopped on request."""
        net, kept, count = self.optimisation.net, self.optimisation.kept, len(self.data.train)
        order = torch.randperm(count, generator=self.generator)
        window = torch.zeros(3, dtype=torch.float64)  # recon, kl, images since the last report
        epoch_totals = torch.zeros(2, dtype=torch.float64)
        window_start = time.perf_counter()
        stopped = False
        for start in range(0, count, self.config.batch_size):
            sums = self.train_step(order[start : start + self.config.batch_size], epoch)
            window += sums
            epoch_totals += sums[:2]
            if on_step is not None:
                net.eval()
                on_step(self.step, kept)
                net.train()
            last_of_epoch = start + self.config.batch_size >= count
            if should_stop is not None and should_stop():
                stopped = True
            if self.step % report_every == 0 or last_of_epoch or stopped:
                elapsed = max(time.perf_counter() - window_start, 1e-9)
                recon_sum, kl_sum, images = window.tolist()
                report = Progress(epoch, self.config.epochs, self.step, self.steps_per_epoch,
                                  recon_sum / images, kl_sum / images, images / elapsed)
                if last_of_epoch:
                    self.end_epoch(report, epoch_totals)
                if on_progress is not None and self.processes.is_main:
                    on_progress(report)
                if last_of_epoch and not stopped and self.processes.is_main:
                    net.eval()
                    self.keep_epoch(epoch, on_epoch)
                    net.train()
                window.zero_()
                window_start = time.perf_counter()
            if stopped:
                break
        return stopped

    def train_step(self, rows: torch.Tensor, epoch: int) -> torch.Tensor:
        """One optimiser step on the training images ``rows``; returns the summed recon and
        KL terms and the image count over every process (float64, on the CPU)."""
        inputs, targets = self.data.batch(rows, self.generator, self.config, self.processes)
        device = self.device
        inputs, targets = inputs.to(device, non_blocking=True), targets.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=self.amp_dtype, enabled=self.amp_dtype is not None):
            logits, mean, logvar = self.optimisation.forward(inputs)
            recon, kl = loss_terms(logits.float(), targets, mean.float(), None if logvar is None else logvar.float())
        loss = (recon + self.config.beta * kl).mean()
        counted = torch.stack([recon.sum(), kl.sum(), torch.tensor(float(len(targets)), device=device)])
        sums = self.processes.total(counted.detach()).to("cpu", torch.float64)  # on the device: NCCL reduces there
        if not torch.isfinite(sums).all():  # every process sees the same sums, so all stop together
            raise TrainingError(
                f"training diverged at epoch {epoch}, step {self.step + 1} (the loss became {loss.item()}); "
                "try a lower learning rate"
            )
        self.optimisation.step(loss)
        self.step += 1
        return sums

    def end_epoch(self, report: Progress, epoch_totals: torch.Tensor) -> None:
        """Complete an epoch's last report: the epoch's mean training terms and the kept
        weights' test loss, which go into the history too."""
        count = len(self.data.train)
        report.epoch_done = True
        report.train = {"recon": epoch_totals[0].item() / count, "kl": epoch_totals[1].item() / count}
        report.test = evaluate_loss(self.optimisation.kept, self.data.test, seed=self.config.seed)
        self.history.append({"epoch": report.epoch, **{f"train_{k}": v for k, v in report.train.items()},
                             **{f"test_{k}": v for k, v in report.test.items()}})

    def keep_epoch(self, epoch: int, on_epoch: Callable[[Model], None] | None) -> None:
        """After a completed epoch: its checkpoint, and the model so far for ``on_epoch``."""
        if self.run_dir is not None:
            write_checkpoint(self.run_dir, self.config, self.command, self.ancestor, epoch, self.step,
                             self.history, self.seconds(), self.resumed, self.optimisation, self.generator)
        if on_epoch is not None:
            on_epoch(Model(self.optimisation.kept, self.card(epoch)))

    def result(self, stopped: bool) -> Model:
        """The kept weights on the CPU with their card."""
        kept = self.optimisation.kept
        kept.eval()
        kept.to("cpu")  # the app's inference, the card and the weights file are CPU's
        card = self.card(self.config.epochs if not stopped else round(self.step / self.steps_per_epoch, 2))
        if stopped:
            card["stopped_early"] = True
        return Model(kept, card)

    def card(self, epochs_done: float) -> dict[str, Any]:
        """The model card of the weights after ``epochs_done`` epochs."""
        config = self.config
        card = new_card(config.kind, config.latent_dim, config.width, config.hidden)
        settings = asdict(config)
        card.update(
            dataset=dataset_name(config.data_dir),
            training={k: v for k, v in settings.items() if k not in ("kind", "latent_dim", "width", "hidden")},
            seed=config.seed,
            epochs=epochs_done,
            command=self.command,
            history=list(self.history),
            train_seconds=round(self.seconds(), 1),
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            vaedesk_version=__version__,
            torch_version=torch.__version__,
            threads=torch.get_num_threads(),
            fine_tuned_from=self.ancestor,
        )
        card.update(device=describe(self.device), processes=self.processes.world, torch_cuda=torch.version.cuda)
        if self.resumed:
            card["resumed"] = self.resumed
        return card


_ANCESTOR_KEYS = ("name", "command", "seed", "epochs", "fine_tuned_from", "weights_sha256")
