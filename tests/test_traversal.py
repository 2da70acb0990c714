"""Per-dimension traversals (vaedesk.latent.traversal) and `vaedesk traverse`."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image

from vaedesk.cli import main
from vaedesk.errors import LatentError
from vaedesk.latent.traversal import INACTIVE_KL, dimension_information, save_traversal, traverse


class Linear:
    """A stand-in decoder whose image brightness is the latent's first coordinate: a
    traversal must move only the swept dimension."""

    latent_dim = 3

    def decode(self, z):
        images = np.zeros((len(z), 28, 28), np.float32)
        images[:, 0, :3] = z[:, :3]
        return images


def test_each_row_sweeps_one_dimension_and_holds_the_others():
    origin = np.array([0.5, -1.0, 2.0])
    result = traverse(Linear(), origin, steps=5, span=2.0, information=[0.5, 3.0, 0.0])
    assert result.order.tolist() == [1, 0, 2]  # by decreasing information
    assert result.active.tolist() == [True, True, False] and INACTIVE_KL > 0
    np.testing.assert_allclose(result.values, [-2, -1, 0, 1, 2])
    for row, d in enumerate(result.order):
        swept = result.images[row, :, 0, :3]
        np.testing.assert_allclose(swept[:, d], result.values)
        others = [k for k in range(3) if k != d]
        np.testing.assert_allclose(swept[:, others], np.broadcast_to(origin[others], (5, 2)))
    assert result.grid().shape == (3 * 30 - 2, 5 * 30 - 2)
    assert result.frames().shape == (5, 3 * 30 - 2, 28)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"steps": 1}, "steps"), ({"steps": 10**6}, "steps"), ({"span": 0.0}, "span"), ({"span": 100.0}, "span"),
     ({"dims": [0, 5]}, "dims"), ({"dims": [0.5]}, "dims")],
)
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(LatentError, match=message):
        traverse(Linear(), np.zeros(3), information=np.zeros(3), **kwargs)


def test_real_model_information_marks_unused_dimensions():
    import vaedesk

    model = vaedesk.load_model("mnist-vae-16d")
    test = vaedesk.load_split("test", limit=500)
    info = dimension_information(model, test.images)
    assert info.shape == (16,) and (info >= 0).all()
    assert info.max() > 0.5  # the model uses some dimensions...
    result = traverse(model, model.encode(test.images[:1]).mean[0], steps=3, information=info)
    assert result.images.shape == (16, 3, 28, 28)
    # ...and an inactive one changes (almost) nothing when swept.
    if (~result.active).any():
        row = int(np.flatnonzero(~result.active[result.order])[0])
        assert np.abs(result.images[row, 0] - result.images[row, -1]).max() < 0.1


def test_save_as_png_grid_or_gif(tmp_path):
    swept = traverse(Linear(), np.zeros(3), steps=4, span=1.0, information=np.ones(3))
    result = dataclasses.replace(swept, images=np.clip(swept.images, 0, 1))  # decoder outputs lie in [0, 1]
    png = save_traversal(result, tmp_path / "t.png")
    with Image.open(png) as image:
        assert image.size[0] > image.size[1] / 3  # 4 columns, 3 rows
    gif = save_traversal(result, tmp_path / "t.gif")
    with Image.open(gif) as image:
        assert image.n_frames == 2 * 4 - 2  # played forward and back
    with pytest.raises(LatentError, match=r"\.png .* \.gif"):
        save_traversal(result, tmp_path / "t.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.gif", "t.png"]


def test_command_line(capsys, tmp_path):
    out = tmp_path / "traversal.png"
    assert main(["traverse", "--model", "mnist-vae-2d", "--from", "test:3", "--out", str(out), "--steps", "5"]) == 0
    assert "2 dimensions by average KL" in capsys.readouterr().out
    with Image.open(out) as image:
        assert image.size[0] > image.size[1]  # 5 steps wide, 2 dimensions tall
    assert main(["traverse", "--from", "1,2,3", "--out", str(tmp_path / "x.png")]) == 1
    assert "expected 2" in capsys.readouterr().err
    assert main(["traverse", "--from", "test:3", "--out", str(tmp_path / "x.txt")]) == 1
    assert not (tmp_path / "x.txt").exists()
