import numpy as np

from vaedesk.insight.diagnostics import active_units, diagnose, divergence


def epochs(test, train=None, kl=5.0):
    train = train or [150.0 - i for i in range(len(test))]
    return [{"epoch": i + 1, "train_recon": r, "train_kl": kl, "test_neg_elbo": t}
            for i, (r, t) in enumerate(zip(train, test))]


def titles(found):
    return [d.title for d in found]


def test_a_healthy_run_has_no_diagnosis():
    assert diagnose("vae", 1.0, 2, epochs([160, 150, 145, 143]), active=2) == []


def test_beta_zero_is_flagged_as_no_pull_toward_the_prior():
    found = diagnose("vae", 0.0, 2, epochs([160, 150]))
    assert titles(found) == ["β = 0: no pull toward the prior"]
    assert "plain autoencoder" in found[0].text
    assert diagnose("ae", 0.0, 2, epochs([160, 150])) == []  # an autoencoder has no KL term by design


def test_posterior_collapse_from_a_vanishing_kl():
    found = diagnose("vae", 8.0, 2, epochs([200, 199], kl=0.02), active=0)
    assert titles(found) == ["Posterior collapse"]
    assert "0.020 nats" in found[0].text


def test_inactive_units():
    assert titles(diagnose("vae", 4.0, 16, epochs([120, 110]), active=3)) == ["Inactive latent units"]
    assert diagnose("vae", 1.0, 16, epochs([120, 110]), active=14) == []


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
