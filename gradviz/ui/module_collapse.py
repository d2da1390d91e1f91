"""Collapse and expand nn.Modules on the canvas.

A box's context menu offers "Collapse model.0" for every module the box lies in (innermost
first) and "Expand model.0" on a collapsed module's box; View → Collapse Modules collapses
every module at depth 1 and View → Expand All Modules shows every box again. A story with
an episode of more than 60 boxes opens with its modules collapsed at depth 1, until the
learner chooses; that choice then holds for the next runs.

The window's player is replaced by a player of the same story with another set of
collapsed modules (core: `Player(story, collapsed=…)`, gradviz.core.module_view); the step
shown stays the same moment of the run (the collapsed step containing it, or the last
step of an expanded one).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu


def _mv():
    """gradviz.core.module_view, loaded with the first story (it pulls in numpy)."""
    from gradviz.core import module_view

    return module_view


class ModuleCollapse(QObject):
    """The collapse / expand commands of one main window."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        # The learner's last choice, kept for the next run of the script (None: none yet,
        # so a big graph opens collapsed).
        self.chosen: frozenset[str] | None = None
        self.collapse_action = QAction("&Collapse Modules", window)
        self.collapse_action.setStatusTip("Show every nn.Module at depth 1 as one box")
        self.collapse_action.triggered.connect(self.collapse_all)
        self.expand_action = QAction("E&xpand All Modules", window)
        self.expand_action.setStatusTip("Show every box inside the collapsed modules again")
        self.expand_action.triggered.connect(self.expand_all)
        canvas = window.canvas
        canvas.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        canvas.customContextMenuRequested.connect(self.show_menu)

    # -- what can be collapsed ------------------------------------------------------------
    def collapsed(self) -> frozenset[str]:
        player = self.window.player
        return getattr(player, "collapsed", frozenset()) if player is not None else frozenset()

    def _node(self, box_id: str):
        player = self.window.player
        if player is None or not 0 <= self.window.current_step < player.step_count:
            return None
        ep = player.episode_of(self.window.current_step)
        return next((n for n in ep.nodes if n.id == box_id), None)

    def actions_for(self, box_id: str | None) -> list[QAction]:
        """The context menu of a box: expand it (a collapsed module) or collapse a module it
        lies in, innermost first; then the commands for every module."""
        mv, actions = _mv(), []
        node = self._node(box_id) if box_id is not None else None
        if node is not None and node.role == mv.ROLE_MODULE:
            path = node.id.removeprefix(mv.BOX_PREFIX)
            actions.append(self._command(f"Expand {path}", self.collapsed() - {path}))
        elif node is not None:
            for path, cls in reversed(mv.module_chain(node)):
                actions.append(self._command(f"Collapse {path} ({cls})", self.collapsed() | {path}))
        separator = QAction(self)
        separator.setSeparator(True)
        return [*actions, separator, self.collapse_action, self.expand_action]

    def _command(self, text: str, paths) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(lambda _c=False, p=frozenset(paths): self.set_collapsed(p))
        return action

    def show_menu(self, pos: QPoint) -> None:
        if self.window.player is None:
            return
        menu = QMenu(self.window.canvas)
        menu.addActions(self.actions_for(self.window.canvas.box_at(pos)))
        menu.exec(self.window.canvas.viewport().mapToGlobal(pos))

    # -- commands -------------------------------------------------------------------------
    def collapse_all(self) -> None:
        player = self.window.player
        if player is None:
            return
        mv = _mv()
        paths = mv.paths_at_depth(player.source, 1) or mv.paths_at_depth(player.source, 0)
        self.set_collapsed(paths)

    def expand_all(self) -> None:
        self.set_collapsed(frozenset())

    def set_collapsed(self, paths) -> None:
        """Show the story with exactly these modules collapsed, at the same moment."""
        w = self.window
        player = w.player
        self.chosen = frozenset(paths)
        if player is None or self.chosen == self.collapsed():
            return
        new, step = player.with_collapsed(paths, w.current_step)
        self._show(new, step)

    def _show(self, player, step: int | None) -> None:
        from gradviz.ui.main_window import empty_scene

        w = self.window
        w.player = player
        episodes = player.episodes()
        w.transport.set_story(player.step_count, episodes)
        w.episodes.set_episodes(episodes)
        w._selected_box = None
        w.canvas.show_scene(empty_scene(), animate=False)  # other boxes: a fresh drawing
        step = 0 if step is None else step
        if player.step_count:
            w.transport.show_step(step)
            w.show_step(step, animate=False)

    def apply_default(self) -> None:
        """A new run shows the modules the learner collapsed before (those it still has);
        before any choice, a story with a big episode opens collapsed at depth 1."""
        player = self.window.player
        if player is None or player.collapsed or not player.step_count:
            return
        mv = _mv()
        if self.chosen is not None:
            paths = self.chosen & set(mv.module_classes(player.source))
        else:
            paths = mv.default_collapsed(player.source)
        if paths:
            new, step = player.with_collapsed(paths, self.window.current_step)
            self._show(new, step)


def install(window) -> ModuleCollapse:
    """Add the collapse commands to the window's View menu and the canvas's box menu, and
    collapse big stories' modules when they load."""
    control = ModuleCollapse(window)
    view_menu = next(
        (
            a.menu()
            for a in window.menuBar().actions()
            if a.menu() is not None and a.text().replace("&", "") == "View"
        ),
        None,
    )
    if view_menu is not None:
        view_menu.addSeparator()
        view_menu.addAction(control.collapse_action)
        view_menu.addAction(control.expand_action)
    load = window._load_story

    def load_story(*args, **kwargs):  # the window's own loading, then the default collapse
        load(*args, **kwargs)
        control.apply_default()

    window._load_story = load_story
    window.module_collapse = control
    return control
