"""The public library API: every advertised name resolves, and the core never imports Qt."""

import subprocess
import sys

import numpy as np
import pytest

import vaedesk


def test_every_exported_name_resolves():
    for name in vaedesk.__all__:
        assert getattr(vaedesk, name) is not None, name


@pytest.mark.subprocess
def test_core_does_not_import_qt():
    code = (
        "import sys, vaedesk, vaedesk.cli, vaedesk.latent.morphing, vaedesk.insight.evaluation,"
        " vaedesk.data.drawing_files;"
        "vaedesk.load_model();"
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_readme_example_runs(tmp_path):
    model = vaedesk.load_model()
    x = vaedesk.preprocess_strokes([np.array([[10, 10], [60, 80], [20, 140]])])
    posterior = model.encode(np.stack([x, x]))
    assert posterior.mean.shape == (2, model.latent_dim)
    path = vaedesk.interpolate_path(np.array([[0.0, 0.0], [1.0, 1.0]]), 8, method="spherical", easing="ease-in-out")
    assert path.shape == (8, 2)
    out = vaedesk.morph(model, ["test:7", x, "0.5,-1.2"], tmp_path / "m.gif", frames=8, fps=24, pingpong=True)
    assert out.exists()
