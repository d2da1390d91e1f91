"""The window's controls around the graph: the toolbar, the Edit menu, the Help pages,
the theme and "focus on the graph" in View, the plain step keys on the canvas, and a
tooltip on every control. Installed once by the main window (`install`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QKeySequence, QTextDocument
from PySide6.QtWidgets import QComboBox, QInputDialog, QLabel, QMenu, QToolBar

from gradviz.core import palette
from gradviz.ui import theme
from gradviz.ui.help import HelpDialog, page_html
from gradviz.ui.icons import media_icon
from gradviz.ui.settings import SPEEDS

if TYPE_CHECKING:
    from gradviz.ui.main_window import MainWindow

THEME_CHOICES = (("system", "Follow the &system"), ("light", "&Light"), ("dark", "&Dark"))


def _menu(window: MainWindow, title: str) -> QMenu:
    """The menu bar's menu called `title` (by its text without "&")."""
    for action in window.menuBar().actions():
        if action.text().replace("&", "") == title:
            return action.menu()
    raise KeyError(title)


def _new(window, text: str, slot, shortcut=None, tip: str = "") -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setToolTip(tip or text.replace("&", ""))
    action.setStatusTip(tip)
    action.triggered.connect(slot)
    return action


def resolved_theme(choice: str) -> str:
    """ "system" follows the desktop; "light" and "dark" are themselves."""
    return theme.system_theme() if choice == "system" else palette.palette(choice).name


def install(window: MainWindow) -> None:
    _build_edit_menu(window)
    _build_toolbar(window)
    _build_view_additions(window)
    _build_help(window)
    window.canvas.keyCommand.connect(lambda command: on_key_command(window, command))
    window.canvas.box_tooltip = window.box_tooltip
    window.canvas.edge_tooltip = window.edge_tooltip
    _tooltips_everywhere(window)


# -- toolbar -------------------------------------------------------------------------------


def _build_toolbar(window: MainWindow) -> None:
    bar = QToolBar("Toolbar", window)
    bar.setObjectName("MainToolbar")
    bar.setMovable(False)
    bar.setIconSize(QSize(18, 18))
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    window.run_action.setToolTip("Run the script (Ctrl+Enter)")
    window.stop_action.setToolTip("Stop the running script (Ctrl+.)")
    window.prev_action.setToolTip("Step back (← on the graph, Alt+←)")
    window.next_action.setToolTip("Step forward (→ on the graph, Alt+→)")
    window.play_action.setToolTip("Play or pause the steps (Space on the graph, Ctrl+Space)")
    window.fit_action.setToolTip("Fit the whole graph in view (F on the graph, Ctrl+0)")
    bar.addAction(window.run_action)
    bar.addAction(window.stop_action)
    bar.addSeparator()
    for action in (window.prev_action, window.play_action, window.next_action):
        bar.addAction(action)
        button = bar.widgetForAction(action)
        if button is not None:
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    speed_label = QLabel(" speed ")
    speed_label.setToolTip("How fast Play moves through the steps")
    bar.addWidget(speed_label)
    window.speed_box = QComboBox()
    window.speed_box.setToolTip("Playback speed")
    for speed in SPEEDS:
        window.speed_box.addItem(f"{speed:g}×", speed)
    window.speed_box.setCurrentIndex(SPEEDS.index(window.transport.speed))
    window.speed_box.currentIndexChanged.connect(lambda i: window.transport.set_speed(SPEEDS[i]))
    window.transport.speedChanged.connect(
        lambda s: window.speed_box.setCurrentIndex(SPEEDS.index(s))
    )
    bar.addWidget(window.speed_box)
    # The toolbar has the speed now; the transport keeps the timeline and the jumps.
    window.transport.speed_label.hide()
    window.transport.speed_box.hide()
    bar.addSeparator()
    bar.addAction(window.fit_action)
    bar.addAction(window.focus_action)
    window.transport.playingChanged.connect(
        lambda playing: window.play_action.setIcon(window.icons["pause" if playing else "play"])
    )
    window.toolbar = bar
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    apply_icons(window)


def apply_icons(window: MainWindow) -> None:
    """Media icons in the current theme's text colour (the toolbar and the transport)."""
    muted = QColor(theme.TEXT_MUTED)
    muted.setAlpha(110)
    kinds = ("play", "pause", "stop", "forward", "back", "first", "last")
    window.icons = {k: media_icon(k, theme.TEXT, muted) for k in kinds}
    window.run_action.setIcon(window.icons["play"])
    window.stop_action.setIcon(window.icons["stop"])
    window.prev_action.setIcon(window.icons["back"])
    window.next_action.setIcon(window.icons["forward"])
    window.play_action.setIcon(window.icons["pause" if window.transport.playing else "play"])
    window.transport.set_icons(window.icons)


# -- edit menu -----------------------------------------------------------------------------


def _build_edit_menu(window: MainWindow) -> None:
    editor = window.editor
    Key = QKeySequence.StandardKey  # noqa: N806 - reads like the Qt enum it is
    window.undo_action = _new(window, "&Undo", editor.undo, Key.Undo, "Undo the last edit")
    window.redo_action = _new(window, "&Redo", editor.redo, Key.Redo, "Redo what was undone")
    window.cut_action = _new(window, "Cu&t", editor.cut, Key.Cut, "Cut the selection")
    window.copy_action = _new(window, "&Copy", editor.copy, Key.Copy, "Copy the selection")
    window.paste_action = _new(window, "&Paste", editor.paste, Key.Paste, "Paste")
    window.select_all_action = _new(
        window, "Select &All", editor.selectAll, Key.SelectAll, "Select the whole script"
    )
    window.find_action = _new(
        window, "&Find…", lambda: ask_find(window), Key.Find, "Find text in the script"
    )
    window.find_next_action = _new(
        window, "Find &Next", lambda: find_next(window), Key.FindNext, "Find the next match"
    )
    window.goto_action = _new(
        window, "&Go to Line…", lambda: ask_go_to_line(window), "Ctrl+G", "Jump to a line"
    )
    window.undo_action.setEnabled(False)
    window.redo_action.setEnabled(False)
    editor.undoAvailable.connect(window.undo_action.setEnabled)
    editor.redoAvailable.connect(window.redo_action.setEnabled)
    # Edit actions act on the editor; their shortcuts must not steal keys from other
    # text fields (the console, dialogs), so they only fire while the editor has focus
    # or from the menu.
    for action in (
        window.undo_action,
        window.redo_action,
        window.cut_action,
        window.copy_action,
        window.paste_action,
        window.select_all_action,
    ):
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        editor.addAction(action)
    edit = QMenu("&Edit", window)
    for action in (window.undo_action, window.redo_action):
        edit.addAction(action)
    edit.addSeparator()
    for action in (window.cut_action, window.copy_action, window.paste_action):
        edit.addAction(action)
    edit.addAction(window.select_all_action)
    edit.addSeparator()
    for action in (window.find_action, window.find_next_action, window.goto_action):
        edit.addAction(action)
    examples = _menu(window, "Examples")
    window.menuBar().insertMenu(examples.menuAction(), edit)
    window.edit_menu = edit
    window.last_find = ""


def find_in_editor(window: MainWindow, text: str) -> bool:
    """Select the next match of `text` after the cursor, wrapping round once."""
    editor = window.editor
    window.last_find = text
    if not text:
        return False
    if editor.find(text):
        return True
    cursor = editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.Start)
    editor.setTextCursor(cursor)
    found = editor.find(text)
    if not found:
        window.statusBar().showMessage(f"“{text}” is not in the script", 4000)
    return found


def find_next(window: MainWindow) -> bool:
    if not window.last_find:
        return ask_find(window)
    return find_in_editor(window, window.last_find)


def ask_find(window: MainWindow) -> bool:
    text, ok = QInputDialog.getText(window, "Find", "Find in the script:", text=window.last_find)
    if not ok:
        return False
    window.editor.setFocus()
    return find_in_editor(window, text)


def go_to_line(window: MainWindow, line: int) -> None:
    window.editor.select_line(line)
    window.editor.setFocus()


def ask_go_to_line(window: MainWindow) -> None:
    count = window.editor.document().blockCount()
    line, ok = QInputDialog.getInt(
        window, "Go to line", f"Line (1–{count}):", window.editor.selected_line(), 1, count
    )
    if ok:
        go_to_line(window, line)


# -- view: theme, focus, direction ---------------------------------------------------------


def _build_view_additions(window: MainWindow) -> None:
    view = _menu(window, "View")
    view.addSeparator()
    theme_menu = view.addMenu("&Theme")
    theme_menu.setToolTipsVisible(True)
    window.theme_group = QActionGroup(window)
    window.theme_actions = {}
    for choice, label in THEME_CHOICES:
        action = QAction(label, window, checkable=True)
        action.setToolTip(
            "Light or dark, as the desktop is" if choice == "system" else f"Always {choice}"
        )
        action.triggered.connect(lambda _c=False, c=choice: window.set_theme(c))
        window.theme_group.addAction(action)
        window.theme_actions[choice] = action
        theme_menu.addAction(action)
    view.addAction(window.focus_action)


def _build_help(window: MainWindow) -> None:
    help_menu = _menu(window, "Help")
    first = help_menu.actions()[0] if help_menu.actions() else None
    window.how_to_read_action = _new(
        window,
        "&How to read this graph",
        lambda: show_help(window, "how_to_read"),
        None,
        "The legend and one worked backward step",
    )
    window.shortcuts_action = _new(
        window,
        "&Keyboard shortcuts",
        lambda: show_help(window, "shortcuts"),
        None,
        "Every key the window understands",
    )
    help_menu.insertAction(first, window.how_to_read_action)
    help_menu.insertAction(first, window.shortcuts_action)
    help_menu.insertSeparator(first)


def show_help(window: MainWindow, name: str) -> HelpDialog:
    dialogs = window.__dict__.setdefault("help_dialogs", {})
    dialog = dialogs.get(name)
    if dialog is None:
        dialog = dialogs[name] = HelpDialog(name, window)
    else:
        dialog.browser.setHtml(page_html(name))
    dialog.show()
    dialog.raise_()
    return dialog


# -- keys and tooltips ---------------------------------------------------------------------


def on_key_command(window: MainWindow, command: str) -> None:
    """A plain key on the canvas (see GraphCanvas.KEY_COMMANDS)."""
    transport = window.transport
    if command == "play":
        transport.toggle_play()
        return
    if command == "zoom_episode":  # playback goes on in the zoomed timeline
        transport.set_zoomed(not transport.zoomed)
        return
    transport.pause()
    {
        "next": transport.step_forward,
        "previous": transport.step_back,
        "first": transport.go_to_start,
        "last": transport.go_to_end,
        "next_episode": transport.next_episode,
        "previous_episode": transport.previous_episode,
    }[command]()


def _tooltips_everywhere(window: MainWindow) -> None:
    """Menus show their tooltips; an action without one gets its status tip or text."""
    for menu in window.menuBar().findChildren(QMenu):
        menu.setToolTipsVisible(True)
        for action in menu.actions():
            if action.isSeparator() or action.menu() is not None:
                continue
            tip = action.toolTip()
            plain = action.text().replace("&", "").rstrip("…")
            if not tip or tip == plain:
                action.setToolTip(action.statusTip() or plain)


def plain_text(html: str) -> str:
    doc = QTextDocument()
    doc.setHtml(html)
    return doc.toPlainText()
