"""Tests for vaedesk.export: GIF, PNG-folder and single-PNG export."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vaedesk.errors import ExportCancelled, ExportError
from vaedesk.export import (
    effective_fps,
    frames_to_uint8,
    gif_frame_durations_ms,
    pingpong,
    save_gif,
    save_png,
    save_png_frames,
)


def _frames(n: int = 6, size: int = 28) -> np.ndarray:
    """n distinct frames: a bright blob moving left to right on black."""
    yy, xx = np.mgrid[:size, :size]
    out = np.empty((n, size, size))
    for i in range(n):
        cx = 6 + i * (size - 12) / max(n - 1, 1)
        out[i] = np.clip(1.0 - ((xx - cx) ** 2 + (yy - size / 2) ** 2) / 30.0, 0.0, 1.0)
    return out


def _gif_frames(path: Path) -> tuple[list[np.ndarray], list[int], Image.Image]:
    """Decode every frame of a GIF with Pillow: (pixels, durations, the open image)."""
    with Image.open(path) as im:
        pixels, durations = [], []
        for i in range(im.n_frames):
            im.seek(i)
            pixels.append(np.asarray(im.convert("L")))
            durations.append(im.info["duration"])
        im.seek(0)
        im.load()
        info = dict(im.info)
        meta = im.copy()
        meta.info = info
    return pixels, durations, meta


def _entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --------------------------------------------------------------------------------------
# frames_to_uint8 and pingpong


def test_frames_to_uint8() -> None:
    frames = np.array([[[0.0, 0.5], [1.0, 1.004]], [[-0.004, 0.25], [0.75, 1.0]]])
    out = frames_to_uint8(frames)
    assert out.dtype == np.uint8 and out.shape == (2, 2, 2)
    assert out[0].tolist() == [[0, 128], [255, 255]]
    assert out[1].tolist() == [[0, 64], [191, 255]]


@pytest.mark.parametrize(
    ("frames", "match"),
    [
        (np.zeros((0, 28, 28)), "no frames to export"),
        ([], "shape"),
        (np.zeros((28, 28)), "shape"),
        (np.full((1, 2, 2), np.nan), "NaN"),
        (np.full((1, 2, 2), 255.0), r"\[0, 1\]"),
        (np.full((1, 2, 2), -0.5), r"\[0, 1\]"),
        ([[["a"]]], "numbers"),
        (np.zeros((2, 0, 3)), "empty"),
    ],
)
def test_frames_to_uint8_errors(frames: object, match: str) -> None:
    with pytest.raises(ExportError, match=match):
        frames_to_uint8(frames)  # type: ignore[arg-type]


def test_pingpong() -> None:
    frames = np.arange(4)[:, None, None] * np.ones((4, 2, 2))
    out = pingpong(frames)
    assert out[:, 0, 0].tolist() == [0, 1, 2, 3, 2, 1]
    assert len(pingpong(frames[:2])) == 2
    assert len(pingpong(frames[:1])) == 1


# --------------------------------------------------------------------------------------
# GIF


@pytest.mark.parametrize(
    ("fps", "first"),
    [(24, [40, 40, 50, 40, 40, 40]), (30, [30, 40, 30, 30, 40, 30]), (25, [40] * 6), (10, [100] * 6),
     (60, [20] * 6), (100, [20] * 6), (0.5, [2000] * 6)],
)
def test_gif_delays_are_centiseconds_that_average_the_frame_rate(fps: float, first: list[int]) -> None:
    assert gif_frame_durations_ms(fps, 6) == first
    durations = gif_frame_durations_ms(fps, 240)
    assert all(d % 10 == 0 and d >= 20 for d in durations)
    assert np.mean(durations) == pytest.approx(1000.0 / effective_fps(fps), abs=0.05)
    assert effective_fps(fps) == min(fps, 50.0)
    assert gif_frame_durations_ms(fps, 0) == []


@pytest.mark.parametrize(("fps", "frames"), [(24, 48), (30, 30), (12, 20), (24, 7)])
def test_a_gif_read_back_plays_at_the_chosen_frame_rate(tmp_path: Path, fps: float, frames: int) -> None:
    path = save_gif(_frames(frames), tmp_path / "anim.gif", fps=fps, size=28)
    _, durations, _ = _gif_frames(path)
    assert len(durations) == frames and all(d % 10 == 0 for d in durations)
    # A loop lasts the whole number of centiseconds nearest to frames/fps, so the mean delay
    # is 1000/fps to within 5 ms / frames.
    assert np.mean(durations) == pytest.approx(1000.0 / fps, abs=1.0)


def test_gif_basic(tmp_path: Path) -> None:
    frames = _frames(6)
    path = save_gif(frames, tmp_path / "anim.gif", fps=24, size=112)
    assert path == tmp_path / "anim.gif"
    pixels, durations, meta = _gif_frames(path)
    assert len(pixels) == 6
    assert meta.size == (112, 112)
    assert meta.info["loop"] == 0  # loop forever
    assert durations == [40, 40, 50, 40, 40, 40]  # 24 fps: 41.7 ms a frame on average
    # White ink on black: bright blob centre, black corners; frames really differ.
    assert pixels[0][0, 0] == 0 and pixels[0].max() == 255
    assert not np.array_equal(pixels[0], pixels[1])
    # Pixels survive the round trip (full 256-level grey palette; frames after the first
    # store only their changed rectangle, composited over the previous frame).
    for got, frame in zip(pixels, frames_to_uint8(frames)):
        expected = Image.fromarray(frame).resize((112, 112), Image.Resampling.LANCZOS)
        assert np.array_equal(got, np.asarray(expected))
    assert _entries(tmp_path) == ["anim.gif"]  # no temp files left


def test_gif_keeps_identical_frames(tmp_path: Path) -> None:
    # Pillow's own writer would merge these into fewer frames with longer delays.
    base = _frames(3)
    frames = np.stack([base[0], base[0], base[0], base[1], base[1], base[2]])
    path = save_gif(frames, tmp_path / "same.gif", fps=50, size=28)
    pixels, durations, _ = _gif_frames(path)
    assert len(pixels) == 6
    assert durations == [20] * 6
    assert np.array_equal(pixels[0], pixels[1]) and np.array_equal(pixels[1], pixels[2])
    still = save_gif(np.zeros((5, 28, 28)), tmp_path / "still.gif")
    assert _gif_frames(still)[0].__len__() == 5


def test_gif_pingpong_and_single_frame(tmp_path: Path) -> None:
    path = save_gif(_frames(5), tmp_path / "pp.gif", pingpong=True, size=28)
    pixels, _, _ = _gif_frames(path)
    assert len(pixels) == 8
    assert np.array_equal(pixels[3], pixels[5]) and np.array_equal(pixels[1], pixels[7])
    one = save_gif(_frames(1), tmp_path / "one.gif", pingpong=True, size=28)
    pixels, durations, _ = _gif_frames(one)
    assert len(pixels) == 1 and durations == [40]


def test_gif_non_square_keeps_aspect(tmp_path: Path) -> None:
    frames = np.zeros((2, 28, 56))
    frames[1, :, :28] = 1.0
    _, _, meta = _gif_frames(save_gif(frames, tmp_path / "wide.gif", size=112))
    assert meta.size == (112, 56)


def test_gif_progress(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    save_gif(_frames(4), tmp_path / "p.gif", pingpong=True, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(i, 6) for i in range(1, 7)]


def test_gif_cancel_leaves_nothing(tmp_path: Path) -> None:
    polls = []

    def cancel_at_third() -> bool:
        polls.append(1)
        return len(polls) == 3

    with pytest.raises(ExportCancelled):
        save_gif(_frames(6), tmp_path / "c.gif", should_cancel=cancel_at_third)
    assert _entries(tmp_path) == []


def test_gif_cancel_keeps_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "keep.gif"
    target.write_bytes(b"previous export")
    with pytest.raises(ExportCancelled):
        save_gif(_frames(6), target, should_cancel=lambda: True)
    assert target.read_bytes() == b"previous export"
    assert _entries(tmp_path) == ["keep.gif"]


def test_gif_failure_midway_leaves_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "fail.gif"
    target.write_bytes(b"old")

    def explode(done: int, total: int) -> None:
        if done == 3:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        save_gif(_frames(6), target, progress=explode)
    assert target.read_bytes() == b"old"
    assert _entries(tmp_path) == ["fail.gif"]

    with pytest.raises(KeyboardInterrupt):
        save_gif(_frames(6), tmp_path / "int.gif", should_cancel=_raise_interrupt)
    assert _entries(tmp_path) == ["fail.gif"]


def _raise_interrupt() -> bool:
    raise KeyboardInterrupt


def test_gif_overwrites_and_creates_folders(tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper" / "a.gif"
    save_gif(_frames(2), target, size=28)
    save_gif(_frames(3), target, size=28)
    assert len(_gif_frames(target)[0]) == 3


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"size": 27}, "between 28 and 2048"),
        ({"size": 2049}, "between 28 and 2048"),
        ({"size": 100.0}, "integer"),
        ({"size": True}, "integer"),
        ({"fps": 0.4}, "between 0.5 and 100"),
        ({"fps": 101}, "between 0.5 and 100"),
        ({"fps": float("nan")}, "between 0.5 and 100"),
        ({"fps": "fast"}, "number"),
    ],
)
def test_gif_argument_errors(tmp_path: Path, kwargs: dict, match: str) -> None:
    with pytest.raises(ExportError, match=match):
        save_gif(_frames(2), tmp_path / "x.gif", **kwargs)
    assert _entries(tmp_path) == []


def test_gif_frame_errors(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="no frames to export"):
        save_gif(np.zeros((0, 28, 28)), tmp_path / "x.gif")
    with pytest.raises(ExportError, match="NaN"):
        save_gif(np.full((2, 28, 28), np.nan), tmp_path / "x.gif")
    assert _entries(tmp_path) == []


def test_gif_unwritable_paths(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    bad = blocker / "sub" / "x.gif"
    with pytest.raises(ExportError, match="cannot write") as info:
        save_gif(_frames(2), bad)
    assert str(bad) in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(ExportError, match="it is a folder"):
        save_gif(_frames(2), tmp_path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_gif_read_only_folder(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ExportError, match="cannot write"):
            save_gif(_frames(2), locked / "x.gif")
    finally:
        locked.chmod(0o700)


# --------------------------------------------------------------------------------------
# PNG frames


def test_png_frames(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    folder = save_png_frames(
        _frames(4), tmp_path / "out", size=56, pingpong=True, progress=lambda d, t: calls.append((d, t))
    )
    names = _entries(folder)
    assert names == [f"frame_{i:04d}.png" for i in range(6)]
    assert calls[-1] == (6, 6) and len(calls) == 6
    with Image.open(folder / "frame_0002.png") as im:
        assert im.size == (56, 56) and im.mode == "L"
    assert _entries(tmp_path) == ["out"]


def test_png_frames_replace_previous_export(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    save_png_frames(_frames(5), folder, size=28)
    save_png_frames(_frames(2), folder, size=28)
    assert _entries(folder) == ["frame_0000.png", "frame_0001.png"]
    assert _entries(tmp_path) == ["out"]


def test_png_frames_cancel_and_failure(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    save_png_frames(_frames(3), folder, size=28)
    before = {name: (folder / name).read_bytes() for name in _entries(folder)}
    with pytest.raises(ExportCancelled):
        save_png_frames(_frames(6), folder, should_cancel=lambda: True)

    def explode(done: int, total: int) -> None:
        if done == 2:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        save_png_frames(_frames(6), folder, progress=explode)
    with pytest.raises(ExportCancelled):
        save_png_frames(_frames(6), tmp_path / "fresh", should_cancel=lambda: True)
    assert {name: (folder / name).read_bytes() for name in _entries(folder)} == before
    assert _entries(tmp_path) == ["out"]


def test_png_frames_refuses_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(ExportError, match="refusing to replace"):
        save_png_frames(_frames(2), tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    with pytest.raises(ExportError, match="not a folder"):
        save_png_frames(_frames(2), tmp_path / "notes.txt")
    with pytest.raises(ExportError, match="between 28 and 2048"):
        save_png_frames(_frames(2), tmp_path / "x", size=10)
    with pytest.raises(ExportError, match="no frames"):
        save_png_frames(np.zeros((0, 28, 28)), tmp_path / "x")
    assert _entries(tmp_path) == ["notes.txt"]


# --------------------------------------------------------------------------------------
# Single PNG


def test_save_png(tmp_path: Path) -> None:
    image = _frames(1)[0]
    native = save_png(image, tmp_path / "digit.png")
    with Image.open(native) as im:
        assert im.size == (28, 28) and im.mode == "L"
        assert np.array_equal(np.asarray(im), frames_to_uint8(image[None])[0])
    big = save_png(image, tmp_path / "big.png", size=280)
    with Image.open(big) as im:
        assert im.size == (280, 280)
    assert _entries(tmp_path) == ["big.png", "digit.png"]


def test_save_png_errors(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"\(H, W\)"):
        save_png(np.zeros((1, 28, 28)), tmp_path / "x.png")
    with pytest.raises(ExportError, match=r"\[0, 1\]"):
        save_png(np.full((28, 28), 2.0), tmp_path / "x.png")
    with pytest.raises(ExportError, match="between 28 and 2048"):
        save_png(np.zeros((28, 28)), tmp_path / "x.png", size=5000)
    assert _entries(tmp_path) == []


def test_written_files_have_ordinary_permissions(tmp_path):
    import os

    from vaedesk.export import save_gif as _save

    old = os.umask(0o022)
    try:
        path = _save(np.zeros((2, 28, 28)), tmp_path / "p.gif", size=28)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644
