"""A plot's grid, drawn cheaply enough to redraw at every change of range.

pyqtgraph draws a grid by stretching its axes' tick lines across the plot, as translucent
lines, which Qt's raster engine blends pixel by pixel: the grid nearly doubled a plot's
redraw after a change of range, and a training plot's range changes often (the view
following a moving cloud, a loss curve growing). The same lines as opaque one-pixel
rectangles cost a fraction of that.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QRect, QRectF
from PySide6.QtGui import QColor, QPainter

import vaedesk.gui  # noqa: F401  (selects the PySide6 binding before pyqtgraph loads)
from vaedesk.gui.plotting.cached_pixels import keep_as_pixels

# pyqtgraph's own grid: the major ticks' lines at the given alpha, the minor ticks' fainter.
_LEVEL_WEIGHTS = (1.0, 0.5)
_MIN_SPACING_PX = 6.0  # closer lines than this would grey the plot rather than mark it

# (pixel position, alpha 0-255) of each vertical line, then of each horizontal one.
Lines = tuple[list[tuple[float, int]], list[tuple[float, int]]]


class GridLines(pg.GraphicsObject):
    """Lines at the ticks of a plot's bottom and left axes, behind its data.

    Lives in the view box's pixel coordinates and follows its range and size; its colour is
    the axes' (so a theme's recolouring of the axes recolours the grid).
    """

    def __init__(self, plot: pg.PlotItem, alpha: float, x: bool = True, y: bool = True) -> None:
        super().__init__()
        self._plot, self._alpha, self._x, self._y = plot, float(alpha), x, y
        self._lines: Lines | None = None  # placed at the first paint after the view changes
        view = plot.getViewBox()
        self.setParentItem(view)
        self.setZValue(-1e5)  # above the view's background, below the items it shows
        # Kept as pixels: filled again when the view moves, copied at every other repaint
        # (filling a line through a paint event's clip path costs several times more).
        keep_as_pixels(self)
        view.sigRangeChanged.connect(self._moved)
        view.sigResized.connect(self._resized)

    def _moved(self, *_args) -> None:
        self._lines = None
        self.update()

    def _resized(self, *_args) -> None:
        self.prepareGeometryChange()
        self._moved()

    def boundingRect(self) -> QRectF:
        return self._plot.getViewBox().rect()

    def lines(self) -> Lines:
        """Where the lines are drawn, in the view box's pixels, and how strongly."""
        if self._lines is None:
            self._lines = self._place_lines()
        return self._lines

    def _place_lines(self) -> Lines:
        view = self._plot.getViewBox()
        rect = view.rect()
        (x0, x1), (y0, y1) = view.viewRange()
        vertical = self._levels("bottom", x0, x1, rect.width()) if self._x else []
        horizontal = self._levels("left", y0, y1, rect.height()) if self._y else []
        to_x = rect.width() / (x1 - x0) if x1 > x0 else 0.0
        to_y = rect.height() / (y1 - y0) if y1 > y0 else 0.0
        # Pixel rows count downwards, plot values upwards.
        return ([(rect.left() + (v - x0) * to_x, a) for v, a in vertical],
                [(rect.top() + (y1 - v) * to_y, a) for v, a in horizontal])

    def _levels(self, axis_name: str, low: float, high: float, pixels: float) -> list[tuple[float, int]]:
        if not (pixels > 0 and math.isfinite(low) and math.isfinite(high) and high > low):
            return []
        axis = self._plot.getAxis(axis_name)
        out: list[tuple[float, int]] = []
        seen: set[float] = set()
        for level, (spacing, values) in enumerate(axis.tickValues(low, high, pixels)[:len(_LEVEL_WEIGHTS)]):
            if spacing * pixels / (high - low) < _MIN_SPACING_PX:
                break
            alpha = round(255 * self._alpha * _LEVEL_WEIGHTS[level])
            for value in values:
                if low <= value <= high and value not in seen:
                    seen.add(value)
                    out.append((float(value), alpha))
        return out

    def paint(self, painter: QPainter, *_args) -> None:
        # Whole pixels in opaque colours, without antialiasing: Qt fills them as plain spans,
        # its fastest path (a translucent vertical line blends pixel by pixel, 15 times slower).
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        rect = self.boundingRect().toAlignedRect()
        ink, paper = self._plot.getAxis("left").pen().color(), self._background()
        vertical, horizontal = self.lines()
        colors = {alpha: _over(ink, alpha, paper) for _, alpha in vertical + horizontal}
        for x, alpha in vertical:
            painter.fillRect(QRect(math.floor(x), rect.top(), 1, rect.height()), colors[alpha])
        for y, alpha in horizontal:
            painter.fillRect(QRect(rect.left(), math.floor(y), rect.width(), 1), colors[alpha])

    def _background(self) -> QColor | None:
        """The plot's opaque background colour, None if it has none (see-through)."""
        views = self.scene().views() if self.scene() is not None else []
        color = views[0].backgroundBrush().color() if views else None
        return color if color is not None and color.alpha() == 255 else None


def _over(ink: QColor, alpha: int, paper: QColor | None) -> QColor:
    """``ink`` at ``alpha`` (0-255) laid over ``paper``: the opaque colour that shows, or
    the translucent ink itself over a see-through background."""
    if paper is None:
        color = QColor(ink)
        color.setAlpha(alpha)
        return color
    a = alpha / 255
    return QColor(*(round(a * i + (1 - a) * p) for i, p in
                    zip((ink.red(), ink.green(), ink.blue()), (paper.red(), paper.green(), paper.blue()), strict=True)))


def grids_of(plot: pg.PlotItem) -> list[GridLines]:
    """The grids ``show_grid`` gave ``plot``."""
    return [item for item in plot.getViewBox().childItems() if isinstance(item, GridLines)]


def show_grid(plot: pg.PlotItem, alpha: float, x: bool = True, y: bool = True) -> GridLines:
    """Give ``plot`` a faint grid at its ticks (instead of pyqtgraph's ``showGrid``)."""
    plot.showGrid(x=False, y=False)
    return GridLines(plot, alpha, x=x, y=y)
