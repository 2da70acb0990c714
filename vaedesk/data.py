"""Data sets in the standard MNIST folder layout (MNIST, Fashion-MNIST, ...)."""

from __future__ import annotations

import numbers
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataError
from .idx import read_idx
from .paths import bundled_mnist_dir

SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


@dataclass(frozen=True)
class Split:
    """Images as float32 (N, 28, 28) in [0, 1] (white ink on black; or the file's uint8
    bytes, see :func:`load_split`) and int64 labels."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


def _find(folder: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
        if (folder / name).is_file():
            return folder / name
    raise DataError(f"{folder}: missing {stem}.gz (expected the standard MNIST file layout)")


def load_split(split: str, data_dir: str | os.PathLike | None = None, limit: int | None = None,
               as_uint8: bool = False) -> Split:
    """Load the ``train`` or ``test`` split of a data folder (bundled MNIST by default).

    ``as_uint8`` keeps the file's 0..255 bytes (a quarter of the memory of the float
    images) for callers that may not need the pixels as numbers at all.
    """
    if not isinstance(split, str) or split not in SPLIT_FILES:
        raise DataError(f"unknown split {split!r:.40}; expected 'train' or 'test'")
    if data_dir is not None and not isinstance(data_dir, (str, os.PathLike)):
        raise DataError(f"expected a data folder path, got {type(data_dir).__name__}")
    # A negative limit would slice from the end: limit=-5 gave all but the last 5 images.
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, numbers.Integral) or limit < 1):
        raise DataError(f"limit must be a whole number of at least 1, got {limit!r:.40}")
    folder = Path(data_dir) if data_dir is not None else bundled_mnist_dir()
    try:
        is_dir = folder.is_dir()
    except OSError as exc:  # a path the system refuses outright, e.g. too long
        raise DataError(f"{folder}: cannot open ({exc.strerror or exc})") from None
    if not is_dir:
        raise DataError(f"{folder}: data folder not found")
    image_stem, label_stem = SPLIT_FILES[split]
    image_path, label_path = _find(folder, image_stem), _find(folder, label_stem)
    images = read_idx(image_path)
    labels = read_idx(label_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise DataError(f"{image_path}: expected uint8 images of 28x28, got {images.dtype} {images.shape}")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise DataError(f"{label_path}: expected a 1-D uint8 label array, got {labels.dtype} {labels.shape}")
    if len(images) != len(labels):
        raise DataError(
            f"{folder}: {len(images)} images but {len(labels)} labels in the {split} split"
        )
    if len(images) == 0:
        raise DataError(f"{image_path}: contains no images")
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    if as_uint8:
        return Split(images, labels.astype(np.int64))
    return Split(images.astype(np.float32) / 255.0, labels.astype(np.int64))


# Fashion-MNIST as installed by Debian's dataset-fashion-mnist package (same IDX layout).
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")


def dataset_name(data_dir: str | os.PathLike | None) -> str:
    if data_dir is None:
        return "mnist"
    return Path(data_dir).resolve().name or str(data_dir)


def class_names(data_dir: str | os.PathLike | None) -> tuple[str, ...] | None:
    """Names of the ten classes of a data folder; None for digits (named "0".."9")."""
    if data_dir is not None and dataset_name(data_dir) == FASHION_MNIST_DIR.name:
        return FASHION_CLASSES
    return None


def trained_on(card: dict) -> tuple[str | None, str]:
    """The data folder a model card says it was trained on, when it is on this machine
    (None: the bundled MNIST), and a note for the user when it is not."""
    folder = (card.get("training") or {}).get("data_dir")
    if not folder:
        return None, ""
    try:
        here = Path(folder).is_dir()
    except OSError:  # a name the system refuses (too long): not a folder on this machine
        here = False
    if here:
        return str(folder), ""
    return None, f"its data set ({folder}) is not on this machine, so the MNIST test set is shown"
