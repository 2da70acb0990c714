"""The app's shared plot style: class colours, the colours of the latent plots' marks, and
the frame (axes, grid, tick labels) every latent plot shares.

The colours are those of the light theme; :mod:`vaedesk.gui.theme` adjusts what must read
on another paper when the palette changes.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont, QPen

import vaedesk.gui  # noqa: F401  (selects the PySide6 binding before pyqtgraph loads)
from vaedesk.gui.plotting.cached_pixels import keep_as_pixels
from vaedesk.gui.plotting.grid_lines import show_grid

# Qualitative palette for a white background: the colour-blind-safe Okabe–Ito hues first,
# then four more (brown, slate, olive, grey) that differ from them in lightness too.
CLASS_COLORS: tuple[tuple[int, int, int], ...] = (
    (0, 114, 178),  # 0 blue
    (230, 159, 0),  # 1 orange
    (0, 158, 115),  # 2 bluish green
    (213, 94, 0),  # 3 vermilion
    (204, 121, 167),  # 4 reddish purple
    (86, 180, 233),  # 5 sky blue
    (140, 86, 75),  # 6 brown
    (117, 112, 179),  # 7 slate purple
    (166, 166, 0),  # 8 olive
    (128, 128, 128),  # 9 mid grey (lighter than the black posterior marks)
)

INK = QColor(33, 37, 41)
AXIS_COLOR = QColor(90, 90, 90)
PRIOR_COLOR = QColor(120, 120, 120)
PRIOR_TEXT = QColor(70, 70, 70)
POSTERIOR_COLOR = QColor(20, 20, 20)
MEAN_FILL = QColor(255, 214, 0)
PATH_COLOR = QColor(200, 70, 0)
PIN_FILL = QColor(38, 50, 56)
PIN_HOVER_FILL = QColor(84, 110, 122)
PIN_SELECTED_RING = QColor(255, 179, 0)
DENSITY_COLOR = QColor(49, 130, 189)  # the aggregate posterior: a blue wash under the scatter
LENS_COLOR = QColor(230, 85, 13)  # the posterior lens' outline, as the lens itself
ATTRIBUTE_COLOR = QColor(106, 27, 154)  # latent arithmetic's arrow: a purple no class uses


def small_font(point_size: int) -> QFont:
    font = QFont()
    font.setPointSize(point_size)
    return font


def recoloured(pen: object, color: QColor) -> QPen:
    """``pen`` (width, dashes) in another colour."""
    pen = QPen(pen)
    pen.setColor(color)
    return pen


def cache_decorations(item: pg.PlotItem) -> None:
    """Keep a plot's axes (with their grid), title and legend as pixels between changes.

    Replaying an axis' tick labels and grid costs several milliseconds per paint, and
    every moving curve or marker repaints them. Cached, they are redrawn only when they
    change (a new range, a resize); the other repaints copy them.
    """
    keep_as_pixels(*(entry["item"] for entry in item.axes.values()), item.titleLabel)  # with the axes' labels
    if item.legend is not None:
        keep_as_pixels(item.legend)


def style_frame(item: pg.PlotItem, tick_points: int, grid_alpha: float, si_prefix: bool = True) -> None:
    """The latent plots' look: grey axes on four sides, a faint grid, small tick labels."""
    show_grid(item, grid_alpha)
    for name in ("bottom", "left", "top", "right"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(AXIS_COLOR))
        axis.setTextPen(pg.mkPen(AXIS_COLOR))
        axis.setTickFont(small_font(tick_points))
        axis.enableAutoSIPrefix(si_prefix)
    # Top and right axes close the frame, without tick labels or ticks: each range change
    # re-plans every axis's ticks in Python, and these two doubled that (a third of a
    # plane's repaint after a zoom, or a training snapshot's new range).
    for name in ("top", "right"):
        item.showAxis(name)
        axis = item.getAxis(name)
        axis.setStyle(showValues=False)
        axis.setTicks([[]])
    cache_decorations(item)
