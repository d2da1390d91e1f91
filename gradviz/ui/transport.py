"""Playback controls: buttons, a timeline with episode markers, speed, and a play timer.

The transport owns the current step index. It emits ``stepRequested(k)`` whenever the
step changes (a button, the slider, the timer); the window shows that step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from PySide6.QtCore import QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QStyle,
    QStyleOptionSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gradviz.ui.settings import SPEEDS

BASE_INTERVAL_MS = 900  # one step per this at 1×
FORWARD_BAND = QColor(11, 95, 165, 38)
BACKWARD_BAND = QColor(213, 94, 0, 55)
EPISODE_TICK = QColor("#5f6368")
SLIDER_STYLE = """
QSlider::groove:horizontal { height: 6px; background: #e6e9ed; border-radius: 3px; }
QSlider::sub-page:horizontal, QSlider::add-page:horizontal { background: transparent; }
QSlider::handle:horizontal {
    width: 14px; margin: -5px 0; border-radius: 7px;
    background: #ffffff; border: 1.5px solid #0b5fa5;
}
QSlider::handle:horizontal:disabled { border-color: #c5ccd6; }
"""
BACKWARD_TICK = QColor("#d55e00")


class EpisodeLike(Protocol):
    title: str
    first_step: int
    last_step: int
    backward_step: int | None


class TimelineSlider(QSlider):
    """A horizontal slider that paints each episode's forward and backward parts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._episodes: list[EpisodeLike] = []
        self._bands_key: tuple | None = None
        self._bands: QPixmap | None = None
        self.setMinimumHeight(26)
        self.setPageStep(1)
        # A plain groove: the style's coloured "elapsed" fill would hide the episode bands.
        self.setStyleSheet(SLIDER_STYLE)

    def set_episodes(self, episodes: Sequence[EpisodeLike]) -> None:
        self._episodes = list(episodes)
        self._bands_key = None
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        # Groove, then the episode bands, then the handle on top of them.
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        painter = QPainter(self)
        style = self.style()
        option.subControls = QStyle.SubControl.SC_SliderGroove
        style.drawComplexControl(QStyle.ComplexControl.CC_Slider, option, painter, self)
        if self._episodes and self.maximum() > self.minimum():
            painter.drawPixmap(0, 0, self._bands_pixmap(option))
        option.subControls = QStyle.SubControl.SC_SliderHandle
        style.drawComplexControl(QStyle.ComplexControl.CC_Slider, option, painter, self)
        painter.end()

    def _bands_pixmap(self, option: QStyleOptionSlider) -> QPixmap:
        """The bands, drawn once per size and story: a 1,000-iteration loop has 1,000
        episodes, too many to draw on every move of the handle."""
        key = (self.size(), self.minimum(), self.maximum(), id(self._episodes))
        if self._bands_key != key:
            ratio = self.devicePixelRatioF()
            pixmap = QPixmap(self.size() * ratio)
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            self._paint_bands(painter, option)
            painter.end()
            self._bands_key, self._bands = key, pixmap
        return self._bands

    def _paint_bands(self, painter: QPainter, option: QStyleOptionSlider) -> None:
        style = self.style()
        groove = style.subControlRect(
            QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderGroove, self
        )
        handle = style.subControlRect(
            QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle, self
        ).width()
        top, height = groove.center().y() - 5, 10
        painter.setPen(Qt.PenStyle.NoPen)
        # Qt's sliderPositionFromValue, in plain arithmetic: it runs for every episode.
        low, span = self.minimum(), max(1, self.maximum() - self.minimum())
        left, width = groove.left() + handle // 2, groove.width() - handle

        def x_of(value: int) -> int:
            return left + round((value - low) * width / span)

        for episode in self._episodes:
            start, end = x_of(episode.first_step), x_of(episode.last_step)
            back = episode.backward_step
            split = x_of(back) if back is not None else end
            painter.fillRect(QRect(start, top, max(2, split - start), height), FORWARD_BAND)
            if back is not None:
                painter.fillRect(QRect(split, top, max(2, end - split), height), BACKWARD_BAND)
                painter.fillRect(QRect(split - 1, top - 3, 2, height + 6), BACKWARD_TICK)
            painter.fillRect(QRect(start - 1, top - 4, 2, height + 8), EPISODE_TICK)


def _button(tip: str, icon: QStyle.StandardPixmap | None = None, text: str = "") -> QToolButton:
    button = QToolButton()
    if icon is not None:
        button.setIcon(button.style().standardIcon(icon))
    button.setText(text)
    if icon is not None and text:
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setToolTip(tip)
    button.setAutoRaise(True)
    button.setMinimumHeight(28)
    return button


class Transport(QWidget):
    """Play/pause, stepping, phase jumps, a timeline and a speed menu."""

    stepRequested = Signal(int)
    playingChanged = Signal(bool)
    speedChanged = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._step = 0
        self._count = 0
        self._episodes: list[EpisodeLike] = []
        self._speed = 1.0
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._icons: dict | None = None  # themed icons by kind, once set_icons is called

        pixmap = QStyle.StandardPixmap
        self.start_button = _button("First step", pixmap.SP_MediaSkipBackward)
        self.forward_button = _button("Start of this episode's forward pass", text="⇤ forward")
        self.back_button = _button("Step back", pixmap.SP_MediaSeekBackward)
        self.play_button = _button("Play", pixmap.SP_MediaPlay)
        self.next_button = _button("Step forward", pixmap.SP_MediaSeekForward)
        self.backward_button = _button("Start of this episode's backward pass", text="backward ⇥")
        self.end_button = _button("Last step", pixmap.SP_MediaSkipForward)
        # A long loop has thousands of steps: the timeline can show one episode at a time.
        self.zoom_button = _button(
            "Zoom the timeline into this episode (Z)", text="zoom to episode"
        )
        self.zoom_button.setCheckable(True)
        self.slider = TimelineSlider()
        self.step_label = QLabel()
        self.step_label.setMinimumWidth(96)
        self.step_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.speed_box = QComboBox()
        self.speed_box.setToolTip("Playback speed")
        for speed in SPEEDS:
            self.speed_box.addItem(f"{speed:g}×", speed)
        self.speed_box.setCurrentIndex(SPEEDS.index(self._speed))

        # The timeline gets a row of its own, the buttons sit centred under it.
        buttons = QHBoxLayout()
        buttons.setSpacing(2)
        buttons.addWidget(self.step_label)
        buttons.addStretch(1)
        for button in (
            self.start_button,
            self.forward_button,
            self.back_button,
            self.play_button,
            self.next_button,
            self.backward_button,
            self.end_button,
            self.zoom_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.speed_label = QLabel("speed")
        buttons.addWidget(self.speed_label)
        buttons.addWidget(self.speed_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.setSpacing(0)
        layout.addWidget(self.slider)
        layout.addLayout(buttons)

        self.start_button.clicked.connect(self.go_to_start)
        self.end_button.clicked.connect(self.go_to_end)
        self.back_button.clicked.connect(self.step_back)
        self.next_button.clicked.connect(self.step_forward)
        self.play_button.clicked.connect(self.toggle_play)
        self.forward_button.clicked.connect(self.jump_to_forward)
        self.backward_button.clicked.connect(self.jump_to_backward)
        self.zoom_button.toggled.connect(lambda _on: self._sync())
        self.slider.valueChanged.connect(self._on_slider)
        self.speed_box.currentIndexChanged.connect(self._on_speed_box)
        self._sync()

    # -- state --------------------------------------------------------------------

    @property
    def step(self) -> int:
        return self._step

    @property
    def step_count(self) -> int:
        return self._count

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def interval_ms(self) -> int:
        return max(20, round(BASE_INTERVAL_MS / self._speed))

    @property
    def zoomed(self) -> bool:
        return self.zoom_button.isChecked()

    def set_zoomed(self, zoomed: bool) -> None:
        """The timeline spans the current episode only (or the whole story)."""
        self.zoom_button.setChecked(zoomed)

    def set_story(self, step_count: int, episodes: Sequence[EpisodeLike]) -> None:
        """Take a new story's size and episodes; the step goes back to 0 without a signal."""
        self.pause()
        self._count = max(0, step_count)
        self._episodes = list(episodes)
        self._step = 0
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, self._count - 1))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.slider.set_episodes(self._episodes)
        self._sync()

    def _span(self) -> tuple[int, int]:
        """The steps the timeline spans: the whole story, or (zoomed) this episode."""
        episode = self.current_episode() if self.zoomed else None
        if episode is not None and episode.last_step > episode.first_step:
            return episode.first_step, episode.last_step
        return 0, max(0, self._count - 1)

    def set_speed(self, speed: float) -> None:
        speed = min(SPEEDS, key=lambda s: abs(s - speed))
        index = SPEEDS.index(speed)
        if self.speed_box.currentIndex() != index:
            self.speed_box.setCurrentIndex(index)  # comes back through _on_speed_box
            return
        self._apply_speed(speed)

    def current_episode(self) -> EpisodeLike | None:
        for episode in self._episodes:
            if episode.first_step <= self._step <= episode.last_step:
                return episode
        return None

    # -- commands -------------------------------------------------------------------

    def go_to(self, step: int) -> None:
        """Move to a step (clamped) and emit stepRequested if it changed."""
        if self._count == 0:
            return
        step = max(0, min(self._count - 1, step))
        if step == self._step:
            return
        self._step = step
        self.slider.blockSignals(True)
        self.slider.setValue(step)
        self.slider.blockSignals(False)
        self._sync()
        self.stepRequested.emit(step)

    def show_step(self, step: int) -> None:
        """Reflect a step chosen elsewhere, without emitting stepRequested."""
        if self._count == 0:
            return
        self._step = max(0, min(self._count - 1, step))
        self.slider.blockSignals(True)
        self.slider.setValue(self._step)
        self.slider.blockSignals(False)
        self._sync()

    def step_forward(self) -> None:
        self.go_to(self._step + 1)

    def step_back(self) -> None:
        self.go_to(self._step - 1)

    def go_to_start(self) -> None:
        self.go_to(0)

    def go_to_end(self) -> None:
        self.go_to(self._count - 1)

    def jump_to_forward(self) -> None:
        episode = self.current_episode()
        if episode is not None:
            self.go_to(episode.first_step)

    def jump_to_backward(self) -> None:
        episode = self.current_episode()
        if episode is not None and episode.backward_step is not None:
            self.go_to(episode.backward_step)

    def next_episode(self) -> None:
        """PgDn: the first step of the next episode (as in the HTML export)."""
        later = [e.first_step for e in self._episodes if e.first_step > self._step]
        self.go_to(min(later) if later else self._count - 1)

    def previous_episode(self) -> None:
        """PgUp: the start of this episode, or of the one before when already there."""
        earlier = [e.first_step for e in self._episodes if e.first_step < self._step]
        self.go_to(max(earlier) if earlier else 0)

    def play(self) -> None:
        if self._count < 2 or self.playing:
            return
        if self._step >= self._count - 1:
            self.go_to(0)  # play from the start again, as media players do
        self._timer.start(self.interval_ms)
        self._sync()
        self.playingChanged.emit(True)

    def pause(self) -> None:
        if not self.playing:
            return
        self._timer.stop()
        self._sync()
        self.playingChanged.emit(False)

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def set_icons(self, icons: dict) -> None:
        """Use these icons ({"first", "back", "play", "pause", "forward", "last"})."""
        self._icons = icons
        for kind, button in (
            ("first", self.start_button),
            ("back", self.back_button),
            ("forward", self.next_button),
            ("last", self.end_button),
        ):
            button.setIcon(icons[kind])
        self._sync()

    # -- internals ------------------------------------------------------------------

    def _tick(self) -> None:
        self.step_forward()
        if self._step >= self._count - 1:
            self.pause()

    def _on_slider(self, value: int) -> None:
        self.go_to(value)

    def _on_speed_box(self, index: int) -> None:
        self._apply_speed(SPEEDS[index])

    def _apply_speed(self, speed: float) -> None:
        changed = speed != self._speed
        self._speed = speed
        if self.playing:
            self._timer.setInterval(self.interval_ms)
        if changed:
            self.speedChanged.emit(speed)

    def _sync(self) -> None:
        has = self._count > 0
        at_start, at_end = self._step <= 0, self._step >= self._count - 1
        episode = self.current_episode()
        self.start_button.setEnabled(has and not at_start)
        self.back_button.setEnabled(has and not at_start)
        self.next_button.setEnabled(has and not at_end)
        self.end_button.setEnabled(has and not at_end)
        self.play_button.setEnabled(self._count > 1)
        self.slider.setEnabled(self._count > 1)
        self.forward_button.setEnabled(episode is not None)
        self.backward_button.setEnabled(episode is not None and episode.backward_step is not None)
        if self._icons is not None:
            self.play_button.setIcon(self._icons["pause" if self.playing else "play"])
        else:
            pixmap = (
                QStyle.StandardPixmap.SP_MediaPause
                if self.playing
                else QStyle.StandardPixmap.SP_MediaPlay
            )
            self.play_button.setIcon(self.style().standardIcon(pixmap))
        self.play_button.setToolTip("Pause" if self.playing else "Play")
        low, high = self._span()
        if (self.slider.minimum(), self.slider.maximum()) != (low, high):
            self.slider.blockSignals(True)
            self.slider.setRange(low, high)
            self.slider.setValue(self._step)
            self.slider.blockSignals(False)
        text = f"step {self._step + 1} of {self._count}" if has else "no steps"
        if self.zoomed and episode is not None:
            text += f" · episode {self._episodes.index(episode) + 1}"
        self.step_label.setText(text)
