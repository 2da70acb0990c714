"""The project's metadata: licences for the code and for the data it carries."""

from __future__ import annotations

import glob
import tomllib

from tests.conftest import REPO


def test_every_licence_file_named_in_the_metadata_exists_and_covers_code_and_data():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT AND CC-BY-SA-3.0"
    files = [path for pattern in project["license-files"] for path in glob.glob(str(REPO / pattern))]
    texts = {path.rsplit("/", 1)[-1]: open(path, encoding="utf-8").read() for path in files}
    assert texts["LICENSE"].startswith("MIT License")
    notice = texts["MNIST-NOTICE.txt"]
    assert "LeCun" in notice and "CC BY-SA 3.0" in notice and "resources/data/mnist" in notice
    assert (REPO / "vaedesk" / "py.typed").is_file()
    assert "Typing :: Typed" in project["classifiers"]
