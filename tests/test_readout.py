"""The posterior readout's text (no Qt)."""

import numpy as np

from vaedesk.insight.readout import describe_posterior, dimensions_text, samples_note, sigma_text, spread_text
from vaedesk.model.posterior import Posterior


def test_describe_posterior_lists_the_first_dimensions_and_the_kl():
    vae = Posterior(np.array([[0.5, -1.0]]), np.log(np.array([[0.25, 1.0]])))
    text = describe_posterior(vae)
    assert "z1 μ=+0.50 σ=0.50    z2 μ=-1.00 σ=1.00" in text
    assert text.endswith(f"KL(q‖N(0,I)) = {float(vae.kl()[0]):.2f} nats")
    wide = describe_posterior(Posterior(np.zeros((1, 12)), np.zeros((1, 12))))
    assert "z8 " in wide and "z9 " not in wide and "… 4 more dimensions" in wide
    assert len(wide.splitlines()) == 6  # 8 dimensions two to a line, the "more" line, the KL
    autoencoder = describe_posterior(Posterior(np.array([[1.25, -0.5]]), None))
    assert autoencoder.startswith("z1=+1.25  z2=-0.50") and "not a distribution" in autoencoder


def test_one_sigma_notation_in_the_readouts_order():
    assert [sigma_text(s) for s in (0.026, 0.011, 1.0, 0.0)] == ["σ=0.03", "σ=0.01", "σ=1.00", "σ=0.00"]
    assert sigma_text(0.0042) == "σ=0.0042" and sigma_text(0.000012) == "σ=0.000012"  # never shown as zero
    assert sigma_text(-0.03) == "σ=0.03"  # a spread is never signed
    assert spread_text([0.011, 0.026]) == "z1 σ=0.01  z2 σ=0.03"
    assert spread_text([0.2, 0.05], ["PC1", "PC2"]) == "PC1 σ=0.20  PC2 σ=0.05"
    mean, std = [0.123, -1.3, 0.5], [0.011, 0.026, 0.9]
    assert dimensions_text(mean, std) == "z1 μ=+0.12 σ=0.01  z2 μ=-1.30 σ=0.03  z3 μ=+0.50 σ=0.90"
    assert dimensions_text(mean, std, limit=2) == "z1 μ=+0.12 σ=0.01  z2 μ=-1.30 σ=0.03  …"
    readout = describe_posterior(Posterior(np.array([mean[:2]]), np.log(np.square(np.array([std[:2]])))))
    assert readout.splitlines()[0] == "z1 μ=+0.12 σ=0.01    z2 μ=-1.30 σ=0.03"  # the same words, two to a line


def _posterior(std: list[float]) -> Posterior:
    return Posterior(np.zeros((1, len(std)), np.float32), np.log(np.square(np.array([std], np.float32))))


def test_alike_samples_are_explained_by_how_much_narrower_than_the_prior_the_posterior_is() -> None:
    same = np.full((8, 28, 28), 0.5) + np.random.default_rng(0).normal(0, 0.002, (8, 28, 28))
    note = samples_note(_posterior([0.01, 0.04]), same)
    assert note == "σ is 50× smaller than the prior's: the encoder is sure, so its samples decode alike."


def test_samples_that_differ_are_said_to_differ() -> None:
    rng = np.random.default_rng(1)
    note = samples_note(_posterior([0.2, 0.3]), rng.uniform(0, 1, (8, 28, 28)))
    assert note.startswith("σ is 4× smaller than the prior's") and note.endswith("decode differently.")


def test_dimensions_left_at_the_prior_are_not_counted() -> None:
    same = np.full((8, 28, 28), 0.5)
    note = samples_note(_posterior([0.02, 0.02, 1.0, 0.98]), same)
    assert "50× smaller than the prior's in the 2 dimensions it uses" in note


def test_no_note_for_an_autoencoder_or_a_single_decoding() -> None:
    point = Posterior(np.zeros((1, 2), np.float32), None)
    assert samples_note(point, np.zeros((8, 28, 28))) == ""
    assert samples_note(_posterior([0.1, 0.1]), np.zeros((1, 28, 28))) == ""
