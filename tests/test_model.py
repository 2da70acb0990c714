import json
import pickle

import numpy as np
import pytest

import vaedesk
from vaedesk.errors import ImageError, LatentError, ModelError
from vaedesk.model.model import Posterior, load_model


def test_encode_decode_shapes(tiny_model):
    images = np.random.default_rng(0).random((5, 28, 28), dtype=np.float32)
    posterior = tiny_model.encode(images)
    assert isinstance(posterior, Posterior)
    assert posterior.mean.shape == posterior.logvar.shape == (5, tiny_model.latent_dim)
    np.testing.assert_allclose(posterior.std, np.exp(0.5 * posterior.logvar), rtol=1e-6)
    decoded = tiny_model.decode(posterior.mean)
    assert decoded.shape == (5, 28, 28) and decoded.dtype == np.float32
    assert decoded.min() >= 0 and decoded.max() <= 1
    assert tiny_model.kind == "vae" and tiny_model.latent_dim == 2


def test_single_image_and_single_point(tiny_model):
    image = np.zeros((28, 28), np.float32)
    assert tiny_model.encode(image).mean.shape == (1, 2)
    assert tiny_model.decode(np.zeros(2)).shape == (1, 28, 28)


def test_batch_matches_single(tiny_model):
    images = np.random.default_rng(1).random((4, 28, 28), dtype=np.float32)
    batch = tiny_model.encode(images).mean
    singles = np.concatenate([tiny_model.encode(img[None]).mean for img in images])
    np.testing.assert_allclose(batch, singles, atol=1e-5)


def test_posterior_samples(tiny_model):
    posterior = tiny_model.encode(np.zeros((2, 28, 28), np.float32))
    samples = posterior.sample(2000, np.random.default_rng(0))
    assert samples.shape == (2, 2000, 2)
    np.testing.assert_allclose(samples.mean(1), posterior.mean, atol=0.1 * posterior.std.max() + 1e-3)
    np.testing.assert_allclose(samples.std(1), posterior.std, rtol=0.1)


def test_posterior_kl_is_trainings_formula():
    import torch

    from vaedesk.model.nets import kl_to_prior

    rng = np.random.default_rng(3)
    mean = rng.normal(0, 2, (5, 16)).astype(np.float32)
    logvar = rng.normal(-2, 1.5, (5, 16)).astype(np.float32)
    expected = kl_to_prior(torch.from_numpy(mean).double(), torch.from_numpy(logvar).double()).numpy()
    np.testing.assert_allclose(Posterior(mean, logvar).kl(), expected, rtol=1e-12)
    assert Posterior(mean, None).kl().tolist() == [0.0] * 5


@pytest.mark.parametrize("bad", [np.zeros((2, 27, 28)), np.full((1, 28, 28), np.nan), np.full((1, 28, 28), 255.0)])
def test_encode_rejects_bad_images(tiny_model, bad):
    with pytest.raises(ImageError):
        tiny_model.encode(bad)


@pytest.mark.parametrize("bad", [np.zeros((1, 3)), np.array([[np.inf, 0.0]])])
def test_decode_rejects_bad_points(tiny_model, bad):
    with pytest.raises(LatentError):
        tiny_model.decode(bad)


def test_save_load_round_trip(tiny_model, tmp_path):
    path = tiny_model.save(tmp_path / "copy.safetensors")
    again = load_model(path)
    assert again.name == "copy" and again.card["weights_sha256"] == tiny_model.card["weights_sha256"]
    z = np.array([[0.3, -0.7]], np.float32)
    np.testing.assert_array_equal(again.decode(z), tiny_model.decode(z))
    assert load_model(tmp_path / "copy.json").name == "copy"  # the card path works too


def test_user_models_are_listed_and_loadable(tiny_model, _isolated_home):
    from vaedesk.support.paths import user_models_dir

    tiny_model.save(user_models_dir() / "my-model")
    assert "my-model" in vaedesk.list_models()
    assert vaedesk.load_model("my-model").name == "my-model"


def test_shipped_models_listed_default_first():
    names = vaedesk.list_models()
    assert names[0] == "mnist-vae-2d"
    assert {"mnist-vae-2d", "mnist-ae-2d"} <= set(names)
    assert any(n.startswith("mnist-vae-") and n != "mnist-vae-2d" for n in names)


def test_default_model_loads():
    model = vaedesk.load_model()
    assert model.name == "mnist-vae-2d" and model.kind == "vae" and model.latent_dim == 2
    for key in ("kind", "latent_dim", "architecture", "dataset", "seed", "epochs", "command", "metrics", "created"):
        assert key in model.card


def _copy(tiny_model_path, tmp_path):
    weights = tmp_path / "m.safetensors"
    weights.write_bytes(tiny_model_path.read_bytes())
    (tmp_path / "m.json").write_text(tiny_model_path.with_suffix(".json").read_text())
    return weights


def _fails(path, match):
    with pytest.raises(ModelError, match=match) as info:
        load_model(path)
    assert "\n" not in str(info.value)


def test_unknown_name():
    _fails("no-such-model", "no model named")


def test_missing_weights(tmp_path):
    _fails(tmp_path / "absent.safetensors", "not found")


def test_missing_card(tiny_model_path, tmp_path):
    weights = _copy(tiny_model_path, tmp_path)
    weights.with_suffix(".json").unlink()
    _fails(weights, "card not found")


def test_corrupt_card(tiny_model_path, tmp_path):
    weights = _copy(tiny_model_path, tmp_path)
    weights.with_suffix(".json").write_text("{not json")
    _fails(weights, "not valid JSON")


def test_truncated_weights(tiny_model_path, tmp_path):
    weights = _copy(tiny_model_path, tmp_path)
    weights.write_bytes(weights.read_bytes()[:200])
    _fails(weights, "SHA-256")


def test_truncated_weights_without_digest(tiny_model_path, tmp_path):
    weights = _copy(tiny_model_path, tmp_path)
    card = json.loads(weights.with_suffix(".json").read_text())
    del card["weights_sha256"]
    weights.with_suffix(".json").write_text(json.dumps(card))
    weights.write_bytes(weights.read_bytes()[:200])
    _fails(weights, "not a valid safetensors")


def test_card_that_lies_about_the_architecture(tiny_model_path, tmp_path):
    weights = _copy(tiny_model_path, tmp_path)
    card = json.loads(weights.with_suffix(".json").read_text())
    card["latent_dim"] = 16
    weights.with_suffix(".json").write_text(json.dumps(card))
    _fails(weights, "do not match the card")


@pytest.mark.parametrize(
    "change, match",
    [({"kind": "gan"}, "kind"), ({"latent_dim": -1}, "latent_dim"), ({"architecture": {"name": "x"}}, "architecture")],
)
def test_invalid_card_fields(tiny_model_path, tmp_path, change, match):
    weights = _copy(tiny_model_path, tmp_path)
    card = json.loads(weights.with_suffix(".json").read_text())
    card.update(change)
    weights.with_suffix(".json").write_text(json.dumps(card))
    _fails(weights, match)


class _Exploit:
    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path('PWNED').write_text('x')",))


def test_pickle_payload_is_refused(tiny_model_path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    weights = _copy(tiny_model_path, tmp_path)
    card = json.loads(weights.with_suffix(".json").read_text())
    del card["weights_sha256"]
    weights.with_suffix(".json").write_text(json.dumps(card))
    weights.write_bytes(pickle.dumps(_Exploit()))
    _fails(weights, "not a valid safetensors")
    assert not (tmp_path / "PWNED").exists()


def test_folder_is_not_a_model(tmp_path):
    _fails(tmp_path, "folder")


# --------------------------------------------------------------------------- hostile cards and weights


def _with_card(tiny_model_path, tmp_path, **changes):
    weights = _copy(tiny_model_path, tmp_path)
    card = json.loads(weights.with_suffix(".json").read_text())
    card.update(changes)
    weights.with_suffix(".json").write_text(json.dumps(card))
    return weights


@pytest.mark.parametrize("change, match", [
    ({"metrics": {"neg_elbo": "abc"}}, r'card field metrics.neg_elbo must be a finite number, not "abc"$'),
    ({"metrics": {"neg_elbo": None}}, r"card field metrics.neg_elbo must be a finite number, not null$"),
    ({"metrics": {"neg_elbo": float("nan")}}, r"card field metrics.neg_elbo must be a finite number, not NaN$"),
    ({"training": []}, r"card field training must be an object, not a list$"),
    ({"training": {"data_dir": 3}}, r"card field training.data_dir must be a string or null, not 3$"),
    ({"history": [{"epoch": "one"}]}, r'card field history\[0\].epoch must be a number, not "one"$'),
    ({"name": "\x1b[31m" * 100}, r"card field name must be a string of at most 255 characters"),
    ({"fine_tuned_from": {"fine_tuned_from": {"seed": 1.5}}},
     r"card field fine_tuned_from.fine_tuned_from.seed must be a whole number or null, not 1.5$"),
])
def test_every_card_field_is_checked_at_load(tiny_model_path, tmp_path, change, match):
    _fails(_with_card(tiny_model_path, tmp_path, **change), match)


def test_a_long_fine_tuning_chain_is_bounded(tiny_model_path, tmp_path):
    chain = None
    for _ in range(150):
        chain = {"name": "parent", "fine_tuned_from": chain}
    _fails(_with_card(tiny_model_path, tmp_path, fine_tuned_from=chain), "nests more than 100 parents deep")


def test_cards_written_by_training_pass_the_schema(tiny_model):
    from vaedesk.model.card import card_problem

    assert card_problem(json.loads(json.dumps(tiny_model.card))) is None
    for name in vaedesk.list_models():  # the shipped cards
        assert card_problem(vaedesk.load_model(name).card) is None


def test_save_refuses_a_card_it_could_not_read_back(tiny_model, tmp_path):
    model = vaedesk.Model(tiny_model.net, dict(tiny_model.card, metrics={"neg_elbo": float("nan")}))
    with pytest.raises(ModelError, match="metrics.neg_elbo must be a finite number"):
        model.save(tmp_path / "m")
    assert not any(tmp_path.iterdir())


def _loads_in_time(path):
    """load_model(path)'s ModelError, failing (not hanging) if it does not return at once."""
    import threading

    result = {}

    def run():
        try:
            load_model(path)
        except ModelError as exc:
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "load_model hangs"
    assert "\n" not in str(result["error"])
    return str(result["error"])


def test_a_card_that_is_a_fifo_or_a_device(tiny_model_path, tmp_path):
    import os

    weights = _copy(tiny_model_path, tmp_path)
    card = weights.with_suffix(".json")
    card.unlink()
    os.mkfifo(card)
    assert "pipe" in _loads_in_time(weights)  # it used to wait for a writer forever
    card.unlink()
    card.symlink_to("/dev/zero")
    assert "device" in _loads_in_time(weights)  # it used to read without end
    card.unlink()
    card.write_text(" " * (4 * 1024 * 1024) + "{}")
    assert "larger than 4,194,304 bytes" in _loads_in_time(weights)


def test_weights_that_are_a_fifo(tiny_model_path, tmp_path):
    import os

    weights = _copy(tiny_model_path, tmp_path)
    weights.unlink()
    os.mkfifo(weights)
    assert "pipe" in _loads_in_time(weights)


def test_integer_weights_are_refused(tiny_model, tmp_path):
    import torch
    from safetensors.torch import save_file

    path = tiny_model.save(tmp_path / "m")
    card = json.loads(path.with_suffix(".json").read_text())
    del card["weights_sha256"]
    path.with_suffix(".json").write_text(json.dumps(card))
    state = {k: v.to(torch.int64) for k, v in tiny_model.net.state_dict().items()}
    save_file(state, str(path))
    _fails(path, r"weights must be floating point, not int64 \('decoder.+' and \d+ more\)$")


@pytest.fixture
def overflowing_model(tiny_model):
    """Finite weights (±1e30) whose activations overflow to infinity and then NaN."""
    import torch

    net = vaedesk.load_model(tiny_model.path).net
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.where(torch.arange(p.numel()).reshape(p.shape) % 2 == 0, 1e30, -1e30))
    return vaedesk.Model(net, dict(tiny_model.card))


def test_non_finite_outputs_are_an_error(overflowing_model):
    with pytest.raises(ModelError, match="the model produced NaN or infinite values for these images"):
        overflowing_model.encode(np.full((1, 28, 28), 0.5, np.float32))
    with pytest.raises(ModelError, match="the model produced NaN or infinite values for these latent points"):
        overflowing_model.decode(np.ones((1, 2)))


@pytest.mark.parametrize("z", [[[1e38, 1e38]], [[0.0, -1000.5]], [[10.0**300, 0.0]]])
def test_decode_refuses_latents_beyond_the_limit(tiny_model, z):
    with pytest.raises(LatentError, match=r"^latent coordinates must lie within ±1000, got -?1e\+\d+|-1000.5$"):
        tiny_model.decode(z)
    tiny_model.decode([[1000.0, -1000.0]])  # the limit itself is fine


@pytest.mark.parametrize("images", ["abc", [[0.0, 0.5], [0.5]], [[object()]], np.zeros((28, 28), complex), b"\x00"])
def test_encode_refuses_what_is_not_numbers(tiny_model, images):
    with pytest.raises(ImageError, match=r"^images must be an array of real numbers, not \w+"):
        tiny_model.encode(images)


@pytest.mark.parametrize("z", ["0,0", [[0.0, 1.0], [2.0]], [[10**400, 0]], {"x": 1}])
def test_decode_refuses_what_is_not_numbers(tiny_model, z):
    with pytest.raises(LatentError, match=r"^latent points must be an array of real numbers, not \w+|expected latent"):
        tiny_model.decode(z)


@pytest.mark.parametrize("name", [5, b"mnist-vae-2d", 1.5, object()])
def test_load_model_refuses_what_is_not_a_name(name):
    _fails(name, "a model is named by a name or a path, not")


def test_a_data_folder_name_the_system_refuses_is_not_on_this_machine(tiny_model_path, tmp_path):
    from vaedesk.data.datasets import trained_on

    model = load_model(_with_card(tiny_model_path, tmp_path, training={"data_dir": "x" * 5000}))
    assert trained_on(model.card) == (None, f"its data set ({'x' * 5000}) is not on this machine, "
                                            "so the MNIST test set is shown")


# ---------------------------------------------------------------- weights stored as float16


def test_weights_are_saved_as_float16_and_loaded_as_float32(tiny_model, tmp_path):
    import hashlib

    import torch
    from safetensors.torch import load_file

    path = tiny_model.save(tmp_path / "m")
    assert {t.dtype for t in load_file(str(path)).values()} == {torch.float16}
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["weights_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert card["weights_dtype"] == "float16"
    again = load_model(path)
    assert {t.dtype for t in again.net.state_dict().values()} == {torch.float32}
    for name, tensor in again.net.state_dict().items():  # the float16 values, exactly
        np.testing.assert_array_equal(tensor.numpy(), tiny_model.net.state_dict()[name].half().float().numpy())


def test_older_float32_weights_still_load(tiny_model, tmp_path):
    import hashlib

    import torch
    from safetensors.torch import save

    path = tiny_model.save(tmp_path / "m")
    blob = save({k: v.to(torch.float32).contiguous() for k, v in tiny_model.net.state_dict().items()})
    path.write_bytes(blob)
    card = json.loads(path.with_suffix(".json").read_text())
    del card["weights_dtype"]  # as a card written before float16 weights
    card["weights_sha256"] = hashlib.sha256(blob).hexdigest()
    path.with_suffix(".json").write_text(json.dumps(card))
    old = load_model(path)
    z = np.array([[0.3, -0.7]], np.float32)
    np.testing.assert_array_equal(old.decode(z), tiny_model.decode(z))


def test_values_beyond_float16_keep_float32(tiny_model, tmp_path):
    import torch
    from safetensors.torch import load_file

    from vaedesk.model.model import Model

    net = load_model(tiny_model.path).net
    with torch.no_grad():
        net.decoder.dense[0].weight[0, 0] = 1e6  # float16 ends at 65504
        net.decoder.dense[0].weight[0, 1] = 1.0001  # not a float16 value
    path = Model(net, dict(tiny_model.card)).save(tmp_path / "m")
    stored = load_file(str(path))
    assert stored["decoder.dense.0.weight"].dtype == torch.float32
    assert stored["decoder.dense.0.weight"][0, 1].item() == pytest.approx(1.0001, abs=1e-7)
    assert stored["encoder.mean.weight"].dtype == torch.float16
    assert json.loads(path.with_suffix(".json").read_text())["weights_dtype"] == "float16, float32"
    assert load_model(path).net.decoder.dense[0].weight[0, 0].item() == 1e6


def test_round_to_stored_makes_the_network_what_its_file_will_hold(tmp_path):
    import torch

    from vaedesk.model.model import Model, new_card, round_to_stored
    from vaedesk.model.nets import AutoEncoder

    torch.manual_seed(0)
    net = AutoEncoder("vae", 2, width=4, hidden=8).eval()
    round_to_stored(net)
    model = Model(net, new_card("vae", 2, 4, 8))
    z = np.array([[0.3, -0.7], [2.0, 1.0]], np.float32)
    before = model.decode(z)
    np.testing.assert_array_equal(load_model(model.save(tmp_path / "m")).decode(z), before)
