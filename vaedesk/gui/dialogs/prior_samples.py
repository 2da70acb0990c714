"""Fresh samples: decodings of draws from the prior beside draws from the encoded training
set (the aggregate posterior), to show where the two differ."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from vaedesk.gui.accessible import named
from vaedesk.gui.terms import explain
from vaedesk.gui.widgets.images import ImageStrip


class PriorSamplesDialog(QDialog):
    """A non-modal dialog (objectName ``prior_samples``) that deletes itself when closed."""

    def __init__(self, prior: Sequence[np.ndarray] | np.ndarray, aggregate: Sequence[np.ndarray] | np.ndarray,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("prior_samples")
        self.setWindowTitle("Fresh samples")
        layout = QVBoxLayout(self)
        for text, images, key in (("From the prior N(0, I): what a VAE generates", prior, "prior"),
                                  ("From the encoded training set (the aggregate posterior)", aggregate,
                                   "aggregate_posterior")):
            layout.addWidget(explain(QLabel(text), key))
            strip = named(ImageStrip(len(images), tile_size=56, keyboard=True, item_name="Sample"), text,
                          "Decodings of fresh samples; arrow keys go from one to the next")
            strip.set_images(list(images))
            layout.addWidget(strip)
        note = QLabel("Where the two rows differ, the prior samples regions the encoder leaves empty.")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
