"""Opening the main window in a test and waiting for what it shows."""

from __future__ import annotations

from typing import Any

import numpy as np

from vaedesk.data.strokes import preprocess_strokes
from vaedesk.gui import MainWindow

LOAD_TIMEOUT = 60_000


def open_window(qtbot: Any) -> tuple[MainWindow, str]:
    """A shown MainWindow and the name of the model it loaded."""
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1300, 820)
    with qtbot.waitSignal(win.model_ready, timeout=LOAD_TIMEOUT) as blocker:
        win.show()
    return win, blocker.args[0]


def wait_for_final_posterior(qtbot: Any, win: MainWindow) -> Any:
    """Wait until the shown encoding is the one of the canvas's current drawing."""
    def shown_is_current() -> None:
        expected = preprocess_strokes(win.canvas.strokes(), win.canvas.model_pen_width())
        assert win.last_encode is not None
        np.testing.assert_allclose(win.last_encode.input, expected, atol=1e-6)

    qtbot.waitUntil(shown_is_current, timeout=10_000)
    return win.last_encode
