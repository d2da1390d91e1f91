"""``gradviz export`` renders headless, and draws what the window's canvas draws."""

from __future__ import annotations

import os
import subprocess
import sys

import fixtures_app
from fixtures_app import EXAMPLES, REPO, run_code
from PySide6.QtGui import QImage

from gradviz.ui.export_image import render_image

# Fixtures shared with the other UI tests (pytest finds them as module attributes).
data_dir = fixtures_app.data_dir
window = fixtures_app.window

EXAMPLE = EXAMPLES / "01_y_equals_2xTx.py"


def cli(*args: str, tmp_path=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)  # the CLI must pick offscreen itself
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "gradviz", "export", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def same_pixels(a: QImage, b: QImage) -> bool:
    fmt = QImage.Format.Format_ARGB32
    return a.convertToFormat(fmt) == b.convertToFormat(fmt)


def test_export_png_headless_matches_the_window(qtbot, window, tmp_path) -> None:
    out = tmp_path / "step3.png"
    done = cli(str(EXAMPLE), "-o", str(out), "--step", "3")
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout
    exported = QImage(str(out))
    assert not exported.isNull()

    window.set_direction("LR")  # the CLI's default; the window's own is "auto"
    run_code(qtbot, window, EXAMPLE.read_text())
    window.transport.go_to(2)  # "--step 3" counts from 1, as the window's label does
    assert same_pixels(render_image(window.current_scene()), exported)
    # The window's own File → Export PNG writes the same picture.
    mine = tmp_path / "window.png"
    window.export_png(mine)
    assert same_pixels(QImage(str(mine)), exported)


def test_default_and_end_steps(qtbot, window, tmp_path) -> None:
    first, last = tmp_path / "default.png", tmp_path / "end.png"
    assert cli(str(EXAMPLE), "-o", str(first)).returncode == 0
    assert cli(str(EXAMPLE), "-o", str(last), "--end").returncode == 0
    window.set_direction("LR")
    run_code(qtbot, window, EXAMPLE.read_text())
    # Without --step, and with --end: the story's default step, where the window opens.
    assert window.current_step == window.player.story.default_step
    assert same_pixels(render_image(window.current_scene()), QImage(str(first)))
    assert same_pixels(render_image(window.current_scene()), QImage(str(last)))


def test_export_svg_pdf_and_picture_options(tmp_path) -> None:
    import re
    import xml.etree.ElementTree as ET

    svg, pdf, png = tmp_path / "s.svg", tmp_path / "s.pdf", tmp_path / "s.png"
    done = cli(str(EXAMPLE), "-o", str(svg), "--theme", "dark", "--aspect", "16:9")
    assert done.returncode == 0, done.stderr
    root = ET.parse(svg).getroot()
    texts = " ".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "AccumulateGrad" in texts and "Step " in texts
    assert cli(str(EXAMPLE), "-o", str(pdf), "--step", "4").returncode == 0
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page(?!s)", data)) == 1
    done = cli(str(EXAMPLE), "-o", str(png), "--size", "1280x720", "--no-caption")
    assert done.returncode == 0, done.stderr
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1280, 720)
    bad = cli(str(EXAMPLE), "-o", str(png), "--size", "huge")
    assert bad.returncode == 2 and "1920x1080" in bad.stderr


def test_export_html(tmp_path) -> None:
    out = tmp_path / "story.html"
    done = cli(str(EXAMPLE), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "gradviz-data" in out.read_text(encoding="utf-8")


def test_export_json_loads_back(tmp_path) -> None:
    from gradviz.core import story_json

    out = tmp_path / "story.json"
    done = cli(str(EXAMPLE), "-o", str(out))
    assert done.returncode == 0, done.stderr
    player = story_json.loads(out.read_text(encoding="utf-8"))
    assert player.step_count > 0 and player.scene(player.step_count - 1).narration


def test_errors_exit_non_zero_with_a_clear_message(tmp_path) -> None:
    missing = cli(str(tmp_path / "nope.py"), "-o", str(tmp_path / "a.png"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr

    bad = tmp_path / "bad.py"
    bad.write_text("import torch\nx = (1,\n")
    syntax = cli(str(bad), "-o", str(tmp_path / "b.png"))
    assert syntax.returncode == 1 and "syntax" in syntax.stderr and "line" in syntax.stderr
    assert not (tmp_path / "b.png").exists()

    far = cli(str(EXAMPLE), "-o", str(tmp_path / "c.png"), "--step", "999")
    assert far.returncode == 2 and "out of range" in far.stderr

    wrong = cli(str(EXAMPLE), "-o", str(tmp_path / "d.jpg"))
    assert wrong.returncode == 2 and ".png, .svg, .pdf, .html or .json" in wrong.stderr


def test_a_script_that_raises_still_draws_but_fails(tmp_path) -> None:
    out = tmp_path / "retain.png"
    done = cli(str(EXAMPLES / "08_retain_graph.py"), "-o", str(out), "--end")
    assert done.returncode == 1
    assert "runtime error on line" in done.stderr or "runtime error" in done.stderr
    assert out.exists()


def test_opening_a_missing_file_fails_before_any_window(tmp_path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-m", "gradviz", str(tmp_path / "missing.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2 and "no such file" in done.stderr
