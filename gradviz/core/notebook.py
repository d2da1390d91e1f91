"""gradviz from Python and notebooks: `show`, `story`, `record`, `compare`.

Everything ends in the same self-contained player page the app exports. Inline, a
notebook shows it through `_repr_html_` as an iframe whose `srcdoc` is that page: no
server, no network, nothing to install, and the page's scripts stay sandboxed away
from the notebook. torch is optional: it is only ever touched when the caller hands
over a torch tensor (or asks for a comparison, which runs code on real PyTorch).
"""

from __future__ import annotations

import html
import linecache
import sys
import tempfile
import webbrowser
from pathlib import Path

from engine.autograd import recording

from .html_export import export_html
from .player import Player
from .story import Story
from .story_builder import build_story
from .torch_graph import compare_stories, graph_story

IFRAME_HEIGHT = 640


class StoryView:
    """A story ready to look at: inline in a notebook, in a browser, or saved as a page."""

    def __init__(
        self, story: Story, title: str = "", output: str = "", direction: str = "LR"
    ) -> None:
        self.story = story
        self.title = title or story.filename or "gradviz"
        self.output = output
        self.player = Player(story, direction)

    def html(self) -> str:
        """The whole player page, as `gradviz export` writes it."""
        return export_html(self.player, self.title, output=self.output)

    def _repr_html_(self) -> str:
        # srcdoc holds the page as an attribute value: escaped, quotes included. The
        # sandbox lets the page's own script run but gives it no access to the notebook.
        page = html.escape(self.html(), quote=True)
        return (
            f'<iframe srcdoc="{page}" sandbox="allow-scripts" '
            f'style="width:100%;height:{IFRAME_HEIGHT}px;border:1px solid #E1E4E8;'
            f'border-radius:6px" title="gradviz: {html.escape(self.title, quote=True)}">'
            "</iframe>"
        )

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.html(), encoding="utf-8")
        return path

    def open(self) -> Path:
        """Write the page to a temporary file and open it in the default browser."""
        with tempfile.NamedTemporaryFile(
            "w", suffix=".html", prefix="gradviz-", delete=False, encoding="utf-8"
        ) as f:
            f.write(self.html())
        path = Path(f.name)
        webbrowser.open(path.as_uri())
        return path

    def __repr__(self) -> str:
        steps, episodes = len(self.story.steps), len(self.story.episodes)
        return f"<gradviz story {self.title!r}: {steps} steps in {episodes} episode(s)>"


# ---- recording ordinary code ------------------------------------------------------------


class Recording:
    """`with gradviz.record() as rec:` records the engine's work in the block; afterwards
    `rec.story()` (or `gradviz.show(t)` for a tensor made in it) tells it."""

    def __init__(self, title: str = "") -> None:
        self.title = title
        self._recorder = None
        self._frame_file = ""
        self._namespace: dict = {}
        self._story: Story | None = None

    def __enter__(self) -> Recording:
        frame = sys._getframe(1)
        self._frame_file = frame.f_code.co_filename
        self._frame = frame
        self._recorder = recording.record()
        self._recorder.__enter__()
        _ACTIVE.append(self)
        return self

    def __exit__(self, *exc) -> bool:
        self._recorder.__exit__(*exc)
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        frame, self._frame = self._frame, None
        # The names the learner gave their tensors, for the boxes.
        self._namespace = {**frame.f_globals, **frame.f_locals}
        del frame
        _LAST[:] = [self]
        return False

    @property
    def events(self) -> list:
        return list(self._recorder.events) if self._recorder is not None else []

    def uids(self) -> set:
        """The tensors the recording saw."""
        out = set()
        for e in self.events:
            for name in ("tensor", "output", "result", "grad"):
                info = getattr(e, name, None)
                if info is not None and hasattr(info, "uid"):
                    out.add(info.uid)
        return out

    def build(self) -> Story:
        if self._story is None or self in _ACTIVE:
            source = "".join(linecache.getlines(self._frame_file))
            frame = self._frame
            namespace = (
                {**frame.f_globals, **frame.f_locals} if frame is not None else self._namespace
            )
            self._story = build_story(
                self.events, source, self._frame_file, namespace, None, self._recorder.truncated
            )
        return self._story

    def story(self) -> StoryView:
        return StoryView(self.build(), self.title or Path(self._frame_file).name)


_ACTIVE: list[Recording] = []
_LAST: list[Recording] = []


def record(title: str = "") -> Recording:
    """Record a story from the code in a `with` block (engine tensors)."""
    return Recording(title)


# ---- show / story -----------------------------------------------------------------------


def _is_torch(t) -> bool:
    """A real PyTorch tensor (the engine's Tensor also calls its module "torch")."""
    import engine

    return not isinstance(t, engine.Tensor) and type(t).__module__.split(".")[0] == "torch"


def _caller_names(depth: int) -> dict:
    """id(value) -> variable name in the caller's frame, for naming boxes."""
    frame = sys._getframe(depth)
    try:
        scope = {**frame.f_globals, **frame.f_locals}
    finally:
        del frame
    return {id(v): k for k, v in scope.items() if not k.startswith("_")}


def _recording_for(tensor) -> Recording | None:
    uid = getattr(tensor, "_uid", None)
    for rec in [*reversed(_ACTIVE), *_LAST]:
        if uid is not None and uid in rec.uids():
            return rec
    return None


def story(obj=None, *, title: str = "", names: dict | None = None) -> StoryView:
    """A StoryView of: a tensor (its recording if one saw it, else its grad_fn graph),
    a Recording, a Story, or Python source code (run on the engine, as the app does)."""
    if obj is None:
        if not _LAST:
            raise ValueError("nothing recorded yet: use `with gradviz.record():` first")
        return _LAST[0].story()
    if isinstance(obj, Recording):
        return obj.story()
    if isinstance(obj, Story):
        return StoryView(obj, title)
    if isinstance(obj, str):
        from .trace import trace_source

        result = trace_source(obj, title or "<notebook>")
        return StoryView(result.story, title or "script", result.stdout)
    if not hasattr(obj, "grad_fn"):
        raise TypeError(f"gradviz cannot tell a story about {type(obj).__name__}")
    rec = None if _is_torch(obj) else _recording_for(obj)
    if rec is not None:
        return rec.story()
    names = names if names is not None else _caller_names(2)
    return StoryView(graph_story(obj, names, title or names.get(id(obj), "")), title)


def show(obj=None, *, inline: bool = False, title: str = "", names: dict | None = None):
    """Open the explorer on a tensor's graph (or a story, recording or source code).

    In a plain session the page opens in the browser and its path is returned; with
    ``inline=True`` the returned object displays itself in a notebook."""
    names = names if names is not None else _caller_names(2)
    view = story(obj, title=title, names=names)
    if inline:
        return view
    return view.open()


def compare(source: str, target: str, *, title: str = "", inline: bool = True):
    """Run `source` on real PyTorch and on gradviz's engine, and show the graphs behind
    `target` (a variable name) side by side, with the differences marked."""
    import torch  # noqa: F401 - optional: only this call needs it

    from .torch_alias import torch_is_engine

    def run(alias: bool) -> dict:
        scope: dict = {"__name__": "__gradviz_compare__"}
        code = compile(source, title or "<compare>", "exec")
        if alias:
            with torch_is_engine():
                exec(code, scope)  # noqa: S102 - the caller's own code, as in a notebook
        else:
            exec(code, scope)  # noqa: S102
        if target not in scope:
            raise NameError(f"the code defines no variable {target!r}")
        return scope

    real, ours = run(False), run(True)

    def names(scope):
        return {id(v): k for k, v in scope.items() if not k.startswith("_")}

    merged = compare_stories(
        real[target], ours[target], names(real), names(ours), title or target, source
    )
    # Top to bottom, the two graphs stand side by side: PyTorch's left, the engine's right.
    view = StoryView(merged, title or f"{target}: PyTorch vs gradviz", direction="TB")
    return view if inline else view.open()
