"""The latent plane: a pyqtgraph plot of the 2-D view of the latent space.

Everything this widget draws is given in *plane* coordinates (the window maps latent
vectors with a :class:`vaedesk.latent.views.LatentView`); it holds no model and does no maths beyond
drawing. Layers, bottom to top: test-set scatter, manifold overlay, prior circles, morph
path, posterior ellipses and samples, hover marker, pins, posterior mean, legend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from numpy.typing import ArrayLike
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QTransform
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPolygonItem, QWidget

import vaedesk.gui  # noqa: F401  (selects the PySide6 binding before pyqtgraph loads)
from vaedesk.gui.plane.items import (
    CachedBoundsScatter,
    PinItem,
    PointCloud,
    attribute_arrow_items,
    class_legend,
    density_rgba,
    hover_marker,
    lens_outline,
    manifold_rgba,
    morph_path_items,
    plane_point,
    plane_points,
    posterior_items,
    premultiplied_argb,
    prior_items,
)
from vaedesk.gui.plane.loupe import PosteriorLoupe
from vaedesk.gui.plotting.cached_pixels import keep_as_pixels
from vaedesk.gui.plotting.lean_axis import FRAME_SIDES, lean_axes
from vaedesk.gui.plotting.markers import Markers
from vaedesk.gui.plotting.ranges import steady_range
from vaedesk.gui.plotting.style import ATTRIBUTE_COLOR, CLASS_COLORS, recoloured, style_frame
from vaedesk.gui.theme import PlotColors, recolor_legend, recolor_plot
from vaedesk.latent.geometry import ellipse_axes

__all__ = ["LatentPlane"]

# Stacking order inside the view box (larger is drawn later, i.e. on top).
_Z_SCATTER = -100
_Z_DENSITY = -60
_Z_MANIFOLD = -50
_Z_PRIOR = -10
_Z_PATH = 10
_Z_POSTERIOR = 20
_Z_SAMPLES = 25
_Z_HOVER = 30
_Z_PATH_MARKER = 35
_Z_PINS = 40
_Z_MEAN = 60
_Z_LENS_RECT = 50
_Z_ATTRIBUTE = 55

_INITIAL_HALF_WIDTH = 4.0
_VIEW_DEBOUNCE_MS = 100
# ~25 Hz is smooth for the eye and leaves time to decode between updates.
_PIN_THROTTLE_MS = 40


class LatentPlane(pg.PlotWidget):
    """The latent plane: scatter of test-set means, prior, posterior, pins, overlays.

    The plane shows the pins it is given (:meth:`set_pins`) but does not own them: the
    user's gestures on them are only reported, and the caller decides what they mean.

    Signals reporting user intent (programmatic calls emit none of them):
        clicked(x, y): left click (press and release, no drag) on empty plane space.
        pin_selected(id): a pin was clicked or started to be dragged (the plane has
            already highlighted it).
        pin_dragged(id, x, y): pin ``id`` is being dragged and is now at (x, y);
            throttled to ~25 Hz. The plane moves the pin itself while dragging.
        pin_moved(id, x, y): a drag of pin ``id`` ended at (x, y).
        pin_remove_requested(id): the user asked to remove pin ``id`` (right click, or
            Delete/Backspace on the selected pin).

    Other signals:
        hovered(x, y): the mouse moved over the plot area (plane coordinates).
        hover_left(): the mouse left the plot area.
        view_changed(x0, x1, y0, y1): the visible range changed by pan, zoom, resize
            or code; debounced by 100 ms.

    Layers, read-only properties for tests and tools (change them only through the
    plane's methods): ``scatter_item``, ``legend``, ``manifold_item``,
    ``prior_circles``, ``prior_labels``, ``path_item``, ``path_marker``,
    ``ellipse_items``, ``samples_item``, ``mean_item``, ``hover_marker`` and
    :meth:`pin_item`.
    """

    clicked = Signal(float, float)
    hovered = Signal(float, float)
    hover_left = Signal()
    pin_selected = Signal(int)
    pin_dragged = Signal(int, float, float)
    pin_moved = Signal(int, float, float)
    pin_remove_requested = Signal(int)
    view_changed = Signal(float, float, float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent, axisItems=lean_axes(*FRAME_SIDES))
        self.setObjectName("latent_plane")
        self._look: PlotColors | None = None  # the palette's colours, set by _apply_palette
        self._axis_labels: tuple[str, str] = ("", "")
        self._label_color: str | None = None  # the colour the axis labels were drawn in
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # for Delete on a selected pin
        self.setMinimumSize(240, 200)
        self._vb: pg.ViewBox = self._setup_view()

        # Layers, stacked by their _Z_* constants; pins come and go with set_pins.
        # One scatter item for all classes: each item repaints its own full-size cache.
        self._scatter = PointCloud()
        self._add_layer(_Z_SCATTER, self._scatter, ignore_bounds=False)
        self._manifold = pg.ImageItem(axisOrder="row-major")
        self._manifold.setOpacity(0.85)
        self._density = pg.ImageItem(axisOrder="row-major")
        self._lens_rect = lens_outline()
        for item in (self._manifold, self._density, self._lens_rect):
            item.setVisible(False)
        self._add_layer(_Z_MANIFOLD, self._manifold)
        self._add_layer(_Z_DENSITY, self._density)
        self._add_layer(_Z_LENS_RECT, self._lens_rect)
        self._prior_circles, self._prior_labels = prior_items()
        self._add_layer(_Z_PRIOR, *self._prior_circles, *self._prior_labels)
        self._path_halo, self._path, self._path_marker = morph_path_items()
        self._add_layer(_Z_PATH - 1, self._path_halo)
        self._add_layer(_Z_PATH, self._path)
        self._add_layer(_Z_PATH_MARKER, self._path_marker)
        keep_as_pixels(*self._prior_circles, *self._prior_labels, self._path_halo, self._path)
        self._ellipses, self._samples, self._mean = posterior_items()
        for k, ellipse in enumerate(self._ellipses):
            self._add_layer(_Z_POSTERIOR - k, ellipse)  # 1σ above 2σ
        self._add_layer(_Z_SAMPLES, self._samples)
        self._add_layer(_Z_MEAN, self._mean)
        self._hover_marker = hover_marker()
        self._add_layer(_Z_HOVER, self._hover_marker)
        self._arrow_line, self._arrow_head, self._arrow_label = attribute_arrow_items()
        self._add_layer(_Z_ATTRIBUTE, self._arrow_line, self._arrow_head, self._arrow_label)
        self._legend = class_legend()
        self._legend.setParentItem(self._vb)  # fixed on screen, above everything: not a view-box item
        self._legend.setZValue(1000)
        self._loupe = PosteriorLoupe(self.viewport(), self._to_viewport, lambda: 1.0 / self._vb.viewPixelSize()[0],
                                     lambda: self._in_viewport(self._vb), lambda: self._in_viewport(self._legend))
        self._vb.sigRangeChanged.connect(lambda *_: self._loupe.refresh())

        # Scatter and legend state (set_scatter).
        self._scatter_xy = np.zeros((0, 2))  # as given, for reset_view
        self._scatter_labels = np.zeros(0, np.int64)
        self._scatter_order = np.zeros(0, np.int64)
        self._legend_samples: list[pg.ScatterPlotItem] = []
        self._legend_names: tuple[str, ...] = ()
        self._prior_center = np.zeros(2)

        # Pins, in the order shown (which is the order a morph visits them).
        self._pins: dict[int, PinItem] = {}
        self._selected_pin: int | None = None
        self._dragged_pin: int | None = None
        self._pin_timer = QTimer(self, singleShot=True, interval=_PIN_THROTTLE_MS)
        self._pin_timer.timeout.connect(self._on_pin_timer)

        # Mouse tracking in plane coordinates, and debounced view changes.
        self._hover_inside = False
        self.scene().sigMouseMoved.connect(self._on_scene_moved)
        self.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self._view_timer = QTimer(self, singleShot=True, interval=_VIEW_DEBOUNCE_MS)
        self._view_timer.timeout.connect(self._emit_view_changed)
        self._vb.sigRangeChanged.connect(self._view_timer.start)

        self._manifold_source: tuple[np.ndarray, tuple[float, float], tuple[float, float]] | None = None
        self._set_square_view(0.0, 0.0, _INITIAL_HALF_WIDTH)
        self.show_prior()
        self._apply_palette()

    # --- palette --------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange) and self.__dict__.get("_look"):
            self._apply_palette()

    def plot_colors(self) -> PlotColors:
        """The colours the plane is drawn in now, taken from its palette."""
        return self._look if self._look is not None else PlotColors.of(self)

    def _apply_palette(self) -> None:
        """Re-colour everything drawn in the palette's colours (paper, ink, axes, text);
        the classes' colours stay, adjusted to read on the paper."""
        look = self._look = recolor_plot(self)
        ink = look.text
        self._loupe.set_colors(look)
        for circle in self._prior_circles:
            circle.setPen(recoloured(circle.pen(), look.muted))
        for label in (*self._prior_labels, self._arrow_label):
            label.fill = pg.mkBrush(look.backing(215))
        for label in self._prior_labels:
            label.setColor(look.axis)
        self._path_halo.setPen(recoloured(self._path_halo.opts["pen"], look.backing(200)))
        self._path.setSymbolPen(pg.mkPen(look.background, width=1))
        for ellipse in self._ellipses:
            ellipse.setPen(recoloured(ellipse.pen(), ink))
            fill = QColor(ink)
            fill.setAlpha(ellipse.brush().color().alpha())
            ellipse.setBrush(QBrush(fill))
        for markers in (self._samples, self._mean):
            markers.set_pen(recoloured(markers.pen(), ink))
        self._path_marker.setPen(recoloured(self._path_marker.opts["pen"], ink))
        hover = QColor(look.axis)
        hover.setAlpha(200)
        self._hover_marker.setPen(recoloured(self._hover_marker.opts["pen"], hover))
        self._hover_marker.setBrush(pg.mkBrush(hover))
        # PySide6's stub types getRgb() as object; it is a tuple of four ints.
        arrow = look.readable(ATTRIBUTE_COLOR.getRgb(), 4.5)  # type: ignore[arg-type]
        self._arrow_line.setPen(recoloured(self._arrow_line.opts["pen"], arrow))
        self._arrow_head.setStyle(pen=pg.mkPen(arrow), brush=pg.mkBrush(arrow))
        self._arrow_label.setColor(arrow)
        recolor_legend(self._legend, look)
        colors = self._class_colors()
        for k, sample in enumerate(self._legend_samples):
            sample.setBrush(pg.mkBrush(*colors[k % len(colors)]))
        if len(self._scatter_xy):
            self._color_scatter()
        if self._manifold_source is not None and self._manifold.isVisible():
            self.set_manifold(*self._manifold_source)
        self.set_axis_labels(*self._axis_labels)

    def _class_colors(self) -> tuple[tuple[int, int, int], ...]:
        # Dots are drawn at 60% opacity, so they need more contrast than opaque marks.
        look = self.plot_colors()
        return tuple((c.red(), c.green(), c.blue()) for c in (look.readable(rgb, 4.0) for rgb in CLASS_COLORS))

    # --- layers ---------------------------------------------------------------------

    def _setup_view(self) -> pg.ViewBox:
        item = self.getPlotItem()
        item.setMenuEnabled(False)  # pyqtgraph's expert menu would confuse learners
        item.hideButtons()
        view_box = item.getViewBox()
        view_box.setAspectLocked(True, ratio=1.0)  # circles must look like circles
        view_box.disableAutoRange()  # new items must not move the user's view
        self._style_axes()
        self.set_axis_labels("z1", "z2")
        return view_box

    def _add_layer(self, z: float, *items: QGraphicsItem, ignore_bounds: bool = True) -> None:
        for item in items:
            item.setZValue(z)  # before addItem, which lifts items below the view box
            self._vb.addItem(item, ignoreBounds=ignore_bounds)

    # The layers, for tests and tools; change them only through the plane's methods.

    @property
    def scatter_item(self) -> PointCloud:
        """The test-set scatter (``points()``, ``visible_points()``)."""
        return self._scatter

    @property
    def legend(self) -> pg.LegendItem:
        return self._legend

    @property
    def manifold_item(self) -> pg.ImageItem:
        return self._manifold

    @property
    def prior_circles(self) -> tuple[pg.PlotCurveItem, ...]:
        return self._prior_circles

    @property
    def prior_labels(self) -> tuple[pg.TextItem, ...]:
        return self._prior_labels

    @property
    def path_item(self) -> pg.PlotDataItem:
        return self._path

    @property
    def path_marker(self) -> pg.ScatterPlotItem:
        return self._path_marker

    @property
    def ellipse_items(self) -> tuple[QGraphicsPolygonItem, ...]:
        """The posterior's 1σ and 2σ ellipses."""
        return self._ellipses

    @property
    def samples_item(self) -> Markers:
        return self._samples

    @property
    def mean_item(self) -> Markers:
        return self._mean

    @property
    def loupe(self) -> PosteriorLoupe:
        """The posterior enlarged in an inset, shown while it is too small to see."""
        return self._loupe

    @property
    def hover_marker(self) -> pg.ScatterPlotItem:
        return self._hover_marker

    def pin_item(self, pin_id: int) -> PinItem:
        """The marker of pin ``pin_id`` (``.number``, ``.selected``); KeyError if none."""
        return self._pins[pin_id]

    # --- look -----------------------------------------------------------------------

    def _style_axes(self) -> None:
        item = self.getPlotItem()
        item.layout.setContentsMargins(2, 6, 10, 2)  # keep the frame off the widget edge
        style_frame(item, tick_points=9, grid_alpha=0.12)

    def set_axis_labels(self, x: str, y: str) -> None:
        """Label the axes, e.g. ``("z1", "z2")`` or ``("PC1 (31% var)", "PC2 (…)")``."""
        style = {"color": self.plot_colors().text.name(), "font-size": "10pt"}
        # Unchanged labels are not set again: a new label re-lays out and redraws both axes
        # (a training run's snapshots repeat them every few seconds).
        if (x, y) == self._axis_labels and style["color"] == self._label_color:
            return
        item = self.getPlotItem()
        item.setLabel("bottom", x, **style)
        item.setLabel("left", y, **style)
        self._axis_labels, self._label_color = (x, y), style["color"]

    def axis_labels(self) -> tuple[str, str]:
        """The axes' labels (what the plane's coordinates are)."""
        return self._axis_labels

    # --- scatter --------------------------------------------------------------------

    def set_scatter(self, xy: ArrayLike, labels: ArrayLike, names: Sequence[str] | None = None) -> None:
        """Show points ``xy`` (N, 2) coloured by integer class ``labels`` (N,).

        One rasterised item for all points and a legend entry per class; ``names`` defaults
        to "0".."9". Clicking a legend entry hides or shows that class. Does not move the
        view; call :meth:`reset_view`.
        """
        points = plane_points(xy, "scatter points")
        classes = np.asarray(labels).reshape(-1)
        if classes.shape[0] != points.shape[0]:
            raise ValueError(f"{points.shape[0]} points but {classes.shape[0]} labels")
        classes = classes.astype(np.int64, copy=False)
        named = len(CLASS_COLORS) if names is None else len(names)  # a data set may have fewer than 10
        n_classes = max(named, int(classes.max()) + 1 if classes.size else 0)
        if names is None:
            names = [str(k) for k in range(n_classes)]
        elif len(names) < n_classes:
            raise ValueError(f"need {n_classes} class names, got {len(names)}")
        self._scatter_xy = points
        self._scatter_labels = classes
        # A fixed shuffle, so that no class is always drawn on top of the others.
        order = np.random.default_rng(0).permutation(len(points))
        self._scatter_order = order
        self._color_scatter(n_classes)
        # The legend is rebuilt only for new class names (its text layout is slow); with the
        # same classes, those the user hid stay hidden, e.g. while a training run re-encodes.
        names = tuple(names[:n_classes])
        if names != self._legend_names:
            self._legend.clear()
            self._legend_samples.clear()
            colors = self._class_colors()
            for k in range(n_classes):
                sample = CachedBoundsScatter(size=9, pen=None, brush=pg.mkBrush(*colors[k % len(colors)]), symbol="o")
                self._legend_samples.append(sample)
                self._legend.addItem(sample, names[k])
            for sample_widget, _label in self._legend.items:
                sample_widget.sigClicked.connect(self._on_legend_clicked)
            keep_as_pixels(self._legend)
            self._legend_names = names
        self._scatter.set_visible_points(np.isin(classes, self.visible_classes())[order])
        self._legend.setVisible(True)

    def _color_scatter(self, n_classes: int | None = None) -> None:
        classes, order = self._scatter_labels, self._scatter_order
        if n_classes is None:
            n_classes = max(len(self._legend_names), int(classes.max()) + 1 if classes.size else 0)
        colors = self._class_colors()
        palette = np.array([premultiplied_argb(colors[k % len(colors)], 150) for k in range(n_classes)], np.uint32)
        visible = self._scatter.visible_points()
        self._scatter.set_points(self._scatter_xy[order], palette[classes[order]])
        if len(visible) == len(order):  # a re-colouring keeps the classes the user hid hidden
            self._scatter.set_visible_points(visible)

    def clear_scatter(self) -> None:
        """Remove the scatter and its legend."""
        self._scatter.set_points(np.zeros((0, 2)), np.zeros(0, np.uint32))
        self._scatter_order = np.zeros(0, np.int64)
        self._scatter_labels = np.zeros(0, np.int64)
        self._legend.clear()
        self._legend_samples.clear()
        self._legend_names = ()
        self._legend.setVisible(False)
        self._scatter_xy = np.zeros((0, 2))

    def visible_classes(self) -> list[int]:
        """The classes whose points are shown (a legend click hides or shows one)."""
        return [k for k, sample in enumerate(self._legend_samples) if sample.isVisible()]

    def _on_legend_clicked(self, _sample: pg.ScatterPlotItem) -> None:
        # pyqtgraph toggled the legend's own sample; mirror that on the scatter's points.
        visible = np.isin(self._scatter_labels, self.visible_classes())
        self._scatter.set_visible_points(visible[self._scatter_order])

    # --- prior ----------------------------------------------------------------------

    def show_prior(self, center_xy: ArrayLike = (0.0, 0.0), show: bool = True) -> None:
        """Dashed 1σ, 2σ, 3σ circles of the standard normal prior around ``center_xy``."""
        centre = plane_point(center_xy, "prior centre")
        self._prior_center = centre
        diagonal = math.sqrt(0.5)
        for k, (circle, label) in enumerate(zip(self._prior_circles, self._prior_labels, strict=True), start=1):
            circle.setPos(QPointF(centre[0], centre[1]))
            # Upper left, just outside the circle: the legend owns the upper right.
            label.setPos(centre[0] - k * diagonal, centre[1] + k * diagonal)
            circle.setVisible(show)
            label.setVisible(show)

    # --- posterior ------------------------------------------------------------------

    def set_posterior(
        self,
        mean_xy: ArrayLike | None,
        cov_xy: ArrayLike | None = None,
        samples_xy: ArrayLike | None = None,
    ) -> None:
        """Show the current drawing's posterior: mean, 1σ/2σ ellipses and samples.

        ``cov_xy`` None draws the mean alone (a plain autoencoder); ``mean_xy`` None
        clears the mean, ellipses and samples.
        """
        self._loupe.set_posterior(mean_xy, cov_xy, samples_xy)
        if mean_xy is None:
            self._mean.set_points([])
            self._samples.set_points([])
            for ellipse in self._ellipses:
                ellipse.setVisible(False)
            return
        mean = plane_point(mean_xy, "posterior mean")
        self._mean.set_points(mean[None])
        if cov_xy is None:
            for ellipse in self._ellipses:
                ellipse.setVisible(False)
        else:
            for k, ellipse in enumerate(self._ellipses, start=1):
                # Clamp so that a vanishing σ still gives an invertible transform.
                a = ellipse_axes(cov_xy, k) + np.eye(2) * 1e-9
                ellipse.setTransform(QTransform(a[0, 0], a[1, 0], a[0, 1], a[1, 1], mean[0], mean[1]))
                ellipse.setVisible(True)
        samples = plane_points(samples_xy if samples_xy is not None else [], "posterior samples")
        self._samples.set_points(samples)

    # --- pins -----------------------------------------------------------------------

    def set_pins(self, pins: Sequence[tuple[int, ArrayLike]]) -> None:
        """Show exactly ``pins``, ``(id, (x, y))`` each, numbered 1..n in this order.

        A pin whose id is already shown keeps its marker (and selection); the pin the
        user is dragging keeps following the pointer.
        """
        wanted = [(int(pin_id), plane_point(xy, "pin position")) for pin_id, xy in pins]
        if len({pin_id for pin_id, _ in wanted}) != len(wanted):
            raise ValueError("pin ids must be unique")
        kept = {pin_id for pin_id, _ in wanted}
        for pin_id in [pin_id for pin_id in self._pins if pin_id not in kept]:
            self._drop_pin_item(pin_id)
        shown: dict[int, PinItem] = {}
        for pin_id, point in wanted:
            pin = self._pins.get(pin_id)
            if pin is None:
                pin = self._new_pin_item(pin_id, point)
            elif pin_id != self._dragged_pin and (pin.pos().x(), pin.pos().y()) != (point[0], point[1]):
                # The dragged pin is left alone: a position sent back from an earlier
                # pin_dragged would pull it away from the pointer.
                pin.setPos(QPointF(point[0], point[1]))
            shown[pin_id] = pin
        self._pins = shown
        self._renumber_pins()

    def pins(self) -> list[tuple[int, np.ndarray]]:
        """``(id, xy)`` of every pin in the order shown."""
        return [(pin_id, np.array([pin.pos().x(), pin.pos().y()])) for pin_id, pin in self._pins.items()]

    def selected_pin(self) -> int | None:
        """The id of the selected pin, or None."""
        return self._selected_pin

    def set_selected_pin(self, pin_id: int | None) -> None:
        """Highlight one pin (None, or an unknown id, clears the selection)."""
        self._selected_pin = pin_id if pin_id in self._pins else None
        for other_id, pin in self._pins.items():
            pin.set_selected(other_id == self._selected_pin)

    def _new_pin_item(self, pin_id: int, point: np.ndarray) -> PinItem:
        pin = PinItem(pin_id, point)
        pin.setZValue(_Z_PINS)
        pin.pressed.connect(self._on_pin_pressed)
        pin.dragged.connect(self._on_pin_dragged)
        pin.clicked.connect(self._on_pin_clicked)
        pin.right_clicked.connect(self._on_pin_right_clicked)
        self._vb.addItem(pin, ignoreBounds=True)
        return pin

    def _drop_pin_item(self, pin_id: int) -> None:
        self._vb.removeItem(self._pins.pop(pin_id))
        if self._selected_pin == pin_id:
            self._selected_pin = None
        if self._dragged_pin == pin_id:
            self._dragged_pin = None
            self._pin_timer.stop()

    def _renumber_pins(self) -> None:
        # Labels follow the order of pins(), which is the order a morph visits them.
        for number, pin in enumerate(self._pins.values(), start=1):
            pin.set_number(number)

    def _is_shown(self, pin: PinItem) -> bool:
        # A marker removed while the user still holds it keeps sending its gestures.
        return self._pins.get(pin.pin_id) is pin

    def _select_by_user(self, pin: PinItem) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)  # so Delete reaches this widget
        if self._selected_pin != pin.pin_id:
            self.set_selected_pin(pin.pin_id)
        self.pin_selected.emit(pin.pin_id)

    def _on_pin_pressed(self, pin: PinItem) -> None:
        if self._is_shown(pin):
            self._dragged_pin = pin.pin_id
            self._select_by_user(pin)

    def _on_pin_dragged(self, pin: PinItem, finished: bool) -> None:
        if not self._is_shown(pin):
            return
        if finished:
            self._pin_timer.stop()
            self._dragged_pin = None
            pos = pin.pos()
            self.pin_moved.emit(pin.pin_id, float(pos.x()), float(pos.y()))
        elif not self._pin_timer.isActive():
            self._pin_timer.start()

    def _on_pin_timer(self) -> None:
        pin = self._pins.get(self._dragged_pin) if self._dragged_pin is not None else None
        if pin is not None:
            pos = pin.pos()
            self.pin_dragged.emit(pin.pin_id, float(pos.x()), float(pos.y()))

    def _on_pin_clicked(self, pin: PinItem) -> None:
        if self._is_shown(pin):
            self._select_by_user(pin)

    def _on_pin_right_clicked(self, pin: PinItem) -> None:
        if self._is_shown(pin):
            self._remove_by_user(pin.pin_id)

    def _remove_by_user(self, pin_id: int) -> None:
        # Deferred: the pin is still inside its own mouse handler when this is called,
        # and a listener may remove it (set_pins) in response.
        def remove() -> None:
            if pin_id not in self._pins:
                return
            self.pin_remove_requested.emit(pin_id)

        QTimer.singleShot(0, self, remove)  # dropped if the widget is deleted first

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self._selected_pin is not None:
            self._remove_by_user(self._selected_pin)
            event.accept()
            return
        super().keyPressEvent(event)

    # --- mouse: clicks and hover ----------------------------------------------------

    def _on_scene_clicked(self, ev: MouseClickEvent) -> None:
        # Other items (scatter, path dots, the mean) may accept clicks too but mean
        # nothing to the user, so only a pin or the legend keeps a click off the plane.
        # pyqtgraph delivers the click to the items first and records who accepted it.
        if isinstance(ev.acceptedItem, PinItem):
            return
        if ev.button() != Qt.MouseButton.LeftButton or ev.double():
            return
        scene_pos = ev.scenePos()
        if not self._vb.sceneBoundingRect().contains(scene_pos):
            return  # on an axis, not the plane
        if self._legend.isVisible() and self._legend.sceneBoundingRect().contains(scene_pos):
            return
        point = self._vb.mapSceneToView(scene_pos)
        self.clicked.emit(float(point.x()), float(point.y()))

    def _on_scene_moved(self, scene_pos: QPointF) -> None:
        if self._vb.sceneBoundingRect().contains(scene_pos):
            point = self._vb.mapSceneToView(scene_pos)
            self._hover_inside = True
            self.hovered.emit(float(point.x()), float(point.y()))
        elif self._hover_inside:
            self._hover_inside = False
            self.hover_left.emit()

    def leaveEvent(self, event: QEvent) -> None:
        if self._hover_inside:
            self._hover_inside = False
            self.hover_left.emit()
        super().leaveEvent(event)

    def set_hover_marker(self, xy: ArrayLike | None) -> None:
        """A small grey cross at ``xy`` (None hides it)."""
        if xy is None:
            self._hover_marker.setData([], [])
            return
        point = plane_point(xy, "hover marker")
        self._hover_marker.setData([point[0]], [point[1]])

    # --- manifold -------------------------------------------------------------------

    def set_manifold(
        self,
        image: ArrayLike | None,
        x_range: tuple[float, float] = (-1.0, 1.0),
        y_range: tuple[float, float] = (-1.0, 1.0),
    ) -> None:
        """Overlay a tiled grid of decoded digits covering ``x_range`` × ``y_range``.

        ``image`` is (H, W) in [0, 1], white ink on black, row 0 at the top (the output
        of :func:`vaedesk.latent.geometry.tile` for :func:`vaedesk.latent.geometry.grid` points). It is drawn
        in the plane's text colour over a half transparent wash of its paper (dark ink on
        white in a light theme), so the digits read clearly while the scatter below still
        shows through faintly. None hides it.
        """
        if image is None:
            self._manifold_source = None
            self._manifold.setVisible(False)
            self._manifold.clear()
            return
        ink = np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0)
        if ink.ndim != 2 or ink.size == 0:
            raise ValueError(f"manifold image must have shape (H, W), got {ink.shape}")
        x0, x1 = (float(v) for v in x_range)
        y0, y1 = (float(v) for v in y_range)
        if not (x1 > x0 and y1 > y0):
            raise ValueError("manifold ranges must be (low, high) with low < high")
        self._manifold_source = (ink, (x0, x1), (y0, y1))
        look = self.plot_colors()
        # PySide6's stub types getRgb() as object; it is a tuple of four ints.
        rgba = manifold_rgba(ink, look.background.getRgb()[:3], look.text.getRgb()[:3])  # type: ignore[index]
        # Row-major ImageItem puts row 0 at the bottom (y up), so flip the tile.
        self._manifold.setImage(rgba[::-1], autoLevels=False, levels=None)
        self._manifold.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self._manifold.setVisible(True)

    def set_density(
        self, density: ArrayLike | None, extent: tuple[float, float, float, float] = (-1, 1, -1, 1)
    ) -> None:
        """Shade a density (H, W) >= 0 over (x0, x1, y0, y1), row 0 at the top: darker where
        more of the encoded training set lies (the aggregate posterior). None hides it."""
        if density is None:
            self._density.setVisible(False)
            self._density.clear()
            return
        values = np.asarray(density, dtype=np.float64)
        if values.ndim != 2 or values.size == 0 or not np.isfinite(values).all():
            raise ValueError(f"density must be a finite (H, W) array, got shape {values.shape}")
        x0, x1, y0, y1 = (float(v) for v in extent)
        self._density.setImage(density_rgba(values)[::-1], autoLevels=False, levels=None)
        self._density.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self._density.setVisible(True)

    @property
    def density_item(self) -> pg.ImageItem:
        """The aggregate-posterior shading (for tests and tools; change it with set_density)."""
        return self._density

    def set_lens_rect(self, rect: tuple[float, float, float, float] | None) -> None:
        """Outline (x0, x1, y0, y1), the region the posterior lens shows; None hides it."""
        if rect is None:
            self._lens_rect.setVisible(False)
            return
        x0, x1, y0, y1 = (float(v) for v in rect)
        self._lens_rect.setData([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0])
        self._lens_rect.setVisible(True)

    @property
    def lens_rect_item(self) -> pg.PlotCurveItem:
        """The lens' outline (for tests and tools; change it with set_lens_rect)."""
        return self._lens_rect

    def set_attribute_arrow(self, start_xy: ArrayLike | None, end_xy: ArrayLike | None = None, name: str = "") -> None:
        """Draw an attribute vector as an arrow from ``start_xy`` to ``end_xy``, labelled
        ``name`` at its head; None hides it."""
        items = (self._arrow_line, self._arrow_head, self._arrow_label)
        if start_xy is None or end_xy is None:
            for item in items:
                item.setVisible(False)
            return
        start, end = plane_point(start_xy, "arrow start"), plane_point(end_xy, "arrow end")
        self._arrow_line.setData([start[0], end[0]], [start[1], end[1]])
        dx, dy = end - start
        # ArrowItem's angle is on the screen (0 points left, y down); the plane's y points up.
        self._arrow_head.setStyle(angle=float(np.degrees(np.arctan2(dy, -dx))))
        self._arrow_head.setPos(float(end[0]), float(end[1]))
        self._arrow_label.setText(name)
        self._arrow_label.setPos(float(end[0]), float(end[1]))
        for item in items:
            item.setVisible(True)
        self._arrow_label.setVisible(bool(name))

    def attribute_arrow(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The shown attribute arrow's (start, end), or None."""
        if not self._arrow_line.isVisible():
            return None
        x, y = self._arrow_line.getData()
        return np.array([x[0], y[0]]), np.array([x[1], y[1]])

    def manifold_rect(self) -> tuple[float, float, float, float] | None:
        """Where the manifold overlay is drawn, as (x0, x1, y0, y1), or None if hidden."""
        if not self._manifold.isVisible() or self._manifold.image is None:
            return None
        rect = self._manifold.mapRectToParent(self._manifold.boundingRect())
        return (rect.left(), rect.right(), rect.top(), rect.bottom())

    # --- morph path -----------------------------------------------------------------

    def set_path(self, xy: ArrayLike | None) -> None:
        """Draw the morph path (M, 2) as a dashed polyline with a dot per frame."""
        if xy is None:
            self._path.setData([], [])
            self._path_halo.setData([], [])
            return
        points = plane_points(xy, "path points")
        self._path.setData(points[:, 0], points[:, 1])
        self._path_halo.setData(points[:, 0], points[:, 1])

    def set_path_marker(self, xy: ArrayLike | None) -> None:
        """Mark the morph frame currently previewed (None hides the marker)."""
        if xy is None:
            self._path_marker.setData([], [])
            return
        point = plane_point(xy, "path marker")
        self._path_marker.setData([point[0]], [point[1]])

    # --- view -----------------------------------------------------------------------

    def _to_viewport(self, xy: np.ndarray) -> QPointF:
        return QPointF(self.mapFromScene(self._vb.mapViewToScene(QPointF(float(xy[0]), float(xy[1])))))

    def _in_viewport(self, item: QGraphicsItem) -> QRectF:
        return QRectF(self.mapFromScene(item.sceneBoundingRect()).boundingRect())

    def view_rect(self) -> tuple[float, float, float, float]:
        """The visible plane rectangle as (x0, x1, y0, y1)."""
        (x0, x1), (y0, y1) = self._vb.viewRange()
        return (float(x0), float(x1), float(y0), float(y1))

    def _emit_view_changed(self) -> None:
        self.view_changed.emit(*self.view_rect())

    def _set_square_view(self, cx: float, cy: float, half: float) -> None:
        self._vb.setRange(xRange=(cx - half, cx + half), yRange=(cy - half, cy + half), padding=0.0)

    def zoom(self, factor: float) -> None:
        """Scale the view about its centre: ``factor`` < 1 zooms in, > 1 out."""
        self._vb.scaleBy((factor, factor))

    def reset_view(self) -> None:
        """Fit every scatter point with a small margin, or show [-4, 4]² when there is none."""
        points = self._scatter_xy
        if points.shape[0] == 0:
            self._set_square_view(0.0, 0.0, _INITIAL_HALF_WIDTH)
            return
        lo, hi = points.min(axis=0), points.max(axis=0)
        span = np.maximum(hi - lo, 1e-6)
        lo, hi = lo - 0.04 * span, hi + 0.04 * span
        self._vb.setRange(xRange=(lo[0], hi[0]), yRange=(lo[1], hi[1]), padding=0.0)

    def follow_scatter(self, keep_reach: float | None = None) -> None:
        """Keep a moving scatter (re-encoded while a model trains) in view, steadily: the view
        changes only when the cloud leaves it or fills too little of it (as in
        :mod:`vaedesk.gui.plotting.ranges`), so most updates redraw the points alone rather
        than the axes and grid as well.

        ``keep_reach``: the square [-r, r]² is kept in view too. A VAE's prior reaches about
        3: its cloud is seen growing into the prior from a steady frame (a new range redraws
        the axes, which costs several times more than new points alone) rather than zoomed after.
        """
        points = self._scatter_xy
        if points.shape[0] == 0:
            self.reset_view()
            return
        lo = np.percentile(points, 0.5, axis=0)
        hi = np.percentile(points, 99.5, axis=0)
        if keep_reach is not None:
            lo, hi = np.minimum(lo, -keep_reach), np.maximum(hi, keep_reach)
        shown = self._vb.viewRange()
        wanted = [steady_range(tuple(shown[axis]), float(lo[axis]), float(hi[axis])) for axis in (0, 1)]
        if wanted != [tuple(r) for r in shown]:
            self._vb.setRange(xRange=wanted[0], yRange=wanted[1], padding=0.0)
