import numpy as np
import pytest
import torch

from vaedesk.model.model import load_model
from vaedesk.model.nets import AutoEncoder, loss_terms
from vaedesk.training.augment import augment, jitter
from vaedesk.training.config import TrainConfig, TrainingError
from vaedesk.training.loop import train

SMALL = dict(limit=256, batch_size=64, width=8, hidden=32)


def test_tiny_run_reports_progress_and_learns():
    reports = []
    model = train(TrainConfig(epochs=2, **SMALL), on_progress=reports.append, report_every=2)
    assert reports and all(r.recon > 0 and r.kl >= 0 for r in reports)
    ends = [r for r in reports if r.epoch_done]
    assert [r.epoch for r in ends] == [1, 2]
    assert ends[1].test["neg_elbo"] < ends[0].test["neg_elbo"]
    assert model.card["epochs"] == 2 and len(model.card["history"]) == 2


def test_every_distortion_at_once_gives_the_losses_this_recipe_has_always_given():
    # Recorded numbers: reshaping the loop must not move one random number (a different
    # draw moves them in the third digit; thread counts only in the last bits).
    config = TrainConfig(epochs=2, limit=256, batch_size=64, width=4, hidden=16, seed=5, augment=0.6,
                         pen_style=0.5, elastic=1.5, sketches=0.2, jitter=0.3, ema=0.9, beta=2.0)
    last = train(config).card["history"][-1]
    assert last["train_recon"] == pytest.approx(486.6233367919922, rel=1e-7)
    assert last["train_kl"] == pytest.approx(0.03130882978439331, rel=1e-6)
    assert last["test_neg_elbo"] == pytest.approx(488.20897665939333, rel=1e-7)


def test_seed_makes_training_deterministic():
    a = train(TrainConfig(epochs=1, seed=3, **SMALL))
    b = train(TrainConfig(epochs=1, seed=3, **SMALL))
    z = np.array([[0.5, -0.5]], np.float32)
    np.testing.assert_array_equal(a.decode(z), b.decode(z))


def test_ae_has_no_kl_and_saves(tmp_path):
    model = train(TrainConfig(kind="ae", epochs=1, **SMALL))
    assert model.kind == "ae" and model.encode(np.zeros((1, 28, 28))).logvar is None
    path = model.save(tmp_path / "ae")
    assert load_model(path).kind == "ae"


def test_stop_request_ends_early():
    calls = []
    model = train(TrainConfig(epochs=5, **SMALL), should_stop=lambda: calls.append(1) or len(calls) >= 3)
    assert model.card["stopped_early"] and model.card["epochs"] == 0.75


def test_divergence_stops_with_clear_error():
    def poison(report):
        with torch.no_grad():
            for p in model_holder["net"].parameters():
                p.fill_(float("nan"))

    model_holder = {}
    original = AutoEncoder.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        model_holder["net"] = self

    AutoEncoder.__init__ = spy
    try:
        with pytest.raises(TrainingError, match="diverged"):
            train(TrainConfig(epochs=2, **SMALL), on_progress=poison, report_every=1)
    finally:
        AutoEncoder.__init__ = original


@pytest.mark.parametrize(
    "change",
    [dict(kind="gan"), dict(latent_dim=0), dict(epochs=0), dict(lr=-1.0), dict(beta=float("nan")), dict(limit=0),
     dict(augment=1.5), dict(pen_style=-0.1), dict(elastic=-1.0), dict(elastic=9.0), dict(sketches=1.5),
     dict(sketches=float("nan")), dict(jitter=-0.1), dict(jitter=1.5), dict(ema=1.0), dict(ema=-0.5),
     dict(ema=float("inf"))],
)
def test_bad_settings(change):
    with pytest.raises(TrainingError):
        train(TrainConfig(**{**SMALL, **change}))


def test_augment_keeps_range_and_changes_only_some():
    x = torch.rand(64, 28, 28)
    out = augment(x, torch.Generator().manual_seed(0), p=0.5)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    changed = (out != x).flatten(1).any(1).float().mean().item()
    assert 0.2 < changed < 0.8


def test_loss_terms_match_closed_form():
    logits = torch.zeros(1, 28, 28)
    target = torch.zeros(1, 28, 28)
    mean, logvar = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, np.log(4.0)]])
    recon, kl = loss_terms(logits, target, mean, logvar)
    assert recon.item() == pytest.approx(784 * np.log(2), rel=1e-5)
    assert kl.item() == pytest.approx(0.5 + 0.5 * (4 - 1 - np.log(4.0)), rel=1e-5)


def test_fine_tuning_records_its_parent(tmp_path):
    parent = train(TrainConfig(epochs=1, **SMALL), command="vaedesk train --parent")
    parent.save(tmp_path / "parent")
    child = train(TrainConfig(epochs=1, **SMALL), command="vaedesk train --child",
                  initial=load_model(tmp_path / "parent"))
    assert child.card["fine_tuned_from"]["command"] == "vaedesk train --parent"
    assert child.card["fine_tuned_from"]["weights_sha256"] == parent.card["weights_sha256"]
    with pytest.raises(TrainingError, match="cannot fine-tune"):
        train(TrainConfig(kind="ae", epochs=1, **SMALL), initial=load_model(tmp_path / "parent"))


def _fine_tuned(tmp_path, **frozen):
    """A saved one-epoch parent, a two-epoch child fine-tuned from it with ``frozen`` parts,
    and both models' posteriors of eight noise images."""
    train(TrainConfig(epochs=1, **SMALL)).save(tmp_path / "parent")
    parent = load_model(tmp_path / "parent")
    child = train(TrainConfig(epochs=2, lr=3e-3, **frozen, **SMALL), initial=load_model(tmp_path / "parent"))
    digits = np.random.default_rng(0).random((8, 28, 28), dtype=np.float32)
    return parent, child, parent.encode(digits), child.encode(digits)


def test_decoder_only_keeps_every_place_and_improves_the_reconstruction(tmp_path):
    parent, child, before, after = _fine_tuned(tmp_path, decoder_only=True)
    np.testing.assert_array_equal(before.mean, after.mean)  # the encoder did not move
    np.testing.assert_array_equal(before.logvar, after.logvar)
    z = np.zeros((1, 2), np.float32)
    assert not np.array_equal(parent.decode(z), child.decode(z))  # the decoder did
    assert child.card["training"]["decoder_only"] is True
    assert child.card["history"][-1]["test_recon"] < parent.card["history"][-1]["test_recon"]
    # (the parent was saved in float16: its KL moved by that rounding, not by training)
    assert child.card["history"][-1]["test_kl"] == pytest.approx(parent.card["history"][-1]["test_kl"], rel=1e-2)
    with pytest.raises(TrainingError, match="needs a model to fine-tune"):
        train(TrainConfig(epochs=1, decoder_only=True, **SMALL))


def test_keep_means_keeps_every_place_and_trains_the_spread(tmp_path):
    _parent, child, before, after = _fine_tuned(tmp_path, keep_means=True)
    np.testing.assert_array_equal(before.mean, after.mean)
    assert not np.array_equal(before.logvar, after.logvar)
    assert child.card["training"]["keep_means"] is True and "--keep-means" in TrainConfig(
        keep_means=True).to_argv("out")
    with pytest.raises(TrainingError, match="choose one"):
        TrainConfig(keep_means=True, decoder_only=True)
    with pytest.raises(TrainingError, match="plain autoencoder"):
        TrainConfig(kind="ae", keep_means=True)


def test_pen_style_redraws_digits_with_a_uniform_pen():
    from vaedesk.data.datasets import load_split
    from vaedesk.data.penstyle import pen_style

    images = load_split("train", limit=64).images
    pen = pen_style(images)
    assert pen.shape == images.shape and pen.min() >= 0 and pen.max() <= 1
    # Same digit, same place: the ink overlaps; about MNIST's ink mass.
    overlap = (np.minimum(pen, images).sum((1, 2)) / images.sum((1, 2))).mean()
    assert overlap > 0.6
    assert 0.7 < pen.sum() / images.sum() < 1.3
    # Uniform pen: nearly binary strokes, unlike handwriting's grey pressure.
    assert ((pen > 0.2) & (pen < 0.8)).mean() < ((images > 0.2) & (images < 0.8)).mean()


def test_pen_style_is_computed_once_per_data_set(tmp_path, monkeypatch):
    from vaedesk.data import penstyle
    from vaedesk.data.datasets import load_split

    images = load_split("train", limit=40).images
    first = penstyle.cached_pen_style(images, tmp_path)
    np.testing.assert_array_equal(first, penstyle.pen_style(images))
    assert [p.suffix for p in tmp_path.iterdir()] == [".npy"]  # one file, no temporary left
    monkeypatch.setattr(penstyle, "pen_style", lambda _images: pytest.fail("thinned again"))
    np.testing.assert_array_equal(penstyle.cached_pen_style(images, tmp_path), first)
    next(tmp_path.iterdir()).write_bytes(b"damaged")  # a damaged cache is recomputed
    monkeypatch.undo()
    np.testing.assert_array_equal(penstyle.cached_pen_style(images, tmp_path), first)


def test_pen_style_batches_give_the_same_drawings():
    from vaedesk.data.datasets import load_split
    from vaedesk.data.penstyle import pen_style

    images = load_split("train", limit=50).images
    np.testing.assert_array_equal(pen_style(images, batch=7), pen_style(images, batch=50))


def test_drawings_and_warps_train_deterministically_and_are_recorded():
    settings = dict(epochs=1, seed=5, augment=0.5, elastic=1.5, sketches=0.3, **SMALL)
    a, b = train(TrainConfig(**settings)), train(TrainConfig(**settings))
    z = np.array([[0.5, -0.5]], np.float32)
    np.testing.assert_array_equal(a.decode(z), b.decode(z))
    assert a.card["training"]["sketches"] == 0.3 and a.card["training"]["elastic"] == 1.5
    argv = TrainConfig(**settings).to_argv("out")
    assert argv[argv.index("--sketches") + 1] == "0.3" and argv[argv.index("--elastic") + 1] == "1.5"
    plain = train(TrainConfig(epochs=1, seed=5, augment=0.5, **SMALL))
    assert not np.array_equal(plain.decode(z), a.decode(z))


def test_without_warps_augment_draws_what_it_always_did():
    """elastic=0 takes no extra random numbers: the recipes in the shipped cards reproduce."""
    x = torch.rand(32, 28, 28)
    old = augment(x, torch.Generator().manual_seed(4), p=0.5)
    new = augment(x, torch.Generator().manual_seed(4), p=0.5, elastic=0.0)
    warped = augment(x, torch.Generator().manual_seed(4), p=0.5, elastic=2.0)
    assert torch.equal(old, new) and not torch.equal(old, warped)
    assert warped.min() >= 0 and warped.max() <= 1


def test_sketches_need_digit_data():
    from vaedesk.data.datasets import FASHION_MNIST_DIR

    if not FASHION_MNIST_DIR.is_dir():
        pytest.skip("Fashion-MNIST is not installed")
    with pytest.raises(TrainingError, match="needs digit data"):
        train(TrainConfig(epochs=1, sketches=0.2, data_dir=str(FASHION_MNIST_DIR), **SMALL))


def test_jitter_moves_some_digits_a_little_and_takes_no_random_numbers_when_off():
    from vaedesk.data.datasets import load_split

    x = torch.from_numpy(load_split("train", limit=200).images)
    generator = torch.Generator().manual_seed(2)
    out = jitter(x, generator, 0.5)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    changed = (out != x).flatten(1).any(1)
    assert 0.3 < changed.float().mean().item() < 0.7
    # Still the same digit: a jittered copy is far closer to its original than to other digits.
    a, b = out[changed].flatten(1), x[changed].flatten(1)
    own = torch.nn.functional.cosine_similarity(a, b)
    others = torch.nn.functional.cosine_similarity(a, b.roll(1, 0))
    assert own.min() > 0.6 and own.mean() > others.mean() + 0.3
    state = generator.get_state()
    assert jitter(x, generator, 0.0) is x and torch.equal(generator.get_state(), state)


def test_the_moving_average_of_the_weights_is_what_a_run_keeps(tmp_path):
    from vaedesk.training.checkpoint import load_checkpoint

    parent = train(TrainConfig(epochs=1, seed=1, **SMALL))
    before = {k: v.clone() for k, v in parent.net.state_dict().items()}
    one_step = dict(SMALL, limit=64, batch_size=64)  # one optimiser step: the average is easy to check
    model = train(TrainConfig(epochs=1, seed=2, lr=0.01, ema=0.75, jitter=0.5, **one_step),
                  initial=parent, run_dir=tmp_path / "m.run")
    state = load_checkpoint(tmp_path / "m.run")
    for key, kept in model.net.state_dict().items():
        trained = state["net"][key]
        torch.testing.assert_close(kept, 0.75 * before[key] + 0.25 * trained)
        torch.testing.assert_close(state["average"][key], kept)
    assert not all(torch.equal(state["net"][k], before[k]) for k in before)
    # The test loss in the card is the kept weights'.
    from vaedesk.data.datasets import load_split
    from vaedesk.insight.evaluation import evaluate_loss

    test = torch.from_numpy(load_split("test").images)
    expected = evaluate_loss(model.net, test, seed=2)["neg_elbo"]
    assert model.card["history"][0]["test_neg_elbo"] == pytest.approx(expected)
    assert model.card["training"]["ema"] == 0.75 and model.card["training"]["jitter"] == 0.5
    argv = TrainConfig(ema=0.75, jitter=0.5).to_argv("out")
    assert argv[argv.index("--ema") + 1] == "0.75" and argv[argv.index("--jitter") + 1] == "0.5"
    assert "--ema" not in TrainConfig().to_argv("out") and "--jitter" not in TrainConfig().to_argv("out")
