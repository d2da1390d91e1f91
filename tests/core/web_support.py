"""Helpers for the page tests: stories from scripts, and a real browser engine to load pages.

QtWebEngine (PySide6-Addons) runs everywhere the app's tests run; headless Chromium is
used too where Debian's `chromium` is installed. Either missing means a clear skip.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from functools import partial
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if os.name == "posix" and os.geteuid() == 0:
    # Chromium refuses to run its sandbox as root.
    os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if "--no-sandbox" not in flags:
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (flags + " --no-sandbox").strip()

try:  # QtWebEngine must be imported before any QApplication exists (collection time).
    from PySide6.QtCore import QCoreApplication, QEvent, Qt, QUrl
    from PySide6.QtWebEngineCore import (
        QWebEnginePage,
        QWebEngineProfile,
        QWebEngineUrlRequestInterceptor,
    )
    from PySide6.QtWebEngineWidgets import QWebEngineView

    if QCoreApplication.instance() is None:
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    WEBENGINE_ERROR = ""
except Exception as exc:  # pragma: no cover - depends on the machine
    WEBENGINE_ERROR = f"QtWebEngine is not available (pip install PySide6-Addons): {exc}"

from gradviz.core import page_pack  # noqa: E402
from gradviz.core.player import Player  # noqa: E402
from gradviz.core.story import Story  # noqa: E402
from gradviz.core.trace import trace_source  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = next(
    (
        p
        for p in (ROOT / "gradviz" / "assets" / "examples", ROOT / "assets" / "examples")
        if p.is_dir()
    ),
    ROOT / "gradviz" / "assets" / "examples",
)


def player_of(source: str, filename: str = "script.py") -> Player:
    return Player(trace_source(source, filename).story)


def embedded(page: str) -> dict:
    found = re.findall(
        r'<script id="gradviz-data" type="application/json">(.*?)</script>', page, re.S
    )
    assert len(found) == 1
    data = json.loads(found[0])
    # A loop's iterations are packed (page_pack.py): the tests read the page's own form.
    return page_pack.unpack(data) if data.get("format") == page_pack.FORMAT else data


def _edge_row(own: list, p: int, lit: set, token: list | None) -> list:
    shown = token[1] if token and token[0] == p else -1
    return [own[0], own[1], int(p in lit), shown]


def expand_rows(data: dict) -> list[dict]:
    """The rows the page shows at each step, {"b": box rows, "e": edge rows}, built from the
    payload exactly as data.js builds ROWS: each step's own rows (full, or the changed ones)
    with what the step lays over them. A row the step leaves alone is the same list."""
    hidden, active, error = data["states"]
    boxes = data["boxes"]

    def box_row(own: list, k: int, focused: bool, focus_state: int) -> list:
        if boxes[own[0]][11] > k:
            state = hidden
        elif focused:
            state = focus_state
        else:
            return own if len(own) == 8 else own[:8]
        row = own[:8]
        row[1] = state
        if len(own) > 8:
            row[7] = own[8]
        return row

    out: list[dict] = []
    own_b: list = []
    own_e: list = []
    pb: list = []
    pe: list = []
    boxes_of: dict = {}
    appearing: dict = {}
    prev_focus: list = []
    prev_active: list = []
    prev_token = -1
    for k, st in enumerate(data["steps"]):
        focus_state = error if st["ph"] == "error" else active
        fresh = "B" in st
        if fresh:
            own_b, boxes_of, appearing = st["B"], {}, {}
            for p, row in enumerate(own_b):
                s = boxes[row[0]]
                boxes_of.setdefault(s[12] if len(s) > 12 else s[0], []).append(p)
                if s[11] >= 0:
                    appearing.setdefault(s[11], []).append(p)
        else:
            own_b = list(own_b)
            for d in st.get("dB", []):
                own_b[d[0]] = [own_b[d[0]][0], *d[1:]]
        focus = [p for i in st.get("f", []) for p in boxes_of.get(i, [])]
        focused = set(focus)
        if fresh:
            b = [box_row(r, k, p in focused, focus_state) for p, r in enumerate(own_b)]
        else:
            b = list(pb)
            redo = [d[0] for d in st.get("dB", [])] + prev_focus + focus
            for p in redo + appearing.get(k, []):
                row = box_row(own_b[p], k, p in focused, focus_state)
                b[p] = pb[p] if row == pb[p] else row
        lit, token = set(st.get("a", [])), st.get("t")
        edge_row = partial(_edge_row, lit=lit, token=token)
        if "E" in st:
            own_e = st["E"]
            e = [edge_row(r, p) for p, r in enumerate(own_e)]
        else:
            own_e = list(own_e)
            for d in st.get("dE", []):
                own_e[d[0]] = [own_e[d[0]][0], d[1]]
            e = list(pe)
            redo = [d[0] for d in st.get("dE", [])] + prev_active + st.get("a", [])
            redo += [prev_token] if prev_token >= 0 else []
            for p in redo + ([token[0]] if token else []):
                row = edge_row(own_e[p], p)
                e[p] = pe[p] if row == pe[p] else row
        out.append({"b": b, "e": e})
        pb, pe = b, e
        prev_focus, prev_active = focus, st.get("a", [])
        prev_token = token[0] if token else -1
    return out


CHAIN_SCRIPT = """import torch
x = torch.ones(3, requires_grad=True)
y = x
for _ in range(6):
    y = y * 1.5
y.sum().backward()
"""

ERROR_AFTER_BACKWARD = """import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = (x * x).sum()
y.backward()
y.backward()
"""


def error_about(player, count: int):
    """The story with its error step about the first `count` nodes of its episode (the
    builder names none today; the player's rule shows them in the error state)."""
    data = player.story.to_dict()
    last = data["steps"][-1]
    assert last["phase"] == "error"
    last["focus"] = [n["id"] for n in data["episodes"][last["episode"]]["nodes"][:count]]
    return Player(Story.from_dict(data))


def legacy_freed(player):
    """The story as saved before the freed badge: a freed node's state was "freed"."""
    data = player.story.to_dict()
    for s in data["steps"]:
        s["updates"] = [
            [t, f, "freed" if f == "state" and v == "done" else v] for t, f, v in s["updates"]
        ]
    return Player(Story.from_dict(data))


def shown_rows(data: dict, rows: dict) -> tuple[list, list]:
    """Box and edge rows resolved to (id, state, value, grad, note, badges) and
    (id, kind, active, token)."""
    s = data["strings"]

    def text(i):
        return None if i < 0 else s[i]

    boxes = [
        (data["boxes"][r[0]][0], *(text(r[i]) for i in (1, 2, 3, 4)), text(r[7]) or "")
        for r in rows["b"]
    ]
    edges = [(data["edges"][r[0]][0], text(r[1]), bool(r[2]), text(r[3])) for r in rows["e"]]
    return boxes, edges


# ---- QtWebEngine ------------------------------------------------------------------------

if not WEBENGINE_ERROR:

    class RequestLog(QWebEngineUrlRequestInterceptor):
        """Every URL the page asks for, as the browser engine sees it."""

        def __init__(self) -> None:
            super().__init__()
            self.urls: list[str] = []

        def interceptRequest(self, info) -> None:  # noqa: N802 - Qt's name
            self.urls.append(info.requestUrl().toString())


class Browser:
    """A QWebEngineView with its own off-the-record profile and a request log."""

    def __init__(self, qtbot, width: int = 1440, height: int = 860) -> None:
        self.qtbot = qtbot
        self.view = QWebEngineView()
        self.profile = QWebEngineProfile()  # off the record: nothing is written to disk
        self.log = RequestLog()
        self.profile.setUrlRequestInterceptor(self.log)
        self.page = QWebEnginePage(self.profile, self.view)
        self.console: list[str] = []
        self.page.javaScriptConsoleMessage = lambda level, message, line, source: (
            self.console.append(f"{source}:{line}: {message}")
        )
        self.view.setPage(self.page)
        self.view.resize(width, height)
        self.view.show()

    def load(self, path: Path) -> None:
        self.log.urls.clear()
        with self.qtbot.waitSignal(self.view.loadFinished, timeout=15_000) as blocker:
            self.view.load(QUrl.fromLocalFile(str(path)))
        assert blocker.args and blocker.args[0], f"QtWebEngine could not load {path}"
        self.qtbot.waitUntil(lambda: self.js("typeof window.gradviz") == "object", timeout=5000)

    def load_html(self, page: str, directory: Path, name: str = "page.html") -> Path:
        path = directory / name
        path.write_text(page, encoding="utf-8")
        self.load(path)
        return path

    def js(self, script: str, timeout: int = 5000):
        result: list = []
        self.page.runJavaScript(script, 0, result.append)
        self.qtbot.waitUntil(lambda: bool(result), timeout=timeout)
        return result[0]

    def json(self, expression: str):
        # Objects come back from runJavaScript unreliably; JSON text does not.
        return json.loads(self.js(f"JSON.stringify({expression})"))

    def key(self, key: str) -> None:
        self.js(
            f"document.dispatchEvent(new KeyboardEvent('keydown', {{key: {json.dumps(key)},"
            " bubbles: true})); 0"
        )

    def grab(self, wait_ms: int = 200, until=None, timeout_ms: int = 5000):
        """The view's pixels once the compositor has painted the last change: after
        `wait_ms`, two grabs 100 ms apart agree and (if given) `until(image)` holds."""
        self.qtbot.wait(wait_ms)
        image = self.view.grab().toImage()
        waited = 0
        while waited < timeout_ms:
            self.qtbot.wait(100)
            waited += 100
            again = self.view.grab().toImage()
            if again == image and (until is None or until(again)):
                return again
            image = again
        return image

    def close(self) -> None:
        # Delete the page before its profile: Chromium complains otherwise at exit.
        self.view.close()
        self.page.deleteLater()
        self.view.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        self.profile.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        self.qtbot.wait(10)


# ---- headless Chromium (Debian's package), where installed ------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# The browser's own background traffic (updates, spell-check dictionaries, time checks) is
# switched off, so any request left in the net log came from the page.
QUIET = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-features=SpellcheckService,NetworkTimeServiceQuerying,OptimizationHints,Translate",
    "--no-pings",
]


def chromium_dump(path: Path, extra: list[str] | None = None, timeout: float = 60.0) -> str:
    """The page's DOM after its scripts ran, from headless Chromium, with no network."""
    with tempfile.TemporaryDirectory() as profile:
        args = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            *QUIET,
            f"--user-data-dir={profile}",
            "--proxy-server=127.0.0.1:9",  # anything that tried the network would fail
            "--virtual-time-budget=3000",
            *(extra or []),
            "--dump-dom",
            path.as_uri(),
        ]
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    return done.stdout


def chromium_screenshot(
    path: Path, out: Path, size=(1440, 860), fragment: str = "", timeout: float = 60.0
) -> None:
    """A screenshot of the page (at `#fragment`, e.g. "step=4&theme=dark")."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--window-size={size[0]},{size[1]}",
                "--virtual-time-budget=3000",
                f"--screenshot={out}",
                *QUIET,
                path.as_uri() + (f"#{fragment}" if fragment else ""),
            ],
            capture_output=True,
            timeout=timeout,
            check=False,
        )


def chromium_page_requests(path: Path) -> list[str]:
    """URLs the page itself asked for (not the browser's own traffic), from Chromium's net
    log: its requests carry the page's origin as initiator."""
    with tempfile.TemporaryDirectory() as tmp:
        netlog = Path(tmp) / "net.json"
        chromium_dump(path, [f"--log-net-log={netlog}"])
        data = json.loads(netlog.read_text(encoding="utf-8"))
    start = data["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        e["params"].get("url", "")
        for e in data["events"]
        if e["type"] == start
        and isinstance(e.get("params"), dict)
        and "url" in e["params"]
        and e["params"].get("initiator") != "not an origin"
    ]


# ---- headless Firefox (Debian's firefox-esr), where installed ----------------------------

FIREFOX = shutil.which("firefox-esr") or shutil.which("firefox")


def firefox_screenshot(
    path: Path, out: Path, size=(1440, 860), fragment: str = "", timeout: float = 90.0
) -> None:
    """A screenshot of the page in headless Firefox, with a fresh profile."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                FIREFOX,
                "--headless",
                "--no-remote",
                "--profile",
                profile,
                f"--window-size={size[0]},{size[1]}",
                "--screenshot",
                str(out),
                path.as_uri() + (f"#{fragment}" if fragment else ""),
            ],
            capture_output=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "HOME": profile},
        )
