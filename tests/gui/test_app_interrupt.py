"""Ctrl+C in the terminal that started the app closes its window cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

pytestmark = [pytest.mark.subprocess, pytest.mark.usefixtures("default_reference")]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="no SIGINT from a terminal")
def test_ctrl_c_closes_the_window_and_saves_the_session(tmp_path):
    home = tmp_path / "home"
    # The session's shared cache (os.environ) holds the default model's encodings and
    # explanation reference, so the app is ready in seconds and closing waits for no build
    # (test_app_start covers quitting during a model's first load).
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "VAEDESK_HOME": str(home)}
    log = home / "log" / "vaedesk.log"
    app = subprocess.Popen([sys.executable, "-m", "vaedesk"], env=env, cwd=tmp_path,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        # The app is up, its event loop running, once it has logged its model as ready.
        deadline = time.monotonic() + 120
        while not (log.is_file() and re.search(r"model \S+ ready", log.read_text(encoding="utf-8", errors="replace"))):
            assert app.poll() is None, app.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the app did not start"
            time.sleep(0.1)
        app.send_signal(signal.SIGINT)
        # Before: the interrupt waited for Python code that Qt's event loop never ran.
        _, err = app.communicate(timeout=120)
    finally:
        if app.poll() is None:
            app.kill()
            app.communicate()
    assert app.returncode == 0, err[-2000:]
    assert "KeyboardInterrupt" not in err, err[-2000:]
    assert (home / "session.json").is_file()  # closeEvent saved it
    assert "SIGINT received: closing" in log.read_text(encoding="utf-8")
