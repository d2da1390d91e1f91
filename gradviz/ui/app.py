"""Start the desktop app: the QApplication, fonts, a calm style, the window."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from gradviz.ui.fonts import load_fonts, ui_font

# Window chrome per theme: (window, base, alt base, text, button, highlight, muted,
# separator, dock title, hover).
_CHROME = {
    "light": (
        "#fbfcfd", "#ffffff", "#f6f7f9", "#1f2933", "#f4f6f8", "#0b5fa5", "#5f6b78",
        "#e3e7ec", "#f1f3f5", "#e8eef5",
    ),
    "dark": (
        "#1b1f24", "#15181d", "#20252b", "#e6eaf0", "#262b32", "#3d8fd6", "#a7b2bf",
        "#2e343c", "#22272e", "#2c333c",
    ),
}  # fmt: skip

STYLE_SHEET = """
QMainWindow::separator {{ background: {sep}; width: 1px; height: 1px; }}
QDockWidget {{ font-weight: 600; }}
QDockWidget::title {{ background: {dock}; padding: 5px 8px; border-bottom: 1px solid {sep}; }}
QStatusBar {{ background: {window}; border-top: 1px solid {sep}; }}
QToolBar {{ background: {window}; border-bottom: 1px solid {sep}; spacing: 2px; }}
QToolButton {{ padding: 3px 6px; border-radius: 4px; }}
QToolButton:hover {{ background: {hover}; }}
QToolButton:checked {{ background: {hover}; }}
QToolButton:disabled {{ color: {muted}; }}
QPlainTextEdit, QTextBrowser, QListWidget {{ border: none; }}
QListWidget::item {{ padding: 4px 6px; }}
QListWidget::item:selected {{ background: {hover}; color: {text}; }}
QSplitter::handle {{ background: {sep}; }}
QSplitter::handle:horizontal {{ width: 1px; }}
"""


def _palette(name: str = "light") -> QPalette:
    window, base, alt, text, button, highlight, muted, *_ = _CHROME.get(name, _CHROME["light"])
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: alt,
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: button,
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.Highlight: highlight,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: base,
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: muted,
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Link: highlight,
    }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(muted))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(muted))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor(muted))
    return palette


_applied: tuple = (None, None)  # (application, theme) last styled


def apply_app_theme(name: str) -> None:
    """The window chrome (palette and style sheet) in "light" or "dark"."""
    global _applied
    app = QApplication.instance()
    if app is None or _applied == (app, name):
        return  # restyling every widget costs ~0.1 s: only when the theme changes
    _applied = (app, name)
    window, base, alt, text, button, highlight, muted, sep, dock, hover = _CHROME.get(
        name, _CHROME["light"]
    )
    app.setPalette(_palette(name))
    app.setStyleSheet(
        STYLE_SHEET.format(window=window, sep=sep, dock=dock, hover=hover, muted=muted, text=text)
    )


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication with the bundled fonts and the app's style (reused if it exists)."""
    app = QApplication.instance() or QApplication([sys.argv[0], *(argv or [])])
    app.setApplicationName("gradviz")
    app.setOrganizationName("gradviz")
    app.setApplicationDisplayName("gradviz")
    load_fonts()
    app.setStyle("Fusion")
    app.setFont(ui_font(9.5))
    apply_app_theme("light")  # the window switches to its chosen theme as it opens
    return app


def main(argv: list[str] | None = None) -> int:
    """Open the window; FILE, if given, is loaded into the editor but not run."""
    argv = list(sys.argv[1:] if argv is None else argv)
    path = Path(argv[0]) if argv else None
    if path is not None and not path.is_file():
        print(f"gradviz: no such file: {path}", file=sys.stderr)
        return 2
    from gradviz.ui.platform_check import check_platform

    problem = check_platform()
    if problem is not None:  # instead of Qt's abort on a fresh Linux machine
        print(problem, file=sys.stderr)
        return 3
    app = create_application()
    from gradviz.ui.main_window import MainWindow  # after the app: widgets need it

    window = MainWindow()
    if path is not None:
        window.open_file(path)
    window.show()
    return app.exec()
