"""Where the tests find the repository and its bundled data."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MNIST = REPO / "resources" / "data" / "mnist"
