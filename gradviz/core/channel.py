"""The worker → app result channel: length-prefixed frames on an inherited pipe.

A frame is ``MAGIC, kind (1 byte), length (8 bytes, big-endian), payload``. The
reader is incremental (bytes arrive in chunks, whenever the pipe has them) and keeps
the last complete frame of each kind, so a stray write cannot make it block.
"""

from __future__ import annotations

import struct

MAGIC = b"GVZ1"
HEADER = struct.Struct(">4scQ")
RESULT = b"R"  # the TraceResult as UTF-8 JSON
MEMORY = b"M"  # the worker ran out of memory while writing its result
READY = b"S"  # the worker received its job and is about to run the script
PREVIEW = b"P"  # a long run's first episode, as a TraceResult, while the run goes on
SERVING = b"V"  # sent before RESULT: the worker stays to tell untold episodes on request
TOLD = b"T"  # one told episode, as JSON (these queue up: see FrameReader.told)
MAX_FRAME = 512 * 1024 * 1024


def frame(kind: bytes, payload: bytes) -> bytes:
    return HEADER.pack(MAGIC, kind, len(payload)) + payload


class FrameReader:
    """Feed it bytes; complete frames land in ``frames`` (kind → last payload)."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._need: int | None = None  # payload length of the frame being read
        self._kind = b""
        self.frames: dict[bytes, bytes] = {}
        self.told: list[bytes] = []  # TOLD frames, in order, until taken
        self.corrupt = False

    def feed(self, data: bytes) -> None:
        self._buffer += data
        while not self.corrupt:
            if self._need is None:
                if len(self._buffer) < HEADER.size:
                    return
                magic, kind, length = HEADER.unpack_from(self._buffer)
                if magic != MAGIC or length > MAX_FRAME:
                    self.corrupt = True  # not ours: stop reading rather than guess
                    self._buffer.clear()
                    return
                del self._buffer[: HEADER.size]
                self._need, self._kind = length, kind
            if len(self._buffer) < self._need:
                return
            payload = bytes(self._buffer[: self._need])
            if self._kind == TOLD:
                self.told.append(payload)
            else:
                self.frames[self._kind] = payload
            del self._buffer[: self._need]
            self._need = None
