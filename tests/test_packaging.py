"""The project's metadata: licences for the code and for the data it carries."""

from __future__ import annotations

import glob
import tomllib
from pathlib import Path

from tests.support.paths import REPO


def test_every_licence_file_named_in_the_metadata_exists_and_covers_code_and_data():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT AND CC-BY-SA-3.0"
    files = [path for pattern in project["license-files"] for path in glob.glob(str(REPO / pattern))]
    texts = {path.rsplit("/", 1)[-1]: Path(path).read_text(encoding="utf-8") for path in files}
    assert texts["LICENSE"].startswith("MIT License")
    notice = texts["MNIST-NOTICE.txt"]
    assert "LeCun" in notice and "CC BY-SA 3.0" in notice and "resources/data/mnist" in notice
    assert (REPO / "vaedesk" / "py.typed").is_file()
    assert "Typing :: Typed" in project["classifiers"]


# The wheel carries every shipped model (with its fitted neighbourhood view) and MNIST, so the
# app works offline; it must stay under this size (PyPI's default limit is 100 MB; a small
# wheel installs fast).
WHEEL_BUDGET = 32_000_000  # bytes


def _files(folder):
    return [path for path in sorted(folder.rglob("*")) if path.is_file() and "__pycache__" not in path.parts]


def test_the_wheel_with_its_models_and_data_stays_under_the_budget():
    """Estimated without building a wheel: each file deflated as a wheel's zip does it
    (zlib's default level), plus the zip's per-file overhead. The code counts too."""
    import zlib

    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    bundled = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    payload = [path for source in bundled for path in _files(REPO / source)]
    code = _files(REPO / "vaedesk") + [REPO / "README.md", REPO / "LICENSE"] + _files(REPO / "LICENSES")

    def deflated(path):  # compressed files are stored as they are
        size = path.stat().st_size
        return size if path.suffix in (".xz", ".gz") else min(len(zlib.compress(path.read_bytes(), 6)), size)

    sizes = {path: deflated(path) + 200 + 2 * len(str(path)) for path in payload + code}
    total = sum(sizes.values())
    biggest = sorted(sizes, key=sizes.get, reverse=True)[:5]
    assert total < WHEEL_BUDGET, (
        f"the wheel would be about {total / 1e6:.1f} MB, over its {WHEEL_BUDGET / 1e6:.0f} MB budget; largest: "
        + ", ".join(f"{path.relative_to(REPO)} {sizes[path] / 1e6:.1f} MB" for path in biggest))
    assert {path.name for path in payload} >= {f"{stem}.xz" for stem in (
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
    for name in ("mnist-vae-2d", "mnist-vae-16d", "mnist-ae-2d", "mnist-vae-2d-beta4", "mnist-ae-16d"):
        assert {f"{name}{suffix}" for suffix in (".safetensors", ".json", ".md")} <= {path.name for path in payload}
    for name in ("mnist-vae-16d", "mnist-ae-16d"):  # their neighbourhood views show at once
        assert f"{name}.neighbours.npz" in {path.name for path in payload}
