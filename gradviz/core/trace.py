"""Run a learner's script on the engine, notebook-style, and record what autograd did.

`import torch` inside the script resolves to `engine`. The value of the last expression
of each cell is shown the way Jupyter shows it; cells are separated by `# %%` lines.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import gc
import io
import json
import linecache
import os
import re
import signal
import sys
import threading
import tokenize
import traceback
import warnings
from dataclasses import replace

import engine

from . import export_story
from .deferred import build_lazy_story
from .errors import MESSAGE_CAP, ErrorInfo, explain_exception
from .output import CappedOutput, clean_text
from .result import TraceResult
from .story import Story
from .story_builder import FirstEpisodeWatch, build_story
from .torch_alias import torch_is_engine  # every `torch.X` import is `engine.X`
from .training_series import with_logged

__all__ = ["ErrorInfo", "TraceResult", "trace_source", "split_cells", "torch_is_engine"]


_LINE_END = re.compile(r"\r\n|\r|\n")
_COMPILE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError)
CELL_MARK = "# %%"


def physical_lines(source: str) -> list[str]:
    """Lines as Python counts them: only \\n, \\r\\n and \\r end one.

    str.splitlines() also splits at form feeds, U+2028 and friends, which would
    shift every later line number."""
    lines, start = [], 0
    for match in _LINE_END.finditer(source):
        lines.append(source[start : match.end()])
        start = match.end()
    if start < len(source):
        lines.append(source[start:])
    return lines


def _cell_marks(lines: list[str]) -> set[int]:
    """Line numbers of `# %%` comments at the start of a line (never one inside a string)."""
    if not any(CELL_MARK in line for line in lines):
        return set()
    marks = set()
    try:
        for tok in tokenize.generate_tokens(iter(lines).__next__):
            if (
                tok.type == tokenize.COMMENT
                and tok.string.startswith(CELL_MARK)
                and tok.start[1] == 0  # an indented one sits inside a block: not a cell
            ):
                marks.add(tok.start[0])
    except (tokenize.TokenError, SyntaxError, ValueError):
        return set()  # unreadable: one cell, and the compiler names the bad line
    return marks


def split_cells(source: str) -> list[tuple[int, str]]:
    """(first line number, text) for each `# %%` cell; the whole text is one cell if none."""
    lines = physical_lines(source)
    marks = _cell_marks(lines)
    cells, start, current = [], 1, []
    for i, line in enumerate(lines, start=1):
        if i in marks and current:
            cells.append((start, "".join(current)))
            start, current = i, []
        current.append(line)
    cells.append((start, "".join(current)))
    return cells


def _compile_cell(text: str, first_line: int, filename: str):
    """Compile a cell; its last expression (if any) is compiled separately for display.

    Blank lines in front put every line number, syntax errors included, at the file's
    line rather than the cell's."""
    tree = ast.parse("\n" * (first_line - 1) + text, filename, "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    body = compile(tree, filename, "exec")
    return body, compile(last, filename, "eval") if last is not None else None


def _first_line_with(lines: list[str], test) -> int | None:
    return next((i for i, text in enumerate(lines, start=1) if test(text)), None)


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


def _compile_error(err: BaseException, source: str, lines: list[str]) -> ErrorInfo:
    hint = "Python could not read this line. Check brackets, colons and indentation."
    if "\0" in source:
        line = _first_line_with(lines, lambda text: "\0" in text)
        message = "SyntaxError: the file contains a NUL byte (\\0), which Python cannot read"
        hint = "Delete the invisible character on this line, or retype the line."
    elif isinstance(err, UnicodeError):
        line = _first_line_with(lines, _has_surrogate)
        message = "SyntaxError: the text contains a broken character (a lone surrogate)"
        hint = "Delete the character shown as a box or question mark on this line."
    elif isinstance(err, SyntaxError):
        message = f"{type(err).__name__}: {clean_text(str(err.msg))[:MESSAGE_CAP]}"
        try:
            detail = "".join(traceback.format_exception_only(type(err), err))
        except Exception:  # noqa: BLE001 - a weird line must not hide the error
            detail = message
        return ErrorInfo("syntax", message, err.lineno, hint, clean_text(detail)[:MESSAGE_CAP])
    elif isinstance(err, RecursionError | MemoryError):
        # A 5,000-term expression: the compiler runs out of stack. Blame the longest line.
        line = max(range(len(lines)), key=lambda i: len(lines[i])) + 1 if lines else None
        message = "SyntaxError: this code is nested too deeply for Python to compile"
        hint = "Split the long expression into several shorter statements."
    else:
        line = None
        message = f"SyntaxError: {clean_text(str(err))[:MESSAGE_CAP]}"
    return ErrorInfo("syntax", message, line, hint, message + "\n")


def _format_warning(w: warnings.WarningMessage) -> str:
    try:
        return f"{w.filename}:{w.lineno}: {w.category.__name__}: {w.message}\n"
    except Exception:  # noqa: BLE001 - a warning whose text cannot be made
        return f"{w.filename}:{w.lineno}: (a warning that could not be displayed)\n"


# Taken at import, before any script runs: the script may patch the module attributes.
_repr = repr
_vars = vars
_getrecursionlimit, _setrecursionlimit = sys.getrecursionlimit, sys.setrecursionlimit
_settrace, _setprofile = sys.settrace, sys.setprofile
_gc_enable, _gc_disable, _gc_isenabled = gc.enable, gc.disable, gc.isenabled
_KEPT_MODULES = (builtins, sys, os, gc, io, ast, json, re, signal, traceback, linecache, warnings)


def _drop_hooks() -> None:
    """Remove the script's sys.settrace / sys.setprofile hooks before gradviz's own code
    runs. Called inline (a Python call would itself be traced). A hook that raises is
    unset by CPython, so a few tries always succeed."""
    for _ in range(4):
        try:
            _setprofile(None)
            _settrace(None)
            return
        except BaseException:  # noqa: BLE001, S112 - the hook raised; it is gone now
            continue


def _snapshot():
    """A function that undoes what the script did to the modules gradviz itself uses."""
    saved = [(module, dict(_vars(module))) for module in _KEPT_MODULES]
    limit = _getrecursionlimit()
    handlers = {}
    for sig in signal.valid_signals():
        with contextlib.suppress(ValueError, OSError, TypeError):
            handlers[sig] = signal.getsignal(sig)

    def restore() -> None:
        _settrace(None)
        _setprofile(None)
        _setrecursionlimit(limit)
        for module, attributes in saved:
            _vars(module).update(attributes)
        with contextlib.suppress(ValueError, OSError):
            for timer in (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF):
                signal.setitimer(timer, 0)
        for sig, handler in handlers.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                if signal.getsignal(sig) is not handler:
                    signal.signal(sig, handler)

    return restore


def _run_cells(compiled, namespace: dict, output: CappedOutput, filename: str):
    """Execute the cells in order; the first failure ends the run and is returned."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            for body, last in compiled:
                try:
                    exec(body, namespace)  # noqa: S102 - running the learner's code is the point
                    if last is not None:
                        value = eval(last, namespace)  # noqa: S307
                        if value is not None:
                            output.add("stdout", _repr(value) + "\n")
                except SystemExit as exc:
                    _drop_hooks()
                    if exc.code is None or exc.code == 0:
                        return None  # sys.exit() / sys.exit(0): a normal end
                    return explain_exception(exc, filename)
                except BaseException as exc:  # noqa: BLE001 - every failure becomes a story step
                    _drop_hooks()
                    return explain_exception(exc, filename)
                finally:
                    _drop_hooks()
                    for w in caught:
                        output.add("stderr", _format_warning(w))
                    caught.clear()
        finally:
            _drop_hooks()
    return None


PREVIEW_POLL_S = 0.05  # how often a long run is checked for its first finished episode


def _watch_first_episode(recorder, source, filename, namespace, send, done) -> None:
    """In a thread, while the script runs: once its first episode is over (a backward,
    then the next iteration's work), tell that episode alone and `send` it, so a long loop
    shows its first iteration long before it ends. Telling records no engine events."""
    watch = FirstEpisodeWatch()  # reads each event once: a long run's watcher stays cheap
    while not done.wait(PREVIEW_POLL_S):
        first = watch.feed(recorder.events)  # (the script only appends to it meanwhile)
        if first is None:
            continue
        try:
            story = build_story(first, source, filename, dict(namespace), None)
        except Exception:  # noqa: BLE001 - a preview is a nicety; the result will come
            return
        if story.steps:
            send(story)
        return


def trace_source(
    source: str,
    filename: str = "<editor>",
    lazy: bool = False,
    preview=None,
    told=None,
    *,
    hold_gc: bool = False,
) -> TraceResult:
    """Run `source` and return its story, its printed output and its error, if any.

    lazy: a long loop's middle iterations are left untold, and the result's `teller`
    tells them on demand (gradviz.core.deferred). preview: called (from another thread)
    with a story of the first episode alone, if the run is still going once it is over.
    hold_gc: return with the garbage collector still paused for the build (see below):
    the worker turns it back on once the result is sent."""
    source = source.removeprefix("\ufeff")  # a BOM is not code (CPython skips it too)
    lines = physical_lines(source)
    try:
        compiled = [_compile_cell(text, first, filename) for first, text in split_cells(source)]
    except _COMPILE_ERRORS as err:
        error = _compile_error(err, source, lines)
        return TraceResult(Story.empty(source=source, error=error), "", error)

    linecache.cache[filename] = (len(source), None, lines, filename)
    output = CappedOutput()
    namespace = {"__name__": "__main__", "__file__": filename}
    restore = _snapshot()
    done = threading.Event()
    with torch_is_engine(), engine.autograd.record() as recorder:
        watcher = None
        if preview is not None:
            args = (recorder, source, filename, namespace, preview, done)
            watcher = threading.Thread(
                target=_watch_first_episode, args=args, name="gradviz-preview", daemon=True
            )
            watcher.start()
        with (
            contextlib.redirect_stdout(output.stream("stdout")),
            contextlib.redirect_stderr(output.stream("stderr")),
        ):
            try:
                error = _run_cells(compiled, namespace, output, filename)
            finally:
                done.set()
                restore()
        if watcher is not None:
            watcher.join(timeout=5.0)  # it may be telling: the story is built after it
    collecting = _gc_isenabled()
    # The recording's objects (millions on a long run) were kept out of the collector's
    # sight while it ran; the one full collection that walks them all would now come
    # while the story is built (a third of a 10^5-op chain's build). The build makes no
    # garbage cycles worth collecting meanwhile, so it runs with the collector paused.
    _gc_disable()
    try:
        story, teller = _build(source, filename, lazy, told, recorder, namespace, error, output)
    finally:
        if collecting and not hold_gc:
            _gc_enable()
    return TraceResult(
        story, output.text(), error, teller=teller if teller and teller.untold else None
    )


def _build(source, filename, lazy, told, recorder, namespace, error, output):
    """(story, teller or None) of a finished run."""
    teller = None
    try:
        if told is not None:  # an export: `told` iterations in full ("all"), see export_story
            story = export_story.build(
                recorder.events, source, filename, namespace, error, recorder.truncated, told
            )
        elif lazy:
            story, teller = build_lazy_story(
                recorder.events, source, filename, namespace, error, recorder.truncated
            )
        else:
            story = build_story(
                recorder.events, source, filename, namespace, error, truncated=recorder.truncated
            )
        # The engine does not record .item(): printed scalars are read from the output.
        story = replace(story, series=with_logged(story.series, output.text()))
    except Exception as exc:  # noqa: BLE001 - a bug in telling the story must not lose the run
        story = Story.empty(source=source, error=error)
        output.add(
            "stderr",
            f"\n[gradviz could not tell this run as a story: {type(exc).__name__}: {exc}]\n",
        )
    return story, teller
