"""Help pages: "how to read this graph" (the legend and one worked step), the keyboard
shortcuts, and About with the version. The pages are HTML files next to this module,
coloured with the current theme's palette."""

from __future__ import annotations

from importlib import resources

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from gradviz.core import scene_types as st
from gradviz.ui import theme

PAGES = {"how_to_read": "How to read this graph", "shortcuts": "Keyboard shortcuts"}


def page_html(name: str) -> str:
    """A help page's HTML with the current theme's colours filled in."""
    text = resources.files(__package__).joinpath(f"{name}.html").read_text(encoding="utf-8")
    p = theme.PALETTE
    colours = {"muted_border": p.muted_border, "muted_text": p.muted_text}
    for role in (st.ROLE_LEAF, st.ROLE_GRAD_FN, st.ROLE_ACCUMULATE, st.ROLE_SEED):
        fill, border, title, _ = p.roles[role]
        colours |= {f"{role}_fill": fill, f"{role}_border": border, f"{role}_title": title}
    return text.format_map(colours)


class HelpDialog(QDialog):
    """A small, non-modal window showing one help page."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(PAGES[name])
        self.setObjectName(f"Help_{name}")
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setHtml(page_html(name))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(640, 620 if name == "how_to_read" else 520)


def about_html() -> str:
    from gradviz import __version__

    return (
        f"<b>gradviz {__version__}</b><p>Watch automatic differentiation happen: type "
        "PyTorch code, run it, and step through the forward and backward pass of its "
        "graph.</p><p>Your code runs on gradviz's own small autograd engine, in a "
        "separate process, so a script that hangs or crashes never takes the window "
        "with it.</p><p>Fonts: DejaVu (free licence, bundled).</p>"
    )
