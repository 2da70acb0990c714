"""Bounds and sizes shared by every part of vaedesk that uses them, so a writer and a
reader (or a canvas and a file) agree.

Each bound is documented in docs/reliability.md.
"""

from __future__ import annotations

#: Latent coordinates lie within ±LATENT_LIMIT. The prior N(0, I) puts all but a vanishing
#: fraction of its mass within ±10 and trained posteriors sit within ±5; far beyond that the
#: decoder's activations overflow float32 and its images turn to NaN.
LATENT_LIMIT = 1000.0

#: A model card is at most CARD_LIMIT bytes. The shipped cards are 3-4 kB and a card grows by
#: about 200 bytes per epoch of training history, so this holds some 20,000 epochs, while a
#: hostile card can't make a reader parse gigabytes.
CARD_LIMIT = 4 * 1024 * 1024

#: A latent space has at most LATENT_DIM_LIMIT dimensions: what training accepts and a model
#: card may declare, and what the latent maths (paths, planes) accepts.
LATENT_DIM_LIMIT = 512

#: A morph or exported animation has at most FRAMES_LIMIT frames (the app offers 1000). Each
#: frame costs a decode, 3 kB of pixels and up to 4 MB once upscaled; without a bound one
#: number asks for terabytes.
FRAMES_LIMIT = 10_000

#: Drawings are recorded in a square canvas space this many units a side (x right, y down),
#: whatever the size of the widget: the canvas, drawing files and synthetic drawings share it.
CANVAS_SIZE = 280

#: Exported morph frames are this many pixels a side unless asked otherwise (10x MNIST's 28).
DEFAULT_FRAME_SIZE = 280
