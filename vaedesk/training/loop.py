"""Training: the VAE loss (reconstruction + beta * KL), augmentation and the training loop.

Pure PyTorch with no Qt, so the command line and the GUI's training studio share it. The
loop reports progress through a callback and stops cooperatively when asked.
"""

from __future__ import annotations

import copy
import math
import numbers
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from torch.nn import functional as F

from vaedesk import __version__
from vaedesk.model.catalog import model_files
from vaedesk.data.datasets import class_names, dataset_name, load_split
from vaedesk.errors import VaedeskError
from vaedesk.model.model import Model, new_card, round_to_stored
from vaedesk.model.card_markdown import write_markdown_card
from vaedesk.model.nets import AutoEncoder, loss_terms
from vaedesk.support.paths import user_models_dir
from vaedesk.data.penstyle import cached_pen_style
from vaedesk.data.sketch_pairs import sketch_pairs
from vaedesk.training.config import BETA_LIMIT, Progress, TrainConfig, TrainingError  # noqa: F401  (the training API in one place)


def augment(
    x: torch.Tensor,
    generator: torch.Generator,
    p: float = 0.5,
    pen: torch.Tensor | None = None,
    pen_fraction: float = 0.0,
    elastic: float = 0.0,
) -> torch.Tensor:
    """Randomly distort a fraction ``p`` of a batch so the encoder also knows mouse drawings.

    Drawings differ from MNIST in slant, proportions and pen: a fraction ``pen_fraction``
    of the chosen images is replaced by its uniform-pen version ``pen`` (see
    :mod:`vaedesk.data.penstyle`); then each chosen image gets a random rotation, shear,
    anisotropic scale and shift, and is made thinner or bolder by blending with a
    grey-level erosion or dilation. ``elastic`` > 0 adds a smooth random warp of up to
    that many pixels (a hand's wobble; 0 draws no extra random numbers, so runs without it
    are unchanged).
    """
    n = x.shape[0]
    chosen = (torch.rand(n, generator=generator) < p).nonzero().squeeze(1)
    k = chosen.numel()
    if k == 0:
        return x
    source = x
    if pen is not None and pen_fraction > 0:
        use_pen = torch.rand(n, generator=generator) < pen_fraction
        source = torch.where(use_pen[:, None, None], pen, x)

    def uniform(low: float, high: float) -> torch.Tensor:
        return _uniform(k, generator, low, high)

    angle = uniform(-0.2, 0.2)  # about +-11 degrees
    shear = uniform(-0.3, 0.3)
    scale_x, scale_y = uniform(0.8, 1.1), uniform(0.85, 1.1)
    shift_x, shift_y = uniform(-0.08, 0.08), uniform(-0.08, 0.08)  # +-1 pixel
    cos, sin = torch.cos(angle), torch.sin(angle)
    # affine_grid maps output to input coordinates: rotation @ shear @ inverse scale.
    theta = torch.stack(
        [
            torch.stack([cos / scale_x, (cos * shear - sin) / scale_y, shift_x], 1),
            torch.stack([sin / scale_x, (sin * shear + cos) / scale_y, shift_y], 1),
        ],
        1,
    )
    images = source[chosen].unsqueeze(1)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    if elastic > 0:
        grid = grid + _warp(k, generator, elastic)
    images = F.grid_sample(images, grid, align_corners=False, padding_mode="zeros")
    amount = uniform(-0.7, 1.0).view(k, 1, 1, 1)
    bolder = F.max_pool2d(images, 3, stride=1, padding=1)
    thinner = -F.max_pool2d(-images, 3, stride=1, padding=1)
    images = torch.where(amount > 0, images + amount * (bolder - images), images - amount * (thinner - images))
    out = x.clone()
    out[chosen] = images.squeeze(1).clamp(0.0, 1.0)
    return out


def jitter(x: torch.Tensor, generator: torch.Generator, p: float) -> torch.Tensor:
    """Replace a fraction ``p`` of a batch with slightly turned, scaled, moved and warped
    copies (up to about 6 degrees, 5%, one pixel and a 0.7-pixel warp): digits MNIST could
    have held. Unlike :func:`augment` they are the decoder's targets too, so the whole model
    sees more digits than the training set has and learns it less by heart.
    """
    if p <= 0:
        return x  # no random numbers drawn: runs without jitter are what they always were
    chosen = (torch.rand(x.shape[0], generator=generator) < p).nonzero().squeeze(1)
    k = chosen.numel()
    if k == 0:
        return x

    angle, scale = _uniform(k, generator, -0.1, 0.1), _uniform(k, generator, 0.95, 1.05)
    shift_x, shift_y = _uniform(k, generator, -0.07, 0.07), _uniform(k, generator, -0.07, 0.07)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift_x], 1), torch.stack([sin, cos, shift_y], 1)], 1)
    images = x[chosen].unsqueeze(1)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False) + _warp(k, generator, 0.7)
    out = x.clone()
    out[chosen] = F.grid_sample(images, grid, align_corners=False).squeeze(1).clamp(0.0, 1.0)
    return out


class _Average:
    """An exponential moving average of a network's weights (``decay`` per step). Its
    weights are the ones evaluated and saved: they sit in a flatter, better-generalising
    spot than the last step's (measured on mnist-vae-2d: see the README)."""

    def __init__(self, net: AutoEncoder, decay: float) -> None:
        self.net = copy.deepcopy(net).eval().requires_grad_(False)
        self.decay = decay

    @torch.no_grad()
    def update(self, net: AutoEncoder) -> None:
        ours, theirs = list(self.net.parameters()), list(net.parameters())
        torch._foreach_lerp_(ours, [t.detach() for t in theirs], 1.0 - self.decay)


def _uniform(count: int, generator: torch.Generator, low: float, high: float) -> torch.Tensor:
    return low + (high - low) * torch.rand(count, generator=generator)


def _warp(count: int, generator: torch.Generator, pixels: float) -> torch.Tensor:
    """Smooth displacement fields (count, 28, 28, 2) in grid units, up to ``pixels`` pixels:
    a 4x4 grid of random offsets upsampled bicubically, so neighbouring ink moves together."""
    coarse = torch.rand(count, 2, 4, 4, generator=generator) * 2 - 1
    strength = torch.rand(count, 1, 1, 1, generator=generator) * (pixels * 2 / 28)  # grid spans 2 per 28 px
    field = F.interpolate(coarse * strength, size=(28, 28), mode="bicubic", align_corners=True)
    return field.permute(0, 2, 3, 1)


def evaluate_loss(net: AutoEncoder, images: torch.Tensor, seed: int = 0, batch: int = 2000) -> dict[str, float]:
    """Test-set loss terms with one posterior sample per image (seeded), mean nats per image.

    The samples depend on ``batch`` (the noise is drawn batch by batch): the model cards'
    numbers were measured with 2,000, which ``vaedesk eval`` must keep to reproduce them.
    """
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    recon_sum = kl_sum = 0.0
    was_training = net.training
    net.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(images), batch):
                xb = images[start : start + batch]
                logits, mean, logvar = net(xb)
                recon, kl = loss_terms(logits, xb, mean, logvar)
                recon_sum += recon.sum().item()
                kl_sum += kl.sum().item()
    finally:
        torch.random.set_rng_state(state)
        net.train(was_training)
    n = len(images)
    return {"recon": recon_sum / n, "kl": kl_sum / n, "neg_elbo": (recon_sum + kl_sum) / n}


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


def _describe(device: torch.device) -> str:
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return device.type


@dataclass
class _Processes:
    """This process's place in a distributed run (torchrun sets WORLD_SIZE, RANK, LOCAL_RANK)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_environment(cls) -> _Processes:
        world = int(os.environ.get("WORLD_SIZE", "1") or 1)
        if world <= 1:
            return cls()
        return cls(int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0")))

    def start(self, device: torch.device) -> None:
        """Join the process group: NCCL between GPUs, gloo on CPUs."""
        if self.world > 1 and not torch.distributed.is_initialized():
            torch.distributed.init_process_group("nccl" if device.type == "cuda" else "gloo")

    def total(self, values: torch.Tensor) -> torch.Tensor:
        """``values`` summed over every process (itself alone in a one-process run)."""
        if self.world > 1:
            torch.distributed.all_reduce(values)
        return values


def _amp_dtype(device: torch.device) -> torch.dtype:
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "cpu":
        return torch.bfloat16
    raise TrainingError(f"--amp runs on CUDA or the CPU, not on {device.type}")


def train(
    config: TrainConfig,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    report_every: int = 50,
    command: str | None = None,
    initial: Model | None = None,
    on_step: Callable[[int, AutoEncoder], None] | None = None,
    on_epoch: Callable[[Model], None] | None = None,
    run_dir: str | os.PathLike | None = None,
    resume: dict[str, Any] | None = None,
) -> Model:
    """Train a model from scratch (or fine-tune ``initial``) and return it with its card.

    Raises TrainingError if the loss becomes NaN or infinite. If ``should_stop`` returns
    True, training ends after the current step and the model so far is returned with
    ``card["stopped_early"] = True``. ``on_step(step, net)`` runs after every optimiser
    step (it may pause there, or look at the weights in eval mode); ``on_epoch(model)``
    gets the model after each completed epoch with its card, e.g. to save a checkpoint.

    With ``run_dir``, every completed epoch also writes a checkpoint there
    (:mod:`vaedesk.training.checkpoint`); ``resume`` (a loaded checkpoint) continues that run where
    it stopped, with its own settings. Started by ``torchrun``, each process trains on its
    share of every batch with DistributedDataParallel; the first alone saves anything.
    """
    config.validate()
    if isinstance(report_every, bool) or not isinstance(report_every, numbers.Integral) or report_every < 1:
        raise TrainingError(f"report_every must be a whole number of steps, at least 1, got {report_every!r:.40}")
    processes = _Processes.from_environment()
    device = pick_device(config.device)
    if device.type == "cuda" and processes.world > 1 and device.index is None:
        device = torch.device("cuda", processes.local_rank)
    amp_dtype = _amp_dtype(device) if config.amp else None
    processes.start(device)
    # Each process its own stream for the posterior samples; the first keeps the seed's, so
    # a one-process run is what it always was.
    torch.manual_seed(config.seed + processes.rank)
    generator = torch.Generator().manual_seed(config.seed)  # shared: every process shuffles alike
    train_split = load_split("train", config.data_dir, config.limit, categories=config.category_list())
    test_split = load_split("test", config.data_dir, categories=config.category_list())
    x_train = torch.from_numpy(train_split.images)
    x_test = torch.from_numpy(test_split.images).to(device)
    x_pen = None
    if (config.augment > 0 and config.pen_style > 0) or config.sketches > 0:
        x_pen = torch.from_numpy(cached_pen_style(train_split.images))
    drawn, drawn_targets = None, None
    if config.sketches > 0:
        if class_names(config.data_dir) is not None:
            raise TrainingError("--sketches draws digits: it needs digit data such as MNIST, not "
                                f"{dataset_name(config.data_dir)}")
        pool, targets = sketch_pairs(train_split.images, train_split.labels, x_pen.numpy())
        drawn, drawn_targets = torch.from_numpy(pool), torch.from_numpy(targets)

    if initial is not None:
        if initial.kind != config.kind or initial.latent_dim != config.latent_dim:
            raise TrainingError(
                f"cannot fine-tune a {initial.kind} with a {initial.latent_dim}-d latent as a "
                f"{config.kind} with a {config.latent_dim}-d latent"
            )
        net = initial.net
        arch = initial.card["architecture"]
        config.width, config.hidden = arch["width"], arch["hidden"]
    elif (config.decoder_only or config.keep_means) and resume is None:
        raise TrainingError("training the decoder alone needs a model to fine-tune, whose encoder it keeps")
    else:
        net = AutoEncoder(config.kind, config.latent_dim, config.width, config.hidden)
    net.to(device).train()
    average = _Average(net, config.ema) if config.ema > 0 else None
    kept = net if average is None else average.net  # the weights that are evaluated, shown and saved
    net.encoder.requires_grad_(not config.decoder_only)
    if config.keep_means:  # the features feed the means too: only the spread's own head moves
        net.encoder.features.requires_grad_(False)
        net.encoder.mean.requires_grad_(False)
    optimizer = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=config.lr)
    steps_per_epoch = math.ceil(len(x_train) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    # Cosine decay to 5% of the initial rate: a smooth end sharpens the final loss.
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(s, total_steps) / total_steps))
    )
    history: list[dict[str, float]] = []
    step = 0
    first_epoch = 1
    resumed = 0
    spent = 0.0  # seconds trained before a resume
    if resume is not None:
        first_epoch, step, spent, resumed = _restore(resume, net, average, optimizer, schedule, generator, processes)
        history = list(resume["history"])
    # DistributedDataParallel averages the processes' gradients in every backward pass.
    model_net = torch.nn.parallel.DistributedDataParallel(net) if processes.world > 1 else net
    scaler = torch.amp.GradScaler(device.type) if amp_dtype is torch.float16 else None
    stopped = False
    started = time.perf_counter()

    # A fine-tuned model is reproduced by its parent's recipe, then this one's command.
    ancestor = resume.get("initial_card") if resume is not None else (
        None if initial is None else {key: initial.card.get(key) for key in _ANCESTOR_KEYS})

    def card_now(epochs_done: float) -> dict[str, Any]:
        card = _card(config, command, history, epochs_done, spent + time.perf_counter() - started, ancestor)
        card.update(device=_describe(device), processes=processes.world, torch_cuda=torch.version.cuda)
        if resumed:
            card["resumed"] = resumed
        return card

    for epoch in range(first_epoch, config.epochs + 1):
        order = torch.randperm(len(x_train), generator=generator)
        window = torch.zeros(3, dtype=torch.float64)  # recon, kl, images since the last report
        epoch_totals = torch.zeros(2, dtype=torch.float64)
        window_start = time.perf_counter()
        for start in range(0, len(x_train), config.batch_size):
            batch = order[start : start + config.batch_size]
            xb = x_train[batch]
            # First: the jittered digit is the target, and what the distortions start from.
            xb = jitter(xb, generator, config.jitter)
            # Denoising criterion: the encoder sees a distorted digit, the decoder is asked
            # for the clean one. The encoder learns to place unusual drawings with their
            # class while the decoder only ever models real MNIST digits, so augmentation
            # costs the clean test ELBO little.
            if config.augment > 0:
                pen = x_pen[batch] if x_pen is not None and config.pen_style > 0 else None
                inputs = augment(xb, generator, config.augment, pen, config.pen_style, config.elastic)
            else:
                inputs = xb
            if drawn is not None:
                # Some rows become synthetic drawings, asked to reconstruct their paired digit.
                rows = (torch.rand(len(xb), generator=generator) < config.sketches).nonzero().squeeze(1)
                if rows.numel():
                    picks = torch.randint(len(drawn), (rows.numel(),), generator=generator)
                    inputs, xb = inputs.clone(), xb.clone()
                    inputs[rows] = drawn[picks]
                    xb[rows] = x_train[drawn_targets[picks]]
            if processes.world > 1:  # every process prepares the batch alike and takes its rows
                inputs, xb = inputs[processes.rank :: processes.world], xb[processes.rank :: processes.world]
            inputs, xb = inputs.to(device, non_blocking=True), xb.to(device, non_blocking=True)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                logits, mean, logvar = model_net(inputs)
                recon, kl = loss_terms(logits.float(), xb, mean.float(), None if logvar is None else logvar.float())
            loss = (recon + config.beta * kl).mean()
            sums = processes.total(torch.stack([recon.sum(), kl.sum(), torch.tensor(float(len(xb)), device=device)])
                                   .detach()).to("cpu", torch.float64)  # on the device: NCCL reduces there
            if not torch.isfinite(sums).all():  # every process sees the same sums, so all stop together
                raise TrainingError(
                    f"training diverged at epoch {epoch}, step {step + 1} (the loss became {loss.item()}); "
                    "try a lower learning rate"
                )
            optimizer.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                optimizer.step()
            schedule.step()
            if average is not None:
                average.update(net)
            step += 1
            window += sums
            epoch_totals += sums[:2]
            if on_step is not None:
                net.eval()
                on_step(step, kept)
                net.train()
            last_of_epoch = start + config.batch_size >= len(x_train)
            if should_stop is not None and should_stop():
                stopped = True
            if step % report_every == 0 or last_of_epoch or stopped:
                elapsed = max(time.perf_counter() - window_start, 1e-9)
                recon_sum, kl_sum, images = window.tolist()
                report = Progress(
                    epoch, config.epochs, step, steps_per_epoch,
                    recon_sum / images, kl_sum / images, images / elapsed,
                )
                if last_of_epoch:
                    report.epoch_done = True
                    report.train = {"recon": epoch_totals[0].item() / len(x_train),
                                    "kl": epoch_totals[1].item() / len(x_train)}
                    report.test = evaluate_loss(kept, x_test, seed=config.seed)
                    history.append({"epoch": epoch, **{f"train_{k}": v for k, v in report.train.items()},
                                    **{f"test_{k}": v for k, v in report.test.items()}})
                if on_progress is not None and processes.is_main:
                    on_progress(report)
                if last_of_epoch and not stopped and processes.is_main:
                    net.eval()
                    if run_dir is not None:
                        _save_checkpoint(run_dir, config, command, ancestor, epoch, step, history,
                                         spent + time.perf_counter() - started, resumed,
                                         net, average, optimizer, schedule, generator)
                    if on_epoch is not None:
                        on_epoch(Model(kept, card_now(epoch)))
                    net.train()
                window.zero_()
                window_start = time.perf_counter()
            if stopped:
                break
        if stopped:
            break
    kept.eval()
    kept.to("cpu")  # the app's inference, the card and the weights file are CPU's
    card = card_now(config.epochs if not stopped else round(step / steps_per_epoch, 2))
    if stopped:
        card["stopped_early"] = True
    return Model(kept, card)


def _save_checkpoint(run_dir, config, command, ancestor, epoch, step, history, seconds, resumed,
                     net, average, optimizer, schedule, generator) -> None:
    from vaedesk.training.checkpoint import save_checkpoint

    rng = {"torch": torch.random.get_rng_state(), "generator": generator.get_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    save_checkpoint(run_dir, {
        "config": asdict(config), "command": command, "out": os.fspath(run_dir),
        "initial_card": ancestor,
        "epoch": epoch, "step": step, "history": history, "seconds": seconds, "resumed": resumed,
        "net": {k: v.detach().to("cpu") for k, v in net.state_dict().items()},
        **({} if average is None else
           {"average": {k: v.detach().to("cpu") for k, v in average.net.state_dict().items()}}),
        "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(), "rng": rng,
    })


def _restore(state: dict[str, Any], net: AutoEncoder, average: _Average | None, optimizer, schedule,
             generator: torch.Generator, processes: _Processes) -> tuple[int, int, float, int]:
    """Load a checkpoint's weights, optimiser, schedule and random streams; returns (first
    epoch to run, steps done, seconds spent, times resumed)."""
    try:
        net.load_state_dict(state["net"])
        if average is not None:
            average.net.load_state_dict(state["average"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        generator.set_state(state["rng"]["generator"])
        if processes.is_main:
            torch.random.set_rng_state(state["rng"]["torch"])
        else:  # only the first process's stream was saved; the others start a fresh one per resume
            torch.manual_seed(hash((int(state["config"]["seed"]), processes.rank, int(state["epoch"]))) % 2**63)
        if "cuda" in state["rng"] and torch.cuda.is_available() and processes.world == 1:
            torch.cuda.set_rng_state_all(state["rng"]["cuda"])
    except (RuntimeError, KeyError, TypeError, ValueError) as exc:
        raise TrainingError(f"the checkpoint does not fit this run: {str(exc).splitlines()[0][:200]}") from None
    epoch, step = int(state["epoch"]), int(state["step"])
    return epoch + 1, step, float(state.get("seconds", 0.0)), int(state.get("resumed", 0)) + 1


_ANCESTOR_KEYS = ("name", "command", "seed", "epochs", "fine_tuned_from", "weights_sha256")


def _card(config: TrainConfig, command: str | None, history: list[dict[str, float]], epochs: float,
          seconds: float, ancestor: dict[str, Any] | None) -> dict[str, Any]:
    card = new_card(config.kind, config.latent_dim, config.width, config.hidden)
    settings = asdict(config)
    card.update(
        dataset=dataset_name(config.data_dir),
        training={k: v for k, v in settings.items() if k not in ("kind", "latent_dim", "width", "hidden")},
        seed=config.seed,
        epochs=epochs,
        command=command,
        history=list(history),
        train_seconds=round(seconds, 1),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        vaedesk_version=__version__,
        torch_version=torch.__version__,
        threads=torch.get_num_threads(),
        fine_tuned_from=ancestor,
    )
    return card


# --------------------------------------------------------------------------------------
# After a run: the command line and the training studio save and evaluate the same way.


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    return str(exc)


def check_writable(out: str | os.PathLike) -> None:
    """Raise TrainingError unless a model can be saved at ``out`` (a name or either file).

    Checked before a run, which may take hours, rather than found out after it: a probe
    file is created, written, synced and removed in the destination folder (made if
    missing), so a read-only, full or missing-permission folder is named at once.
    """

    folder = model_files(Path(out))[0].parent
    probe = folder / f".vaedesk-probe-{os.getpid()}-{time.monotonic_ns()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(probe, "xb") as handle:
            handle.write(bytes(64 * 1024))  # a full disk refuses data, not always an empty file
            handle.flush()
            os.fsync(handle.fileno())
    except (FileExistsError, NotADirectoryError):
        raise TrainingError(f"cannot save a model in {folder}: a file is in the way of the folder") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise TrainingError(f"cannot save a model in {folder}: {_reason(exc)}") from None
    finally:
        try:
            probe.unlink(missing_ok=True)
        except (OSError, ValueError):
            pass


def _save_or_rescue(model: Model, out: Path) -> Path:
    """``model.save(out)``; if that fails, the model saved somewhere else and a TrainingError
    that says where, so a finished run is never lost to a full or read-only disk."""
    try:
        return model.save(out)
    except (OSError, VaedeskError) as exc:
        problem = f"cannot save the model as {out} ({_reason(exc)})"

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for folder in (user_models_dir(), Path(tempfile.gettempdir())):
        try:
            kept = model.save(folder / f"{Path(out).name}-rescued-{stamp}")
        except (OSError, VaedeskError):
            continue
        raise TrainingError(f"{problem}; the trained model was kept as {kept}")
    raise TrainingError(f"{problem}, nor in the model or temporary folder: the trained model is lost")


def save_and_evaluate(model: Model, out: str | os.PathLike, data_dir: str | os.PathLike | None = None,
                      on_status: Callable[[str], None] | None = None) -> Path:
    """Save a finished run's model at ``out``, measure it on the test set, save it again with
    its metrics (``model.card["metrics"]``) and its Markdown card (``NAME.md``); return the
    weights' path. The weights are first rounded to the float16 the file holds, so the
    metrics are those of the saved model.

    Saved before evaluating, so a failed evaluation loses no training; a failed save keeps
    the model elsewhere and names the place (TrainingError).
    """
    from vaedesk.insight.evaluation import evaluate

    out = Path(out)
    round_to_stored(model.net)
    _save_or_rescue(model, out)
    if on_status is not None:
        on_status("evaluating on the test set...")
    digits = data_dir is None  # the drawn digits only mean something for MNIST
    model.card["metrics"] = evaluate(model, data_dir, drawings=50 if digits else 0, heldout=digits)
    path = _save_or_rescue(model, out)
    try:  # NAME.md, the card as Markdown (vaedesk.model.card_markdown)
        write_markdown_card(path, model.card)
    except (OSError, ValueError) as exc:  # the model is saved; the window makes its card from the JSON
        if on_status is not None:
            on_status(f"could not write the Markdown model card beside {path} ({_reason(exc)})")
    return path
