import json
import pickle

import numpy as np
import pytest

import vaedesk
from vaedesk.errors import ImageError, LatentError, ModelError
from vaedesk.model import Posterior, load_model


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
    from vaedesk.paths import user_models_dir

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
