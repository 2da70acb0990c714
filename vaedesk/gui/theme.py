"""Light, Dark or the system's look for the whole app, and plots that follow the palette.

:func:`apply_theme` sets the application's style and palette; every widget then gets a
``PaletteChange`` event. Widgets that paint themselves read ``self.palette()`` when they
paint; pyqtgraph plots and coloured labels re-colour through :func:`on_palette_change`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QStyleFactory, QWidget

import vaedesk.gui  # noqa: F401  (selects the PySide6 binding before pyqtgraph loads)
from vaedesk.gui.plotting.grid_lines import grids_of
from vaedesk.support import palettes as spec

__all__ = ["PlotColors", "apply_theme", "on_palette_change", "palette_for", "recolor_legend", "recolor_plot",
           "mute", "set_text_color", "severity_qcolor"]

# ApplicationPaletteChange comes before the widget has resolved its new palette; the
# PaletteChange that follows carries it.
_EVENTS = (QEvent.Type.PaletteChange, QEvent.Type.StyleChange)
_system: dict[str, str] = {}  # the style the app started with, for "system"


def _rgb(color: QColor) -> spec.RGB:
    return color.red(), color.green(), color.blue()


def palette_for(name: str) -> QPalette | None:
    """The palette of theme ``name``; None for "system" (the platform's own)."""
    roles = spec.PALETTES.get(spec.theme_name(name))
    if roles is None:
        return None
    palette = QPalette()
    for group, qt_groups in (("active", (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive,
                                          QPalette.ColorGroup.Disabled)),
                             ("disabled", (QPalette.ColorGroup.Disabled,))):
        for role, rgb in roles[group].items():
            for qt_group in qt_groups:
                palette.setColor(qt_group, getattr(QPalette.ColorRole, role), QColor(*rgb))
    return palette


def apply_theme(name: str) -> str:
    """Give the whole app theme ``name`` ("system", "light" or "dark"); return the name used.

    Light and Dark use the Fusion style, which draws every control from the palette; System
    goes back to the style the app started with and the platform's palette (an empty palette
    resets the application's, which then follows the platform's own changes again).
    """
    app = QApplication.instance()
    name = spec.theme_name(name)
    if not isinstance(app, QApplication):
        return name
    if not _system:
        _system["style"] = app.style().name()
    palette = palette_for(name)
    style = "fusion" if palette is not None else _system["style"]
    if app.style().name().lower() != style.lower() and style.lower() in (k.lower() for k in QStyleFactory.keys()):
        app.setStyle(style)
    app.setPalette(palette if palette is not None else QPalette())
    return name


@dataclass(frozen=True)
class PlotColors:
    """A plot's colours, taken from a widget's palette."""

    background: QColor  # the plot's paper: the palette's Base
    text: QColor  # labels, and marks drawn in "ink" (the posterior)
    axis: QColor  # axes, ticks and grid
    muted: QColor  # secondary marks: the prior's circles
    faint: QColor  # marks that say "off": inactive dimensions
    dark: bool

    @classmethod
    def of(cls, widget: QWidget) -> PlotColors:
        palette = widget.palette()
        base = _rgb(palette.color(QPalette.ColorRole.Base))
        text = _rgb(palette.color(QPalette.ColorRole.Text))
        return cls(background=QColor(*base), text=QColor(*text), axis=QColor(*spec.mix(base, text, 0.68)),
                   muted=QColor(*spec.mix(base, text, 0.55)), faint=QColor(*spec.mix(base, text, 0.3)),
                   dark=spec.is_dark(base))

    def backing(self, alpha: int = 215) -> QColor:
        """The plot's paper, see-through: behind labels drawn over the data."""
        color = QColor(self.background)
        color.setAlpha(alpha)
        return color

    def readable(self, rgb: tuple[int, ...], min_ratio: float = 3.0) -> QColor:
        """``rgb`` as designed for a light plot, adjusted to stand out on this one."""
        if not self.dark:
            return QColor(*rgb[:3])
        return QColor(*spec.readable(rgb, _rgb(self.background), min_ratio))

    def classes(self, colors) -> tuple[spec.RGB, ...]:
        return spec.class_colors(colors, _rgb(self.background))


def recolor_plot(plot: pg.PlotWidget, colors: PlotColors | None = None) -> PlotColors:
    """Give ``plot`` its palette's colours: background, axes (lines, ticks, labels), grid,
    title and legend text."""
    colors = colors or PlotColors.of(plot)
    plot.setBackground(colors.background)
    item = plot.getPlotItem()
    for name in ("bottom", "left", "top", "right"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(colors.axis))
        axis.setTextPen(pg.mkPen(colors.axis))  # the tick labels, and the axis label with them...
        if axis.labelText:  # ...which reads as text
            axis.setLabel(axis.labelText, axis.labelUnits, axis.labelUnitPrefix,
                          **{**axis.labelStyle, "color": colors.text.name()})
    title = item.titleLabel
    if title.isVisible() and title.text:
        title.setText(title.text, color=colors.text.name())
    legend = item.legend
    if legend is not None:
        recolor_legend(legend, colors)
    for grid in grids_of(item):  # kept as pixels: redrawn in the new colours
        grid.update()
    return colors


def recolor_legend(legend: pg.LegendItem, colors: PlotColors) -> None:
    legend.setBrush(colors.backing())
    legend.setPen(pg.mkPen(colors.muted))
    legend.setLabelTextColor(colors.text)
    for _sample, label in legend.items:
        label.setText(label.text)  # setAttr alone does not redraw the text


class _Watcher(QObject):
    def __init__(self, widget: QWidget, callback: Callable[[], None]) -> None:
        super().__init__(widget)
        self._callback = callback
        self._busy = False
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _EVENTS and not self._busy:
            self._busy = True  # re-colouring may itself send a PaletteChange
            try:
                self._callback()
            finally:
                self._busy = False
        return False


def on_palette_change(widget: QWidget, callback: Callable[[], None], now: bool = True) -> None:
    """Call ``callback`` whenever ``widget``'s palette or style changes (and once now)."""
    _Watcher(widget, callback)
    if now:
        callback()


def severity_qcolor(level: str, widget: QWidget) -> QColor:
    """The colour of a ``level`` message ("info", "warning", "error") on ``widget``'s window."""
    background = widget.palette().color(QPalette.ColorRole.Window)
    rgb = spec.severity_color(level, _rgb(background))
    return QColor(*rgb) if rgb is not None else widget.palette().color(QPalette.ColorRole.WindowText)


def mute(label: QLabel, point_size: float | None = None, margin: int | tuple[int, int] = 0) -> None:
    """Show ``label`` in the palette's secondary text colour (captions, hints), in any theme,
    optionally smaller and with a margin (pixels around, or (horizontal, vertical)).

    Size and margin are set on the widget, not in a style sheet: a label with a style sheet
    that is hidden (an unshown tab) when the theme changes keeps its old palette."""
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    if point_size is not None:
        font = label.font()
        font.setPointSizeF(point_size)
        label.setFont(font)
    horizontal, vertical = margin if isinstance(margin, tuple) else (margin, margin)
    label.setContentsMargins(horizontal, vertical, horizontal, vertical)


def set_text_color(label: QLabel, level: str) -> None:
    """Keep ``label``'s text in the colour of a ``level`` message, whatever the theme."""
    def paint() -> None:
        color = severity_qcolor(level, label)
        palette = label.palette()
        if palette.color(QPalette.ColorRole.WindowText) != color:
            palette.setColor(QPalette.ColorRole.WindowText, color)
            label.setPalette(palette)

    on_palette_change(label, paint)
