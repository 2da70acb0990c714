"""The settings of a training run, checked where they are made, without importing PyTorch
(the command line builds its options from them at every start)."""

from __future__ import annotations

import math
import numbers
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vaedesk.model.card import KINDS, MAX_WIDTH
from vaedesk.errors import VaedeskError
from vaedesk.support.limits import LATENT_DIM_LIMIT


class TrainingError(VaedeskError):
    """Training cannot start or had to stop (bad settings, a diverging loss)."""


DEVICE_PATTERN = re.compile(r"auto|cpu|mps|cuda(:[0-9]{1,3})?")

# As vaedesk.data.datasets.MAX_CLASSES (not imported: it would load NumPy to parse arguments).
MAX_CATEGORIES = 10

# A warp of more than a few pixels tears a 28x28 digit apart.
ELASTIC_LIMIT = 4.0

# The KL weight is at most this: beta-VAEs use up to a few hundred; far above, the KL term
# alone overflows the loss, which would then be blamed on the learning rate.
BETA_LIMIT = 1000.0


@dataclass
class TrainConfig:
    kind: str = "vae"
    latent_dim: int = 2
    epochs: int = 30
    batch_size: int = 128
    lr: float = 1e-3
    beta: float = 1.0
    seed: int = 0
    data_dir: str | None = None
    limit: int | None = None  # per category for a Quick, Draw! folder
    categories: str | None = None  # comma-separated classes of a Quick, Draw! or image folder; None = all
    augment: float = 0.5  # fraction of each batch distorted for robustness; 0 = off
    pen_style: float = 0.5  # of the distorted ones, the fraction re-drawn with a uniform pen
    elastic: float = 0.0  # of the distorted ones, a smooth warp of up to this many pixels; 0 = off
    sketches: float = 0.0  # fraction of each batch replaced by synthetic drawings (vaedesk.data.sketch_pairs)
    jitter: float = 0.0  # fraction of each batch slightly moved and warped, as input and target; 0 = off
    ema: float = 0.0  # decay per step of the moving average of the weights that is kept; 0 = off
    width: int = 32
    hidden: int = 512
    device: str = "cpu"  # "auto" (CUDA, else MPS, else CPU), "cpu", "cuda", "cuda:N" or "mps"
    amp: bool = False  # mixed precision: bf16 (or fp16) autocast on CUDA, bf16 on CPU
    # Fine-tuning only: the encoder stays fixed, so every digit keeps its place (and its KL
    # term) while the decoder learns to reconstruct better from those places.
    decoder_only: bool = False
    # Fine-tuning only: the encoder's features and mean head stay fixed (every digit keeps its
    # place) while the posterior's spread and the decoder learn; a VAE's KL term can shrink.
    keep_means: bool = False

    def __post_init__(self) -> None:
        self.validate()  # a bad setting is named where it is made, not at the start of a run

    def validate(self) -> None:
        """Raise TrainingError naming every setting of the wrong type or out of range."""
        problems = []

        def check(name: str, kind: type, in_range: Callable[[Any], bool], expected: str) -> None:
            value, label = getattr(self, name), _LABELS.get(name, name.replace("_", " "))
            if isinstance(value, bool) or not isinstance(value, kind):
                noun = "whole number" if kind is numbers.Integral else "number"
                problems.append(f"{label} must be a {noun}, not {_shown(value)}")
            elif not ((kind is numbers.Integral or math.isfinite(value)) and in_range(value)):
                problems.append(f"{label} must be {expected}, not {_shown(value)}")

        whole, real = numbers.Integral, numbers.Real
        if not (isinstance(self.kind, str) and self.kind in KINDS):
            problems.append(f"kind must be one of {', '.join(KINDS)}, not {_shown(self.kind)}")
        check("latent_dim", whole, lambda v: 1 <= v <= LATENT_DIM_LIMIT, f"1..{LATENT_DIM_LIMIT}")
        check("epochs", whole, lambda v: v >= 1, "at least 1")
        check("batch_size", whole, lambda v: 1 <= v <= 65536, "1..65536")
        check("lr", real, lambda v: 0 < v <= 1, "in (0, 1]")
        check("beta", real, lambda v: 0 <= v <= BETA_LIMIT, f"in [0, {BETA_LIMIT:g}]")
        check("augment", real, lambda v: 0 <= v <= 1, "a fraction in [0, 1]")
        check("pen_style", real, lambda v: 0 <= v <= 1, "a fraction in [0, 1]")
        check("elastic", real, lambda v: 0 <= v <= ELASTIC_LIMIT, f"in [0, {ELASTIC_LIMIT:g}] pixels")
        check("sketches", real, lambda v: 0 <= v <= 1, "a fraction in [0, 1]")
        check("jitter", real, lambda v: 0 <= v <= 1, "a fraction in [0, 1]")
        check("ema", real, lambda v: 0 <= v < 1, "a decay in [0, 1) (0: off)")
        if self.limit is not None:
            check("limit", whole, lambda v: v >= 1, "at least 1")
        # A model card holds at most MAX_WIDTH of each: wider could never be loaded.
        check("width", whole, lambda v: 1 <= v <= MAX_WIDTH, f"1..{MAX_WIDTH}")
        check("hidden", whole, lambda v: 1 <= v <= MAX_WIDTH, f"1..{MAX_WIDTH}")
        check("seed", whole, lambda v: -(2**63) <= v < 2**64, "in -2**63..2**64-1")  # what torch.manual_seed accepts
        if not (isinstance(self.device, str) and DEVICE_PATTERN.fullmatch(self.device)):
            problems.append(f"device must be auto, cpu, cuda, cuda:N or mps, not {_shown(self.device)}")
        if not isinstance(self.amp, bool):
            problems.append(f"amp must be true or false, not {_shown(self.amp)}")
        if not isinstance(self.decoder_only, bool):
            problems.append(f"decoder only must be true or false, not {_shown(self.decoder_only)}")
        if not isinstance(self.keep_means, bool):
            problems.append(f"keep means must be true or false, not {_shown(self.keep_means)}")
        elif self.keep_means and self.decoder_only:
            problems.append("keep means trains the spread of the posterior, which decoder only keeps: choose one")
        elif self.keep_means and self.kind != "vae":
            problems.append("keep means trains a VAE's posterior spread; a plain autoencoder has none")
        if self.data_dir is not None and not isinstance(self.data_dir, (str, os.PathLike)):
            problems.append(f"data folder must be a path, not {type(self.data_dir).__name__}")
        if self.categories is not None:
            # Only the form here: whether the folder has them is known when it is read.
            names = self.category_list() if isinstance(self.categories, str) else None
            if names is None or not all(names):
                problems.append(f"categories must be names separated by commas, e.g. cat,house, not "
                                f"{_shown(self.categories)}")
            elif len(set(names)) > MAX_CATEGORIES:
                problems.append(f"at most {MAX_CATEGORIES} categories, not {len(set(names))}")
            elif self.data_dir is None:
                problems.append("categories need a data folder of Quick, Draw! files or image sub-folders")
        if problems:
            raise TrainingError("; ".join(problems))

    def category_list(self) -> list[str] | None:
        """The chosen categories as a list of names (None: all of them)."""
        if self.categories is None:
            return None
        return [name.strip() for name in self.categories.split(",")]

    def to_argv(self, out: str | os.PathLike, from_model: str | None = None) -> list[str]:
        """The ``vaedesk train`` arguments that reproduce a run of these settings: the
        training studio records them in the card, exactly as the command line does."""
        argv = ["train", "--kind", self.kind, "--latent-dim", str(self.latent_dim), "--epochs", str(self.epochs),
                "--batch-size", str(self.batch_size), "--lr", repr(self.lr), "--beta", repr(self.beta),
                "--seed", str(self.seed), "--augment", repr(self.augment), "--pen-style", repr(self.pen_style),
                "--elastic", repr(self.elastic), "--sketches", repr(self.sketches),
                "--width", str(self.width), "--hidden", str(self.hidden)]
        if self.data_dir is not None:
            argv += ["--data", os.fspath(self.data_dir)]
        if self.limit is not None:
            argv += ["--limit", str(self.limit)]
        if self.categories is not None:
            argv += ["--categories", self.categories]
        if self.jitter:
            argv += ["--jitter", repr(self.jitter)]
        if self.ema:
            argv += ["--ema", repr(self.ema)]
        if self.device != "cpu":
            argv += ["--device", self.device]
        if self.amp:
            argv += ["--amp"]
        if self.decoder_only:
            argv += ["--decoder-only"]
        if self.keep_means:
            argv += ["--keep-means"]
        if from_model:
            argv += ["--from-model", from_model]
        return argv + ["--out", os.fspath(out)]


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


_LABELS = {"lr": "learning rate", "latent_dim": "latent dimension", "ema": "weight average (--ema)"}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


