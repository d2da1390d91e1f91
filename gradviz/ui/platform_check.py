"""Before Qt opens a window on Linux: check that the xcb platform plugin's system
libraries are there, and say how to install them instead of letting Qt abort with
"xcb-cursor0 or libxcb-cursor0 is needed to load the Qt xcb platform plugin"."""

from __future__ import annotations

import ctypes.util
import os
import sys

# (library, Debian/Ubuntu package) that Qt 6's xcb plugin needs beyond a basic X install.
XCB_LIBRARIES = (
    ("xcb-cursor", "libxcb-cursor0"),
    ("xcb-icccm", "libxcb-icccm4"),
    ("xcb-keysyms", "libxcb-keysyms1"),
    ("xcb-image", "libxcb-image0"),
    ("xcb-render-util", "libxcb-render-util0"),
    ("xcb-xkb", "libxcb-xkb1"),
    ("xkbcommon-x11", "libxkbcommon-x11-0"),
    ("xcb-shape", "libxcb-shape0"),
    ("xcb-randr", "libxcb-randr0"),
)


def missing_xcb_packages(find=ctypes.util.find_library) -> list[str]:
    """Debian/Ubuntu packages whose libraries cannot be found."""
    return [package for lib, package in XCB_LIBRARIES if find(lib) is None]


def uses_xcb(environ=os.environ, platform: str = sys.platform) -> bool:
    """Whether Qt will pick its xcb (X11) plugin: Linux, with no other platform chosen
    and no Wayland session."""
    if not platform.startswith("linux"):
        return False
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.split(":")[0].split(";")[0] == "xcb"
    return not environ.get("WAYLAND_DISPLAY")


def missing_message(packages: list[str]) -> str:
    names = " ".join(packages)
    return (
        "gradviz cannot open its window: Qt's X11 (xcb) platform plugin needs system "
        f"libraries that are not installed: {', '.join(packages)}.\n\n"
        "On Debian or Ubuntu, install them with:\n\n"
        f"    sudo apt-get install {names}\n\n"
        "On Fedora: sudo dnf install xcb-util-cursor xcb-util-wm xcb-util-keysyms "
        "xcb-util-image xcb-util-renderutil libxkbcommon-x11\n"
        "Elsewhere, install your system's xcb-util (cursor, wm/icccm, keysyms, image, "
        "renderutil) and libxkbcommon-x11 packages.\n"
        "Exporting pictures works without them: gradviz export FILE -o out.png"
    )


def check_platform() -> str | None:
    """The message to print instead of starting, or None when Qt can start."""
    if not uses_xcb():
        return None
    packages = missing_xcb_packages()
    return missing_message(packages) if packages else None
