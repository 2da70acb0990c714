"""The latent plane's graphics items: the prior's circles, the test-set scatter, markers
that remember their bounds, draggable pins, and the plane's layers ready to be added
(each in its light-theme colours; the plane re-colours them for its palette)."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from numpy.typing import ArrayLike
from pyqtgraph.GraphicsScene.mouseEvents import HoverEvent, MouseClickEvent, MouseDragEvent
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsPolygonItem

import vaedesk.gui  # noqa: F401  (selects the PySide6 binding before pyqtgraph loads)
from vaedesk.gui.plotting.cached_pixels import keep_as_pixels
from vaedesk.gui.plotting.markers import Markers, symbol_path
from vaedesk.gui.plotting.style import (
    ATTRIBUTE_COLOR,
    DENSITY_COLOR,
    INK,
    LENS_COLOR,
    MEAN_FILL,
    PATH_COLOR,
    PIN_FILL,
    PIN_HOVER_FILL,
    PIN_SELECTED_RING,
    POSTERIOR_COLOR,
    PRIOR_COLOR,
    PRIOR_TEXT,
    small_font,
)

PIN_RADIUS_PX = 10.0


class PriorCircle(QGraphicsEllipseItem):
    """A circle of radius ``radius`` (plot units) around its position, antialiased.

    Qt's own item: its bounds are plain C++, where pyqtgraph's curve item measures its
    points in Python at every change of range.
    """

    def __init__(self, radius: float, pen: QPen) -> None:
        super().__init__(-radius, -radius, 2 * radius, 2 * radius)
        self.radius = float(radius)
        self.setPen(pen)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        super().paint(painter, option, widget)


def unit_circle(n: int = 96) -> QPolygonF:
    theta = np.linspace(0.0, 2.0 * math.pi, n + 1)
    return QPolygonF([QPointF(math.cos(t), math.sin(t)) for t in theta])


# A dot of 4 pixels across, as offsets from the pixel a point falls in.
_DOT = [(dx, dy) for dy in range(-2, 2) for dx in range(-2, 2) if (dx + 0.5) ** 2 + (dy + 0.5) ** 2 <= 4.0]


def premultiplied_argb(rgb: tuple[int, int, int], alpha: int) -> int:
    r, g, b = (round(c * alpha / 255) for c in rgb)
    return (alpha << 24) | (r << 16) | (g << 8) | b


def rasterize_dots(px: np.ndarray, py: np.ndarray, colors: np.ndarray, width: int, height: int) -> np.ndarray:
    """Dots at device pixel positions (px, py) as a (height, width) uint32 ARGB32 image;
    later points cover earlier ones, points outside the image are dropped."""
    image = np.zeros((height, width), np.uint32)
    ix, iy = np.floor(px).astype(np.int64), np.floor(py).astype(np.int64)
    for dx, dy in _DOT:
        x, y = ix + dx, iy + dy
        inside = (x >= 0) & (x < width) & (y >= 0) & (y < height)
        image[y[inside], x[inside]] = colors[inside]
    return image


class PointCloud(pg.GraphicsObject):
    """The test-set scatter: thousands of dots of one size, rasterised with NumPy.

    pyqtgraph's ScatterPlotItem sets and draws each point in Python, far too slowly for
    10,000 points after every pan or zoom; here NumPy does both. The item caches its pixels
    (DeviceCoordinateCache), so repaints caused by other items (the posterior, on every
    stroke) only copy them.
    """

    def __init__(self) -> None:
        super().__init__()
        self._xy = np.zeros((0, 2))
        self._colors = np.zeros(0, np.uint32)
        self._visible = np.zeros(0, bool)
        self._rect = QRectF()
        keep_as_pixels(self)

    def set_points(self, xy: np.ndarray, colors: np.ndarray) -> None:
        """Points (N, 2) and their premultiplied ARGB32 colours (N,), drawn in this order."""
        self.prepareGeometryChange()
        self._xy, self._colors = xy, colors
        self._visible = np.ones(len(xy), bool)
        if len(xy):
            (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
            pad = 0.05 * max(x1 - x0, y1 - y0, 1e-6)  # room for the dots' radius
            self._rect = QRectF(x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad)
        else:
            self._rect = QRectF()
        self.update()

    def set_visible_points(self, visible: np.ndarray) -> None:
        self._visible = visible
        self.update()

    def points(self) -> np.ndarray:
        return self._xy

    def visible_points(self) -> np.ndarray:
        return self._visible

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, *args: object) -> None:
        device = painter.device()
        if not self._visible.any() or device is None:
            return
        t = painter.deviceTransform()  # item -> device pixels (pyqtgraph views never rotate)
        xy, colors = self._xy[self._visible], self._colors[self._visible]
        px = t.m11() * xy[:, 0] + t.m21() * xy[:, 1] + t.dx()
        py = t.m12() * xy[:, 0] + t.m22() * xy[:, 1] + t.dy()
        ratio = device.devicePixelRatioF()
        width, height = round(device.width() * ratio), round(device.height() * ratio)
        left = top = 0
        if width <= 0 or height <= 0:
            # A device without a size (an SVG export): the dots over the view box's area.
            view_box = self.getViewBox()
            area = self.mapRectFromItem(view_box, view_box.rect()) if view_box is not None else self._rect
            box = t.mapRect(area.intersected(self._rect)).toAlignedRect()
            left, top = box.left(), box.top()
            width, height = min(box.width(), 8192), min(box.height(), 8192)
            if width <= 0 or height <= 0:
                return
            ratio = 1.0
        pixels = rasterize_dots(px - left, py - top, colors, width, height)
        image = QImage(pixels.data, width, height, 4 * width, QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(ratio)
        painter.save()
        painter.resetTransform()
        painter.drawImage(left, top, image)
        painter.restore()


class CachedBoundsScatter(pg.ScatterPlotItem):
    """A ScatterPlotItem that remembers its bounding rectangle.

    Qt asks every item for its bounds many times per repaint, and pyqtgraph recomputes
    them (pixel size included) each time: most of the plane's repaint cost. pyqtgraph
    replaces ``self.bounds`` with a fresh list whenever the data or the view change, so
    the cached rectangle is valid while that list is the same object.
    """

    def __init__(self, *args, **kwargs) -> None:
        self._rect_for: list | None = None
        self._rect = QRectF()
        super().__init__(*args, **kwargs)

    def boundingRect(self) -> QRectF:
        if self._rect_for is not self.bounds:
            self._rect = super().boundingRect()
            self._rect_for = self.bounds
        return self._rect


class PinItem(pg.GraphicsObject):
    """A numbered, draggable marker of fixed on-screen size.

    The item lives in view coordinates (its position is the pin's plane point) but paints
    in device pixels, so it keeps its size while zooming; its shape is the pixel disc
    mapped back into item coordinates, which is what pyqtgraph's hit tests use.

    It moves itself while dragged and reports the user's gestures through its signals,
    each carrying the item (as pyqtgraph's TargetItem does); the plane decides what they
    mean. Signals: ``pressed`` (a drag starts), ``dragged(finished)`` (after each drag
    step; ``finished`` on the last), ``clicked`` (left) and ``right_clicked``.
    """

    pressed = Signal(object)
    dragged = Signal(object, bool)
    clicked = Signal(object)
    right_clicked = Signal(object)

    def __init__(self, pin_id: int, xy: np.ndarray) -> None:
        super().__init__()
        self.pin_id = pin_id
        self.number = 0
        self.selected = False
        self._hovering = False
        self._dragging = False
        self._grab_offset = QPointF()
        self._shape: QPainterPath | None = None
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setPos(QPointF(float(xy[0]), float(xy[1])))

    # --- geometry -------------------------------------------------------------------

    def _disc(self, radius_px: float) -> QPainterPath:
        """A circle of ``radius_px`` device pixels around the pin, in item coordinates."""
        device = self.deviceTransform_()  # None until the widget has been laid out
        inverse, invertible = device.inverted() if device is not None else (None, False)
        if inverse is None or not invertible:
            # Not on screen yet: any small shape will do until the first layout.
            path = QPainterPath()
            path.addEllipse(QPointF(0.0, 0.0), 0.05, 0.05)
            return path
        centre = device.map(QPointF(0.0, 0.0))
        on_screen = QPainterPath()
        on_screen.addEllipse(centre, radius_px, radius_px)
        return inverse.map(on_screen)

    def viewTransformChanged(self) -> None:
        # Zoom changes how many plane units a pixel covers, so the shape must follow.
        self.prepareGeometryChange()
        self._shape = None
        self.update()

    def shape(self) -> QPainterPath:
        if self._shape is None:
            self._shape = self._disc(PIN_RADIUS_PX + 1.0)
        return self._shape

    def boundingRect(self) -> QRectF:
        # Room for the selection ring, which is drawn outside the disc.
        return self._disc(PIN_RADIUS_PX + 6.0).boundingRect()

    # --- painting -------------------------------------------------------------------

    def set_number(self, number: int) -> None:
        if number != self.number:
            self.number = number
            self.update()

    def set_selected(self, selected: bool) -> None:
        if selected != self.selected:
            self.selected = selected
            self.update()

    def paint(self, painter: QPainter, *args: object) -> None:
        centre = painter.transform().map(QPointF(0.0, 0.0))
        painter.save()
        painter.resetTransform()  # draw in device pixels
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = PIN_RADIUS_PX
        if self.selected:
            painter.setPen(QPen(PIN_SELECTED_RING, 4.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(centre, r + 2.5, r + 2.5)
        painter.setPen(QPen(QColor(255, 255, 255), 1.5))
        painter.setBrush(PIN_HOVER_FILL if (self._hovering or self._dragging) else PIN_FILL)
        painter.drawEllipse(centre, r, r)
        font = QFont(painter.font())
        font.setPixelSize(12 if self.number < 10 else 10)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor(255, 255, 255))
        box = QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, str(self.number))
        painter.restore()

    # --- mouse ----------------------------------------------------------------------

    def hoverEvent(self, ev: HoverEvent) -> None:
        # Claim drags and clicks while the cursor is over the pin so the view box does
        # not pan underneath it and the click is not taken for empty space.
        hovering = False
        if not ev.isExit():
            hovering = ev.acceptDrags(Qt.MouseButton.LeftButton)
            ev.acceptClicks(Qt.MouseButton.LeftButton)
            ev.acceptClicks(Qt.MouseButton.RightButton)
        if hovering != self._hovering:
            self._hovering = hovering
            self.update()

    def mouseDragEvent(self, ev: MouseDragEvent) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        ev.accept()
        parent_pos = self.mapToParent(ev.pos())
        if ev.isStart():
            # Keep the grab point under the cursor instead of snapping the centre to it.
            self._grab_offset = self.pos() - self.mapToParent(ev.buttonDownPos())
            self._dragging = True
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            self.pressed.emit(self)
        if not self._dragging:
            return
        self.setPos(parent_pos + self._grab_offset)
        finished = bool(ev.isFinish())
        if finished:
            self._dragging = False
            self.setCursor(Qt.CursorShape.OpenHandCursor)
            self.update()
        self.dragged.emit(self, finished)

    def mouseClickEvent(self, ev: MouseClickEvent) -> None:
        button = ev.button()
        if button == Qt.MouseButton.LeftButton:
            ev.accept()  # the plane's scene handler sees the pin as acceptedItem
            self.clicked.emit(self)
        elif button == Qt.MouseButton.RightButton:
            ev.accept()
            self.right_clicked.emit(self)


# --- the plane's layers, built in their light-theme colours -------------------------------

def lens_outline() -> pg.PlotCurveItem:
    """The outline of the region the posterior lens shows."""
    return pg.PlotCurveItem(pen=pg.mkPen(LENS_COLOR, width=1.5), antialias=True)


def prior_items() -> tuple[tuple[PriorCircle, ...], tuple[pg.TextItem, ...]]:
    """Dashed 1σ, 2σ, 3σ circles and their labels (placed by the plane's show_prior)."""
    # One pixel wide: Qt strokes an antialiased pen of at most one pixel on its fast path,
    # and a wider one far more slowly at every change of range.
    pen = pg.mkPen(PRIOR_COLOR, width=1.0, style=Qt.PenStyle.DashLine)
    circles, labels = [], []
    for k in (1, 2, 3):
        circles.append(PriorCircle(k, pen))
        # A white backing keeps the label legible over dense scatter.
        label = pg.TextItem(f"{k}σ", color=PRIOR_TEXT, anchor=(1.0, 1.0), fill=pg.mkBrush(255, 255, 255, 215))
        label.setFont(small_font(8))
        labels.append(label)
    return tuple(circles), tuple(labels)


def morph_path_items() -> tuple[pg.PlotCurveItem, pg.PlotDataItem, CachedBoundsScatter]:
    """The morph path, dashed with a dot per frame, its halo, and the current frame's marker."""
    # A white halo under the dashes separates the path from scatter of any colour.
    halo = pg.PlotCurveItem(pen=pg.mkPen(255, 255, 255, 200, width=6), antialias=True)
    path = pg.PlotDataItem(
        pen=pg.mkPen(PATH_COLOR, width=3, style=Qt.PenStyle.DashLine),
        symbol="o",
        symbolSize=6,
        symbolPen=pg.mkPen(255, 255, 255, width=1),
        symbolBrush=pg.mkBrush(PATH_COLOR),
        antialias=True,
    )
    marker = CachedBoundsScatter(size=15, symbol="o", pen=pg.mkPen(POSTERIOR_COLOR, width=2),
                                 brush=pg.mkBrush(PATH_COLOR))
    return halo, path, marker


def posterior_items() -> tuple[tuple[QGraphicsPolygonItem, ...], Markers, Markers]:
    """The drawing's posterior: 1σ and 2σ ellipses (hidden), samples and the mean."""
    ellipses = []
    for fill_alpha, style in ((60, Qt.PenStyle.SolidLine), (28, Qt.PenStyle.DashLine)):
        # A unit circle that set_posterior maps onto the ellipse with a transform (the
        # cosmetic pen keeps its width in pixels).
        ellipse = QGraphicsPolygonItem(unit_circle())
        ellipse.setPen(pg.mkPen(POSTERIOR_COLOR, width=1.6, style=style))
        fill = QColor(POSTERIOR_COLOR)
        fill.setAlpha(fill_alpha)
        ellipse.setBrush(QBrush(fill))
        ellipse.setVisible(False)
        ellipses.append(ellipse)
    samples = Markers(symbol_path("o", 7), pg.mkPen(POSTERIOR_COLOR, width=1.3))
    mean = Markers(symbol_path("star", 20), pg.mkPen(POSTERIOR_COLOR, width=1.5), pg.mkBrush(MEAN_FILL))
    return tuple(ellipses), samples, mean


def hover_marker() -> CachedBoundsScatter:
    grey = (90, 90, 90, 200)
    return CachedBoundsScatter(size=14, symbol="+", pen=pg.mkPen(*grey, width=1.2), brush=pg.mkBrush(*grey))


def attribute_arrow_items() -> tuple[pg.PlotCurveItem, pg.ArrowItem, pg.TextItem]:
    """Latent arithmetic's attribute vector (hidden): a line, its head and its label."""
    line = pg.PlotCurveItem(pen=pg.mkPen(ATTRIBUTE_COLOR, width=3), antialias=True)
    head = pg.ArrowItem(headLen=16, tipAngle=36, tailLen=0, pen=pg.mkPen(ATTRIBUTE_COLOR),
                        brush=pg.mkBrush(ATTRIBUTE_COLOR))
    label = pg.TextItem(color=ATTRIBUTE_COLOR, anchor=(0, 1), fill=pg.mkBrush(255, 255, 255, 200))
    label.setFont(small_font(9))
    for item in (line, head, label):
        item.setVisible(False)
    return line, head, label


def class_legend() -> pg.LegendItem:
    """The class legend (hidden until the plane has a scatter)."""
    legend = pg.LegendItem(
        offset=(-8, 8),
        brush=pg.mkBrush(255, 255, 255, 215),
        pen=pg.mkPen(200, 200, 200),
        labelTextColor=INK,
        labelTextSize="8pt",
        colCount=2,
        verSpacing=-6,
        horSpacing=2,
    )
    legend.setVisible(False)
    return legend


def manifold_rgba(ink: np.ndarray, paper: tuple[int, int, int], pen: tuple[int, int, int]) -> np.ndarray:
    """The manifold overlay's (H, W, 4) pixels for decodings ``ink`` (H, W) in [0, 1]: the
    colour blends paper to pen, the alpha rises from a light wash to opaque ink."""
    rgba = np.empty(ink.shape + (4,), dtype=np.uint8)
    for channel, (low, high) in enumerate(zip(paper, pen, strict=True)):
        rgba[..., channel] = np.round(low + (high - low) * ink)
    rgba[..., 3] = np.round(255.0 * (0.5 + 0.5 * ink))
    return rgba


def density_rgba(values: np.ndarray) -> np.ndarray:
    """The density wash's (H, W, 4) pixels for densities ``values`` (H, W) >= 0."""
    peak = values.max()
    # A square root so that the thin tails, where the prior still puts mass, stay visible.
    alpha = np.sqrt(values / peak) if peak > 0 else np.zeros_like(values)
    rgba = np.zeros(values.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = (DENSITY_COLOR.red(), DENSITY_COLOR.green(), DENSITY_COLOR.blue())
    rgba[..., 3] = np.round(200.0 * alpha)
    return rgba


def plane_point(value: ArrayLike, what: str) -> np.ndarray:
    """A single plane point as a (2,) float array."""
    array = np.asarray(value, dtype=np.float64).reshape(-1)
    if array.shape != (2,) or not np.all(np.isfinite(array)):
        raise ValueError(f"{what} must be two finite numbers, got {value!r}")
    return array


def plane_points(value: ArrayLike, what: str) -> np.ndarray:
    """Plane points as an (N, 2) float array (N may be 0)."""
    array = np.asarray(value, dtype=np.float64)
    if array.size == 0:
        return np.zeros((0, 2))
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"{what} must have shape (N, 2), got {array.shape}")
    return array
