"""Latent arithmetic: the Arithmetic tab's groups offered from the user's work, the vector
asked of the worker, its arrow on the plane, α applied to the drawing or selected pin and
decoded live, and named attributes kept in the workspace (and so in the session)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QInputDialog, QStatusBar

from vaedesk.errors import VaedeskError
from vaedesk.gui.client.model_client import WorkerClient
from vaedesk.gui.controllers.drawing import DrawingController
from vaedesk.gui.controllers.model import ModelController
from vaedesk.gui.controllers.subject import Subject
from vaedesk.gui.dialogs.messages import MessageBoxes
from vaedesk.gui.plane.widget import LatentPlane
from vaedesk.gui.widgets.arithmetic_panel import Choice
from vaedesk.gui.widgets.insight_tabs import InsightTabs
from vaedesk.latent.attributes import Attribute, Member, shifted
from vaedesk.service.protocol import AttributeResult, Channel, DecodeResult
from vaedesk.state.workspace import Workspace

COMPUTING_TEXT = "Computing the attribute…"


class AttributeController(QObject):
    """Keeps the Arithmetic tab's :class:`AttributePanel` in step with the model, the
    workspace and the plane. ``name`` is the shown attribute's name ("" until saved)."""

    def __init__(self, client: WorkerClient, workspace: Workspace, models: ModelController,
                 drawing: DrawingController, subject: Subject, tabs: InsightTabs, plane: LatentPlane,
                 status: QStatusBar, messages: MessageBoxes, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client, self.workspace, self.models = client, workspace, models
        self.drawing, self.subject = drawing, subject
        self.panel, self.plane, self.status, self.messages = tabs.attribute_panel, plane, status, messages
        self.name = ""
        self.description = ""  # the shown attribute's groups, in words
        self._model: str | None = None  # the model the groups and the shown vector belong to
        self._asked = ""  # the description of the groups last sent to the worker
        panel = self.panel
        panel.set_choice_provider(self.choices)
        panel.compute_requested.connect(self.compute)
        panel.alpha_changed.connect(lambda _alpha: self.apply())
        panel.save_requested.connect(self.save)
        panel.attribute_chosen.connect(self.choose)
        panel.delete_requested.connect(self.delete)
        self.workspace.attributes_changed.connect(self._show_saved)
        client.subscribe(Channel.ATTRIBUTE, self._on_reported, failed=self._failed)
        client.subscribe(Channel.LATENT, self._on_decoded)
        tabs.currentChanged.connect(lambda _index: self._on_shown())
        subject.changed.connect(self.apply)

    def _failed(self, message: str) -> None:  # the user pressed Compute: say why nothing came
        self._end_computing_message()
        self.messages.show("warning", "Could not compute the attribute", f"{message[:1].upper()}{message[1:]}.")

    def _model_key(self) -> str:
        return self.models.key

    # -- what the groups can hold ------------------------------------------------------------
    def choices(self) -> list[Choice]:
        """The Add menus' entries: the drawing, kept drawings, pins and test digits."""
        workspace, info, shown = self.workspace, self.models.info, self.drawing.last_encode
        out: list[Choice] = []
        if shown is not None:
            image = shown.input
            out.append(("Your drawing", lambda: Member("images", image[None], "your drawing")))
        inputs = workspace.gallery_inputs()
        if len(inputs) > 1:
            out.append((f"Every kept drawing ({len(inputs)})",
                        lambda: Member("images", np.stack(inputs), f"{len(inputs)} kept drawings")))
        for i, image in enumerate(inputs):
            out.append((f"Kept drawings/#{i + 1}", _member("images", image[None], f"#{i + 1}")))
        if info is None:
            return out
        pins = [pin for pin in workspace.pins(self.models.key) if len(pin.latent) == info.latent_dim]
        if pins:
            latents = np.array([pin.latent for pin in pins], np.float64)
            if len(pins) > 1:
                out.append((f"Every pin ({len(pins)})", lambda: Member("latents", latents, f"{len(pins)} pins")))
            for k, latent in enumerate(latents):
                out.append((f"Pins/Pin {k + 1}", _member("latents", latent[None], f"pin {k + 1}")))
        names = info.class_names or tuple(str(d) for d in range(10))
        labels = info.scatter_labels
        for label, name in enumerate(names):
            index = np.flatnonzero(labels == label)
            if len(index):
                out.append((f"Test digits labelled/{name} ({len(index)})",
                            _member("test", index, f"test: all {name}")))
        out.append(("Test digit by number…", self._ask_test_digit))
        return out

    def _ask_test_digit(self) -> Member | None:
        info = self.models.info
        if info is None:
            return None
        last = len(info.scatter_labels) - 1
        number, ok = QInputDialog.getInt(self.panel, "Add a test digit", f"Test digit number (0–{last}):", 0, 0, last)
        return Member("test", np.array([number]), f"test #{number}") if ok else None

    # -- the vector --------------------------------------------------------------------------
    def compute(self) -> None:
        if self.models.info is None:
            return
        self.status.showMessage(COMPUTING_TEXT)  # until the vector (or why not) comes
        group_a, group_b = self.panel.members("a"), self.panel.members("b")
        self._asked = "A: " + ", ".join(m.label for m in group_a) + "; B: " + ", ".join(m.label for m in group_b)
        self.client.attribute(group_a, group_b)

    def _on_reported(self, result: AttributeResult) -> None:
        self.name, self.description = "", self._asked
        na, nb = result.sizes
        source = f"From {na} example{'s' * (na != 1)} in A to {nb} in B"
        self.panel.set_vector(result.start, result.vector, source)
        self._after_new_vector()
        self.status.showMessage(f"Computed the attribute: {source[:1].lower()}{source[1:]}", 4000)

    def _end_computing_message(self) -> None:
        if self.status.currentMessage() == COMPUTING_TEXT:
            self.status.clearMessage()

    def _after_new_vector(self) -> None:
        self.show_arrow()
        self.apply()

    def show_arrow(self) -> None:
        """The attribute as an arrow from group A's mean to group B's, while its tab is shown."""
        info, start, vector = self.models.info, self.panel.start(), self.panel.vector()
        if info is None or start is None or vector is None or not self.panel.isVisible():
            self.plane.set_attribute_arrow(None)
            return
        ends = info.view.to_plane(np.stack([start, start + vector]))
        self.plane.set_attribute_arrow(ends[0], ends[1], self.name)

    def edited_latent(self) -> np.ndarray | None:
        """The drawing's (or selected pin's) latent moved by α × the attribute, or None."""
        vector, subject = self.panel.vector(), self.subject.latent()
        if vector is None or subject is None:
            return None
        return shifted(subject[0], vector, self.panel.alpha())

    def apply(self) -> None:
        """Decode the edited latent (when the tab is shown: it costs a decoding; not while
        another model loads: it is applied again once shown)."""
        if not self.panel.isVisible() or self.panel.vector() is None or self.models.loading:
            return
        subject = self.subject.latent()
        if subject is None:
            self.panel.set_target("Draw a digit or select a pin: α moves it along the attribute.")
            self.panel.set_edited_image(None)
            return
        self.panel.set_target(f"α × the attribute added to {subject[1]}.")
        latent = self.edited_latent()
        assert latent is not None  # the attribute and the subject, both checked above
        self.client.decode_latent(latent)

    def _on_decoded(self, result: DecodeResult) -> None:
        if self.panel.isVisible():
            self.panel.set_edited_image(result.images[0])
            self.plane.set_hover_marker(result.points[0])

    # -- saved attributes --------------------------------------------------------------------
    def save(self, name: str) -> None:
        start, vector, model = self.panel.start(), self.panel.vector(), self._model
        if start is None or vector is None or model is None:
            return
        try:
            attribute = Attribute(name, model, start, vector, self.description)
            self.workspace.save_attribute(attribute)
        except VaedeskError as exc:
            self.messages.show("warning", "Could not save the attribute", f"{exc}.")
            return
        self.name = name.strip()
        self._show_saved()
        self.show_arrow()
        self.status.showMessage(f"Saved the attribute '{self.name}' in the session", 4000)

    def _saved(self) -> list[Attribute]:
        info = self.models.info
        return [] if info is None else self.workspace.attributes(self._model_key(), info.latent_dim)

    def _show_saved(self) -> None:
        self.panel.set_saved_names([a.name for a in self._saved()], self.name or None)

    def choose(self, name: str) -> None:
        for attribute in self._saved():
            if attribute.name == name:
                self.name, self.description = attribute.name, attribute.description
                self.panel.set_vector(attribute.start, attribute.vector, f"Saved attribute '{name}'"
                                      + (f": {attribute.description}" if attribute.description else ""))
                self._after_new_vector()
                return

    def delete(self, name: str) -> None:
        try:
            self.workspace.remove_attribute(name, self._model_key())
        except VaedeskError as exc:
            self.status.showMessage(str(exc), 4000)
            return
        if name == self.name:
            self.name = ""
            self.show_arrow()

    # -- the window's state ------------------------------------------------------------------
    def show_model(self) -> None:
        if self._model != self._model_key():  # another model: its latents mean something else
            self._model, self.name, self.description = self._model_key(), "", ""
            self.panel.clear_vector()
            for group in ("a", "b"):
                self.panel.clear_group(group)
        self._show_saved()
        self.show_arrow()  # a new view draws it anew
        self.apply()

    def _on_shown(self) -> None:
        self.show_arrow()
        self.apply()


def _member(kind: str, data: np.ndarray, label: str) -> Callable[[], Member]:
    """A menu entry's maker of one fixed member (bound now, not to the loop's last value)."""
    return lambda: Member(kind, data, label)
