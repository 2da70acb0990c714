"""What a drawing costs: the two terms of the VAE's loss for one drawing, explained.

Shows a :class:`vaedesk.insight.explanation.DrawingReport` (computed in the model process): the
reconstruction term with its per-pixel cost map, the decodings' mean and spread, the KL
term per latent dimension, their sum (the −ELBO), the importance-weighted −log p(x) and how
unusual the drawing is for the model. A plain autoencoder has none of the spread, the KL or
the −ELBO: its breakdown is its point code and the reconstruction term, with one line that
says why. Only drawing: every number comes from the report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QSizePolicy,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

import vaedesk.gui  # noqa: F401  (selects the PySide6 binding before pyqtgraph loads)
from vaedesk.gui.accessible import named
from vaedesk.gui.plotting.grid_lines import show_grid
from vaedesk.gui.plotting.lean_axis import lean_axes
from vaedesk.gui.plotting.ranges import steady_range
from vaedesk.gui.plotting.style import AXIS_COLOR, CLASS_COLORS, cache_decorations
from vaedesk.gui.terms import explain, link_terms
from vaedesk.gui.theme import PlotColors, mute, on_palette_change, recolor_plot
from vaedesk.gui.widgets.images import array_to_qimage
from vaedesk.insight.glossary import term_link

if TYPE_CHECKING:
    from vaedesk.insight.report import DrawingReport

__all__ = ["AUTOENCODER_NOTE", "MAX_BARS", "NO_REPORT_TEXT", "WAITING_TEXT", "LossBreakdown", "percentile_sentence"]

NO_REPORT_TEXT = "Draw a digit to see what it costs the model."
WAITING_TEXT = "Working out what your drawing costs the model…"
AUTOENCODER_NOTE = ("A plain autoencoder encodes a point: no spread to sample, no KL to the prior, so no −ELBO — "
                    "its loss is the reconstruction alone.")
#: A plain autoencoder's code is listed up to this many dimensions, then counted.
CODE_DIMENSIONS = 8
#: More latent dimensions than this show only the largest bars (readable at ~300 px).
MAX_BARS = 32

_BAR_COLOR = CLASS_COLORS[0]
_CAPTION = {"point_size": 9}  # captions: smaller, in the palette's muted text colour
# A perceptually uniform map that reads as heat on the app's black digit backgrounds.
_HEAT_LUT = pg.colormap.get("inferno").getLookupTable(nPts=256)


def nats(value: float) -> str:
    """One decimal, or two below 1 (a 0.04-nat gap must not read as 0.0)."""
    return f"{value:.2f}" if abs(value) < 1.0 else f"{value:.1f}"


def percentile_sentence(percentile: float) -> str:
    """Plain words for 'the share of test digits whose −ELBO is lower'."""
    p = float(np.clip(percentile, 0.0, 100.0))
    if p >= 50.0:
        return f"For this model your drawing is more unusual than {_percent(p)} of test digits."
    return f"For this model your drawing is more typical than {_percent(100.0 - p)} of test digits."


def _percentile_link(percentile: float) -> str:
    """:func:`percentile_sentence` as rich text, its comparison linked to the glossary."""
    sentence = percentile_sentence(percentile)
    compared = sentence.removeprefix("For this model your drawing is ").removesuffix(".")
    return f"For this model your drawing is {term_link('percentile', compared)}."


def _percent(p: float) -> str:
    # Whole percents, except at the ends where "100%" would overstate it.
    return f"{p:.0f}%" if 1.0 <= p <= 99.0 else f"{p:.1f}%"


class _HeatView(QWidget):
    """A 28x28 map in a perceptual colour map, with a colour bar from 0 to its maximum."""

    def __init__(self, caption: str, grey: bool = False, hint_size: int = 84, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = caption
        self._grey = grey  # a digit image in [0, 1]: grey levels, no colour bar (same layout)
        self._hint = hint_size
        self._image: QImage | None = None
        self._vmax = 0.0
        self._bar = QImage(_HEAT_LUT[None].copy().data, 256, 1, 3 * 256, QImage.Format.Format_RGB888).copy()
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def set_map(self, values: np.ndarray | None) -> None:
        if values is None:
            self._image, self._vmax = None, 0.0
        else:
            array = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
            if self._grey:
                self._image, self._vmax = array_to_qimage(np.clip(array, 0.0, 1.0)), 1.0
                self.update()
                return
            self._vmax = float(max(array.max(), 0.0))
            scaled = array / self._vmax if self._vmax > 0 else np.zeros_like(array)
            index = np.clip(np.round(scaled * 255), 0, 255).astype(np.intp)
            rgb = np.ascontiguousarray(_HEAT_LUT[index])
            h, w = array.shape
            self._image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self.update()

    def vmax(self) -> float:
        return self._vmax

    def _text_h(self) -> int:
        return self.fontMetrics().height()

    def sizeHint(self) -> QSize:
        return QSize(self._hint, self._hint + 8 + 2 * self._text_h())

    def minimumSizeHint(self) -> QSize:
        return QSize(56, 56 + 8 + 2 * self._text_h())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        text_h = self._text_h()
        w, h = self.width(), max(1, self.height() - 8 - 2 * text_h)
        side = max(1, min(w, h) - 2)
        rect = QRectF((w - side) / 2.0, (h - side) / 2.0, side, side)
        if self._image is not None:
            painter.drawImage(rect, self._image)  # nearest: every model pixel stays visible
        else:
            painter.fillRect(rect, QColor(60, 60, 60))
        painter.setPen(QPen(self.palette().mid().color(), 1))
        painter.drawRect(rect.adjusted(-0.5, -0.5, 0.5, 0.5))
        # The colour bar, as wide as the image, and its two ends in numbers.
        bar = QRectF(rect.left(), rect.bottom() + 3, rect.width(), 5)
        ends = QRectF(rect.left(), bar.bottom() + 1, rect.width(), text_h)
        painter.setPen(self.palette().windowText().color())
        if not self._grey:
            painter.drawImage(bar, self._bar)
            small = QFont(self.font())
            small.setPointSizeF(max(6.0, self.font().pointSizeF() - 1.5))
            painter.setFont(small)
            painter.drawText(ends, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, "0")
            if self._image is not None:
                painter.drawText(ends, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, f"{self._vmax:.2g}")
            painter.setFont(self.font())
        caption = QRectF(0, ends.bottom(), w, text_h)
        text = self.fontMetrics().elidedText(self.caption, Qt.TextElideMode.ElideRight, w)
        painter.drawText(caption, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, text)
        painter.end()


def _label(name: str, muted: dict | None = None, bold: bool = False) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if muted is not None:  # a caption or a message: arguments of theme.mute
        mute(label, **muted)
    if bold:
        font = label.font()
        font.setBold(True)
        label.setFont(font)
    return label


class LossBreakdown(QWidget):
    """The loss of one drawing, term by term, with one plain caption per term.

    :meth:`set_report` shows a report (None: a sentence inviting the user to draw),
    :meth:`show_message` a sentence instead (what is being computed, or why nothing is), and
    :meth:`set_autoencoder` whether the model is a plain autoencoder (its breakdown has no
    spread, KL or −ELBO). The labels have object names (``loss_sum``, ``loss_iwae``,
    ``loss_percentile``, ``loss_autoencoder``, ``loss_code``, ``loss_recon``, ``loss_kl``,
    ``loss_kl_note``) so a window or a test can read them; their terms link into the glossary,
    and ``term_requested(key)`` fires when one is clicked.
    """

    term_requested = Signal(str)  # a glossary key (vaedesk.insight.glossary)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("loss_breakdown")
        self._bars: list[tuple[int, float, bool]] = []
        self._autoencoder = False

        self._sum = self._linked(_label("loss_sum", bold=True), "neg_elbo")
        self._ae_note = self._linked(_label("loss_autoencoder"), "reconstruction")
        self._ae_note.setText(AUTOENCODER_NOTE.replace("KL", term_link("kl", "KL"), 1)
                              .replace("−ELBO", term_link("neg_elbo"), 1))
        self._code = _label("loss_code")
        self._iwae = self._linked(_label("loss_iwae"), "iwae")
        self._percentile = self._linked(_label("loss_percentile"), "percentile")
        self._recon = self._linked(_label("loss_recon", bold=True), "reconstruction")
        recon_caption = _label("loss_recon_caption", _CAPTION)
        recon_caption.setText(
            "The cost of redrawing your digit from its code: bright pixels in the map cost the most."
        )
        self._error_view = _HeatView("nats per pixel")
        self._error_view.setObjectName("loss_pixel_error")
        named(self._error_view, "Reconstruction error map", "Nats per pixel of redrawing your digit from its code")
        self._mean_view = _HeatView("mean", grey=True)
        self._mean_view.setObjectName("loss_decoded_mean")
        named(self._mean_view, "Decoded mean", "The mean of many decodings of codes drawn from q(z|x)")
        self._std_view = _HeatView("spread (std)")
        self._std_view.setObjectName("loss_decoded_std")
        named(self._std_view, "Decoded spread", "Where the decodings of codes drawn from q(z|x) disagree")
        uncertainty = self._uncertainty = _label("loss_uncertainty_caption", _CAPTION)
        uncertainty.setText(
            "Uncertainty: decode many codes z ~ q(z|x); their mean, and where they disagree (spread)."
        )
        self._kl = self._linked(_label("loss_kl", bold=True), "kl")
        kl_caption = self._kl_caption = self._linked(_label("loss_kl_caption", _CAPTION), "prior")
        kl_caption.setText(
            f"How far q(z|x) strays from the {term_link('prior', 'prior N(0, I)')}, per latent dimension: "
            "the price of using it."
        )
        self._kl_plot = explain(self._build_kl_plot(), "kl")
        self._kl_note = self._linked(_label("loss_kl_note", _CAPTION), "active_unit")

        images = QGridLayout()
        images.setContentsMargins(0, 0, 0, 0)
        images.setHorizontalSpacing(6)
        for index, view in enumerate((self._error_view, self._mean_view, self._std_view)):
            images.addWidget(view, 0, index)
            images.setColumnStretch(index, 1)

        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(6, 6, 6, 6)
        column.setSpacing(3)
        for widget in (self._sum, self._iwae, self._ae_note, self._code, self._percentile):
            column.addWidget(widget)
        column.addSpacing(8)
        column.addWidget(self._recon)
        column.addWidget(recon_caption)
        column.addLayout(images)
        column.addWidget(uncertainty)
        column.addSpacing(8)
        column.addWidget(self._kl)
        column.addWidget(kl_caption)
        column.addWidget(self._kl_plot)
        column.addWidget(self._kl_note)
        column.addStretch(1)

        self._message = _label("loss_message", {"margin": 12})
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setText(NO_REPORT_TEXT)
        self._stack = QStackedLayout()
        self._stack.addWidget(page)
        self._stack.addWidget(self._message)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(self._stack)
        self.set_autoencoder(False)
        self.set_report(None)

    def _build_kl_plot(self) -> pg.PlotWidget:
        plot = pg.PlotWidget(axisItems=lean_axes())
        plot.setObjectName("loss_kl_bars")
        named(plot, "KL per dimension", "Bars of the KL term of your drawing's loss, one per latent dimension")
        plot.setFixedHeight(130)
        item = plot.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.layout.setContentsMargins(0, 4, 6, 0)
        item.getViewBox().setMouseEnabled(False, False)
        for name in ("bottom", "left"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(AXIS_COLOR))
            axis.setTextPen(pg.mkPen(AXIS_COLOR))
            font = QFont()
            font.setPointSize(8)
            axis.setTickFont(font)
            axis.enableAutoSIPrefix(False)  # "nats (x0.001)" would hide the unit's scale
        item.setLabel("left", "nats", **{"font-size": "8pt"})
        show_grid(item, 0.15, x=False)
        self._bar_item = pg.BarGraphItem(x=[], height=[], width=0.75)
        item.addItem(self._bar_item)
        cache_decorations(item)
        self._bar_frame: tuple | None = None  # (ticks, x range, y range) drawn: axes redraw only when it changes
        self._inactive_texts: list[pg.TextItem] = []
        self._shown: tuple[np.ndarray, np.ndarray] | None = None
        on_palette_change(plot, lambda: self._recolor(recolor_plot(plot)))
        return plot

    def _recolor(self, _look: PlotColors) -> None:
        if self._shown is not None:
            self._show_bars(*self._shown)

    # --- public API -----------------------------------------------------------------

    def set_autoencoder(self, autoencoder: bool) -> None:
        """Fit the breakdown to the model's kind: a plain autoencoder (True) shows its point code
        and the reconstruction term, and one line on why there is no spread, KL or −ELBO; a VAE
        (False) shows every term."""
        self._autoencoder = autoencoder
        for widget in (self._sum, self._iwae, self._std_view, self._uncertainty, self._kl, self._kl_caption,
                       self._kl_plot):
            widget.setVisible(not autoencoder)
        for widget in (self._ae_note, self._code):
            widget.setVisible(autoencoder)
        self._kl_note.setVisible(not autoencoder and bool(self._kl_note.text()))
        # One decoding of a point code, not the mean of many from a distribution.
        self._mean_view.caption = "decoded" if autoencoder else "mean"
        self._mean_view.setAccessibleName("Decoded code" if autoencoder else "Decoded mean")
        self._mean_view.update()

    def is_autoencoder(self) -> bool:
        return self._autoencoder

    def show_message(self, text: str) -> None:
        """A sentence instead of the breakdown: what is being computed, or why nothing is shown."""
        self._bars = []
        self._message.setText(text)
        self._stack.setCurrentIndex(1)

    def set_code(self, code: np.ndarray | None) -> None:
        """The drawing's latent code (D,), listed for a plain autoencoder (None: none)."""
        self._code.setText("" if code is None else _code_text(np.asarray(code, np.float64).reshape(-1)))

    def set_report(self, report: DrawingReport | None, *, estimating: bool = False) -> None:
        """Show ``report``'s terms; None shows a sentence inviting the user to draw.

        ``estimating``: a report without −log p(x) whose estimate has been asked for (the pen
        is up); otherwise it is estimated when the pen lifts."""
        if report is None:
            self.show_message(NO_REPORT_TEXT)
            return
        # Each term is linked once, where it first appears: nats in the sum, not in every line.
        self._sum.setText(
            f"{term_link('reconstruction', 'recon')} {nats(report.recon_nats)} + {term_link('kl', 'KL')} "
            f"{nats(report.kl_nats)} = {term_link('neg_elbo')} {nats(report.neg_elbo_nats)} {term_link('nats')}"
        )
        if report.iwae_nats is None:
            when = "being estimated" if estimating else "estimated on pen release"
            self._iwae.setText(f"−log p(x): {term_link('iwae', when)}…")
        else:
            gap = report.neg_elbo_nats - report.iwae_nats
            self._iwae.setText(
                f"−log p(x) ≈ {nats(report.iwae_nats)} nats ({term_link('iwae', 'importance-weighted')}, "
                f"tighter than the −ELBO by {nats(gap)} nats)"
            )
        self._percentile.setVisible(report.percentile is not None)
        self._percentile.setText("" if report.percentile is None else _percentile_link(report.percentile))
        self._recon.setText(f"{term_link('reconstruction')}: {nats(report.recon_nats)} nats")
        self._error_view.set_map(report.pixel_error)
        self._mean_view.set_map(report.decoded_mean)
        self._std_view.set_map(report.decoded_std)
        self._kl.setText(f"{term_link('kl', 'KL')}: {nats(report.kl_nats)} nats")
        self._show_bars(np.asarray(report.kl_per_dim, dtype=np.float64).reshape(-1),
                        np.asarray(report.inactive_dims, dtype=bool).reshape(-1))
        self._stack.setCurrentIndex(0)

    def _linked(self, label: QLabel, key: str) -> QLabel:
        """``label`` with the tooltip of its main term and its links to the glossary."""
        return link_terms(explain(label, key), self.term_requested.emit)

    def kl_bars(self) -> list[tuple[int, float, bool]]:
        """The bars shown, left to right: (dimension index, KL in nats, inactive)."""
        return list(self._bars)

    def message(self) -> str:
        """The sentence shown instead of the breakdown ("" while a report is shown)."""
        return self._message.text() if self._stack.currentIndex() == 1 else ""

    # --- internals ------------------------------------------------------------------

    def _show_bars(self, kl: np.ndarray, inactive: np.ndarray) -> None:
        d = kl.size
        if inactive.size != d:
            inactive = np.zeros(d, bool)
        if d > MAX_BARS:
            # The largest, biggest first: the dimensions that carry the drawing.
            dims = np.argsort(-kl, kind="stable")[:MAX_BARS]
        else:
            dims = np.arange(d)
        self._bars = [(int(i), float(kl[i]), bool(inactive[i])) for i in dims]
        self._shown = (kl, inactive)
        look = PlotColors.of(self._kl_plot)
        bar, grey = look.readable(_BAR_COLOR, 3.0), look.faint
        x = np.arange(len(dims), dtype=np.float64)
        brushes = [pg.mkBrush(grey if inactive[i] else bar) for i in dims]
        self._bar_item.setOpts(x=x, height=kl[dims], width=0.75, brushes=brushes, pens=[pg.mkPen(None)] * len(dims))
        item = self._kl_plot.getPlotItem()
        for text in self._inactive_texts:
            item.removeItem(text)
        self._inactive_texts = []
        top = float(max(kl[dims].max(), 1e-6)) if d else 1.0
        # "inactive" written up the bar where there is room for it; otherwise the grey says it.
        if len(dims) <= 16:
            for position, i in enumerate(dims):
                if inactive[i]:
                    text = pg.TextItem("inactive", color=look.axis, angle=90, anchor=(0.0, 0.5))
                    font = QFont()
                    font.setPointSize(7)
                    text.setFont(font)
                    text.setPos(float(position), float(kl[i]) + 0.02 * top)
                    item.addItem(text)
                    self._inactive_texts.append(text)
        step = max(1, int(np.ceil(len(dims) / 8)))  # at most ~8 tick labels at 300 px
        ticks = [(float(p), f"z{int(i) + 1}") for p, i in enumerate(dims) if p % step == 0]
        # At least six slots wide, so that two or three bars do not fill the plot like walls.
        spare = max(0, 6 - len(dims)) / 2.0
        x_range = (-0.6 - spare, len(dims) - 0.4 + spare)
        headroom = 1.45 if self._inactive_texts else 1.1  # room for the rotated labels
        # A steady height (see plotting.ranges): the bars move on every stroke, the axes seldom.
        y_range = (0.0, steady_range(None if self._bar_frame is None else self._bar_frame[2], 0.0, top * headroom)[1])
        if (ticks, x_range, y_range) != self._bar_frame:
            self._bar_frame = (ticks, x_range, y_range)
            item.getAxis("bottom").setTicks([ticks, []])
            item.setRange(xRange=x_range, yRange=y_range, padding=0.0)
        n_inactive = int(inactive.sum())
        parts = []
        if d > MAX_BARS:
            parts.append(f"The {MAX_BARS} largest of {d} dimensions, largest first.")
        if n_inactive:
            parts.append(f"Grey: {term_link('active_unit', 'inactive')} ({n_inactive} of {d}), dimensions the "
                         "model does not use.")
        self._kl_note.setText(" ".join(parts))
        self._kl_note.setVisible(bool(parts) and not self._autoencoder)


def _code_text(code: np.ndarray) -> str:
    """A plain autoencoder's code in words: "Your drawing's code: the point z = (+1.20, −0.33)"."""
    values = ", ".join(f"{v:+.2f}".replace("-", "−") for v in code[:CODE_DIMENSIONS])
    more = f", … {len(code) - CODE_DIMENSIONS} more" if len(code) > CODE_DIMENSIONS else ""
    return f"Your drawing's code: the point z = ({values}{more})"
