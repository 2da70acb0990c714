"""A model's two files (weights and card) replaced as one unit, and read as a matching pair.

Renaming two files can't be one atomic step, so a save goes through a pair of "next" names:

1. the new weights and card are written to temporary files;
2. the weights are renamed to ``.NAME.safetensors.next``;
3. the card is renamed to ``.NAME.json.next``: the commit point, since that card's
   ``weights_sha256`` names the next weights;
4. the weights are renamed onto ``NAME.safetensors``, then 5. the card onto ``NAME.json``.

A process killed anywhere in between leaves either no next card (the old pair is intact; a
lone next weights file is discarded) or a next card whose digest matches the next weights or,
after step 4, the weights in place: :func:`settle` finishes that replacement. Readers and
writers settle under a lock on the folder (``flock``, where the system has it) and readers
open both files under it, so a reader never pairs one save's card with another's weights.
In a read-only folder nothing is renamed: :func:`settle` names the committed pair to read.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

from vaedesk.errors import ModelError
from vaedesk.support.limits import CARD_LIMIT
from vaedesk.support.safe_read import open_regular, read_limited

try:
    import fcntl
except ImportError:  # Windows: no folder lock; a save is still crash-safe, only races are not excluded
    fcntl = None  # type: ignore[assignment]

NEXT = ".next"
# A lock is held for a few renames or two file reads; a holder stuck far longer (a hung
# network file system) must not hang the app, so after this the work goes ahead unlocked.
LOCK_WAIT_S = 10.0


def next_files(weights: Path, card: Path) -> tuple[Path, Path]:
    return weights.with_name(f".{weights.name}{NEXT}"), card.with_name(f".{card.name}{NEXT}")


def _temporary(target: Path) -> Path:
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")


def _remove_dead_temporaries(weights: Path, card: Path) -> None:
    """Temporary files of a save that was killed. Saves write them holding the folder lock,
    so under it, any there are dead."""
    dead = re.compile(rf"\.({re.escape(weights.name)}|{re.escape(card.name)})\.[0-9a-f]{{8}}\.tmp")
    with contextlib.suppress(OSError):
        for entry in os.scandir(weights.parent):
            if dead.fullmatch(entry.name):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[bool]:
    """Hold an exclusive lock on ``folder`` (True), or go ahead without one (False) where
    locks are unavailable: no fcntl, a folder that can't be opened, a lock held too long."""
    fd = -1
    if fcntl is not None:
        with contextlib.suppress(OSError):
            fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    locked = False
    try:
        if fd >= 0:
            deadline = time.monotonic() + LOCK_WAIT_S
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    locked = True
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                        break
                    time.sleep(0.005)
        yield locked
    finally:
        if fd >= 0:
            os.close(fd)  # releases the lock


def _sha256_of(path: Path) -> str | None:
    """The SHA-256 of a regular file; None when it is missing or not a regular file."""
    try:
        with open_regular(path, ModelError, "model weights") as fh:
            digest = hashlib.sha256()
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
            return digest.hexdigest()
    except (ModelError, OSError):
        return None


def _committed_digest(card_next: Path) -> str | None:
    """The weights digest a next card commits to; None if there is no usable next card."""
    try:
        card = json.loads(read_limited(card_next, CARD_LIMIT, ModelError, "model card").decode("utf-8"))
    except (ModelError, ValueError, RecursionError):
        return None
    digest = card.get("weights_sha256") if isinstance(card, dict) else None
    return digest if isinstance(digest, str) else None


def pending(weights: Path, card: Path) -> bool:
    return any(os.path.lexists(p) for p in next_files(weights, card))


def settle(weights: Path, card: Path, locked: bool) -> tuple[Path, Path]:
    """Finish a committed replacement of this model (or discard an uncommitted one) and
    return the weights and card to read: ``(weights, card)``, or in a folder where nothing
    can be renamed, the committed pair under the next names.

    Call it holding :func:`folder_lock`; ``locked`` says whether the lock was obtained.
    Without it another process may be mid-save, so nothing uncommitted is deleted then.
    """
    weights_next, card_next = next_files(weights, card)
    if locked:
        _remove_dead_temporaries(weights, card)
    if not pending(weights, card):
        return weights, card
    digest = _committed_digest(card_next) if os.path.lexists(card_next) else None
    source = None  # the weights the next card commits to
    if digest is not None:
        if _sha256_of(weights_next) == digest:
            source = weights_next
        elif _sha256_of(weights) == digest:
            source = weights  # step 4 was done
    try:
        if source is None:  # nothing committed: what is there is a dead save's leftovers
            if locked:
                for leftover in (card_next, weights_next):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(leftover)
            return weights, card
        if source == weights_next:
            os.replace(weights_next, weights)
            source = weights
        os.replace(card_next, card)
        if locked:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(weights_next)  # a stale uncommitted one beside a finished commit
    except FileNotFoundError:
        pass  # an unlocked reader raced another one to the same renames: theirs did it
    except OSError:
        if source is not None and os.path.lexists(card_next):  # read-only: read the committed pair
            return source, card_next
    return weights, card


def write_pair(weights: Path, card: Path, weights_bytes: bytes, card_bytes: bytes) -> None:
    """Replace the model at ``weights`` / ``card`` by these contents, as one unit."""
    folder = weights.parent
    folder.mkdir(parents=True, exist_ok=True)
    weights_next, card_next = next_files(weights, card)
    temporaries = []
    # The temporary files are written under the lock too, so that any a reader finds are dead.
    with folder_lock(folder) as locked:
        try:
            settle(weights, card, locked)  # a killed save's commit is finished before this one starts
            for target, data in ((weights, weights_bytes), (card, card_bytes)):
                tmp = _temporary(target)
                temporaries.append(tmp)
                # The usual permissions (0666 less the umask), like every other file vaedesk writes.
                fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0), 0o666)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
            os.replace(temporaries[0], weights_next)
            os.replace(temporaries[1], card_next)  # the commit point
            os.replace(weights_next, weights)
            os.replace(card_next, card)
        finally:
            for tmp in temporaries:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
