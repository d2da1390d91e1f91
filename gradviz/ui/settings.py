"""Every QSettings access of the app, in one place.

Set ``GRADVIZ_DATA_DIR`` to keep settings (and the autosave) in that folder
instead of the user's profile; the tests do that so they never touch real
settings.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

DATA_DIR_ENV = "GRADVIZ_DATA_DIR"
MAX_RECENT = 8
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0)
DIRECTIONS = ("auto", "LR", "TB")  # auto: by the canvas's aspect ratio
THEMES = ("system", "light", "dark")


def data_dir() -> Path:
    """The folder for the app's own files (autosave, settings under tests)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        path = Path(override)
    else:
        location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        path = Path(location or Path.home() / ".gradviz")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _open_qsettings() -> QSettings:
    if os.environ.get(DATA_DIR_ENV):
        return QSettings(str(data_dir() / "settings.ini"), QSettings.Format.IniFormat)
    return QSettings("gradviz", "gradviz")


def _to_float(value: object, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


class Settings:
    """Typed accessors over QSettings. Cheap to create; share one per window."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self._s = qsettings or _open_qsettings()

    def sync(self) -> None:
        self._s.sync()

    # -- window ---------------------------------------------------------------

    def window_geometry(self) -> QByteArray | None:
        value = self._s.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window_geometry(self, geometry: QByteArray) -> None:
        self._s.setValue("window/geometry", geometry)

    def window_state(self) -> QByteArray | None:
        value = self._s.value("window/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window_state(self, state: QByteArray) -> None:
        self._s.setValue("window/state", state)

    def editor_split(self) -> QByteArray | None:
        value = self._s.value("window/split")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_editor_split(self, state: QByteArray) -> None:
        self._s.setValue("window/split", state)

    # -- files ----------------------------------------------------------------

    def recent_files(self) -> list[str]:
        value = self._s.value("files/recent", [])
        if isinstance(value, str):  # QSettings returns a lone item as a plain string
            value = [value]
        return [str(v) for v in (value or []) if v]

    def add_recent_file(self, path: str) -> list[str]:
        path = str(Path(path).resolve())
        files = [path] + [p for p in self.recent_files() if p != path]
        files = files[:MAX_RECENT]
        self._s.setValue("files/recent", files)
        return files

    def clear_recent_files(self) -> None:
        self._s.setValue("files/recent", [])

    def last_directory(self) -> str:
        return str(self._s.value("files/last_dir", "") or "")

    def set_last_directory(self, path: str) -> None:
        self._s.setValue("files/last_dir", path)

    # -- run limits -------------------------------------------------------------

    def time_limit_s(self) -> float:
        return max(0.5, _to_float(self._s.value("run/time_limit_s", 10.0), 10.0))

    def set_time_limit_s(self, seconds: float) -> None:
        self._s.setValue("run/time_limit_s", float(seconds))

    def memory_limit_mb(self) -> int:
        return max(64, int(_to_float(self._s.value("run/memory_mb", 1024), 1024)))

    def set_memory_limit_mb(self, mb: int) -> None:
        self._s.setValue("run/memory_mb", int(mb))

    # The sandbox keeps scripts off the network and out of files outside their own
    # working folder unless these are on (keys run/allow_network, run/allow_writes).
    def allow_network(self) -> bool:
        return str(self._s.value("run/allow_network", "false")).lower() in ("true", "1")

    def set_allow_network(self, allow: bool) -> None:
        self._s.setValue("run/allow_network", bool(allow))

    def allow_writes(self) -> bool:
        return str(self._s.value("run/allow_writes", "false")).lower() in ("true", "1")

    def set_allow_writes(self, allow: bool) -> None:
        self._s.setValue("run/allow_writes", bool(allow))

    # -- view -----------------------------------------------------------------

    def speed(self) -> float:
        value = _to_float(self._s.value("view/speed", 1.0), 1.0)
        return value if value in SPEEDS else 1.0

    def set_speed(self, speed: float) -> None:
        self._s.setValue("view/speed", float(speed))

    def direction(self) -> str:
        value = str(self._s.value("view/direction", "auto"))
        return value if value in DIRECTIONS else "auto"

    def set_direction(self, direction: str) -> None:
        self._s.setValue("view/direction", direction)

    def theme(self) -> str:
        value = str(self._s.value("view/theme", "system"))
        return value if value in THEMES else "system"

    def set_theme(self, choice: str) -> None:
        self._s.setValue("view/theme", choice)

    # -- examples ---------------------------------------------------------------

    def last_example(self) -> str:
        return str(self._s.value("examples/last", "") or "")

    def set_last_example(self, name: str) -> None:
        self._s.setValue("examples/last", name)
