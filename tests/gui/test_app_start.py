"""Start the real ``vaedesk`` command, as a user would, and check its window."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image


def _start_xvfb():
    for display in range(90, 110):
        if os.path.exists(f"/tmp/.X11-unix/X{display}") or os.path.exists(f"/tmp/.X{display}-lock"):
            continue
        proc = subprocess.Popen(["Xvfb", f":{display}", "-screen", "0", "1440x900x24", "-nolisten", "tcp"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(50):
            if os.path.exists(f"/tmp/.X11-unix/X{display}"):
                return proc, f":{display}"
            time.sleep(0.1)
        proc.kill()
    pytest.fail("could not start Xvfb")

@pytest.mark.slow
@pytest.mark.usefixtures("default_reference")
@pytest.mark.subprocess
@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed (CI installs it)")
def test_real_app_starts_in_a_window_under_xvfb(tmp_path):
    xvfb, display = _start_xvfb()
    shot = tmp_path / "window.png"
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "VAEDESK_SCREENSHOT": str(shot)}
    try:
        result = subprocess.run([sys.executable, "-m", "vaedesk"], env=env, cwd=tmp_path, capture_output=True,
                                text=True, timeout=180)
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    with Image.open(shot) as image:
        assert image.width >= 1000 and image.height >= 600
        pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > 20, "the window looks blank"
    keep = os.environ.get("VAEDESK_KEEP_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)


@pytest.mark.subprocess
def test_the_window_module_does_not_import_torch():
    # The window shows without PyTorch (1+ s to import; only the model process needs it): see the
    # cold-start benchmark.
    code = "import sys, vaedesk.gui.window; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr[-2000:]


STUDIO_RUN = """
import sys, time
from PySide6.QtWidgets import QApplication
app = QApplication([])
from vaedesk.gui.window import MainWindow


def wait(done, what, timeout=240):
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    assert done(), what


window = MainWindow()
window.show()
wait(lambda: window.model_info is not None, "the model")
panel = window.open_training()
panel.limit.setValue(128)
panel.epochs.setValue(1)
panel.batch.setValue(64)
original = type(panel).config
type(panel).config = lambda self: __import__("dataclasses").replace(original(self), width=4, hidden=16)
ended, decoded = [], []
panel.run_ended.connect(ended.append)
panel.worker.hover_decoded.connect(lambda x, y, image: decoded.append(image.shape))
assert panel.start()
wait(lambda: ended, "the run's end")
panel.plane.hovered.emit(0.5, -0.5)  # after the run: decoded by its last weights, elsewhere
wait(lambda: decoded, "the hover decoding")
print(ended[0], decoded[-1], "torch" in sys.modules, flush=True)
window.close()
"""


@pytest.mark.slow
@pytest.mark.subprocess
def test_the_studio_trains_and_decodes_without_torch_in_the_windows_process(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "VAEDESK_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", STUDIO_RUN], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["finished", "(28,", "28)", "False"], (result.stdout, result.stderr[-3000:])


@pytest.mark.subprocess
def test_the_studio_module_does_not_import_torch():
    code = "import sys, vaedesk.gui.studio.panel; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr[-2000:]


@pytest.mark.slow
@pytest.mark.subprocess
def test_quitting_during_a_models_first_load_exits_cleanly(tmp_path):
    # A new machine: nothing cached, so the explanations' reference is still being built
    # beside the worker when the screenshot mode quits. PyTorch used to abort the exit (134).
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "VAEDESK_HOME": str(tmp_path / "home"),
           "VAEDESK_CACHE": "", "VAEDESK_SCREENSHOT": str(tmp_path / "shot.png")}
    result = subprocess.run([sys.executable, "-m", "vaedesk"], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "shot.png").is_file()


def test_qt_fills_stay_on_the_window_thread():
    # See vaedesk/gui/__init__.py: helper threads for fills waited for a busy core.
    import vaedesk.gui  # noqa: F401

    assert os.environ.get("QT_NO_GUI_THREADPOOL") == "1"
