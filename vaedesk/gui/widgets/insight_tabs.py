"""The window's right-hand tabs: decode and morph, the posterior's distribution, where the
drawing landed, its dimensions and latent arithmetic (objectName ``insight_tabs``)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QScrollArea, QTabWidget, QVBoxLayout, QWidget

from vaedesk.gui.accessible import named
from vaedesk.gui.widgets.arithmetic_panel import AttributePanel
from vaedesk.gui.widgets.lens import PosteriorLens
from vaedesk.gui.widgets.loss_view import LossBreakdown
from vaedesk.gui.widgets.neighbours_view import NearestDigits
from vaedesk.gui.widgets.traversal_view import TraversalView

DECODE_TAB, DISTRIBUTION_TAB, NEIGHBOURS_TAB, DIMENSIONS_TAB, ARITHMETIC_TAB = range(5)


class InsightTabs(QTabWidget):
    """The tabs, with their views as attributes: ``lens``, ``loss_view``, ``nearest_view``,
    ``traversal_view`` and ``attribute_panel``; ``decode_tab`` is the first tab's content.
    ``term_requested(key)`` fires when a link to a glossary term in a tab is clicked."""

    term_requested = Signal(str)

    def __init__(self, decode_tab: QWidget) -> None:
        super().__init__()
        self.setObjectName("insight_tabs")
        named(self, "Insight tabs", "Decoder preview and morph, the posterior's distribution, where the drawing "
                                    "landed, its dimensions and latent arithmetic")
        self.lens = PosteriorLens()
        self.loss_view = LossBreakdown()
        self.nearest_view = NearestDigits()
        self.traversal_view = TraversalView()
        self.attribute_panel = AttributePanel()
        self.loss_view.term_requested.connect(self.term_requested)
        self.addTab(decode_tab, "Decode && morph")
        self.addTab(self._distribution_tab(), "Distribution")
        self.addTab(self._neighbours_tab(), "Where it landed")
        self.addTab(_scrolled(self.traversal_view, "Dimensions"), "Dimensions")
        self.addTab(_scrolled(self.attribute_panel, "Arithmetic"), "Arithmetic")

    def _distribution_tab(self) -> QWidget:
        """The posterior up close, and what the drawing costs."""
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(self.lens)
        layout.addWidget(self.loss_view)
        layout.addStretch(1)
        return _scrolled(content, "Distribution")

    def _neighbours_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        hint = QLabel("The training digits whose codes lie nearest your drawing's mean (in every latent "
                      "dimension). Click one to see where it sits on the plane.")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        layout.addWidget(self.nearest_view)
        layout.addStretch(1)
        return tab

    def show_distribution(self, widget: QWidget | None = None) -> None:
        """Bring the posterior lens and the loss breakdown to the front (scrolled to ``widget``)."""
        self.setCurrentIndex(DISTRIBUTION_TAB)
        area = self.currentWidget()
        if widget is not None and isinstance(area, QScrollArea):  # the tab is _scrolled
            area.ensureWidgetVisible(widget)


def _scrolled(content: QWidget, name: str) -> QScrollArea:
    """``content`` in a scroll area that follows its width (a tab taller than the window), named ``name``."""
    scroll = named(QScrollArea(), name, f"The {name} tab; scrolls when taller than the window")
    scroll.setWidgetResizable(True)
    scroll.setWidget(content)
    return scroll
