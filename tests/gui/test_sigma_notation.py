"""The posterior's σ is written one way in the readout, the lens and the tour: each
dimension in order, two decimals, never signed."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from PySide6.QtWidgets import QLabel

from vaedesk.gui.dialogs.tour import vae_steps
from vaedesk.gui.widgets.lens import PosteriorLens
from vaedesk.insight.readout import describe_posterior
from vaedesk.model.posterior import Posterior

# z1 narrow, z2 wide: written by size, they would come in the other order.
MEAN, STD = np.array([[0.42, -1.37]]), np.array([[0.011, 0.026]])
POSTERIOR = Posterior(MEAN, np.log(np.square(STD)))
SPREAD = "z1 σ=0.01  z2 σ=0.03"


def _caption(lens: PosteriorLens) -> str:
    label = lens.findChild(QLabel, "posterior_lens_caption")
    assert label is not None
    return label.text()


def test_the_lens_writes_sigma_as_the_readout_does(qtbot):
    lens = PosteriorLens()
    qtbot.addWidget(lens)
    lens.set_axis_labels("z1", "z2")
    lens.set_posterior(MEAN[0], np.diag(np.square(STD[0])))
    assert f"({SPREAD})" in _caption(lens)
    readout = describe_posterior(POSTERIOR)
    assert "z1 μ=+0.42 σ=0.01" in readout and "z2 μ=-1.37 σ=0.03" in readout
    # A view's axes are named as the plane names them, without their note.
    lens.set_axis_labels("PC1 (61% var)", "PC2 (22% var)")
    lens.set_posterior([0.0, 0.0], np.array([[0.04, 0.01], [0.01, 0.0025]]))
    assert "(PC1 σ=0.20  PC2 σ=0.05)" in _caption(lens)


def test_the_tour_writes_sigma_as_the_readout_does():
    window = SimpleNamespace(last_encode=SimpleNamespace(posterior=POSTERIOR), show_insight=lambda *_: None)
    encode = vae_steps(window)[0]  # type: ignore[arg-type]  # the encode step reads only the shown encoding
    text = encode.text()
    assert "z1 μ=+0.42 σ=0.01  z2 μ=-1.37 σ=0.03" in text
    assert "+0.01" not in text and "(+" not in text  # a spread is never signed
