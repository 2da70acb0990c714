"""Where vaedesk finds its bundled data and models, from a checkout or an installed wheel.

In a wheel, ``models/`` and ``resources/`` are packed inside the package as ``_models`` and
``_resources``; in a source checkout (or an editable install) they sit beside the package.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # the vaedesk package


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
    """The folder for the session and the user's models (``VAEDESK_HOME`` overrides it)."""
    override = os.environ.get("VAEDESK_HOME")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("vaedesk", appauthor=False))


def user_config_dir() -> Path:
    """The folder for the settings file: ``VAEDESK_HOME/config``, else the platform's
    configuration folder (``~/.config/vaedesk`` on Linux)."""
    override = os.environ.get("VAEDESK_HOME")
    if override:
        return Path(override) / "config"
    import platformdirs

    return Path(platformdirs.user_config_dir("vaedesk", appauthor=False))


def user_log_dir() -> Path:
    """The folder for the log and crash files: ``VAEDESK_HOME/log``, else the platform's
    log folder (``~/.local/state/vaedesk/log`` on Linux)."""
    override = os.environ.get("VAEDESK_HOME")
    if override:
        return Path(override) / "log"
    import platformdirs

    return Path(platformdirs.user_log_dir("vaedesk", appauthor=False))


def settings_path() -> Path:
    """The app's settings (window geometry, pen width, the model shown, ...)."""
    return user_config_dir() / "settings.ini"


def desktop_dir() -> Path:
    """The desktop entry (``vaedesk.desktop``) and the app icon (``vaedesk.svg``), inside the package."""
    return _PACKAGE / "desktop"


def app_icon_path() -> Path:
    return desktop_dir() / "vaedesk.svg"


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
