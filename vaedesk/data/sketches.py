"""Synthetic mouse drawings of the digits 0-9.

Each digit has a few simple style templates (a 1 with or without flag and base, an open or
closed 4, a 7 with or without crossbar, ...) written as polylines and elliptical arcs in a
unit frame: height 1, width about 0.6, x right and y down.  A drawing picks a template,
jitters its proportions, bends it with a smooth wobble, slants, stretches and rotates it,
places it on the canvas at 30%-90% of the canvas size and resamples it every few pixels
with a little per-point noise, as a mouse would report it.

They are used to check that the model's encoder puts mouse drawings in the right cluster
and by GUI tests that replay the strokes as real mouse events.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from vaedesk.support.limits import CANVAS_SIZE

__all__ = ["draw_digit", "synthetic_drawings"]

Strokes = list[np.ndarray]
Template = Callable[[np.random.Generator], Strokes]


# --------------------------------------------------------------------------- primitives


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float) -> np.ndarray:
    """Elliptical arc from angle a0 to a1 in degrees (0 = right, 90 = up, increasing = CCW)."""
    n = max(2, int(abs(a1 - a0) / 4) + 1)  # a vertex every 4 degrees: smooth before resampling
    a = np.radians(np.linspace(a0, a1, n))
    return np.stack((cx + rx * np.cos(a), cy - ry * np.sin(a)), axis=1)


def _line(*points: tuple[float, float]) -> np.ndarray:
    return np.asarray(points, dtype=np.float64)


def _join(*pieces: np.ndarray) -> np.ndarray:
    """Concatenate polyline pieces into one stroke (the pen does not lift between them)."""
    return np.concatenate(pieces, axis=0)


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


# --------------------------------------------------------------------------- templates
# Every template returns strokes in the unit frame (height 1, y down).


def _zero(rng: np.random.Generator) -> Strokes:
    rx = _u(rng, 0.25, 0.4)
    start = _u(rng, 60, 120)
    overlap = _u(rng, 0, 30)
    return [_arc(0.3, 0.5, rx, 0.5, start, start + 360 + overlap)]


def _one_plain(rng: np.random.Generator) -> Strokes:
    return [_line((0.3, 0.0), (0.3 + _u(rng, -0.03, 0.03), 1.0))]


def _one_flag(rng: np.random.Generator) -> Strokes:
    flag = (0.3 - _u(rng, 0.12, 0.22), _u(rng, 0.12, 0.25))
    return [_line(flag, (0.3, 0.0), (0.3, 1.0))]


def _one_flag_base(rng: np.random.Generator) -> Strokes:
    half = _u(rng, 0.13, 0.2)
    return _one_flag(rng) + [_line((0.3 - half, 1.0), (0.3 + half, 1.0))]


def _two_plain(rng: np.random.Generator) -> Strokes:
    r = _u(rng, 0.25, 0.3)
    hump = _arc(0.3, r, r, r, _u(rng, 150, 175), _u(rng, -50, -30))
    corner = (_u(rng, 0.0, 0.06), 1.0)
    base_end = (_u(rng, 0.55, 0.68), _u(rng, 0.96, 1.02))
    return [_join(hump, _line(corner, base_end))]


def _two_loop(rng: np.random.Generator) -> Strokes:
    r = _u(rng, 0.25, 0.3)
    hump = _arc(0.3, r, r, r, _u(rng, 150, 175), _u(rng, -50, -30))
    lr = _u(rng, 0.07, 0.1)
    loop = _arc(0.05 + lr, 1.0 - lr, lr, lr, 165, 590)
    base_end = (_u(rng, 0.55, 0.68), _u(rng, 0.95, 1.0))
    return [_join(hump, loop, _line(base_end))]


def _three_round(rng: np.random.Generator) -> Strokes:
    waist = _u(rng, 0.44, 0.52)
    top = _arc(0.3, waist / 2, _u(rng, 0.22, 0.28), waist / 2, _u(rng, 140, 165), -100)
    bottom_r = (1.0 - waist) / 2
    bottom = _arc(0.3, waist + bottom_r, _u(rng, 0.27, 0.32), bottom_r, 100, _u(rng, -160, -140))
    return [_join(top, bottom)]


def _three_flat(rng: np.random.Generator) -> Strokes:
    waist = _u(rng, 0.4, 0.48)
    bottom_r = (1.0 - waist) / 2
    top = _line((_u(rng, 0.0, 0.08), 0.0), (0.6, 0.0), (0.25, waist))
    bottom = _arc(0.3, waist + bottom_r, _u(rng, 0.27, 0.32), bottom_r, 115, _u(rng, -160, -140))
    return [_join(top, bottom)]


def _four_closed(rng: np.random.Generator) -> Strokes:
    bar = _u(rng, 0.58, 0.7)
    stem = _u(rng, 0.4, 0.5)
    return [
        _line((stem, 0.0), (0.0, bar), (_u(rng, 0.58, 0.68), bar)),
        _line((stem, _u(rng, 0.0, 0.1)), (stem, 1.0)),
    ]


def _four_open(rng: np.random.Generator) -> Strokes:
    bar = _u(rng, 0.52, 0.65)
    stem = _u(rng, 0.42, 0.5)
    return [
        _line((_u(rng, 0.02, 0.1), 0.0), (0.0, bar), (_u(rng, 0.58, 0.68), bar)),
        _line((stem, _u(rng, 0.0, 0.08)), (stem, 1.0)),
    ]


def _five_belly(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    neck = _u(rng, 0.38, 0.48)
    r = (1.0 - neck) / 2 + 0.02
    belly = _arc(0.28, 1.0 - r, _u(rng, 0.27, 0.32), r, 145, _u(rng, -155, -135))
    down = _line((0.08, 0.0), (float(belly[0, 0]), float(belly[0, 1])))
    return down, belly


def _five_two_strokes(rng: np.random.Generator) -> Strokes:
    down, belly = _five_belly(rng)
    return [_join(down, belly), _line((0.08, 0.0), (_u(rng, 0.5, 0.65), _u(rng, -0.03, 0.02)))]


def _five_one_stroke(rng: np.random.Generator) -> Strokes:
    down, belly = _five_belly(rng)
    return [_join(_line((_u(rng, 0.5, 0.65), 0.0)), down, belly)]


def _six_parts(rng: np.random.Generator, loop_end: float) -> tuple[np.ndarray, np.ndarray]:
    lr = _u(rng, 0.24, 0.3)
    ly = 1.0 - _u(rng, 0.24, 0.28)
    stem = _arc(0.55, ly, 0.5, ly, _u(rng, 92, 100), 180)
    loop = _arc(0.05 + lr, ly, lr, 1.0 - ly, 180, loop_end)
    return stem, loop


def _six_one_stroke(rng: np.random.Generator) -> Strokes:
    # The loop ends short of the stem it started from, as a quick hand does.
    stem, loop = _six_parts(rng, _u(rng, 490, 520))
    return [_join(stem, loop)]


def _six_two_strokes(rng: np.random.Generator) -> Strokes:
    # A separately drawn loop is closed, with a little overlap.
    stem, loop = _six_parts(rng, _u(rng, 540, 570))
    return [stem, loop]


def _seven_plain(rng: np.random.Generator) -> Strokes:
    foot = (_u(rng, 0.12, 0.3), 1.0)
    bend = _u(rng, -0.05, 0.05)
    mid = ((0.6 + foot[0]) / 2 + bend, 0.5)
    return [_line((0.0, _u(rng, 0.0, 0.05)), (0.6, 0.0), mid, foot)]


def _seven_crossbar(rng: np.random.Generator) -> Strokes:
    strokes = _seven_plain(rng)
    x_mid = float(strokes[0][2, 0])
    half = _u(rng, 0.14, 0.2)
    return strokes + [_line((x_mid - half, 0.52), (x_mid + half, 0.5))]


def _eight_one_stroke(rng: np.random.Generator) -> Strokes:
    waist = _u(rng, 0.42, 0.48)
    top_r, bottom_r = waist / 2, (1.0 - waist) / 2
    top_rx, bottom_rx = _u(rng, 0.2, 0.26), _u(rng, 0.25, 0.31)
    top = _arc(0.3, top_r, top_rx, top_r, 30, 250)
    bottom = _arc(0.3, waist + bottom_r, bottom_rx, bottom_r, 60, -240)
    back = _arc(0.3, top_r, top_rx, top_r, 290, 400)
    return [_join(top, bottom, back)]


def _eight_two_loops(rng: np.random.Generator) -> Strokes:
    waist = _u(rng, 0.42, 0.48)
    top_r, bottom_r = waist / 2, (1.0 - waist) / 2
    top = _arc(0.3, top_r, _u(rng, 0.2, 0.26), top_r, 270, 270 + 370)
    bottom = _arc(0.3, waist + bottom_r, _u(rng, 0.25, 0.31), bottom_r, 90, 90 - 370)
    return [top, bottom]


def _nine_loop(rng: np.random.Generator) -> tuple[np.ndarray, float, float]:
    ry = _u(rng, 0.22, 0.28)
    rx = _u(rng, 0.24, 0.3)
    loop = _arc(0.3, ry, rx, ry, _u(rng, 0, 20), _u(rng, 370, 385))
    return loop, 0.3 + rx, ry


def _nine_straight(rng: np.random.Generator) -> Strokes:
    loop, x, y = _nine_loop(rng)
    return [_join(loop, _line((x, y), (x - _u(rng, 0.0, 0.1), 1.0)))]


def _nine_curved(rng: np.random.Generator) -> Strokes:
    loop, x, y = _nine_loop(rng)
    tail = _arc(x - 0.35, y + 0.15, 0.35, 0.85 - y, 0, _u(rng, -110, -95))
    return [_join(loop, _line((x, y)), tail)]


# (template, weight): the plainer styles are the more common ones in MNIST.
_TEMPLATES: dict[int, list[tuple[Template, float]]] = {
    0: [(_zero, 1.0)],
    1: [(_one_plain, 0.55), (_one_flag, 0.3), (_one_flag_base, 0.15)],
    2: [(_two_plain, 0.7), (_two_loop, 0.3)],
    3: [(_three_round, 0.75), (_three_flat, 0.25)],
    4: [(_four_closed, 0.5), (_four_open, 0.5)],
    5: [(_five_two_strokes, 0.6), (_five_one_stroke, 0.4)],
    6: [(_six_one_stroke, 0.7), (_six_two_strokes, 0.3)],
    7: [(_seven_plain, 0.7), (_seven_crossbar, 0.3)],
    8: [(_eight_one_stroke, 0.6), (_eight_two_loops, 0.4)],
    9: [(_nine_straight, 0.6), (_nine_curved, 0.4)],
}


# ---- further allographs, used with ``variety=True`` (the training pool of vaedesk.data.sketch_pairs)


def _zero_open(rng: np.random.Generator) -> Strokes:
    rx = _u(rng, 0.22, 0.4)
    start = _u(rng, 40, 140)
    return [_arc(0.3, 0.5, rx, 0.5, start, start + _u(rng, 320, 350))]


def _one_serif(rng: np.random.Generator) -> Strokes:
    half = _u(rng, 0.1, 0.18)
    return [_line((0.3, 0.0), (0.3, 1.0)), _line((0.3 - half, 1.0), (0.3 + half, 1.0))]


def _two_z(rng: np.random.Generator) -> Strokes:
    top = _arc(0.3, 0.12, 0.28, 0.12, _u(rng, 160, 180), _u(rng, -20, 0))
    return [_join(top, _line((_u(rng, 0.0, 0.05), 1.0), (_u(rng, 0.55, 0.66), _u(rng, 0.97, 1.02))))]


def _three_pointed(rng: np.random.Generator) -> Strokes:
    waist = _u(rng, 0.42, 0.5)
    top = _arc(0.3, waist / 2, _u(rng, 0.22, 0.28), waist / 2, _u(rng, 150, 170), -90)
    bottom_r = (1.0 - waist) / 2
    bottom = _arc(0.3, waist + bottom_r, _u(rng, 0.27, 0.32), bottom_r, 90, _u(rng, -165, -140))
    cusp = _line((_u(rng, 0.12, 0.22), waist))
    return [_join(top, cusp, bottom)]


def _four_crossed(rng: np.random.Generator) -> Strokes:
    bar = _u(rng, 0.55, 0.68)
    stem = _u(rng, 0.38, 0.48)
    return [
        _line((_u(rng, 0.0, 0.12), 0.0), (0.0, bar), (_u(rng, 0.62, 0.72), bar)),
        _line((stem, _u(rng, 0.15, 0.35)), (stem + _u(rng, -0.03, 0.03), 1.0)),
    ]


def _four_one_stroke(rng: np.random.Generator) -> Strokes:
    bar = _u(rng, 0.55, 0.68)
    stem = _u(rng, 0.4, 0.5)
    return [_line((stem, 0.0), (0.0, bar), (_u(rng, 0.6, 0.7), bar), (stem, bar), (stem, 1.0))]


def _five_angular(rng: np.random.Generator) -> Strokes:
    neck = _u(rng, 0.38, 0.48)
    return [
        _line((0.08, 0.0), (0.05, neck), (0.45, neck + 0.02), (0.58, 0.72), (0.45, 0.95), (0.0, _u(rng, 0.88, 1.0))),
        _line((0.08, 0.0), (_u(rng, 0.5, 0.65), 0.0)),
    ]


def _six_straight(rng: np.random.Generator) -> Strokes:
    lr = _u(rng, 0.22, 0.28)
    ly = 1.0 - _u(rng, 0.22, 0.28)
    loop = _arc(0.05 + lr, ly, lr, 1.0 - ly, 180, _u(rng, 500, 550))
    return [_join(_line((_u(rng, 0.4, 0.55), 0.0)), loop)]


def _seven_curved(rng: np.random.Generator) -> Strokes:
    # The stem bows as a quadratic Bezier curve from the bar's end to the foot.
    start, bow, foot = np.array([0.62, 0.0]), np.array([_u(rng, 0.5, 0.62), 0.5]), np.array([_u(rng, 0.12, 0.3), 1.0])
    t = np.linspace(0.0, 1.0, 24)[:, None]
    stem = (1 - t) ** 2 * start + 2 * (1 - t) * t * bow + t**2 * foot
    return [_join(_line((0.0, _u(rng, 0.0, 0.05))), stem)]


def _seven_serif(rng: np.random.Generator) -> Strokes:
    strokes = _seven_plain(rng)
    tick = _line((0.0, _u(rng, 0.12, 0.2)), (0.0, 0.02))
    return [_join(tick, strokes[0])]


def _eight_snowman(rng: np.random.Generator) -> Strokes:
    waist = _u(rng, 0.36, 0.46)
    top_r, bottom_r = waist / 2, (1.0 - waist) / 2
    top = _arc(0.3, top_r, _u(rng, 0.15, 0.22), top_r, 90, 90 + _u(rng, 350, 380))
    bottom = _arc(0.3, waist + bottom_r, _u(rng, 0.25, 0.33), bottom_r, 90, 90 + _u(rng, 350, 380))
    return [top, bottom]


def _nine_two_strokes(rng: np.random.Generator) -> Strokes:
    loop, x, y = _nine_loop(rng)
    return [loop, _line((x, _u(rng, 0.0, y)), (x - _u(rng, 0.0, 0.08), 1.0))]


_MORE_TEMPLATES: dict[int, list[tuple[Template, float]]] = {
    0: [(_zero_open, 0.5)],
    1: [(_one_serif, 0.2)],
    2: [(_two_z, 0.3)],
    3: [(_three_pointed, 0.3)],
    4: [(_four_crossed, 0.4), (_four_one_stroke, 0.3)],
    5: [(_five_angular, 0.3)],
    6: [(_six_straight, 0.4)],
    7: [(_seven_curved, 0.3), (_seven_serif, 0.2)],
    8: [(_eight_snowman, 0.3)],
    9: [(_nine_two_strokes, 0.4)],
}


# --------------------------------------------------------------------------- variation


def _wobble(points: np.ndarray, waves: np.ndarray) -> np.ndarray:
    """Smooth displacement field of position, so crossing strokes bend together."""
    out = points.copy()
    for axis in (0, 1):
        for amp, fx, fy, phase in waves[axis]:
            out[:, axis] += amp * np.sin(fx * points[:, 0] + fy * points[:, 1] + phase)
    return out


def _misplace(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    """Strokes after the first land a little off (gaps and overlaps where they should meet),
    and sometimes the pen lands with a small hook before the first stroke."""
    out = [strokes[0]] + [s + rng.normal(0.0, 0.025, 2) for s in strokes[1:]]
    if rng.random() < 0.3:
        angle = rng.uniform(0, 2 * np.pi)
        hook = out[0][0] + rng.uniform(0.03, 0.07) * np.array([np.cos(angle), np.sin(angle)])
        out[0] = np.concatenate((hook[None], out[0]))
    return out


def _resample(points: np.ndarray, spacing: float) -> np.ndarray:
    """Points every ``spacing`` along the polyline, like mouse-move events."""
    seg = np.hypot(*np.diff(points, axis=0).T)
    arc = np.concatenate(([0.0], np.cumsum(seg)))
    if arc[-1] <= spacing:
        return points[[0, -1]] if arc[-1] > 0 else points[:1]
    t = np.linspace(0.0, arc[-1], int(math.ceil(arc[-1] / spacing)) + 1)
    return np.stack((np.interp(t, arc, points[:, 0]), np.interp(t, arc, points[:, 1])), axis=1)


def draw_digit(digit: int, rng: np.random.Generator, size: float = CANVAS_SIZE,
               variety: bool = False) -> list[np.ndarray]:
    """Strokes of one handwritten-looking ``digit`` on a ``size`` x ``size`` canvas.

    Returns a list of (K, 2) float64 arrays of x, y canvas coordinates (y down), all
    inside [0, size].  The larger side of the drawing is 30%-90% of the canvas.
    ``variety`` adds further allographs (crossed 4s, curved 7s, snowman 8s, ...), wider
    slant, proportions and wobble, strokes that miss or overrun each other a little, small
    hooks where the pen lands and quick hands whose mouse reports few events: the training
    pool's range (vaedesk.data.sketch_pairs).
    """
    if isinstance(digit, bool) or not isinstance(digit, (int, np.integer)) or not 0 <= digit <= 9:
        raise ValueError(f"digit must be an int from 0 to 9, got {digit!r}")
    if not (isinstance(size, (int, float, np.integer, np.floating)) and math.isfinite(size) and size >= 20):
        raise ValueError(f"canvas size must be a finite number >= 20, got {size!r}")
    size = float(size)
    choices = _TEMPLATES[int(digit)] + (_MORE_TEMPLATES[int(digit)] if variety else [])
    templates, weights = zip(*choices)
    p = np.asarray(weights) / sum(weights)
    strokes = templates[int(rng.choice(len(templates), p=p))](rng)
    if variety:
        strokes = _misplace(strokes, rng)

    # Wobble in the unit frame: about 2% of the height, 1-2 waves across the digit.
    waves = np.stack(
        (
            rng.uniform(0.005, 0.035 if variety else 0.02, (2, 3)),
            rng.uniform(-9, 9, (2, 3)),
            rng.uniform(-9, 9, (2, 3)),
            rng.uniform(0, 2 * np.pi, (2, 3)),
        ),
        axis=-1,
    )
    wide = 1.5 if variety else 1.0
    aspect = math.exp(wide * rng.uniform(math.log(0.8), math.log(1.25)))
    # Within +-15 degrees, but mostly leaning right as MNIST handwriting does.
    slant = math.radians(rng.uniform(-10, 22) if variety else rng.uniform(-8, 15))
    turn = math.radians(rng.uniform(-10, 10) if variety else rng.uniform(-8, 8))
    cos_t, sin_t = math.cos(turn), math.sin(turn)
    shaped: list[np.ndarray] = []
    for stroke in strokes:
        q = _wobble(stroke, waves)
        x = (q[:, 0] - 0.3) * aspect
        y = q[:, 1] - 0.5
        x = x - y * math.tan(slant)  # positive slant leans the top to the right
        shaped.append(np.stack((x * cos_t - y * sin_t, x * sin_t + y * cos_t), axis=1))

    # Scale so the larger side is 30%-90% of the canvas, then place it anywhere inside.
    allpts = np.concatenate(shaped)
    low, high = allpts.min(axis=0), allpts.max(axis=0)
    side = float((high - low).max())
    scale = rng.uniform(0.2 if variety else 0.3, 0.9) * size / side
    extent = (high - low) * scale
    margin = 1.0
    offset = np.array(
        [rng.uniform(margin, max(margin, size - margin - extent[k])) for k in (0, 1)]
    )
    spacing = rng.uniform(1.5, 4.0)  # px between mouse events
    if variety and rng.random() < 0.3:
        spacing = rng.uniform(6.0, 22.0)  # a quick hand: few events, polygonal curves
    jitter = rng.uniform(0.1, 0.5)  # px of hand tremor / sensor noise
    out: list[np.ndarray] = []
    for q in shaped:
        c = (q - low) * scale + offset
        c = _resample(c, spacing)
        c = c + rng.normal(0.0, jitter, c.shape)
        out.append(np.clip(c, 0.0, size))
    return out


def synthetic_drawings(
    n_per_digit: int, seed: int = 0, size: float = CANVAS_SIZE, variety: bool = False
) -> tuple[list[list[np.ndarray]], np.ndarray]:
    """``n_per_digit`` drawings of each digit 0-9 (digit-major order) and their int labels.

    Deterministic for a given ``seed``; ``variety`` as in :func:`draw_digit`.
    """
    if isinstance(n_per_digit, bool) or not isinstance(n_per_digit, (int, np.integer)) or n_per_digit < 0:
        raise ValueError(f"n_per_digit must be a non-negative int, got {n_per_digit!r}")
    rng = np.random.default_rng(seed)
    drawings: list[list[np.ndarray]] = []
    labels: list[int] = []
    for digit in range(10):
        for _ in range(int(n_per_digit)):
            drawings.append(draw_digit(digit, rng, size, variety))
            labels.append(digit)
    return drawings, np.asarray(labels, dtype=np.int64)
