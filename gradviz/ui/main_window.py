"""The main window: editor on the left, the graph in the middle, docks around them.

It wires the parts together and holds no autograd logic: a run goes to the sandbox,
its story to a core ``Player``, and each step's ``Scene`` to the canvas.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from gradviz.core.result import TraceResult
from gradviz.core.sandbox import prewarm, shutdown_prewarmed
from gradviz.core.scene_types import Scene
from gradviz.ui import chrome, heap, theme
from gradviz.ui.autosave import AutoSave, RecoveryBar
from gradviz.ui.canvas import GraphCanvas
from gradviz.ui.console import Console
from gradviz.ui.editor import CodeEditor
from gradviz.ui.episodes import EpisodeList
from gradviz.ui.files import DropOpener, FileController, RecentFilesMenu
from gradviz.ui.fonts import mono_font, ui_font
from gradviz.ui.inspector import Inspector
from gradviz.ui.legend import Legend
from gradviz.ui.opening import ViewInputs, choose_direction, opening_step, prepare_opening
from gradviz.ui.run_controller import RunController, prewarm_imports
from gradviz.ui.settings import DIRECTIONS, Settings
from gradviz.ui.transport import Transport
from gradviz.ui.untold import UntoldEpisodes, same_place, with_story

if TYPE_CHECKING:  # the player pulls in networkx and numpy: loaded with the first story
    from gradviz.core.player import Player

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "assets" / "examples"  # package data
PREWARM_DELAY_MS = 200  # after the first paint, so start-up stays quick
NARRATION_LINES = 6  # the most the narration takes from the graph; a longer text is cut
WELCOME = (
    "Write PyTorch code on the left (or pick one from Examples) and press Ctrl+Enter. "
    "Then step through the forward and backward pass here."
)


def empty_scene(narration: str = "") -> Scene:
    """A blank picture, for before the first run and for stories with no steps."""
    return Scene(0, 0, 0, "", "empty", narration, None, (), (), 0.0, 0.0)


def example_files() -> list[Path]:
    return sorted(EXAMPLES_DIR.glob("*.py"))


def example_title(path: Path) -> str:
    """The menu text of an example: its first comment line, else its file name."""
    try:
        first = path.read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError):
        first = ""
    if first.startswith("#"):
        return first.lstrip("#").strip()
    return path.stem.replace("_", " ")


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or Settings()
        self.player: Player | None = None
        self.result: TraceResult | None = None
        self._story = None
        self._scene: Scene = empty_scene(WELCOME)
        self._selected_box: str | None = None
        self.runner = RunController(self)  # results arrive by notifier, never by polling
        self.runner.finished.connect(self._on_result)
        self.runner.prepare = self._opening_job
        self.untold = UntoldEpisodes(self)  # a long loop's iterations, told when reached
        self.runner.preview.connect(self._on_preview)
        self._previewing = False  # showing a running loop's first iteration
        self.runner.tick.connect(lambda s: self.elapsed_label.setText(f"{s:.1f} s"))

        self._build_widgets()
        self._build_docks()
        self.files = FileController(self.editor, self.settings, self)
        self.files.titleChanged.connect(self.setWindowTitle)
        DropOpener(self.files, [self, self.editor.viewport(), self.canvas.viewport()])
        self._build_actions()
        self._build_menus()
        self._build_status_bar()
        self._connect()
        chrome.install(self)  # toolbar, Edit and Help menus, theme, plain keys, tooltips
        from gradviz.ui import builder_panel, loss_panel, whatif_edit  # light: core on first use

        builder_panel.install(self)  # View → Builder (Ctrl+B), switchable with the editor
        whatif_edit.install(self)  # the What-if dock: edit a leaf's value, f and f′ plots
        from gradviz.ui import module_collapse  # View → Collapse Modules, a box's menu

        module_collapse.install(self)
        loss_panel.install(self)  # Loss and Parameter history docks, shown for a training loop
        self.set_theme(self.settings.theme())

        self.autosave = AutoSave(self.editor)
        self._offer_recovery()
        if self.recovery_bar is None:
            self._load_start_example()
        self.autosave.begin_session()

        self.setWindowTitle(self.files.title())
        self.resize(1280, 800)
        self._restore_window_state()
        self.canvas.show_scene(self._scene, animate=False)
        self._narrate(WELCOME)
        self._set_idle("Ready")
        # A worker with its imports done waits for the first Run (saves ~250 ms a run).
        QTimer.singleShot(PREWARM_DELAY_MS, prewarm)
        QTimer.singleShot(PREWARM_DELAY_MS, prewarm_imports)  # the player, off the GUI thread

    # -- construction ---------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.editor = CodeEditor()
        self.editor_panel = QWidget()
        editor_layout = QVBoxLayout(self.editor_panel)
        editor_layout.setContentsMargins(0, 0, 0, 0)
        editor_layout.setSpacing(4)
        self._recovery_slot = QVBoxLayout()
        self._recovery_slot.setContentsMargins(4, 4, 4, 0)
        editor_layout.addLayout(self._recovery_slot)
        editor_layout.addWidget(self.editor, 1)

        self.canvas = GraphCanvas()
        self.narration = QLabel()
        self.narration.setObjectName("Narration")
        self.narration.setWordWrap(True)
        self.narration.setFont(ui_font(10.5))
        self.narration.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.narration.setMinimumHeight(48)
        lines = NARRATION_LINES * self.narration.fontMetrics().lineSpacing()
        self.narration.setMaximumHeight(lines + 14)  # 6 + 6 px of padding and the border
        self.narration.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.narration.setStyleSheet(
            "#Narration { background: #f7f9fb; border-top: 1px solid #e3e7ec;"
            " padding: 6px 12px; color: #1f2933; }"
        )
        self.transport = Transport()
        self.transport.set_speed(self.settings.speed())

        graph_panel = QWidget()
        graph_layout = QVBoxLayout(graph_panel)
        graph_layout.setContentsMargins(0, 0, 0, 0)
        graph_layout.setSpacing(0)
        graph_layout.addWidget(self.canvas, 1)
        below = QHBoxLayout()
        below.setContentsMargins(0, 0, 0, 0)
        below.setSpacing(0)
        below.addWidget(self.narration, 1)
        graph_layout.addLayout(below)
        # The chain rule with its numbers, under the narration, in a monospace font.
        self.math_label = QLabel()
        self.math_label.setObjectName("MathLines")
        self.math_label.setFont(mono_font(10))
        self.math_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.math_label.setToolTip("The chain rule of this step, with its numbers")
        self.math_label.hide()
        graph_layout.addWidget(self.math_label)
        graph_layout.addWidget(self.transport)

        # The graph is the centre of the window; everything else sits in docks.
        self.graph_panel = graph_panel
        self.setCentralWidget(graph_panel)

    def _dock(self, title: str, name: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)  # saveState() needs names
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.inspector = Inspector()
        self.console = Console()
        self.episodes = EpisodeList()
        self.legend = Legend()
        legend_scroll = QScrollArea()
        legend_scroll.setWidget(self.legend)
        legend_scroll.setWidgetResizable(True)
        legend_scroll.setFrameShape(QFrame.Shape.NoFrame)
        # The graph gets the rest of the window: every panel sits in one column on the
        # left, the script above and the panels that explain a step below it, as tabs.
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        self.setCorner(Qt.Corner.BottomLeftCorner, left)
        self.setCorner(Qt.Corner.TopLeftCorner, left)
        self.editor_dock = self._dock("Script", "EditorDock", self.editor_panel, left)
        self.inspector_dock = self._dock("Inspector", "InspectorDock", self.inspector, left)
        self.splitDockWidget(self.editor_dock, self.inspector_dock, Qt.Orientation.Vertical)
        self.console_dock = self._dock("Output", "ConsoleDock", self.console, left)
        self.episodes_dock = self._dock("Episodes", "EpisodesDock", self.episodes, left)
        self.legend_dock = self._dock("Legend", "LegendDock", legend_scroll, left)
        for dock in (self.console_dock, self.episodes_dock, self.legend_dock):
            self.tabifyDockWidget(self.inspector_dock, dock)
        self.inspector_dock.raise_()
        vertical, horizontal = Qt.Orientation.Vertical, Qt.Orientation.Horizontal
        self.resizeDocks([self.editor_dock, self.inspector_dock], [430, 300], vertical)
        self.resizeDocks([self.editor_dock], [380], horizontal)

    def _action(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        Key = QKeySequence.StandardKey  # noqa: N806 - reads like the Qt enum it is
        self.open_action = self._action("&Open…", self.files.open_dialog, Key.Open)
        self.save_action = self._action("&Save", self.files.save, Key.Save)
        self.save_as_action = self._action("Save &As…", self.files.save_as, Key.SaveAs)
        self.export_png_action = self._action(
            "&Export Image…", self.export_png_dialog, "Ctrl+E", "PNG, SVG or PDF of this step"
        )
        self.export_html_action = self._action("Export &HTML…", self.export_html_dialog)
        self.quit_action = self._action("&Quit", self.close, Key.Quit)
        self.run_action = self._action("&Run", self.run, "Ctrl+Return", "Run the script")
        self.run_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.stop_action = self._action("&Stop", self.stop, "Ctrl+.", "Stop the running script")
        self.time_limit_action = self._action("&Time limit…", self.ask_time_limit)
        self.memory_limit_action = self._action("&Memory limit…", self.ask_memory_limit)
        self.play_action = self._action("&Play / Pause", self.transport.toggle_play, "Ctrl+Space")
        self.next_action = self._action("Step &forward", self.transport.step_forward, "Alt+Right")
        self.prev_action = self._action("Step &back", self.transport.step_back, "Alt+Left")
        self.first_action = self._action("F&irst step", self.transport.go_to_start, "Alt+Home")
        self.last_action = self._action("&Last step", self.transport.go_to_end, "Alt+End")
        self.fit_action = self._action("&Fit graph", self.canvas.fit_to_view, "Ctrl+0")
        self.zoom_in_action = self._action("Zoom &in", self.canvas.zoom_in, Key.ZoomIn)
        self.zoom_out_action = self._action("Zoom &out", self.canvas.zoom_out, Key.ZoomOut)
        self.direction_group = QActionGroup(self)
        self.direction_actions: dict[str, QAction] = {}
        labels = ("Auto (by the window's shape)", "Left to right", "Top to bottom")
        for direction, label in zip(DIRECTIONS, labels):
            action = QAction(label, self, checkable=True)
            action.setChecked(direction == self.settings.direction())
            action.triggered.connect(lambda _c=False, d=direction: self.set_direction(d))
            self.direction_group.addAction(action)
            self.direction_actions[direction] = action
        self.focus_action = self._action(
            "F&ocus on the graph", self.set_graph_focus, "F11", "Hide the side panels"
        )
        self.focus_action.setCheckable(True)
        self.export_all_action = self._action(
            "Export &All Steps…",
            self.export_all_dialog,
            tip="A numbered PNG per step for slides, or one animated GIF",
        )
        self.legend_action = self._action("&Legend", self.show_legend, "F1")
        self.about_action = self._action("&About gradviz", self.show_about)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.open_action)
        self.recent_menu = RecentFilesMenu(self.files, self.settings, self)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.save_as_action)
        file_menu.addSeparator()
        file_menu.addAction(self.export_png_action)
        file_menu.addAction(self.export_all_action)
        file_menu.addAction(self.export_html_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        self.examples_menu = bar.addMenu("E&xamples")
        for index, path in enumerate(example_files()):
            action = self.examples_menu.addAction(f"&{index + 1}  {example_title(path)}")
            action.setStatusTip(path.name)
            action.triggered.connect(lambda _c=False, p=path: self.load_example(p))

        run_menu = bar.addMenu("&Run")
        for action in (self.run_action, self.stop_action):
            run_menu.addAction(action)
        run_menu.addSeparator()
        for action in (self.play_action, self.prev_action, self.next_action):
            run_menu.addAction(action)
        run_menu.addAction(self.first_action)
        run_menu.addAction(self.last_action)
        run_menu.addSeparator()
        run_menu.addAction(self.time_limit_action)
        run_menu.addAction(self.memory_limit_action)

        view_menu = bar.addMenu("&View")
        for action in (self.fit_action, self.zoom_in_action, self.zoom_out_action):
            view_menu.addAction(action)
        direction_menu = view_menu.addMenu("Graph &direction")
        for action in self.direction_actions.values():
            direction_menu.addAction(action)
        view_menu.addSeparator()
        for dock in (
            self.editor_dock,
            self.inspector_dock,
            self.console_dock,
            self.episodes_dock,
            self.legend_dock,
        ):
            view_menu.addAction(dock.toggleViewAction())

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.legend_action)
        help_menu.addAction(self.about_action)

    def _build_status_bar(self) -> None:
        self.state_label = QLabel()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy indicator
        self.progress.setMaximumWidth(140)
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(False)
        self.elapsed_label = QLabel()
        self.limits_label = QLabel()
        self.limits_label.setStyleSheet("color: #80868b;")
        status = self.statusBar()
        status.addWidget(self.state_label)
        status.addWidget(self.progress)
        status.addWidget(self.elapsed_label)
        status.addPermanentWidget(self.limits_label)
        self._update_limits_label()

    def _connect(self) -> None:
        self.editor.runRequested.connect(self.run)
        self.transport.stepRequested.connect(self.show_step)
        self.transport.speedChanged.connect(self.settings.set_speed)
        self.episodes.episodeActivated.connect(self.transport.go_to)
        self.canvas.boxClicked.connect(self.on_box_clicked)
        self.console.lineClicked.connect(self.editor.select_line)

    # -- recovery and window state --------------------------------------------------

    def _offer_recovery(self) -> None:
        # One bar per window that did not close cleanly (each had its own autosave).
        self.recovery_bar: RecoveryBar | None = None
        for orphan in self.autosave.recoverable():
            bar = RecoveryBar(orphan.text)
            bar.restoreRequested.connect(lambda text, o=orphan: self._restore_text(text, o))
            bar.dismissed.connect(lambda o=orphan: self.autosave.forget_recoverable(o))
            self._recovery_slot.addWidget(bar)
            self.recovery_bar = self.recovery_bar or bar

    def _load_start_example(self) -> None:
        # Something to run at once: the example used last, else the first one.
        examples = {path.name: path for path in example_files()}
        path = examples.get(self.settings.last_example()) or next(iter(examples.values()), None)
        if path is not None:
            self.load_example(path, run=True)  # a first start shows a graph at once

    def _restore_text(self, text: str, orphan=None) -> None:
        self.files.set_text(text)
        self.editor.document().setModified(True)  # it was never saved
        self.autosave.forget_recoverable(orphan)

    def _restore_window_state(self) -> None:
        geometry = self.settings.window_geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self.files.confirm_discard():
            event.ignore()
            return
        self.runner.stop(report=False)  # closing: end the run without showing a result
        self.transport.pause()
        self.settings.set_window_geometry(self.saveGeometry())
        self.settings.set_window_state(self.saveState())
        self.settings.sync()
        self.autosave.end_session()
        shutdown_prewarmed()
        event.accept()

    # -- running ----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.runner.running

    @property
    def time_limit_s(self) -> float:
        return self.settings.time_limit_s()

    def set_time_limit_s(self, seconds: float) -> None:
        self.settings.set_time_limit_s(seconds)
        self._update_limits_label()

    @property
    def memory_limit_mb(self) -> int:
        return self.settings.memory_limit_mb()

    def set_memory_limit_mb(self, mb: int) -> None:
        self.settings.set_memory_limit_mb(mb)
        self._update_limits_label()

    def run(self) -> None:
        """Run the editor's code in the sandbox; the result arrives through a notifier."""
        self.runner.stop(report=False)
        self.autosave.save_now()  # first, synchronously: a script may kill the window
        source = self.editor.toPlainText()
        self.editor.clear_error()
        if not source.strip():
            self.console.show_status("Nothing to run: the editor is empty.")
            return
        path = self.files.path
        self.runner.start(
            source,
            timeout_s=self.time_limit_s,
            memory_mb=self.memory_limit_mb,
            filename=path.name if path else "<editor>",
            allow_network=self.settings.allow_network(),
            allow_writes=self.settings.allow_writes(),
        )
        self.transport.pause()
        self.console.show_status("Running…")
        self.state_label.setText("Running")
        self.progress.show()
        self.elapsed_label.setText("0.0 s")
        self.stop_action.setEnabled(True)

    def stop(self) -> None:
        """Stop a running script now; its (stopped) result is shown at once."""
        self.runner.stop()

    def _on_result(self, result: TraceResult, elapsed: float) -> None:
        self.result = result
        opening = self.runner.prepared
        if opening is not None and opening.story is not result.story:
            opening = None
        # After a preview the learner stays where they are (its first episode is the same).
        keep = self.current_step if self._previewing and self.player is not None else None
        self._previewing = False
        # The graph first, painted now; the panels around it follow in the same turn
        # (stopped or failed with nothing told after a preview: the preview stays).
        if keep is None or result.story.steps:
            training = getattr(self, "training", None)
            if training is not None and training.make_room(result.story) and opening is not None:
                # Its direction was chosen for the smaller canvas: chosen again (its
                # layout is reused), it stays unless the other direction now wins.
                view = self.view_inputs()
                if choose_direction(result.story, view, opening.player) != opening.player.direction:
                    opening = None
            self._load_story(result.story, opening, keep)
            self.canvas.paint_now()
            QTimer.singleShot(0, heap.settle)  # the story on show, out of the collector's way
        self.console.show_result(result)
        error = result.error
        if error is not None and error.line is not None:
            self.editor.mark_error_line(error.line, error.message)
        if error is None:
            self._set_idle(f"Finished in {elapsed:.1f} s")
        else:
            self._set_idle(
                f"{error.kind.capitalize()} error"
                if error.kind in ("syntax", "runtime")
                else f"Stopped ({error.kind})"
            )
            self.console_dock.show()
            self.console_dock.raise_()  # a tab next to the inspector: bring it forward

    def _on_preview(self, story) -> None:
        """A long loop's first iteration, told while the loop still runs."""
        if not self.running:
            return
        self._previewing = True
        self._load_story(story)
        self.state_label.setText("Running (its first iteration is ready)")

    def _set_idle(self, text: str) -> None:
        self.state_label.setText(text)
        self.progress.hide()
        self.elapsed_label.setText("")
        self.stop_action.setEnabled(False)

    def _update_limits_label(self) -> None:
        self.limits_label.setText(f"limits: {self.time_limit_s:g} s, {self.memory_limit_mb} MB")

    # -- the story ----------------------------------------------------------------------

    def _load_story(self, story, opening=None, keep_step: int | None = None) -> None:
        """Show a story; `opening` (from the decoding thread) has its player ready;
        `keep_step`: the step to stay on (a preview was shown), if the story has it."""
        self._story = story
        self._selected_box = None
        try:
            from gradviz.core.player import Player

            if opening is not None:
                self.player = opening.player
            else:
                self.player = Player(story, direction=self._direction_for(story))
        except Exception as exc:  # noqa: BLE001 - a story we cannot show must not kill the UI
            self.player = None
            self.transport.set_story(0, [])
            self.episodes.set_episodes([])
            self._scene = empty_scene(f"gradviz could not lay out this story: {exc}")
            self.canvas.show_scene(self._scene, animate=False)
            self._narrate(self._scene.narration)
            return
        episodes = self.player.episodes()
        count = self.player.step_count
        self.transport.set_story(count, episodes)
        self.episodes.set_episodes(episodes)
        self.inspector.clear()
        if count == 0:
            message = (
                "The script stopped before building a graph: see the Output panel."
                if self.result is not None and self.result.error is not None
                else "Nothing to show: the script made no tensor with requires_grad=True."
            )
            self._scene = empty_scene(message)
            self.canvas.show_scene(self._scene, animate=False)
            self._narrate(message)
            self.editor.highlight_line(None)
            return
        failed = self.result is not None and self.result.error is not None
        step = opening.step if opening is not None else opening_step(self.player, story, failed)
        if keep_step is not None and 0 <= keep_step < count and not failed:
            step = keep_step
        else:
            self.canvas.forget_graph()  # a new run: a new graph, even of the same script
        self.transport.show_step(step)
        self.show_step(step, animate=False)
        self.canvas.fit_to_view()

    @property
    def current_step(self) -> int:
        return self.transport.step

    def current_scene(self) -> Scene:
        return self._scene

    def show_step(self, step: int, animate: bool = True) -> None:
        """Show one step everywhere: canvas, narration, editor line, inspector."""
        if self.player is None or not 0 <= step < self.player.step_count:
            return
        self._scene = self.player.scene(step)
        self.canvas.show_scene(self._scene, animate=animate)
        self._narrate(self._scene.narration)
        self._show_math(self._scene)
        self.editor.highlight_line(self.player.step_line(step))
        self.episodes.set_current_step(step)
        if self.transport.step != step:
            self.transport.show_step(step)
        self._refresh_inspector()
        self.untold.check(step)

    def adopt_story(self, story, changed_episode: int) -> None:
        """Take a story that differs from the shown one in one episode (an untold loop
        iteration, now told): the same view and place, the other layouts kept."""
        from gradviz.core.player import Player

        old, step, playing = self.player, self.current_step, self.transport.playing
        self._story = story
        self.result = with_story(self.result, story)
        self.player = Player(story, old.direction, old.collapsed)
        self.player.adopt_layouts(old, changed_episode)
        episodes = self.player.episodes()
        self.transport.set_story(self.player.step_count, episodes)
        self.episodes.set_episodes(episodes)
        step = same_place(old.story, self.player.story, step, changed_episode)
        self.transport.show_step(step)
        self.show_step(step, animate=False)
        if self.player.story.steps[step].episode == changed_episode:
            self.canvas.fit_to_view()  # its graph appears only now: show all of it
        if playing:
            self.transport.play()

    def _narrate(self, text: str) -> None:
        """Say what the step does, in at most NARRATION_LINES lines: a longer text (an
        error's message) is cut there and shown whole in the tooltip, never at the cost
        of the graph."""
        label = self.narration
        fm = label.fontMetrics()
        width = max(label.contentsRect().width(), 200)
        needed = fm.boundingRect(0, 0, width, 0, Qt.TextFlag.TextWordWrap, text).height()
        cut = needed > NARRATION_LINES * fm.lineSpacing()
        vertical = Qt.AlignmentFlag.AlignTop if cut else Qt.AlignmentFlag.AlignVCenter
        label.setAlignment(Qt.AlignmentFlag.AlignLeft | vertical)
        label.setToolTip(text if cut else "")
        label.setText(text)

    def _refresh_inspector(self) -> None:
        ids = {box.id for box in self._scene.boxes}
        box_id = self._selected_box if self._selected_box in ids else None
        if box_id is None:
            active = [b.id for b in self._scene.boxes if b.state == "active"]
            box_id = active[0] if active else None
        if box_id is None or self.player is None:
            self.inspector.clear()
            return
        self.inspector.show_details(self.player.details(self.current_step, box_id))

    def on_box_clicked(self, box_id: str) -> None:
        """A click on a box: show it in the inspector and its line in the editor."""
        if self.player is None:
            return
        self._selected_box = box_id
        self.inspector.show_details(self.player.details(self.current_step, box_id))
        self.inspector_dock.show()
        self.inspector_dock.raise_()
        line = self.player.box_line(box_id)
        if line is not None:
            self.editor.select_line(line)

    def set_direction(self, direction: str) -> None:
        self.settings.set_direction(direction)
        self.direction_actions[direction].setChecked(True)
        if self._story is None:
            return
        step = self.current_step
        from gradviz.core.player import Player

        collapsed = self.player.collapsed if self.player is not None else ()
        self.player = Player(self._story, self._direction_for(self._story), collapsed)
        self.show_step(step, animate=False)
        self.canvas.fit_to_view()

    # -- examples and files -----------------------------------------------------------------

    def load_example(self, path: str | Path, run: bool = True) -> bool:
        """Put an example in the editor (as a new, untitled script) and run it."""
        path = Path(path)
        if not self.files.confirm_discard():
            return False
        self.files.set_text(path.read_text(encoding="utf-8"), name=f"{path.stem} (example)")
        self.settings.set_last_example(path.name)
        if run:
            self.run()
        return True

    def open_file(self, path: str | Path) -> bool:
        """Open a script into the editor. It is not run."""
        return self.files.open_path(path)

    # -- export ---------------------------------------------------------------------------

    def _export_name(self, suffix: str) -> str:
        stem = self.files.path.stem if self.files.path else "gradviz"
        folder = self.settings.last_directory() or str(Path.home())
        return str(Path(folder) / f"{stem}-step{self.current_step + 1}{suffix}")

    def export_png(self, path: str | Path, options=None) -> None:
        """The current step as PNG, SVG or PDF (by suffix), in the current theme."""
        from gradviz.ui.export_image import ExportOptions, export_scene

        export_scene(self._scene, path, options or ExportOptions())

    def export_html(self, path: str | Path) -> None:
        from gradviz.core.html_export import write_html

        if self.player is None:
            raise ValueError("run a script first")
        title = self.files.display_name()
        write_html(self.player, path, title, self.editor.toPlainText(), self.console.toPlainText())

    def export_png_dialog(self) -> None:
        from gradviz.ui.export_dialog import ExportDialog

        dialog = ExportDialog(self)
        if not dialog.exec():
            return
        suffix, options = dialog.suffix(), dialog.options()
        path, _ = QFileDialog.getSaveFileName(
            self, "Export image", self._export_name(suffix), f"{suffix[1:].upper()} (*{suffix})"
        )
        if path:
            if not path.lower().endswith(suffix):
                path += suffix
            self._export_with_report(lambda p: self.export_png(p, options), path)

    def export_all_steps(self, folder: str | Path, options=None) -> list[Path]:
        """Every step as a numbered PNG in `folder` (step-001.png, ...)."""
        from gradviz.ui.export_image import ExportOptions, export_all_steps

        if self.player is None or self.player.step_count == 0:
            raise ValueError("run a script first")
        scenes = (self.player.scene(k) for k in range(self.player.step_count))
        stem = self.files.path.stem if self.files.path else "step"
        return export_all_steps(scenes, folder, stem, options or ExportOptions())

    def export_all_dialog(self) -> None:
        from gradviz.ui.export_dialog import ExportDialog

        if self.player is None or self.player.step_count == 0:
            QMessageBox.information(self, "Export all steps", "Run a script first.")
            return
        dialog = ExportDialog(self, all_steps=True)
        if not dialog.exec():
            return
        options = dialog.options()
        if dialog.suffix() == ".gif":
            path, _ = QFileDialog.getSaveFileName(
                self, "Export all steps as a GIF", self._export_name(".gif"), "GIF (*.gif)"
            )
            if path:
                self._export_with_report(lambda p: self.export_gif(p, options), path)
            return
        folder = QFileDialog.getExistingDirectory(
            self, "Folder for the pictures", self.settings.last_directory() or str(Path.home())
        )
        if folder:
            self._export_with_report(lambda f: self.export_all_steps(f, options), folder)

    def export_gif(self, path: str | Path, options=None) -> int:
        """Every step as one frame of an animated GIF."""
        from gradviz.ui.export_image import ExportOptions, export_gif

        if self.player is None or self.player.step_count == 0:
            raise ValueError("run a script first")
        scenes = (self.player.scene(k) for k in range(self.player.step_count))
        return export_gif(scenes, path, options or ExportOptions())

    def export_html_dialog(self) -> None:
        if self.player is None or self.player.step_count == 0:
            QMessageBox.information(self, "Export HTML", "Run a script first.")
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Export HTML", self._export_name(".html"), "Web pages (*.html)"
        )
        if path:
            self._export_with_report(self.export_html, path)

    def _export_with_report(self, export, path: str) -> None:
        try:
            export(path)
        except (OSError, ValueError) as exc:
            QMessageBox.warning(self, "Export failed", str(exc))
            return
        self.statusBar().showMessage(f"Saved {path}", 5000)

    # -- dialogs ----------------------------------------------------------------------------

    def ask_time_limit(self) -> None:
        value, ok = QInputDialog.getDouble(
            self, "Time limit", "Stop a run after this many seconds:", self.time_limit_s, 1, 600, 1
        )
        if ok:
            self.set_time_limit_s(value)

    def ask_memory_limit(self) -> None:
        value, ok = QInputDialog.getInt(
            self,
            "Memory limit",
            "Stop a run that needs more memory than (MB):",
            self.memory_limit_mb,
            64,
            65536,
            64,
        )
        if ok:
            self.set_memory_limit_mb(value)

    # -- theme, focus, direction, tooltips --------------------------------------------------

    def set_theme(self, choice: str) -> None:
        """ "system", "light" or "dark": the canvas, editor, legend and exports follow."""
        from gradviz.ui.app import apply_app_theme

        self.settings.set_theme(choice)
        name = chrome.resolved_theme(choice)
        theme.apply_theme(name)
        apply_app_theme(name)
        if choice in getattr(self, "theme_actions", {}):
            self.theme_actions[choice].setChecked(True)
        self.canvas.apply_theme()
        self.editor.apply_theme()
        if hasattr(self, "toolbar"):
            chrome.apply_icons(self)
        self.legend.update()
        self._style_narration()

    def _style_narration(self) -> None:
        p = theme.PALETTE
        self.narration.setStyleSheet(
            f"#Narration {{ background: {p.caption_bg}; border-top: 1px solid {p.minimap_border};"
            f" padding: 6px 12px; color: {p.caption_text}; }}"
        )
        self.math_label.setStyleSheet(
            f"#MathLines {{ background: {p.caption_bg}; padding: 0 12px 6px 24px;"
            f" color: {p.math_text}; }}"
        )

    def _show_math(self, scene: Scene) -> None:
        lines = tuple(getattr(scene, "math", ()) or ())
        self.math_label.setText("\n".join(lines))
        self.math_label.setVisible(bool(lines))

    def set_graph_focus(self, on: bool | None = None) -> None:
        """Focus on the graph: hide every dock (and bring them back when turned off)."""
        docks = self.findChildren(QDockWidget)  # every panel, also ones added by plug-ins
        on = self.focus_action.isChecked() if on is None else on
        self.focus_action.setChecked(on)
        if on:
            self._docks_before_focus = [d for d in docks if d.isVisible()]
            for dock in docks:
                dock.hide()
        else:
            for dock in getattr(self, "_docks_before_focus", None) or docks:
                dock.show()
                if dock is self.legend_dock:
                    self.inspector_dock.raise_()
        self.canvas.fit_to_view()

    def _direction_for(self, story) -> str:
        return choose_direction(story, self.view_inputs())

    def view_inputs(self) -> ViewInputs:
        """What choosing a direction reads from the window (GUI thread only)."""
        view = self.canvas.viewport().size()
        control = getattr(self, "module_collapse", None)
        chosen = control.chosen if control is not None else None
        return ViewInputs(self.settings.direction(), view.width(), view.height(), chosen)

    def _opening_job(self):
        """Run by the run controller in its decoding thread: the result's opening."""
        view = self.view_inputs()
        return lambda result: prepare_opening(result.story, view, result.error is not None)

    def box_tooltip(self, box_id: str) -> str:
        from gradviz.ui.render import box_tooltip_text

        box = next((b for b in self._scene.boxes if b.id == box_id), None)
        if box is None or self.player is None:
            return ""
        return box_tooltip_text(box, self.player.details(self.current_step, box_id))

    def edge_tooltip(self, edge_id: str) -> str:
        """The gradient that crossed an edge: the last token on it up to this step."""
        from gradviz.ui.render import edge_tooltip_text

        edge = next((e for e in self._scene.edges if e.id == edge_id), None)
        if edge is None or self.player is None:
            return ""
        story, k = self.player.story, self.current_step
        first = story.episodes[story.steps[k].episode].first_step
        crossed = None
        for step in story.steps[first : k + 1]:
            if step.token is not None and step.token.edge == edge_id:
                crossed = step.token.text
        return edge_tooltip_text(edge, self._scene, crossed)

    def show_legend(self) -> None:
        self.legend_dock.show()
        self.legend_dock.raise_()

    def show_about(self) -> None:
        from gradviz.ui.help import about_html

        QMessageBox.about(self, "About gradviz", about_html())
