"""Run a learner's script on the engine, notebook-style, and record what autograd did.

`import torch` inside the script resolves to `engine`. The value of the last expression
of each cell is shown the way Jupyter shows it; cells are separated by `# %%` lines.
"""

from __future__ import annotations

import ast
import contextlib
import io
import linecache
import traceback
import warnings

import engine

from .errors import ErrorInfo, explain_exception
from .result import TraceResult
from .story import Story
from .story_builder import build_story
from .torch_alias import torch_is_engine  # every `torch.X` import is `engine.X`

__all__ = ["ErrorInfo", "TraceResult", "trace_source", "split_cells", "torch_is_engine"]


def split_cells(source: str) -> list[tuple[int, str]]:
    """(first line number, text) for each `# %%` cell; the whole text is one cell if none."""
    cells, start, current = [], 1, []
    for i, line in enumerate(source.splitlines(keepends=True), start=1):
        if line.lstrip().startswith("# %%") and current:
            cells.append((start, "".join(current)))
            start, current = i, []
        current.append(line)
    cells.append((start, "".join(current)))
    return cells


def _compile_cell(text: str, first_line: int, filename: str):
    """Compile a cell; its last expression (if any) is compiled separately for display."""
    tree = ast.parse(text, filename, "exec")
    ast.increment_lineno(tree, first_line - 1)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    body = compile(tree, filename, "exec")
    return body, compile(last, filename, "eval") if last is not None else None


def _format_warning(w: warnings.WarningMessage) -> str:
    return f"{w.filename}:{w.lineno}: {w.category.__name__}: {w.message}\n"


def trace_source(source: str, filename: str = "<editor>") -> TraceResult:
    """Run `source` and return its story, its printed output and its error, if any."""
    try:
        compiled = [_compile_cell(text, first, filename) for first, text in split_cells(source)]
    except SyntaxError as err:
        error = ErrorInfo(
            kind="syntax",
            message=f"SyntaxError: {err.msg}",
            line=err.lineno,
            hint="Python could not read this line. Check brackets, colons and indentation.",
            traceback="".join(traceback.format_exception_only(type(err), err)),
        )
        return TraceResult(Story.empty(source=source, error=error), "", error)

    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    out = io.StringIO()
    namespace = {"__name__": "__main__", "__file__": filename}
    error = None
    with torch_is_engine(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with engine.autograd.record() as recorder, contextlib.redirect_stdout(out):
            for body, last in compiled:
                try:
                    exec(body, namespace)  # noqa: S102 - running the learner's code is the point
                    if last is not None:
                        value = eval(last, namespace)  # noqa: S307
                        if value is not None:
                            print(repr(value))
                except BaseException as exc:  # noqa: BLE001 - every failure becomes a story step
                    error = explain_exception(exc, filename)
                    break
                finally:
                    for w in caught:
                        out.write(_format_warning(w))
                    caught.clear()
    try:
        story = build_story(
            recorder.events, source, filename, namespace, error, truncated=recorder.truncated
        )
    except Exception as exc:  # noqa: BLE001 - a bug in telling the story must not lose the run
        story = Story.empty(source=source, error=error)
        out.write(f"\n[gradviz could not tell this run as a story: {type(exc).__name__}: {exc}]\n")
    return TraceResult(story, out.getvalue(), error)
