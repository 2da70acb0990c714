import numpy as np
import pytest

from vaedesk.insight.diagnostics import JUDGED_AFTER_EPOCHS, Measured, active_units, diagnose, divergence


def epochs(test, train=None, kl=5.0):
    train = train or [150.0 - i for i in range(len(test))]
    return [{"epoch": i + 1, "train_recon": r, "train_kl": kl, "test_neg_elbo": t}
            for i, (r, t) in enumerate(zip(train, test))]


def titles(found):
    return [d.title for d in found]


def test_a_healthy_run_has_no_diagnosis():
    assert diagnose("vae", 1.0, 2, epochs([160, 150, 145, 143]), Measured(4.0, 2, 5.0)) == []


def test_beta_zero_is_flagged_as_no_pull_toward_the_prior():
    found = diagnose("vae", 0.0, 2, epochs([160, 150]))
    assert titles(found) == ["β = 0: no pull toward the prior"]
    assert "plain autoencoder" in found[0].text
    assert diagnose("ae", 0.0, 2, epochs([160, 150])) == []  # an autoencoder has no KL term by design


def test_posterior_collapse_from_a_vanishing_kl():
    found = diagnose("vae", 8.0, 2, epochs([200, 199], kl=0.02))  # a card's history: its last record's KL
    assert titles(found) == ["Posterior collapse"]
    assert "0.020 nats" in found[0].text
    # A snapshot's weights are judged by their own KL, not by an older record's.
    found = diagnose("vae", 8.0, 2, epochs([200, 199], kl=5.0), Measured(2.5, 0, 0.03))
    assert titles(found) == ["Posterior collapse"] and "0.030 nats" in found[0].text
    assert diagnose("vae", 8.0, 2, epochs([200, 199], kl=0.02), Measured(2.5, 2, 4.0)) == []


def test_inactive_units():
    assert titles(diagnose("vae", 4.0, 16, epochs([120, 110]), Measured(2.0, 3, 6.0))) == ["Inactive latent units"]
    assert diagnose("vae", 1.0, 16, epochs([120, 110]), Measured(2.0, 14, 20.0)) == []


def test_the_cause_of_inactive_units_matches_beta():
    strong = diagnose("vae", 4.0, 2, epochs([160, 150]), Measured(2.0, 1, 3.0))
    assert titles(strong) == ["Inactive latent units"] and "β = 4, above 1" in strong[0].text
    for beta in (1.0, 0.5):
        (found,) = diagnose("vae", beta, 2, epochs([160, 150]), Measured(2.0, 1, 3.0))
        assert found.title == "Inactive latent units" and f"β = {beta:g} is no strong pull" in found.text
        assert "above 1" not in found.text and "large" not in found.text


def test_beta_zero_has_its_own_diagnosis_and_none_about_the_kl_term():
    """With no weight on the KL term, a low KL or units at the prior say nothing about it."""
    for weights in (Measured(3.0, 0, 0.01), Measured(3.0, 1, 50.0), None):
        found = diagnose("vae", 0.0, 2, epochs([160, 150, 145], kl=0.01), weights)
        assert titles(found) == ["β = 0: no pull toward the prior"]


@pytest.mark.parametrize("beta", [0.0, 1.0, 4.0])
def test_weights_are_judged_only_once_they_have_trained(beta):
    """The network of the first steps has every posterior at the prior: no collapse, no inactive units."""
    untrained = Measured(1 / 24, 0, 0.2)
    settings = ["β = 0: no pull toward the prior"] if beta == 0 else []
    assert titles(diagnose("vae", beta, 2, [], untrained)) == settings
    assert titles(diagnose("vae", beta, 16, epochs([160]), Measured(JUDGED_AFTER_EPOCHS - 0.01, 1, 0.05))) == settings
    assert titles(diagnose("vae", beta, 2, [], None)) == settings
    trained = diagnose("vae", beta, 2, epochs([160]), Measured(JUDGED_AFTER_EPOCHS, 0, 0.05))
    assert titles(trained) == settings + ([] if beta == 0 else ["Posterior collapse"])


def test_an_autoencoder_has_no_kl_diagnosis_but_can_overfit():
    assert diagnose("ae", 1.0, 2, epochs([150, 140], kl=0.0), Measured(2.0, 0, None)) == []
    assert titles(diagnose("ae", 1.0, 2, epochs([150, 140, 141.0, 142.0], kl=0.0))) == ["Overfitting"]


def test_overfitting_needs_rising_test_and_falling_train_loss():
    found = diagnose("vae", 1.0, 2, epochs([150, 140, 141.0, 142.0]))
    assert titles(found) == ["Overfitting"]
    assert "140.0" in found[0].text and "142.0" in found[0].text
    # Test loss rising with the training loss too is not overfitting (e.g. a too high rate).
    assert diagnose("vae", 1.0, 2, epochs([150, 140, 141.0, 142.0], train=[150, 140, 141, 142])) == []
    assert diagnose("vae", 1.0, 2, epochs([150, 140, 140.2, 140.3])) == []  # noise, not a trend


def test_active_units_counts_varying_dimensions():
    rng = np.random.default_rng(0)
    means = np.stack([rng.normal(0, 1, 500), rng.normal(0, 0.01, 500), rng.normal(3, 0.5, 500)], axis=1)
    assert active_units(means) == 2
    assert active_units(np.zeros((1, 3))) == 0


def test_divergence_says_what_happened_and_what_is_kept():
    d = divergence("training diverged at epoch 2, step 7")
    assert d.level == "error" and "epoch 2, step 7" in d.text and "checkpoint" in d.text
