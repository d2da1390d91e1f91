"""File → Export Image: the options a teacher needs for a slide (format, 1× or 2×, an
aspect preset, the caption) before choosing where to save."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QWidget,
)

from gradviz.ui.export_image import ASPECTS, ExportOptions

FORMAT_CHOICES = (
    (".png", "PNG picture"),
    (".svg", "SVG (vector, text stays text)"),
    (".pdf", "PDF (vector, one page)"),
)
ALL_STEPS_CHOICES = (
    (".png", "numbered PNG pictures, one per step (for slides)"),
    (".gif", "one animated GIF"),
)
SCALES = ((1.0, "1× (screen)"), (2.0, "2× (sharp on slides and high-dpi screens)"))


class ExportDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, all_steps: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export all steps" if all_steps else "Export image")
        self.format_box = QComboBox()
        self.format_box.setToolTip("PNG for anything; SVG and PDF stay sharp at any size")
        choices = ALL_STEPS_CHOICES if all_steps else FORMAT_CHOICES
        for suffix, label in choices:
            self.format_box.addItem(label, suffix)
        self.scale_box = QComboBox()
        self.scale_box.setToolTip("Pixels per unit of the graph (PNG only)")
        for scale, label in SCALES:
            self.scale_box.addItem(label, scale)
        self.aspect_box = QComboBox()
        self.aspect_box.setToolTip("Fit the graph, or pad it to a slide's shape")
        for aspect in ASPECTS:
            self.aspect_box.addItem("fit the graph" if aspect == "fit" else aspect, aspect)
        self.caption_box = QCheckBox("Step number and narration below the graph")
        self.caption_box.setToolTip("Leave this off for a picture of the graph alone")
        self.caption_box.setChecked(True)
        self.format_box.currentIndexChanged.connect(self._sync)
        form = QFormLayout(self)
        form.addRow("Format", self.format_box)
        form.addRow("Size", self.scale_box)
        form.addRow("Shape", self.aspect_box)
        form.addRow("Caption", self.caption_box)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._sync()

    def _sync(self) -> None:
        self.scale_box.setEnabled(self.suffix() in (".png", ".gif"))

    def suffix(self) -> str:
        return self.format_box.currentData()

    def options(self) -> ExportOptions:
        return ExportOptions(
            scale=float(self.scale_box.currentData()),
            aspect=self.aspect_box.currentData(),
            caption=self.caption_box.isChecked(),
        )
