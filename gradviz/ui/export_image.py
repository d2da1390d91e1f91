"""Pictures of one step for slides and handouts: PNG (1x, 2x or a pixel size), SVG and
PDF with text kept as text, an optional caption (step number, narration, chain-rule
lines) and an aspect preset (fit the graph, 16:9 or 4:3).

Everything is drawn by the same items as the canvas (gradviz.ui.render), in the
current theme (gradviz.ui.theme.apply_theme).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import (
    QFontMetricsF,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextLayout,
)
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene

from gradviz.core.scene_types import Scene
from gradviz.ui import theme
from gradviz.ui.fonts import mono_font, ui_font
from gradviz.ui.render import SceneItems, _ensure_app, scene_rect_with_margin

ASPECTS = {"fit": None, "16:9": 16 / 9, "4:3": 4 / 3}
FORMATS = (".png", ".svg", ".pdf")
CAPTION_PT = 11.0
CAPTION_TITLE_PT = 11.0
MATH_PT = 10.5
CAPTION_PAD = 14.0
CAPTION_MIN_WIDTH = 520.0  # a caption is never squeezed narrower than this (scene units)


@dataclass(frozen=True)
class ExportOptions:
    scale: float = 1.0  # PNG pixels per scene unit: 1 or 2 (ignored with `size`)
    aspect: str = "fit"  # "fit", "16:9" or "4:3"
    caption: bool = True  # step number, narration and the chain-rule lines below the graph
    size: tuple[int, int] | None = None  # exact output size in pixels (PNG) or points


def caption_lines(scene: Scene) -> tuple[str, str, tuple[str, ...]]:
    """(heading, narration, math lines) of a step's caption."""
    phase = {"forward": "forward pass", "backward": "backward pass"}.get(scene.phase, scene.phase)
    heading = f"Step {scene.step + 1} of {scene.step_count}"
    if phase and phase not in ("empty",):
        heading += f" · {phase}"
    if scene.episode_title:
        heading += f" · {scene.episode_title}"
    return heading, scene.narration, tuple(scene.math)


def _wrapped_height(text: str, font, width: float) -> tuple[float, list[tuple[str, float]]]:
    """Lay `text` out in lines of at most `width`: (height, [(line text, y)])."""
    layout = QTextLayout(text, font)
    layout.beginLayout()
    lines, y = [], 0.0
    leading = QFontMetricsF(font).leading()
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        lines.append((text[line.textStart() : line.textStart() + line.textLength()].rstrip(), y))
        y += line.height() + leading
    layout.endLayout()
    return y, lines


@dataclass(frozen=True)
class _Caption:
    rows: tuple  # (text, font, colour, y) relative to the caption's top
    height: float
    pad: float  # its margin, in scene units
    zoom: float  # its type size and margin, over their nominal ones


def _caption(scene: Scene, width: float, zoom: float = 1.0) -> _Caption:
    heading, narration, math_lines = caption_lines(scene)
    pad = CAPTION_PAD * zoom
    inner = width - 2 * pad
    rows = []
    y = pad
    bold = ui_font(CAPTION_TITLE_PT * zoom, bold=True)
    body = ui_font(CAPTION_PT * zoom)
    mono = mono_font(MATH_PT * zoom)
    for text, font, colour in (
        (heading, bold, theme.CAPTION_TEXT),
        (narration, body, theme.CAPTION_TEXT),
    ):
        if not text:
            continue
        h, lines = _wrapped_height(text, font, inner)
        rows += [(t, font, colour, y + ly) for t, ly in lines]
        y += h + 4
    for text in math_lines:
        h, lines = _wrapped_height(text, mono, inner)
        rows += [(t, mono, theme.MATH_TEXT, y + ly) for t, ly in lines]
        y += h
    return _Caption(tuple(rows), y + pad - 4, pad, zoom)


@dataclass(frozen=True)
class _Page:
    width: float  # scene units
    height: float
    graph_source: QRectF  # the part of the graphics scene drawn
    graph_target: QRectF  # where it goes on the page
    caption: _Caption | None
    caption_top: float


def _page(scene: Scene, items: SceneItems, options: ExportOptions) -> _Page:
    page = _page_at(scene, items, options, 1.0)
    if options.size is None or page.caption is None:
        return page
    # An exact size shrinks a big graph's page into the picture, its caption with it: the
    # caption is then set larger, so that it reads at its own size in the picture.
    for _ in range(6):
        factor = min(options.size[0] / page.width, options.size[1] / page.height)
        zoom = max(1.0, 1.0 / factor)
        if abs(zoom - page.caption.zoom) < 0.01 * zoom:
            break
        page = _page_at(scene, items, options, zoom)
    return page


def _page_at(scene: Scene, items: SceneItems, options: ExportOptions, zoom: float) -> _Page:
    source = scene_rect_with_margin(items)
    gw, gh = source.width(), source.height()
    width = max(gw, CAPTION_MIN_WIDTH) if options.caption else gw
    ratio = ASPECTS.get(options.aspect)
    if options.size is not None:
        ratio = options.size[0] / options.size[1]
    caption = _caption(scene, width, zoom) if options.caption else None
    ch = caption.height if caption else 0.0
    height = gh + ch
    if ratio is not None:
        # Grow the short side to the aspect; a caption is re-wrapped to the new width.
        if width / height < ratio:
            width = height * ratio
            caption = _caption(scene, width, zoom) if options.caption else None
            ch = caption.height if caption else 0.0
            height = max(height, gh + ch)
            width = max(width, height * ratio)
        else:
            height = width / ratio
            if caption is not None:
                caption = _caption(scene, width, zoom)
                ch = caption.height
            if height < gh + ch:
                height = gh + ch
                width = height * ratio
    graph_area = QRectF(0, 0, width, height - ch)
    target = QRectF(graph_area.center().x() - gw / 2, graph_area.center().y() - gh / 2, gw, gh)
    return _Page(width, height, source, target, caption, height - ch)


def _paint_page(painter: QPainter, graphics_scene: QGraphicsScene, page: _Page) -> None:
    painter.setRenderHints(
        QPainter.RenderHint.Antialiasing
        | QPainter.RenderHint.TextAntialiasing
        | QPainter.RenderHint.SmoothPixmapTransform
    )
    painter.fillRect(QRectF(0, 0, page.width, page.height), theme.CANVAS_BG)
    graphics_scene.render(
        painter, page.graph_target, page.graph_source, Qt.AspectRatioMode.IgnoreAspectRatio
    )
    if page.caption is None:
        return
    top = page.caption_top
    painter.fillRect(QRectF(0, top, page.width, page.height - top), theme.CAPTION_BG)
    painter.setPen(theme.EDGE_LABEL_TEXT)
    painter.drawLine(0, int(top), int(page.width), int(top))
    for text, font, colour, y in page.caption.rows:
        painter.setFont(font)
        painter.setPen(colour)
        fm = QFontMetricsF(font)
        painter.drawText(
            QRectF(page.caption.pad, top + y, page.width - 2 * page.caption.pad, fm.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            text,
        )


class _Prepared:
    """The items of one scene at rest, uncached so vector devices get vector shapes."""

    def __init__(self, scene: Scene, options: ExportOptions) -> None:
        _ensure_app()
        self.graphics_scene = QGraphicsScene()
        self.items = SceneItems(self.graphics_scene)
        self.items.apply(scene)
        for item in self.graphics_scene.items():
            item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
        self.page = _page(scene, self.items, options)

    def close(self) -> None:
        self.items.clear()


def page_size(scene: Scene, options: ExportOptions = ExportOptions()) -> tuple[float, float]:
    """The page's size in scene units (before the PNG scale or an exact size)."""
    prepared = _Prepared(scene, options)
    try:
        return prepared.page.width, prepared.page.height
    finally:
        prepared.close()


def render_image(scene: Scene, options: ExportOptions = ExportOptions()) -> QImage:
    """The step as an image: `options.size` pixels, else the page at `options.scale`."""
    prepared = _Prepared(scene, options)
    page = prepared.page
    if options.size is not None:
        w, h = options.size
        factor = min(w / page.width, h / page.height)
    else:
        factor = options.scale
        w, h = math.ceil(page.width * factor), math.ceil(page.height * factor)
    image = QImage(max(1, int(w)), max(1, int(h)), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(theme.CANVAS_BG)
    painter = QPainter(image)
    # Centre the page in an exact size whose aspect differs a hair after rounding.
    painter.translate((w - page.width * factor) / 2, (h - page.height * factor) / 2)
    painter.scale(factor, factor)
    _paint_page(painter, prepared.graphics_scene, page)
    painter.end()
    prepared.close()
    return image


def write_svg(scene: Scene, path: str | Path, options: ExportOptions = ExportOptions()) -> None:
    prepared = _Prepared(scene, options)
    page = prepared.page
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(QSize(math.ceil(page.width), math.ceil(page.height)))
    generator.setViewBox(QRectF(0, 0, page.width, page.height))
    generator.setTitle(f"gradviz: {caption_lines(scene)[0]}")
    generator.setDescription(scene.narration)
    generator.setResolution(96)
    painter = QPainter()
    if not painter.begin(generator):
        prepared.close()
        raise OSError(f"could not write {path}")
    _paint_page(painter, prepared.graphics_scene, page)
    painter.end()
    prepared.close()


def write_pdf(scene: Scene, path: str | Path, options: ExportOptions = ExportOptions()) -> None:
    """One page exactly the size of the picture (1 scene unit = 1/96 inch)."""
    prepared = _Prepared(scene, options)
    page = prepared.page
    writer = QPdfWriter(str(path))
    writer.setResolution(96)
    writer.setCreator("gradviz")
    writer.setTitle(caption_lines(scene)[0])
    points = QSizeF(page.width * 0.75, page.height * 0.75)  # 96 dpi units -> points
    writer.setPageLayout(
        QPageLayout(
            QPageSize(
                points, QPageSize.Unit.Point, "gradviz", QPageSize.SizeMatchPolicy.ExactMatch
            ),
            QPageLayout.Orientation.Portrait,
            QMarginsF(0, 0, 0, 0),
        )
    )
    painter = QPainter()
    if not painter.begin(writer):
        prepared.close()
        raise OSError(f"could not write {path}")
    scale = writer.width() / page.width
    painter.scale(scale, scale)
    _paint_page(painter, prepared.graphics_scene, page)
    painter.end()
    prepared.close()


def export_scene(scene: Scene, path: str | Path, options: ExportOptions = ExportOptions()) -> None:
    """Write `scene` to `path`; the suffix picks the format (.png, .svg or .pdf)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".png":
        if not render_image(scene, options).save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
    elif suffix == ".svg":
        write_svg(scene, path, options)
    elif suffix == ".pdf":
        write_pdf(scene, path, options)
    else:
        raise ValueError(
            f"cannot export {suffix or 'files without a suffix'}: use .png, .svg or .pdf"
        )


def export_all_steps(
    scenes, folder: str | Path, stem: str = "step", options: ExportOptions = ExportOptions()
) -> list[Path]:
    """One numbered PNG per step (step-001.png, ...), all the same size, for slides."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    scenes = list(scenes)
    if options.size is None and scenes:
        # One size for all: the largest page, so the sequence does not jump.
        sizes = [page_size(s, options) for s in scenes]
        w = max(s[0] for s in sizes) * options.scale
        h = max(s[1] for s in sizes) * options.scale
        options = replace(options, size=(math.ceil(w), math.ceil(h)))
    digits = max(3, len(str(len(scenes))))
    paths = []
    for scene in scenes:
        path = folder / f"{stem}-{scene.step + 1:0{digits}d}.png"
        export_scene(scene, path, options)
        paths.append(path)
    return paths


def export_gif(
    scenes, path: str | Path, options: ExportOptions = ExportOptions(), delay_ms: int = 1500
) -> int:
    """Every scene as one frame of a looping GIF (all frames the size of the largest
    page); returns the number of frames."""
    import numpy as np

    from gradviz.ui.gif import write_gif

    scenes = list(scenes)
    if not scenes:
        raise ValueError("no steps to export")
    if options.size is None:
        sizes = [page_size(s, options) for s in scenes]
        w = max(s[0] for s in sizes) * options.scale
        h = max(s[1] for s in sizes) * options.scale
        options = replace(options, size=(math.ceil(w), math.ceil(h)))
    frames = []
    for scene in scenes:
        image = render_image(scene, options).convertToFormat(QImage.Format.Format_RGB888)
        rows = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
        rows = rows.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3]
        frames.append(rows.reshape(image.height(), image.width(), 3).copy())
    write_gif(frames, path, delay_ms)
    return len(frames)


def parse_size(text: str) -> tuple[int, int]:
    """ "1920x1080" -> (1920, 1080)."""
    try:
        w, h = (int(v) for v in text.lower().replace("×", "x").split("x"))
    except ValueError:
        raise ValueError(f"size must look like 1920x1080, not {text!r}") from None
    if not (16 <= w <= 16384 and 16 <= h <= 16384):
        raise ValueError(f"size {text} is out of range (16 to 16384 pixels a side)")
    return w, h
