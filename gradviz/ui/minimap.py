"""A small overview of the whole graph over the canvas's corner: it shows which part is in
view, and a click or drag on it moves the canvas there."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QMouseEvent, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QFrame, QGraphicsView

from gradviz.ui import theme

if TYPE_CHECKING:
    from gradviz.ui.canvas import GraphCanvas


class Minimap(QGraphicsView):
    """Views the canvas's own QGraphicsScene, zoomed out to fit (items skip their text at
    this size, so it stays cheap)."""

    def __init__(self, canvas: GraphCanvas) -> None:
        super().__init__(canvas)
        self._canvas = canvas
        self.setScene(canvas.scene())
        self.setInteractive(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setBackgroundBrush(theme.MINIMAP_BG)
        self.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")
        canvas.viewChanged.connect(self.viewport().update)

    def sync(self, scene_rect: QRectF) -> None:
        """Take the graph's shape (within the maximum size) and show all of it."""
        if scene_rect.isEmpty():
            return
        aspect = scene_rect.width() / scene_rect.height()
        w, h = theme.MINIMAP_MAX_W, theme.MINIMAP_MAX_H
        if aspect >= w / h:
            h = max(40, round(w / aspect))
        else:
            w = max(40, round(h * aspect))
        if (w, h) != (self.width(), self.height()):
            self.resize(w, h)
        self.setSceneRect(scene_rect)
        self.fitInView(scene_rect, Qt.AspectRatioMode.KeepAspectRatio)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        # The canvas's visible area, then a frame around the whole minimap.
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        visible = self._canvas.visible_scene_rect()
        pen = QPen(theme.MINIMAP_VIEW_BORDER, 1.5)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(theme.MINIMAP_VIEW_FILL)
        painter.drawRect(visible)
        painter.save()
        painter.resetTransform()
        frame = QPen(theme.MINIMAP_BORDER, 1.0)
        painter.setPen(frame)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(self.viewport().rect()).adjusted(0.5, 0.5, -0.5, -0.5))
        painter.restore()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._navigate(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._navigate(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:
        event.accept()  # the overview itself never scrolls

    def _navigate(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._canvas.centerOn(self.mapToScene(event.position().toPoint()))
        event.accept()
