"""vaedesk: explore a Variational AutoEncoder by drawing.

The library API (no Qt needed)::

    import vaedesk
    model = vaedesk.load_model()            # the default 2-D MNIST VAE
    x = vaedesk.preprocess_strokes(strokes) # a drawing -> the 28x28 model input
    posterior = model.encode(x[None])       # .mean, .logvar, .std
    images = model.decode(posterior.mean)

Names are imported lazily so that ``import vaedesk`` (and the command line's start) stays
fast; heavy modules such as torch load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "list_models": "model.catalog",
    "load_model": "model.model",
    "Model": "model.model",
    "Posterior": "model.model",
    "DEFAULT_MODEL": "model.catalog",
    "preprocess_strokes": "data.strokes",
    "preprocess_image": "data.images",
    "load_image": "data.images",
    "interpolate_path": "latent.geometry",
    "Projection": "latent.views",
    "fit_view": "latent.views",
    "LatentView": "latent.views",
    "attribute_vector": "latent.attributes",
    "traverse": "latent.traversal",
    "save_traversal": "latent.traversal",
    "morph": "latent.morphing",
    "morph_frames": "latent.morphing",
    "save_gif": "export",
    "save_png_frames": "export",
    "load_split": "data.datasets",
    "read_idx": "data.idx",
    "write_idx": "data.idx",
    "evaluate": "insight.evaluation",
    "iwae_nll": "insight.evaluation",
    "explain": "insight.explanation",
    "DrawingReport": "insight.explanation",
    "ModelReference": "insight.explanation",
    "model_reference": "insight.explanation",
    "TrainConfig": "training.config",
    "train": "training.loop",
    "VaedeskError": "errors",
    "DataError": "errors",
    "ModelError": "errors",
    "ImageError": "errors",
    "DrawingError": "errors",
    "ExportError": "errors",
    "LatentError": "errors",
    "ExportCancelled": "errors",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'vaedesk' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
