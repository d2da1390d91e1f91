"""The colours of the story, shared by the Qt canvas and the HTML export, light and dark.

Okabe-Ito hues (distinct for the common forms of colour blindness) as borders and
accents, with quiet fills so text keeps a high contrast. Every text colour is checked
against the fill it sits on for at least WCAG AA (4.5:1, tests/ui/test_theme.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import scene_types as st

LIGHT, DARK = "light", "dark"
THEMES = (LIGHT, DARK)


@dataclass(frozen=True)
class Palette:
    name: str
    roles: dict  # role -> (fill, border, title text, accent bar), as hex strings
    canvas_bg: str
    text: str  # values, narration
    text_muted: str  # subtitles, line tags, edge labels
    selection: str
    gradient: str  # gradient edges
    data_edge: str
    cut_edge: str
    grad_strip_fill: str  # the .grad strip at the bottom of a box
    grad_strip_line: str
    grad_strip_text: str
    grad_none_text: str  # ".grad = None"
    note_text: str  # AccumulateGrad sums such as "0 + 1 = 1"
    active_border: str  # the focus of the step
    active_glow: str
    done_badge: str  # "✓" badge fill (white text on it)
    freed_badge: str
    freed_fill: str
    freed_border: str
    error_border: str
    error_fill: str
    error_glow: str
    error_badge: str
    badge_text: str
    edge_label_text: str
    edge_label_bg: str  # with its alpha, as #AARRGGBB
    cut_mark_fill: str
    cut_mark_border: str
    cut_mark_text: str
    token_fill: str
    token_border: str
    token_text: str
    muted_fill: str  # a box on no gradient path
    muted_border: str
    muted_text: str
    minimap_bg: str
    minimap_border: str
    caption_bg: str  # exported captions and the narration panel
    caption_text: str
    math_text: str  # chain-rule lines under the narration


_LIGHT = Palette(
    name=LIGHT,
    roles={
        st.ROLE_LEAF: ("#E3F0FA", "#0072B2", "#084A75", "#0072B2"),
        st.ROLE_TENSOR: ("#F4F5F7", "#8A94A3", "#1F2933", "#8A94A3"),
        st.ROLE_CONSTANT: ("#FBF7E1", "#B59A00", "#5C4B00", "#D4B400"),
        st.ROLE_OP: ("#EFF1F4", "#6B7686", "#2E3A48", "#6B7686"),
        st.ROLE_GRAD_FN: ("#F7E9F1", "#B0588F", "#6E2457", "#CC79A7"),
        st.ROLE_MODULE: ("#F7E9F1", "#B0588F", "#6E2457", "#CC79A7"),  # ops, collapsed
        st.ROLE_ACCUMULATE: ("#E1F4EC", "#00876A", "#00513F", "#009E73"),
        st.ROLE_SEED: ("#FDEBDD", "#D55E00", "#8A3C00", "#D55E00"),
    },
    canvas_bg="#FFFFFF",
    text="#1F2933",
    text_muted="#52606D",
    selection="#0B5FA5",
    gradient="#D55E00",
    data_edge="#7A8CA5",
    cut_edge="#8A8F98",
    grad_strip_fill="#FFE9D6",
    grad_strip_line="#F2B48A",
    grad_strip_text="#8A3C00",
    grad_none_text="#6E5A4C",
    note_text="#00513F",
    active_border="#C27C00",
    active_glow="#F0B400",
    done_badge="#00755C",
    freed_badge="#5B6472",
    freed_fill="#F3F4F6",
    freed_border="#9AA3AF",
    error_border="#C62828",
    error_fill="#FDECEA",
    error_glow="#E57373",
    error_badge="#C62828",
    badge_text="#FFFFFF",
    edge_label_text="#4A5663",
    edge_label_bg="#E6FFFFFF",
    cut_mark_fill="#FFFFFF",
    cut_mark_border="#8A8F98",
    cut_mark_text="#3E4652",
    token_fill="#B34700",
    token_border="#FFFFFF",
    token_text="#FFFFFF",
    muted_fill="#F7F8FA",
    muted_border="#B4BBC5",
    muted_text="#5F6B78",
    minimap_bg="#EBF8FAFC",
    minimap_border="#C5CCD6",
    caption_bg="#F7F9FB",
    caption_text="#1F2933",
    math_text="#3B2F8F",
)

_DARK = Palette(
    name=DARK,
    roles={
        st.ROLE_LEAF: ("#132A3B", "#56B4E9", "#A9DBF7", "#56B4E9"),
        st.ROLE_TENSOR: ("#23282F", "#8A94A3", "#DDE3EA", "#8A94A3"),
        st.ROLE_CONSTANT: ("#2D2914", "#C9AE1C", "#F2DF7A", "#D4B400"),
        st.ROLE_OP: ("#252B33", "#8592A3", "#D3DAE3", "#8592A3"),
        st.ROLE_GRAD_FN: ("#33202C", "#CC79A7", "#F2BCD9", "#CC79A7"),
        st.ROLE_MODULE: ("#33202C", "#CC79A7", "#F2BCD9", "#CC79A7"),  # ops, collapsed
        st.ROLE_ACCUMULATE: ("#10302A", "#2BBF95", "#93E6CB", "#2BBF95"),
        st.ROLE_SEED: ("#3A2414", "#E69F00", "#FFC894", "#E69F00"),
    },
    canvas_bg="#15181D",
    text="#E6EAF0",
    text_muted="#A7B2BF",
    selection="#6CB4F0",
    gradient="#F08A3C",
    data_edge="#7D8FA8",
    cut_edge="#8A8F98",
    grad_strip_fill="#3D2616",
    grad_strip_line="#7A4A26",
    grad_strip_text="#FFC08F",
    grad_none_text="#CDB7A6",
    note_text="#8FE3C6",
    active_border="#F0B400",
    active_glow="#F0B400",
    done_badge="#00755C",
    freed_badge="#5B6472",
    freed_fill="#1E2227",
    freed_border="#5C6570",
    error_border="#EF6C6C",
    error_fill="#3A1C1C",
    error_glow="#E57373",
    error_badge="#C62828",
    badge_text="#FFFFFF",
    edge_label_text="#B9C3CF",
    edge_label_bg="#E615181D",
    cut_mark_fill="#1E2227",
    cut_mark_border="#8A8F98",
    cut_mark_text="#D5DBE2",
    token_fill="#B34700",
    token_border="#15181D",
    token_text="#FFFFFF",
    muted_fill="#1A1D22",
    muted_border="#4E5661",
    muted_text="#98A2AE",
    minimap_bg="#EB1E2227",
    minimap_border="#3A414B",
    caption_bg="#1C2026",
    caption_text="#E6EAF0",
    math_text="#C7BFFF",
)

PALETTES: dict[str, Palette] = {LIGHT: _LIGHT, DARK: _DARK}


def palette(name: str) -> Palette:
    """The palette of a theme ("light" or "dark"); anything else gets light."""
    return PALETTES.get(name, _LIGHT)


# The light names the HTML export reads.
ROLES: dict[str, tuple[str, str, str, str]] = _LIGHT.roles
GRADIENT = _LIGHT.gradient
DATA_EDGE = _LIGHT.data_edge
CUT_EDGE = _LIGHT.cut_edge


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of #RRGGBB (an #AARRGGBB alpha is ignored)."""
    h = hex_colour.lstrip("#")[-6:]
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio between two colours (1 to 21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_pairs(p: Palette) -> list[tuple[str, str, str]]:
    """(what, text colour, background) for every text the canvas and exports draw."""
    pairs = [
        ("text on canvas", p.text, p.canvas_bg),
        ("muted text on canvas", p.text_muted, p.canvas_bg),
        ("grad text on strip", p.grad_strip_text, p.grad_strip_fill),
        ("grad None on strip", p.grad_none_text, p.grad_strip_fill),
        ("edge label", p.edge_label_text, p.canvas_bg),
        ("cut mark", p.cut_mark_text, p.cut_mark_fill),
        ("token", p.token_text, p.token_fill),
        ("done badge", p.badge_text, p.done_badge),
        ("freed badge", p.badge_text, p.freed_badge),
        ("error badge", p.badge_text, p.error_badge),
        ("muted box text", p.muted_text, p.muted_fill),
        ("freed box text", p.text, p.freed_fill),
        ("error box text", p.text, p.error_fill),
        ("caption", p.caption_text, p.caption_bg),
        ("math lines", p.math_text, p.caption_bg),
        ("note on accumulate", p.note_text, p.roles[st.ROLE_ACCUMULATE][0]),
    ]
    for role, (fill, _border, title, _accent) in p.roles.items():
        pairs += [
            (f"{role} title", title, fill),
            (f"{role} value", p.text, fill),
            (f"{role} subtitle", p.text_muted, fill),
        ]
    return pairs
