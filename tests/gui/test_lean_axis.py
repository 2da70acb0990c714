"""LeanAxis plans exactly the ticks and labels pyqtgraph's AxisItem would, only faster."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QFont, QImage, QPainter

from vaedesk.gui.plotting.lean_axis import FRAME_SIDES, LeanAxis, lean_axes


def _plain(specs):
    """Draw specs as plain numbers and strings, comparable with ==."""
    axis, ticks, texts = specs
    return ((axis[1].x(), axis[1].y(), axis[2].x(), axis[2].y()),
            [(pen.color().rgba(), a.x(), a.y(), b.x(), b.y()) for pen, a, b in ticks],
            [(r.x(), r.y(), r.width(), r.height(), int(flags), text) for r, flags, text in texts])


@pytest.fixture
def framed(qtbot):
    plot = pg.PlotWidget(axisItems=lean_axes(*FRAME_SIDES))
    qtbot.addWidget(plot)
    plot.resize(520, 400)
    plot.show()
    qtbot.waitExposed(plot)
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    yield plot.getPlotItem(), painter
    painter.end()


RANGES = [(0, 1), (-3, 3), (0.5, 30.5), (100, 250), (1e-4, 3e-4), (-1e6, 5e6), (140, 141), (-0.02, 0.001)]


@pytest.mark.parametrize("low, high", RANGES)
def test_the_same_ticks_and_labels_as_pyqtgraph(framed, qtbot, low, high):
    item, painter = framed
    item.getViewBox().setRange(xRange=(low, high), yRange=(2 * low - 1, 3 * high), padding=0)
    qtbot.wait(20)
    for side in FRAME_SIDES:
        axis = item.getAxis(side)
        assert isinstance(axis, LeanAxis)
        lean = _plain(axis.generateDrawSpecs(painter))
        reference = _plain(pg.AxisItem.generateDrawSpecs(axis, painter))
        assert lean == reference, side
        assert lean[2] or side in ("top", "right") or not axis.style["showValues"]  # labels were planned


def test_a_new_font_is_measured_again(framed, qtbot):
    item, painter = framed
    axis = item.getAxis("left")
    small = _plain(axis.generateDrawSpecs(painter))
    axis.setTickFont(QFont("Sans", 16))
    large = _plain(axis.generateDrawSpecs(painter))
    assert large == _plain(pg.AxisItem.generateDrawSpecs(axis, painter))
    assert min(r[3] for r in large[2]) > max(r[3] for r in small[2])  # taller labels, not the cached sizes


def test_explicit_ticks_and_styles_it_leaves_to_pyqtgraph(framed):
    item, painter = framed
    axis = item.getAxis("bottom")
    axis.setTicks([[(0.25, "a quarter"), (0.75, "three quarters")]])
    assert _plain(axis.generateDrawSpecs(painter)) == _plain(pg.AxisItem.generateDrawSpecs(axis, painter))
    assert [text for *_, text in axis.generateDrawSpecs(painter)[2]] == ["a quarter", "three quarters"]
    axis.setTicks(None)
    axis.setStyle(stopAxisAtTick=(True, True), tickAlpha=0.5)
    assert _plain(axis.generateDrawSpecs(painter)) == _plain(pg.AxisItem.generateDrawSpecs(axis, painter))


def test_tick_values_match_pyqtgraph_everywhere(framed):
    item, _painter = framed
    rng = np.random.default_rng(1)
    for _ in range(500):
        low = rng.normal() * 10.0 ** rng.integers(-5, 7)
        high = low + abs(rng.normal()) * 10.0 ** rng.integers(-5, 7) + 1e-9
        size = float(rng.uniform(20, 2000))
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            assert axis.tickValues(low, high, size) == pg.AxisItem.tickValues(axis, low, high, size)


def test_the_apps_plots_use_it(qtbot):
    from vaedesk.gui.plane.widget import LatentPlane
    from vaedesk.gui.studio.panel import TrainingPanel

    plane = LatentPlane()
    qtbot.addWidget(plane)
    assert all(isinstance(plane.getPlotItem().getAxis(side), LeanAxis) for side in FRAME_SIDES)
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    for plot in panel.loss_plots:
        assert all(isinstance(plot.getPlotItem().getAxis(side), LeanAxis) for side in ("left", "bottom"))


def test_room_for_labels_grows_in_steps(framed, qtbot):
    item, _painter = framed
    axis = item.getAxis("left")
    widths = []
    for high in (1.0, 7.5, 12.0, 150.0, 0.0125, 4321.0, 2.0, 99999.0):
        item.getViewBox().setRange(yRange=(0.0, high), padding=0)
        qtbot.wait(20)
        assert axis.textWidth > 0 and axis.textWidth % 6 == 0, high
        widths.append(axis.width())
    assert widths == sorted(widths)  # narrower labels do not re-lay out the plot...
    assert widths[-1] > widths[0]  # ...wider ones make room
