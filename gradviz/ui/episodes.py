"""The episode list dock: one row per episode of the story (a forward pass and its backward)."""

from __future__ import annotations

import bisect
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
        self._firsts: list[int] = []  # each episode's first step, for a bisect
        self.setAlternatingRowColors(False)
        self.setUniformItemSizes(
            True
        )  # every row is two lines: a long loop's 1,000 rows stay quick
        self.setWordWrap(True)
        self.setSpacing(2)
        self.itemClicked.connect(self._on_item)
        self.itemActivated.connect(self._on_item)

    def set_episodes(self, episodes: Sequence[EpisodeLike]) -> None:
        old, self._episodes = self._episodes, list(episodes)
        self._firsts = [e.first_step for e in self._episodes]
        if len(old) == len(self._episodes) == self.count():
            # The same episodes, one of them told (a long loop): update rows in place.
            for row, (before, episode) in enumerate(zip(old, self._episodes)):
                if before != episode:
                    item = self.item(row)
                    item.setText(_label(row, episode))
                    item.setData(Qt.ItemDataRole.UserRole, episode.first_step)
                    item.setToolTip(episode.title)
            return
        self.clear()
        for index, episode in enumerate(self._episodes):
            item = QListWidgetItem(_label(index, episode))
            item.setData(Qt.ItemDataRole.UserRole, episode.first_step)
            item.setToolTip(episode.title)
            self.addItem(item)

    def set_current_step(self, step: int) -> None:
        """Select the episode that holds step, without emitting episodeActivated."""
        self.blockSignals(True)
        row = bisect.bisect_right(self._firsts, step) - 1
        if 0 <= row < len(self._episodes) and step <= self._episodes[row].last_step:
            if self.currentRow() != row:
                self.setCurrentRow(row)
        else:
            self.clearSelection()
        self.blockSignals(False)

    def _on_item(self, item: QListWidgetItem) -> None:
        self.episodeActivated.emit(int(item.data(Qt.ItemDataRole.UserRole)))
