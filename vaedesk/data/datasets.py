"""Data sets: IDX folders in the standard MNIST layout (MNIST, Fashion-MNIST, ...), folders
of Quick, Draw! "numpy bitmap" files (one ``.npy`` per category) and folders of images in
one sub-folder per class. The last two have no test split of their own: one is held out
deterministically (:func:`load_split`)."""

from __future__ import annotations

import hashlib
import numbers
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vaedesk.data.idx import read_idx
from vaedesk.errors import DataError, ImageError, one_line
from vaedesk.support.paths import bundled_mnist_dir

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


def _idx_names(stem: str) -> tuple[str, ...]:
    """The names an IDX file of the MNIST layout may have: gzipped (as published),
    xz-compressed (as bundled: 2 MB smaller) or plain."""
    return (stem + ".gz", stem + ".xz", stem, stem.replace("-idx", ".idx"))


def _find(folder: Path, stem: str) -> Path:
    for name in _idx_names(stem):
        if (folder / name).is_file():
            return folder / name
    raise DataError(f"{folder}: missing {stem}.gz (expected the standard MNIST file layout)")


def load_split(split: str, data_dir: str | os.PathLike | None = None, limit: int | None = None,
               as_uint8: bool = False, categories: str | Sequence[str] | None = None) -> Split:
    """Load the ``train`` or ``test`` split of a data folder (bundled MNIST by default).

    ``as_uint8`` keeps the file's 0..255 bytes (a quarter of the memory of the float
    images) for callers that may not need the pixels as numbers at all.

    Besides IDX folders, ``data_dir`` may hold Quick, Draw! numpy bitmaps (``NAME.npy`` or
    ``full_numpy_bitmap_NAME.npy``, each (N, 784) uint8) or images in class sub-folders
    (``NAME/*.png``, preprocessed like an imported picture). Their classes are labelled in
    name order (:func:`class_names`), at most :data:`MAX_CLASSES`; ``categories`` (names, or
    one comma-separated string) chooses some. Their test split is held out per class
    (:func:`_held_out`); ``limit`` counts per category in a Quick, Draw! folder.
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
    layout = _layout(folder)
    if layout == "none":
        raise DataError(f"{folder}: missing {SPLIT_FILES[split][0]}.gz (expected the standard MNIST file layout, "
                        "Quick, Draw! .npy files or one sub-folder of images per class)")
    if layout != "idx":
        return _load_classes(folder, layout, split, limit, as_uint8, categories)
    if categories is not None:
        raise DataError(f"{folder}: categories choose among Quick, Draw! files or image sub-folders, "
                        "not the classes of an IDX folder")
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



# --------------------------------------------------------------------------- named classes

# The app colours and names at most ten classes (its plane has ten class colours).
MAX_CLASSES = 10
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
QUICKDRAW_PREFIX = "full_numpy_bitmap_"  # the public files' names: full_numpy_bitmap_cat.npy
# Held out for testing: 1/7 of each class (MNIST's 10,000 of 70,000), at least one image and
# at most 1,000 (MNIST's per digit), so 100,000+ doodles a category don't make a huge test set.
TEST_SHARE = 7
TEST_MAX = 1000
_NPY_MAGIC = b"\x93NUMPY"


def _entries(folder: Path) -> list[Path]:
    """The folder's visible entries, sorted by name, never in the file system's listing order.
    Hidden ones (macOS's ``._x.png``) and the ``__MACOSX`` folder of a zip made on a Mac are
    not data."""
    try:
        return sorted((p for p in folder.iterdir() if not p.name.startswith(".") and p.name != "__MACOSX"),
                      key=lambda p: p.name)
    except OSError as exc:
        raise DataError(f"{folder}: cannot list ({exc.strerror or one_line(exc)})") from None


def _is_idx(folder: Path) -> bool:
    return any((folder / name).is_file() for stems in SPLIT_FILES.values() for stem in stems
               for name in _idx_names(stem))


def _layout(folder: Path) -> str:
    """``idx``, ``quickdraw`` (``.npy`` files), ``images`` (sub-folders) or ``none``."""
    if _is_idx(folder):
        return "idx"
    entries = _entries(folder)
    if any(p.suffix.lower() == ".npy" for p in entries):
        return "quickdraw"
    if any(p.is_dir() for p in entries):
        return "images"
    return "none"


def _sources(folder: Path, layout: str) -> dict[str, Path]:
    """Each class name and its ``.npy`` file or image sub-folder, in name order."""
    found: dict[str, Path] = {}
    for path in _entries(folder):
        if layout == "quickdraw" and path.suffix.lower() == ".npy":
            name = path.stem.removeprefix(QUICKDRAW_PREFIX)
        elif layout == "images" and path.is_dir():
            name = path.name
        else:
            continue
        if name in found:
            raise DataError(f"{path}: category {name!r} also comes from {found[name].name}")
        found[name] = path
    return dict(sorted(found.items()))


def _chosen(folder: Path, available: dict[str, Path], categories: str | Sequence[str] | None,
            check_count: bool = True) -> list[str]:
    """The names of the classes to load, in label (name) order."""
    if categories is None:
        names = list(available)
        if check_count and len(names) > MAX_CLASSES:
            raise DataError(f"{folder}: {len(names)} categories, but at most {MAX_CLASSES} categories; "
                            "choose some with --categories")
        return names
    if isinstance(categories, str):
        wanted = [name.strip() for name in categories.split(",")]
    elif isinstance(categories, Sequence) and all(isinstance(name, str) for name in categories):
        wanted = [name.strip() for name in categories]
    else:
        raise DataError(f"categories must be names, got {categories!r:.40}")
    if not wanted or not all(wanted):
        raise DataError(f"categories must be names separated by commas, got {categories!r:.60}")
    unknown = [name for name in wanted if name not in available]
    if unknown:
        shown = ", ".join(list(available)[:40]) + (f", ... ({len(available)} in all)" if len(available) > 40 else "")
        raise DataError(f"{folder}: no category {unknown[0]!r}; available: {shown}")
    names = sorted(set(wanted))  # name order, as without a choice: the same labels however they are listed
    if check_count and len(names) > MAX_CLASSES:
        raise DataError(f"{len(names)} categories chosen, but at most {MAX_CLASSES} categories")
    return names


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=8).digest(), "little")


def _mix(keys: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a fixed, well-spread 64-bit hash of each key, the same with every
    NumPy (whose random streams may change between versions)."""
    z = keys.astype(np.uint64)  # array arithmetic wraps modulo 2**64, as the hash needs
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


def _held_out(split: str, keys: np.ndarray, limit: int | None) -> np.ndarray:
    """Positions of one class's ``split`` among its items, given their hash ``keys``: the items
    of the smallest keys are the test split, the rest training, so the split depends only on
    the items' names (files) or positions (doodles), never on how a folder lists. In the
    order of a second hash (:func:`_load_classes` interleaves the classes by it), the first
    ``limit`` of them."""
    order = np.argsort(keys, kind="stable")
    n_test = min(TEST_MAX, max(1, len(keys) // TEST_SHARE))
    chosen = order[:n_test] if split == "test" else order[n_test:]
    chosen = chosen[np.argsort(_mix(keys[chosen]), kind="stable")]
    return chosen if limit is None else chosen[:limit]


def _load_classes(folder: Path, layout: str, split: str, limit: int | None, as_uint8: bool,
                  categories: str | Sequence[str] | None) -> Split:
    available = _sources(folder, layout)
    names = _chosen(folder, available, categories)
    # Per class: (label, item positions, their hashes, and the file or files).
    parts: list[tuple[int, np.ndarray, np.ndarray, Any]] = []
    for label, name in enumerate(names):
        if layout == "quickdraw":
            doodles = _open_npy(available[name])
            salt = np.uint64(_hash64(name))
            keys = _mix(np.arange(len(doodles), dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15) + salt)
            # A Quick, Draw! file holds 100,000+ doodles: limit counts per category.
            chosen = _held_out(split, keys, limit)
            parts.append((label, chosen, keys[chosen], doodles))
        else:
            files = _image_files(available[name])
            keys = np.array([_hash64(f"{name}/{path.name}") for path in files], dtype=np.uint64)
            chosen = _held_out(split, keys, None)
            parts.append((label, chosen, keys[chosen], files))
    # Classes interleaved, as in MNIST's shuffled files, so the first N hold every class: by the
    # second hash, as the held-out items took each class's smallest keys.
    labels = np.concatenate([np.full(len(chosen), label, np.int64) for label, chosen, _, _ in parts])
    positions = np.concatenate([chosen for _, chosen, _, _ in parts])
    order = np.lexsort((labels, _mix(np.concatenate([keys for _, _, keys, _ in parts]))))
    if layout == "images" and limit is not None:
        order = order[:limit]  # before preprocessing: only the images used are read
    labels, positions = labels[order], positions[order]
    images = np.empty((len(labels), 28, 28), np.uint8)
    for label, _, _, source in parts:
        where = np.flatnonzero(labels == label)
        if layout == "quickdraw":
            rows = positions[where]
            by_row = np.argsort(rows, kind="stable")  # rows in file order read the memory map forwards
            images[where[by_row]] = np.asarray(source[rows[by_row]]).reshape(-1, 28, 28)
        else:
            for at, index in zip(where, positions[where], strict=True):
                images[at] = _preprocessed(source[index])
    if as_uint8:
        return Split(images, labels)
    return Split(images.astype(np.float32) / 255.0, labels)


def _open_npy(path: Path) -> np.ndarray:
    """A Quick, Draw! numpy bitmap file, memory-mapped (100,000+ doodles are not read whole)."""
    problem = f"{path}: not a Quick, Draw! numpy bitmap file"
    try:
        with open(path, "rb") as handle:
            if handle.read(len(_NPY_MAGIC)) != _NPY_MAGIC:
                raise DataError(f"{problem} (not a .npy file)")
        doodles = np.load(path, mmap_mode="r", allow_pickle=False)
    except DataError:
        raise
    except (OSError, ValueError, EOFError) as exc:  # object arrays, truncated files, ...
        raise DataError(f"{problem} ({exc.strerror if isinstance(exc, OSError) and exc.strerror else one_line(exc)})"
                        ) from None
    if not isinstance(doodles, np.ndarray):  # an .npz archive
        doodles.close()
        raise DataError(f"{problem} (a .npz archive, not one array)")
    if doodles.dtype != np.uint8 or not (doodles.ndim == 2 and doodles.shape[1] == 784
                                         or doodles.ndim == 3 and doodles.shape[1:] == (28, 28)):
        raise DataError(f"{problem} (expected uint8 rows of 784 = 28x28 pixels, got {doodles.dtype} {doodles.shape})")
    if len(doodles) < 2:
        raise DataError(f"{path}: {len(doodles)} doodles; a category needs at least 2 (one is held out for testing)")
    return doodles


def _image_files(folder: Path) -> list[Path]:
    files = [p for p in _entries(folder) if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    if len(files) < 2:
        raise DataError(f"{folder}: {len(files)} images ({', '.join(IMAGE_SUFFIXES)}); a class needs at least 2 "
                        "(one is held out for testing)")
    return files


def _preprocessed(path: Path) -> np.ndarray:
    """An image file as MNIST-like uint8 pixels: inverted if dark on light, cropped, centred."""
    from vaedesk.data.images import preprocess_file  # Pillow: only for image folders

    try:
        image = preprocess_file(path)
    except ImageError as exc:  # its message names the file
        raise DataError(str(exc)) from None
    # Bytes, like an IDX file's: the float and as_uint8 splits agree exactly.
    return np.round(image * 255).astype(np.uint8)

# Fashion-MNIST as installed by Debian's dataset-fashion-mnist package (same IDX layout).
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")


def dataset_name(data_dir: str | os.PathLike | None) -> str:
    if data_dir is None:
        return "mnist"
    return Path(data_dir).resolve().name or str(data_dir)


def class_names(data_dir: str | os.PathLike | None,
                categories: str | Sequence[str] | None = None) -> tuple[str, ...] | None:
    """Names of the classes of a data folder, in label order; None for digits (named "0".."9").

    For a Quick, Draw! or image folder, the names of its files or sub-folders (those of
    ``categories`` when given), as :func:`load_split` labels them; they are not counted
    here, so a check that only asks "digits or not?" works for any folder.
    """
    if data_dir is None:
        return None
    if dataset_name(data_dir) == FASHION_MNIST_DIR.name:
        return FASHION_CLASSES
    folder = Path(data_dir)
    try:
        if not folder.is_dir():
            return None
    except OSError:
        return None
    layout = _layout(folder)
    if layout in ("idx", "none"):
        return None
    return tuple(_chosen(folder, _sources(folder, layout), categories, check_count=False))


def trained_categories(card: dict) -> str | None:
    """The categories (comma-separated) a model card says its model was trained on, if chosen."""
    categories = (card.get("training") or {}).get("categories")
    return categories if isinstance(categories, str) and categories else None


def model_split(card: dict, split: str, limit: int | None = None, as_uint8: bool = False) -> Split:
    """The ``split`` of the data a model was trained on (its folder and categories, when that
    folder is on this machine; else the bundled MNIST)."""
    data_dir = trained_on(card)[0]
    return load_split(split, data_dir, limit, as_uint8,
                      categories=trained_categories(card) if data_dir is not None else None)


def model_class_names(card: dict) -> tuple[str, ...] | None:
    """The class names of the data a model was trained on (None: digits)."""
    data_dir = trained_on(card)[0]
    return class_names(data_dir, trained_categories(card) if data_dir is not None else None)


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
