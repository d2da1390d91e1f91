"""What the script prints, kept in order but capped per stream, so no amount of output
can exhaust the worker's memory or the window's console."""

from __future__ import annotations

import io

STREAM_CAP_CHARS = 1_000_000  # about 1 MB of text per stream


def clean_text(text: str) -> str:
    """Lone surrogates (from bad bytes or chr(0xD800)) become visible escapes."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


class CappedOutput:
    """The printed text of both streams, in order; past its cap a stream is only counted."""

    def __init__(self, cap_chars: int = STREAM_CAP_CHARS) -> None:
        self.cap = cap_chars
        self._parts: list[str] = []
        self.kept = {"stdout": 0, "stderr": 0}
        self.dropped_chars = {"stdout": 0, "stderr": 0}
        self.dropped_lines = {"stdout": 0, "stderr": 0}

    def add(self, stream: str, text: str) -> None:
        room = self.cap - self.kept[stream]
        if len(text) <= room:
            self._parts.append(text)
            self.kept[stream] += len(text)
            return
        if room > 0:
            self._parts.append(text[:room])
            self.kept[stream] = self.cap
            text = text[room:]
        self.dropped_chars[stream] += len(text)
        self.dropped_lines[stream] += text.count("\n")

    def stream(self, name: str) -> CapturedStream:
        return CapturedStream(self, name)

    def text(self) -> str:
        """Everything kept, then a note for each stream that went over its cap."""
        notes = [
            f"\n[gradviz: {chars:,} more characters ({self.dropped_lines[name]:,} lines) of "
            f"{name} were not kept: each stream keeps its first {self.cap:,} characters.]\n"
            for name, chars in self.dropped_chars.items()
            if chars
        ]
        return clean_text("".join(self._parts) + "".join(notes))


class _Bytes(io.RawIOBase):
    """``sys.stdout.buffer``: bytes are decoded into the same capped text."""

    def __init__(self, text_stream: CapturedStream) -> None:
        super().__init__()
        self._text = text_stream

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        data = bytes(data)
        self._text.write(data.decode("utf-8", "replace"))
        return len(data)

    def close(self) -> None:  # the script may close it; it stays usable for our note
        pass


class CapturedStream(io.TextIOBase):
    """Stands in for sys.stdout / sys.stderr while the script runs."""

    def __init__(self, sink: CappedOutput, name: str) -> None:
        super().__init__()
        self._sink = sink
        self._name = name
        self.buffer = _Bytes(self)

    @property
    def encoding(self) -> str:
        return "utf-8"

    @property
    def name(self) -> str:
        return f"<{self._name}>"

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._sink.add(self._name, str.__str__(text))
        return len(text)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        # Closing sys.stdout must not lose what was printed, nor break our own report.
        pass
