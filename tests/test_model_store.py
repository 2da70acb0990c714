"""A model (weights + card) is replaced as one unit: a save killed at any instant leaves the
old model or the new one loadable, never new weights beside the old card."""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import torch

from vaedesk.errors import ModelError
from vaedesk.model.model import Model, list_models, load_model, new_card
from vaedesk.model.nets import AutoEncoder

from tests.support.paths import REPO


class Killed(BaseException):
    """Stands for SIGKILL: the save stops here (the folder is copied before anything else runs)."""


def small(seed: int) -> Model:
    torch.manual_seed(seed)
    return Model(AutoEncoder("vae", 2, width=2, hidden=4), new_card("vae", 2, width=2, hidden=4))


@pytest.fixture(scope="module")
def old_new(tmp_path_factory):
    """Two different small models and the digests of their weights."""
    folder = tmp_path_factory.mktemp("pair")
    old, new = small(0), small(1)
    old.save(folder / "old")
    new.save(folder / "new")
    return old, new, old.card["weights_sha256"], new.card["weights_sha256"]


def kill_at_replace(monkeypatch, k: int, folder: Path, snapshot: Path) -> None:
    """The k-th os.replace from now copies ``folder`` as it is (the disk a kill leaves) and raises."""
    calls = {"n": 0}
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == k:
            shutil.copytree(folder, snapshot)
            raise Killed
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


def count_replaces(monkeypatch, action) -> int:
    calls = {"n": 0}
    real = os.replace

    def replace(*args, **kwargs):
        calls["n"] += 1
        return real(*args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(os, "replace", replace)
        action()
    return calls["n"]


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_save_killed_before_any_rename_keeps_the_old_model(tmp_path, monkeypatch, old_new):
    old, new, old_digest, new_digest = old_new
    steps = count_replaces(monkeypatch, lambda: old.save(tmp_path / "count" / "m"))
    assert steps == 4  # weights -> next, card -> next (commit), weights and card into place
    for k in range(1, steps + 1):
        folder = tmp_path / f"k{k}"
        old.save(folder / "m")
        snapshot = tmp_path / f"k{k}-killed"
        with monkeypatch.context() as m:
            kill_at_replace(m, k, folder, snapshot)
            with pytest.raises(Killed):
                new.save(folder / "m")
        # Killed before the card reached its next name: the old model; after: the new one.
        expected = old_digest if k <= 2 else new_digest
        assert load_model(snapshot / "m.safetensors").digest == expected, k
        # The reader finished (or discarded) the replacement: two plain files, nothing pending.
        assert visible(snapshot) == ["m.json", "m.safetensors"], k
        assert load_model(snapshot / "m").digest == expected
        # And the next save over the killed one works normally.
        old.save(folder / "m")
        assert load_model(folder / "m").digest == old_digest


def test_a_reader_killed_while_finishing_a_replacement(tmp_path, monkeypatch, old_new):
    """The roll-forward itself is two renames; a kill between them must not lose the model."""
    old, new, old_digest, new_digest = old_new
    for k in (3, 4):  # the states with a committed, unfinished replacement
        folder = tmp_path / f"k{k}"
        old.save(folder / "m")
        killed = tmp_path / f"k{k}-killed"
        with monkeypatch.context() as m:
            kill_at_replace(m, k, folder, killed)
            with pytest.raises(Killed):
                new.save(folder / "m")
        for j in (1, 2):
            reader_killed = tmp_path / f"k{k}-j{j}"
            with monkeypatch.context() as m:
                kill_at_replace(m, j, killed, reader_killed)
                try:
                    load_model(killed / "m")
                except Killed:
                    pass
            if reader_killed.exists():  # after step 4 only one rename is left to finish
                assert load_model(reader_killed / "m").digest == new_digest, (k, j)


def test_first_save_killed_leaves_nothing_or_the_new_model(tmp_path, monkeypatch, old_new):
    _, new, _, new_digest = old_new
    for k in range(1, 5):
        folder = tmp_path / f"k{k}"
        folder.mkdir()
        snapshot = tmp_path / f"k{k}-killed"
        with monkeypatch.context() as m:
            kill_at_replace(m, k, folder, snapshot)
            with pytest.raises(Killed):
                new.save(folder / "m")
        if k <= 2:
            with pytest.raises(ModelError, match="not found"):
                load_model(snapshot / "m")
        else:
            assert load_model(snapshot / "m").digest == new_digest


def test_a_read_only_folder_still_loads_the_committed_model(tmp_path, monkeypatch, old_new):
    old, new, _, new_digest = old_new
    monkeypatch.setenv("VAEDESK_HOME", str(tmp_path))
    folder = tmp_path / "models"
    old.save(folder / "m")
    old.save(folder / "first")
    for name, k in (("m", 3), ("m2", 4), ("first", 3)):
        if name == "m2":
            old.save(folder / "m2")
        with monkeypatch.context() as m:
            kill_at_replace(m, k, folder, tmp_path / f"snap-{name}")
            with pytest.raises(Killed):
                new.save(folder / name)
    (folder / "first.json").unlink()  # as if its very first save had been killed at step 3
    (folder / "first.safetensors").unlink()

    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    before = visible(folder)
    with monkeypatch.context() as m:
        m.setattr(os, "replace", refuse)
        m.setattr(os, "unlink", refuse)
        for name in ("m", "m2", "first"):
            assert load_model(name).digest == new_digest, name
        assert {"m", "m2", "first"} <= set(list_models())
    assert visible(folder) == before  # nothing could be renamed
    assert load_model("first").digest == new_digest  # writable again: finished on the way
    assert (folder / "first.json").is_file() and not (folder / ".first.json.next").exists()


def test_an_uncommitted_leftover_is_ignored_then_discarded(tmp_path, old_new):
    old, new, old_digest, _ = old_new
    path = old.save(tmp_path / "m")
    (tmp_path / ".m.safetensors.next").write_bytes(b"half a save")
    (tmp_path / ".m.json.next").write_text('{"weights_sha256": "not these"}')
    assert load_model(path).digest == old_digest
    assert visible(tmp_path) == ["m.json", "m.safetensors"]


def test_readers_and_a_writer_race(tmp_path, old_new):
    """The studio saves every epoch while the window loads the same model."""
    old, new, old_digest, new_digest = old_new
    path = old.save(tmp_path / "m")
    writer_models = [small(0), small(1)]
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            i = 0
            while not stop.is_set():
                writer_models[i % 2].save(path)
                i += 1
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        seen = set()
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            seen.add(load_model(path).digest)
    finally:
        stop.set()
        writer.join()
    assert not errors, errors
    assert seen <= {old_digest, new_digest} and seen


def test_weights_and_card_have_the_usual_permissions(tmp_path, old_new):
    old = old_new[0]
    umask = os.umask(0o022)
    try:
        path = old.save(tmp_path / "m")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644  # safetensors' own writer made them 0600
    assert path.with_suffix(".json").stat().st_mode & 0o777 == 0o644


_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from vaedesk.model.store import write_pair

    target, a, b = (Path(p) for p in sys.argv[1:4])
    pairs = [(p.with_suffix(".safetensors").read_bytes(), p.with_suffix(".json").read_bytes()) for p in (a, b)]
    i = 0
    while True:
        write_pair(target.with_suffix(".safetensors"), target.with_suffix(".json"), *pairs[i % 2])
        if i == 0:
            print("ready", flush=True)
        i += 1
""")


@pytest.mark.subprocess
def test_kill_9_during_repeated_saves(tmp_path, old_new):
    """A real SIGKILL at random instants of a process saving over and over."""
    old, new, old_digest, new_digest = old_new
    a, b = tmp_path / "a", tmp_path / "b"
    old.save(a)
    new.save(b)
    folder = tmp_path / "models"
    folder.mkdir()
    rng = random.Random(0)
    for _ in range(12):
        process = subprocess.Popen([sys.executable, "-c", _WRITER, str(folder / "m"), str(a), str(b)],
                                   stdout=subprocess.PIPE, cwd=REPO)
        assert process.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0, 0.03))
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()
        assert load_model(folder / "m").digest in (old_digest, new_digest)
