"""A built wheel carries the fonts, the examples and the help pages: build one, install it
into a fresh venv and export an example to PNG with the installed gradviz (not this
checkout). Slow (about 30 s), but it runs in CI."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "engine", "gradviz")


def _run(*args, cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.mark.slow
def test_wheel_has_package_data_and_exports_from_a_fresh_venv(tmp_path) -> None:
    # Build from a copy, so the checkout gets no build/ or egg-info of ours.
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, src / name)
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "pip", "wheel", src, "--no-deps", "--no-build-isolation",
         "-w", dist, "-q", cwd=tmp_path)  # fmt: skip
    wheel = next(dist.glob("gradviz-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "gradviz/assets/fonts/DejaVuSans.ttf",
        "gradviz/assets/fonts/DejaVuSansMono.ttf",
        "gradviz/assets/examples/01_y_equals_2xTx.py",
        "gradviz/ui/help/how_to_read.html",
        "engine/__init__.py",
    ):
        assert needed in names, needed

    # A fresh venv; its dependencies (PySide6, numpy, networkx) come from this one's
    # site-packages as a plain path entry, which does not run our editable install.
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", venv,
         cwd=tmp_path)  # fmt: skip
    python = venv / "bin" / "python"
    site = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
        ).stdout.strip()  # fmt: skip
    )
    import PySide6

    (site / "deps.pth").write_text(str(Path(PySide6.__file__).parents[1]) + "\n")
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
         "-q", wheel, cwd=tmp_path)  # fmt: skip

    where = _run(python, "-c", "import gradviz, sys; print(gradviz.__file__)", cwd=tmp_path)
    installed = Path(where.stdout.strip())
    assert installed.is_relative_to(venv), installed  # the wheel's copy, not the checkout
    example = installed.parent / "assets" / "examples" / "01_y_equals_2xTx.py"
    out = tmp_path / "out.png"
    done = _run(venv / "bin" / "gradviz", "export", example, "-o", out, "--end", cwd=tmp_path)
    assert "wrote" in done.stdout
    image = QImage(str(out))
    assert not image.isNull() and image.width() > 200 and image.height() > 100
