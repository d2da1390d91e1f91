"""Small media icons drawn in the theme's text colour, so they read on light and dark
(the style's standard icons are dark glyphs that vanish on a dark toolbar)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap, QPolygonF

SIZE = 32  # drawn at 2x and scaled down by Qt: crisp on high-dpi screens


def _triangle(painter: QPainter, left: float, right: float, point_right: bool) -> None:
    top, bottom, mid = 7.0, 25.0, 16.0
    if point_right:
        pts = [QPointF(left, top), QPointF(right, mid), QPointF(left, bottom)]
    else:
        pts = [QPointF(right, top), QPointF(left, mid), QPointF(right, bottom)]
    painter.drawPolygon(QPolygonF(pts))


def _draw(kind: str, painter: QPainter) -> None:
    if kind == "play":
        _triangle(painter, 9, 25, True)
    elif kind == "pause":
        painter.drawRect(QRectF(9, 7, 5, 18))
        painter.drawRect(QRectF(18, 7, 5, 18))
    elif kind == "stop":
        painter.drawRoundedRect(QRectF(8, 8, 16, 16), 2, 2)
    elif kind == "forward":
        _triangle(painter, 5, 16, True)
        _triangle(painter, 16, 27, True)
    elif kind == "back":
        _triangle(painter, 5, 16, False)
        _triangle(painter, 16, 27, False)
    elif kind == "first":
        painter.drawRect(QRectF(6, 7, 3, 18))
        _triangle(painter, 9, 18, False)
        _triangle(painter, 18, 27, False)
    elif kind == "last":
        _triangle(painter, 5, 14, True)
        _triangle(painter, 14, 23, True)
        painter.drawRect(QRectF(23, 7, 3, 18))
    else:
        raise ValueError(kind)


def media_icon(kind: str, color: QColor, disabled: QColor | None = None) -> QIcon:
    """ "play", "pause", "stop", "forward", "back", "first" or "last" in `color` (and in
    `disabled` for the disabled state)."""
    icon = QIcon()
    for mode, c in ((QIcon.Mode.Normal, color), (QIcon.Mode.Disabled, disabled)):
        if c is None:
            continue
        pixmap = QPixmap(SIZE, SIZE)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(c)
        _draw(kind, painter)
        painter.end()
        icon.addPixmap(pixmap, mode)
    return icon
