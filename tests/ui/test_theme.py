"""Light and dark themes: text contrast (WCAG AA), switching, and what follows it."""

from __future__ import annotations

import fixtures_app
import pytest
from PySide6.QtGui import QColor

from gradviz.core import palette
from gradviz.ui import theme
from gradviz.ui.highlighter import SCHEMES

data_dir = fixtures_app.data_dir
window = fixtures_app.window

AA = 4.5


@pytest.mark.parametrize("name", palette.THEMES)
def test_every_text_colour_meets_wcag_aa(name) -> None:
    low = [
        (what, round(palette.contrast_ratio(fg, bg), 2))
        for what, fg, bg in palette.text_pairs(palette.palette(name))
        if palette.contrast_ratio(fg, bg) < AA
    ]
    assert not low, f"{name}: text below {AA}:1 — {low}"


def test_contrast_ratio_matches_known_values() -> None:
    assert palette.contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert palette.contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)
    assert palette.contrast_ratio("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)


@pytest.mark.parametrize("name", palette.THEMES)
def test_editor_highlighting_is_readable_on_its_page(name) -> None:
    page = "#FFFFFF" if name == "light" else "#15181D"
    for role, colour in SCHEMES[name].items():
        assert palette.contrast_ratio(colour, page) >= AA, (name, role, colour)


def test_apply_theme_switches_every_colour(qapp) -> None:
    try:
        theme.apply_theme("dark")
        assert theme.THEME == "dark"
        assert theme.CANVAS_BG == QColor(palette.palette("dark").canvas_bg)
        assert theme.role_style("leaf").fill == QColor(palette.palette("dark").roles["leaf"][0])
        dark_grad = theme.edge_style("grad").color
        theme.apply_theme("light")
        assert theme.CANVAS_BG == QColor("#FFFFFF")
        assert theme.edge_style("grad").color != dark_grad
    finally:
        theme.apply_theme("light")


def test_window_switches_theme_from_the_view_menu(qtbot, window) -> None:
    try:
        window.theme_actions["dark"].trigger()
        assert window.settings.theme() == "dark"
        assert theme.THEME == "dark"
        assert window.canvas.backgroundBrush().color() == QColor(palette.palette("dark").canvas_bg)
        assert window.theme_actions["dark"].isChecked()
        # The editor's syntax colours and the window chrome follow.
        keyword = window.editor.highlighter._rules[0][1].foreground().color()
        assert keyword == QColor(SCHEMES["dark"]["keyword"])
        assert window.palette().window().color().lightness() < 80
        # Toolbar and transport icons are drawn in the theme's text colour.
        glyph = window.play_action.icon().pixmap(32, 32).toImage().pixelColor(16, 16)
        assert glyph.lightness() > 180
        glyph = window.transport.start_button.icon().pixmap(32, 32).toImage()
        assert max(glyph.pixelColor(x, 16).lightness() for x in range(32)) > 180
        window.theme_actions["light"].trigger()
        assert window.canvas.backgroundBrush().color() == QColor("#FFFFFF")
        assert window.palette().window().color().lightness() > 200
        # "Follow the system" resolves to whatever the desktop says (light when it cannot tell).
        window.theme_actions["system"].trigger()
        assert window.settings.theme() == "system"
        assert theme.THEME == theme.system_theme()
    finally:
        theme.apply_theme("light")
