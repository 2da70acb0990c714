"""The distortions a training batch goes through: :func:`augment` (the encoder's inputs only,
so it learns mouse drawings) and :func:`jitter` (inputs and targets alike, so it sees more
digits). Every random number comes from the run's generator, in a fixed order: a seed
gives the same batches.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F


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


def _uniform(count: int, generator: torch.Generator, low: float, high: float) -> torch.Tensor:
    return low + (high - low) * torch.rand(count, generator=generator)


def _warp(count: int, generator: torch.Generator, pixels: float) -> torch.Tensor:
    """Smooth displacement fields (count, 28, 28, 2) in grid units, up to ``pixels`` pixels:
    a 4x4 grid of random offsets upsampled bicubically, so neighbouring ink moves together."""
    coarse = torch.rand(count, 2, 4, 4, generator=generator) * 2 - 1
    strength = torch.rand(count, 1, 1, 1, generator=generator) * (pixels * 2 / 28)  # grid spans 2 per 28 px
    field = F.interpolate(coarse * strength, size=(28, 28), mode="bicubic", align_corners=True)
    return field.permute(0, 2, 3, 1)
