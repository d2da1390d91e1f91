"""Screenshot comparison against golden PNGs in tests/ui/goldens/.

    from golden import assert_matches_golden
    assert_matches_golden(image, "my_widget_state")

Run with GRADVIZ_UPDATE_GOLDENS=1 to (re)write the goldens from the current images; look
at every golden before committing it. On a mismatch the actual image and a diff (the
differing pixels in red over a faded copy of the actual image) are written to
tests/ui/_failures/.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage

GOLDEN_DIR = Path(__file__).resolve().parent / "goldens"
FAILURE_DIR = Path(__file__).resolve().parent / "_failures"
UPDATE_ENV = "GRADVIZ_UPDATE_GOLDENS"


def image_to_array(image: QImage) -> np.ndarray:
    """The image as an (height, width, 4) uint8 RGBA array (a copy)."""
    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    h, w = rgba.height(), rgba.width()
    buffer = np.frombuffer(rgba.constBits(), dtype=np.uint8, count=rgba.sizeInBytes())
    return buffer.reshape(h, rgba.bytesPerLine())[:, : w * 4].reshape(h, w, 4).copy()


def array_to_image(array: np.ndarray) -> QImage:
    h, w, _ = array.shape
    data = np.ascontiguousarray(array, dtype=np.uint8)
    return QImage(data.data, w, h, w * 4, QImage.Format.Format_RGBA8888).copy()


def mismatched_pixels(actual: QImage, expected: QImage, tolerance: int) -> np.ndarray:
    """A boolean (height, width) mask of pixels where any channel differs by more than
    `tolerance` (0-255). The images must have the same size."""
    a = image_to_array(actual).astype(np.int16)
    b = image_to_array(expected).astype(np.int16)
    return (np.abs(a - b) > tolerance).any(axis=2)


def diff_image(actual: QImage, mask: np.ndarray) -> QImage:
    """Differing pixels in red over a faded copy of `actual`."""
    faded = image_to_array(actual).astype(np.float32)
    faded[..., :3] = 255 - (255 - faded[..., :3]) * 0.25
    faded[..., 3] = 255
    faded[mask] = (220, 0, 0, 255)
    return array_to_image(faded.astype(np.uint8))


def assert_matches_golden(
    image: QImage, name: str, tolerance: int = 24, max_mismatch_fraction: float = 0.001
) -> None:
    """Assert `image` matches tests/ui/goldens/<name>.png: the same size, and at most
    `max_mismatch_fraction` of the pixels differ by more than `tolerance` in a channel
    (room for tiny anti-aliasing differences, not for anything a person would see)."""
    golden_path = GOLDEN_DIR / f"{name}.png"
    if os.environ.get(UPDATE_ENV) == "1":
        GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
        assert image.save(str(golden_path), "PNG"), f"could not write {golden_path}"
        return
    assert golden_path.exists(), (
        f"no golden {golden_path}; run with {UPDATE_ENV}=1 to create it, then look at it"
    )
    expected = QImage(str(golden_path))
    if image.size() == expected.size():
        mask = mismatched_pixels(image, expected, tolerance)
        bad = int(mask.sum())
        if bad <= max_mismatch_fraction * mask.size:
            return
        reason = f"{bad} of {mask.size} pixels differ by more than {tolerance}"
    else:
        mask = None
        reason = f"size {image.width()}x{image.height()}, golden {expected.width()}x" + str(
            expected.height()
        )
    FAILURE_DIR.mkdir(parents=True, exist_ok=True)
    actual_path = FAILURE_DIR / f"{name}.actual.png"
    image.save(str(actual_path), "PNG")
    message = f"{name}: {reason}; actual image: {actual_path}"
    if mask is not None:
        diff_path = FAILURE_DIR / f"{name}.diff.png"
        diff_image(image, mask).save(str(diff_path), "PNG")
        message += f", diff: {diff_path}"
    raise AssertionError(message + f" (if the change is intended: {UPDATE_ENV}=1)")
