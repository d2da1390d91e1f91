"""The bundled DejaVu fonts, loaded once, and the two font factories the UI uses.

Every size is given in points at 96 dpi and turned into a whole pixel size, so text is
the same size in scene units on every screen and in every exported image (a point size
would follow each device's dpi). Hinting is off so glyph shapes do not change with the
zoom level or the platform, which keeps renders deterministic.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase

FONT_DIR = Path(__file__).resolve().parents[1] / "assets" / "fonts"  # package data
_FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf")

# Fall-back family names, used if a file is missing (the bundled ones normally win).
_UI_FAMILY = "DejaVu Sans"
_MONO_FAMILY = "DejaVu Sans Mono"

# Points are defined at 96 dpi: 1 pt = 96 / 72 scene units.
PX_PER_PT = 96.0 / 72.0


@lru_cache(maxsize=1)
def load_fonts() -> tuple[str, str]:
    """Register the bundled fonts with Qt (needs a QGuiApplication) and return
    (ui family, mono family)."""
    ui_family, mono_family = _UI_FAMILY, _MONO_FAMILY
    for name in _FONT_FILES:
        font_id = QFontDatabase.addApplicationFont(str(FONT_DIR / name))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        if families and "Mono" in name:
            mono_family = families[0]
        elif families:
            ui_family = families[0]
    return ui_family, mono_family


def pt_to_px(pt: float) -> int:
    """The whole pixel (scene unit) size used for a point size."""
    return max(1, round(pt * PX_PER_PT))


def _make(family: str, pt: float, bold: bool) -> QFont:
    font = QFont(family)
    font.setPixelSize(pt_to_px(pt))
    font.setBold(bold)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    # NoFontMerging: never borrow glyphs from system fonts, whose presence varies.
    font.setStyleStrategy(QFont.StyleStrategy.PreferAntialias | QFont.StyleStrategy.NoFontMerging)
    font.setKerning(True)
    return font


def ui_font(pt: float, bold: bool = False) -> QFont:
    """DejaVu Sans at `pt` points (96 dpi)."""
    return _make(load_fonts()[0], pt, bold)


def mono_font(pt: float) -> QFont:
    """DejaVu Sans Mono at `pt` points (96 dpi), for values and gradients."""
    return _make(load_fonts()[1], pt, False)
