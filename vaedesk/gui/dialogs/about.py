"""Help → About: the current model in a few plain sentences (vaedesk.model.summary), vaedesk's
credits, and the model's card, formatted (vaedesk.model.card_markdown).

The card may come from anywhere (a user's model), so it is shown as Markdown without HTML,
and the browser loads nothing it names: no image, no file, no link followed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QTextCursor, QTextDocument
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from vaedesk import __version__
from vaedesk.gui.accessible import named
from vaedesk.model.card_markdown import MNIST_CREDIT, body, card_markdown_for, text
from vaedesk.model.summary import model_description, model_summary

_FEATURES = QTextDocument.MarkdownFeature(QTextDocument.MarkdownFeature.MarkdownDialectGitHub.value
                                          | QTextDocument.MarkdownFeature.MarkdownNoHTML.value)


class _CardBrowser(QTextBrowser):
    def loadResource(self, kind: int, name: Any) -> Any:  # noqa: N802 (Qt's name)
        return None  # an image or a style sheet the card names is never read


class ModelCardDialog(QDialog):
    """A non-modal dialog (``about_dialog``) with the card in a browser (``model_card_text``)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("about_dialog")
        self.setWindowTitle("About vaedesk")
        self.resize(720, 640)
        self.browser = named(_CardBrowser(self), "Model card")
        self.browser.setObjectName("model_card_text")
        self.browser.setOpenLinks(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)

    def show_card(self, path: Any, card: dict[str, Any] | None) -> None:
        """Open on what the model is and shows (made from ``card``'s facts), then the
        model's card: its NAME.md beside ``path`` when it belongs to these weights, else one
        made now from ``card``; None ``card``: no model loaded yet."""
        opening = (f"**{text(model_summary(card))}**\n\n{text(model_description(card))}\n\n---\n\n"
                   if card else "")
        intro = (f"**vaedesk {__version__}**: explore a Variational AutoEncoder by drawing. "
                 f"The bundled data: {MNIST_CREDIT}\n\n---\n\n")
        shown = body(card_markdown_for(path, card)) if card else "No model is loaded yet.\n"
        self.browser.document().setMarkdown(opening + intro + shown, _FEATURES)
        self.browser.moveCursor(QTextCursor.MoveOperation.Start)  # open on the description, not the end

    def markdown(self) -> str:
        """The card as the browser holds it, as Markdown (for tests and copying)."""
        return self.browser.document().toMarkdown()
