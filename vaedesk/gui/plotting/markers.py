"""Markers of a fixed size in pixels at points of a plot, placed, bounded and painted by Qt.

For the few marks that move with every stroke (the posterior's mean and samples). pyqtgraph's
ScatterPlotItem re-plans its spots in Python on each ``setData`` and each repaint: for these
marks that was the largest part of the window's work per stroke, and the window's longest
blocks while the pen moved. Here each mark is a child path item that ignores the view's
scaling, so everything after :meth:`Markers.set_points` happens in Qt's C++.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from pyqtgraph.graphicsItems.ScatterPlotItem import Symbols
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QPainterPath, QPen, QTransform
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QGraphicsPathItem

import vaedesk.gui  # noqa: F401  (selects the PySide6 binding before pyqtgraph loads)

__all__ = ["Markers", "symbol_path"]


def symbol_path(symbol: str, size: float) -> QPainterPath:
    """pyqtgraph's symbol ``symbol`` ("o", "star", "+", ...) as a path ``size`` pixels across,
    centred on the origin: the marks look as they do in pyqtgraph's scatter plots."""
    return QTransform.fromScale(size, size).map(Symbols[symbol])


class Markers(QGraphicsObject):
    """One symbol of a fixed pixel size at each of a set of points (plot coordinates).

    The item itself paints nothing and has no bounds (a view box's auto-range skips it);
    its children are the marks, which take no mouse or hover events: the plot under them
    keeps its clicks and hovering.
    """

    def __init__(self, path: QPainterPath, pen: QPen, brush: QBrush | None = None) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self._path = path
        self._pen = QPen(pen)
        self._brush = QBrush(brush) if brush is not None else QBrush(Qt.BrushStyle.NoBrush)
        self._marks: list[QGraphicsPathItem] = []
        self._xy = np.zeros((0, 2))

    def boundingRect(self) -> QRectF:
        return QRectF()

    def paint(self, painter, option, widget=None) -> None:  # noqa: D102 (the children paint)
        pass

    def set_points(self, xy: ArrayLike) -> None:
        """Show one mark at each (x, y) row of ``xy`` (an empty array hides them all)."""
        points = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        while len(self._marks) < len(points):
            self._marks.append(self._new_mark())
        for k, mark in enumerate(self._marks):
            if k < len(points):
                mark.setPos(QPointF(points[k, 0], points[k, 1]))
            mark.setVisible(k < len(points))
        self._xy = points.copy()

    def points(self) -> np.ndarray:
        """The (N, 2) points shown."""
        return self._xy.copy()

    def pen(self) -> QPen:
        return QPen(self._pen)

    def set_pen(self, pen: QPen) -> None:
        self._pen = QPen(pen)
        for mark in self._marks:
            mark.setPen(self._pen)

    def brush(self) -> QBrush:
        return QBrush(self._brush)

    def set_brush(self, brush: QBrush) -> None:
        self._brush = QBrush(brush)
        for mark in self._marks:
            mark.setBrush(self._brush)

    def _new_mark(self) -> QGraphicsPathItem:
        mark = QGraphicsPathItem(self._path, self)
        mark.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        mark.setPen(self._pen)
        mark.setBrush(self._brush)
        mark.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        mark.setAcceptHoverEvents(False)
        return mark
