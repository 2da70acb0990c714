"""The model card: what a card may hold, checked in one place when it is read and before
it is written, so every part of vaedesk can trust the card of a loaded model.

The schema lists every field vaedesk reads (the CLI, the window, the training studio,
fine-tuning) and the ones it writes; other fields are allowed and left alone. Each check
names the field and the value it found in one line, e.g. ``card field metrics.neg_elbo
must be a finite number, not "abc"``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vaedesk.errors import ModelError
from vaedesk.support.limits import CARD_LIMIT, LATENT_DIM_LIMIT
from vaedesk.support.safe_read import read_limited

KINDS = ("vae", "ae")  # a variational autoencoder, or a plain one
ARCHITECTURE = "conv-v1"  # the network vaedesk.model.nets builds; a card names it
MAX_WIDTH = 1024  # convolution channels and dense units (TrainConfig checks the same)
MAX_NAME = 255  # a file name's length: the name is a file stem
MAX_ANCESTRY = 100  # fine_tuned_from nesting: deep enough for any real chain, far from recursion limits

_MISSING = object()


def _shown(value: Any) -> str:
    """A short, one-line, control-character-free rendering of a card value for a message."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str) and len(value) > 40:
        return json.dumps(value[:40]) + "…"
    return json.dumps(value)  # escapes control characters; null, true, NaN as JSON spells them


class Check:
    """A test of one JSON value and the words that say what it should be."""

    def __init__(self, expected: str, test: Callable[[Any], bool]):
        self.expected, self.test = expected, test

    def problem(self, value: Any, path: str) -> str | None:
        return None if self.test(value) else f"card field {path} must be {self.expected}, not {_shown(value)}"

    def __or__(self, other: Check) -> Check:
        return Check(f"{self.expected} or {other.expected}", lambda v: self.test(v) or other.test(v))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite(value: Any) -> bool:
    try:
        return (_is_int(value) or isinstance(value, float)) and math.isfinite(float(value))
    except OverflowError:  # an integer beyond float range
        return False


def integer(low: int | None = None, high: int | None = None) -> Check:
    if low is None:
        return Check("a whole number", _is_int)
    words = f"a whole number from {low} to {high}" if high is not None else f"a whole number of at least {low}"
    return Check(words, lambda v: _is_int(v) and v >= low and (high is None or v <= high))


NULL = Check("null", lambda v: v is None)
BOOL = Check("true or false", lambda v: isinstance(v, bool))
TEXT = Check("a string", lambda v: isinstance(v, str))
NUMBER = Check("a finite number", _is_finite)
# Training history may record a test loss that became NaN; nothing computes with it.
ANY_NUMBER = Check("a number", lambda v: _is_int(v) or isinstance(v, float))


def one_of(*choices: str) -> Check:
    return Check("one of " + ", ".join(json.dumps(c) for c in choices), lambda v: v in choices and isinstance(v, str))


# A schema maps each field to (required, check); a nested dict is a nested object.
Schema = dict[str, tuple[bool, "Check | Schema"]]

ARCHITECTURE_SCHEMA: Schema = {
    "name": (True, Check(f'"{ARCHITECTURE}" (the architecture this version reads)', lambda v: v == ARCHITECTURE)),
    "width": (True, integer(1, MAX_WIDTH)),
    "hidden": (True, integer(1, MAX_WIDTH)),
}

TRAINING_SCHEMA: Schema = {  # vaedesk.training.config.TrainConfig, less what the card holds above
    "epochs": (False, integer(1)),
    "batch_size": (False, integer(1)),
    "lr": (False, NUMBER),
    "beta": (False, NUMBER),
    "seed": (False, integer()),
    "data_dir": (False, TEXT | NULL),  # read by vaedesk.data.datasets.trained_on
    "limit": (False, integer(1) | NULL),
    "categories": (False, TEXT | NULL),  # read by vaedesk.data.datasets.trained_categories
    "augment": (False, NUMBER),
    "pen_style": (False, NUMBER),
    "elastic": (False, NUMBER),
    "sketches": (False, NUMBER),
    "jitter": (False, NUMBER),
    "ema": (False, NUMBER),
    "device": (False, TEXT),  # as asked: "auto", "cpu", "cuda", ...
    "amp": (False, BOOL),
}

METRICS_SCHEMA: Schema = {  # vaedesk.insight.evaluation.evaluate; printed by the CLI and the window
    "neg_elbo": (False, NUMBER),
    "recon": (False, NUMBER),
    "kl": (False, NUMBER),
    "active_units": (False, integer(0)),
    "knn5_test": (False, NUMBER),
    "knn5_drawings": (False, NUMBER),
    "knn5_heldout": (False, NUMBER),
}

ANCESTOR_SCHEMA: Schema = {  # vaedesk.training.loop copies these from the parent of a fine-tuned model
    "name": (False, TEXT | NULL),
    "command": (False, TEXT | NULL),
    "seed": (False, integer() | NULL),
    "epochs": (False, NUMBER | NULL),
    "weights_sha256": (False, TEXT | NULL),
    # "fine_tuned_from" (the parent's parent) is walked by _ancestry_problem, not recursively.
}

CARD_SCHEMA: Schema = {
    "kind": (True, one_of(*KINDS)),
    "latent_dim": (True, integer(1, LATENT_DIM_LIMIT)),
    "architecture": (True, ARCHITECTURE_SCHEMA),
    "name": (False, Check(f"a string of at most {MAX_NAME} characters",
                          lambda v: isinstance(v, str) and len(v) <= MAX_NAME)),
    "weights_sha256": (False, TEXT | NULL),  # null: no digest to check
    "weights_dtype": (False, TEXT),  # as stored, e.g. "float16"; always loaded as float32
    "dataset": (False, TEXT),
    "training": (False, TRAINING_SCHEMA),
    "seed": (False, integer()),
    "epochs": (False, NUMBER),
    "command": (False, TEXT | NULL),
    "history": (False, Check("a list", lambda v: isinstance(v, list))),  # its items: _history_problem
    "train_seconds": (False, NUMBER),
    "created": (False, TEXT),
    "vaedesk_version": (False, TEXT),
    "torch_version": (False, TEXT),
    "threads": (False, integer(1)),
    "device": (False, TEXT),  # where it trained, e.g. "cpu" or "cuda:0 (NVIDIA H200)"
    "processes": (False, integer(1)),  # distributed data parallel processes (1: one process)
    "torch_cuda": (False, TEXT | NULL),  # the CUDA version PyTorch was built with; null for a CPU build
    "resumed": (False, integer(0)),  # how many times the run was resumed from a checkpoint
    "stopped_early": (False, BOOL),
    "metrics": (False, METRICS_SCHEMA),
    "notes": (False, TEXT),  # what sets the model apart, in a sentence or two (shown on its card)
    # "fine_tuned_from": _ancestry_problem
}

# Objects that may also be null in a card vaedesk writes (a model trained from scratch).
_NULLABLE_OBJECTS = {"training"}


def _object_problem(value: Any, schema: Schema, prefix: str) -> str | None:
    if not isinstance(value, dict):
        return f"card field {prefix.rstrip('.')} must be an object, not {_shown(value)}" if prefix else (
            f"model card must be a JSON object, not {_shown(value)}")
    for key, (required, check) in schema.items():
        path = prefix + key
        field = value.get(key, _MISSING)
        if field is _MISSING:
            if required:
                return f"card field {path} is missing"
            continue
        if isinstance(check, dict):
            if field is None and key in _NULLABLE_OBJECTS:
                continue
            problem = _object_problem(field, check, path + ".")
        else:
            problem = check.problem(field, path)
        if problem:
            return problem
    return None


def _key_text(key: str) -> str:
    """A key in one word: blanks and control characters as \\uXXXX, at most 30 characters."""
    text = "".join(c if c.isprintable() and not c.isspace() else f"\\u{ord(c):04x}" for c in key)
    return text if len(text) <= 30 else text[:27] + "..."


def _history_problem(history: list) -> str | None:
    for i, entry in enumerate(history):
        if not isinstance(entry, dict):
            return f"card field history[{i}] must be an object, not {_shown(entry)}"
        for key, value in entry.items():
            # A key is the card's own text: named plainly only when it is a plain name.
            field = f"history[{i}].{key}" if key.isidentifier() else f'history[{i}]["{_key_text(key)}"]'
            problem = ANY_NUMBER.problem(value, field)
            if problem:
                return problem
    return None


def _ancestry_problem(card: dict) -> str | None:
    """The chain of parents of a fine-tuned model, walked in a loop (it nests once per fine-tune)."""
    node, path = card.get("fine_tuned_from"), "fine_tuned_from"
    for _ in range(MAX_ANCESTRY):
        if node is None:
            return None
        problem = _object_problem(node, ANCESTOR_SCHEMA, path + ".")
        if problem:
            return problem
        node, path = node.get("fine_tuned_from"), path + ".fine_tuned_from"
    return None if node is None else f"card field fine_tuned_from nests more than {MAX_ANCESTRY} parents deep"


def card_problem(card: Any) -> str | None:
    """What is wrong with a parsed card, in one line; None when every known field is usable."""
    return (_object_problem(card, CARD_SCHEMA, "")
            or _history_problem(card.get("history", []))
            or _ancestry_problem(card))


def read_card(card_path: str | os.PathLike) -> dict[str, Any]:
    """The card at ``card_path``, checked against the schema; ModelError naming the file if not."""
    card_path = Path(card_path)
    raw = read_limited(card_path, CARD_LIMIT, ModelError, "model card")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelError(f"{card_path}: model card is not UTF-8 text") from None
    try:
        card = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(f"{card_path}: model card is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except (ValueError, RecursionError) as exc:  # an integer of over 4300 digits; nesting too deep
        raise ModelError(f"{card_path}: model card is not usable JSON ({exc})") from None
    problem = card_problem(card)
    if problem:
        raise ModelError(f"{card_path}: {problem}")
    return card


def card_text(card: dict[str, Any], where: str | os.PathLike) -> str:
    """The JSON text of ``card`` as it is saved, refused (ModelError) unless :func:`read_card`
    would accept it: vaedesk never writes a card it cannot read back."""
    text = json.dumps(card, indent=2) + "\n"
    problem = card_problem(json.loads(text))
    if problem is None and len(text.encode("utf-8")) > CARD_LIMIT:
        problem = f"the card would be larger than {CARD_LIMIT:,} bytes"
    if problem:
        raise ModelError(f"{where}: cannot save the model: {problem}")
    return text
