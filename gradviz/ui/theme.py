"""How the graph looks: font sizes, colours and strokes, one look per role, state and
edge kind.

Colours build on the Okabe-Ito palette, which stays distinguishable with the common
kinds of colour blindness; every role also differs by more than hue (its title colour
and border), and every text colour keeps at least 4.5:1 contrast on its fill.
Colours come from the current theme (light or dark, gradviz.core.palette): call
`apply_theme` before drawing; renderers read these module attributes at paint time.
Sizes are in scene units (pixels at 100% zoom); font sizes are points at 96 dpi
(see gradviz.ui.fonts).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication

from gradviz.core import palette as palettes
from gradviz.core import scene_types as st

# Font sizes in points (96 dpi, so 1 pt = 4/3 scene units). The core sizes boxes for
# text at these sizes; the canvas shrinks or elides text that would still not fit.
TITLE_PT = 10.5  # box title, bold
BODY_PT = 9.0  # subtitle, value and gradient text
SMALL_PT = 7.5  # edge labels, line tags, badges
MIN_PT = 6.75  # 9 px: text is never shrunk below this; it is elided instead

# Box geometry.
BOX_RADIUS = 8.0
BOX_PADDING = 7.0  # left/right inner padding
ROW_GAP = 1.0
BOX_BORDER = 1.4

# Canvas.
RENDER_MARGIN = 24.0  # margin around exported images


@dataclass(frozen=True)
class RoleStyle:
    label: str  # name shown in the legend
    fill: QColor
    border: QColor
    title: QColor  # title text colour
    accent: QColor  # left accent bar: role colour at a glance


_ROLE_LABELS = {
    st.ROLE_LEAF: "leaf tensor",
    st.ROLE_TENSOR: "tensor",
    st.ROLE_CONSTANT: "constant",
    st.ROLE_OP: "op (no grad)",
    st.ROLE_GRAD_FN: "grad_fn",
    st.ROLE_ACCUMULATE: "AccumulateGrad",
    st.ROLE_SEED: "seed gradient",
}


@dataclass(frozen=True)
class StateStyle:
    label: str
    opacity: float  # whole-box opacity
    border: QColor | None  # overrides the role border when set
    border_width: float
    border_dash: bool
    fill: QColor | None  # overrides the role fill when set
    glow: QColor | None  # soft halo around the box: only the focus of the step has one
    badge: str | None  # small mark in the top-right corner
    badge_color: QColor | None


@dataclass(frozen=True)
class EdgeStyle:
    label: str
    color: QColor
    width: float
    pen_style: Qt.PenStyle
    arrow_at_source: bool  # grad edges point backward, toward the forward source


EDGE_SEED = "seed"  # a gradient= tensor feeding the seed it becomes

# Set by apply_theme; declared here so readers and type checkers see them.
THEME = palettes.LIGHT
PALETTE: palettes.Palette = palettes.palette(palettes.LIGHT)
CANVAS_BG = TEXT = TEXT_MUTED = SELECTION = QColor()
GRAD_STRIP_FILL = GRAD_STRIP_LINE = GRAD_STRIP_TEXT = GRAD_NONE_TEXT = NOTE_TEXT = QColor()
EDGE_LABEL_TEXT = EDGE_LABEL_BG = QColor()
CUT_MARK_FILL = CUT_MARK_BORDER = CUT_MARK_COLOR = QColor()
TOKEN_FILL = TOKEN_BORDER = TOKEN_TEXT = BADGE_TEXT = QColor()
MUTED_FILL = MUTED_BORDER = MUTED_TEXT = QColor()
ACTIVE_EDGE_GLOW = QColor()
MINIMAP_BG = MINIMAP_BORDER = MINIMAP_VIEW_FILL = MINIMAP_VIEW_BORDER = QColor()
CAPTION_BG = CAPTION_TEXT = MATH_TEXT = QColor()
ROLE_STYLES: dict[str, RoleStyle] = {}
STATE_STYLES: dict[str, StateStyle] = {}
EDGE_STYLES: dict[str, EdgeStyle] = {}
_listeners: list = []


def system_theme() -> str:
    """ "dark" when the desktop asks for a dark scheme (Qt 6.5+), else "light"."""
    app = QGuiApplication.instance()
    if app is None:
        return palettes.LIGHT
    try:
        scheme = app.styleHints().colorScheme()
    except AttributeError:  # Qt before 6.5 cannot tell
        return palettes.LIGHT
    return palettes.DARK if scheme == Qt.ColorScheme.Dark else palettes.LIGHT


def on_theme_changed(callback) -> None:
    """Call `callback()` after every apply_theme (caches that hold colours clear)."""
    _listeners.append(callback)


def apply_theme(name: str) -> None:
    """Make `name` ("light" or "dark") the colours every renderer draws with."""
    global THEME, PALETTE, CANVAS_BG, TEXT, TEXT_MUTED, SELECTION
    global GRAD_STRIP_FILL, GRAD_STRIP_LINE, GRAD_STRIP_TEXT, GRAD_NONE_TEXT, NOTE_TEXT
    global EDGE_LABEL_TEXT, EDGE_LABEL_BG, CUT_MARK_FILL, CUT_MARK_BORDER, CUT_MARK_COLOR
    global TOKEN_FILL, TOKEN_BORDER, TOKEN_TEXT, BADGE_TEXT, MUTED_FILL, MUTED_BORDER
    global MUTED_TEXT, ACTIVE_EDGE_GLOW, MINIMAP_BG, MINIMAP_BORDER, MINIMAP_VIEW_FILL
    global MINIMAP_VIEW_BORDER, CAPTION_BG, CAPTION_TEXT, MATH_TEXT
    p = palettes.palette(name)
    THEME, PALETTE = p.name, p
    CANVAS_BG, TEXT, TEXT_MUTED = QColor(p.canvas_bg), QColor(p.text), QColor(p.text_muted)
    SELECTION = QColor(p.selection)
    GRAD_STRIP_FILL, GRAD_STRIP_LINE = QColor(p.grad_strip_fill), QColor(p.grad_strip_line)
    GRAD_STRIP_TEXT, GRAD_NONE_TEXT = QColor(p.grad_strip_text), QColor(p.grad_none_text)
    NOTE_TEXT = QColor(p.note_text)
    EDGE_LABEL_TEXT, EDGE_LABEL_BG = QColor(p.edge_label_text), QColor(p.edge_label_bg)
    CUT_MARK_FILL, CUT_MARK_BORDER = QColor(p.cut_mark_fill), QColor(p.cut_mark_border)
    CUT_MARK_COLOR = QColor(p.cut_mark_text)
    TOKEN_FILL, TOKEN_BORDER = QColor(p.token_fill), QColor(p.token_border)
    TOKEN_TEXT, BADGE_TEXT = QColor(p.token_text), QColor(p.badge_text)
    MUTED_FILL, MUTED_BORDER = QColor(p.muted_fill), QColor(p.muted_border)
    MUTED_TEXT = QColor(p.muted_text)
    glow = QColor(p.active_glow)
    glow.setAlpha(90)
    ACTIVE_EDGE_GLOW = glow
    MINIMAP_BG, MINIMAP_BORDER = QColor(p.minimap_bg), QColor(p.minimap_border)
    MINIMAP_VIEW_BORDER = QColor(p.selection)
    view_fill = QColor(p.selection)
    view_fill.setAlpha(40)
    MINIMAP_VIEW_FILL = view_fill
    CAPTION_BG, CAPTION_TEXT = QColor(p.caption_bg), QColor(p.caption_text)
    MATH_TEXT = QColor(p.math_text)

    ROLE_STYLES.clear()
    for role, label in _ROLE_LABELS.items():
        fill, border, title, accent = p.roles[role]
        ROLE_STYLES[role] = RoleStyle(
            label, QColor(fill), QColor(border), QColor(title), QColor(accent)
        )
    STATE_STYLES.clear()
    STATE_STYLES.update(
        {
            st.STATE_HIDDEN: StateStyle(
                "not computed yet", 0.28, None, BOX_BORDER, True, None, None, None, None
            ),
            st.STATE_IDLE: StateStyle(
                "computed", 1.0, None, BOX_BORDER, False, None, None, None, None
            ),
            st.STATE_ACTIVE: StateStyle(
                "this step",
                1.0,
                QColor(p.active_border),
                2.6,
                False,
                None,
                QColor(p.active_glow),
                None,
                None,
            ),
            st.STATE_DONE: StateStyle(
                "backward passed",
                1.0,
                None,
                BOX_BORDER,
                False,
                None,
                None,
                "✓",
                QColor(p.done_badge),
            ),
            # Freed is a badge, never a halo: the halo marks only the step's focus.
            st.STATE_FREED: StateStyle(
                "saved buffers freed",
                1.0,
                QColor(p.freed_border),
                BOX_BORDER,
                True,
                QColor(p.freed_fill),
                None,
                "freed",
                QColor(p.freed_badge),
            ),
            st.STATE_ERROR: StateStyle(
                "error",
                1.0,
                QColor(p.error_border),
                2.6,
                False,
                QColor(p.error_fill),
                QColor(p.error_glow),
                "!",
                QColor(p.error_badge),
            ),
        }
    )
    EDGE_STYLES.clear()
    EDGE_STYLES.update(
        {
            st.EDGE_DATA: EdgeStyle("data", QColor(p.data_edge), 1.6, Qt.PenStyle.SolidLine, False),
            st.EDGE_GRAD: EdgeStyle(
                "gradient", QColor(p.gradient), 2.2, Qt.PenStyle.SolidLine, True
            ),
            st.EDGE_CUT: EdgeStyle("cut", QColor(p.cut_edge), 1.6, Qt.PenStyle.DashLine, False),
            EDGE_SEED: EdgeStyle(
                "gradient= tensor", QColor(p.gradient), 1.8, Qt.PenStyle.DotLine, False
            ),
        }
    )
    for callback in list(_listeners):
        callback()


def role_style(role: str) -> RoleStyle:
    # A collapsed module is drawn in the colours of the ops it holds (and a double border).
    fallback = st.ROLE_GRAD_FN if role == st.ROLE_MODULE else st.ROLE_TENSOR
    return ROLE_STYLES.get(role, ROLE_STYLES[fallback])


def state_style(state: str) -> StateStyle:
    return STATE_STYLES.get(state, STATE_STYLES[st.STATE_IDLE])


def edge_style(kind: str) -> EdgeStyle:
    return EDGE_STYLES.get(kind, EDGE_STYLES[st.EDGE_DATA])


ARROW_LENGTH = 10.0
ARROW_WIDTH = 8.0
EDGE_CORNER_RADIUS = 10.0  # bends of a polyline are rounded off
ACTIVE_EDGE_EXTRA = 1.2  # an active edge is this much wider
FAINT_EDGE_OPACITY = 0.25  # edges that touch a box not computed yet

# The "✂ cut" mark at the middle of a cut edge.
CUT_MARK_TEXT = "✂ cut"

# The gradient token: a pill carrying the gradient's value.
TOKEN_PT = 8.5
TOKEN_PAD_X = 7.0
TOKEN_PAD_Y = 3.0
TOKEN_MAX_WIDTH = 160.0

# Token animation: travel from the edge's target back to its source, then settle at the
# edge's middle (where static renders draw it) so the canvas at rest matches exports.
TOKEN_TRAVEL_MS = 400
TOKEN_SETTLE_MS = 160

# Zoom.
ZOOM_STEP = 1.2
ZOOM_MIN = 0.05
ZOOM_MAX = 8.0
FIT_MAX_ZOOM = 1.5  # fitting a small graph never blows it up beyond this


# Minimap.
MINIMAP_MAX_W = 220
MINIMAP_MAX_H = 160
MINIMAP_MARGIN = 12


apply_theme(palettes.LIGHT)
