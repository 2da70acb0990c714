"""However a program using the window ends, its threads stop first: no abort at exit."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.paths import REPO

pytestmark = [pytest.mark.subprocess, pytest.mark.usefixtures("default_reference")]

NEVER_CLOSED = """
from PySide6.QtWidgets import QApplication
app = QApplication([])
import vaedesk.gui
window = vaedesk.gui.MainWindow()
window.show()
ready = []
window.model_ready.connect(ready.append)
while not ready:
    app.processEvents()
print("shown")
"""


@pytest.mark.slow
def test_a_script_that_never_closes_its_window_exits_cleanly(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "VAEDESK_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", NEVER_CLOSED], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "shown" in result.stdout and "QThread: Destroyed" not in result.stderr
