"""A small animated-GIF writer (Qt reads GIF but cannot write it): one shared palette of
the 255 most used colours, then GIF's LZW, frame by frame.

Frames are RGB arrays of one size, as `export_image.render_image` draws them.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

_BITS = 5  # colours are binned to 5 bits a channel before the palette is chosen


def _bins(frame: np.ndarray) -> np.ndarray:
    q = (frame[..., :3] >> (8 - _BITS)).astype(np.int32)
    return (q[..., 0] << (2 * _BITS)) | (q[..., 1] << _BITS) | q[..., 2]


def palette_for(frames: list[np.ndarray], size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """(palette as (size, 3) uint8, lookup from every 5-bit bin to a palette index).
    The palette is the most frequent bins of all frames; every other bin maps to its
    nearest palette colour."""
    counts = np.zeros(1 << (3 * _BITS), dtype=np.int64)
    for frame in frames:
        counts += np.bincount(_bins(frame).ravel(), minlength=counts.size)
    chosen = np.argsort(-counts, kind="stable")[:size]
    chosen = chosen[counts[chosen] > 0]
    mask = (1 << _BITS) - 1
    centre = 1 << (7 - _BITS)

    def rgb(bins: np.ndarray) -> np.ndarray:
        channels = [(bins >> (2 * _BITS)) & mask, (bins >> _BITS) & mask, bins & mask]
        return (np.stack(channels, axis=-1) << (8 - _BITS)) + centre

    pal = rgb(chosen).astype(np.int32)
    every = rgb(np.arange(counts.size)).astype(np.int32)
    lookup = np.empty(counts.size, dtype=np.uint8)
    for start in range(0, counts.size, 4096):  # nearest palette colour, in chunks
        d = ((every[start : start + 4096, None, :] - pal[None, :, :]) ** 2).sum(axis=2)
        lookup[start : start + 4096] = d.argmin(axis=1)
    out = np.zeros((size, 3), dtype=np.uint8)
    out[: len(pal)] = np.clip(pal, 0, 255)
    return out, lookup


def lzw(indices: np.ndarray, min_code_size: int = 8) -> bytes:
    """GIF's variable-length LZW of a flat array of palette indices, in sub-blocks."""
    clear, end = 1 << min_code_size, (1 << min_code_size) + 1
    table: dict[tuple[int, int], int] = {}
    next_code, code_size = end + 1, min_code_size + 1
    out = bytearray()
    bit_buffer = bits = 0

    def emit(code: int) -> None:
        nonlocal bit_buffer, bits
        bit_buffer |= code << bits
        bits += code_size
        while bits >= 8:
            out.append(bit_buffer & 0xFF)
            bit_buffer >>= 8
            bits -= 8

    emit(clear)
    data = indices.tolist()
    if not data:
        emit(end)
    else:
        prefix = data[0]
        for symbol in data[1:]:
            key = (prefix, symbol)
            code = table.get(key)
            if code is not None:
                prefix = code
                continue
            emit(prefix)
            if next_code < 4096:
                table[key] = next_code
                next_code += 1
                if next_code > (1 << code_size) and code_size < 12:
                    code_size += 1
            else:  # the table is full: start again
                emit(clear)
                table.clear()
                next_code, code_size = end + 1, min_code_size + 1
            prefix = symbol
        emit(prefix)
        emit(end)
    if bits:
        out.append(bit_buffer & 0xFF)
    blocks = bytearray()
    for i in range(0, len(out), 255):
        chunk = out[i : i + 255]
        blocks.append(len(chunk))
        blocks += chunk
    blocks.append(0)
    return bytes(blocks)


def write_gif(frames: list[np.ndarray], path: str | Path, delay_ms: int = 1200) -> None:
    """Write RGB(A) frames of one size as a looping GIF, `delay_ms` per frame."""
    if not frames:
        raise ValueError("no frames to write")
    h, w = frames[0].shape[:2]
    if any(f.shape[:2] != (h, w) for f in frames):
        raise ValueError("all frames must have the same size")
    pal, lookup = palette_for(frames)
    data = bytearray(b"GIF89a")
    data += struct.pack("<HHBBB", w, h, 0xF7, 0, 0)  # global table of 256 colours
    data += pal.tobytes()
    data += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"  # loop forever
    delay = max(2, round(delay_ms / 10))
    for frame in frames:
        data += b"\x21\xf9\x04" + struct.pack("<BHBB", 0x04, delay, 0, 0)
        data += b"\x2c" + struct.pack("<HHHHB", 0, 0, w, h, 0)
        data.append(8)
        data += lzw(lookup[_bins(frame)].ravel())
    data.append(0x3B)
    Path(path).write_bytes(bytes(data))
