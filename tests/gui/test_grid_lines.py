"""GridLines: a plot's grid at its axes' ticks, drawn as opaque pixels and kept up to date."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QColor, QPalette

from vaedesk.gui.plotting.grid_lines import grids_of, show_grid
from vaedesk.gui.theme import PlotColors, recolor_plot

PAPER, INK = QColor(255, 255, 255), QColor(0, 0, 0)


@pytest.fixture
def plot(qtbot):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    item = widget.getPlotItem()
    show_grid(item, 0.2)
    widget.setBackground(PAPER)
    for name in ("left", "bottom"):
        item.getAxis(name).setPen(pg.mkPen(INK))
    item.getViewBox().setRange(xRange=(0, 10), yRange=(0, 1), padding=0)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _view_pixels(widget: pg.PlotWidget) -> np.ndarray:
    """The view box's area of the widget as an (H, W, 3) RGB array."""
    view = widget.getPlotItem().getViewBox()
    rect = widget.mapFromScene(view.sceneBoundingRect()).boundingRect()
    image = widget.grab(rect).toImage().convertToFormat(widget.grab().toImage().Format.Format_RGB888)
    raw = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return raw[:, :image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def test_lines_sit_at_the_axes_major_ticks(plot) -> None:
    item = plot.getPlotItem()
    grid = grids_of(item)[0]
    width = item.getViewBox().rect().width()
    vertical, horizontal = grid.lines()
    major_x = item.getAxis("bottom").tickValues(0, 10, width)[0][1]
    assert len(major_x) >= 3
    positions = {round(x) for x, _alpha in vertical}
    for value in major_x:
        assert round(value / 10 * width) in positions
    # Minor lines are fainter than major ones, and there are horizontal lines too.
    alphas = dict((round(x), a) for x, a in vertical)
    assert alphas[round(major_x[1] / 10 * width)] == max(a for _x, a in vertical)
    assert len({a for _x, a in vertical}) == 2
    assert horizontal
    # pyqtgraph's own grid is off: the lines are not drawn twice.
    assert item.getAxis("left").grid is False and item.getAxis("bottom").grid is False


def test_lines_are_the_axis_ink_over_the_paper(plot) -> None:
    grid = grids_of(plot.getPlotItem())[0]
    pixels = _view_pixels(plot)
    vertical, _ = grid.lines()
    x, alpha = max(vertical, key=lambda line: line[1])
    column = pixels[pixels.shape[0] // 2, int(np.floor(x))]
    expected = round(255 * (1 - alpha / 255))  # black ink at alpha over white paper
    assert abs(int(column[0]) - expected) <= 2
    # Between the lines: the paper.
    between = int(np.floor(x)) + 4
    assert {int(v) for v in pixels[pixels.shape[0] // 2, between]} == {255}


def test_lines_follow_the_range_and_the_theme(plot, qtbot) -> None:
    item = plot.getPlotItem()
    grid = grids_of(item)[0]
    before = grid.lines()[0]
    item.getViewBox().setRange(xRange=(0, 7), yRange=(0, 1), padding=0)
    after = grid.lines()[0]
    assert after != before
    pixels = _view_pixels(plot)
    x = int(np.floor(max(after, key=lambda line: line[1])[0]))
    assert pixels[pixels.shape[0] // 2, x, 0] < 255  # drawn where the new range puts it

    # A dark theme: the cached lines are redrawn over the new paper.
    palette = plot.palette()
    palette.setColor(QPalette.ColorRole.Base, QColor(20, 20, 20))
    palette.setColor(QPalette.ColorRole.Text, QColor(230, 230, 230))
    plot.setPalette(palette)
    colors = recolor_plot(plot)
    qtbot.wait(10)
    pixels = _view_pixels(plot)
    line = pixels[pixels.shape[0] // 2, x].astype(int)
    paper = np.array([colors.background.red(), colors.background.green(), colors.background.blue()])
    assert (line > paper).all()  # lighter ink on dark paper
    assert np.abs(pixels[pixels.shape[0] // 2, x + 4].astype(int) - paper).max() <= 1


def test_a_grid_across_one_axis_only(qtbot) -> None:
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    item = widget.getPlotItem()
    grid = show_grid(item, 0.15, x=False)
    item.getViewBox().setRange(xRange=(0, 10), yRange=(0, 5), padding=0)
    widget.resize(300, 200)
    widget.show()
    qtbot.waitExposed(widget)
    vertical, horizontal = grid.lines()
    assert vertical == [] and horizontal


def test_new_axis_colours_on_the_same_paper_redraw_the_cached_lines(plot, qtbot) -> None:
    grid = grids_of(plot.getPlotItem())[0]
    x = int(np.floor(max(grid.lines()[0], key=lambda line: line[1])[0]))
    red = QColor(200, 0, 0)
    recolor_plot(plot, PlotColors(background=PAPER, text=INK, axis=red, muted=INK, faint=INK, dark=False))
    qtbot.wait(10)
    r, g, b = (int(v) for v in _view_pixels(plot)[10, x])
    assert r > g + 20 and g == b  # red ink over white paper
