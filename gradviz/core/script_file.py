"""Open a script file safely, for the window and the CLI alike.

A FIFO would block ``open()`` until someone writes to it, and a device such as
/dev/zero never ends, so the file is opened with O_NONBLOCK and checked with
fstat before a single byte is read. Only regular files up to MAX_BYTES are read.
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

MAX_BYTES = 5 * 1024 * 1024


class ScriptFileError(Exception):
    """The file cannot be a script; the message says why, in one line."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def decode_script(data: bytes) -> str:
    """UTF-8 (a BOM is dropped); UTF-16 and UTF-32 are recognised by their BOM."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return _decode(data, "utf-32")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScriptFileError(
            f"it is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
            "save it as UTF-8 and open it again"
        ) from None


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise ScriptFileError(
            f"it starts like {encoding.upper()} text but is not valid {encoding.upper()}"
        ) from None


def read_script(path: str | Path, max_bytes: int = MAX_BYTES) -> str:
    """The text of a script file, or ScriptFileError with a one-line reason. Never blocks."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except IsADirectoryError:
        raise ScriptFileError("it is a folder, not a file") from None
    except FileNotFoundError:
        raise ScriptFileError("no such file") from None
    except OSError as exc:
        raise ScriptFileError(exc.strerror or str(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ScriptFileError(f"it is {_kind(info.st_mode)}, not a regular file")
        if info.st_size > max_bytes:
            raise ScriptFileError(
                f"it is {info.st_size / 1024 / 1024:.1f} MB; scripts up to "
                f"{max_bytes // 1024 // 1024} MB can be opened"
            )
        chunks, total = [], 0
        while True:  # read at most max_bytes + 1, in case it grows while we read
            chunk = os.read(fd, max_bytes + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise ScriptFileError(
                    f"it is larger than {max_bytes // 1024 // 1024} MB (it grew while read)"
                )
    except OSError as exc:
        raise ScriptFileError(exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
    return decode_script(b"".join(chunks))
