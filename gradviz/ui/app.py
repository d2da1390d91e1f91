"""Start the desktop app: the QApplication, fonts, a calm style, the window."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from gradviz.ui.fonts import load_fonts, ui_font

STYLE_SHEET = """
QMainWindow::separator { background: #e3e7ec; width: 1px; height: 1px; }
QDockWidget { font-weight: 600; }
QDockWidget::title { background: #f1f3f5; padding: 5px 8px; border-bottom: 1px solid #e3e7ec; }
QStatusBar { background: #f7f9fb; border-top: 1px solid #e3e7ec; }
QToolButton { padding: 3px 6px; border-radius: 4px; }
QToolButton:hover { background: #e8eef5; }
QToolButton:disabled { color: #b8bec6; }
QPlainTextEdit, QTextBrowser, QListWidget { border: none; }
QListWidget::item { padding: 4px 6px; }
QListWidget::item:selected { background: #dbe8f6; color: #1f2933; }
QSplitter::handle { background: #e3e7ec; }
QSplitter::handle:horizontal { width: 1px; }
"""


def _palette() -> QPalette:
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#fbfcfd",
        QPalette.ColorRole.WindowText: "#1f2933",
        QPalette.ColorRole.Base: "#ffffff",
        QPalette.ColorRole.AlternateBase: "#f6f7f9",
        QPalette.ColorRole.Text: "#1f2933",
        QPalette.ColorRole.Button: "#f4f6f8",
        QPalette.ColorRole.ButtonText: "#1f2933",
        QPalette.ColorRole.Highlight: "#0b5fa5",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#ffffff",
        QPalette.ColorRole.ToolTipText: "#1f2933",
        QPalette.ColorRole.PlaceholderText: "#9aa0a6",
    }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    return palette


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication with the bundled fonts and the app's style (reused if it exists)."""
    app = QApplication.instance() or QApplication([sys.argv[0], *(argv or [])])
    app.setApplicationName("gradviz")
    app.setOrganizationName("gradviz")
    app.setApplicationDisplayName("gradviz")
    load_fonts()
    app.setStyle("Fusion")
    app.setPalette(_palette())
    app.setFont(ui_font(9.5))
    app.setStyleSheet(STYLE_SHEET)
    return app


def main(argv: list[str] | None = None) -> int:
    """Open the window; FILE, if given, is loaded into the editor but not run."""
    argv = list(sys.argv[1:] if argv is None else argv)
    path = Path(argv[0]) if argv else None
    if path is not None and not path.is_file():
        print(f"gradviz: no such file: {path}", file=sys.stderr)
        return 2
    app = create_application()
    from gradviz.ui.main_window import MainWindow  # after the app: widgets need it

    window = MainWindow()
    if path is not None:
        window.open_file(path)
    window.show()
    return app.exec()
