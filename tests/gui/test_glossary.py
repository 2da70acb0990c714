"""The glossary in the window: Help → Glossary through the real menu, the loss view's links
opening it at their term, every term the glossary says the window shows explained there, and
the model described in the Model menu and in Help → About."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QLabel, QMenu, QTextBrowser, QWidget

from vaedesk.gui.dialogs.glossary import GlossaryDialog
from vaedesk.insight.glossary import GLOSSARY, UnknownTermError, term, tooltip
from vaedesk.insight.report import DrawingReport
from vaedesk.model.card import read_card
from vaedesk.model.catalog import model_files, resolve_model_path
from vaedesk.model.summary import model_description, model_summary

from tests.support.gui_input import click_first_link


def _menu(win, title: str) -> QMenu:
    return next(a.menu() for a in win.menuBar().actions() if a.text().replace("&", "") == title)


def _report(d: int = 2) -> DrawingReport:
    image = np.zeros((28, 28))
    return DrawingReport(recon_nats=95.3, kl_nats=6.2, kl_per_dim=np.full(d, 6.2 / d), neg_elbo_nats=101.5,
                         iwae_nats=99.8, percentile=97.0, pixel_error=image + 95.3 / 784, decoded_mean=image,
                         decoded_std=image, neighbours=np.arange(5), neighbour_labels=np.arange(5),
                         inactive_dims=np.array([False] * (d - 1) + [True]))


def _shown_on_screen(dialog: GlossaryDialog, key: str) -> bool:
    """Whether the term's heading lies inside the browser's visible area."""
    browser = dialog.browser
    found = browser.document().find(term(key).name)
    assert not found.isNull(), key
    return browser.viewport().rect().contains(browser.cursorRect(found))


@pytest.mark.slow
def test_help_glossary_opens_from_the_menu_and_the_loss_views_links_open_it_at_their_term(qtbot, window):
    action = next(a for a in _menu(window, "Help").actions() if a.objectName() == "action_glossary")
    action.trigger()
    dialog = window.findChild(QDialog, "glossary")
    assert isinstance(dialog, GlossaryDialog) and dialog.isVisible() and not dialog.isModal()
    shown = dialog.findChild(QTextBrowser, "glossary_text").toPlainText()
    for entry in GLOSSARY:
        assert entry.name in shown and entry.text in shown, entry.key
    assert dialog.current_term() is None and dialog.browser.verticalScrollBar().value() == 0

    window.show_insight(window.loss_view)
    window.loss_view.set_report(_report())  # after the tab is shown: showing it shows the window's own (none)
    label = window.loss_view.findChild(QLabel, "loss_percentile")
    qtbot.waitUntil(label.isVisible)
    click_first_link(qtbot, label)
    assert window.findChildren(GlossaryDialog) == [dialog]  # one glossary per window, brought back
    assert dialog.current_term() == "percentile"
    qtbot.waitUntil(lambda: _shown_on_screen(dialog, "percentile"))
    assert dialog.browser.verticalScrollBar().value() > 0  # scrolled down to it
    click_first_link(qtbot, window.loss_view.findChild(QLabel, "loss_kl"))
    assert dialog.current_term() == "kl"
    qtbot.waitUntil(lambda: _shown_on_screen(dialog, "kl"))

    with pytest.raises(UnknownTermError):
        window.show_glossary("elbo")
    assert dialog.current_term() == "kl"  # a bad key changes nothing
    action.trigger()  # the menu opens it from the top again
    assert dialog.current_term() is None and dialog.browser.verticalScrollBar().value() == 0


@pytest.mark.slow
def test_the_window_explains_the_glossarys_terms_where_it_shows_them_and_describes_its_models(window):
    window.loss_view.set_report(_report())  # the loss view's numbers and their links
    tips = [w.toolTip() for w in window.findChildren(QWidget)] + [a.toolTip() for a in window.findChildren(QAction)]
    links = " ".join(label.text() for label in window.findChildren(QLabel))
    for entry in GLOSSARY:
        if entry.where:
            assert (any(tooltip(entry.key) in tip for tip in tips)
                    or f'href="glossary:{entry.key}"' in links), f"{entry.key} is said to be in {entry.where}"
    menus = [_menu(window, title) for title in ("Edit", "View", "Model", "Help")]
    assert all(menu.toolTipsVisible() for menu in menus)
    assert window.window_actions.view_lda.statusTip().startswith("LDA")

    # The Model menu and Help → About describe each model from its card.
    entries = window.window_actions.models.actions()
    assert len(entries) >= 3
    for entry in entries:
        card = read_card(model_files(resolve_model_path(entry.data()))[1])
        assert entry.text() == f"{entry.data()}: {model_summary(card)}"
        assert model_description(card) in entry.toolTip().replace("&#x27;", "'")
        assert (tooltip("beta") in entry.toolTip()) == (card["kind"] == "vae")
    shown = next(e for e in entries if e.data() == "mnist-vae-2d")
    assert shown.text() == "mnist-vae-2d: VAE · 2-D · β 1 — tight posteriors, sharp digits"

    window.window_actions.about.trigger()
    dialog = window.findChild(QDialog, "about_dialog")
    text = dialog.findChild(QTextBrowser, "model_card_text").toPlainText()
    card = window.model_info.card
    assert text.startswith(model_summary(card) + "\n" + model_description(card))
    assert text.index("Intended use") > text.index("vaedesk") > len(model_description(card))  # the card below
