"""A plot axis that plans its ticks and labels in a fraction of pyqtgraph's time.

After every change of a plot's range pyqtgraph's ``AxisItem`` re-plans its ticks and
labels in Python: a few dozen ticks, each with several small objects, and every label
measured again through the painter. On the training studio's plots that was a large part
of a repaint after a new range, and a run changes those ranges while the user draws.
``LeanAxis`` plans the same ticks and labels
(the same positions, texts and rectangles) with plain numbers and remembers each label's
size, so a re-plan costs a fraction of that. It also changes its width (which re-lays out
the whole plot) less often: the room for labels grows in steps and never shrinks.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

import vaedesk.gui  # noqa: F401  (selects the PySide6 binding before pyqtgraph loads)

_MEASURE_BOX = QRectF(0, 0, 100, 100)
_CENTER = Qt.AlignmentFlag.AlignCenter
_TEXT_FLAGS = {
    "left": Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextDontClip,
    "right": Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextDontClip,
    "top": Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom | Qt.TextFlag.TextDontClip,
    "bottom": Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextDontClip,
}
FRAME_SIDES = ("left", "bottom", "top", "right")  # a plot framed on four sides
_TEXT_SPACE_STEP = 6.0  # px
_KNOWN_SIZES = 512  # labels remembered per font; a long session's zooms make new ones


class LeanAxis(pg.AxisItem):
    """``pg.AxisItem`` with a faster ``generateDrawSpecs``; everything else is pyqtgraph's.

    Styles it does not plan itself (a grid drawn by the axis, stopping the axis line at a
    tick, a fixed tick alpha) go to pyqtgraph's own planner.
    """

    def __init__(self, orientation: str, **kwargs) -> None:
        self._label_shown: str | None = None  # set before pyqtgraph's __init__ shows a label
        super().__init__(orientation, **kwargs)
        # The room for labels only grows: narrower labels after a zoom leave a few pixels
        # spare instead of re-laying out the plot (and again when they widen).
        self.setStyle(autoReduceTextSpace=False)
        self._sizes_font = ""
        self._label_sizes: dict[str, tuple[float, float]] = {}  # in the font ``_sizes_font``

    def _updateMaxTextSize(self, x: float) -> None:
        # The room for a vertical axis' labels grows in steps of about a digit: each change
        # of an axis' width re-lays out its plot and redraws the plot twice over, and a
        # loss curve's labels widened it by a pixel or two at a time.
        if self.orientation in ("left", "right") and x > 0:
            x = math.ceil(x / _TEXT_SPACE_STEP) * _TEXT_SPACE_STEP
        super()._updateMaxTextSize(x)

    def _updateLabel(self) -> None:
        # pyqtgraph sets the label's text again at every change of range (for its SI
        # prefix), which re-lays it out and redraws it; an unchanged label is left alone.
        text = self.labelString()
        if text == self._label_shown:
            self.picture = None
            self.update()
            return
        self._label_shown = text
        super()._updateLabel()

    def tickValues(self, minVal: float, maxVal: float, size: float):
        """pyqtgraph's tick levels, with its test for a tick already on a higher level done as
        one subtraction (``np.isclose`` took half of the time)."""
        if self.logMode:
            return super().tickValues(minVal, maxVal, size)
        low, high = sorted((minVal, maxVal))
        low, high = low * self.scale, high * self.scale
        ticks = []
        seen = np.zeros(0)
        for spacing, offset in self.tickSpacing(low, high, size):
            start = math.ceil((low - offset) / spacing) * spacing + offset
            values = (np.arange(int((high - start) / spacing) + 1) * spacing + start) / self.scale
            if seen.size:
                values = values[~(np.abs(seen - values[:, np.newaxis]) <= spacing / self.scale * 0.01).any(axis=1)]
            seen = np.concatenate([seen, values])
            ticks.append((spacing / self.scale, values.tolist()))
        return ticks

    def generateDrawSpecs(self, p: QPainter):
        style = self.style
        if self.grid is not False or style["tickAlpha"] is not None or any(style["stopAxisAtTick"]):
            return super().generateDrawSpecs(p)
        if style["tickFont"] is not None:
            p.setFont(style["tickFont"])
        bounds = self.mapRectFromParent(self.geometry())
        orientation = self.orientation
        across = orientation in ("left", "right")  # ticks run across a vertical axis
        if orientation == "left":
            span = (bounds.topRight() + QPointF(-1, -1), bounds.bottomRight() + QPointF(-1, 1))
            tick_start, direction = bounds.right(), -1
        elif orientation == "right":
            span = (bounds.topLeft() + QPointF(1, -1), bounds.bottomLeft() + QPointF(1, 1))
            tick_start, direction = bounds.left(), 1
        elif orientation == "top":
            span = (bounds.bottomLeft() + QPointF(-1, -1), bounds.bottomRight() + QPointF(1, -1))
            tick_start, direction = bounds.bottom(), -1
        else:
            span = (bounds.topLeft() + QPointF(-1, 1), bounds.topRight() + QPointF(1, 1))
            tick_start, direction = bounds.top(), 1
        ends = [self.mapToDevice(point) for point in span]
        if None in ends:
            return None
        along_device = ends[1] - ends[0]
        length = math.hypot(along_device.x(), along_device.y())
        if length == 0:
            return None

        if self._tickLevels is None:
            levels = self.tickValues(self.range[0], self.range[1], length)
            level_strings = None
        else:
            levels = [(None, [value for value, _ in level]) for level in self._tickLevels]
            level_strings = [[text for _, text in level] for level in self._tickLevels]

        # Value -> position along the axis, in the item's coordinates.
        low, high = self.range[0], self.range[1]
        difference = high - low
        if difference == 0:
            scale, offset = 1.0, 0.0
        elif across:
            scale = -bounds.height() / difference
            offset = low * scale - bounds.height()
        else:
            scale = bounds.width() / difference
            offset = low * scale
        ends_along = (low * scale - offset, high * scale - offset)
        first, last = min(ends_along), max(ends_along)

        tick_specs = []
        positions: list[list[float | None]] = []
        tick_length = style["tickLength"]
        base_pen = self.tickPen()
        solid = base_pen.brush().style() == Qt.BrushStyle.SolidPattern
        for i, (_spacing, values) in enumerate(levels):
            pen = base_pen
            if solid:  # deeper levels fainter, as pyqtgraph draws them
                pen, color = QPen(base_pen), QColor(base_pen.color())
                color.setAlpha(int(255 / (i + 1)))
                pen.setColor(color)
            stop = tick_start + tick_length / (i * 0.5 + 1.0) * direction
            at: list[float | None] = []
            for value in values:
                x = value * scale - offset
                if x < first or x > last:
                    at.append(None)
                    continue
                at.append(x)
                if across:
                    tick_specs.append((pen, QPointF(tick_start, x), QPointF(stop, x)))
                else:
                    tick_specs.append((pen, QPointF(x, tick_start), QPointF(x, stop)))
            positions.append(at)
        axis_spec = (self.pen(), span[0], span[1])
        if not style["showValues"]:
            return axis_spec, tick_specs, []

        sizes = self._sizes_for(p.font().key())
        box = self.boundingRect()
        gap = max(0, tick_length) + style["tickTextOffset"][0 if across else 1]
        flags = _TEXT_FLAGS[orientation]
        text_specs: list[tuple[QRectF, Qt.AlignmentFlag, str]] = []
        measured: list[tuple[float, float]] = []
        depth = 0.0  # the labels' extent away from the axis
        for i in range(min(len(levels), style["maxTextLevel"] + 1)):
            if level_strings is None:
                spacing, values = levels[i]
                strings = self.tickStrings(values, self.autoSIPrefixScale * self.scale, spacing)
            else:
                strings = level_strings[i]
            if len(strings) == 0:
                continue
            level_sizes: list[tuple[float, float] | None] = []
            for text, x in zip(strings, positions[i], strict=False):
                if x is None:
                    level_sizes.append(None)
                    continue
                size = sizes.get(text)
                if size is None:
                    rect = p.boundingRect(_MEASURE_BOX, _CENTER, text)
                    size = sizes[text] = (rect.width(), rect.height() * 0.8)
                    if len(sizes) > _KNOWN_SIZES:
                        sizes.pop(next(iter(sizes)))
                level_sizes.append(size)
                measured.append(size)
            if measured:
                along = sum(h if across else w for w, h in measured)
                level_depth = max(w if across else h for w, h in measured)
            else:
                along, level_depth = 0.0, 0.0
            if i > 0 and any(len(text_specs) >= count and along / length >= limit
                             for count, limit in style["textFillLimits"]):
                break  # this level's labels would crowd the axis
            depth = level_depth
            for text, x, size in zip(strings, positions[i], level_sizes, strict=False):
                if x is None or size is None:
                    continue
                width, height = size
                if orientation == "left":
                    rect = QRectF(tick_start - gap - width, x - height / 2, width, height)
                elif orientation == "right":
                    rect = QRectF(tick_start + gap, x - height / 2, width, height)
                elif orientation == "top":
                    rect = QRectF(x - width / 2, tick_start - gap - height, width, height)
                else:
                    rect = QRectF(x - width / 2, tick_start + gap, width, height)
                if box & rect != rect:  # not wholly inside the axis (as pyqtgraph tests it)
                    continue
                text_specs.append((rect, flags, text))
        self._updateMaxTextSize(depth)
        return axis_spec, tick_specs, text_specs

    def _sizes_for(self, font_key: str) -> dict[str, tuple[float, float]]:
        """Measured label sizes (width, 0.8 × height, as pyqtgraph trims them) in a font."""
        if font_key != self._sizes_font:
            self._sizes_font, self._label_sizes = font_key, {}
        return self._label_sizes


def lean_axes(*names: str) -> dict[str, LeanAxis]:
    """New ``LeanAxis`` items for a plot's ``axisItems`` (by default its left and bottom)."""
    return {name: LeanAxis(name) for name in (names or ("left", "bottom"))}
