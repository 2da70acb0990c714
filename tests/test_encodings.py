import numpy as np

from vaedesk.model.encodings import cache_path, cached_means
from vaedesk.model.model import Model


def _images(n=40, seed=0):
    return np.random.default_rng(seed).random((n, 28, 28), dtype=np.float32)


def test_first_call_encodes_and_fills_the_cache(tiny_model, tmp_path):
    images = _images()
    means = cached_means(tiny_model, images, tmp_path)
    np.testing.assert_array_equal(means, tiny_model.encode(images).mean)
    path = cache_path(tiny_model, images, tmp_path)
    assert path.is_file() and [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left


def test_second_call_reads_the_cache(tiny_model, tmp_path, monkeypatch):
    images = _images()
    first = cached_means(tiny_model, images, tmp_path)
    monkeypatch.setattr(tiny_model, "encode", lambda _x: (_ for _ in ()).throw(AssertionError("encoded again")))
    np.testing.assert_array_equal(cached_means(tiny_model, images, tmp_path), first)


def test_key_follows_the_images_and_the_weights(tiny_model, tmp_path):
    a, b = _images(seed=1), _images(seed=2)
    assert cache_path(tiny_model, a, tmp_path) != cache_path(tiny_model, b, tmp_path)
    other = Model(tiny_model.net, tiny_model.card, tiny_model.path, digest="0" * 64)
    assert cache_path(other, a, tmp_path) != cache_path(tiny_model, a, tmp_path)


def test_a_corrupt_or_mismatched_cache_is_recomputed(tiny_model, tmp_path):
    images = _images()
    path = cache_path(tiny_model, images, tmp_path)
    expected = tiny_model.encode(images).mean
    for content in (b"garbage", None):
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            np.save(path, np.zeros((3, 3), np.float32))  # wrong shape
        else:
            path.write_bytes(content)
        np.testing.assert_array_equal(cached_means(tiny_model, images, tmp_path), expected)
        assert np.load(path).shape == expected.shape  # repaired


def test_a_model_without_a_file_is_not_cached(tiny_model, tmp_path):
    in_memory = Model(tiny_model.net, tiny_model.card)
    images = _images()
    np.testing.assert_array_equal(cached_means(in_memory, images, tmp_path), tiny_model.encode(images).mean)
    assert not any(tmp_path.iterdir())


def test_an_unwritable_cache_folder_still_returns_the_means(tiny_model, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    images = _images()
    np.testing.assert_array_equal(cached_means(tiny_model, images, blocker), tiny_model.encode(images).mean)


def test_uint8_images_give_the_means_of_their_float_pixels(tiny_model, tmp_path):
    raw = np.random.default_rng(1).integers(0, 256, (1500, 28, 28), dtype=np.uint8)
    means = cached_means(tiny_model, raw, tmp_path)
    np.testing.assert_allclose(means, tiny_model.encode(raw / np.float32(255)).mean, atol=1e-6)
    assert means.dtype == np.float32 and means.shape == (1500, tiny_model.latent_dim)
    np.testing.assert_array_equal(cached_means(tiny_model, raw, tmp_path), means)  # from the cache


def test_load_split_as_uint8_keeps_the_file_bytes():
    from vaedesk.data.datasets import load_split

    raw, scaled = load_split("test", limit=50, as_uint8=True), load_split("test", limit=50)
    assert raw.images.dtype == np.uint8
    np.testing.assert_array_equal(raw.labels, scaled.labels)
    np.testing.assert_allclose(raw.images / np.float32(255), scaled.images)
