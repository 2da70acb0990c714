"""vaedesk.explain: a drawing's loss terms, IWAE estimate, neighbours and percentile."""

import json

import numpy as np
import pytest
import torch

import vaedesk
from vaedesk.data.datasets import load_split
from vaedesk.errors import ImageError, VaedeskError
from vaedesk.insight.diagnostics import active_units
from vaedesk.insight.explanation import DrawingReport, ModelReference, explain, model_reference
from vaedesk.model.encodings import cache_path
from vaedesk.model.nets import loss_terms

LIMIT = 300  # images of each split in the references built here: enough to rank, fast to build


@pytest.fixture(scope="module")
def vae2d():
    return vaedesk.load_model("mnist-vae-2d")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def ref2d(vae2d, cache):
    return model_reference(vae2d, limit=LIMIT, folder=cache)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """An untrained 16-d VAE with a file (so a digest): enough for the plumbing, no training."""
    from vaedesk.model.model import Model, load_model, new_card
    from vaedesk.model.nets import AutoEncoder

    torch.manual_seed(0)
    net = AutoEncoder("vae", 16, width=4, hidden=16).eval()
    path = Model(net, dict(new_card("vae", 16, width=4, hidden=16), metrics={})).save(
        tmp_path_factory.mktemp("small") / "small-vae")
    return load_model(path)


@pytest.fixture(scope="module")
def digits():
    return load_split("test", limit=8)


@pytest.fixture(scope="module")
def drawings():
    from vaedesk.data.sketches import synthetic_drawings

    strokes, labels = synthetic_drawings(1, seed=3)
    return np.stack([vaedesk.preprocess_strokes(s) for s in strokes[::2]]), labels[::2]


def test_the_terms_add_up_on_training_footing(vae2d, ref2d, digits):
    x = digits.images[0]
    r = explain(vae2d, x, samples=32, reference=ref2d, seed=5)
    assert isinstance(r, DrawingReport)
    assert r.kl_per_dim.shape == (2,) and r.pixel_error.shape == r.decoded_mean.shape == r.decoded_std.shape == (28, 28)
    assert r.kl_per_dim.sum() == pytest.approx(r.kl_nats, abs=1e-9)
    assert r.recon_nats + r.kl_nats == r.neg_elbo_nats
    assert r.pixel_error.sum() == pytest.approx(r.recon_nats, abs=1e-9)
    assert (r.pixel_error >= 0).all() and (r.decoded_std >= 0).all() and r.decoded_std.max() > 0
    # The KL is training's own (Posterior.kl); the reconstruction term is loss_terms' BCE
    # averaged over the same seeded samples.
    posterior = vae2d.encode(x)
    assert r.kl_nats == pytest.approx(float(posterior.kl()[0]), rel=1e-9)
    z = posterior.sample(32, np.random.default_rng(5))[0]
    with torch.no_grad():
        logits = vae2d.net.decoder(torch.from_numpy(z))
    recon, _ = loss_terms(logits, torch.from_numpy(x).expand_as(logits), None, None)
    assert r.recon_nats == pytest.approx(recon.double().mean().item(), rel=1e-5)
    np.testing.assert_allclose(r.decoded_mean, torch.sigmoid(logits).double().mean(0).numpy(), atol=1e-6)


def test_asking_for_the_iwae_changes_nothing_else(vae2d, ref2d, digits):
    fast = explain(vae2d, digits.images[1], samples=64, iwae_samples=0, reference=ref2d)
    full = explain(vae2d, digits.images[1], samples=64, iwae_samples=256, reference=ref2d)
    assert fast.iwae_nats is None and full.iwae_nats is not None
    assert fast.neg_elbo_nats == full.neg_elbo_nats and fast.percentile == full.percentile
    np.testing.assert_array_equal(fast.decoded_std, full.decoded_std)


def test_the_iwae_estimate_is_below_the_neg_elbo(vae2d, ref2d, digits, drawings):
    images = np.concatenate([digits.images[:4], drawings[0]])
    for x in images:
        r = explain(vae2d, x, samples=256, reference=ref2d)
        assert np.isfinite(r.iwae_nats) and r.iwae_nats <= r.neg_elbo_nats + 0.5


@pytest.mark.slow
def test_more_importance_samples_are_not_worse(vae2d, ref2d, digits):
    few, many = [], []
    for x in digits.images[:3]:
        for seed in range(2):
            few.append(explain(vae2d, x, samples=4, reference=ref2d, seed=seed).iwae_nats)
            many.append(explain(vae2d, x, samples=4, iwae_samples=512, reference=ref2d, seed=seed).iwae_nats)
    assert np.mean(many) <= np.mean(few) + 0.05  # in expectation the bound tightens with K (Burda et al.)


def test_the_neighbours_are_the_nearest_training_means(vae2d, ref2d, digits):
    r = explain(vae2d, digits.images[2], samples=8, neighbours=7, reference=ref2d)
    distances = np.linalg.norm(ref2d.train_means - vae2d.encode(digits.images[2]).mean, axis=1)
    np.testing.assert_array_equal(r.neighbours, np.argsort(distances, kind="stable")[:7])
    np.testing.assert_array_equal(r.neighbour_labels, ref2d.train_labels[r.neighbours])
    np.testing.assert_array_equal(r.neighbour_labels, load_split("train", limit=LIMIT).labels[r.neighbours])
    np.testing.assert_allclose(r.neighbour_distances, distances[r.neighbours], rtol=1e-5)


def test_the_percentile_ranks_a_clean_digit_below_a_scribble(vae2d, ref2d, digits):
    scribble = vaedesk.preprocess_strokes([np.array([[0, 0], [280, 280], [0, 280], [280, 0], [140, 20]]),
                                           np.array([[20, 140], [260, 150]])])
    clean = explain(vae2d, digits.images[3], samples=64, iwae_samples=0, reference=ref2d)
    messy = explain(vae2d, scribble, samples=64, iwae_samples=0, reference=ref2d)
    assert 0 <= clean.percentile < messy.percentile <= 100
    assert clean.neg_elbo_nats < messy.neg_elbo_nats
    assert clean.percentile == pytest.approx(100 * np.mean(ref2d.test_neg_elbo < clean.neg_elbo_nats))


def test_an_autoencoder_has_one_code_and_no_likelihood(cache, digits):
    ae = vaedesk.load_model("mnist-ae-2d")
    r = explain(ae, digits.images[0], reference=model_reference(ae, limit=LIMIT, folder=cache))
    assert r.kl_nats == 0 and not r.kl_per_dim.any() and r.iwae_nats is None
    assert r.recon_nats == r.neg_elbo_nats and 0 <= r.percentile <= 100
    assert not r.decoded_std.any()
    np.testing.assert_allclose(r.decoded_mean, ae.reconstruct(digits.images[0])[0], atol=1e-6)


def test_inactive_dimensions_are_the_ones_active_units_leaves_out(cache):
    vae16 = vaedesk.load_model("mnist-vae-16d")  # 15 of its 16 units are active (see its card)
    ref = model_reference(vae16, limit=LIMIT, folder=cache)
    means = vae16.encode(load_split("test", limit=LIMIT).images).mean
    assert ref.inactive_dims.shape == (16,) and 0 < ref.inactive_dims.sum() < 16
    assert (~ref.inactive_dims).sum() == active_units(means)


@pytest.mark.parametrize("image", [np.zeros((28, 27)), np.zeros((2, 28, 28)), np.full((28, 28), np.nan),
                                   np.full((28, 28), 2.0), "a digit", [[1j] * 28] * 28])
def test_a_bad_image_is_an_image_error(vae2d, ref2d, image):
    with pytest.raises(ImageError) as info:
        explain(vae2d, image, reference=ref2d)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("kwargs", [dict(samples=0), dict(samples=4097), dict(samples=True), dict(samples=2.5),
                                    dict(neighbours=0), dict(neighbours=101), dict(neighbours=LIMIT + 1),
                                    dict(iwae_samples=-1), dict(seed=-1), dict(seed="0")])
def test_bad_numbers_are_one_line_errors(vae2d, ref2d, digits, kwargs):
    with pytest.raises(VaedeskError) as info:
        explain(vae2d, digits.images[0], reference=ref2d, **kwargs)
    assert "\n" not in str(info.value)


def test_a_reference_for_another_model_is_refused(vae2d, ref2d, small, digits):
    with pytest.raises(VaedeskError, match="ModelReference"):
        explain(vae2d, digits.images[0], reference={"train_means": 1})
    with pytest.raises(VaedeskError, match="does not fit"):
        explain(small, digits.images[0], reference=ref2d)  # a 16-d model, a 2-d reference
    other = ModelReference(ref2d.train_means, ref2d.train_labels, ref2d.test_neg_elbo, ref2d.inactive_dims,
                           model_digest="0" * 64)
    with pytest.raises(VaedeskError, match="other weights"):
        explain(vae2d, digits.images[0], reference=other)


def test_without_a_reference_explain_builds_one(vae2d, digits, monkeypatch, ref2d):
    import vaedesk.insight.explanation as module

    asked = []
    monkeypatch.setattr(module, "model_reference", lambda model: asked.append(model) or ref2d)
    r = explain(vae2d, digits.images[0], samples=8)
    assert asked == [vae2d] and r.percentile is not None


def test_the_reference_cache_round_trips_and_a_damaged_file_is_rebuilt(small, tmp_path, monkeypatch):
    import vaedesk.insight.evaluation as evaluation

    first = model_reference(small, limit=200, folder=tmp_path)
    assert len(list(tmp_path.iterdir())) == 3  # training means, test means, test -ELBOs
    assert (np.diff(first.test_neg_elbo) >= 0).all() and len(first.train_means) == 200

    def refuse(*_args, **_kwargs):
        raise AssertionError("computed again")

    with monkeypatch.context() as patch:
        patch.setattr(small, "encode", refuse)
        patch.setattr(evaluation, "neg_elbo_per_image", refuse)
        again = model_reference(small, limit=200, folder=tmp_path)
    for a, b in zip((first.train_means, first.test_neg_elbo, first.inactive_dims),
                    (again.train_means, again.test_neg_elbo, again.inactive_dims)):
        np.testing.assert_array_equal(a, b)

    test = load_split("test", limit=200, as_uint8=True)
    elbo_file = cache_path(small, test.images, tmp_path, "neg-elbo-4")
    means_file = cache_path(small, load_split("train", limit=200, as_uint8=True).images, tmp_path)
    elbo_file.write_bytes(b"\x93NUMPY garbage")
    np.save(means_file, np.full((200, small.latent_dim), np.nan, np.float32))  # right shape, not finite
    repaired = model_reference(small, limit=200, folder=tmp_path)
    np.testing.assert_array_equal(repaired.train_means, first.train_means)
    np.testing.assert_allclose(repaired.test_neg_elbo, first.test_neg_elbo)
    assert np.isfinite(np.load(means_file)).all() and np.load(elbo_file).shape == (200,)


def test_iwae_nll_checks_its_arguments(vae2d, digits):
    from vaedesk.insight.evaluation import iwae_nll

    with pytest.raises(VaedeskError, match="autoencoder"):
        iwae_nll(vaedesk.load_model("mnist-ae-2d"), digits.images, 8)
    for k in (0, 5001, 2.0):
        with pytest.raises(VaedeskError, match="iwae samples"):
            iwae_nll(vae2d, digits.images, k)
    # Seeded: the same call gives the same estimate.
    assert iwae_nll(vae2d, digits.images, 16, batch=3) == iwae_nll(vae2d, digits.images, 16, batch=3)


def test_eval_iwae_json_is_beside_the_neg_elbo(small, tmp_path, capsys):
    from vaedesk.cli import main
    from vaedesk.data.datasets import SPLIT_FILES
    from vaedesk.data.idx import write_idx

    for split, n in (("train", 300), ("test", 200)):  # a small data folder: a quick eval
        raw = load_split(split, limit=n, as_uint8=True)
        images, labels = SPLIT_FILES[split]
        write_idx(tmp_path / images, raw.images)
        write_idx(tmp_path / labels, raw.labels.astype(np.uint8))
    assert main(["eval", "--model", str(small.path), "--data", str(tmp_path), "--iwae", "8", "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert "iwae_8" in metrics and metrics["iwae_8"] <= metrics["neg_elbo"] + 0.5
    assert main(["eval", "--model", str(small.path), "--data", str(tmp_path), "--iwae", "8"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "negative ELBO" in lines[1] and "IWAE" in lines[2] and "K=8" in lines[2]


def test_vaedesk_explain_is_the_function_whatever_was_imported(vae2d, ref2d, digits):
    import vaedesk.insight.explanation  # noqa: F401  (the module has its own name: no clash with the function)

    r = vaedesk.explain(vae2d, digits.images[0], samples=4, reference=ref2d)
    assert isinstance(r, vaedesk.DrawingReport) and vaedesk.model_reference is model_reference


def test_eval_refuses_a_bad_iwae_count_in_one_line(capsys):
    from vaedesk.cli import main

    for bad in ("0", "5001", "many"):
        with pytest.raises(SystemExit) as info:
            main(["eval", "--iwae", bad])
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--iwae" in err
