"""Help → Glossary: every term of the loss and of the views (vaedesk.insight.glossary), one
anchor per term, opened at the term a label's link or the menu asks for."""

from __future__ import annotations

import html

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from vaedesk.gui.accessible import named
from vaedesk.insight.glossary import GLOSSARY, GROUPS, term


class GlossaryDialog(QDialog):
    """A non-modal dialog (``glossary``) with the terms in a browser (``glossary_text``),
    grouped under their headings; :meth:`show_term` scrolls to one and highlights it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("glossary")
        self.setWindowTitle("Glossary")
        self.setModal(False)
        self.resize(560, 620)
        self.browser = named(QTextBrowser(self), "Glossary",
                             "Every term of the loss and of the views, explained in one or two sentences")
        self.browser.setObjectName("glossary_text")
        self.browser.setOpenLinks(False)  # nothing to follow: the terms are all here
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self._current: str | None = None
        self._render()

    def show_term(self, key: str | None = None) -> None:
        """Show the glossary, at the term ``key`` highlighted (None: from the top, nothing
        highlighted); an unknown key raises UnknownTermError before anything changes."""
        if key is not None:
            term(key)
        self._current = key
        self._render()
        self.show()
        self.raise_()
        self.activateWindow()
        if key is None:
            self.browser.verticalScrollBar().setValue(0)
        else:
            self.browser.scrollToAnchor(key)

    def current_term(self) -> str | None:
        """The key of the highlighted term (None when none is)."""
        return self._current

    def _render(self) -> None:
        palette = self.palette()
        back = palette.color(QPalette.ColorRole.Highlight).name()
        front = palette.color(QPalette.ColorRole.HighlightedText).name()
        parts = []
        for group in GROUPS:
            parts.append(f"<h3>{html.escape(group)}</h3>")
            for entry in (e for e in GLOSSARY if e.group == group):
                style = f' style="background-color:{back}; color:{front};"' if entry.key == self._current else ""
                where = (f"<br><i>In the window: {html.escape(entry.where)}</i>" if entry.where else "")
                parts.append(f'<p{style}><a name="{entry.key}"></a><b>{html.escape(entry.name)}</b><br>'
                             f"{html.escape(entry.text)}{where}</p>")
        scroll = self.browser.verticalScrollBar().value()
        self.browser.setHtml("".join(parts))
        self.browser.verticalScrollBar().setValue(scroll)
