"""The posterior lens: a small view that always frames the drawing's posterior q(z|x).

On the main plane a trained VAE's posterior is a speck (σ ≈ 0.03); the lens zooms onto it
so that its 3σ ellipse fills the view, whatever its size, and shows the decodings of a
small grid spread over the ellipse underneath. Everything is given in *plane* coordinates
as plain NumPy data; the widget holds no model and does no maths beyond drawing.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from numpy.typing import ArrayLike
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPen, QPolygonF, QTransform
from PySide6.QtWidgets import (
    QGraphicsPolygonItem,
    QLabel,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

import vaedesk.gui  # noqa: F401  (selects the PySide6 binding before pyqtgraph loads)
from vaedesk.gui.accessible import named
from vaedesk.gui.plotting.lean_axis import FRAME_SIDES, lean_axes
from vaedesk.gui.plotting.markers import Markers, symbol_path
from vaedesk.gui.plotting.style import INK, MEAN_FILL, POSTERIOR_COLOR, style_frame
from vaedesk.gui.theme import PlotColors, mute, on_palette_change, recolor_plot
from vaedesk.insight.readout import spread_text
from vaedesk.latent.geometry import ellipse_axes
from vaedesk.latent.geometry import grid as latent_grid

__all__ = ["AUTOENCODER_TEXT", "NONE_TEXT", "WAITING_TEXT", "PosteriorLens"]

AUTOENCODER_TEXT = "A plain autoencoder encodes a point: there is no distribution to show."
NONE_TEXT = "Draw a digit to see its posterior up close."
WAITING_TEXT = "Encoding your drawing…"

# The 3σ ellipse's bounding box times this is the view: a thin margin for the labels.
_MARGIN = 1.12
_SIGMAS = (1, 2, 3)

_Z_GRID = -50
_Z_ELLIPSE = 20
_Z_LABEL = 22
_Z_SAMPLES = 25
_Z_MEAN = 60


def _unit_circle(n: int = 96) -> QPolygonF:
    theta = np.linspace(0.0, 2.0 * math.pi, n + 1)
    return QPolygonF([QPointF(math.cos(t), math.sin(t)) for t in theta])


def _small_font(point_size: int) -> QFont:
    font = QFont()
    font.setPointSize(point_size)
    return font


class _DigitGrid(pg.GraphicsObject):
    """Small decoded digits, each an upright square centred on its plane point.

    Drawn in the plot's text colour on a wash of its paper (dark ink on a light wash in a
    light theme), like the plane's manifold overlay, so the ellipses and samples drawn
    above stay legible.
    """

    def __init__(self) -> None:
        super().__init__()
        self._cells: list[tuple[QImage, QRectF]] = []
        self._source: list[tuple[np.ndarray, np.ndarray, float]] = []
        self._paper: tuple[int, int, int] = (255, 255, 255)
        self._ink: tuple[int, int, int] = (INK.red(), INK.green(), INK.blue())
        self._rect = QRectF()

    def set_colors(self, paper: QColor, ink: QColor) -> None:
        self._paper = (paper.red(), paper.green(), paper.blue())
        self._ink = (ink.red(), ink.green(), ink.blue())
        self.set_cells(self._source)

    def set_cells(self, cells: list[tuple[np.ndarray, np.ndarray, float]]) -> None:
        """``(image (h, w) in [0, 1], centre (2,), side)`` for each digit."""
        self.prepareGeometryChange()
        self._source = list(cells)
        self._cells = []
        rect = QRectF()
        for ink, centre, side in cells:
            rgba = np.empty(ink.shape + (4,), dtype=np.uint8)
            for channel, (low, high) in enumerate(zip(self._paper, self._ink, strict=True)):
                rgba[..., channel] = np.round(low + (high - low) * ink)
            rgba[..., 3] = np.round(255.0 * (0.55 + 0.45 * ink))
            rgba = np.ascontiguousarray(rgba[::-1])  # the view's y points up
            h, w = ink.shape
            image = QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()
            cell = QRectF(centre[0] - side / 2.0, centre[1] - side / 2.0, side, side)
            self._cells.append((image, cell))
            rect = rect.united(cell)
        self._rect = rect
        self.setVisible(bool(self._cells))
        self.update()

    def cell_rects(self) -> list[tuple[float, float, float, float]]:
        return [(r.left(), r.right(), r.top(), r.bottom()) for _, r in self._cells]

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, *args: object) -> None:
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        for image, cell in self._cells:
            painter.drawImage(cell, image)


class PosteriorLens(QWidget):
    """A small plot framed on the posterior: 1σ/2σ/3σ ellipses, mean, samples, decodings.

    States: a posterior (:meth:`set_posterior` with a covariance), a plain autoencoder
    (:meth:`set_autoencoder`, or a covariance of None) and no drawing (:meth:`set_none`);
    the last two show one sentence instead of the plot.

    Signals:
        view_changed(rect): the lens' extent changed, ``(x0, x1, y0, y1)`` in plane
            coordinates (the window marks it on the plane), or None when it frames nothing.
    """

    view_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("posterior_lens")
        self.setMinimumSize(180, 200)
        self._mode = "none"
        self._mean = np.zeros(2)
        self._sigmas = np.zeros(2)  # σ along the plane's x and y axes
        self._axis_names = ("z1", "z2")
        self._has_grid = False
        self._last_rect: tuple[float, float, float, float] | None = None

        self._plot = pg.PlotWidget(axisItems=lean_axes(*FRAME_SIDES))
        self._plot.setObjectName("posterior_lens_plot")
        named(self._plot, "Posterior lens", "A close-up of the plane around your drawing's posterior: its "
                                            "1, 2 and 3 sigma ellipses, its samples, and the digits decoded there")
        self._vb = self._setup_plot()
        self._grid = _DigitGrid()
        self._add(self._grid, _Z_GRID)
        self._ellipses, self._labels = self._build_ellipses()
        self._samples = Markers(symbol_path("o", 7), pg.mkPen(POSTERIOR_COLOR, width=1.3),
                                pg.mkBrush(255, 255, 255, 140))
        self._mean_item = Markers(symbol_path("star", 18), pg.mkPen(POSTERIOR_COLOR, width=1.5),
                                  pg.mkBrush(MEAN_FILL))
        self._add(self._samples, _Z_SAMPLES)
        self._add(self._mean_item, _Z_MEAN)

        self._caption = QLabel()
        self._caption.setObjectName("posterior_lens_caption")
        self._caption.setWordWrap(True)
        mute(self._caption, point_size=9, margin=(4, 0))
        # Two lines kept free: the plot would otherwise squeeze the wrapped caption.
        self._caption.setMinimumHeight(2 * self._caption.fontMetrics().lineSpacing() + 4)
        self._message = QLabel()
        self._message.setObjectName("posterior_lens_message")
        self._message.setWordWrap(True)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        mute(self._message, margin=12)

        page = QWidget()
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.setSpacing(2)
        page_layout.addWidget(self._plot, 1)
        page_layout.addWidget(self._caption)
        self._stack = QStackedLayout()
        self._stack.addWidget(page)
        self._stack.addWidget(self._message)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._stack)

        self._vb.sigRangeChanged.connect(self._emit_view_changed)
        on_palette_change(self._plot, lambda: self._recolor(recolor_plot(self._plot)))
        self.set_none()

    def _recolor(self, look: PlotColors) -> None:
        """Ink (the posterior, the decodings) in the palette's text colour on its paper."""
        ink = look.text
        for ellipse, label in zip(self._ellipses, self._labels, strict=True):
            pen = QPen(ellipse.pen())
            pen.setColor(ink)
            ellipse.setPen(pen)
            if ellipse.brush().style() != Qt.BrushStyle.NoBrush:
                fill = QColor(ink)
                fill.setAlpha(ellipse.brush().color().alpha())
                ellipse.setBrush(QBrush(fill))
            label.setColor(ink)
            label.fill = pg.mkBrush(look.backing(200))
            label.update()
        for markers in (self._samples, self._mean_item):
            pen = markers.pen()
            pen.setColor(ink)
            markers.set_pen(pen)
        self._samples.set_brush(pg.mkBrush(look.backing(140)))
        self._grid.set_colors(look.background, ink)
        item = self._plot.getPlotItem()
        for name in ("bottom", "left"):
            axis = item.getAxis(name)
            if axis.labelText:
                axis.setLabel(axis.labelText, **{"color": ink.name(), "font-size": "9pt"})

    # --- setup ----------------------------------------------------------------------

    def _setup_plot(self) -> pg.ViewBox:
        item = self._plot.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.layout.setContentsMargins(2, 4, 8, 2)
        view_box = item.getViewBox()
        view_box.setAspectLocked(True, ratio=1.0)  # ellipses keep their true shape
        view_box.setMouseEnabled(False, False)  # the lens follows the posterior, not the mouse
        view_box.disableAutoRange()
        # No SI prefix: "z2 (x0.001)" reads worse than plain decimals at a tiny posterior.
        style_frame(item, tick_points=8, grid_alpha=0.10, si_prefix=False)
        return view_box

    def _add(self, item, z: float) -> None:
        item.setZValue(z)  # before addItem, which lifts items below the view box
        self._vb.addItem(item, ignoreBounds=True)

    def _build_ellipses(self) -> tuple[tuple[QGraphicsPolygonItem, ...], tuple[pg.TextItem, ...]]:
        # The plane's look (solid 1σ, dashed 2σ) plus a dotted 3σ; the fills are light so
        # that the decodings underneath stay readable.
        styles = ((40, Qt.PenStyle.SolidLine, 1.8), (18, Qt.PenStyle.DashLine, 1.5), (0, Qt.PenStyle.DotLine, 1.5))
        ellipses, labels = [], []
        for k, (alpha, style, width) in zip(_SIGMAS, styles):
            ellipse = QGraphicsPolygonItem(_unit_circle())
            ellipse.setPen(pg.mkPen(POSTERIOR_COLOR, width=width, style=style))
            fill = QColor(POSTERIOR_COLOR)
            fill.setAlpha(alpha)
            ellipse.setBrush(QBrush(fill) if alpha else QBrush(Qt.BrushStyle.NoBrush))
            self._add(ellipse, _Z_ELLIPSE - k)  # 1σ on top
            label = pg.TextItem(f"{k}σ", color=INK, anchor=(0.0, 1.0), fill=pg.mkBrush(255, 255, 255, 200))
            label.setFont(_small_font(8))
            self._add(label, _Z_LABEL)
            ellipses.append(ellipse)
            labels.append(label)
        return tuple(ellipses), tuple(labels)

    # --- state ----------------------------------------------------------------------

    def set_posterior(
        self, mean_xy: ArrayLike, cov_xy: ArrayLike | None = None, samples_xy: ArrayLike | None = None
    ) -> None:
        """Frame the posterior N(mean, cov) (plane coordinates) and draw its samples (S, 2).

        ``cov_xy`` None means a plain autoencoder (see :meth:`set_autoencoder`).
        """
        if cov_xy is None:
            self.set_autoencoder()
            return
        mean = np.asarray(mean_xy, dtype=np.float64).reshape(-1)
        if mean.shape != (2,) or not np.isfinite(mean).all():
            raise ValueError(f"posterior mean must be two finite numbers, got {mean_xy!r}")
        axes3 = ellipse_axes(cov_xy, 3.0)  # raises for a covariance that is not one
        samples = np.zeros((0, 2)) if samples_xy is None else np.asarray(samples_xy, dtype=np.float64).reshape(-1, 2)
        self._mean = mean
        self._sigmas = np.sqrt(np.clip(np.diag(np.asarray(cov_xy, dtype=np.float64).reshape(2, 2)), 0.0, None))
        self._mean_item.set_points(mean[None])
        self._samples.set_points(samples)
        diagonal = math.sqrt(0.5)
        for k, ellipse, label in zip(_SIGMAS, self._ellipses, self._labels):
            a = axes3 * (k / 3.0) + np.eye(2) * 1e-12  # a vanishing σ must stay invertible
            ellipse.setTransform(QTransform(a[0, 0], a[1, 0], a[0, 1], a[1, 1], mean[0], mean[1]))
            # Labels at the upper right of each ring, where the mean's star is not.
            corner = mean + a @ np.array([diagonal, diagonal])
            label.setPos(float(corner[0]), float(corner[1]))
        self._frame(mean, axes3)
        self._set_mode("posterior")

    def set_autoencoder(self) -> None:
        """A plain autoencoder: one sentence instead of the plot."""
        self._show_message("autoencoder", AUTOENCODER_TEXT)

    def set_none(self) -> None:
        """No drawing: one sentence inviting the user to draw."""
        self._show_message("none", NONE_TEXT)

    def set_waiting(self) -> None:
        """A drawing whose posterior is being computed (by a newly shown model): one sentence."""
        self._show_message("waiting", WAITING_TEXT)

    def set_grid(
        self,
        tile: ArrayLike | None,
        extent: tuple[float, float, float, float] | None = None,
        axes: ArrayLike | None = None,
        n: int | None = None,
    ) -> None:
        """Decodings of an n × n grid of points, drawn under the ellipses.

        ``tile`` is the n × n decodings tiled into one image ((H, W) in [0, 1], white ink on
        black, row 0 at the top: :func:`vaedesk.latent.geometry.tile` of :func:`vaedesk.latent.geometry.grid`
        points); ``n`` defaults to H // 28. ``extent`` is (u0, u1, v0, v1) and ``axes`` a
        2 × 2 matrix whose columns are the grid's directions: the points are ``axes @ (u, v)``
        (``axes`` None: the identity, an upright box in plane coordinates). :meth:`grid_points`
        gives a grid over the lens' view, which reads best: digits as large as the lens
        allows (along a long, tilted ellipse's axes they come out tiny). Each digit is drawn
        upright at its grid point; the grid stays where it was decoded until replaced, and
        None removes it.
        """
        if tile is None or extent is None:
            self._grid.set_cells([])
            self._has_grid = False
            self._update_caption()
            return
        ink = np.clip(np.nan_to_num(np.asarray(tile, dtype=np.float64)), 0.0, 1.0)
        if ink.ndim != 2 or ink.size == 0:
            raise ValueError(f"grid tile must have shape (H, W), got {ink.shape}")
        count = int(n) if n is not None else max(1, ink.shape[0] // 28)
        if count < 1 or ink.shape[0] % count or ink.shape[1] % count:
            raise ValueError(f"a {ink.shape} tile does not split into a {count} x {count} grid")
        u0, u1, v0, v1 = (float(v) for v in extent)
        if not (u1 > u0 and v1 > v0):
            raise ValueError("grid extent must be (u0, u1, v0, v1) with u0 < u1 and v0 < v1")
        frame = np.eye(2) if axes is None else np.asarray(axes, dtype=np.float64).reshape(2, 2)
        du, dv = (u1 - u0) / count, (v1 - v0) / count
        # Upright squares that do not overlap their neighbours along either grid direction.
        step_u, step_v = frame[:, 0] * du, frame[:, 1] * dv
        side = 0.94 * min(np.abs(step_u).max(), np.abs(step_v).max())
        h, w = ink.shape[0] // count, ink.shape[1] // count
        cells = []
        for row in range(count):
            for col in range(count):
                # latent.grid order: row 0 is the top (largest v), x grows along columns.
                u, v = u0 + (col + 0.5) * du, v1 - (row + 0.5) * dv
                centre = frame @ np.array([u, v])
                cells.append((ink[row * h:(row + 1) * h, col * w:(col + 1) * w], centre, side))
        self._grid.set_cells(cells)
        self._has_grid = True
        self._update_caption()

    def set_axis_labels(self, x: str, y: str) -> None:
        """Label the axes like the plane's, e.g. ``("z1", "z2")``; the caption names them
        without their note (``"PC1 (23% var)"`` is PC1 there)."""
        self._axis_names = (x.split(" (")[0], y.split(" (")[0])
        self._update_caption()
        style = {"color": PlotColors.of(self._plot).text.name(), "font-size": "9pt"}
        item = self._plot.getPlotItem()
        item.setLabel("bottom", x, **style)
        item.setLabel("left", y, **style)

    # --- queries --------------------------------------------------------------------

    def mode(self) -> str:
        """``"posterior"``, ``"autoencoder"``, ``"waiting"`` or ``"none"``."""
        return self._mode

    def message(self) -> str:
        """The sentence shown instead of the plot ("" while a posterior is shown)."""
        return "" if self._mode == "posterior" else self._message.text()

    def grid_points(self, n: int = 5) -> tuple[np.ndarray, tuple[float, float, float, float]]:
        """Plane points (n·n, 2) of an n × n grid over the current view, and its extent.

        Decode the points in this order, then ``set_grid(latent.tile(images, n), extent)``:
        the digits tile the lens upright and as large as it allows, under the ellipses,
        whatever the posterior's shape.
        """
        rect = self.view_rect()
        if rect is None:
            raise ValueError("the lens frames no posterior")
        return latent_grid(rect[:2], rect[2:], n), rect

    def grid_rects(self) -> list[tuple[float, float, float, float]]:
        """Where the grid's digits are drawn, (x0, x1, y0, y1) each, in plane coordinates."""
        return self._grid.cell_rects()

    def view_rect(self) -> tuple[float, float, float, float] | None:
        """The lens' extent (x0, x1, y0, y1) in plane coordinates; None when it frames nothing."""
        if self._mode != "posterior":
            return None
        (x0, x1), (y0, y1) = self._vb.viewRange()
        return (float(x0), float(x1), float(y0), float(y1))

    # --- internals ------------------------------------------------------------------

    def _frame(self, mean: np.ndarray, axes3: np.ndarray) -> None:
        # The 3σ ellipse's upright bounding box; the aspect lock widens one side as needed.
        half = np.linalg.norm(axes3, axis=1) * _MARGIN
        half = np.maximum(half, max(half.max(), 1e-6 * (1.0 + float(np.abs(mean).max()))) * 0.05)
        self._vb.setRange(
            xRange=(mean[0] - half[0], mean[0] + half[0]), yRange=(mean[1] - half[1], mean[1] + half[1]), padding=0.0
        )

    def _show_message(self, mode: str, text: str) -> None:
        self._message.setText(text)
        self.set_grid(None)
        self._mean_item.set_points([])
        self._samples.set_points([])
        self._set_mode(mode)

    def _set_mode(self, mode: str) -> None:
        self._mode = mode
        self._stack.setCurrentIndex(0 if mode == "posterior" else 1)
        self._update_caption()
        self._emit_view_changed()

    def _update_caption(self) -> None:
        if self._mode != "posterior":
            self._caption.setText("")
            return
        text = f"Zoomed to the 3σ ellipse ({spread_text(self._sigmas, self._axis_names)})."
        if self._has_grid:
            text += " Digits: the decoder's output at each spot."
        self._caption.setText(text)

    def _emit_view_changed(self, *_args: object) -> None:
        rect = self.view_rect()
        if rect != self._last_rect:
            self._last_rect = rect
            self.view_changed.emit(rect)
