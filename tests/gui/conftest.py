import pytest


@pytest.fixture(autouse=True)
def no_thread_left_running(qapp):
    """Fail any GUI test that leaves a QThread running (every worker must be stopped)."""
    from vaedesk.gui import threads

    yield
    alive = [t for t in threads.live_threads() if t.isRunning()]
    for thread in alive:
        thread.quit()
        thread.wait(2000)
    assert not alive, f"threads left running: {alive}"
