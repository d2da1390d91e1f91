"""A fresh Linux machine without Qt's xcb libraries gets a clear message, not Qt's abort."""

from __future__ import annotations

import subprocess
import sys

from gradviz.ui import platform_check as pc


def test_missing_libraries_are_named_with_the_apt_command() -> None:
    found = {"xcb-icccm", "xcb-image", "xcb-render-util", "xcb-xkb", "xkbcommon-x11"}
    found |= {"xcb-shape", "xcb-randr"}
    missing = pc.missing_xcb_packages(find=lambda lib: "/lib/x.so" if lib in found else None)
    assert missing == ["libxcb-cursor0", "libxcb-keysyms1"]
    text = pc.missing_message(missing)
    assert "sudo apt-get install libxcb-cursor0 libxcb-keysyms1" in text
    assert "libxcb-cursor0" in text.splitlines()[0]
    assert "Fedora" in text and "gradviz export" in text


def test_nothing_missing_means_no_message() -> None:
    assert pc.missing_xcb_packages(find=lambda lib: "/lib/x.so") == []


def test_only_the_xcb_platform_is_checked() -> None:
    assert pc.uses_xcb({}, "linux")
    assert pc.uses_xcb({"QT_QPA_PLATFORM": "xcb"}, "linux")
    assert not pc.uses_xcb({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not pc.uses_xcb({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not pc.uses_xcb({}, "darwin") and not pc.uses_xcb({}, "win32")


def test_the_app_prints_the_message_and_exits_instead_of_aborting(tmp_path) -> None:
    # Pretend every library is missing: the app must explain and exit with code 3.
    code = (
        "import sys, gradviz.ui.platform_check as pc\n"
        "pc.missing_xcb_packages = lambda find=None: ['libxcb-cursor0', 'libxcb-icccm4']\n"
        "from gradviz.ui.app import main\n"
        "sys.exit(main([]))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "xcb", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 3, done.stderr
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4" in done.stderr
