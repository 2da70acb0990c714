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


ON_STANDARD_INPUT = """
import time
from PySide6.QtWidgets import QApplication
app = QApplication([])
from vaedesk.gui.window import MainWindow
window = MainWindow()
window.show()
ready, failed = [], []
window.model_ready.connect(ready.append)
window.client.failed.connect(lambda channel, message: failed.append(message))
deadline = time.monotonic() + 240
while not ready and not failed and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
print("ready" if ready else f"no model: {failed}", flush=True)
window.close()
"""


def test_a_script_on_standard_input_without_a_main_guard_gets_its_model(tmp_path):
    # The model process is a fresh interpreter: the script is never run again in it (it
    # could not be: it has no file), so it needs no `if __name__ == "__main__"`.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "VAEDESK_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-"], input=ON_STANDARD_INPUT, cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["ready"], (result.stdout, result.stderr[-2000:])
    assert "<stdin>" not in result.stderr and "Traceback" not in result.stderr
