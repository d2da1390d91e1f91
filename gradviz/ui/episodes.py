"""The episode list dock: one row per episode of the story (a forward pass and its backward)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from gradviz.ui.transport import EpisodeLike


def initial_step(episodes: Sequence[EpisodeLike], step_count: int, failed: bool = False) -> int:
    """The step shown right after a run: the first backward step if there is one.

    That step shows the whole forward graph with backward about to start, which is
    the most telling single picture. A script that failed stops at its last step,
    where the error happened, as a debugger would. The window and ``gradviz export``
    share this choice.
    """
    if step_count <= 0:
        return 0
    if failed:
        return step_count - 1
    for episode in episodes:
        if episode.backward_step is not None and episode.backward_step < step_count:
            return episode.backward_step
    return 0


def _label(index: int, episode: EpisodeLike) -> str:
    steps = f"steps {episode.first_step + 1}–{episode.last_step + 1}"
    backward = "" if episode.backward_step is None else "  ·  with backward"
    return f"{episode.title}\n{steps}{backward}"


class EpisodeList(QListWidget):
    """Activating a row emits ``episodeActivated(first_step)``."""

    episodeActivated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._episodes: list[EpisodeLike] = []
        self.setAlternatingRowColors(False)
        self.setWordWrap(True)
        self.setSpacing(2)
        self.itemClicked.connect(self._on_item)
        self.itemActivated.connect(self._on_item)

    def set_episodes(self, episodes: Sequence[EpisodeLike]) -> None:
        self._episodes = list(episodes)
        self.clear()
        for index, episode in enumerate(self._episodes):
            item = QListWidgetItem(_label(index, episode))
            item.setData(Qt.ItemDataRole.UserRole, episode.first_step)
            item.setToolTip(episode.title)
            self.addItem(item)

    def set_current_step(self, step: int) -> None:
        """Select the episode that holds step, without emitting episodeActivated."""
        self.blockSignals(True)
        for row, episode in enumerate(self._episodes):
            if episode.first_step <= step <= episode.last_step:
                self.setCurrentRow(row)
                break
        else:
            self.clearSelection()
        self.blockSignals(False)

    def _on_item(self, item: QListWidgetItem) -> None:
        self.episodeActivated.emit(int(item.data(Qt.ItemDataRole.UserRole)))
