"""Training data beyond IDX folders: Quick, Draw! numpy bitmaps and images in class
sub-folders, with a test split held out deterministically (vaedesk.data.datasets)."""

import json
import shutil

import numpy as np
import pytest
from PIL import Image, ImageDraw

from vaedesk.data.datasets import MAX_CLASSES, class_names, dataset_name, load_split, trained_categories, trained_on
from vaedesk.errors import DataError
from vaedesk.training.config import TrainConfig, TrainingError

DOODLES = 70  # per category: 10 held out for testing (1/7), 60 for training


def _doodles(kind: int, n: int, seed: int) -> np.ndarray:
    """``n`` 28x28 doodles of a shape (0 ring, 1 box, 2 bar), white on black like Quick, Draw!'s,
    each numbered in its first two pixels so tests can tell them apart."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:28, :28]
    out = np.zeros((n, 28, 28), np.uint8)
    for i in range(n):
        cy, cx = rng.integers(11, 17, 2)
        r = rng.integers(6, 10)
        if kind == 0:
            ink = np.abs(np.hypot(yy - cy, xx - cx) - r) < 1.2
        elif kind == 1:
            ink = (np.maximum(np.abs(yy - cy), np.abs(xx - cx)) == r)
        else:
            ink = (np.abs(xx - cx) <= 1) & (np.abs(yy - cy) <= r)
        out[i][ink] = 255
        out[i, 0, :2] = (i // 256, i % 256)
    return out.reshape(n, 784)


def _ids(images: np.ndarray) -> list[int]:
    pixels = np.rint(np.asarray(images, np.float64) * (255 if images.dtype != np.uint8 else 1)).astype(int)
    return (pixels[:, 0, 0] * 256 + pixels[:, 0, 1]).tolist()


@pytest.fixture
def quickdraw(tmp_path):
    """Three categories, one named as Google's public files are."""
    folder = tmp_path / "doodles"
    folder.mkdir()
    for kind, name in enumerate(["cat.npy", "full_numpy_bitmap_house.npy", "tree.npy"]):
        np.save(folder / name, _doodles(kind, DOODLES, seed=kind))
    return folder


def _draw(size, mode, shape, dark_on_light=True):
    w, h = size
    paper, ink = (255, 0) if dark_on_light else (0, 255)
    if mode == "RGB":
        paper, ink = (paper,) * 3, (ink,) * 3
    elif mode == "RGBA":
        paper, ink = (0, 0, 0, 0), (20, 20, 120, 255)  # ink on a transparent background
    image = Image.new(mode, size, paper)
    draw = ImageDraw.Draw(image)
    box = (w * 0.25, h * 0.2, w * 0.75, h * 0.8)
    width = max(2, min(w, h) // 12)
    if shape == "circle":
        draw.ellipse(box, outline=ink, width=width)
    else:
        draw.rectangle(box, outline=ink, width=width)
    return image


@pytest.fixture
def image_folder(tmp_path):
    folder = tmp_path / "shapes"
    specs = [("a.png", (40, 30), "L", True), ("b.jpg", (120, 90), "RGB", True), ("c.png", (64, 64), "RGBA", True),
             ("d.bmp", (28, 28), "L", False), ("e.gif", (50, 70), "L", True), ("f.webp", (200, 150), "RGB", True),
             ("g.JPEG", (33, 47), "RGB", True)]
    for shape in ("square", "circle"):  # made out of name order: classes are sorted by name
        (folder / shape).mkdir(parents=True)
        for name, size, mode, dark in specs:
            _draw(size, mode, shape, dark).save(folder / shape / name)
    (folder / "circle" / "notes.txt").write_text("not an image: ignored")
    (folder / "README").write_text("a file beside the class folders: ignored")
    for junk in ("__MACOSX/circle", ".cache"):  # a Mac's zip leftovers, hidden folders: not classes
        (folder / junk).mkdir(parents=True)
        (folder / junk / "._a.png").write_bytes(b"\x00\x05\x16\x07 resource fork")
    return folder


# --------------------------------------------------------------------------- Quick, Draw!


def test_quickdraw_split_shapes_dtypes_and_pixels(quickdraw):
    train, test = load_split("train", quickdraw), load_split("test", quickdraw)
    assert train.images.shape == (3 * 60, 28, 28) and test.images.shape == (3 * 10, 28, 28)
    for split in (train, test):
        assert split.images.dtype == np.float32 and split.labels.dtype == np.int64
        assert split.images.min() >= 0.0 and split.images.max() <= 1.0
        assert np.bincount(split.labels).tolist() == [len(split) // 3] * 3
    raw = load_split("train", quickdraw, as_uint8=True)
    assert raw.images.dtype == np.uint8
    np.testing.assert_array_equal(raw.images.astype(np.float32) / 255.0, train.images)
    np.testing.assert_array_equal(raw.labels, train.labels)
    # Each image is its category file's row, unchanged.
    rows = np.load(quickdraw / "full_numpy_bitmap_house.npy").reshape(-1, 28, 28)
    house = raw.images[raw.labels == 1]
    np.testing.assert_array_equal(house, rows[_ids(house)])


def test_quickdraw_split_is_deterministic_disjoint_and_covers_every_class(quickdraw, tmp_path):
    first = [load_split(s, quickdraw, as_uint8=True) for s in ("train", "test")]
    again = [load_split(s, quickdraw, as_uint8=True) for s in ("train", "test")]
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a.images, b.images)
        np.testing.assert_array_equal(a.labels, b.labels)
    train, test = first
    for label in range(3):
        train_ids = set(_ids(train.images[train.labels == label]))
        test_ids = set(_ids(test.images[test.labels == label]))
        assert not train_ids & test_ids and train_ids | test_ids == set(range(DOODLES))
        assert len(test_ids) == DOODLES // 7
    # The split depends on names and contents, not on the order the files were made in.
    other = tmp_path / "copy"
    other.mkdir()
    for path in sorted(quickdraw.iterdir(), reverse=True):
        shutil.copy(path, other / path.name)
    np.testing.assert_array_equal(load_split("test", other).images, load_split("test", quickdraw).images)
    # Pinned: the same held-out doodles with every NumPy, on every machine.
    assert sorted(_ids(test.images[test.labels == 0])) == PINNED_CAT_TEST_IDS
    assert test.labels[:10].tolist() == PINNED_TEST_LABELS


PINNED_CAT_TEST_IDS = [2, 4, 14, 32, 36, 39, 41, 48, 55, 60]
PINNED_TEST_LABELS = [2, 0, 1, 2, 2, 0, 2, 0, 1, 1]


def test_quickdraw_classes_are_named_by_file(quickdraw):
    assert class_names(quickdraw) == ("cat", "house", "tree")
    assert class_names(quickdraw, "tree, cat") == ("cat", "tree")
    assert dataset_name(quickdraw) == "doodles"


def test_categories_choose_classes_in_name_order(quickdraw):
    everything = load_split("train", quickdraw, as_uint8=True)
    for chosen in ("tree,cat", ["cat", "tree"], ("tree", "cat", "tree")):
        split = load_split("train", quickdraw, categories=chosen, as_uint8=True)
        assert sorted(set(split.labels.tolist())) == [0, 1] and len(split) == 120
        np.testing.assert_array_equal(split.images[split.labels == 1], everything.images[everything.labels == 2])
    assert np.bincount(load_split("test", quickdraw, categories="house").labels).tolist() == [10]


@pytest.mark.parametrize("chosen", ["cat,dog", ["dog"]])
def test_an_unknown_category_lists_the_available_ones(quickdraw, chosen):
    with pytest.raises(DataError, match=r"no category 'dog'; available: cat, house, tree$"):
        load_split("train", quickdraw, categories=chosen)
    with pytest.raises(DataError, match="no category 'dog'"):
        class_names(quickdraw, chosen)


@pytest.mark.parametrize("chosen", ["", "cat,,tree", [], [3], b"cat"])
def test_malformed_categories_are_refused(quickdraw, chosen):
    with pytest.raises(DataError, match="categories must be names"):
        load_split("train", quickdraw, categories=chosen)


def test_limit_counts_per_category_and_keeps_the_split_order(quickdraw):
    full = load_split("train", quickdraw, as_uint8=True)
    limited = load_split("train", quickdraw, limit=5, as_uint8=True)
    assert np.bincount(limited.labels).tolist() == [5, 5, 5]
    for label in range(3):  # the first 5 of each category's training doodles
        np.testing.assert_array_equal(limited.images[limited.labels == label], full.images[full.labels == label][:5])
    assert len(load_split("test", quickdraw, limit=3)) == 9
    assert len(load_split("train", quickdraw, limit=1000)) == len(full)


def _write_bad(path, problem):
    if problem == "text":
        path.write_text("cat,house\n1,2\n")
    elif problem == "empty":
        path.write_bytes(b"")
    elif problem == "float":
        np.save(path, np.zeros((5, 784), np.float32))
    elif problem == "width":
        np.save(path, np.zeros((5, 100), np.uint8))
    elif problem == "pickled":
        np.save(path, np.array([{"x": 1}, None], dtype=object), allow_pickle=True)
    elif problem == "no rows":
        np.save(path, np.zeros((0, 784), np.uint8))
    elif problem == "truncated":
        np.save(path, np.zeros((50, 784), np.uint8))
        path.write_bytes(path.read_bytes()[:2000])
    elif problem == "npz":
        with open(path, "wb") as handle:
            np.savez(handle, a=np.zeros((5, 784), np.uint8))
    elif problem == "folder":
        path.mkdir()


@pytest.mark.parametrize("problem", ["text", "empty", "float", "width", "pickled", "no rows", "truncated", "npz",
                                     "folder"])
def test_a_malformed_npy_file_is_one_error_naming_it(quickdraw, problem):
    bad = quickdraw / "broken.npy"
    _write_bad(bad, problem)
    with pytest.raises(DataError) as caught:
        load_split("train", quickdraw)
    message = str(caught.value)
    assert message.startswith(f"{bad}: ") and "\n" not in message, message
    # Only the categories read are checked.
    assert len(load_split("train", quickdraw, categories="cat,tree")) == 120


def test_the_same_category_twice_is_refused(quickdraw):
    shutil.copy(quickdraw / "cat.npy", quickdraw / "full_numpy_bitmap_cat.npy")
    with pytest.raises(DataError, match="category 'cat' also comes from"):
        load_split("train", quickdraw)


def test_more_than_ten_categories_must_be_chosen(quickdraw):
    for k in range(MAX_CLASSES + 1 - 3):
        np.save(quickdraw / f"extra{k:02d}.npy", _doodles(k % 3, 14, seed=10 + k))
    with pytest.raises(DataError, match=r"11 categories, but at most 10 categories; choose some with --categories$"):
        load_split("test", quickdraw)
    assert len(class_names(quickdraw)) == 11  # naming them all is not loading them
    chosen = "cat,extra03,tree"
    assert class_names(quickdraw, chosen) == ("cat", "extra03", "tree")
    assert np.bincount(load_split("test", quickdraw, categories=chosen).labels).tolist() == [10, 2, 10]
    with pytest.raises(DataError, match="at most 10 categories"):
        load_split("test", quickdraw, categories=[p.stem.removeprefix("full_numpy_bitmap_")
                                                  for p in quickdraw.glob("*.npy")])


def test_a_category_needs_two_doodles(quickdraw):
    np.save(quickdraw / "lonely.npy", _doodles(0, 1, seed=5))
    with pytest.raises(DataError, match=r"lonely.npy: 1 doodles; a category needs at least 2"):
        load_split("train", quickdraw)


def test_the_test_split_is_at_most_a_thousand_a_category(tmp_path):
    np.save(tmp_path / "many.npy", np.zeros((7700, 784), np.uint8))
    np.save(tmp_path / "few.npy", np.zeros((13, 784), np.uint8))
    assert np.bincount(load_split("test", tmp_path).labels).tolist() == [1, 1000]
    assert np.bincount(load_split("train", tmp_path).labels).tolist() == [12, 6700]


# --------------------------------------------------------------------------- image folders


def test_image_folder_is_preprocessed_like_imported_pictures(image_folder):
    from vaedesk.data.images import preprocess_file

    assert class_names(image_folder) == ("circle", "square")
    train, test = load_split("train", image_folder), load_split("test", image_folder)
    assert train.images.shape == (12, 28, 28) and test.images.shape == (2, 28, 28)
    assert np.bincount(test.labels).tolist() == [1, 1] and np.bincount(train.labels).tolist() == [6, 6]
    for split in (train, test):
        assert split.images.dtype == np.float32 and split.labels.dtype == np.int64
        assert 0.0 <= split.images.min() and split.images.max() <= 1.0
        assert (split.images[:, 0, :] == 0).all()  # dark ink on light paper made white on black
    raw = load_split("train", image_folder, as_uint8=True)
    np.testing.assert_array_equal(raw.images.astype(np.float32) / 255.0, train.images)
    expected = {np.round(preprocess_file(p) * 255).astype(np.uint8).tobytes()
                for p in (image_folder / "square").iterdir() if p.suffix != ".txt"}
    assert {image.tobytes() for image in raw.images[raw.labels == 1]} <= expected


def test_image_folder_split_is_deterministic_and_disjoint(image_folder):
    train, test = load_split("train", image_folder, as_uint8=True), load_split("test", image_folder, as_uint8=True)
    again = load_split("test", image_folder, as_uint8=True)
    np.testing.assert_array_equal(test.images, again.images)
    np.testing.assert_array_equal(test.labels, again.labels)
    train_bytes = {(label, image.tobytes()) for image, label in zip(train.images, train.labels, strict=True)}
    assert not train_bytes & {(label, image.tobytes()) for image, label in zip(test.images, test.labels, strict=True)}


def test_image_folder_limit_is_the_first_images_of_the_split(image_folder):
    full = load_split("train", image_folder, as_uint8=True)
    limited = load_split("train", image_folder, limit=4, as_uint8=True)
    np.testing.assert_array_equal(limited.images, full.images[:4])
    assert len(set(full.labels[:4].tolist())) == 2  # classes interleaved, not one after the other


def test_image_folder_categories(image_folder):
    split = load_split("train", image_folder, categories="square")
    assert len(split) == 6 and set(split.labels.tolist()) == {0}
    with pytest.raises(DataError, match="no category 'triangle'; available: circle, square"):
        load_split("train", image_folder, categories="triangle,square")


@pytest.mark.parametrize("problem", ["garbage", "empty", "blank"])
def test_an_unusable_image_is_one_error_naming_it(image_folder, problem):
    bad = image_folder / "circle" / "zz.png"
    if problem == "garbage":
        bad.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a PNG")
    elif problem == "empty":
        bad.write_bytes(b"")
    else:
        Image.new("L", (30, 30), 255).save(bad)
    # Whichever split it falls in, loading both reads it.
    with pytest.raises(DataError) as caught:
        load_split("train", image_folder)
        load_split("test", image_folder)
    message = str(caught.value)
    assert message.startswith(f"{bad}: ") and "\n" not in message and message.count(str(bad)) == 1, message


def test_image_classes_need_two_images_and_at_most_ten_classes(tmp_path):
    for k in range(MAX_CLASSES + 1):
        (tmp_path / f"class{k:02d}").mkdir()
        for i in range(2):
            _draw((30, 30), "L", "circle").save(tmp_path / f"class{k:02d}" / f"{i}.png")
    with pytest.raises(DataError, match="at most 10 categories; choose some with --categories"):
        load_split("train", tmp_path)
    assert len(load_split("train", tmp_path, categories="class00,class07")) == 2
    (tmp_path / "class03" / "1.png").unlink()
    with pytest.raises(DataError, match=r"class03: 1 images .*; a class needs at least 2"):
        load_split("train", tmp_path, categories="class03")


# --------------------------------------------------------------------------- IDX folders and settings


def test_idx_folders_have_no_categories(tmp_path):
    from tests.test_idx import _make_folder

    _make_folder(tmp_path)
    assert class_names(tmp_path) is None and class_names(None) is None
    assert len(load_split("train", tmp_path)) == 5
    with pytest.raises(DataError, match="categories choose among Quick, Draw! files or image sub-folders"):
        load_split("train", tmp_path, categories="3")


def test_a_folder_of_nothing_names_the_mnist_layout(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match=r"missing train-images-idx3-ubyte.gz \(expected the standard MNIST file "
                                         r"layout, Quick, Draw! .npy files or one sub-folder of images per class\)$"):
        load_split("train", tmp_path)
    assert class_names(tmp_path) is None


@pytest.mark.parametrize("categories, problem", [
    ("", "categories must be names separated by commas"),
    ("cat,,tree", "categories must be names separated by commas"),
    (["cat"], "categories must be names separated by commas"),
    (",".join(f"c{k}" for k in range(11)), "at most 10 categories, not 11"),
])
def test_train_config_checks_the_form_of_categories(categories, problem):
    with pytest.raises(TrainingError, match=problem):
        TrainConfig(data_dir="/data/doodles", categories=categories)


def test_train_config_categories_need_a_data_folder():
    with pytest.raises(TrainingError, match="categories need a data folder"):
        TrainConfig(categories="cat")


def test_train_argv_carries_categories_through_the_parser():
    from vaedesk.cli import build_parser

    config = TrainConfig(data_dir="/data/doodles", limit=500, categories="cat,house")
    assert config.category_list() == ["cat", "house"]
    args = build_parser().parse_args(config.to_argv("/tmp/out"))
    assert (args.data_dir, args.limit, args.categories) == ("/data/doodles", 500, "cat,house")
    assert "--categories" not in TrainConfig().to_argv("/tmp/out")


# --------------------------------------------------------------------------- end to end


def test_train_save_and_eval_on_quickdraw(quickdraw, tmp_path, capsys):
    from vaedesk.cli import main
    from vaedesk.training.loop import train

    model = train(TrainConfig(data_dir=str(quickdraw), epochs=1, limit=64, batch_size=32, width=4, hidden=16,
                              augment=0.0))
    assert model.card["dataset"] == "doodles" and model.card["training"]["categories"] is None
    assert trained_on(model.card) == (str(quickdraw), "")
    path = model.save(tmp_path / "doodles-vae")
    capsys.readouterr()
    assert main(["eval", "--model", str(path), "--data", str(quickdraw), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["kind"] == "vae" and np.isfinite(metrics["neg_elbo"]) and 0.0 <= metrics["knn5_test"] <= 1.0
    assert "knn5_drawings" not in metrics  # drawn digits mean nothing for doodles
    with pytest.raises(TrainingError, match="needs digit data"):
        train(TrainConfig(data_dir=str(quickdraw), epochs=1, limit=8, sketches=0.2, width=4, hidden=16))


def test_cli_trains_chosen_categories_of_a_large_folder_and_evaluates_on_them(quickdraw, tmp_path, capsys):
    from vaedesk.cli import main
    from vaedesk.model.model import load_model

    for k in range(9):  # 12 categories: too many without a choice
        np.save(quickdraw / f"extra{k}.npy", _doodles(k % 3, 14, seed=20 + k))
    out = tmp_path / "three"
    assert main(["train", "--data", str(quickdraw), "--categories", "tree,cat,extra4", "--limit", "20",
                 "--epochs", "1", "--batch-size", "32", "--width", "4", "--hidden", "16", "--no-augment",
                 "--out", str(out)]) == 0
    model = load_model(str(out) + ".safetensors")
    assert model.card["training"]["categories"] == "tree,cat,extra4"
    assert trained_categories(model.card) == "tree,cat,extra4"
    assert "--categories tree,cat,extra4" in model.card["command"]
    assert "knn5_test" in model.card["metrics"]
    capsys.readouterr()
    assert main(["eval", "--model", str(out) + ".safetensors", "--data", str(quickdraw), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["knn5_test"] == model.card["metrics"]["knn5_test"]
