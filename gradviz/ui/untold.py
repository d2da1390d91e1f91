"""A long loop's untold iterations, told when the learner reaches one.

The worker that ran the script stays alive to tell them (core/deferred.py). When the
window shows an untold episode's one step, this asks the run controller for it; the
answer is spliced into the story, the player takes the new story (keeping the other
episodes' layouts) and the window moves to the same place in it, now told in full.
"""

from __future__ import annotations

import time
from dataclasses import replace

from PySide6.QtCore import QObject, QTimer

from gradviz.core import untold_steps as deferred  # light: no engine at start-up
from gradviz.core.story import episode_from_dict, step_from_dict

TELLING_MESSAGE_MS = 3000
SETTLE_MS = 120  # steps closer than this are scrubbing: ask only for the one it stops on


class UntoldEpisodes(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.asked: set[int] = set()  # episodes asked for, for the story shown now
        self.story = None  # the story those questions were about
        self.waiting: int | None = None  # the untold episode shown, until it settles
        self._last_check = 0.0  # when a step was last shown (monotonic seconds)
        self.settle = QTimer(self)
        self.settle.setSingleShot(True)
        self.settle.setInterval(SETTLE_MS)
        self.settle.timeout.connect(self._ask)
        window.runner.told.connect(self.on_told)

    def check(self, step: int) -> None:
        """Called for every step shown: ask for its episode if it is untold and the
        learner stays on it (not while scrubbing past)."""
        w = self.window
        self.waiting = None
        now = time.monotonic()
        rapid = now - self._last_check < SETTLE_MS / 1000
        self._last_check = now
        if w.player is None or w._story is None:
            return
        if self.story is not w._story:
            self.story, self.asked = w._story, set()
            rapid = False
        episode = w.player.story.steps[step].episode
        if not deferred.is_untold(w.player.story, episode) or episode in self.asked:
            return
        self.waiting = episode
        if rapid:  # scrubbing or a held key: ask once the learner stops
            self.settle.start()
        else:  # a click, a jump, one step: ask at once
            self.settle.stop()
            self._ask()

    def _ask(self) -> None:
        w, episode = self.window, self.waiting
        if episode is None or w.player is None or self.story is not w._story:
            return
        if w.runner.request_episode(episode):
            self.asked.add(episode)
            w.statusBar().showMessage(f"Telling episode {episode + 1}…", TELLING_MESSAGE_MS)
        else:
            w.statusBar().showMessage(
                "This iteration was not told, and the run that could tell it has ended: "
                "run the script again to open it.",
                2 * TELLING_MESSAGE_MS,
            )

    def on_told(self, answer: dict) -> None:
        w = self.window
        index = answer.get("index")
        if self.story is not w._story or index not in self.asked or not answer.get("episode"):
            return
        episode = episode_from_dict(answer["episode"])
        steps = tuple(step_from_dict(s) for s in answer["steps"])
        if not steps or not deferred.is_untold(w._story, index):
            return
        story = deferred.splice(w._story, episode, steps)
        self.story = story
        w.adopt_story(story, changed_episode=index)
        w.statusBar().clearMessage()


def same_place(old_story, new_story, step: int, changed: int) -> int:
    """Where step of the old story is in the new one: the same episode, the same offset
    in it (the told episode's first step, for its untold one)."""
    episode = old_story.steps[step].episode
    offset = 0 if episode == changed else step - old_story.episodes[episode].first_step
    return new_story.episodes[episode].first_step + offset


def with_story(result, story):
    """The run's result, holding the spliced story (exports from the window see it)."""
    return replace(result, story=story) if result is not None else None
