"""The result of running a script: its story, its printed output and its error.

Kept apart from the tracer so the app can read results without importing the engine.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from json import dumps as _dumps  # bound at import: the script may patch json
from json import loads as _loads

from .errors import ErrorInfo
from .story import Story

_ERROR_FIELDS = {f.name for f in fields(ErrorInfo)}
LINES_MAGIC = "gradviz-result-lines"


def _magic(text: str | bytes) -> str | bytes:
    return LINES_MAGIC.encode() if isinstance(text, bytes) else LINES_MAGIC


def _from_lines(text: str | bytes) -> dict:
    """The dict of `to_bytes()`'s JSON lines, one small `loads` per line."""
    lines = text.split(b"\n" if isinstance(text, bytes) else "\n")
    data = _loads(lines[1])
    story = data["story"]
    count = story["episodes"]
    story["episodes"] = [_loads(line) for line in lines[2 : 2 + count]]
    story["steps"] = [_loads(line) for line in lines[2 + count :]]
    return data


@dataclass(frozen=True)
class TraceResult:
    story: Story
    stdout: str
    error: ErrorInfo | None
    sandbox: str = ""  # what the worker enforced, e.g. "network: off; writes: working folder"
    # In the worker only, never sent: tells the story's untold episodes on demand.
    teller: object = field(default=None, compare=False, repr=False)

    def sandbox_note(self) -> str | None:
        """What the worker could not enforce on this platform (each part says why)."""
        gaps = [part.strip() for part in self.sandbox.split(";") if "(" in part]
        return "; ".join(gaps) if gaps else None

    def to_dict(self) -> dict:
        return {
            "story": self.story.to_dict(),
            "stdout": self.stdout,
            "error": asdict(self.error) if self.error else None,
            "sandbox": self.sandbox,
        }

    def to_json(self) -> str:
        return _dumps(self.to_dict())

    def to_bytes(self) -> bytes:
        """UTF-8 JSON lines: the result without its story's episodes and steps, then one
        line per episode and per step. A reader decodes it line by line, so no single
        decoding call holds the GIL for long (the window keeps painting). Any lone
        surrogate left in the story becomes '?' (never an error)."""
        data = self.to_dict()
        story = data["story"]
        episodes, steps = story.pop("episodes"), story.pop("steps")
        story["episodes"] = len(episodes)
        lines = [LINES_MAGIC, _dumps(data, ensure_ascii=False)]
        lines += [_dumps(item, ensure_ascii=False) for item in episodes]
        lines += [_dumps(item, ensure_ascii=False) for item in steps]
        return "\n".join(lines).encode("utf-8", "replace")

    @classmethod
    def from_json(cls, text: str | bytes) -> TraceResult:
        data = _from_lines(text) if text[: len(LINES_MAGIC)] == _magic(text) else _loads(text)
        error = data.get("error")
        error = (
            ErrorInfo(**{k: v for k, v in error.items() if k in _ERROR_FIELDS}) if error else None
        )
        return cls(
            Story.from_dict(data["story"]), data.get("stdout", ""), error, data.get("sandbox", "")
        )

    @classmethod
    def failed(
        cls,
        kind: str,
        message: str,
        line: int | None = None,
        hint: str | None = None,
        stdout: str = "",
    ) -> TraceResult:
        error = ErrorInfo(kind=kind, message=message, line=line, hint=hint, traceback="")
        return cls(Story.empty(error=error), stdout, error)
