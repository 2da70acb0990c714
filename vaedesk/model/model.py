"""Trained models: loading, saving and the NumPy-facing encode/decode API.

A model is two files side by side: ``NAME.safetensors`` (the weights, as float16, loaded as
float32; safetensors holds plain tensors only, so loading a model can never execute code) and
``NAME.json``, its model card: kind, latent size, architecture, data, seed, epochs, the exact
training command, measured metrics, and the SHA-256 of the weights so a card can't be paired
with the wrong weights. ``vaedesk train`` adds ``NAME.md``, the card as Markdown
(:mod:`vaedesk.model.card_markdown`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vaedesk.errors import ImageError, LatentError, ModelError, VaedeskError, one_line
from vaedesk.model.card import card_text, read_card  # noqa: F401  (read_card re-exported)
from vaedesk.model.catalog import (  # noqa: F401  (re-exported: the model API in one place)
    CARD_SUFFIX,
    DEFAULT_MODEL,
    WEIGHTS_SUFFIX,
    list_models,
    model_files,
    probe_path,
    resolve_model_path,
)
from vaedesk.model.nets import ARCHITECTURE, AutoEncoder
from vaedesk.model.posterior import Posterior  # noqa: F401  (re-exported: the model API in one place)
from vaedesk.model.store import folder_lock, pending, settle, write_pair
from vaedesk.support.limits import LATENT_LIMIT
from vaedesk.support.safe_read import read_limited

# Large batches run in chunks: 256 images keep the convolutions' working buffers in cache
# (much faster than chunks of thousands) and bound the memory a big batch needs.
CHUNK = 256
# Weights are written as float16 and read back as float32 (older float32 files load as they
# are): half the size, and no change in the shipped models' metrics beyond noise, where
# bfloat16's shorter mantissa moved them measurably (see docs/models.md).
STORED_DTYPE = torch.float16
_HALF_MAX = torch.finfo(STORED_DTYPE).max


class Model:
    """A trained VAE or autoencoder with a NumPy API. Create with :func:`load_model`.

    Wrapping a network changes nothing in it (the training studio looks through a Model at
    the network it is training); :func:`load_model` and training hand it over in eval mode.
    """

    def __init__(self, net: AutoEncoder, card: dict[str, Any], path: Path | None = None, digest: str | None = None):
        self.net = net
        self.card = card
        self.path = path
        self.digest = digest  # SHA-256 of the weights file it was loaded from, if any

    @property
    def name(self) -> str:
        return str(self.card.get("name", "unnamed"))

    @property
    def kind(self) -> str:
        return self.net.kind

    @property
    def latent_dim(self) -> int:
        return self.net.latent_dim

    def __repr__(self) -> str:
        return f"<Model {self.name!r}: {self.kind}, {self.latent_dim}-d latent>"

    def encode(self, images: np.ndarray) -> Posterior:
        """Encode float images (N, 28, 28) in [0, 1], white ink on black (a single (28, 28) too)."""
        x = _numbers(images, np.float32, ImageError, "images")
        if x.shape == (28, 28):
            x = x[None]
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise ImageError(f"expected images of shape (N, 28, 28), got {x.shape}")
        if not np.isfinite(x).all():
            raise ImageError("images contain NaN or infinite values")
        if x.size and (x.min() < -1e-3 or x.max() > 1 + 1e-3):
            raise ImageError(f"image values must lie in [0, 1], got [{x.min():.3g}, {x.max():.3g}]")
        batch = torch.from_numpy(np.clip(x, 0.0, 1.0))
        with torch.inference_mode():
            parts = [self.net.encoder(batch[i : i + CHUNK]) for i in range(0, max(len(batch), 1), CHUNK)]
        mean = torch.cat([m for m, _ in parts]).numpy()
        logvar = None if parts[0][1] is None else torch.cat([v for _, v in parts]).numpy()
        posterior = Posterior(mean, logvar)
        # Finite weights can still overflow; the std too (exp of a log-variance above ~177).
        if not all(np.isfinite(a).all() for a in (mean, logvar, posterior.std) if a is not None):
            raise ModelError(f"{self.name}: the model produced NaN or infinite values for these images "
                             "(its weights are broken)")
        return posterior

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Decode latent points (N, latent_dim) to pixel probabilities (N, 28, 28) in [0, 1].

        Coordinates must lie within ±LATENT_LIMIT (vaedesk.support.limits)."""
        z = _numbers(z, np.float64, LatentError, "latent points")
        if z.ndim == 1 and z.shape[0] == self.latent_dim:
            z = z[None]
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise LatentError(f"expected latent points of shape (N, {self.latent_dim}), got {z.shape}")
        if not np.isfinite(z).all():
            raise LatentError("latent points contain NaN or infinite values")
        if z.size and np.abs(z).max() > LATENT_LIMIT:
            worst = z.flat[np.abs(z).argmax()]
            raise LatentError(f"latent coordinates must lie within ±{LATENT_LIMIT:g}, got {worst:g}")
        points = torch.from_numpy(z.astype(np.float32))
        with torch.inference_mode():
            parts = [torch.sigmoid(self.net.decoder(points[i : i + CHUNK]))
                     for i in range(0, max(len(points), 1), CHUNK)]
        images = torch.cat(parts).numpy()
        if not np.isfinite(images).all():
            raise ModelError(f"{self.name}: the model produced NaN or infinite values for these latent points "
                             "(its weights are broken)")
        return images

    def reconstruct(self, images: np.ndarray) -> np.ndarray:
        """Decode the posterior mean of each image."""
        return self.decode(self.encode(images).mean)

    def save(self, path: str | os.PathLike) -> Path:
        """Write weights and card as one unit (see vaedesk.model.store): after a crash at any
        point the old model or the new one loads. ``path`` may name either file or the stem."""
        from safetensors.torch import save

        weights, card_path = model_files(Path(path))
        state = stored_state(self.net)
        blob = save(state)
        dtypes = ", ".join(sorted({str(t.dtype).removeprefix("torch.") for t in state.values()}))
        card = dict(self.card, name=weights.stem, weights_sha256=hashlib.sha256(blob).hexdigest(),
                    weights_dtype=dtypes)
        text = card_text(card, card_path)
        write_pair(weights, card_path, blob, text.encode("utf-8"))
        self.card, self.path = card, weights
        return weights


def _stored(tensor: torch.Tensor) -> torch.Tensor:
    """One tensor as a model file holds it: float16, unless a value lies beyond its range."""
    tensor = tensor.detach().to("cpu", torch.float32)
    if tensor.numel() and tensor.abs().max() > _HALF_MAX:
        return tensor.contiguous()  # float32 keeps it; read back the same way
    return tensor.to(STORED_DTYPE).contiguous()


def stored_state(net: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The weights as :meth:`Model.save` writes them (see :data:`STORED_DTYPE`)."""
    return {key: _stored(tensor) for key, tensor in net.state_dict().items()}


def round_to_stored(net: torch.nn.Module) -> None:
    """Round the network's weights, in place, to the values its saved file will hold, so
    what is measured on it is what loading the file gives."""
    with torch.no_grad():
        for tensor in net.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(_stored(tensor).to(tensor.dtype))


def _numbers(values: Any, dtype: type, error: type[VaedeskError], what: str) -> np.ndarray:
    """``values`` as an array of ``dtype``; ``error`` (one line) for text, ragged lists, objects."""
    try:
        array = np.asarray(values)
        if array.dtype.kind == "O":  # Python ints beyond int64 and the like
            array = array.astype(np.float64)
    except (TypeError, ValueError, OverflowError):
        array = None
    if array is None or array.dtype.kind not in "biuf":
        kind = {"U": "text", "S": "bytes", "c": "complex numbers"}.get(getattr(array, "dtype", np.dtype("O")).kind)
        raise error(f"{what} must be an array of real numbers, not {kind or type(values).__name__}")
    return np.asarray(array, dtype=dtype)


def _weights_limit(net: AutoEncoder) -> int:
    """The largest weights file the card's network can have: float64 tensors plus a header."""
    return 8 * sum(p.numel() for p in net.parameters()) + (1 << 20)


def load_model(name_or_path: str | os.PathLike | None = None) -> Model:
    """Load a model by name (see :func:`list_models`) or path; the default model when None."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    weights = resolve_model_path(name_or_path)
    card_path = model_files(weights)[1]
    if not probe_path(weights, "exists") and not pending(weights, card_path):
        raise ModelError(f"{weights}: model weights not found")
    # Both files are read under the folder's lock, so a save in progress is finished or not
    # begun; the weights are hashed and deserialised from the same bytes.
    with folder_lock(weights.parent) as locked:
        weights, card_path = settle(weights, card_path, locked)
        card = read_card(card_path)
        arch = card["architecture"]
        # Built on the meta device (no memory) and then handed the file's own tensors, so a card
        # that lies about the size never allocates the network it claims (1 GB at the limits).
        with torch.device("meta"):
            net = AutoEncoder(card["kind"], card["latent_dim"], width=arch["width"], hidden=arch["hidden"])
        blob = read_limited(weights, _weights_limit(net), ModelError, "model weights")
    digest = hashlib.sha256(blob).hexdigest()
    expected_digest = card.get("weights_sha256")
    if expected_digest is not None and expected_digest != digest:
        raise ModelError(f"{card_path}: the card does not match its weights (SHA-256 differs): "
                         "the weights were replaced or are corrupt")
    try:
        state = load(blob)
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise ModelError(f"{weights}: not a valid safetensors weights file ({one_line(exc)})") from None
    del blob
    odd = sorted(key for key, tensor in state.items() if not tensor.is_floating_point())
    if odd:  # integer or boolean weights are no trained network; converting them only warns
        more = f" and {len(odd) - 1} more" if len(odd) > 1 else ""
        raise ModelError(f"{weights}: weights must be floating point, not {str(state[odd[0]].dtype)[6:]} "
                         f"({odd[0][:60]!r}{more})")
    state = {key: tensor.to(torch.float32) for key, tensor in state.items()}
    try:
        net.load_state_dict(state, strict=True, assign=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        detail = first[1].strip() if len(first) > 1 else first[0]
        raise ModelError(f"{weights}: weights do not match the card's architecture ({detail})") from None
    if any(not torch.isfinite(t).all() for t in state.values()):
        raise ModelError(f"{weights}: weights contain NaN or infinite values")
    card = dict(card, name=card.get("name", weights.stem))
    return Model(net.eval(), card, weights, digest)


def new_card(kind: str, latent_dim: int, width: int = 32, hidden: int = 512) -> dict[str, Any]:
    return {
        "kind": kind,
        "latent_dim": latent_dim,
        "architecture": {"name": ARCHITECTURE, "width": width, "hidden": hidden},
    }
