"""Generate the held-out set of pen/mouse-drawn digits (an independent generator family).

    python benchmarks/heldout_drawings.py                 # seed 20240611, 60 per digit
    python benchmarks/heldout_drawings.py --seed 7 --per-digit 20 --out /tmp/x.json.gz

Writes ``resources/data/drawn-digits/heldout.json.gz`` (gzip JSON, see the README there).
The project's training never reads this file; the generator here shares no code with the
project's own drawing/sketch generators (it uses only the standard library and numpy).

How a drawing is made -- a small motor-program model of a person drawing with a mouse:

1. An *allograph* (a way people write the digit, picked with a realistic frequency) is a
   list of strokes; each stroke is a sequence of control points in a unit box (y down),
   some marked as corners.  Control points are jittered per drawing.
2. Each corner is drawn sharp, rounded, or with a small overshoot; strokes may start or end
   with a small hook and their ends are extended or cut short (gaps and overlaps where
   strokes should meet).  Between corners the pen follows a centripetal Catmull-Rom spline.
3. The writer's habits transform the curve: aspect ratio, slant (shear), rotation, a slow
   wobble along the stroke, size (15-95% of the canvas) and position anywhere on it.
4. The pen is sampled at constant *time* with a speed that follows the two-thirds power law
   (slow where the curve bends, fast on straight runs, accelerating at the start and
   braking at the end), as mouse events are; hand tremor adds 0.2-1 px of noise and some
   writers' events are snapped to whole pixels.
5. Version 2 widens the writer population: 30% of each digit's drawings are by *fast*
   writers (events 8-25 px apart, corners cut, polygonal curves, long first/last jumps) and
   25% by *sloppy* writers (loops left open or overshot, strokes meeting off, parts in other
   proportions, rotation within +-20 degrees); the two are independent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "resources" / "data" / "drawn-digits" / "heldout.json.gz"
DEFAULT_SEED = 20240611
CANVAS = 280.0
FORMAT = "vaedesk-drawn-digits"
VERSION = 2
# Writer population: shares of each digit's drawings (rounded per digit; independent, so
# some writers are both).
FAST_SHARE = 0.30
SLOPPY_SHARE = 0.25

# A control point is (x, y) or (x, y, True) for a corner; a stroke is a list of them.


def _ellipse(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float,
             step: float = 36.0) -> list[tuple[float, float]]:
    """Points on an ellipse from angle a0 to a1 (degrees; 0 = right, 90 = down)."""
    n = max(2, math.ceil(abs(a1 - a0) / step) + 1)
    out = []
    for a in np.linspace(a0, a1, n):
        r = math.radians(a)
        out.append((cx + rx * math.cos(r), cy + ry * math.sin(r)))
    return out


def _corner(p: tuple[float, float]) -> tuple[float, float, bool]:
    return (p[0], p[1], True)


# --------------------------------------------------------------------------- allographs
# Each returns a list of strokes in a box about 0.6 wide and 1 tall (x right, y down).


def zero_oval(rng: np.random.Generator, clockwise: bool = False, gap: bool = False,
              roundish: bool = False, curl: bool = False) -> list:
    rx = rng.uniform(0.26, 0.34) if not roundish else rng.uniform(0.40, 0.48)
    ry = 0.5 if not roundish else rng.uniform(0.42, 0.5)
    start = -90 + rng.uniform(-5, 30) * (-1 if clockwise else 1)
    sweep = 360 + (rng.uniform(-32, -12) if gap else rng.uniform(-12, 35))
    end = start + sweep if clockwise else start - sweep
    pts = _ellipse(0.3, 0.5, rx, ry, start, end)
    if curl:  # the pen runs on past the start and curls into the oval
        pts = _ellipse(0.3, 0.5, rx, ry, start, start - 360 - rng.uniform(40, 70))
        pts[-1] = (0.3 + (pts[-1][0] - 0.3) * 0.6, 0.5 + (pts[-1][1] - 0.5) * 0.6)
    # An egg: narrower at the top for some writers, lopsided for others.
    taper = rng.uniform(-0.15, 0.2)
    pts = [(0.3 + (x - 0.3) * (1 - taper * (0.5 - y)), y) for x, y in pts]
    return [pts]


def zero_slashed(rng):
    strokes = zero_oval(rng)
    strokes.append([(0.55, 0.1), (0.05, 0.9)] if rng.random() < 0.7 else [(0.05, 0.1), (0.55, 0.9)])
    return strokes


def one_stick(rng, slant: float = 0.0):
    top = (0.3 + slant / 2, 0.0)
    bottom = (0.3 - slant / 2, 1.0)
    mid = ((top[0] + bottom[0]) / 2 + rng.normal(0, 0.02), 0.5)
    return [[top, mid, bottom]]


def one_flag(rng, base: bool = False):
    flag_len = rng.uniform(0.08, 0.22)
    flag_drop = flag_len * rng.uniform(0.7, 1.4)
    stroke = [(0.35 - flag_len, flag_drop), _corner((0.35, 0.0)), (0.35, 0.5), (0.35, 1.0)]
    strokes = [stroke]
    if base:
        w = rng.uniform(0.2, 0.3)
        strokes.append([(0.35 - w, 1.0), (0.35 + w, 1.0)])
    return strokes


def two_plain(rng):
    return [[(0.02, 0.24), (0.12, 0.06), (0.32, 0.0), (0.52, 0.08), (0.56, 0.26),
             (0.45, 0.46), (0.25, 0.7), _corner((0.02, 0.98)), (0.33, 0.97),
             (rng.uniform(0.55, 0.7), 0.96 + rng.normal(0, 0.02))]]


def two_loop(rng):
    return [[(0.02, 0.24), (0.12, 0.06), (0.32, 0.0), (0.52, 0.08), (0.56, 0.26),
             (0.45, 0.46), (0.28, 0.68), (0.12, 0.9), (0.05, 0.98), (0.0, 0.91),
             (0.06, 0.83), (0.17, 0.85), (0.25, 0.95), (0.42, 0.99), (rng.uniform(0.58, 0.7), 0.95)]]


def two_curved_base(rng):
    return [[(0.04, 0.2), (0.2, 0.02), (0.42, 0.02), (0.56, 0.2), (0.48, 0.42),
             (0.25, 0.68), (0.04, 0.92), (0.1, 0.99), (0.3, 0.9), (0.5, 0.92),
             (rng.uniform(0.62, 0.72), rng.uniform(0.8, 0.9))]]


def two_z(rng):
    return [[(0.0, 0.1), (0.3, 0.0), _corner((0.58, 0.05)), _corner((0.0, 0.98)),
             (rng.uniform(0.55, 0.68), 0.98)]]


def three_round(rng):
    mid_x = rng.uniform(0.18, 0.3)
    return [[(0.02, 0.14), (0.2, 0.01), (0.42, 0.03), (0.55, 0.17), (0.48, 0.36),
             _corner((mid_x, 0.47)), (0.5, 0.56), (0.6, 0.74), (0.5, 0.93), (0.28, 1.0),
             (0.0, 0.88)]]


def three_flat_top(rng):
    return [[(0.0, 0.0), _corner((0.6, 0.02)), _corner((0.22, 0.42)), (0.48, 0.5),
             (0.62, 0.72), (0.5, 0.93), (0.25, 1.0), (0.0, 0.88)]]


def three_pointed(rng):
    return [[(0.02, 0.1), (0.25, 0.0), (0.5, 0.08), (0.52, 0.22), _corner((0.12, 0.48)),
             (0.52, 0.62), (0.58, 0.82), (0.35, 1.0), (0.0, 0.9)]]


def four_open(rng, long_stem: bool = False):
    bar_y = rng.uniform(0.55, 0.68) if not long_stem else rng.uniform(0.45, 0.55)
    stem_x = rng.uniform(0.42, 0.5)
    first = [(0.08, 0.0), _corner((0.0, bar_y)), (rng.uniform(0.58, 0.7), bar_y)]
    stem = [(stem_x, rng.uniform(0.12, 0.3)), (stem_x, 1.0)]
    return [first, stem]


def four_closed(rng):
    bar_y = rng.uniform(0.6, 0.7)
    stem_x = rng.uniform(0.42, 0.5)
    first = [(stem_x - 0.05, 0.0), _corner((0.0, bar_y)), (rng.uniform(0.58, 0.7), bar_y)]
    stem = [(stem_x, 0.0), (stem_x, 1.0)]
    return [first, stem]


def four_one_stroke(rng):
    bar_y = rng.uniform(0.5, 0.62)
    stem_x = rng.uniform(0.42, 0.52)
    return [[(0.06, 0.0), _corner((0.0, bar_y)), _corner((stem_x + 0.06, bar_y)),
             _corner((stem_x, rng.uniform(0.0, 0.15))), (stem_x - 0.02, 1.0)]]


def five_belly(rng, angular: bool = False) -> list:
    belly_top = rng.uniform(0.38, 0.48)
    if angular:
        return [(0.06, belly_top + 0.02), _corner((0.5, belly_top)), (0.6, 0.7),
                (0.48, 0.92), (0.25, 1.0), (0.0, 0.9)]
    return [(0.06, belly_top), (0.3, belly_top - 0.06), (0.55, belly_top + 0.08),
            (0.62, 0.72), (0.5, 0.93), (0.25, 1.0), (0.0, 0.9)]


def five_two_stroke(rng, angular: bool = False):
    belly = five_belly(rng, angular)
    body = [(0.1, 0.0), _corner(belly[0])] + belly[1:]
    bar = [(0.1, 0.0), (rng.uniform(0.5, 0.65), rng.uniform(-0.04, 0.03))]
    return [body, bar] if rng.random() < 0.8 else [bar, body]


def five_one_stroke(rng):
    belly = five_belly(rng)
    return [[(rng.uniform(0.5, 0.65), 0.0), _corner((0.1, 0.0)), _corner(belly[0])] + belly[1:]]


def six_loop(rng, open_loop: bool = False, straight: bool = False, small: bool = False):
    if small:  # a long sweeping stem into a small loop at the bottom
        top = rng.uniform(0.38, 0.5)
        return [[(0.6, 0.0), (0.3, 0.2), (0.12, 0.5), (0.06, 0.8), (0.2, 1.0), (0.42, 0.98),
                 (0.5, 0.82), (0.38, top + 0.25), (0.15, top + 0.3), (0.08, 0.78)]]
    if straight:
        head = [(0.45, 0.0), (0.26, 0.3), (0.08, 0.55)]
    else:
        head = [(0.55, 0.02), (0.3, 0.12), (0.1, 0.35)]
    loop = [(0.02, 0.66), (0.1, 0.92), (0.32, 1.0), (0.55, 0.88), (0.58, 0.68), (0.42, 0.54),
            (0.2, 0.55)]
    if open_loop:
        loop[-1] = (0.16, 0.57)
    else:
        loop += [(0.06, 0.68)]
        if rng.random() < 0.5:
            loop += [(0.02, 0.8)]
    pts = head + loop
    return [pts]


def seven_plain(rng, curved: bool = False, serif: bool = False, crossed: bool = False):
    foot_x = rng.uniform(0.12, 0.3)
    if curved:
        stem = [(0.42, 0.4), (0.28, 0.7), (foot_x - 0.02, 1.0)]
    else:
        stem = [(foot_x, 1.0)]
    head = [(0.0, 0.04), _corner((0.62, 0.0))]
    if serif:
        head = [(0.02, 0.2), _corner((0.0, 0.02))] + [_corner((0.62, 0.0))]
    strokes = [head + stem]
    if crossed:
        strokes.append([(0.15, 0.52), (0.58, 0.5)])
    return strokes


def eight_one_stroke(rng, snowman: bool = False):
    if snowman:
        t = rng.uniform(0.35, 0.42)  # top loop height
        tw = rng.uniform(0.13, 0.2)
    else:
        t = rng.uniform(0.42, 0.5)
        tw = rng.uniform(0.22, 0.28)
    bw = rng.uniform(0.26, 0.32)
    cx = 0.3
    pts = [(cx + tw * 0.8, t * 0.15), (cx, 0.0), (cx - tw, t * 0.25), (cx - tw * 0.6, t * 0.7),
           (cx, t), (cx + bw * 0.8, t + (1 - t) * 0.3), (cx + bw * 0.9, t + (1 - t) * 0.72),
           (cx, 1.0), (cx - bw * 0.9, t + (1 - t) * 0.72), (cx - bw * 0.8, t + (1 - t) * 0.3),
           (cx, t), (cx + tw * 0.7, t * 0.7), (cx + tw, t * 0.28), (cx + tw * 0.5, t * 0.03)]
    return [pts]


def eight_reversed(rng):
    """Started at the top left going right: the mirror image of the usual figure-eight."""
    (pts,) = eight_one_stroke(rng)
    return [[(0.6 - x, y) for x, y in pts]]


def eight_two_circles(rng):
    t = rng.uniform(0.4, 0.48)
    tw = rng.uniform(0.2, 0.27)
    bw = rng.uniform(0.25, 0.32)
    top = _ellipse(0.3, t / 2, tw, t / 2, -90, -90 - 370 - rng.uniform(0, 25))
    bottom = _ellipse(0.3, t + (1 - t) / 2 - 0.01, bw, (1 - t) / 2, -90, -90 - 370 - rng.uniform(0, 25))
    if rng.random() < 0.3:
        bottom = bottom[::-1]
    return [top, bottom]


def nine_loop(rng, tail: str = "straight"):
    lh = rng.uniform(0.38, 0.5) if tail != "big-loop" else rng.uniform(0.55, 0.65)
    pts = [(0.55, lh * 0.25), (0.32, 0.0), (0.08, lh * 0.15), (0.02, lh * 0.55),
           (0.22, lh), (0.48, lh * 0.85), _corner((0.58, lh * 0.2 + rng.uniform(-0.04, 0.04)))]
    stem_x = rng.uniform(0.52, 0.62)
    if tail == "curved":
        pts += [(stem_x, 0.7), (stem_x - 0.12, 0.95), (stem_x - 0.35, 0.98)]
    else:
        pts += [(stem_x - rng.uniform(0.0, 0.08), 1.0)]
    return [pts]


def nine_two_stroke(rng):
    lh = rng.uniform(0.38, 0.5)
    loop = _ellipse(0.3, lh / 2, 0.27, lh / 2, -40, -40 - 360 - rng.uniform(-15, 25))
    stem_x = rng.uniform(0.54, 0.6)
    stem = [(stem_x, lh * 0.15), (stem_x - rng.uniform(0.0, 0.1), 1.0)]
    return [loop, stem]


# (style, probability, builder) per digit; probabilities are how often people draw each.
ALLOGRAPHS: dict[int, list[tuple[str, float, object]]] = {
    0: [("oval-ccw", 0.53, lambda r: zero_oval(r)),
        ("oval-cw", 0.22, lambda r: zero_oval(r, clockwise=True)),
        ("oval-gap", 0.12, lambda r: zero_oval(r, clockwise=r.random() < 0.3, gap=True)),
        ("round", 0.05, lambda r: zero_oval(r, roundish=True)),
        ("curl", 0.05, lambda r: zero_oval(r, curl=True)),
        ("slashed", 0.03, zero_slashed)],
    1: [("stick", 0.45, lambda r: one_stick(r)),
        ("flag", 0.30, lambda r: one_flag(r)),
        ("flag-base", 0.15, lambda r: one_flag(r, base=True)),
        ("slanted", 0.10, lambda r: one_stick(r, slant=r.uniform(0.15, 0.3)))],
    2: [("plain", 0.40, two_plain),
        ("loop", 0.22, two_loop),
        ("z-like", 0.23, two_z),
        ("curved-base", 0.15, two_curved_base)],
    3: [("round", 0.60, three_round),
        ("flat-top", 0.25, three_flat_top),
        ("pointed", 0.15, three_pointed)],
    4: [("open", 0.40, lambda r: four_open(r)),
        ("closed", 0.25, four_closed),
        ("one-stroke", 0.20, four_one_stroke),
        ("long-stem", 0.15, lambda r: four_open(r, long_stem=True))],
    5: [("two-stroke", 0.55, lambda r: five_two_stroke(r)),
        ("one-stroke", 0.25, five_one_stroke),
        ("angular", 0.20, lambda r: five_two_stroke(r, angular=True))],
    6: [("loop-closed", 0.45, lambda r: six_loop(r)),
        ("loop-open", 0.17, lambda r: six_loop(r, open_loop=True)),
        ("straight-stem", 0.23, lambda r: six_loop(r, straight=True)),
        ("small-loop", 0.15, lambda r: six_loop(r, small=True))],
    7: [("plain", 0.55, lambda r: seven_plain(r)),
        ("crossed", 0.12, lambda r: seven_plain(r, crossed=True)),
        ("curved-stem", 0.18, lambda r: seven_plain(r, curved=True)),
        ("serif", 0.15, lambda r: seven_plain(r, serif=True))],
    8: [("one-stroke", 0.50, lambda r: eight_one_stroke(r)),
        ("two-circles", 0.22, eight_two_circles),
        ("snowman", 0.18, lambda r: eight_one_stroke(r, snowman=True)),
        ("reversed", 0.10, eight_reversed)],
    9: [("straight-stem", 0.50, lambda r: nine_loop(r)),
        ("curved-tail", 0.20, lambda r: nine_loop(r, tail="curved")),
        ("two-stroke", 0.20, nine_two_stroke),
        ("big-loop", 0.10, lambda r: nine_loop(r, tail="big-loop"))],
}


def allograph_counts(digit: int, n: int) -> list[str]:
    """Styles for n drawings of a digit: each style's share rounded by largest remainder."""
    table = ALLOGRAPHS[digit]
    raw = [p * n for _, p, _ in table]
    counts = [math.floor(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    return [name for (name, _, _), c in zip(table, counts) for _ in range(c)]


# --------------------------------------------------------------------------- motor model


def _catmull_rom(points: np.ndarray, per_segment: int = 24) -> np.ndarray:
    """A centripetal Catmull-Rom spline through points (K, 2); dense (M, 2)."""
    if len(points) < 2:
        return points.copy()
    first = 2 * points[0] - points[1]
    last = 2 * points[-1] - points[-2]
    p = np.vstack([first, points, last])
    out = [points[:1]]
    t = np.linspace(0, 1, per_segment + 1)[1:, None]
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        t0 = 0.0
        t1 = t0 + max(np.linalg.norm(p1 - p0) ** 0.5, 1e-6)
        t2 = t1 + max(np.linalg.norm(p2 - p1) ** 0.5, 1e-6)
        t3 = t2 + max(np.linalg.norm(p3 - p2) ** 0.5, 1e-6)
        tt = t1 + t * (t2 - t1)
        a1 = (t1 - tt) / (t1 - t0) * p0 + (tt - t0) / (t1 - t0) * p1
        a2 = (t2 - tt) / (t2 - t1) * p1 + (tt - t1) / (t2 - t1) * p2
        a3 = (t3 - tt) / (t3 - t2) * p2 + (tt - t2) / (t3 - t2) * p3
        b1 = (t2 - tt) / (t2 - t0) * a1 + (tt - t0) / (t2 - t0) * a2
        b2 = (t3 - tt) / (t3 - t1) * a2 + (tt - t1) / (t3 - t1) * a3
        out.append((t2 - tt) / (t2 - t1) * b1 + (tt - t1) / (t2 - t1) * b2)
    return np.vstack(out)


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-9 else np.array([1.0, 0.0])


def _rotate(v: np.ndarray, degrees: float) -> np.ndarray:
    r = math.radians(degrees)
    c, s = math.cos(r), math.sin(r)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])


def _plan_stroke(spec: list, rng: np.random.Generator, sloppiness: float,
                 end_spread: float = 0.025) -> np.ndarray:
    """Control points -> a dense centre line in unit coordinates (corners, hooks, ends)."""
    # Jitter each control point, less where they crowd (keeps ovals smooth, not polygons).
    base = np.array([p[:2] for p in spec], dtype=float)
    gaps = np.linalg.norm(np.diff(base, axis=0), axis=1) if len(base) > 1 else np.ones(1)
    near = np.minimum(np.concatenate([[np.inf], gaps]), np.concatenate([gaps, [np.inf]]))
    calm = np.clip(near / 0.3, 0.35, 1.0)
    # (Clipped at 1.5 sigma: a wild outlier turns a sloppy digit into another shape.)
    pts = [b + np.clip(rng.normal(0, sloppiness * k, 2), -1.5 * sloppiness * k, 1.5 * sloppiness * k)
           for b, k in zip(base, calm)]
    corner = [len(p) > 2 and bool(p[2]) for p in spec]

    # Ends fall short or run on (gaps and overlaps where strokes should meet).
    if len(pts) >= 2:
        lim = min(4 * end_spread, 0.1)
        pts[0] = pts[0] - _unit(pts[1] - pts[0]) * np.clip(rng.normal(0.0, end_spread), -lim, lim)
        pts[-1] = pts[-1] + _unit(pts[-1] - pts[-2]) * np.clip(rng.normal(0.0, end_spread), -lim, lim)

    # Corners: sharp, rounded, or overshot with the turn made a little past the point.
    new_pts, new_corner = [pts[0]], [False]
    for i in range(1, len(pts) - 1):
        p = pts[i]
        if not corner[i]:
            new_pts.append(p)
            new_corner.append(False)
            continue
        u_in, u_out = _unit(p - pts[i - 1]), _unit(pts[i + 1] - p)
        kind = rng.random()
        if kind < 0.5:
            new_pts.append(p)
            new_corner.append(True)
        elif kind < 0.75:
            r = rng.uniform(0.02, 0.05)
            new_pts += [p - u_in * r, p + u_out * r]
            new_corner += [False, False]
        else:
            over = p + u_in * rng.uniform(0.015, 0.045)
            new_pts += [over]
            new_corner += [True]
    new_pts.append(pts[-1])
    new_corner.append(False)
    pts, corner = new_pts, new_corner

    # Hooks: the pen lands or lifts with a small flick.
    if len(pts) >= 2 and rng.random() < 0.2:
        d = _unit(pts[1] - pts[0])
        hook = pts[0] + _rotate(-d, rng.choice([-1, 1]) * rng.uniform(40, 110)) * rng.uniform(0.015, 0.04)
        pts.insert(0, hook)
        corner.insert(0, False)
        corner[1] = True
    if len(pts) >= 2 and rng.random() < 0.25:
        d = _unit(pts[-1] - pts[-2])
        hook = pts[-1] + _rotate(d, rng.choice([-1, 1]) * rng.uniform(70, 150)) * rng.uniform(0.015, 0.04)
        corner[-1] = True
        pts.append(hook)
        corner.append(False)

    # Pieces between corners; two-point pieces get a slight bow (no pen draws a ruler line).
    pieces, current = [], [pts[0]]
    for p, c in zip(pts[1:], corner[1:]):
        current.append(p)
        if c:
            pieces.append(current)
            current = [p]
    pieces.append(current)
    dense = []
    for piece in pieces:
        arr = np.array(piece)
        if len(arr) == 2:
            mid = (arr[0] + arr[1]) / 2
            normal = _rotate(_unit(arr[1] - arr[0]), 90)
            bow = rng.normal(0, 0.012) * float(np.linalg.norm(arr[1] - arr[0]))
            arr = np.array([arr[0], mid + normal * bow, arr[1]])
        curve = _catmull_rom(arr)
        dense.append(curve if not dense else curve[1:])
    return np.vstack(dense)


def _arclength(curve: np.ndarray) -> np.ndarray:
    seg = np.linalg.norm(np.diff(curve, axis=0), axis=1)
    return np.concatenate([[0.0], np.cumsum(seg)])


def _time_sample(curve: np.ndarray, spacing: float, rng: np.random.Generator,
                 min_radius: float = 2.0, ramp_px: float = 12.0) -> np.ndarray:
    """Sample a canvas-scale curve at constant time with power-law speed (denser at bends)."""
    s = _arclength(curve)
    length = float(s[-1])
    if length < 1e-6:
        return curve[:1].copy()
    # Turning angle per unit length, smoothed over ~4 px, as curvature.
    d = np.diff(curve, axis=0)
    ang = np.arctan2(d[:, 1], d[:, 0])
    turn = np.abs((np.diff(ang) + np.pi) % (2 * np.pi) - np.pi)
    seg = np.maximum(np.linalg.norm(d, axis=1), 1e-9)
    kappa = np.concatenate([[0.0], turn / ((seg[1:] + seg[:-1]) / 2), [0.0]])
    width = max(1, round(4.0 / max(length / len(curve), 1e-6)))
    kernel = np.ones(2 * width + 1) / (2 * width + 1)
    kappa = np.convolve(kappa, kernel, mode="same")
    # Two-thirds power law: v ~ R^(1/3), capped on straight runs and at tight corners.
    radius = 1.0 / np.maximum(kappa, 1e-4)
    speed = np.clip(radius, min_radius, 400.0) ** (1.0 / 3.0)
    # The hand accelerates at the start and brakes at the end (over ~12 px or 15%).
    ramp = max(min(ramp_px, 0.15 * length), 1e-6)
    start = np.clip(s / ramp, 0.0, 1.0)
    end = np.clip((length - s) / ramp, 0.0, 1.0)
    speed = speed * (0.3 + 0.7 * np.sin(0.5 * np.pi * start)) * (0.3 + 0.7 * np.sin(0.5 * np.pi * end))
    # Time along the curve, then events at constant time steps.
    v_mid = (speed[1:] + speed[:-1]) / 2
    t = np.concatenate([[0.0], np.cumsum(np.diff(s) / v_mid)])
    n = max(2, round(length / spacing) + 1)
    # The first event lands a random fraction of a step late; the last is the pen-up point.
    times = np.linspace(0.0, t[-1], n)
    times[1:-1] += rng.uniform(-0.15, 0.15, n - 2) * (t[-1] / (n - 1))
    times = np.clip(np.sort(times), 0.0, t[-1])
    x = np.interp(times, t, curve[:, 0])
    y = np.interp(times, t, curve[:, 1])
    return np.stack([x, y], axis=1)


# Sloppy writers' proportions, per digit: where the two parts meet (the waist, in the unit
# box) and ranges for how far it moves (dw, down positive) and how wide the top and bottom
# parts are drawn (k_top, k_bottom).  E.g. a 9 with a small loop and a long tail, a 5 with a
# tiny belly, a 2 with a long base, a top-heavy 8.
PROPORTIONS: dict[int, tuple[float, tuple[float, float], tuple[float, float], tuple[float, float]]] = {
    0: (0.50, (-0.10, 0.10), (0.75, 1.15), (0.85, 1.25)),
    1: (0.50, (-0.05, 0.05), (0.85, 1.10), (0.90, 1.30)),
    2: (0.55, (-0.12, 0.06), (0.80, 1.10), (1.15, 1.50)),
    3: (0.47, (-0.12, 0.12), (0.70, 1.10), (0.90, 1.30)),
    4: (0.60, (-0.15, 0.08), (0.80, 1.20), (0.80, 1.20)),
    5: (0.45, (0.06, 0.16), (1.00, 1.25), (0.60, 0.80)),
    6: (0.55, (0.04, 0.15), (0.90, 1.20), (0.70, 0.95)),
    7: (0.45, (-0.12, 0.12), (0.75, 1.25), (0.85, 1.15)),
    8: (0.45, (0.06, 0.15), (1.10, 1.35), (0.70, 0.90)),
    9: (0.45, (-0.18, -0.07), (0.70, 0.90), (0.95, 1.05)),
}


def _reproportion(specs: list, digit: int, rng: np.random.Generator) -> list:
    """Move the waist of a digit and rescale the widths of its top and bottom parts."""
    waist, dw_r, top_r, bot_r = PROPORTIONS[digit]
    dw = rng.uniform(*dw_r)
    k_top, k_bot = rng.uniform(*top_r), rng.uniform(*bot_r)
    new_waist = waist + dw
    out = []
    for spec in specs:
        stroke = []
        for p in spec:
            x, y = p[0], p[1]
            y2 = y * new_waist / waist if y <= waist else new_waist + (y - waist) * (1 - new_waist) / (1 - waist)
            t = min(1.0, max(0.0, (y2 - new_waist + 0.12) / 0.24))
            k = k_top + (k_bot - k_top) * t * t * (3 - 2 * t)
            q = (0.3 + (x - 0.3) * k, y2)
            stroke.append(q + tuple(p[2:]))
        out.append(stroke)
    return out


def _sloppy_ends(curve: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each end of a stroke is cut short (up to 0.06) or run on (up to 0.15 of the height)."""
    for end in (0, 1):
        c = curve if end else curve[::-1]
        s = _arclength(c)
        length = float(s[-1])
        change = rng.choice([-1, 1]) * rng.uniform(0.03, 0.15) if rng.random() < 0.8 else 0.0
        change = max(change, -0.06)
        if change < 0:  # cut short, by at most an eighth of the stroke
            keep = s <= length - min(-change, length / 8)
            c = c[keep] if keep.sum() >= 2 else c
        elif change > 0:  # run on along the last direction, curving a little
            k = max(1, int(0.05 * len(c)))
            d = _unit(c[-1] - c[-1 - k])
            bend = rng.normal(0, 25)
            steps = np.linspace(0, 1, 8)[1:, None]
            extra = [c[-1] + _rotate(d, bend * t) * change * t for t in steps[:, 0]]
            c = np.vstack([c, np.array(extra)])
        curve = c if end else c[::-1]
    return curve


def _writer(rng: np.random.Generator, fast: bool = False, sloppy: bool = False) -> dict:
    w = {
        "slant": float(np.clip(rng.normal(5.0, 10.0), -20.0, 25.0)),
        "aspect": float(np.exp(np.clip(rng.normal(0.0, 0.2), math.log(0.6), math.log(1.4)))),
        "rotation": float(np.clip(rng.normal(0.0, 5.5), -12.0, 12.0)),
        "size": float(rng.uniform(0.15, 0.95)),
        "tremor": float(rng.uniform(0.2, 1.0)),
        "wobble": float(rng.uniform(0.0, 0.02)),
        "sloppiness": float(rng.uniform(0.01, 0.04)),
        "spacing": float(rng.uniform(2.2, 4.8)),
        "snap": bool(rng.random() < 0.35),
        "end_spread": 0.025,
        "meet_gap": 0.0,
        "fast": fast,
    }
    if fast:
        # A quick mouse reports few events: 8-25 px apart, wider when drawn large.
        w["size"] = float(rng.uniform(0.3, 0.95))
        w["spacing"] = float(rng.uniform(9.0, 21.0) * (0.75 + 0.45 * w["size"]))
        w["jumps"] = (bool(rng.random() < 0.5), bool(rng.random() < 0.5))
        # Haste costs accuracy (speed-accuracy trade-off): control points wander more.
        w["sloppiness"] = float(rng.uniform(0.025, 0.05))
    if sloppy:
        w["rotation"] = float(np.clip(rng.normal(0.0, 12.0), -20.0, 20.0))
        # Slant and rotation both lean the digit (positive: the top to the right); keep the
        # total lean of a sloppy writer within -20..+25 degrees, the steady writers' slant.
        w["slant"] = float(np.clip(w["slant"], -20.0 - w["rotation"], 25.0 - w["rotation"]))
        w["sloppiness"] = float(rng.uniform(0.04, 0.075))
        w["wobble"] = float(rng.uniform(0.01, 0.03))
        w["end_spread"] = float(rng.uniform(0.03, 0.04))  # plus _sloppy_ends
        w["meet_gap"] = float(rng.uniform(0.03, 0.08))
    return w


def _fast_sample(curve: np.ndarray, spacing: float, rng: np.random.Generator,
                 jumps: tuple[bool, bool]) -> np.ndarray:
    """A fast hand: it cuts corners (the path is smoothed over about a step), events come
    far apart so curves turn into polygons, and the first and last moves may be long jumps."""
    s = _arclength(curve)
    length = float(s[-1])
    if length < 1e-6:
        return curve[:1].copy()
    even = np.linspace(0.0, length, max(2, int(length) + 1))
    path = np.stack([np.interp(even, s, curve[:, 0]), np.interp(even, s, curve[:, 1])], axis=1)
    sigma = min(0.5 * spacing, 0.06 * length)
    if sigma >= 1.0 and len(path) > 3:
        r = int(3 * sigma)
        k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
        k /= k.sum()
        padded = np.vstack([np.repeat(path[:1], r, 0), path, np.repeat(path[-1:], r, 0)])
        smooth = np.stack([np.convolve(padded[:, j], k, mode="valid") for j in range(2)], axis=1)
        smooth[0], smooth[-1] = path[0], path[-1]
        path = smooth
    # A quick hand hardly slows in bends or at the ends of a stroke.
    events = _time_sample(path, spacing, rng, min_radius=25.0, ramp_px=4.0)
    if len(events) >= 6 and jumps[0]:
        events = np.delete(events, range(1, 1 + int(rng.integers(1, 3))), axis=0)
    if len(events) >= 6 and jumps[1]:
        k = int(rng.integers(1, 3))
        events = np.delete(events, range(len(events) - 1 - k, len(events) - 1), axis=0)
    return events


def draw(digit: int, style: str, rng: np.random.Generator, fast: bool = False,
         sloppy: bool = False) -> list[list[list[float]]]:
    """One drawing of `digit` in allograph `style`: strokes of [x, y] canvas coordinates."""
    builder = {name: b for name, _, b in ALLOGRAPHS[digit]}[style]
    w = _writer(rng, fast, sloppy)
    specs = builder(rng)
    if sloppy:
        specs = _reproportion(specs, digit, rng)
    curves = [_plan_stroke(spec, rng, w["sloppiness"], w["end_spread"]) for spec in specs]
    if sloppy:  # loops left open or run on well past where they close
        curves = [_sloppy_ends(c, rng) for c in curves]
    # Sloppy writers put later strokes down off the place they should meet (gap up to ~8%).
    for i in range(1, len(curves)):
        if w["meet_gap"] > 0:
            a = rng.uniform(0, 2 * np.pi)
            curves[i] = curves[i] + w["meet_gap"] * rng.uniform(0.5, 1.0) * np.array([math.cos(a), math.sin(a)])

    # Slow wobble along each stroke (the arm drifting), in unit coordinates.
    for i, c in enumerate(curves):
        s = _arclength(c)
        total = max(float(s[-1]), 1e-6)
        f = rng.uniform(0.5, 2.0, 2)
        ph = rng.uniform(0, 2 * np.pi, 2)
        amp = w["wobble"] * rng.uniform(0.5, 1.0)
        c = c + amp * np.stack([np.sin(2 * np.pi * f[0] * s / total + ph[0]),
                                np.sin(2 * np.pi * f[1] * s / total + ph[1])], axis=1)
        curves[i] = c

    # Writer's habits: aspect, slant (shear about the baseline), rotation.
    shear = math.tan(math.radians(w["slant"]))
    rot = math.radians(w["rotation"])
    cr, sr = math.cos(rot), math.sin(rot)
    out = []
    for c in curves:
        x = (c[:, 0] - 0.3) * w["aspect"]
        y = c[:, 1] - 0.5
        x = x - shear * y  # y down: the top (y < 0) leans right for a positive slant
        out.append(np.stack([cr * x - sr * y, sr * x + cr * y], axis=1))
    allp = np.vstack(out)
    low, high = allp.min(axis=0), allp.max(axis=0)
    extent = float((high - low).max())
    scale = w["size"] * CANVAS / max(extent, 1e-6)
    size = (high - low) * scale
    margin = 3.0
    offset = np.array([rng.uniform(margin, max(margin, CANVAS - margin - size[0])),
                       rng.uniform(margin, max(margin, CANVAS - margin - size[1]))])

    strokes = []
    for c in out:
        canvas = (c - low) * scale + offset
        if w["fast"]:
            events = _fast_sample(canvas, w["spacing"], rng, w["jumps"])
        else:
            events = _time_sample(canvas, w["spacing"], rng)
        events = events + rng.normal(0, w["tremor"], events.shape)
        if w["snap"]:
            events = np.round(events)
        events = np.clip(events, 0.0, CANVAS)
        strokes.append([[round(float(x), 1), round(float(y), 1)] for x, y in events])
    return strokes


def generate(seed: int = DEFAULT_SEED, per_digit: int = 60) -> dict:
    """The whole set, deterministic in seed: digit-major, per_digit drawings each."""
    root = np.random.SeedSequence(seed)
    digit_seqs = root.spawn(10)
    drawings = []
    for digit in range(10):
        order_rng = np.random.default_rng(digit_seqs[digit].spawn(1)[0])
        styles = allograph_counts(digit, per_digit)
        order_rng.shuffle(styles)
        n = len(styles)
        fast = np.zeros(n, bool)
        fast[order_rng.permutation(n)[: round(FAST_SHARE * n)]] = True
        sloppy = np.zeros(n, bool)
        sloppy[order_rng.permutation(n)[: round(SLOPPY_SHARE * n)]] = True
        for i, (seq, style) in enumerate(zip(digit_seqs[digit].spawn(n), styles)):
            rng = np.random.default_rng(seq)
            f, sl = bool(fast[i]), bool(sloppy[i])
            writer = "fast-sloppy" if f and sl else "fast" if f else "sloppy" if sl else "steady"
            drawings.append({"label": digit, "style": style, "writer": writer,
                             "strokes": draw(digit, style, rng, fast=f, sloppy=sl)})
    return {"format": FORMAT, "version": VERSION, "canvas": int(CANVAS), "seed": seed,
            "generator": "benchmarks/heldout_drawings.py", "drawings": drawings}


def write(data: dict, path: Path) -> None:
    """Write gzip JSON atomically (temp file in the same folder, then os.replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, separators=(",", ":")).encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0,
                                                       filename="", compresslevel=9) as gz:
            gz.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--per-digit", type=int, default=60)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    data = generate(args.seed, args.per_digit)
    write(data, args.out)
    points = sum(len(s) for d in data["drawings"] for s in d["strokes"])
    print(f"{args.out}: {len(data['drawings'])} drawings, {points} points, "
          f"{args.out.stat().st_size / 1024:.0f} KiB (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
