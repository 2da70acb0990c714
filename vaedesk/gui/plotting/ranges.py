"""Axis ranges for curves that grow while they are watched (the training studio's losses).

Redrawing a plot's axes, grid and tick labels costs far more than its curves. A range that
followed the data exactly would change on every report and redraw them all each time; the
range here changes only when the data leaves it or fills too little of it, and then jumps
to round values, so most reports redraw the curves alone.
"""

from __future__ import annotations

import math

Range = tuple[float, float]


def nice_step(rough: float) -> float:
    """The 1, 2 or 5 × 10^k nearest above ``rough`` (> 0): where ticks sit on a round axis."""
    power = 10.0 ** math.floor(math.log10(rough))
    return next(m * power for m in (1.0, 2.0, 5.0, 10.0) if m * power >= rough * (1 - 1e-9))


def steady_range(shown: Range | None, low: float, high: float, margin: float = 0.08, slack: float = 3.0) -> Range:
    """The range to draw data spanning ``[low, high]`` in, given the range ``shown`` now.

    ``shown`` is kept while it holds the data and is at most ``slack`` times the data's
    span (a falling loss curve zooms in now and then, not continuously). Otherwise the new
    range adds ``margin`` of the span on each side (half the span on a side the data has just
    left) and is rounded out to a round step.
    Non-finite data keeps the range shown (or gives (0, 1) when there is none).
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return shown if shown is not None else (0.0, 1.0)
    low, high = min(low, high), max(low, high)
    span = max(high - low, 1e-3 * max(abs(low), abs(high)), 1e-9)
    if shown is not None and shown[0] <= low and high <= shown[1] and shown[1] - shown[0] <= slack * span:
        return shown
    # Room to go on growing on a side the data has just left: a falling curve is seen again.
    below = margin * span if shown is None or low >= shown[0] else 0.5 * span
    above = margin * span if shown is None or high <= shown[1] else 0.5 * span
    step = nice_step((span + below + above) / 4)
    return math.floor((low - below) / step) * step, math.ceil((high + above) / step) * step
