"""The app's settings file (QSettings): opened once, and what the window keeps in it — its
geometry, the pen, the theme, the model shown last and each model's view of its latent space."""

from __future__ import annotations

import hashlib
import logging

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget

from vaedesk.latent.views import VIEW_KINDS
from vaedesk.support.paths import settings_path
from vaedesk.support.settings import SettingsError, legacy_settings_path, migrate_settings

SETTINGS_VERSION = 1
DEFAULT_SIZE = (1360, 860)
PEN_SCALES = (0.5, 2.5)  # the pen slider's range, as a factor of the usual width
log = logging.getLogger(__name__)


def open_settings() -> QSettings:
    """The app's settings, in the user's configuration folder (moved there from the data
    folder the first time; if that move fails, the old file is used as it is)."""
    path = settings_path()
    try:
        migrate_settings()
    except SettingsError as exc:
        path = legacy_settings_path()
        log.warning("%s; the settings stay in %s", exc, path)
    settings = QSettings(str(path), QSettings.Format.IniFormat)
    if settings.value("version", type=int) != SETTINGS_VERSION:
        settings.clear()
        settings.setValue("version", SETTINGS_VERSION)
    return settings


def restore_window(settings: QSettings, window: QWidget) -> float:
    """Give ``window`` its remembered geometry; returns the remembered pen scale."""
    geometry = settings.value("geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)
    else:
        window.resize(*DEFAULT_SIZE)
    pen = settings.value("pen_scale", 1.0, type=float)
    return min(max(pen, PEN_SCALES[0]), PEN_SCALES[1])


def save_window(settings: QSettings, window: QWidget, pen_scale: float) -> None:
    settings.setValue("geometry", window.saveGeometry())
    settings.setValue("pen_scale", pen_scale)
    settings.sync()


def _view_key(model: str) -> str:
    # Model names may be paths; a digest keeps them out of the settings file's groups.
    return "views/" + hashlib.sha1(model.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def view_kind(settings: QSettings, model: str) -> str:
    """The view of ``model``'s latent space chosen last (``views.VIEW_KINDS``; "pca" at first)."""
    kind = settings.value(_view_key(model), "pca", type=str)
    return kind if kind in VIEW_KINDS else "pca"


def remember_view(settings: QSettings, model: str, kind: str) -> None:
    settings.setValue(_view_key(model), kind)
