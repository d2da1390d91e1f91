"""Exports for slides: PNG 1x/2x, SVG and PDF with text as text, captions, aspect presets,
all steps, and the ``gradviz export`` picture options."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from conftest import make_scene
from PySide6.QtGui import QImage

from gradviz.ui import theme
from gradviz.ui.export_image import (
    ExportOptions,
    caption_lines,
    export_all_steps,
    export_scene,
    page_size,
    parse_size,
    render_image,
)

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def scene():
    base = make_scene(5)
    # The caption carries the narration and the chain rule's lines.
    return base.__class__(
        **{
            **base.__dict__,
            "narration": "Fan-in at AccumulateGrad: both gradients are summed into x.grad.",
            "math": ("∂y/∂x = ∂y/∂d · (x + x)", "= 2 · [2., 4., 6.] = [4., 8., 12.]"),
        }
    )


def test_png_size_follows_the_preset(qapp, scene) -> None:
    fit = render_image(scene, ExportOptions(caption=False))
    w, h = page_size(scene, ExportOptions(caption=False))
    assert (fit.width(), fit.height()) == (round(w), round(h))
    double = render_image(scene, ExportOptions(caption=False, scale=2.0))
    assert abs(double.width() - 2 * fit.width()) <= 1
    assert abs(double.height() - 2 * fit.height()) <= 1
    for aspect, ratio in (("16:9", 16 / 9), ("4:3", 4 / 3)):
        for caption in (True, False):
            image = render_image(scene, ExportOptions(aspect=aspect, caption=caption))
            assert image.width() / image.height() == pytest.approx(ratio, abs=0.01)
            assert image.width() >= fit.width() and image.height() >= fit.height() - 1
    exact = render_image(scene, ExportOptions(size=(1920, 1080)))
    assert (exact.width(), exact.height()) == (1920, 1080)


def _caption_band(image: QImage) -> int:
    """Rows of the caption's background at the picture's left edge."""
    bg = theme.CAPTION_BG.rgb()
    return sum(1 for y in range(image.height()) if image.pixel(0, y) == bg)


def test_an_exact_size_keeps_the_caption_readable(qapp, scene) -> None:
    """A picture smaller than the page shrinks the graph, not the caption's type: it is
    set larger on the page, so that it reads at its own size in the picture."""
    nominal = _caption_band(render_image(scene, ExportOptions()))
    w, h = page_size(scene, ExportOptions())
    small = render_image(scene, ExportOptions(size=(round(w * 0.6), round(h * 0.6))))
    assert _caption_band(small) >= nominal - 2  # shrunk with the page, it would be ~60%
    # A picture bigger than the page scales it all up, the caption with it.
    big = render_image(scene, ExportOptions(size=(round(w * 2), round(h * 2))))
    assert _caption_band(big) == pytest.approx(2 * nominal, abs=4)


def test_caption_can_be_left_out(qapp, scene) -> None:
    with_caption = render_image(scene, ExportOptions(caption=True))
    without = render_image(scene, ExportOptions(caption=False))
    assert with_caption.height() > without.height() + 40  # heading, narration, two math lines
    heading, narration, math = caption_lines(scene)
    assert heading.startswith("Step 6 of 7") and "backward" in heading
    assert math == scene.math


def test_svg_is_xml_with_the_titles_as_text(qapp, scene, tmp_path) -> None:
    path = tmp_path / "step.svg"
    export_scene(scene, path, ExportOptions(aspect="16:9"))
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    texts = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    for box in scene.boxes:
        if box.state != "hidden":
            assert box.title in texts, box.title
    assert "Step 6 of 7" in texts and "[4., 8., 12.]" in texts  # the caption is text too
    assert not list(root.iter(f"{SVG}image")), "boxes must be shapes, not cached pixmaps"


def test_pdf_has_one_page(qapp, scene, tmp_path) -> None:
    path = tmp_path / "step.pdf"
    export_scene(scene, path, ExportOptions(aspect="4:3"))
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", data)) == 1
    assert re.search(rb"/Count\s+1\b", data)


def test_dark_export_has_a_dark_background(qapp, scene) -> None:
    try:
        theme.apply_theme("dark")
        image = render_image(scene, ExportOptions(caption=False))
    finally:
        theme.apply_theme("light")
    corner = image.pixelColor(2, 2)
    assert corner.lightness() < 40


def test_unknown_suffix_is_refused(qapp, scene, tmp_path) -> None:
    with pytest.raises(ValueError, match="png, .svg or .pdf"):
        export_scene(scene, tmp_path / "step.gif")


def test_all_steps_are_numbered_pngs_of_one_size(qapp, tmp_path) -> None:
    scenes = [make_scene(k) for k in range(7)]
    paths = export_all_steps(scenes, tmp_path, "dot", ExportOptions(caption=False))
    assert [p.name for p in paths] == [f"dot-{k:03d}.png" for k in range(1, 8)]
    sizes = {(QImage(str(p)).width(), QImage(str(p)).height()) for p in paths}
    assert len(sizes) == 1


def test_parse_size() -> None:
    assert parse_size("1920x1080") == (1920, 1080)
    assert parse_size("800×600") == (800, 600)
    for bad in ("1920", "axb", "0x100", "99999x10"):
        with pytest.raises(ValueError):
            parse_size(bad)


def test_gif_of_all_steps_reads_back_frame_by_frame(qapp, tmp_path) -> None:
    import numpy as np
    from PySide6.QtGui import QImageReader

    from gradviz.ui.export_image import export_gif
    from gradviz.ui.gif import _bins, palette_for

    scenes = [make_scene(k) for k in range(4)]
    path = tmp_path / "steps.gif"
    options = ExportOptions(caption=False)
    assert export_gif(scenes, path, options, delay_ms=800) == 4
    reader = QImageReader(str(path))
    assert reader.imageCount() == 4 and reader.loopCount() == -1  # loops forever
    first = reader.read()
    assert reader.nextImageDelay() == 800
    # Frame 1 decodes to the palette-mapped render of step 1.
    size = (first.width(), first.height())
    rendered = render_image(scenes[0], ExportOptions(caption=False, size=size))
    rgb = rendered.convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(rgb.constBits(), np.uint8, rgb.sizeInBytes())
    arr = arr.reshape(rgb.height(), rgb.bytesPerLine())[:, : size[0] * 3]
    arr = arr.reshape(size[1], size[0], 3)
    decoded = first.convertToFormat(QImage.Format.Format_RGB888)
    got = np.frombuffer(decoded.constBits(), np.uint8, decoded.sizeInBytes())
    got = got.reshape(size[1], decoded.bytesPerLine())[:, : size[0] * 3].reshape(arr.shape)
    palette, lookup = palette_for([arr])
    # The GIF's palette comes from all four frames, so compare colours, not indices.
    assert np.abs(got.astype(int) - arr.astype(int)).mean() < 4
    assert palette.shape == (256, 3) and lookup[_bins(arr)].max() < 256
