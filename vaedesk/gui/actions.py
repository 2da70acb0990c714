"""The window's actions, menus and toolbar, in one place: what a user can do, its shortcut,
and where it shows. Each action's slot is the window's (or a widget's) public method."""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from vaedesk.errors import VaedeskError
from vaedesk.gui.terms import explain
from vaedesk.insight.glossary import tooltip
from vaedesk.model.card import read_card
from vaedesk.model.catalog import list_models, model_files, resolve_model_path
from vaedesk.model.summary import model_description, model_summary
from vaedesk.support.palettes import THEME_LABELS, THEMES

if TYPE_CHECKING:
    from vaedesk.gui.window import MainWindow

_S = QKeySequence.StandardKey
ZOOM_STEP = 1.25  # the plane's view grows or shrinks by this factor per zoom key


def _bindings(shortcut: object) -> list[QKeySequence]:
    """Every key binding of a shortcut: all of the platform's for a standard key (a single
    QKeySequence keeps only the first), plus the ones the user guide promises everywhere."""
    if not shortcut:
        return []
    if isinstance(shortcut, QKeySequence.StandardKey):
        keys = QKeySequence.keyBindings(shortcut)
        for extra in _ALSO.get(shortcut, ()):
            if QKeySequence(extra) not in keys:
                keys.append(QKeySequence(extra))
        return keys
    return [QKeySequence(shortcut)]


_ALSO = {_S.Redo: ("Ctrl+Shift+Z", "Ctrl+Y"), _S.ZoomIn: ("Ctrl+=",)}


class WindowActions:
    """Every action of the main window, as a named attribute (``actions.undo``, …)."""

    def __init__(self, win: MainWindow) -> None:
        self._win = win
        self.open_drawing = self._make("open_drawing", "&Open drawing…", _S.Open, win.open_drawing_dialog)
        self.save_drawing = self._make("save_drawing", "&Save drawing…", _S.Save, win.save_drawing_dialog)
        self.open_image = self._make("open_image", "&Import image…", "Ctrl+I", win.open_image_dialog)
        self.export_gif = self._make("export_gif", "Export morph as &GIF…", "Ctrl+E",
                                     lambda: win.morph.export_dialog("gif"))
        self.export_png = self._make("export_png", "Export morph as PNG &frames…", "Ctrl+Shift+E",
                                     lambda: win.morph.export_dialog("png"))
        self.export_plane = self._make("export_plane", "Export p&lane as PNG/SVG…", "", win.export_plane_dialog)
        self.quit = self._make("quit", "&Quit", _S.Quit, win.quit)
        self.undo = self._make("undo", "&Undo", _S.Undo, win.canvas.undo)
        self.redo = self._make("redo", "&Redo", _S.Redo, win.canvas.redo)
        self.clear = self._make("clear", "&Clear drawing", "Ctrl+L", win.clear_drawing)
        self.keep = self._make("keep", "&Keep drawing in gallery", "Ctrl+K", win.keep_drawing)
        self.resample = self._make("resample", "Re&sample z ~ q(z|x)", "Ctrl+R", win.resample)
        self.clear_pins = self._make("clear_pins", "Remove all &pins", "Ctrl+Shift+P", win.workspace.clear_pins)
        self.manifold = self._make("manifold", "&Manifold overlay", "Ctrl+M", win.set_manifold_shown, checkable=True)
        self.reset_view = self._make("reset_view", "&Reset view", "Ctrl+0", win.plane.reset_view)
        self.aggregate_density = self._make("aggregate_density", "Encoded training set &density", "Ctrl+D",
                                            win.set_density_shown, checkable=True)
        self.sample_prior = self._make("sample_prior", "S&ample the prior and the encoded set", "Ctrl+G",
                                       win.sample_prior)
        self.compare = self._make("compare", "&Compare models side by side…", "Ctrl+Shift+C", win.show_compare)
        self.tour = self._make("tour", "Guided &tour: encode, sample, decode, loss", "F2", win.start_tour)
        # Space, as in media players (Ctrl+P is Print everywhere else); a text field or a
        # focused button still takes its own Space first.
        self.play_morph = self._make("play_morph", "&Play morph", "Space", lambda: win.morph_panel.play.toggle())
        self.zoom_in = self._make("zoom_in", "Zoom &in", _S.ZoomIn, lambda: win.plane.zoom(1 / ZOOM_STEP))
        self.zoom_out = self._make("zoom_out", "Zoom &out", _S.ZoomOut, lambda: win.plane.zoom(ZOOM_STEP))
        self.open_model = self._make("open_model", "Open &checkpoint…", "Ctrl+Shift+O", win.open_model_dialog)
        self.train = self._make("train", "&Train new model…", "Ctrl+T", win.open_training)
        self.about = self._make("about", "&About vaedesk and this model", _S.HelpContents, win.show_about)
        self.glossary = self._make("glossary", "&Glossary of terms", "", lambda: win.show_glossary())
        self.models = QActionGroup(win)  # one checkable action per model, in the Model menu
        self._opened_checkpoints: list[str] = []
        # View -> Plane: how a latent space above two dimensions is shown (one at a time).
        self.views = QActionGroup(win)
        self.view_pca = self._view("pca", "&Principal components (PCA)", "Alt+1")
        self.view_lda = self._view("lda", "&Class-separating (LDA)", "Alt+2")
        self.view_dims = self._view("dims", "Two latent &dimensions (most informative)", "Alt+3")
        self.view_neighbors = self._view("neighbors", "&Neighbourhoods (UMAP)", "Alt+4")
        # View -> Theme: Light, Dark or the system's look (one at a time, remembered).
        self.themes = QActionGroup(win)
        for name in THEMES:
            action = self._make(f"theme_{name}", THEME_LABELS[name], "",
                                lambda checked, n=name: self._win.set_theme(n) if checked else None, checkable=True)
            action.setData(name)
            self.themes.addAction(action)
        # The glossary's words where a menu entry names or shows them (tooltip and status line).
        for action, key in ((self.resample, "posterior"), (self.manifold, "manifold"),
                            (self.aggregate_density, "aggregate_posterior"), (self.sample_prior, "prior"),
                            (self.play_morph, "morph"), (self.view_pca, "pca"), (self.view_lda, "lda"),
                            (self.view_neighbors, "umap")):
            explain(action, key)
        self._build_menus()

    def check_theme(self, name: str) -> None:
        """Mark the theme in use (without applying it again)."""
        for action in self.themes.actions():
            action.blockSignals(True)
            action.setChecked(action.data() == name)
            action.blockSignals(False)

    def _view(self, kind: str, text: str, shortcut: str) -> QAction:
        action = self._make(f"view_{kind}", text, shortcut,
                            lambda checked, k=kind: self._win.set_view(k) if checked else None, checkable=True)
        action.setData(kind)
        self.views.addAction(action)
        return action

    def check_view(self, kind: str, enabled: bool) -> None:
        """Mark the shown view; the choice only exists above two dimensions."""
        for action in self.views.actions():
            action.blockSignals(True)
            action.setChecked(action.data() == kind)
            action.blockSignals(False)
            action.setEnabled(enabled)

    def _make(self, name: str, text: str, shortcut: object, slot: Callable, checkable: bool = False) -> QAction:
        action = QAction(text, self._win)
        action.setObjectName(f"action_{name}")
        action.setShortcuts(_bindings(shortcut))
        action.setCheckable(checkable)
        (action.toggled if checkable else action.triggered).connect(slot)
        self._win.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self._win.menuBar()
        self._fill(bar.addMenu("&File"), self.open_drawing, self.save_drawing, self.open_image, None,
                   self.export_gif, self.export_png, self.export_plane, None, self.quit)
        edit_menu = bar.addMenu("&Edit")
        self._fill(edit_menu, self.undo, self.redo, self.clear, None, self.keep, self.resample, self.clear_pins)
        view_menu = bar.addMenu("&View")
        plane_menu = view_menu.addMenu("&Plane of a latent space above 2-D")
        plane_menu.setObjectName("menu_plane")
        explain(plane_menu.menuAction(), "latent_space")
        self._fill(plane_menu, *self.views.actions())
        self._fill(view_menu, None, self.manifold, self.aggregate_density, self.zoom_in, self.zoom_out,
                   self.reset_view, None,
                   self.sample_prior, self.compare, self.play_morph, None)
        theme_menu = view_menu.addMenu("&Theme")
        theme_menu.setObjectName("menu_theme")
        self._fill(theme_menu, *self.themes.actions())
        self.model_menu = bar.addMenu("&Model")
        self.populate_models()
        help_menu = bar.addMenu("&Help")
        self._fill(help_menu, self.tour, self.glossary, self.about)
        for menu in (edit_menu, view_menu, plane_menu, self.model_menu, help_menu):
            menu.setToolTipsVisible(True)  # the glossary's tooltips on the entries that name its terms
        toolbar = self._win.addToolBar("Main")
        toolbar.setObjectName("main_toolbar")
        self._fill(toolbar, self.undo, self.redo, self.clear, self.keep, None, self.open_image, self.export_gif,
                   None, self.manifold, self.reset_view)

    @staticmethod
    def _fill(container, *actions: QAction | None) -> None:
        for action in actions:
            container.addSeparator() if action is None else container.addAction(action)

    def populate_models(self, extra: str | None = None) -> None:
        """The shipped and user models, then any checkpoints opened by path this session."""
        if extra and extra not in self._opened_checkpoints:
            self._opened_checkpoints.append(extra)
        self.model_menu.clear()
        for action in self.models.actions():
            self.models.removeAction(action)
        names = list_models()
        names += [path for path in self._opened_checkpoints if path not in names]
        for index, name in enumerate(names):
            label = Path(name).name if os.sep in name else name
            card = _card(name)
            action = QAction(f"{label}: {model_summary(card)}" if card else label, self._win, checkable=True)
            if card:
                action.setStatusTip(model_summary(card))
                vae = card.get("kind") == "vae"
                action.setToolTip(f"<p>{html.escape(model_description(card))}</p>" + (tooltip("beta") if vae else ""))
            action.setData(name)
            if index < 9:
                action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
            action.triggered.connect(lambda checked=False, n=name: self._win.switch_model(n))
            self.models.addAction(action)
            self.model_menu.addAction(action)
        self.model_menu.addSeparator()
        self.model_menu.addAction(self.open_model)
        self.model_menu.addAction(self.train)

    def model_names(self) -> list[str]:
        return [action.data() for action in self.models.actions()]

    def check_model(self, name: str) -> None:
        for action in self.models.actions():
            action.setChecked(action.data() == name)


def _card(name: str) -> dict | None:
    """The card of a model named in the menu (a name or a checkpoint path); None when it
    cannot be read now (the entry is then its name alone, and loading it says why)."""
    try:
        return read_card(model_files(resolve_model_path(name))[1])
    except VaedeskError:
        return None
