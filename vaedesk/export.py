"""Export decoded frames as an animated GIF, a folder of PNGs or a single PNG.

Frames are (N, H, W) float arrays in [0, 1] (white ink on black, as the app shows
them). Each frame is upscaled smoothly with Lanczos resampling. Every file or folder is
written beside its target and moved into place only when complete, so a failure, an
interrupt or a cancel never leaves a partial file and never touches an existing one.

Progress and cancel: ``progress(done, total)`` is called after each frame is encoded
(``done`` runs 1 … total); ``should_cancel()`` is polled before each frame, and a true
result raises :class:`~vaedesk.errors.ExportCancelled`. Exceptions raised by either
callback propagate unchanged, after the temporary output has been removed.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from PIL import GifImagePlugin, Image

from vaedesk.errors import ExportCancelled, ExportError
from vaedesk.support.atomic import atomic_dir, atomic_path
from vaedesk.support.limits import DEFAULT_FRAME_SIZE, FRAMES_LIMIT

__all__ = [
    "MAX_FRAME_SIDE",
    "MAX_FPS",
    "MAX_SIZE",
    "MIN_FPS",
    "MIN_SIZE",
    "CancelCallback",
    "check_target",
    "ProgressCallback",
    "effective_fps",
    "frames_to_uint8",
    "gif_frame_durations_ms",
    "pingpong",
    "save_gif",
    "save_png",
    "save_png_frames",
]

ProgressCallback = Callable[[int, int], object]
"""Called as ``progress(done, total)`` after each frame."""
CancelCallback = Callable[[], bool]
"""Polled before each frame; returning True cancels the export."""

MIN_SIZE = 28
MAX_SIZE = 2048
MIN_FPS = 0.5
MAX_FPS = 100.0
# GIF delays are whole centiseconds, and most viewers replace delays under 2 cs with a
# slow default (often 100 ms), so 20 ms is the shortest delay that plays as written.
_MIN_DURATION_MS = 20
# Frames given to export are at most this many pixels a side (the decoder's are 28; the
# app's largest picture, a 20 x 20 manifold, is 560).
MAX_FRAME_SIDE = 4096
# Decoder outputs can overshoot [0, 1] by rounding; anything further is a caller bug
# (for example 0–255 data), which clipping would silently turn into a white square.
_OVERSHOOT = 0.01
_RESAMPLE = Image.Resampling.LANCZOS
_FRAME_NAME = re.compile(r"frame_\d{4,}\.png")


# --------------------------------------------------------------------------------------
# Frame preparation


def frames_to_uint8(frames: ArrayLike) -> np.ndarray:
    """Validate float frames (N, H, W) in [0, 1] and convert them to uint8 (N, H, W).

    Values up to 0.01 outside [0, 1] are clipped; values further out, NaN/inf, an empty
    sequence, more than ``FRAMES_LIMIT`` frames (:mod:`vaedesk.support.limits`), frames larger than
    :data:`MAX_FRAME_SIDE` or a shape other than (N, H, W) raise :class:`ExportError`.
    """
    try:
        array = np.asarray(frames)
        if array.dtype.kind not in "biuf":
            array = array.astype(np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ExportError("frames must be an array of numbers with shape (N, H, W)") from None
    if array.ndim != 3:
        raise ExportError(f"frames must have shape (N, H, W), got {array.shape}")
    if array.shape[0] == 0:
        raise ExportError("no frames to export")
    if array.shape[0] > FRAMES_LIMIT:
        raise ExportError(f"an animation has at most {FRAMES_LIMIT} frames, got {array.shape[0]}")
    if array.shape[1] == 0 or array.shape[2] == 0:
        raise ExportError(f"frames must not be empty images, got shape {array.shape}")
    if max(array.shape[1:]) > MAX_FRAME_SIDE:
        raise ExportError(f"frames must be at most {MAX_FRAME_SIDE} pixels a side, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ExportError("frames contain NaN or infinite values")
    low, high = float(array.min()), float(array.max())
    if low < -_OVERSHOOT or high > 1.0 + _OVERSHOOT:
        raise ExportError(f"frame values must lie in [0, 1], got range [{low:g}, {high:g}]")
    out = np.empty(array.shape, np.uint8)
    for index, frame in enumerate(array):  # a frame at a time: no float64 copy of them all
        out[index] = np.rint(np.clip(frame.astype(np.float64), 0.0, 1.0) * 255.0)
    return out


def _bounce(frames: np.ndarray) -> np.ndarray:
    # Frames 0..N-1 then N-2..1: looping it never shows an endpoint twice in a row.
    return np.concatenate([frames, frames[-2:0:-1]], axis=0)


def pingpong(frames: ArrayLike) -> np.ndarray:
    """Frames forward then backward without repeating the endpoints (N → 2N − 2).

    A single frame (or none) is returned unchanged, as an array.
    """
    array = np.asarray(frames)
    if array.ndim == 0:
        raise ExportError("frames must be a sequence of images")
    if array.shape[0] <= 1:
        return array.copy()
    return _bounce(array)


def _check_size(size: Any) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise ExportError(f"size must be an integer number of pixels, got {size!r}")
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ExportError(f"size must be between {MIN_SIZE} and {MAX_SIZE} pixels, got {size}")
    return int(size)


def _check_fps(fps: Any) -> float:
    if isinstance(fps, bool):
        raise ExportError(f"fps must be a number, got {fps!r}")
    try:
        value = float(fps)
    except (TypeError, ValueError):
        raise ExportError(f"fps must be a number, got {fps!r}") from None
    if not (math.isfinite(value) and MIN_FPS <= value <= MAX_FPS):
        raise ExportError(f"fps must be between {MIN_FPS:g} and {MAX_FPS:g}, got {fps!r}")
    return value


def gif_frame_durations_ms(fps: float, count: int) -> list[int]:
    """The delays of ``count`` GIF frames at ``fps``, in ms: multiples of 10 (GIF stores
    centiseconds), at least 20, mixed so that their mean is 1000/fps.

    Each frame ends at the centisecond nearest to when it would end at exactly ``fps``, so
    24 fps (41.7 ms a frame) gives 40, 40, 50, 40, 40, 40, … and 30 fps 30, 40, 30, 30, 40,
    30, …; a whole number of centiseconds, such as 10 fps, gives equal delays. Above 50 fps
    every frame gets 20 ms.
    """
    value = _check_fps(fps)
    if value * _MIN_DURATION_MS >= 1000.0:
        return [_MIN_DURATION_MS] * count
    period = 100.0 / value  # centiseconds a frame
    ends = [math.floor(index * period + 0.5) for index in range(count + 1)]  # round half up, not to even
    return [10 * (end - start) for start, end in zip(ends, ends[1:])]


def effective_fps(fps: float) -> float:
    """The frame rate a GIF requested at ``fps`` plays at on average: ``fps`` itself, at
    most 50 (the shortest delay viewers honour is 20 ms)."""
    return min(_check_fps(fps), 1000.0 / _MIN_DURATION_MS)


def _output_size(height: int, width: int, size: int) -> tuple[int, int]:
    """(width, height) for Pillow: size × size for square frames, else longer side = size."""
    if height == width:
        return size, size
    scale = size / max(height, width)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _to_image(frame: np.ndarray, size: int | None) -> Image.Image:
    image = Image.fromarray(frame)  # uint8 (H, W) → mode "L"
    if size is not None:
        target = _output_size(frame.shape[0], frame.shape[1], size)
        if target != image.size:
            image = image.resize(target, _RESAMPLE)
    return image


# --------------------------------------------------------------------------------------
# Writing


def _describe(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


@contextlib.contextmanager
def _export_target(
    target: Path, opener: Callable[[Path], contextlib.AbstractContextManager[Path]]
) -> Iterator[Path]:
    """``opener(target)`` (atomic_path/atomic_dir) with file-system errors reported as
    one-line ExportErrors naming ``target``; exceptions from the body pass unchanged."""
    manager = opener(target)
    try:
        temporary = manager.__enter__()
    except OSError as exc:
        raise ExportError(f"cannot write {target}: {_describe(exc)}") from exc
    try:
        yield temporary
    except BaseException:
        # The atomic helpers remove the temporary output and never swallow the error.
        if not manager.__exit__(*sys.exc_info()):
            raise
    else:
        try:
            manager.__exit__(None, None, None)  # the rename into place
        except OSError as exc:
            raise ExportError(f"cannot write {target}: {_describe(exc)}") from exc


def check_target(path: Any) -> Path:
    """``path`` as a Path, or ExportError when it cannot name a file (not a path, a NUL byte)."""
    if not isinstance(path, (str, os.PathLike)):
        raise ExportError(f"expected a file or folder path to write, got {type(path).__name__}")
    target = Path(path)
    if "\0" in str(target):
        raise ExportError(f"cannot write {target}: not a valid file name (it contains a NUL byte)")
    return target


def _check_file_target(path: str | os.PathLike[str]) -> Path:
    target = check_target(path)
    try:
        is_dir = target.is_dir()
    except OSError as exc:  # a name the system refuses outright, e.g. too long
        raise ExportError(f"cannot write {target}: {_describe(exc)}") from exc
    if is_dir:
        raise ExportError(f"cannot write {target}: it is a folder")
    return target


def _poll_cancel(should_cancel: CancelCallback | None) -> None:
    if should_cancel is not None and should_cancel():
        raise ExportCancelled("export cancelled; nothing was written")


def save_gif(
    frames: ArrayLike,
    path: str | os.PathLike[str],
    *,
    fps: float = 24,
    size: int = DEFAULT_FRAME_SIZE,
    pingpong: bool = False,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCallback | None = None,
) -> Path:
    """Write ``frames`` (N, H, W) in [0, 1] as an animated GIF that loops forever.

    Each frame is upscaled to ``size`` × ``size`` pixels (28–2048; non-square frames keep
    their aspect with the longer side = size) in a 256-level grayscale palette. Every
    frame is stored, identical neighbours included, with the delays
    :func:`gif_frame_durations_ms` gives for ``fps`` (0.5–100), which average 1000/fps
    (at most 50 fps: :func:`effective_fps`). With ``pingpong=True`` the animation plays forward then
    backward (N → 2N − 2 frames).

    Returns the path written. Raises :class:`ExportError` for bad frames, size, fps or an
    unwritable path, and :class:`ExportCancelled` if ``should_cancel()`` returns True; in
    every failure case no file is left and an existing file at ``path`` is untouched.
    """
    data = frames_to_uint8(frames)
    size = _check_size(size)
    if pingpong:
        data = _bounce(data)
    durations = gif_frame_durations_ms(fps, len(data))
    target = _check_file_target(path)
    total = len(data)

    with _export_target(target, atomic_path) as temporary:
        try:
            handle = open(temporary, "wb")  # noqa: SIM115 - closed in finally
        except OSError as exc:
            raise ExportError(f"cannot write {target}: {_describe(exc)}") from exc
        try:
            previous: np.ndarray | None = None
            for index, frame in enumerate(data):
                _poll_cancel(should_cancel)
                image = _to_image(frame, size)
                pixels = np.asarray(image)
                chunks: list[bytes] = []
                if previous is None:
                    chunks += _gif_header(image, durations[0])
                    box = (0, 0, image.width, image.height)
                else:
                    box = _changed_box(previous, pixels)
                # Frames are encoded one by one and concatenated, rather than through
                # Image.save(save_all=True), because Pillow's writer merges identical
                # consecutive frames (adding up their delays) whatever `optimize` says.
                # Only the changed rectangle is stored; the rest of the previous frame
                # stays on screen (disposal "none"), which roughly halves the file.
                chunks += GifImagePlugin.getdata(image.crop(box), offset=box[:2], duration=durations[index])
                _write(handle, chunks, target)
                previous = pixels
                if progress is not None:
                    progress(index + 1, total)
            _write(handle, [b";"], target)  # GIF trailer
        finally:
            handle.close()
    return target


def _changed_box(before: np.ndarray, after: np.ndarray) -> tuple[int, int, int, int]:
    """Bounding box (left, top, right, bottom) of the pixels that differ; an identical
    frame gets a 1 × 1 box so it is still stored as a frame of its own."""
    rows = np.flatnonzero(np.any(before != after, axis=1))
    if rows.size == 0:
        return 0, 0, 1, 1
    cols = np.flatnonzero(np.any(before != after, axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _gif_header(first: Image.Image, duration: int) -> list[bytes]:
    """GIF89a header, 256-grey global palette and the loop-forever (NETSCAPE) block."""
    # getheader normalises (and may modify) the image it is given, so hand it a copy;
    # no "optimize" key, so the palette stays the full 256 greys every frame indexes into.
    header, _ = GifImagePlugin.getheader(first.copy(), info={"loop": 0, "duration": duration})
    return header


def _write(handle: Any, chunks: list[bytes], target: Path) -> None:
    try:
        handle.write(b"".join(chunks))
    except OSError as exc:
        raise ExportError(f"cannot write {target}: {_describe(exc)}") from exc


def _save_png_image(image: Image.Image, file: Path, target: Path) -> None:
    try:
        # The temporary name has no .png suffix, so the format must be explicit.
        image.save(file, format="PNG")
    except OSError as exc:
        raise ExportError(f"cannot write {target}: {_describe(exc)}") from exc


def save_png_frames(
    frames: ArrayLike,
    folder: str | os.PathLike[str],
    *,
    size: int = DEFAULT_FRAME_SIZE,
    pingpong: bool = False,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCallback | None = None,
) -> Path:
    """Write each frame as ``frame_0000.png``, ``frame_0001.png``, … in ``folder``.

    Frames are upscaled as in :func:`save_gif`. The folder is built under a temporary
    name beside ``folder`` and moved into place when complete, replacing an earlier
    export there. To protect user files, an existing ``folder`` that holds anything
    other than ``frame_*.png`` files is refused with :class:`ExportError`. Cancel,
    progress and failure behave as in :func:`save_gif`. Returns the folder path.
    """
    data = frames_to_uint8(frames)
    size = _check_size(size)
    if pingpong:
        data = _bounce(data)
    target = check_target(folder)
    _check_frames_folder(target)
    total = len(data)
    digits = max(4, len(str(total - 1)))

    with _export_target(target, atomic_dir) as temporary:
        for index, frame in enumerate(data):
            _poll_cancel(should_cancel)
            name = f"frame_{index:0{digits}d}.png"
            _save_png_image(_to_image(frame, size), temporary / name, target)
            if progress is not None:
                progress(index + 1, total)
    return target


def _check_frames_folder(target: Path) -> None:
    try:
        exists, is_dir = target.exists(), target.is_dir()
    except OSError as exc:  # a name the system refuses outright, e.g. too long
        raise ExportError(f"cannot write frames to {target}: {_describe(exc)}") from exc
    if not exists:
        return
    if not is_dir:
        raise ExportError(f"cannot write frames to {target}: it is a file, not a folder")
    try:
        names = [entry.name for entry in target.iterdir()]
    except OSError as exc:
        raise ExportError(f"cannot read folder {target}: {_describe(exc)}") from exc
    if any(_FRAME_NAME.fullmatch(name) is None for name in names):
        raise ExportError(
            f"refusing to replace {target}: it holds files other than exported frames"
        )


def save_png(
    image: ArrayLike, path: str | os.PathLike[str], size: int | None = None
) -> Path:
    """Write one image (H, W) in [0, 1] as a grayscale PNG, atomically.

    ``size`` None keeps the native resolution; otherwise the image is upscaled as in
    :func:`save_gif` (28–2048). Returns the path written.
    """
    try:
        array = np.asarray(image, dtype=np.float64)
    except (TypeError, ValueError):
        raise ExportError("an image must be an array of numbers with shape (H, W)") from None
    if array.ndim != 2:
        raise ExportError(f"an image must have shape (H, W), got {np.shape(array)}")
    data = frames_to_uint8(array[None])[0]
    checked = None if size is None else _check_size(size)
    target = _check_file_target(path)
    with _export_target(target, atomic_path) as temporary:
        _save_png_image(_to_image(data, checked), temporary, target)
    return target
