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
    "list_models": "catalog",
    "load_model": "model",
    "Model": "model",
    "Posterior": "model",
    "DEFAULT_MODEL": "catalog",
    "preprocess_strokes": "preprocess",
    "preprocess_image": "preprocess",
    "load_image": "preprocess",
    "interpolate_path": "latent",
    "Projection": "projection",
    "fit_view": "views",
    "LatentView": "views",
    "attribute_vector": "attributes",
    "traverse": "traversal",
    "save_traversal": "traversal",
    "morph": "morphing",
    "morph_frames": "morphing",
    "save_gif": "export",
    "save_png_frames": "export",
    "load_split": "data",
    "read_idx": "idx",
    "write_idx": "idx",
    "evaluate": "evaluation",
    "iwae_nll": "evaluation",
    "explain": "explanation",
    "DrawingReport": "explanation",
    "ModelReference": "explanation",
    "model_reference": "explanation",
    "TrainConfig": "training",
    "train": "training",
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
