"""The drawing canvas: a square sheet of paper the user draws a digit on, kept as vector strokes.

Strokes live in a fixed CANVAS_SIZE x CANVAS_SIZE *canvas space* (x right, y down), mapped onto the largest
square that fits the widget, so resizing the window never changes the drawing and stroke
lists from :mod:`vaedesk.data.sketches` display as they are.

Painting stays cheap while drawing: finished ink is cached in a pixmap, every new mouse
segment is drawn straight into that cache and only the segment's rectangle is repainted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QPolygonF,
    QResizeEvent,
    QTabletEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from vaedesk.data.mnist_frame import BOX_SIZE, FIELD_SIZE
from vaedesk.data.strokes import DEFAULT_PEN_WIDTH, MAX_POINTS, check_drawing
from vaedesk.support.limits import CANVAS_SIZE
from vaedesk.support.palettes import mix

__all__ = ["CANVAS_SIZE", "PEN_SCALE_MIN", "PEN_SCALE_MAX", "DrawingCanvas", "ink_width"]

PEN_SCALE_MIN = 0.5
PEN_SCALE_MAX = 2.5
# The model scales a drawing so that its centre line spans BOX_SIZE - pen pixels, so the
# ink width relative to the drawing depends on how large the user drew.  The screen pen
# is fixed for a typical drawing whose longer side is 60% of the canvas (people fill a bit
# over half the paper); a digit of that size looks on screen exactly like the model input.
_TYPICAL_EXTENT = 0.6 * CANVAS_SIZE
# Undo steps kept; each is a list of references to immutable arrays, so this is cheap.
_MAX_HISTORY = 500
# Points per polyline when re-rendering the cache (see _ensure_cache).
_POLYLINE_CHUNK = 32
# Border around the paper, in widget pixels.
_MARGIN = 1

Strokes = list[np.ndarray]


def ink_width(pen_width: float) -> float:
    """On-screen ink width in canvas units that matches the model pen ``pen_width`` (28x28 px)."""
    return _TYPICAL_EXTENT * pen_width / max(BOX_SIZE - pen_width, 1.0)


def _as_strokes(strokes: Any) -> Strokes:
    """Read-only float64 (K, 2) copies of a drawing checked against the limits every part of
    vaedesk shares (so whatever the canvas holds can be encoded and saved); empty strokes
    dropped. Raises DrawingError."""
    parts, _pen = check_drawing(strokes, allow_empty=True)
    out: Strokes = []
    for part in parts:
        arr = np.array(part, dtype=np.float64)  # always a copy: the caller keeps theirs
        arr.setflags(write=False)
        out.append(arr)
    return out


class _PointBuffer:
    """Growable (N, 2) float64 buffer: appending a mouse point is amortised O(1)."""

    def __init__(self, x: float, y: float) -> None:
        self._data = np.empty((64, 2), dtype=np.float64)
        self._data[0] = (x, y)
        self._n = 1

    def __len__(self) -> int:
        return self._n

    def last(self) -> tuple[float, float]:
        x, y = self._data[self._n - 1]
        return float(x), float(y)

    def append(self, x: float, y: float) -> None:
        if self._n == len(self._data):
            grown = np.empty((2 * len(self._data), 2), dtype=np.float64)
            grown[: self._n] = self._data[: self._n]
            self._data = grown
        self._data[self._n] = (x, y)
        self._n += 1

    def array(self) -> np.ndarray:
        """A copy of the points so far."""
        return self._data[: self._n].copy()


class DrawingCanvas(QWidget):
    """A square drawing surface (black ink on white paper) that records vector strokes.

    Signals carry lists of (K, 2) float64 arrays in canvas space; each list and array is a
    fresh copy, so receivers may keep them or hand them to another thread.
    """

    #: Emitted whenever the drawing changes, including on every mouse move that adds a
    #: point (the in-progress stroke is the last item), so the app can encode live.
    drawing_changed = Signal(object)
    #: Emitted when the user lifts the pen, with the whole drawing.
    stroke_finished = Signal(object)
    #: Emitted when can_undo() / can_redo() may have changed.
    history_changed = Signal()
    pen_scale_changed = Signal(float)
    #: Emitted with a message when the drawing holds the most points a drawing may
    #: (strokes.MAX_POINTS): the stroke ends there and no new one starts.
    limit_reached = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("canvas")
        self.setMinimumSize(CANVAS_SIZE, CANVAS_SIZE)  # at least a pixel a canvas unit
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        # Every pixel is painted in paintEvent; skipping the background erase avoids flicker.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self._strokes: Strokes = []
        self._points = 0  # in self._strokes
        self._current: _PointBuffer | None = None
        self._undo: list[Strokes] = []
        self._redo: list[Strokes] = []
        self._pen_scale = 1.0
        self._cache: QPixmap | None = None  # finished + in-progress ink, transparent elsewhere

    # ------------------------------------------------------------------ geometry

    def sizeHint(self) -> QSize:
        return QSize(320, 320)

    def drawing_rect(self) -> QRectF:
        """The paper: the largest centred square inside the widget, in widget pixels."""
        side = max(1.0, float(min(self.width(), self.height()) - 2 * _MARGIN))
        return QRectF((self.width() - side) / 2.0, (self.height() - side) / 2.0, side, side)

    def _scale(self) -> float:
        return self.drawing_rect().width() / CANVAS_SIZE

    def to_canvas(self, pos: QPointF) -> tuple[float, float]:
        """Widget position -> canvas-space (x, y)."""
        rect, s = self.drawing_rect(), self._scale()
        return (pos.x() - rect.left()) / s, (pos.y() - rect.top()) / s

    def from_canvas(self, x: float, y: float) -> QPointF:
        """Canvas-space (x, y) -> widget position."""
        rect, s = self.drawing_rect(), self._scale()
        return QPointF(rect.left() + x * s, rect.top() + y * s)

    def _in_paper(self, pos: QPointF) -> bool:
        x, y = self.to_canvas(pos)
        return 0.0 <= x <= CANVAS_SIZE and 0.0 <= y <= CANVAS_SIZE

    def _clamped(self, pos: QPointF) -> tuple[float, float]:
        # Ink stops at the paper's edge, so the model never sees ink the screen does not show.
        x, y = self.to_canvas(pos)
        return min(max(x, 0.0), CANVAS_SIZE), min(max(y, 0.0), CANVAS_SIZE)

    # ------------------------------------------------------------------ pen

    @property
    def pen_scale(self) -> float:
        return self._pen_scale

    @pen_scale.setter
    def pen_scale(self, value: float) -> None:
        self.set_pen_scale(value)

    def set_pen_scale(self, value: float) -> None:
        """Set the pen width factor, clamped to [0.5, 2.5]; 1.0 is MNIST's stroke width."""
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"pen scale must be finite, got {value!r}")
        value = min(max(value, PEN_SCALE_MIN), PEN_SCALE_MAX)
        if value == self._pen_scale:
            return
        self._pen_scale = value
        self._invalidate()
        self.pen_scale_changed.emit(value)
        # The model input depends on the pen width, so listeners must re-encode.
        self._emit_changed()

    def model_pen_width(self) -> float:
        """Pen width in 28x28 pixels to pass to preprocess_strokes."""
        return DEFAULT_PEN_WIDTH * self._pen_scale

    def ink_width(self) -> float:
        """On-screen ink width in canvas units."""
        return ink_width(self.model_pen_width())

    # ------------------------------------------------------------------ drawing state

    def strokes(self) -> Strokes:
        """Copies of the finished strokes plus the in-progress one, in canvas space."""
        out = [s.copy() for s in self._strokes]
        if self._current is not None:
            out.append(self._current.array())
        return out

    def is_empty(self) -> bool:
        return not self._strokes and self._current is None

    def is_drawing(self) -> bool:
        """True while the pen is down."""
        return self._current is not None

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def set_strokes(self, strokes: Sequence[Any]) -> None:
        """Replace the drawing (undoable).  Raises DrawingError for a malformed drawing."""
        new = _as_strokes(strokes)
        self._finish_current(emit=False)
        if not new and not self._strokes:
            return
        self._record()
        self._strokes = new
        self._after_edit()

    def clear(self) -> None:
        """Erase the drawing (undoable; does nothing when already empty)."""
        self._finish_current(emit=False)
        if not self._strokes:
            return
        self._record()
        self._strokes = []
        self._after_edit()

    def undo(self) -> None:
        """Undo the last stroke, clear or set_strokes."""
        self._finish_current(emit=False)
        if not self._undo:
            return
        self._redo.append(self._strokes)
        self._strokes = self._undo.pop()
        self._after_edit()

    def redo(self) -> None:
        self._finish_current(emit=False)
        if not self._redo:
            return
        self._undo.append(self._strokes)
        self._strokes = self._redo.pop()
        self._after_edit()

    def _record(self) -> None:
        """Push the current drawing as an undo step; any new action forgets the redo list."""
        self._undo.append(self._strokes)
        del self._undo[:-_MAX_HISTORY]
        self._redo.clear()

    def _after_edit(self) -> None:
        self._points = sum(len(s) for s in self._strokes)
        self._invalidate()
        self._emit_changed()
        self.history_changed.emit()

    def _emit_changed(self) -> None:
        self.drawing_changed.emit(self.strokes())

    # ------------------------------------------------------------------ stroke input

    def _begin(self, pos: QPointF) -> bool:
        if self._current is not None or not self._in_paper(pos):
            return False
        if self._points >= MAX_POINTS:
            self._refuse_more()
            return False
        x, y = self._clamped(pos)
        self._current = _PointBuffer(x, y)
        self._ink_segment((x, y), (x, y))
        self._emit_changed()
        return True

    def _extend(self, pos: QPointF) -> None:
        if self._current is None:
            return
        x, y = self._clamped(pos)
        last = self._current.last()
        if (x, y) == last:
            return  # a repeated position adds nothing to the drawing
        self._current.append(x, y)
        self._ink_segment(last, (x, y))
        if self._points + len(self._current) >= MAX_POINTS:
            self._finish_current(emit=True)
            self._refuse_more()
            return
        self._emit_changed()

    def _refuse_more(self) -> None:
        # Refused here, before any limit is broken: the drawing stays one that can be
        # encoded, autosaved and restored.
        self.limit_reached.emit(f"This drawing holds {MAX_POINTS:,} points, the most a drawing may: "
                                "undo or clear to draw more.")

    def _end(self, pos: QPointF) -> None:
        if self._current is None:
            return
        self._extend(pos)
        self._finish_current(emit=True)

    def _finish_current(self, emit: bool) -> None:
        """Commit the in-progress stroke as one undo step."""
        if self._current is None:
            return
        stroke = self._current.array()
        stroke.setflags(write=False)  # history shares it between undo steps
        self._current = None
        self._record()
        self._strokes = [*self._strokes, stroke]
        self._points += len(stroke)
        # The cache already holds the stroke, inked segment by segment, so there is nothing
        # to repaint: re-rendering here would stall the pen lift on a large drawing.
        self.history_changed.emit()
        if emit:
            self._emit_changed()
            self.stroke_finished.emit(self.strokes())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._begin(event.position()):
            event.accept()
        else:
            event.ignore()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._current is None:
            event.ignore()
            return
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._extend(event.position())
        else:
            # The release was lost (e.g. to a popup): end the stroke where the pen was.
            self._finish_current(emit=True)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._current is not None:
            self._end(event.position())
            event.accept()
        else:
            event.ignore()

    def tabletEvent(self, event: QTabletEvent) -> None:
        kind = event.type()
        pos = event.position()
        if kind == QTabletEvent.Type.TabletPress:
            if event.button() == Qt.MouseButton.LeftButton:
                self._begin(pos)
        elif kind == QTabletEvent.Type.TabletMove:
            # Hovering pens send moves too; only a stroke in progress takes them.
            self._extend(pos)
        elif kind == QTabletEvent.Type.TabletRelease:
            if event.button() == Qt.MouseButton.LeftButton:
                self._end(pos)
        # Accepted, so Qt does not also synthesise mouse events (which would double the ink).
        event.accept()

    # ------------------------------------------------------------------ painting

    def _paper_and_ink(self) -> tuple[QColor, QColor]:
        """The paper is the palette's Base and the ink its Text: dark on light, or light on dark."""
        palette = self.palette()
        return palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)

    def _shade(self, t: float) -> QColor:
        """A colour ``t`` of the way from the paper to the ink (guides, frame)."""
        paper, ink = self._paper_and_ink()
        return QColor(*mix((paper.red(), paper.green(), paper.blue()), (ink.red(), ink.green(), ink.blue()), t))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._invalidate()  # the cached ink is in the old colour
        super().changeEvent(event)

    def _ink_pen(self) -> QPen:
        pen = QPen(self._paper_and_ink()[1], self.ink_width())
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        return pen

    def _ink_painter(self, device: QPixmap) -> QPainter:
        """A painter on the cache whose coordinates are canvas space."""
        painter = QPainter(device)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect, s = self.drawing_rect(), self._scale()
        painter.setClipRect(rect)
        painter.translate(rect.left(), rect.top())
        painter.scale(s, s)
        painter.setPen(self._ink_pen())
        return painter

    def _invalidate(self) -> None:
        self._cache = None
        self.update()

    def _ensure_cache(self) -> QPixmap:
        if self._cache is not None:
            return self._cache
        ratio = self.devicePixelRatioF()
        cache = QPixmap(
            max(1, math.ceil(self.width() * ratio)), max(1, math.ceil(self.height() * ratio))
        )
        cache.setDevicePixelRatio(ratio)
        cache.fill(Qt.GlobalColor.transparent)
        painter = self._ink_painter(cache)
        strokes = list(self._strokes)
        if self._current is not None:
            strokes.append(self._current.array())
        for stroke in strokes:
            if len(stroke) == 1:
                painter.drawPoint(QPointF(stroke[0, 0], stroke[0, 1]))
            else:
                # Qt's stroker slows down sharply on long self-crossing polylines; short
                # overlapping pieces joined by the round caps look the same and draw faster.
                for start in range(0, len(stroke) - 1, _POLYLINE_CHUNK):
                    piece = stroke[start : start + _POLYLINE_CHUNK + 1].tolist()
                    painter.drawPolyline(QPolygonF([QPointF(x, y) for x, y in piece]))
        painter.end()
        self._cache = cache
        return cache

    def _ink_segment(self, a: tuple[float, float], b: tuple[float, float]) -> None:
        """Draw one new segment of the in-progress stroke and repaint just around it."""
        if self._cache is None:
            self.update()  # the next paint renders everything, this segment included
            return
        painter = self._ink_painter(self._cache)
        if a == b:
            painter.drawPoint(QPointF(*a))
        else:
            painter.drawLine(QPointF(*a), QPointF(*b))
        painter.end()
        pa, pb = self.from_canvas(*a), self.from_canvas(*b)
        pad = self.ink_width() * self._scale() / 2.0 + 2.0
        dirty = QRectF(pa, pb).normalized().adjusted(-pad, -pad, pad, pad)
        self.update(dirty.toAlignedRect())

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._cache = None  # the paper's pixel size changed: re-render from the vectors
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setClipRegion(event.region())
        painter.fillRect(self.rect(), self.palette().window())
        rect = self.drawing_rect()
        painter.fillRect(rect, self._paper_and_ink()[0])
        self._paint_guides(painter, rect)
        cache = self._ensure_cache()
        painter.drawPixmap(0, 0, cache)
        if self.is_empty():
            self._paint_hint(painter, rect)
        # Thin frame around the paper, outside the ink area.
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(QPen(self._shade(0.4), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        frame = QRect(
            round(rect.left()) - 1, round(rect.top()) - 1, round(rect.width()) + 1, round(rect.height()) + 1
        )
        painter.drawRect(frame)
        painter.end()

    def _paint_guides(self, painter: QPainter, rect: QRectF) -> None:
        """Faint MNIST 20x20 box and centre cross: where the model will put the ink."""
        s = rect.width() / CANVAS_SIZE
        cell = CANVAS_SIZE / FIELD_SIZE
        inset = (FIELD_SIZE - BOX_SIZE) / 2.0 * cell * s
        pen = QPen(self._shade(0.12), 1, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.drawRect(rect.adjusted(inset, inset, -inset, -inset))
        c = rect.center()
        arm = cell * s
        painter.setPen(QPen(self._shade(0.16), 1))
        painter.drawLine(QPointF(c.x() - arm, c.y()), QPointF(c.x() + arm, c.y()))
        painter.drawLine(QPointF(c.x(), c.y() - arm), QPointF(c.x(), c.y() + arm))

    def _paint_hint(self, painter: QPainter, rect: QRectF) -> None:
        font = QFont(self.font())
        font.setPixelSize(max(10, round(rect.width() / 18)))
        painter.setFont(font)
        painter.setPen(self._shade(0.45))
        text_rect = QRectF(rect.left(), rect.top() + rect.height() * 0.62, rect.width(), rect.height() * 0.2)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignCenter, "Draw a digit here")
