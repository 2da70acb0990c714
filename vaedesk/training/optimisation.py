"""The network a run trains and what moves its weights: which parts learn, the Adam
optimiser, the learning-rate schedule, mixed precision's loss scaling and the moving
average of the weights that a run can keep instead of its last step's."""

from __future__ import annotations

import copy
import math

import torch

from vaedesk.model.model import Model
from vaedesk.model.nets import AutoEncoder
from vaedesk.training.config import TrainConfig, TrainingError
from vaedesk.training.distributed import Processes


def build_network(config: TrainConfig, initial: Model | None, resuming: bool) -> AutoEncoder:
    """A new network for ``config``, or ``initial``'s to fine-tune (whose architecture then
    becomes the config's width and hidden)."""
    if initial is not None:
        if initial.kind != config.kind or initial.latent_dim != config.latent_dim:
            raise TrainingError(
                f"cannot fine-tune a {initial.kind} with a {initial.latent_dim}-d latent as a "
                f"{config.kind} with a {config.latent_dim}-d latent"
            )
        arch = initial.card["architecture"]
        config.width, config.hidden = arch["width"], arch["hidden"]
        return initial.net
    if (config.decoder_only or config.keep_means) and not resuming:
        raise TrainingError("training the decoder alone needs a model to fine-tune, whose encoder it keeps")
    return AutoEncoder(config.kind, config.latent_dim, config.width, config.hidden)


class WeightAverage:
    """An exponential moving average of a network's weights (``decay`` per step). Its
    weights are the ones evaluated and saved: they sit in a flatter, better-generalising
    spot than the last step's."""

    def __init__(self, net: AutoEncoder, decay: float) -> None:
        self.net = copy.deepcopy(net).eval().requires_grad_(False)
        self.decay = decay

    @torch.no_grad()
    def update(self, net: AutoEncoder) -> None:
        ours: list[torch.Tensor] = list(self.net.parameters())
        theirs = list(net.parameters())
        torch._foreach_lerp_(ours, [t.detach() for t in theirs], 1.0 - self.decay)


class Optimisation:
    """A network in training (on its device, in train mode) and its optimiser, schedule and
    weight average. :meth:`distribute` comes after a checkpoint is restored into them."""

    def __init__(self, net: AutoEncoder, config: TrainConfig, total_steps: int) -> None:
        self.net = net
        self.average = WeightAverage(net, config.ema) if config.ema > 0 else None
        net.encoder.requires_grad_(not config.decoder_only)
        if config.keep_means:  # the features feed the means too: only the spread's own head moves
            net.encoder.features.requires_grad_(False)
            net.encoder.mean.requires_grad_(False)
        self.optimizer = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=config.lr)
        # Cosine decay to 5% of the initial rate: a smooth end sharpens the final loss.
        self.schedule = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer,
            lambda s: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(s, total_steps) / total_steps)),
        )
        self.forward: torch.nn.Module = net  # what a step calls: the network, or its distributed wrapper
        self.scaler: torch.amp.GradScaler | None = None

    @property
    def kept(self) -> AutoEncoder:
        """The weights that are evaluated, shown and saved: the average's, if there is one."""
        return self.net if self.average is None else self.average.net

    def distribute(self, processes: Processes, device: torch.device, amp_dtype: torch.dtype | None) -> None:
        """Wrap the network for several processes (DistributedDataParallel averages their
        gradients in every backward pass) and scale fp16 losses so gradients do not underflow."""
        if processes.world > 1:
            self.forward = torch.nn.parallel.DistributedDataParallel(self.net)
        if amp_dtype is torch.float16:
            self.scaler = torch.amp.GradScaler(device.type)

    def step(self, loss: torch.Tensor) -> None:
        """One optimiser step down ``loss``, then the schedule's and the average's."""
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self.optimizer.step()
        self.schedule.step()
        if self.average is not None:
            self.average.update(self.net)
