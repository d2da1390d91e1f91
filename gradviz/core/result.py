"""The result of running a script: its story, its printed output and its error.

Kept apart from the tracer so the app can read results without importing the engine.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from .errors import ErrorInfo
from .story import Story


@dataclass(frozen=True)
class TraceResult:
    story: Story
    stdout: str
    error: ErrorInfo | None

    def to_json(self) -> str:
        return json.dumps(
            {
                "story": self.story.to_dict(),
                "stdout": self.stdout,
                "error": asdict(self.error) if self.error else None,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> TraceResult:
        data = json.loads(text)
        error = ErrorInfo(**data["error"]) if data.get("error") else None
        return cls(Story.from_dict(data["story"]), data.get("stdout", ""), error)

    @classmethod
    def failed(
        cls, kind: str, message: str, line: int | None = None, hint: str | None = None
    ) -> TraceResult:
        error = ErrorInfo(kind=kind, message=message, line=line, hint=hint, traceback="")
        return cls(Story.empty(error=error), "", error)
