"""Per-image arrays of a data set under a model (posterior means, -ELBOs), cached on disk.

Encoding the 10,000 test images costs about 0.6 s on two cores (66 GFLOP through the
encoder), and the app needs them every time it loads a model to draw the test-set scatter;
:func:`vaedesk.explain` also needs the 60,000 training means and each test image's -ELBO.
They depend only on the weights and the images, so they are computed once and kept in the
user's cache folder under a key made of both digests (and what was computed); a missing,
unreadable or mismatched cache file is simply recomputed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from vaedesk.model.model import Model
from vaedesk.support.atomic import atomic_path
from vaedesk.support.paths import user_cache_dir


def data_digest(images: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(images).data, digest_size=16).hexdigest()


def cache_path(model: Model, images: np.ndarray, folder: Path | None = None, tag: str = "") -> Path | None:
    """Where an array about ``images`` under ``model`` is cached (``tag`` names which; the
    posterior means have none); None for a model without a file."""
    if model.digest is None:
        return None
    folder = folder if folder is not None else user_cache_dir() / "encodings"
    return folder / f"{model.digest[:32]}-{data_digest(images)}{'-' + tag if tag else ''}.npy"


def _read(path: Path, expected_shape: tuple[int, ...]) -> np.ndarray | None:
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if array.shape != expected_shape or array.dtype != np.float32 or not np.isfinite(array).all():
        return None
    return array


def read_cached_array(model: Model, images: np.ndarray, tag: str, shape: tuple[int, ...],
                      folder: Path | None = None) -> np.ndarray | None:
    """The cached array :func:`cached_array` would return, or None when the cache does not
    hold a sound one (nothing is computed)."""
    path = cache_path(model, images, folder, tag)
    return _read(path, shape) if path is not None and path.is_file() else None


def cached_array(model: Model, images: np.ndarray, tag: str, shape: tuple[int, ...],
                 compute: Callable[[], np.ndarray], folder: Path | None = None) -> np.ndarray:
    """The float32 array ``compute()`` returns, of ``shape``, from the cache when it holds a
    sound one (right shape and type, finite); otherwise computed and written atomically."""
    cached = read_cached_array(model, images, tag, shape, folder)
    if cached is not None:
        return cached
    path = cache_path(model, images, folder, tag)
    array = np.asarray(compute(), dtype=np.float32)
    if path is not None and array.shape == shape and np.isfinite(array).all():
        try:
            with atomic_path(path) as tmp, open(tmp, "wb") as f:
                np.save(f, array, allow_pickle=False)
        except OSError:
            pass  # a read-only or full cache folder only costs the next start its speed
    return array


def cached_means(model: Model, images: np.ndarray, folder: Path | None = None,
                 progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """``model.encode(images).mean``, from the cache when it holds them; fills the cache.

    ``images`` may be float in [0, 1] or the data file's uint8 bytes; uint8 images are
    converted only when they have to be encoded, so a cache hit costs no float copy.
    ``progress(done, total)`` hears how many images are encoded, batch by batch.
    """
    def encode() -> np.ndarray:
        if images.dtype != np.uint8 and progress is None:
            return model.encode(images).mean
        means = []
        for start in range(0, len(images), 1000):
            batch = images[start : start + 1000]
            means.append(model.encode(batch / np.float32(255) if batch.dtype == np.uint8 else batch).mean)
            if progress is not None:
                progress(start + len(batch), len(images))
        return np.concatenate(means) if means else np.zeros((0, model.latent_dim), np.float32)

    return cached_array(model, images, "", (len(images), model.latent_dim), encode, folder)
