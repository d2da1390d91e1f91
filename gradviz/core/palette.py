"""The colours of the story, shared by the Qt canvas and the HTML export.

Okabe-Ito hues (distinct for the common forms of colour blindness) as borders and
accents, with light tints as fills so text keeps a high contrast.
"""

from __future__ import annotations

from . import scene_types as st

# role -> (fill, border, title text, accent bar), as hex strings
ROLES: dict[str, tuple[str, str, str, str]] = {
    st.ROLE_LEAF: ("#E3F0FA", "#0072B2", "#084A75", "#0072B2"),
    st.ROLE_TENSOR: ("#F4F5F7", "#8A94A3", "#1F2933", "#8A94A3"),
    st.ROLE_CONSTANT: ("#FBF7E1", "#B59A00", "#5C4B00", "#D4B400"),
    st.ROLE_OP: ("#EFF1F4", "#6B7686", "#2E3A48", "#6B7686"),
    st.ROLE_GRAD_FN: ("#F7E9F1", "#B0588F", "#6E2457", "#CC79A7"),
    st.ROLE_ACCUMULATE: ("#E1F4EC", "#00876A", "#00513F", "#009E73"),
    st.ROLE_SEED: ("#FDEBDD", "#D55E00", "#8A3C00", "#D55E00"),
}
GRADIENT = "#D55E00"  # gradient edges and tokens
DATA_EDGE = "#7A8CA5"
CUT_EDGE = "#8A8F98"
