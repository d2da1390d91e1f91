"""Text widths, measured once per font and text.

Qt shapes a string each time its width is asked for (~10 µs). A graph's boxes repeat
the same titles, labels and numbers, and a box is measured again for every zoom level
and every candidate font size, so the first frame of a story spent more time measuring
than drawing. A font's metrics never change, so the answers are kept.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF

KEPT = 8192  # answers kept per font; past it they are forgotten and measured again
FONTS_KEPT = 256


class Measure:
    """The QFontMetricsF calls the renderer makes, remembered."""

    __slots__ = ("metrics", "_widths", "_elided", "_height")

    def __init__(self, font: QFont) -> None:
        self.metrics = QFontMetricsF(font)
        self._widths: dict[str, float] = {}
        self._elided: dict[tuple[str, float], str] = {}
        self._height = self.metrics.height()

    def height(self) -> float:
        return self._height

    def horizontalAdvance(self, text: str) -> float:  # noqa: N802 - Qt's name
        width = self._widths.get(text)
        if width is None:
            if len(self._widths) >= KEPT:
                self._widths.clear()
            width = self._widths[text] = self.metrics.horizontalAdvance(text)
        return width

    def elidedText(  # noqa: N802 - Qt's name
        self, text: str, mode: Qt.TextElideMode, width: float
    ) -> str:
        if mode != Qt.TextElideMode.ElideRight:
            return self.metrics.elidedText(text, mode, width)
        key = (text, width)
        out = self._elided.get(key)
        if out is None:
            if len(self._elided) >= KEPT:
                self._elided.clear()
            if self.horizontalAdvance(text) <= width:
                out = text  # it fits: nothing to cut (as Qt answers, without shaping)
            else:
                out = self.metrics.elidedText(text, mode, width)
            self._elided[key] = out
        return out


_BY_FONT: dict[int, tuple[QFont, Measure]] = {}


def measure(font: QFont) -> Measure:
    """The memoised metrics of `font`. Meant for the renderer's shared fonts, which are
    never mutated; each distinct font object gets its own (and is kept alive with it)."""
    entry = _BY_FONT.get(id(font))
    if entry is None or entry[0] is not font:
        if len(_BY_FONT) >= FONTS_KEPT:
            _BY_FONT.clear()
        entry = _BY_FONT[id(font)] = (font, Measure(font))
    return entry[1]
