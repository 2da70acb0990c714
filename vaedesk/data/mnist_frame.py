"""The conventions MNIST's digits were made by, which every model input here follows.

MNIST digits were made from binary scans of handwriting by

1. scaling the digit's ink so that it fits a 20x20 pixel box, keeping its aspect ratio,
   with anti-aliasing (so the stroke edges are grey), and
2. placing the 20x20 result in a 28x28 field so that the ink's centre of mass sits at
   the centre of the field (integer shifts only, hence a +-0.5 px spread).

The result is white ink (1.0) on black (0.0). A model trained on MNIST only recognises
inputs that follow the same conventions, so drawings (:mod:`vaedesk.data.strokes`) and
pictures (:mod:`vaedesk.data.images`) are both framed this way.

Measured on the 60,000 MNIST training images (pixel values scaled to [0, 1]):

* mean centre of mass (row, column) in pixel-index coordinates = (13.996, 14.007), std
  0.29 (uniform +-0.5 from the integer shift), so the target centre is index 14.0 on both
  axes, i.e. 14.5 in continuous coordinates where pixel i spans [i, i + 1);
* ink bounding box: the larger side is exactly 20 px in 99.98% of images, i.e. MNIST fits
  the *ink* (stroke thickness included) to 20 px;
* ink mass (sum of pixel values): mean 102.4, median 99.9 (digit 1: 59.6, digit 0: 135.9);
* stroke width = ink mass / skeleton length (Zhang-Suen skeleton of pixels > 0.5, length
  = 1.12 x skeleton pixels): median 2.36 px, mean 2.55 px (10th-90th pct 1.66-3.63).
"""

from __future__ import annotations

import numpy as np

__all__ = ["FIELD_SIZE", "BOX_SIZE", "MNIST_CENTRE", "centre_of_mass", "shift_fraction", "shift_int"]

FIELD_SIZE = 28
BOX_SIZE = 20.0
# Mean MNIST centre of mass in pixel-index coordinates (row, column), measured: 14.0, 14.0.
MNIST_CENTRE = 14.0


def shift_fraction(img: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """Shift by less than a pixel with linear interpolation; moves the centre of mass exactly."""
    out = img
    for axis, d in ((0, dy), (1, dx)):
        if abs(d) < 1e-6:
            continue
        a = min(abs(d), 1.0)
        moved = np.zeros_like(out)
        if d > 0:
            if axis == 0:
                moved[1:] = out[:-1]
            else:
                moved[:, 1:] = out[:, :-1]
        elif axis == 0:
            moved[:-1] = out[1:]
        else:
            moved[:, :-1] = out[:, 1:]
        out = (1.0 - a) * out + a * moved
    return out


def centre_of_mass(img: np.ndarray) -> tuple[float, float]:
    """Centre of mass (row, column) in pixel-index coordinates."""
    mass = float(img.sum(dtype=np.float64))
    rows = np.arange(img.shape[0], dtype=np.float64)
    cols = np.arange(img.shape[1], dtype=np.float64)
    cy = float(img.sum(axis=1, dtype=np.float64) @ rows) / mass
    cx = float(img.sum(axis=0, dtype=np.float64) @ cols) / mass
    return cy, cx


def shift_int(img: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Translate by whole pixels, filling with zeros (ink pushed off the field is lost)."""
    h, w = img.shape
    out = np.zeros_like(img)
    if abs(dy) >= h or abs(dx) >= w:
        return out
    out[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = img[
        max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out
