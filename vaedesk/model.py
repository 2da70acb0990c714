"""Trained models: loading, saving and the NumPy-facing encode/decode API.

A model is two files side by side: ``NAME.safetensors`` (the weights; safetensors holds
plain tensors only, so loading a model can never execute code) and ``NAME.json``, its model
card: kind, latent size, architecture, data, seed, epochs, the exact training command,
measured metrics, and the SHA-256 of the weights so a card can't be paired with the wrong
weights.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .atomic import atomic_path
from .catalog import (  # noqa: F401  (re-exported: the model API in one place)
    CARD_SUFFIX, DEFAULT_MODEL, WEIGHTS_SUFFIX, list_models, model_files, resolve_model_path,
)
from .catalog import probe_path
from .errors import ImageError, LatentError, ModelError
from .nets import ARCHITECTURE, KINDS, AutoEncoder

_MAX_LATENT = 512
_MAX_WIDTH = 1024
# Large batches run in chunks: 256 images keep the convolutions' working buffers in cache
# (measured: encoding 10k test images takes 0.59 s in chunks of 256, 1.26 s in chunks of
# 2000) and bound the memory a big batch needs.
CHUNK = 256


@dataclass(frozen=True)
class Posterior:
    """The encoder's output for a batch: a diagonal Gaussian q(z|x) per image.

    ``mean`` and ``logvar`` are (N, latent_dim) arrays; ``logvar`` is None for a plain
    autoencoder, whose encoder returns a point, not a distribution.
    """

    mean: np.ndarray
    logvar: np.ndarray | None

    @property
    def std(self) -> np.ndarray | None:
        return None if self.logvar is None else np.exp(0.5 * self.logvar)

    def sample(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """``n`` draws z ~ q(z|x) for each image: shape (N, n, latent_dim)."""
        rng = rng or np.random.default_rng()
        if self.logvar is None:
            return np.repeat(self.mean[:, None, :], n, axis=1)
        noise = rng.standard_normal((self.mean.shape[0], n, self.mean.shape[1])).astype(np.float32)
        return self.mean[:, None, :] + noise * self.std[:, None, :]

    def __len__(self) -> int:
        return self.mean.shape[0]


class Model:
    """A trained VAE or autoencoder with a NumPy API. Create with :func:`load_model`."""

    def __init__(self, net: AutoEncoder, card: dict[str, Any], path: Path | None = None, digest: str | None = None):
        self.net = net.eval()
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
        x = np.asarray(images, dtype=np.float32)
        if x.shape == (28, 28):
            x = x[None]
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise ImageError(f"expected images of shape (N, 28, 28), got {x.shape}")
        if not np.isfinite(x).all():
            raise ImageError("images contain NaN or infinite values")
        if x.size and (x.min() < -1e-3 or x.max() > 1 + 1e-3):
            raise ImageError(f"image values must lie in [0, 1], got [{x.min():.3g}, {x.max():.3g}]")
        x = torch.from_numpy(np.clip(x, 0.0, 1.0))
        with torch.inference_mode():
            parts = [self.net.encoder(x[i : i + CHUNK]) for i in range(0, max(len(x), 1), CHUNK)]
        mean = torch.cat([m for m, _ in parts]).numpy()
        logvar = None if parts[0][1] is None else torch.cat([v for _, v in parts]).numpy()
        return Posterior(mean, logvar)

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Decode latent points (N, latent_dim) to pixel probabilities (N, 28, 28) in [0, 1]."""
        z = np.asarray(z, dtype=np.float32)
        if z.ndim == 1 and z.shape[0] == self.latent_dim:
            z = z[None]
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise LatentError(f"expected latent points of shape (N, {self.latent_dim}), got {z.shape}")
        if not np.isfinite(z).all():
            raise LatentError("latent points contain NaN or infinite values")
        z = torch.from_numpy(z)
        with torch.inference_mode():
            parts = [torch.sigmoid(self.net.decoder(z[i : i + CHUNK])) for i in range(0, max(len(z), 1), CHUNK)]
        return torch.cat(parts).numpy()

    def reconstruct(self, images: np.ndarray) -> np.ndarray:
        """Decode the posterior mean of each image."""
        return self.decode(self.encode(images).mean)

    def save(self, path: str | os.PathLike) -> Path:
        """Write weights and card (both atomically); ``path`` may name either file or the stem."""
        from safetensors.torch import save_file

        weights, card_path = model_files(Path(path))
        state = {k: v.detach().contiguous() for k, v in self.net.state_dict().items()}
        with atomic_path(weights) as tmp:
            save_file(state, str(tmp))
            digest = _sha256(tmp)
        card = dict(self.card, name=weights.stem, weights_sha256=digest)
        with atomic_path(card_path) as tmp:
            tmp.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
        self.card, self.path = card, weights
        return weights


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_card(card_path: Path) -> dict[str, Any]:
    try:
        text = card_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelError(f"{card_path}: model card not found (every model needs NAME{CARD_SUFFIX} beside its weights)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"{card_path}: cannot read model card ({exc})") from None
    try:
        card = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(f"{card_path}: model card is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except (ValueError, RecursionError) as exc:  # an integer of over 4300 digits; nesting too deep
        raise ModelError(f"{card_path}: model card is not usable JSON ({exc})") from None
    if not isinstance(card, dict):
        raise ModelError(f"{card_path}: model card must be a JSON object")
    kind, dim, arch = card.get("kind"), card.get("latent_dim"), card.get("architecture", {})
    if kind not in KINDS:
        raise ModelError(f"{card_path}: card has kind {kind!r}; expected one of {', '.join(KINDS)}")
    if not isinstance(dim, int) or isinstance(dim, bool) or not 1 <= dim <= _MAX_LATENT:
        raise ModelError(f"{card_path}: card has an invalid latent_dim {dim!r}")
    if not isinstance(arch, dict) or arch.get("name") != ARCHITECTURE:
        raise ModelError(f"{card_path}: unknown architecture {arch!r} (this version reads {ARCHITECTURE!r})")
    for key in ("width", "hidden"):
        value = arch.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= _MAX_WIDTH:
            raise ModelError(f"{card_path}: card has an invalid architecture {key} {value!r}")
    return card


def load_model(name_or_path: str | os.PathLike | None = None) -> Model:
    """Load a model by name (see :func:`list_models`) or path; the default model when None."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    weights = resolve_model_path(name_or_path)
    card_path = model_files(weights)[1]
    if not probe_path(weights, "is_file"):
        raise ModelError(f"{weights}: model weights not found")
    card = read_card(card_path)
    expected_digest = card.get("weights_sha256")
    digest = _sha256(weights)
    if expected_digest is not None and expected_digest != digest:
        raise ModelError(f"{card_path}: the card does not match its weights (SHA-256 differs): "
                         "the weights were replaced or are corrupt")
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise ModelError(f"{weights}: not a valid safetensors weights file ({exc})") from None
    arch = card["architecture"]
    # Built on the meta device (no memory) and then handed the file's own tensors, so a card
    # that lies about the size never allocates the network it claims (1 GB at the limits).
    with torch.device("meta"):
        net = AutoEncoder(card["kind"], card["latent_dim"], width=arch["width"], hidden=arch["hidden"])
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
    return Model(net, card, weights, digest)


def new_card(kind: str, latent_dim: int, width: int = 32, hidden: int = 512) -> dict[str, Any]:
    return {
        "kind": kind,
        "latent_dim": latent_dim,
        "architecture": {"name": ARCHITECTURE, "width": width, "hidden": hidden},
    }
