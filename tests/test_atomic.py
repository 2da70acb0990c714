"""Atomic writes: no temporary outlives a killed writer, long names fit, folders are
replaced whole, and a new file never replaces another."""

import os
import subprocess
import sys
import textwrap

import pytest

from vaedesk.support.atomic import atomic_dir, atomic_path, sweep_stale, write_new

from tests.support.paths import REPO


def _run_and_kill_inside(code: str, tmp_path) -> None:
    """Run ``code`` in a fresh interpreter that SIGKILLs itself where the code says ``die()``."""
    script = textwrap.dedent("""
        import os, signal, sys
        sys.path.insert(0, {repo!r})
        from pathlib import Path
        import vaedesk.support.atomic as atomic
        def die(*_args):
            os.kill(os.getpid(), signal.SIGKILL)
        folder = Path({folder!r})
    """).format(repo=str(REPO), folder=str(tmp_path)) + textwrap.dedent(code)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == -9, result.stderr[-2000:]


@pytest.mark.subprocess
def test_a_killed_files_temporary_is_removed_by_the_next_write(tmp_path):
    _run_and_kill_inside("""
        with atomic.atomic_path(folder / "x.gif") as tmp:
            tmp.write_bytes(b"half a gif")
            die()
    """, tmp_path)
    assert [p.name for p in tmp_path.iterdir()][0].startswith(".x.gif.")  # the killed writer's leftover
    with atomic_path(tmp_path / "x.gif") as tmp:
        tmp.write_bytes(b"GIF89a")
    assert [p.name for p in tmp_path.iterdir()] == ["x.gif"]


@pytest.mark.subprocess
def test_a_killed_folders_temporary_is_removed_by_a_sweep(tmp_path):
    _run_and_kill_inside("""
        with atomic.atomic_dir(folder / "frames") as tmp:
            (tmp / "frame-0001.png").write_bytes(b"png")
            die()
    """, tmp_path)
    sweep_stale(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_temporaries_in_use_are_never_swept(tmp_path):
    other = tmp_path / ".y.gif.1-0123abcd.tmp"  # pid 1 (init) is always running
    other.write_bytes(b"another process is writing this")
    with atomic_path(tmp_path / "x.gif") as mine:
        mine.write_bytes(b"GIF")
        sweep_stale(tmp_path)  # e.g. another thread's write to the same folder
        assert mine.exists() and other.exists()
    assert other.exists()


@pytest.mark.parametrize("length", [251, 255])
def test_the_longest_legal_names_can_be_written(tmp_path, length):
    target = tmp_path / ("é" * ((length - 4) // 2) + "a" * ((length - 4) % 2) + ".gif")
    assert len(target.name.encode()) == length
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"GIF")
    with atomic_dir(tmp_path / ("d" * length)) as tmp:
        (tmp / "f").write_bytes(b"x")
    assert target.read_bytes() == b"GIF" and len(list(tmp_path.iterdir())) == 2


def test_replacing_a_folder_is_atomic(tmp_path):
    target = tmp_path / "frames"
    target.mkdir()
    (target / "old.png").write_bytes(b"old")
    with atomic_dir(target) as tmp:
        (tmp / "new.png").write_bytes(b"new")
    assert [p.name for p in target.iterdir()] == ["new.png"] and [p.name for p in tmp_path.iterdir()] == ["frames"]


@pytest.mark.subprocess
def test_a_kill_between_the_two_renames_of_a_folder_leaves_the_old_one_in_place(tmp_path):
    (tmp_path / "frames").mkdir()
    (tmp_path / "frames" / "old.png").write_bytes(b"old")
    # Where the system cannot swap two names in one step, the old folder is moved aside
    # first; a kill right after that must not lose it.
    _run_and_kill_inside("""
        atomic._exchange = lambda a, b: False
        real_replace, calls = os.replace, []
        def replace(a, b):
            calls.append(a)
            real_replace(a, b)
            if len(calls) == 1:
                die()
        os.replace = replace
        with atomic.atomic_dir(folder / "frames") as tmp:
            (tmp / "new.png").write_bytes(b"new")
    """, tmp_path)
    assert not (tmp_path / "frames").exists()  # what the kill left: the old folder hidden
    sweep_stale(tmp_path)  # at the next write to this folder, or the next start
    assert [p.name for p in tmp_path.iterdir()] == ["frames"]
    assert (tmp_path / "frames" / "old.png").read_bytes() == b"old"


def test_write_new_never_replaces_a_file(tmp_path):
    target = tmp_path / "kept.json"
    write_new(target, b"first")
    with pytest.raises(FileExistsError):
        write_new(target, b"second")
    assert target.read_bytes() == b"first" and [p.name for p in tmp_path.iterdir()] == ["kept.json"]


def test_files_are_written_with_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "a") as tmp:
            tmp.write_bytes(b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o644
