"""Re-draw MNIST digits the way a mouse draws them: a thin centre line and a uniform pen.

Handwriting in MNIST has strokes of varying width and pressure; a mouse drawing has one
pen width everywhere. Training the encoder on both versions of each digit (see
``training.augment``) teaches it that they are the same digit. The centre line comes from
Zhang-Suen thinning, vectorised over a whole batch of images.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from vaedesk.data.strokes import DEFAULT_PEN_WIDTH
from vaedesk.errors import VaedeskError
from vaedesk.model.encodings import data_digest
from vaedesk.support.atomic import atomic_path
from vaedesk.support.paths import user_cache_dir
from vaedesk.support.safe_read import open_regular

_SUPERSAMPLE = 4


def _neighbours(img: torch.Tensor) -> list[torch.Tensor]:
    """P2..P9 of Zhang-Suen: north, then clockwise, for every pixel of a (N, H, W) batch."""
    p = F.pad(img, (1, 1, 1, 1))
    h, w = img.shape[1:]
    offsets = [(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)]
    return [p[:, 1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] for dy, dx in offsets]


def thin(binary: torch.Tensor, max_iterations: int = 30) -> torch.Tensor:
    """Zhang-Suen thinning of a (N, H, W) batch of 0/1 uint8 images to one-pixel lines."""
    img = binary.clone()
    for _ in range(max_iterations):
        changed = False
        for step in (0, 1):
            n = _neighbours(img)
            count = sum(q.to(torch.int16) for q in n)
            ring = n + n[:1]
            transitions = sum(((ring[i] == 0) & (ring[i + 1] == 1)).to(torch.int16) for i in range(8))
            p2, p4, p6, p8 = n[0], n[2], n[4], n[6]
            if step == 0:
                c1, c2 = (p2 * p4 * p6) == 0, (p4 * p6 * p8) == 0
            else:
                c1, c2 = (p2 * p4 * p8) == 0, (p2 * p6 * p8) == 0
            remove = (img == 1) & (count >= 2) & (count <= 6) & (transitions == 1) & c1 & c2
            if remove.any():
                img[remove] = 0
                changed = True
        if not changed:
            break
    return img


def pen_style(images: np.ndarray, pen_width: float = DEFAULT_PEN_WIDTH, batch: int = 128) -> np.ndarray:
    """Each (28, 28) digit re-drawn along its centre line with a uniform anti-aliased pen.

    ``batch`` bounds memory: the supersampled disc convolution needs about 0.8 MB per image
    (3.8 GB at 4,096 images a batch, 106 MB at 128, and no faster).
    """
    s = _SUPERSAMPLE
    radius = pen_width * s / 2
    r = int(np.ceil(radius))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    disc = torch.from_numpy(((xx**2 + yy**2) <= radius**2).astype(np.float32))[None, None]
    out = np.empty_like(images, dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(images), batch):
            chunk = torch.from_numpy(np.ascontiguousarray(images[start : start + batch]))
            skeleton = thin((chunk > 0.5).to(torch.uint8)).float().unsqueeze(1)
            # Each skeleton pixel becomes one point at the centre of an s x s cell upstairs.
            up = torch.zeros(skeleton.shape[0], 1, 28 * s, 28 * s)
            up[:, :, s // 2 :: s, s // 2 :: s] = skeleton
            # Discs around the points; neighbours (diagonal ones too, 5.7 px apart) overlap.
            ink = (F.conv2d(up, disc, padding=r) > 0).float()
            out[start : start + batch] = F.avg_pool2d(ink, s).squeeze(1).numpy()
    return out


def cached_pen_style(images: np.ndarray, folder: Path | None = None) -> np.ndarray:
    """:func:`pen_style` of ``images``, kept in the user's cache folder.

    Thinning the 60,000 MNIST training digits takes most of a minute on one core, and
    every training run with pen-style augmentation needs them; they depend only on the
    images, so they are computed once. A missing or damaged cache file (see :func:`read_cached_images`) is recomputed.
    """

    folder = folder if folder is not None else user_cache_dir() / "penstyle"
    path = folder / f"{data_digest(images)}.npy"
    cached = read_cached_images(path, images.shape)
    if cached is not None:
        return cached
    drawn = pen_style(images)
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.save(f, drawn, allow_pickle=False)
    except OSError:
        pass  # an unwritable cache only costs the next run its time
    return drawn


def read_cached_images(path: Path, shape: tuple[int, ...]) -> np.ndarray | None:
    """The cached drawings, or None when there are none fit to train on: a missing, truncated
    or damaged file, one of another shape, or pixels outside [0, 1] (a NaN would otherwise
    make the first step's loss NaN, blamed on the learning rate) are all recomputed."""
    from numpy.lib import format as npy

    try:
        with open_regular(path, VaedeskError, "a cache file") as fh:
            # The header first: a file claiming a huge shape is never allocated.
            version = npy.read_magic(fh)
            read_header = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
            stored_shape, fortran, dtype = read_header(fh)
            if stored_shape != shape or dtype != np.float32 or fortran:
                return None
            fh.seek(0)
            cached = np.load(fh, allow_pickle=False)
    except (VaedeskError, OSError, ValueError, EOFError):
        return None
    if cached.shape != shape or not (np.isfinite(cached).all() and cached.min() >= 0 and cached.max() <= 1):
        return None
    return cached
