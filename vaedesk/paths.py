"""Where vaedesk finds its bundled data and models, from a checkout or an installed wheel.

In a wheel, ``models/`` and ``resources/`` are packed inside the package as ``_models`` and
``_resources``; in a source checkout (or an editable install) they sit beside the package.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0]


def bundled_models_dir() -> Path:
    return _first_existing(_PACKAGE / "_models", _PACKAGE.parent / "models")


def resources_dir() -> Path:
    return _first_existing(_PACKAGE / "_resources", _PACKAGE.parent / "resources")


def bundled_mnist_dir() -> Path:
    return resources_dir() / "data" / "mnist"


def user_models_dir() -> Path:
    """The user's own trained models, in the platform's data folder."""
    return user_data_dir() / "models"


def user_data_dir() -> Path:
    """The folder for settings and session data (``VAEDESK_HOME`` overrides it)."""
    override = os.environ.get("VAEDESK_HOME")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("vaedesk", appauthor=False))


def user_cache_dir() -> Path:
    """The folder for data vaedesk can recompute, e.g. encoded test sets: ``VAEDESK_CACHE``,
    else ``VAEDESK_HOME/cache``, else the platform's cache folder. Every entry is keyed by
    the model's and the data's digests, so one cache can serve any number of homes."""
    cache = os.environ.get("VAEDESK_CACHE")
    if cache:
        return Path(cache)
    override = os.environ.get("VAEDESK_HOME")
    if override:
        return Path(override) / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir("vaedesk", appauthor=False))
