"""The posterior loupe: a magnified inset of the drawing's posterior, on the plane itself.

A well-trained VAE is sure of a clear drawing: its σ can be a hundredth of the prior's, so
at the plane's usual zoom the 1σ and 2σ ellipses and the samples all hide under the mean's
star. When the 2σ ellipse is smaller than :data:`VISIBLE_PX` on screen, the loupe shows it
enlarged in a corner of the plane, linked to μ by a leader line, at a round magnification
it states, with a scale bar in latent units. Its samples are numbered as their decodings
are under the posterior readout.

The loupe is a transparent child of the plane's viewport: it paints over the plot and
takes no mouse events, so the plane under it keeps its clicks and hovering.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QTransform
from PySide6.QtWidgets import QWidget

from vaedesk.gui.plotting.markers import symbol_path
from vaedesk.gui.plotting.ranges import nice_step
from vaedesk.gui.plotting.style import MEAN_FILL, small_font
from vaedesk.gui.theme import PlotColors
from vaedesk.latent.geometry import ellipse_axes

__all__ = ["VISIBLE_PX", "LoupeFrame", "PosteriorLoupe", "frame_loupe", "nice_floor"]

# A 2σ ellipse whose longer half-axis is shorter than this (pixels) counts as not visible.
VISIBLE_PX = 14.0
_MARGIN_PX = 10  # between the inset and the plane's edge
_PADDING_PX = 8  # inside the inset, around what it shows


def nice_floor(value: float) -> float:
    """The 1, 2, 3 or 5 × 10^k at or just below ``value`` (> 0): a magnification worth stating."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (5.0, 3.0, 2.0, 1.0) if m * power <= value * (1 + 1e-9))


@dataclass(frozen=True)
class LoupeFrame:
    """Where the loupe goes and how much it enlarges, all in the plane widget's pixels."""

    inset: QRectF  # the inset's rectangle
    magnification: float  # inset pixels per plane pixel, a round number
    pixels_per_unit: float  # inset pixels per latent unit
    scale_bar_units: float  # the scale bar's length in latent units
    mean_px: QPointF  # μ on the plane

    def to_inset(self, offset_units: np.ndarray) -> QPointF:
        """An offset from μ (latent units, y up) as a point in the inset (pixels, y down)."""
        centre = self.inset.center()
        return QPointF(centre.x() + offset_units[0] * self.pixels_per_unit,
                       centre.y() - offset_units[1] * self.pixels_per_unit)


def frame_loupe(mean_px: QPointF, reach_units: float, plane_pixels_per_unit: float, area: QRectF,
                avoid: QRectF | None = None) -> LoupeFrame:
    """The loupe for a posterior that reaches ``reach_units`` from μ (at ``mean_px``), on a
    plot ``area`` (pixels) drawn at ``plane_pixels_per_unit``: a square inset in the corner
    of the area farthest from μ (not the one ``avoid`` covers: the legend), at the largest
    round magnification that fits the reach in it."""
    side = float(min(max(0.34 * min(area.width(), area.height()), 110.0), 200.0))
    left, right = area.left() + _MARGIN_PX, area.right() - _MARGIN_PX - side
    top, bottom = area.top() + _MARGIN_PX, area.bottom() - _MARGIN_PX - side
    rects = [QRectF(x, y, side, side) for x, y in ((left, bottom), (right, bottom), (left, top), (right, top))]
    free = [rect for rect in rects if avoid is None or not rect.intersects(avoid)] or rects
    inset = max(free, key=lambda r: math.hypot(r.center().x() - mean_px.x(), r.center().y() - mean_px.y()))
    wanted = (side / 2 - _PADDING_PX) / max(reach_units, 1e-12)  # inset pixels per unit
    magnification = nice_floor(max(wanted / max(plane_pixels_per_unit, 1e-12), 1.0))
    pixels_per_unit = magnification * plane_pixels_per_unit
    # About a third of the inset, rounded to 1, 2 or 5: a length read at a glance.
    scale_bar = nice_step(0.3 * side / pixels_per_unit)
    if scale_bar * pixels_per_unit > 0.55 * side:
        scale_bar /= 2
    return LoupeFrame(inset, magnification, pixels_per_unit, scale_bar, QPointF(mean_px))


class PosteriorLoupe(QWidget):
    """The inset itself (objectName ``posterior_loupe``), over the plane ``viewport``.

    :meth:`set_posterior` gives it what the plane shows; :meth:`refresh` re-frames it after
    the plane's view moved. It shows itself only when the posterior is too small to see.
    """

    def __init__(self, viewport: QWidget, to_pixels: Callable[[np.ndarray], QPointF],
                 pixels_per_unit: Callable[[], float], area: Callable[[], QRectF],
                 avoid: Callable[[], QRectF | None] = lambda: None) -> None:
        """``to_pixels(xy)`` maps a plane point to viewport pixels, ``pixels_per_unit()`` is
        the plane's scale, ``area()`` the plot's rectangle in the viewport and ``avoid()`` a
        rectangle in it to keep clear (or None)."""
        super().__init__(viewport)
        self.setObjectName("posterior_loupe")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setAccessibleName("Posterior loupe")
        self._viewport = viewport
        self._to_pixels = to_pixels
        self._pixels_per_unit = pixels_per_unit
        self._area = area
        self._avoid = avoid
        self._mean: np.ndarray | None = None
        self._cov: np.ndarray | None = None
        self._samples = np.zeros((0, 2))
        self._frame: LoupeFrame | None = None
        self._colors: PlotColors | None = None
        self._star = symbol_path("star", 16)
        self._dot = symbol_path("o", 7)
        viewport.installEventFilter(self)
        self.setGeometry(viewport.rect())
        self.hide()

    # -- what it shows -------------------------------------------------------------------

    def set_posterior(self, mean_xy: ArrayLike | None, cov_xy: ArrayLike | None = None,
                      samples_xy: ArrayLike | None = None) -> None:
        """The drawing's posterior on the plane (``cov_xy`` None: a point, nothing to enlarge)."""
        self._mean = None if mean_xy is None else np.asarray(mean_xy, np.float64).reshape(2)
        self._cov = None if cov_xy is None or mean_xy is None else np.asarray(cov_xy, np.float64).reshape(2, 2)
        self._samples = np.zeros((0, 2)) if samples_xy is None else np.asarray(samples_xy, np.float64).reshape(-1, 2)
        self.refresh()

    def set_colors(self, colors: PlotColors) -> None:
        self._colors = colors
        self.update()

    def refresh(self) -> None:
        """Frame the loupe for the plane's current view, or hide it (posterior visible anyway,
        none, or μ outside the view)."""
        self._frame = self._make_frame()
        self.setVisible(self._frame is not None)
        self.update()

    def _make_frame(self) -> LoupeFrame | None:
        if self._mean is None or self._cov is None:
            return None
        ppu = float(self._pixels_per_unit())
        if not math.isfinite(ppu) or ppu <= 0:
            return None
        half_axes = np.linalg.norm(ellipse_axes(self._cov, 2.0), axis=0)
        if half_axes.max() * ppu >= VISIBLE_PX:
            return None
        mean_px, area = self._to_pixels(self._mean), self._area()
        if not area.contains(mean_px):
            return None
        offsets = np.linalg.norm(self._samples - self._mean, axis=1) if len(self._samples) else np.zeros(1)
        reach = max(1.05 * half_axes.max(), float(offsets.max()) * 1.05, 1e-9)
        return frame_loupe(mean_px, reach, ppu, area, self._avoid())

    # -- what tests and the tour read ------------------------------------------------------

    def is_shown(self) -> bool:
        return self._frame is not None and self.isVisible()

    @property
    def frame(self) -> LoupeFrame | None:
        """Where the inset is and how much it enlarges; None while hidden."""
        return self._frame

    def sample_points(self) -> list[QPointF]:
        """Each sample's place in the inset (viewport pixels), numbered from 1 in this order."""
        if self._frame is None or self._mean is None:
            return []
        return [self._frame.to_inset(s - self._mean) for s in self._samples]

    def caption(self) -> str:
        if self._frame is None:
            return ""
        return f"posterior ×{self._frame.magnification:g}"

    # -- Qt --------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._viewport and event.type() == QEvent.Type.Resize:
            self.setGeometry(self._viewport.rect())
            self.refresh()
        return False

    def paintEvent(self, _event) -> None:
        frame, mean = self._frame, self._mean
        if frame is None or mean is None or self._cov is None:
            return
        colors = self._colors or PlotColors.of(self)
        ink, paper = QColor(colors.text), QColor(colors.background)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        inset = frame.inset
        # What is enlarged: a ring around μ on the plane, and the leader line to the inset.
        painter.setPen(QPen(ink, 1.2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(frame.mean_px, 9.0, 9.0)
        nearest = QPointF(min(max(frame.mean_px.x(), inset.left()), inset.right()),
                          min(max(frame.mean_px.y(), inset.top()), inset.bottom()))
        direction = nearest - frame.mean_px
        length = math.hypot(direction.x(), direction.y())
        if length > 9.0:
            painter.drawLine(frame.mean_px + direction * (9.0 / length), nearest)
        # The inset's paper and frame.
        paper.setAlpha(240)
        painter.setBrush(paper)
        painter.drawRoundedRect(inset, 4, 4)
        painter.save()
        painter.setClipRect(inset.adjusted(1, 1, -1, -1))
        centre = inset.center()
        for k, (fill_alpha, style) in ((2, (28, Qt.PenStyle.DashLine)), (1, (60, Qt.PenStyle.SolidLine))):
            axes = ellipse_axes(self._cov, float(k)) * frame.pixels_per_unit
            # Plane y points up, the widget's down: the y row flips.
            transform = QTransform(axes[0, 0], -axes[1, 0], axes[0, 1], -axes[1, 1], centre.x(), centre.y())
            path = QPainterPath()
            path.addEllipse(QPointF(0, 0), 1.0, 1.0)
            fill = QColor(ink)
            fill.setAlpha(fill_alpha)
            painter.setBrush(fill)
            painter.setPen(QPen(ink, 1.4, style))
            painter.drawPath(transform.map(path))
        painter.setFont(small_font(8))
        for number, point in enumerate(self.sample_points(), start=1):
            painter.setPen(QPen(ink, 1.3))
            painter.setBrush(paper)
            painter.drawPath(self._dot.translated(point))
            painter.drawText(point + QPointF(5, -4), str(number))
        painter.setPen(QPen(QColor(20, 20, 20), 1.2))
        painter.setBrush(MEAN_FILL)
        painter.drawPath(self._star.translated(centre))
        painter.restore()
        # Caption and scale bar.
        painter.setPen(QPen(ink, 1.4))
        painter.setFont(small_font(9))
        painter.drawText(inset.adjusted(6, 3, -6, -3), Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft,
                         self.caption())
        bar = frame.scale_bar_units * frame.pixels_per_unit
        y = inset.bottom() - 8
        x0 = inset.left() + 8
        painter.drawLine(QPointF(x0, y), QPointF(x0 + bar, y))
        for x in (x0, x0 + bar):
            painter.drawLine(QPointF(x, y - 3), QPointF(x, y + 3))
        painter.setFont(small_font(8))
        painter.drawText(QPointF(x0 + bar + 5, y + 4), f"{frame.scale_bar_units:g}")
        painter.end()
