import numpy as np
import pytest
from PIL import Image

from vaedesk.data.datasets import load_split
from vaedesk.errors import ExportCancelled, ExportError, LatentError
from vaedesk.latent.morphing import morph, morph_frames, resolve_endpoint


def test_endpoints_of_every_kind(tiny_model, tmp_path):
    test = load_split("test")
    expected = tiny_model.encode(test.images[7][None]).mean[0]
    np.testing.assert_allclose(resolve_endpoint(tiny_model, "test:7"), expected)
    np.testing.assert_allclose(resolve_endpoint(tiny_model, test.images[7]), expected)
    np.testing.assert_allclose(resolve_endpoint(tiny_model, "0.5,-1.2"), [0.5, -1.2])
    np.testing.assert_allclose(resolve_endpoint(tiny_model, np.array([1.0, 2.0])), [1.0, 2.0])
    path = tmp_path / "d.png"
    Image.fromarray((test.images[7] * 255).astype(np.uint8)).save(path)
    from_file = resolve_endpoint(tiny_model, str(path))
    assert np.linalg.norm(from_file - expected) < 0.5  # preprocessing an MNIST digit changes it little


def test_frames_start_and_end_at_the_endpoints(tiny_model):
    frames = morph_frames(tiny_model, ["0,0", "1,0", "1,1"], frames=9)
    assert frames.shape == (9, 28, 28)
    np.testing.assert_allclose(frames[0], tiny_model.decode(np.array([[0.0, 0.0]]))[0], atol=1e-6)
    np.testing.assert_allclose(frames[-1], tiny_model.decode(np.array([[1.0, 1.0]]))[0], atol=1e-6)


def test_gif_written(tiny_model, tmp_path):
    path = morph(tiny_model, ["test:0", "test:1"], tmp_path / "a.gif", frames=12, fps=10, size=84)
    with Image.open(path) as gif:
        assert gif.n_frames == 12 and gif.size == (84, 84) and gif.info["duration"] == 100


@pytest.mark.parametrize(
    "endpoints, frames, error",
    [(["0,0"], 10, LatentError), (["0,0", "1,1"], 0, ExportError), (["0,0", np.zeros(5)], 10, LatentError)],
)
def test_bad_morphs(tiny_model, tmp_path, endpoints, frames, error):
    with pytest.raises(error):
        morph(tiny_model, endpoints, tmp_path / "a.gif", frames=frames)
    assert not any(tmp_path.iterdir())


def test_cancel_leaves_no_file(tiny_model, tmp_path):
    target = tmp_path / "a.gif"
    with pytest.raises(ExportCancelled):
        morph(tiny_model, ["0,0", "1,1"], target, frames=20, should_cancel=lambda: True)
    assert not any(tmp_path.iterdir())
