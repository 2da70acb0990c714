from pathlib import Path

import pytest

from tests.support.soak import running_model_processes
from tests.support.windows import open_window

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Every test under tests/gui needs Qt."""
    for item in items:
        if _HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def no_model_process_left(qapp):
    """Fail any GUI test that leaves a model process running (every window must stop its own)."""
    yield
    alive = running_model_processes()
    for process in alive:
        process.kill()
    assert not alive, f"model processes left running: {alive}"


@pytest.fixture
def window(qtbot, default_reference):
    """A shown MainWindow with the default model loaded, closed after the test."""
    win, _ = open_window(qtbot)
    yield win
    win.close()
