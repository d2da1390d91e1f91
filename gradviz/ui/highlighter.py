"""Python syntax colouring for the code editor: quiet colours, nothing bold but keywords."""

from __future__ import annotations

import builtins
import keyword
import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

# A calm palette that reads well on a white page.
COLORS = {
    "keyword": "#7a3e9d",
    "builtin": "#2f6f9f",
    "torch": "#1f6f5c",
    "string": "#a0522d",
    "number": "#b35900",
    "comment": "#6b7280",
    "decorator": "#7a6a00",
    "self": "#8a5a83",
}

# The same roles for a dark page: lighter tints, each at least 4.5:1 on #1B1F24.
DARK_COLORS = {
    "keyword": "#D6A2F0",
    "builtin": "#8CC4EE",
    "torch": "#7FD8BE",
    "string": "#E8B48A",
    "number": "#F5B97A",
    "comment": "#9BA3AD",
    "decorator": "#E0D27A",
    "self": "#E3A9DA",
}
SCHEMES = {"light": COLORS, "dark": DARK_COLORS}

# Block states for strings that span lines.
_NONE, _IN_SINGLE, _IN_DOUBLE = 0, 1, 2


def _format(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(QFont.Weight.DemiBold)
    fmt.setFontItalic(italic)
    return fmt


def _words(words) -> str:
    return r"\b(?:" + "|".join(sorted(words, key=len, reverse=True)) + r")\b"


class PythonHighlighter(QSyntaxHighlighter):
    """Colours keywords, builtins, torch names, numbers, strings and comments."""

    def __init__(self, document: QTextDocument, scheme: str = "light") -> None:
        super().__init__(document)
        self.scheme = scheme
        self._build(SCHEMES.get(scheme, COLORS))

    def set_scheme(self, scheme: str) -> None:
        """Recolour for "light" or "dark"."""
        if scheme == self.scheme:
            return
        self.scheme = scheme
        self._build(SCHEMES.get(scheme, COLORS))
        self.rehighlight()

    def _build(self, COLORS: dict) -> None:  # noqa: N803 - shadows the light table on purpose
        builtin_names = [n for n in dir(builtins) if not n.startswith("_")]
        self._rules: list[tuple[re.Pattern[str], QTextCharFormat]] = [
            (re.compile(_words(keyword.kwlist)), _format(COLORS["keyword"], bold=True)),
            (re.compile(_words(builtin_names)), _format(COLORS["builtin"])),
            (re.compile(r"\b(?:torch|nn|F)\b"), _format(COLORS["torch"])),
            (re.compile(r"\bself\b"), _format(COLORS["self"], italic=True)),
            (re.compile(r"^\s*@[\w.]+"), _format(COLORS["decorator"])),
            (
                re.compile(r"\b(?:0[xob][\da-f_]+|\d[\d_]*\.?\d*(?:e[+-]?\d+)?j?)\b", re.I),
                _format(COLORS["number"]),
            ),
        ]
        self._string = _format(COLORS["string"])
        self._comment = _format(COLORS["comment"], italic=True)
        # One-line strings (with an optional prefix) and comments, scanned left to right
        # so that a '#' inside a string is not a comment.
        self._token = re.compile(
            r"""(?P<triple>[rbuf]{0,2}(?:'''|\"\"\"))"""
            r"""|(?P<string>[rbuf]{0,2}(?:'(?:\\.|[^'\\])*'?|"(?:\\.|[^"\\])*"?))"""
            r"""|(?P<comment>\#.*)""",
            re.I,
        )

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt override
        for pattern, fmt in self._rules:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), fmt)
        self.setCurrentBlockState(_NONE)
        start = 0
        previous = self.previousBlockState()
        if previous in (_IN_SINGLE, _IN_DOUBLE):
            start = self._continue_triple(text, 0, "'''" if previous == _IN_SINGLE else '"""')
            if start < 0:
                return
        self._scan(text, start)

    def _scan(self, text: str, pos: int) -> None:
        while True:
            match = self._token.search(text, pos)
            if match is None:
                return
            if match.group("comment") is not None:
                self.setFormat(match.start(), len(text) - match.start(), self._comment)
                return
            if match.group("triple") is not None:
                quote = match.group("triple")[-3:]
                self.setFormat(match.start(), match.end() - match.start(), self._string)
                pos = self._continue_triple(text, match.end(), quote)
                if pos < 0:
                    return
                continue
            self.setFormat(match.start(), match.end() - match.start(), self._string)
            pos = match.end()

    def _continue_triple(self, text: str, pos: int, quote: str) -> int:
        """Colour up to the closing quote; return where to go on, or -1 if it stays open."""
        end = text.find(quote, pos)
        if end < 0:
            self.setFormat(pos, len(text) - pos, self._string)
            self.setCurrentBlockState(_IN_SINGLE if quote == "'''" else _IN_DOUBLE)
            return -1
        self.setFormat(pos, end + 3 - pos, self._string)
        return end + 3
