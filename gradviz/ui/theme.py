"""How the graph looks: font sizes, colours and strokes, one look per role, state and
edge kind.

Colours build on the Okabe-Ito palette, which stays distinguishable with the common
kinds of colour blindness; every role also differs by more than hue (its title colour
and border), and every text colour keeps at least 4.5:1 contrast on its fill.
Sizes are in scene units (pixels at 100% zoom); font sizes are points at 96 dpi
(see gradviz.ui.fonts).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from gradviz.core import palette
from gradviz.core import scene_types as st

# Font sizes in points (96 dpi, so 1 pt = 4/3 scene units). The core sizes boxes for
# text at these sizes; the canvas shrinks or elides text that would still not fit.
TITLE_PT = 10.5  # box title, bold
BODY_PT = 9.0  # subtitle, value and gradient text
SMALL_PT = 7.5  # edge labels, line tags, badges
MIN_PT = 6.0  # text is never shrunk below this; it is elided instead

# Box geometry.
BOX_RADIUS = 8.0
BOX_PADDING = 7.0  # left/right inner padding
ROW_GAP = 1.0
BOX_BORDER = 1.4

# Canvas.
CANVAS_BG = QColor("#FFFFFF")
RENDER_MARGIN = 24.0  # white margin around exported images
TEXT = QColor("#1F2933")  # primary text: 15:1 on white
TEXT_MUTED = QColor("#52606D")  # secondary text: 6.4:1 on white
SELECTION = QColor("#0B5FA5")


@dataclass(frozen=True)
class RoleStyle:
    label: str  # name shown in the legend
    fill: QColor
    border: QColor
    title: QColor  # title text colour
    accent: QColor  # left accent bar: role colour at a glance


def _role(label: str, fill: str, border: str, title: str, accent: str) -> RoleStyle:
    return RoleStyle(label, QColor(fill), QColor(border), QColor(title), QColor(accent))


_ROLE_LABELS = {
    st.ROLE_LEAF: "leaf tensor",
    st.ROLE_TENSOR: "tensor",
    st.ROLE_CONSTANT: "constant",
    st.ROLE_OP: "op (no grad)",
    st.ROLE_GRAD_FN: "grad_fn",
    st.ROLE_ACCUMULATE: "AccumulateGrad",
    st.ROLE_SEED: "seed gradient",
}
ROLE_STYLES: dict[str, RoleStyle] = {
    role: _role(_ROLE_LABELS[role], *palette.ROLES[role]) for role in _ROLE_LABELS
}
FALLBACK_ROLE = ROLE_STYLES[st.ROLE_TENSOR]


def role_style(role: str) -> RoleStyle:
    return ROLE_STYLES.get(role, FALLBACK_ROLE)


# The gradient strip at the bottom of a box (a leaf's .grad or an op's incoming grad).
GRAD_STRIP_FILL = QColor("#FFE9D6")
GRAD_STRIP_LINE = QColor("#F2B48A")
GRAD_STRIP_TEXT = QColor("#8A3C00")  # 7:1 on the strip
GRAD_NONE_TEXT = QColor("#7A6455")  # ".grad = None": quieter, still 4.7:1
NOTE_TEXT = QColor("#00513F")  # AccumulateGrad sums such as "0 + 1 = 1"


@dataclass(frozen=True)
class StateStyle:
    label: str
    opacity: float  # whole-box opacity
    border: QColor | None  # overrides the role border when set
    border_width: float
    border_dash: bool
    fill: QColor | None  # overrides the role fill when set
    glow: QColor | None  # soft halo around the box
    badge: str | None  # small mark in the top-right corner
    badge_color: QColor | None


STATE_STYLES: dict[str, StateStyle] = {
    st.STATE_HIDDEN: StateStyle(
        "not computed yet", 0.28, None, BOX_BORDER, True, None, None, None, None
    ),
    st.STATE_IDLE: StateStyle("computed", 1.0, None, BOX_BORDER, False, None, None, None, None),
    st.STATE_ACTIVE: StateStyle(
        "this step", 1.0, QColor("#C27C00"), 2.6, False, None, QColor("#F0B400"), None, None
    ),
    st.STATE_DONE: StateStyle(
        "backward passed", 1.0, None, BOX_BORDER, False, None, None, "✓", QColor("#00876A")
    ),
    st.STATE_FREED: StateStyle(
        "saved buffers freed",
        0.8,
        QColor("#9AA3AF"),
        BOX_BORDER,
        True,
        QColor("#F3F4F6"),
        None,
        "freed",
        QColor("#6B7280"),
    ),
    st.STATE_ERROR: StateStyle(
        "error",
        1.0,
        QColor("#C62828"),
        2.6,
        False,
        QColor("#FDECEA"),
        QColor("#E57373"),
        "!",
        QColor("#C62828"),
    ),
}


def state_style(state: str) -> StateStyle:
    return STATE_STYLES.get(state, STATE_STYLES[st.STATE_IDLE])


@dataclass(frozen=True)
class EdgeStyle:
    label: str
    color: QColor
    width: float
    pen_style: Qt.PenStyle
    arrow_at_source: bool  # grad edges point backward, toward the forward source


EDGE_STYLES: dict[str, EdgeStyle] = {
    st.EDGE_DATA: EdgeStyle("data", QColor(palette.DATA_EDGE), 1.6, Qt.PenStyle.SolidLine, False),
    st.EDGE_GRAD: EdgeStyle("gradient", QColor(palette.GRADIENT), 2.2, Qt.PenStyle.SolidLine, True),
    st.EDGE_CUT: EdgeStyle("cut", QColor(palette.CUT_EDGE), 1.6, Qt.PenStyle.DashLine, False),
}


def edge_style(kind: str) -> EdgeStyle:
    return EDGE_STYLES.get(kind, EDGE_STYLES[st.EDGE_DATA])


ARROW_LENGTH = 10.0
ARROW_WIDTH = 8.0
EDGE_CORNER_RADIUS = 10.0  # bends of a polyline are rounded off
ACTIVE_EDGE_EXTRA = 1.2  # an active edge is this much wider
ACTIVE_EDGE_GLOW = QColor(240, 180, 0, 90)
FAINT_EDGE_OPACITY = 0.25  # edges that touch a box not computed yet
EDGE_LABEL_TEXT = QColor("#52606D")
EDGE_LABEL_BG = QColor(255, 255, 255, 230)

# The "✂ cut" mark at the middle of a cut edge.
CUT_MARK_TEXT = "✂ cut"
CUT_MARK_FILL = QColor("#FFFFFF")
CUT_MARK_BORDER = QColor("#8A8F98")
CUT_MARK_COLOR = QColor("#3E4652")

# The gradient token: a pill carrying the gradient's value.
TOKEN_FILL = QColor("#B34700")  # darker than grad edges so white text reads (5.5:1)
TOKEN_BORDER = QColor("#FFFFFF")
TOKEN_TEXT = QColor("#FFFFFF")
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
FIT_MIN_ZOOM = 0.8  # below this text is hard to read: fit stops here and follows the step
LOD_TEXT = 0.4  # below this zoom boxes are drawn without text

# Minimap.
MINIMAP_MAX_W = 220
MINIMAP_MAX_H = 160
MINIMAP_MARGIN = 12
MINIMAP_BG = QColor(248, 250, 252, 235)
MINIMAP_BORDER = QColor("#C5CCD6")
MINIMAP_VIEW_FILL = QColor(11, 95, 165, 40)
MINIMAP_VIEW_BORDER = QColor("#0B5FA5")
