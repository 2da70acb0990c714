"""The settings of a training run, checked where they are made, without importing PyTorch
(the command line builds its ``train`` options from their table at every start), and the
named recipes (:data:`PRESETS`)."""

from __future__ import annotations

import math
import numbers
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, cast

from vaedesk.errors import VaedeskError
from vaedesk.model.card import KINDS, MAX_WIDTH
from vaedesk.support.limits import LATENT_DIM_LIMIT
from vaedesk.training.events import Progress  # noqa: F401  (where the studio's client has always found it)


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


# The help text of --data, which `vaedesk eval` shares.
DATA_HELP = ("data folder: IDX files in the MNIST layout, Quick, Draw! .npy files (one per category) or one "
             "sub-folder of images per class (default: bundled MNIST)")

OPTION = "option"  # the key of a field's Option in its dataclass metadata


@dataclass(frozen=True)
class Option:
    """How one setting is written on the ``vaedesk train`` command line.

    ``kind`` says how its text is read: "count" (a whole number, at least 1), "whole" (any
    whole number), "number" (a finite number), "choice" (one of ``choices``), "text" or
    "switch" (a flag with no value, true when given).
    """

    flag: str
    help: str
    kind: str
    metavar: str | None = None
    choices: tuple[str, ...] = ()
    # Written by to_argv even at its default, so a recorded command still says the recipe
    # if the default changes; the others only when they differ from it.
    always_written: bool = False
    off_flag: str | None = None  # a second flag that sets the value to 0


def _setting(default: Any, flag: str, help: str, kind: str, **option: Any) -> Any:
    return field(default=default, metadata={OPTION: Option(flag, help, kind, **option)})


@dataclass
class TrainConfig:
    """The settings of a training run. Each field's :class:`Option` (its metadata) is the one
    description of its command-line flag: ``vaedesk train``'s options, :meth:`from_options`
    and :meth:`to_argv` are all made from it."""

    kind: str = _setting("vae", "--kind", "VAE or plain autoencoder", "choice", choices=KINDS, always_written=True)
    latent_dim: int = _setting(2, "--latent-dim", "latent dimensions", "count", always_written=True)
    epochs: int = _setting(30, "--epochs", "passes over the training set", "count", always_written=True)
    batch_size: int = _setting(128, "--batch-size", "images per step", "count", always_written=True)
    lr: float = _setting(1e-3, "--lr", "Adam learning rate", "number", always_written=True)
    beta: float = _setting(1.0, "--beta", "weight of the KL term", "number", always_written=True)
    seed: int = _setting(0, "--seed", "random seed", "whole", always_written=True)
    data_dir: str | None = _setting(None, "--data", DATA_HELP, "text", metavar="DIR")
    limit: int | None = _setting(  # per category for a Quick, Draw! folder
        None, "--limit", "train on the first N training images only (per category for Quick, Draw! folders)",
        "count", metavar="N")
    categories: str | None = _setting(  # comma-separated; None = all
        None, "--categories", "comma-separated classes of a Quick, Draw! or image folder to train on, e.g. "
        f"cat,house (at most {MAX_CATEGORIES}; default: all)", "text", metavar="NAMES")
    augment: float = _setting(  # 0 = off
        0.5, "--augment", "fraction of each batch distorted so mouse drawings are encoded well", "number",
        metavar="P", always_written=True, off_flag="--no-augment")
    pen_style: float = _setting(
        0.5, "--pen-style", "of the distorted images, the fraction re-drawn with a uniform mouse-like pen",
        "number", metavar="F", always_written=True)
    elastic: float = _setting(  # 0 = off
        0.0, "--elastic", "of the distorted images, warp each smoothly by up to PX pixels", "number",
        metavar="PX", always_written=True)
    sketches: float = _setting(  # vaedesk.data.sketch_pairs
        0.0, "--sketches", "fraction of each batch replaced by synthetic mouse drawings of digits, each paired "
        "with the training digit it resembles most; digit data only", "number", metavar="F", always_written=True)
    jitter: float = _setting(  # 0 = off
        0.0, "--jitter", "fraction of each batch replaced by slightly turned, scaled, moved and warped digits, as "
        "input and as target: more digits to learn from", "number", metavar="F")
    ema: float = _setting(  # 0 = off
        0.0, "--ema", "keep an exponential moving average of the weights, e.g. 0.999, and save it instead of the "
        "last step's weights; 0 is off", "number", metavar="DECAY")
    width: int = _setting(32, "--width", "convolution channels", "count", always_written=True)
    hidden: int = _setting(512, "--hidden", "dense layer units", "count", always_written=True)
    device: str = _setting(
        "cpu", "--device", "auto (CUDA, else Apple's MPS, else the CPU), cpu, cuda, cuda:N or mps", "text",
        metavar="DEVICE")
    amp: bool = _setting(
        False, "--amp", "mixed precision: bf16 (fp16 where a GPU lacks it) autocast on CUDA, bf16 on the CPU",
        "switch")
    # Fine-tuning only: the encoder stays fixed, so every digit keeps its place (and its KL
    # term) while the decoder learns to reconstruct better from those places.
    decoder_only: bool = _setting(
        False, "--decoder-only", "with --from-model: train the decoder alone; the encoder, and so where every "
        "drawing lands, stays as it is", "switch")
    # Fine-tuning only: the encoder's features and mean head stay fixed (every digit keeps its
    # place) while the posterior's spread and the decoder learn; a VAE's KL term can shrink.
    keep_means: bool = _setting(
        False, "--keep-means", "with --from-model: keep the encoder's means (where every drawing lands) and "
        "train the posterior's spread and the decoder", "switch")

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
            # value is an instance of kind (Integral or Real), so a Real
            elif not ((kind is numbers.Integral or math.isfinite(cast(numbers.Real, value))) and in_range(value)):
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

    @staticmethod
    def options() -> list[tuple[str, Any, Option]]:
        """Every setting as (field name, default, :class:`Option`), in the fields' order."""
        return [(f.name, f.default, f.metadata[OPTION]) for f in fields(TrainConfig)]

    @classmethod
    def from_options(cls, values: Mapping[str, Any] | Any) -> TrainConfig:
        """The settings parsed from the options :meth:`options` describes: a mapping, or an
        argparse namespace whose destinations are the field names."""
        given = values if isinstance(values, Mapping) else vars(values)
        return cls(**{name: given[name] for name, _default, _option in cls.options()})

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> TrainConfig:
        """Settings saved as a dict (a checkpoint's, the studio's request); TrainingError for
        names this version does not know."""
        try:
            return cls(**values)
        except TypeError as exc:  # an unknown or missing name
            raise TrainingError(f"the settings are not this version's ({exc})") from None

    @classmethod
    def preset(cls, name: str, **settings: Any) -> TrainConfig:
        """A named recipe of :data:`PRESETS` with ``settings`` on top.

        "studio" is the training studio's: moderate distortions (affine, elastic) and a tenth
        of synthetic mouse drawings, so that a model trained in the app places people's
        drawings as well as MNIST's digits. A preset's synthetic drawings (``sketches``) are digits, so they are
        left out when ``settings`` name another data folder. The command line's own default
        stays augment 0.5, because the commands recorded in shipped model cards that give no
        ``--augment`` were trained with it and must still reproduce those models.
        """
        if name not in PRESETS:
            raise TrainingError(f"no training preset named {_shown(name)} (there are {', '.join(PRESETS)})")
        recipe = dict(PRESETS[name])
        if settings.get("data_dir") is not None:
            recipe.pop("sketches", None)
        return cls(**{**recipe, **settings})

    def to_argv(self, out: str | os.PathLike, from_model: str | None = None) -> list[str]:
        """The ``vaedesk train`` arguments that reproduce a run of these settings: the
        training studio records them in the card, exactly as the command line does."""
        argv = ["train"]
        for name, default, option in self.options():
            value = getattr(self, name)
            if option.kind == "switch":
                argv += [option.flag] if value else []
            elif value is not None and (option.always_written or value != default):
                argv += [option.flag, _argument(value)]
        if from_model:
            argv += ["--from-model", from_model]
        return argv + ["--out", os.fspath(out)]


# Named recipes for TrainConfig.preset: the settings that differ from the defaults.
PRESETS: dict[str, dict[str, Any]] = {
    "studio": {"augment": 0.4, "elastic": 1.5, "sketches": 0.1},
}


def _argument(value: Any) -> str:
    """A setting as command-line text that reads back as the same value."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return str(value)


_LABELS = {"lr": "learning rate", "latent_dim": "latent dimension", "ema": "weight average (--ema)"}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


