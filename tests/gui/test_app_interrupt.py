"""Ctrl+C in the terminal that started the app closes its window cleanly (issue 11)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest


@pytest.mark.skipif(sys.platform == "win32", reason="no SIGINT from a terminal")
def test_ctrl_c_closes_the_window_and_saves_the_session(tmp_path):
    home = tmp_path / "home"
    # A cache of its own, so that the first file written in it says the app is up.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "VAEDESK_HOME": str(home), "VAEDESK_CACHE": ""}
    app = subprocess.Popen([sys.executable, "-m", "vaedesk"], env=env, cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # The app is up, its event loop running, once the model process has cached the
        # encoded test set.
        deadline = time.monotonic() + 120
        while not any((home / "cache").rglob("*.npy")):
            assert app.poll() is None, app.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the app did not start"
            time.sleep(0.1)
        app.send_signal(signal.SIGINT)
        # Before: the interrupt waited for Python code that Qt's event loop never ran. Closing
        # waits for the explanation reference this first load builds (70,000 encodings: up to
        # a minute on two busy cores).
        _, err = app.communicate(timeout=180)
    finally:
        if app.poll() is None:
            app.kill()
            app.communicate()
    assert app.returncode == 0, err[-2000:]
    assert "KeyboardInterrupt" not in err, err[-2000:]
    assert (home / "session.json").is_file()  # closeEvent saved it
