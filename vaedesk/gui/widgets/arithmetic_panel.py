"""Latent arithmetic in the window: two groups of examples, their attribute vector, a slider.

The user fills group A and group B from a menu the window provides (the drawing, kept
drawings, pins, test digits); *Compute* asks the window for the vector from A's mean
latent to B's. The α slider then asks for ``latent + α · vector`` to be decoded, and a named
attribute can be saved (the window keeps it in the session) and chosen again later. The
panel holds the groups and the shown vector; everything else goes through its signals.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from vaedesk.gui.accessible import named
from vaedesk.gui.widgets.images import DigitView, array_to_pixmap
from vaedesk.gui.widgets.removable_list import RemovableList
from vaedesk.latent.attributes import MAX_NAME_LENGTH, Member

__all__ = ["ALPHA_RANGE", "GROUPS", "AttributePanel", "Choice"]

GROUPS = ("a", "b")
ALPHA_RANGE = 3.0  # the slider's ± range, in attribute vectors
_ALPHA_SCALE = 100  # slider steps per unit of α
_ICON = 40

#: A menu entry offered for a group: its menu path ("Kept drawings/#2" puts "#2" in a
#: "Kept drawings" submenu) and what makes the member (None: nothing added, e.g. cancelled).
Choice = tuple[str, Callable[[], Member | None]]

INTRO_TEXT = ("Pick two groups of examples — e.g. upright and slanted drawings, or thin and bold digits. "
              "The attribute is the step from group A's mean latent to group B's; the slider adds "
              "α × that step to your drawing (or the selected pin) and decodes it.")


class AttributePanel(QWidget):
    """Groups A and B, the attribute they define, and α (``objectName`` ``attributes``).

    Signals:
        compute_requested(): both groups have examples and the user asked for their vector.
        alpha_changed(alpha): the slider moved.
        save_requested(name): keep the shown vector under ``name``.
        attribute_chosen(name): a saved attribute was picked from the list.
        delete_requested(name): remove a saved attribute.
    """

    compute_requested = Signal()
    alpha_changed = Signal(float)
    save_requested = Signal(str)
    attribute_chosen = Signal(str)
    delete_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attributes")
        self._members: dict[str, list[Member]] = {group: [] for group in GROUPS}
        self._choices: Callable[[], list[Choice]] = list
        self._start: np.ndarray | None = None
        self._vector: np.ndarray | None = None

        intro = QLabel(INTRO_TEXT)
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        self._lists: dict[str, QListWidget] = {}
        self._add_buttons: dict[str, QToolButton] = {}
        for group in GROUPS:
            layout.addWidget(self._build_group(group))

        self.compute_button = QPushButton("Compute the attribute", objectName="attributes_compute")
        self.compute_button.setToolTip("The difference of the two groups' mean latents")
        self.compute_button.clicked.connect(self.compute_requested)
        named(self.compute_button, "Compute the attribute")
        self.readout = QLabel("No attribute yet.", objectName="attributes_readout")
        self.readout.setWordWrap(True)
        layout.addWidget(self.compute_button)
        layout.addWidget(self.readout)

        self.alpha_slider = QSlider(Qt.Orientation.Horizontal, objectName="attributes_alpha")
        self.alpha_slider.setRange(-round(ALPHA_RANGE * _ALPHA_SCALE), round(ALPHA_RANGE * _ALPHA_SCALE))
        self.alpha_slider.setSingleStep(5)
        self.alpha_slider.setPageStep(50)
        self.alpha_slider.setToolTip("α: how far to move along the attribute (1 = from A's mean to B's)")
        self.alpha_slider.valueChanged.connect(self._on_slider)
        named(self.alpha_slider, "Attribute strength α")
        self.alpha_label = QLabel(self._alpha_text(0.0), objectName="attributes_alpha_label")
        self.target_label = QLabel("", objectName="attributes_target")
        self.target_label.setWordWrap(True)
        self.edited_view = DigitView(caption="Edited", hint_size=96)
        self.edited_view.setObjectName("attributes_edited")
        named(self.edited_view, "Edited digit", "What the model decodes after moving along the attribute")
        alpha_row = QHBoxLayout()
        alpha_row.addWidget(self.alpha_label)
        alpha_row.addWidget(self.alpha_slider, 1)
        edited_row = QHBoxLayout()
        edited_row.addWidget(self.edited_view)
        edited_row.addWidget(self.target_label, 1)
        layout.addLayout(alpha_row)
        layout.addLayout(edited_row)

        self.name_edit = QLineEdit(objectName="attributes_name")
        self.name_edit.setPlaceholderText("Name, e.g. slant")
        self.name_edit.setMaxLength(MAX_NAME_LENGTH)
        self.name_edit.returnPressed.connect(self._on_save)
        named(self.name_edit, "Attribute name", "The name to save the attribute under, e.g. slant")
        self.save_button = QPushButton("Save", objectName="attributes_save")
        self.save_button.clicked.connect(self._on_save)
        named(self.save_button, "Save attribute", "Save the attribute under its name")
        self.saved_combo = QComboBox(objectName="attributes_saved")
        self.saved_combo.setToolTip("Attributes saved for this model (kept in the session)")
        self.saved_combo.activated.connect(self._on_chosen)
        named(self.saved_combo, "Saved attributes")
        self.delete_button = QPushButton("Delete", objectName="attributes_delete")
        self.delete_button.clicked.connect(self._on_delete)
        named(self.delete_button, "Delete attribute", "Delete the saved attribute chosen")
        saved = QGridLayout()
        saved.addWidget(QLabel("Name"), 0, 0)
        saved.addWidget(self.name_edit, 0, 1)
        saved.addWidget(self.save_button, 0, 2)
        saved.addWidget(QLabel("Saved"), 1, 0)
        saved.addWidget(self.saved_combo, 1, 1)
        saved.addWidget(self.delete_button, 1, 2)
        layout.addLayout(saved)
        layout.addStretch(1)
        self.set_saved_names([])
        self._update_enabled()

    def _build_group(self, group: str) -> QGroupBox:
        box = QGroupBox(f"Group {group.upper()}", objectName=f"attributes_box_{group}")
        items = RemovableList(objectName=f"attributes_group_{group}")
        items.setViewMode(QListView.ViewMode.IconMode)
        items.setIconSize(QSize(_ICON, _ICON))
        items.setFlow(QListView.Flow.LeftToRight)
        items.setWrapping(False)
        items.setFixedHeight(_ICON + 44)
        items.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        named(items, f"Examples in group {group.upper()}",
              f"The drawings, pins and digits of group {group.upper()}; Delete or Backspace removes the selected ones")
        items.remove_requested.connect(lambda: self.remove_selected(group))
        add = QToolButton(objectName=f"attributes_add_{group}")
        add.setText("Add")
        add.setToolTip(f"Add examples to group {group.upper()}")
        add.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(add)
        menu.aboutToShow.connect(lambda: self._fill_menu(group, menu))
        add.setMenu(menu)
        remove = QPushButton("Remove", objectName=f"attributes_remove_{group}")
        remove.setToolTip("Remove the selected examples")
        remove.clicked.connect(lambda: self.remove_selected(group))
        clear = QPushButton("Clear", objectName=f"attributes_clear_{group}")
        clear.clicked.connect(lambda: self.clear_group(group))
        named(add, f"Add to group {group.upper()}")
        named(remove, f"Remove from group {group.upper()}", f"Remove the selected examples from group {group.upper()}")
        named(clear, f"Clear group {group.upper()}", f"Remove every example from group {group.upper()}")
        buttons = QHBoxLayout()
        for button in (add, remove, clear):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(box)
        layout.addWidget(items)
        layout.addLayout(buttons)
        self._lists[group], self._add_buttons[group] = items, add
        return box

    # ------------------------------------------------------------------ groups
    def set_choice_provider(self, provider: Callable[[], list[Choice]]) -> None:
        """Where the Add menus get their entries, asked each time a menu opens."""
        self._choices = provider

    def _fill_menu(self, group: str, menu: QMenu) -> None:
        menu.clear()
        submenus: dict[str, QMenu] = {}
        choices = self._choices()
        if not choices:
            menu.addAction("Nothing to add yet: draw, keep drawings or pin points").setEnabled(False)
        for path, make in choices:
            parent, _, text = path.rpartition("/")
            target = menu
            if parent:
                if parent not in submenus:
                    submenus[parent] = menu.addMenu(parent)
                target = submenus[parent]
            target.addAction(text).triggered.connect(lambda _=False, make=make: self._add_made(group, make))

    def _add_made(self, group: str, make: Callable[[], Member | None]) -> None:
        member = make()
        if member is not None:
            self.add_member(group, member)

    def members(self, group: str) -> list[Member]:
        return list(self._members[group])

    def add_member(self, group: str, member: Member) -> None:
        self._members[group].append(member)
        item = QListWidgetItem(member.label)
        item.setToolTip(f"{member.label}: {len(member)} example{'s' if len(member) != 1 else ''}")
        if member.kind == "images":
            item.setIcon(QIcon(array_to_pixmap(member.data.mean(0), _ICON)))
        self._lists[group].addItem(item)
        self._update_enabled()

    def remove_selected(self, group: str) -> None:
        items = self._lists[group]
        rows = sorted((items.row(item) for item in items.selectedItems()), reverse=True)
        for row in rows:
            items.takeItem(row)
            del self._members[group][row]
        self._update_enabled()

    def clear_group(self, group: str) -> None:
        self._lists[group].clear()
        self._members[group].clear()
        self._update_enabled()

    # ------------------------------------------------------------------ the attribute
    def set_vector(self, start: np.ndarray, vector: np.ndarray, what: str) -> None:
        """Show an attribute: the step ``vector`` from ``start`` (both (D,)); ``what`` says
        where it came from."""
        self._start, self._vector = np.array(start, np.float64), np.array(vector, np.float64)
        self.readout.setText(f"{what}. Length ‖v‖ = {np.linalg.norm(self._vector):.2f} "
                             f"(the prior's σ is 1 in every direction).")
        self._update_enabled()

    def clear_vector(self) -> None:
        self._start = self._vector = None
        self.readout.setText("No attribute yet.")
        self.edited_view.set_image(None)
        self._update_enabled()

    def vector(self) -> np.ndarray | None:
        return None if self._vector is None else self._vector.copy()

    def start(self) -> np.ndarray | None:
        return None if self._start is None else self._start.copy()

    def alpha(self) -> float:
        return self.alpha_slider.value() / _ALPHA_SCALE

    def set_alpha(self, alpha: float) -> None:
        limit = round(ALPHA_RANGE * _ALPHA_SCALE)
        self.alpha_slider.setValue(max(-limit, min(limit, round(alpha * _ALPHA_SCALE))))

    @staticmethod
    def _alpha_text(alpha: float) -> str:
        return f"α = {alpha:+.2f}"

    def _on_slider(self, value: int) -> None:
        alpha = value / _ALPHA_SCALE
        self.alpha_label.setText(self._alpha_text(alpha))
        if self._vector is not None:
            self.alpha_changed.emit(alpha)

    def set_target(self, text: str) -> None:
        """Say what α moves (the drawing, a pin, or nothing yet)."""
        self.target_label.setText(text)

    def set_edited_image(self, image: np.ndarray | None) -> None:
        self.edited_view.set_image(image)

    # ------------------------------------------------------------------ saved attributes
    def set_saved_names(self, names: list[str], current: str | None = None) -> None:
        self.saved_combo.blockSignals(True)
        self.saved_combo.clear()
        if names:
            self.saved_combo.addItems(names)
            if current in names:
                self.saved_combo.setCurrentIndex(names.index(current))
        else:
            self.saved_combo.addItem("(none saved for this model)")
        self.saved_combo.setEnabled(bool(names))
        self.delete_button.setEnabled(bool(names))
        self.saved_combo.blockSignals(False)

    def saved_names(self) -> list[str]:
        if not self.saved_combo.isEnabled():
            return []
        return [self.saved_combo.itemText(i) for i in range(self.saved_combo.count())]

    def _on_save(self) -> None:
        if self._vector is not None:
            self.save_requested.emit(self.name_edit.text())

    def _on_chosen(self, index: int) -> None:
        if self.saved_combo.isEnabled() and index >= 0:
            self.attribute_chosen.emit(self.saved_combo.itemText(index))

    def _on_delete(self) -> None:
        if self.saved_combo.isEnabled():
            self.delete_requested.emit(self.saved_combo.currentText())

    def _update_enabled(self) -> None:
        self.compute_button.setEnabled(all(self._members[g] for g in GROUPS))
        has_vector = self._vector is not None
        self.alpha_slider.setEnabled(has_vector)
        self.save_button.setEnabled(has_vector)
        self.name_edit.setEnabled(has_vector)
