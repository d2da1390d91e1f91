"""The page's own files: valid JavaScript, nothing that turns data into markup or code."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from gradviz.core import html_export

WEB = Path(html_export.__file__).resolve().parent / "web"
NODE = shutil.which("node")
JS_FILES = sorted(WEB.glob("*.js"))


def test_every_js_file_is_assembled() -> None:
    assert {p.name for p in JS_FILES} == set(html_export.WEB_FILES)


@pytest.mark.skipif(NODE is None, reason="node is not installed: the JS syntax check needs it")
@pytest.mark.parametrize("path", JS_FILES, ids=lambda p: p.name)
def test_js_file_parses(path: Path) -> None:
    done = subprocess.run([NODE, "--check", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(NODE is None, reason="node is not installed: the JS syntax check needs it")
def test_assembled_script_parses(tmp_path: Path) -> None:
    _template, _style, script, _csp = html_export.page_parts()
    path = tmp_path / "page.js"
    path.write_text(script, encoding="utf-8")
    done = subprocess.run([NODE, "--check", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("path", JS_FILES, ids=lambda p: p.name)
def test_no_markup_or_code_from_strings(path: Path) -> None:
    code = path.read_text(encoding="utf-8")
    for banned in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        'setTimeout("',
        "import(",
        "fetch(",
        "XMLHttpRequest",
        "WebSocket",
    ):
        assert banned not in code, f"{path.name} uses {banned}"
    # Styles only through the CSSOM (allowed by the CSP), never a style attribute.
    assert 'setAttribute("style"' not in code


def test_template_has_no_inline_handlers_or_remote_parts() -> None:
    page = (WEB / "page.html").read_text(encoding="utf-8")
    assert not re.search(r"\son[a-z]+=", page)
    assert not re.search(r"<(script|link|img|iframe)[^>]*\s(src|href)=", page)
    assert page.count("%%SCRIPT%%") == 1 and page.count("%%DATA%%") == 1
