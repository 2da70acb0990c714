"""Help → About shows the model's card, formatted, through the real action."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog, QTextBrowser

from tests.support.windows import LOAD_TIMEOUT, open_window

pytestmark = pytest.mark.usefixtures("default_reference")


def _about(win) -> tuple[QDialog, str]:
    win.window_actions.about.trigger()
    dialog = win.findChild(QDialog, "about_dialog")
    assert dialog is not None and dialog.isVisible()
    browser = dialog.findChild(QTextBrowser, "model_card_text")
    return dialog, browser.toPlainText()


@pytest.mark.slow
def test_about_shows_the_shipped_models_markdown_card_and_a_users_model_gets_one(qtbot, tiny_model):
    from vaedesk.support.paths import user_models_dir

    win, name = open_window(qtbot)
    try:
        dialog, shown = _about(win)
        assert name == "mnist-vae-2d"
        for words in ("vaedesk", "mnist-vae-2d", "Intended use", "Limitations", "Training", "Evaluation",
                      "vaedesk eval --model mnist-vae-2d", "Yann LeCun", "CC BY-SA 3.0", "MIT"):
            assert words in shown, words
        assert "library_name" not in shown and "---" not in shown  # no front matter, no raw markup
        assert "| seed |" not in shown and "|---|" not in shown  # tables are tables
        # A user's model from before Markdown cards: its card is made from its JSON.
        tiny_model.save(user_models_dir() / "my-model")
        assert not (user_models_dir() / "my-model.md").exists()
        with qtbot.waitSignal(win.model_ready, timeout=LOAD_TIMEOUT):
            win.switch_model("my-model")
        again, shown = _about(win)
        assert again is dialog  # one dialog, brought back
        assert "my-model" in shown and "Intended use" in shown and "mnist-vae-2d" not in shown
    finally:
        win.close()
