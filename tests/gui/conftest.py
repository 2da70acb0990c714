import pytest


@pytest.fixture(autouse=True)
def no_model_process_left(qapp):
    """Fail any GUI test that leaves a model process running (every window must stop its own)."""
    from tests.gui.soak import running_model_processes

    yield
    alive = running_model_processes()
    for process in alive:
        process.kill()
    assert not alive, f"model processes left running: {alive}"


@pytest.fixture(scope="session", autouse=True)
def _explanations_ready(_shared_cache):
    """Build the shipped models' explanation references once for the session (the app
    builds one beside its worker the first time a model is opened on a machine)."""
    import os

    from vaedesk.insight.explanation import model_reference
    from vaedesk.model.model import load_model

    previous = os.environ.get("VAEDESK_CACHE")
    os.environ["VAEDESK_CACHE"] = str(_shared_cache)
    try:
        for name in ("mnist-vae-2d", "mnist-ae-2d", "mnist-vae-16d"):
            model_reference(load_model(name))
    finally:
        if previous is None:
            os.environ.pop("VAEDESK_CACHE")
        else:
            os.environ["VAEDESK_CACHE"] = previous
