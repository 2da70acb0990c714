"""Training: the VAE loss (reconstruction + beta * KL), augmentation and the training loop.

Pure PyTorch with no Qt, so the command line and the GUI's training studio share it. The
loop reports progress through a callback and stops cooperatively when asked.
"""

from __future__ import annotations

import math
import numbers
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from torch.nn import functional as F

from . import __version__
from .catalog import model_files
from .data import class_names, dataset_name, load_split
from .errors import VaedeskError
from .model import Model, new_card
from .nets import AutoEncoder, loss_terms
from .paths import user_models_dir
from .penstyle import cached_pen_style
from .sketch_pairs import sketch_pairs
from .train_config import BETA_LIMIT, TrainConfig, TrainingError  # noqa: F401  (the training API in one place)


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
    :mod:`vaedesk.penstyle`); then each chosen image gets a random rotation, shear,
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
        return low + (high - low) * torch.rand(k, generator=generator)

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


def train(
    config: TrainConfig,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    report_every: int = 50,
    command: str | None = None,
    initial: Model | None = None,
    on_step: Callable[[int, AutoEncoder], None] | None = None,
    on_epoch: Callable[[Model], None] | None = None,
) -> Model:
    """Train a model from scratch (or fine-tune ``initial``) and return it with its card.

    Raises TrainingError if the loss becomes NaN or infinite. If ``should_stop`` returns
    True, training ends after the current step and the model so far is returned with
    ``card["stopped_early"] = True``. ``on_step(step, net)`` runs after every optimiser
    step (it may pause there, or look at the weights in eval mode); ``on_epoch(model)``
    gets the model after each completed epoch with its card, e.g. to save a checkpoint.
    """
    config.validate()
    if isinstance(report_every, bool) or not isinstance(report_every, numbers.Integral) or report_every < 1:
        raise TrainingError(f"report_every must be a whole number of steps, at least 1, got {report_every!r:.40}")
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    train_split = load_split("train", config.data_dir, config.limit)
    test_split = load_split("test", config.data_dir)
    x_train = torch.from_numpy(train_split.images)
    x_test = torch.from_numpy(test_split.images)
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
    else:
        net = AutoEncoder(config.kind, config.latent_dim, config.width, config.hidden)
    net.train()
    optimizer = torch.optim.Adam(net.parameters(), lr=config.lr)
    steps_per_epoch = math.ceil(len(x_train) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    # Cosine decay to 5% of the initial rate: a smooth end sharpens the final loss.
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(s, total_steps) / total_steps))
    )
    history: list[dict[str, float]] = []
    step = 0
    stopped = False
    started = time.perf_counter()

    def card_now(epochs_done: float) -> dict[str, Any]:
        return _card(config, command, history, epochs_done, time.perf_counter() - started, initial)

    for epoch in range(1, config.epochs + 1):
        order = torch.randperm(len(x_train), generator=generator)
        window_recon = window_kl = 0.0
        window_images = 0
        epoch_recon = epoch_kl = 0.0
        window_start = time.perf_counter()
        for start in range(0, len(x_train), config.batch_size):
            batch = order[start : start + config.batch_size]
            xb = x_train[batch]
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
            logits, mean, logvar = net(inputs)
            recon, kl = loss_terms(logits, xb, mean, logvar)
            loss = (recon + config.beta * kl).mean()
            if not torch.isfinite(loss):
                raise TrainingError(
                    f"training diverged at epoch {epoch}, step {step + 1} (the loss became {loss.item()}); "
                    "try a lower learning rate"
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            step += 1
            recon_sum, kl_sum = recon.sum().item(), kl.sum().item()
            window_recon += recon_sum
            window_kl += kl_sum
            epoch_recon += recon_sum
            epoch_kl += kl_sum
            window_images += len(xb)
            if on_step is not None:
                net.eval()
                on_step(step, net)
                net.train()
            last_of_epoch = start + config.batch_size >= len(x_train)
            if should_stop is not None and should_stop():
                stopped = True
            if step % report_every == 0 or last_of_epoch or stopped:
                elapsed = max(time.perf_counter() - window_start, 1e-9)
                report = Progress(
                    epoch, config.epochs, step, steps_per_epoch,
                    window_recon / window_images, window_kl / window_images, window_images / elapsed,
                )
                if last_of_epoch:
                    report.epoch_done = True
                    report.train = {"recon": epoch_recon / len(x_train), "kl": epoch_kl / len(x_train)}
                    report.test = evaluate_loss(net, x_test, seed=config.seed)
                    history.append({"epoch": epoch, **{f"train_{k}": v for k, v in report.train.items()},
                                    **{f"test_{k}": v for k, v in report.test.items()}})
                if on_progress is not None:
                    on_progress(report)
                if last_of_epoch and on_epoch is not None and not stopped:
                    net.eval()
                    on_epoch(Model(net, card_now(epoch)))
                    net.train()
                window_recon = window_kl = 0.0
                window_images = 0
                window_start = time.perf_counter()
            if stopped:
                break
        if stopped:
            break
    net.eval()
    card = card_now(config.epochs if not stopped else round(step / steps_per_epoch, 2))
    if stopped:
        card["stopped_early"] = True
    return Model(net, card)


def _card(config: TrainConfig, command: str | None, history: list[dict[str, float]], epochs: float,
          seconds: float, initial: Model | None) -> dict[str, Any]:
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
        # A fine-tuned model is reproduced by its parent's recipe, then this one's command.
        fine_tuned_from=None if initial is None else {
            key: initial.card.get(key) for key in ("name", "command", "seed", "epochs", "fine_tuned_from", "weights_sha256")
        },
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
    its metrics (``model.card["metrics"]``); return the weights' path.

    Saved before evaluating, so a failed evaluation loses no training; a failed save keeps
    the model elsewhere and names the place (TrainingError).
    """
    from .evaluation import evaluate

    out = Path(out)
    _save_or_rescue(model, out)
    if on_status is not None:
        on_status("evaluating on the test set...")
    digits = data_dir is None  # the drawn digits only mean something for MNIST
    model.card["metrics"] = evaluate(model, data_dir, drawings=50 if digits else 0, heldout=digits)
    return _save_or_rescue(model, out)
