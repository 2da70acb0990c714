import os
from pathlib import Path

import numpy as np
import pytest

from tests.support.paths import REPO

# Qt tests run without a screen unless a display is explicitly requested.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The suite opens a window (and its model process) in hundreds of tests: each takes a model
# process started ahead instead of waiting for a new one to import PyTorch.
os.environ.setdefault("VAEDESK_SPARE_PROCESS", "1")


@pytest.fixture(scope="session")
def _shared_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("vaedesk-cache")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch, _shared_cache):
    """Keep the user's model folder and settings out of every test. Caches (encoded data
    sets, keyed by model and data digests) are shared by the session's tests, as a user's
    are by every start of the app."""
    home = tmp_path_factory.mktemp("vaedesk-home")
    monkeypatch.setenv("VAEDESK_HOME", str(home))
    monkeypatch.setenv("VAEDESK_CACHE", str(_shared_cache))
    return home


@pytest.fixture(scope="session", autouse=True)
def _bundled_mnist_decompressed_once():
    """The bundled MNIST files do not change during a run: each is decompressed once per
    session (the training images are 47 MB of xz) rather than at every load_split. Each call
    still gets an array of its own, as from the file. Other folders are read as always."""
    from vaedesk.data import datasets
    from vaedesk.support.paths import bundled_mnist_dir

    read_idx, bundled = datasets.read_idx, bundled_mnist_dir().resolve()
    arrays: dict[Path, np.ndarray] = {}

    def read_bundled_once(path):
        where = Path(path).resolve()
        if where.parent != bundled:
            return read_idx(path)
        if where not in arrays:
            arrays[where] = read_idx(path)
        return arrays[where].copy()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(datasets, "read_idx", read_bundled_once)
        yield


@pytest.fixture(scope="session")
def explanation_references(_shared_cache):
    """``ready(name, ...)``: build the named shipped models' explanation references into the
    session's shared cache, each the first time a test asks for it. The app builds one beside
    its model process the first time a model is opened on a machine; a test that opens a model
    asks for it first, so that its window is ready in seconds and its close waits for nothing."""
    built: set[str] = set()

    def ready(*names: str) -> None:
        from vaedesk.insight.explanation import model_reference
        from vaedesk.model.model import load_model

        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("VAEDESK_CACHE", str(_shared_cache))
            for name in names:
                if name not in built:
                    model_reference(load_model(name))
                    built.add(name)

    return ready


@pytest.fixture
def default_reference(explanation_references):
    """The default model's explanation reference, ready in the shared cache (see explanation_references)."""
    explanation_references("mnist-vae-2d")


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory):
    """A tiny VAE trained for one short epoch, saved with its card (shared by many tests)."""
    import torch

    from vaedesk.training.config import TrainConfig
    from vaedesk.training.loop import train

    torch.manual_seed(0)
    config = TrainConfig(epochs=1, limit=512, batch_size=64, width=8, hidden=32, seed=1)
    model = train(config, command="test")
    model.card["metrics"] = {"neg_elbo": 0.0}
    return model.save(tmp_path_factory.mktemp("models") / "tiny-vae")


@pytest.fixture
def tiny_model(tiny_model_path):
    from vaedesk.model.model import load_model

    return load_model(tiny_model_path)


# Property-based tests (tests/test_fuzz_*.py): "ci" keeps them to about a minute on two
# cores; HYPOTHESIS_PROFILE=soak runs many more cases. Found failures are replayed from
# .pytest_cache (git-ignored) on the next run.
from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis.database import DirectoryBasedExampleDatabase  # noqa: E402

_FUZZ_DB = DirectoryBasedExampleDatabase(str(REPO / ".pytest_cache" / "hypothesis"))
_FUZZ_CHECKS = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
settings.register_profile("ci", max_examples=150, deadline=None, database=_FUZZ_DB,
                          suppress_health_check=_FUZZ_CHECKS)
settings.register_profile("soak", max_examples=2000, deadline=None, database=_FUZZ_DB,
                          suppress_health_check=_FUZZ_CHECKS)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
