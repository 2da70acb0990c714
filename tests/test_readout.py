"""The posterior readout's text (no Qt)."""

import numpy as np

from vaedesk.insight.readout import describe_posterior
from vaedesk.model.posterior import Posterior


def test_describe_posterior_lists_the_first_dimensions_and_the_kl():
    vae = Posterior(np.array([[0.5, -1.0]]), np.log(np.array([[0.25, 1.0]])))
    text = describe_posterior(vae)
    assert "z1  μ=+0.50 σ=0.50" in text and "z2  μ=-1.00 σ=1.00" in text
    assert text.endswith(f"KL(q‖N(0,I)) = {float(vae.kl()[0]):.2f} nats")
    wide = describe_posterior(Posterior(np.zeros((1, 12)), np.zeros((1, 12))))
    assert "z8 " in wide and "z9 " not in wide and "… 4 more dimensions" in wide
    assert len(wide.splitlines()) == 6  # 8 dimensions two to a line, the "more" line, the KL
    autoencoder = describe_posterior(Posterior(np.array([[1.25, -0.5]]), None))
    assert autoencoder.startswith("z1=+1.25  z2=-0.50") and "not a distribution" in autoencoder
