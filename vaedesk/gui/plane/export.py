"""The latent plane as a picture: PNG (as shown on screen) or SVG (vectors, with the scatter
as an embedded image), through pyqtgraph's exporters, written atomically."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter, SVGExporter
from PySide6.QtCore import QBuffer, QByteArray, QIODevice

import vaedesk.gui  # noqa: F401  (selects the PySide6 binding before pyqtgraph loads)
from vaedesk.errors import ExportError, one_line
from vaedesk.support.atomic import atomic_path

__all__ = ["PLANE_FILTER", "export_plot", "plane_path"]

PLANE_FILTER = "PNG image (*.png);;SVG drawing (*.svg)"
_FORMATS = {".png": "png", ".svg": "svg"}


def plane_path(path: str | os.PathLike, selected_filter: str = "") -> Path:
    """The file a dialog's answer names: its extension decides the format; a name without
    one takes the chosen filter's. ExportError for any other extension."""
    path = Path(path)
    if not path.suffix:
        return path.with_name(path.name + (".svg" if "svg" in selected_filter.lower() else ".png"))
    if path.suffix.lower() not in _FORMATS:
        raise ExportError(f"{path.name}: the plane can be saved as .png or .svg, not {path.suffix}")
    return path


_CLOSE = re.compile(r"(?<![^\s])([Zz])(?![^\s])")  # a lone close-path command
_CLOSE_WITH_POINT = re.compile(r"([Zz])[-+0-9.eE]+,[-+0-9.eE]+")


@contextlib.contextmanager
def _closed_paths_understood() -> Iterator[None]:
    """pyqtgraph 0.14's SVG exporter re-maps every path's points and takes each token of a
    path for a point, so the close-path command ("Z") that Qt 6 writes stops it with a
    ValueError (a pyqtgraph bug, reported upstream). While this is active, each "Z" travels as "Z0,0",
    a token it can read, and is put back bare after the points are re-mapped."""
    module: Any = sys.modules[SVGExporter.__module__]  # pyqtgraph's, untyped
    original = module.correctCoordinates

    def correct(node, defs, item, options):
        paths = node.getElementsByTagName("path")
        for path in paths:
            path.setAttribute("d", _CLOSE.sub(r"\g<1>0,0", path.getAttribute("d")))
        try:
            return original(node, defs, item, options)
        finally:
            for path in paths:
                path.setAttribute("d", _CLOSE_WITH_POINT.sub(r"\1", path.getAttribute("d")))

    module.correctCoordinates = correct
    try:
        yield
    finally:
        module.correctCoordinates = original


def _render(plot: pg.PlotWidget, fmt: str) -> bytes:
    item = plot.getPlotItem()
    if fmt == "svg":
        with _closed_paths_understood():
            return bytes(SVGExporter(item).export(toBytes=True))
    image = ImageExporter(item).export(toBytes=True)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise ExportError("the plane could not be encoded as PNG")
    buffer.close()
    return bytes(data.data())


def export_plot(plot: pg.PlotWidget, path: str | os.PathLike) -> Path:
    """Save ``plot`` (axes and all) as ``path``, a .png or .svg file, complete or not at all:
    an existing file is replaced only by a finished picture. ExportError or OSError on failure."""
    path = plane_path(path)
    fmt = _FORMATS[path.suffix.lower()]
    try:
        data = _render(plot, fmt)
    except ExportError:
        raise
    except Exception as exc:  # pyqtgraph's exporters raise plain Exceptions
        raise ExportError(f"the plane could not be drawn as {fmt.upper()}: {one_line(exc)}") from exc
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path
