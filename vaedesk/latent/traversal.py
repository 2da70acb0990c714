"""Per-dimension traversals: what each latent dimension means to the decoder.

Starting from a latent vector (a drawing's or a test digit's posterior mean), one dimension
at a time moves over ±3 prior standard deviations while the others stay; each row of
decodings shows what that dimension changes. Rows are ordered by the dimension's average KL
to the prior over the test set: a dimension with (almost) none carries no information — the
KL term has pulled it onto the prior — and changes nothing, which a learner should see.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from vaedesk.errors import LatentError
from vaedesk.support.arrays import as_count, as_real, as_vector
from vaedesk.support.limits import FRAMES_LIMIT

__all__ = ["INACTIVE_KL", "Traversal", "dimension_information", "save_traversal", "traverse"]

# A dimension whose average KL is below this (nats) is inactive: its posterior is the prior.
INACTIVE_KL = 0.01
MAX_STEPS = 64
MAX_SPAN = 10.0


def dimension_information(model: object, images: np.ndarray | None = None) -> np.ndarray:
    """Average KL(q(z_d|x) || N(0, 1)) of each latent dimension d over ``images`` (the MNIST
    test set by default), in nats; for an autoencoder, which has no KL, the variance of its
    codes instead (still zero for an unused dimension)."""
    if images is None:
        from vaedesk.data.datasets import load_split

        images = load_split("test").images
    posterior = model.encode(images)  # type: ignore[attr-defined]
    if posterior.logvar is None:
        return posterior.mean.astype(np.float64).var(0)
    mean, logvar = posterior.mean.astype(np.float64), posterior.logvar.astype(np.float64)
    return (0.5 * (mean**2 + np.exp(logvar) - 1.0 - logvar)).mean(0)


@dataclass(frozen=True)
class Traversal:
    """Decodings of ``origin`` with each dimension in ``order`` swept over ``values``.

    ``images`` is (len(order), len(values), 28, 28): row i sweeps dimension ``order[i]``;
    ``information`` is each dimension's average KL (nats, indexed by dimension) and
    ``active`` whether it is above :data:`INACTIVE_KL`."""

    origin: np.ndarray
    order: np.ndarray
    values: np.ndarray
    images: np.ndarray
    information: np.ndarray

    @property
    def active(self) -> np.ndarray:
        return self.information >= INACTIVE_KL

    def grid(self, gap: int = 2) -> np.ndarray:
        """All rows as one image (rows x steps of 28 x 28 tiles, ``gap`` pixels apart)."""
        rows, steps = self.images.shape[:2]
        out = np.zeros((rows * (28 + gap) - gap, steps * (28 + gap) - gap), np.float32)
        for r in range(rows):
            for c in range(steps):
                out[r * (28 + gap) : r * (28 + gap) + 28, c * (28 + gap) : c * (28 + gap) + 28] = self.images[r, c]
        return out

    def frames(self, gap: int = 2) -> np.ndarray:
        """An animation: frame t shows every row's decoding at step t, side by side in a
        column of tiles, the order of the rows (frames, H, W)."""
        rows, steps = self.images.shape[:2]
        out = np.zeros((steps, rows * (28 + gap) - gap, 28), np.float32)
        for t in range(steps):
            for r in range(rows):
                out[t, r * (28 + gap) : r * (28 + gap) + 28] = self.images[r, t]
        return out


def traverse(model: object, origin: ArrayLike, steps: int = 9, span: float = 3.0,
             information: ArrayLike | None = None, dims: ArrayLike | None = None) -> Traversal:
    """Sweep each latent dimension of ``origin`` (D,) over ``span`` prior standard deviations
    either side of 0 in ``steps`` steps, the other dimensions held at ``origin``.

    Rows follow ``dims`` if given, else every dimension by decreasing ``information``
    (:func:`dimension_information`, computed when not given)."""
    dim = int(model.latent_dim)  # type: ignore[attr-defined]
    z = as_vector(origin, "traversal origin", dim)
    steps = as_count(steps, "traversal steps", 2, MAX_STEPS)
    span = as_real(span, "traversal span")
    if not 0 < span <= MAX_SPAN:
        raise LatentError(f"traversal span must be in (0, {MAX_SPAN:g}] prior standard deviations, got {span:g}")
    info = (dimension_information(model) if information is None
            else as_vector(information, "dimension information", dim))
    if dims is None:
        order = np.argsort(-info, kind="stable")
    else:
        order = np.asarray(dims)
        if order.ndim != 1 or len(order) == 0 or not np.issubdtype(order.dtype, np.integer) \
                or order.min() < 0 or order.max() >= dim:
            raise LatentError(f"dims must be latent dimensions in 0..{dim - 1}")
    if len(order) * steps > FRAMES_LIMIT:
        raise LatentError(f"a traversal of {len(order)} dimensions x {steps} steps exceeds {FRAMES_LIMIT} decodings")
    values = np.linspace(-span, span, steps)
    latents = np.repeat(z[None, None, :], len(order), 0).repeat(steps, 1)
    for row, d in enumerate(order):
        latents[row, :, d] = values
    images = model.decode(latents.reshape(-1, dim).astype(np.float32))  # type: ignore[attr-defined]
    return Traversal(z, order, values, images.reshape(len(order), steps, 28, 28), info)


def save_traversal(traversal: Traversal, path: str | os.PathLike, fps: float = 6, scale: int = 4) -> Path:
    """Write a traversal as a PNG grid (``.png``) or an animated GIF (``.gif``), ``scale``
    times the decoder's 28 x 28 pixels per tile."""
    from vaedesk.export import save_gif, save_png

    suffix = Path(path).suffix.lower()
    scale = as_count(scale, "scale", 1, 16)
    if suffix == ".png":
        grid = traversal.grid()
        return save_png(grid, path, size=min(2048, max(grid.shape) * scale))
    if suffix == ".gif":
        frames = traversal.frames()
        return save_gif(frames, path, fps=fps, size=min(2048, max(frames.shape[1:]) * scale), pingpong=True)
    raise LatentError(f"{path}: a traversal is saved as .png (a grid) or .gif (an animation)")
