"""What a renderer draws at one step of a story.

The Qt canvas and the HTML export both draw from these types and nothing
else. Geometry is in scene units (roughly pixels at 100% zoom); (x, y) of a
box is its centre.
"""

from __future__ import annotations

from dataclasses import dataclass

# Box roles, each with its own look and a legend entry.
ROLE_LEAF = "leaf"  # a tensor the user created with requires_grad=True
ROLE_TENSOR = "tensor"  # a plain or detached tensor that does not require grad
ROLE_CONSTANT = "constant"  # a Python number or constant tensor fed to an op
ROLE_OP = "op"  # an op run without grad tracking (no grad_fn), e.g. under no_grad
ROLE_GRAD_FN = "grad_fn"  # an op that recorded a grad_fn such as MulBackward0
ROLE_ACCUMULATE = "accumulate"  # AccumulateGrad for a leaf
ROLE_SEED = "seed"  # the gradient that starts backward (1 or gradient=v)
ROLES = (ROLE_LEAF, ROLE_TENSOR, ROLE_CONSTANT, ROLE_OP, ROLE_GRAD_FN, ROLE_ACCUMULATE, ROLE_SEED)
ROLE_MODULE = "module"  # a collapsed nn.Module standing for its boxes (core.module_view)

# Box states at the current step.
STATE_HIDDEN = "hidden"  # not computed yet in the forward pass: drawn faint
STATE_IDLE = "idle"
STATE_ACTIVE = "active"  # the step is about this box
STATE_DONE = "done"  # backward has passed through it
STATE_FREED = "freed"  # legacy state name; freed buffers are now the badge BADGE_FREED
STATE_ERROR = "error"

# Edge kinds.
EDGE_DATA = "data"  # forward data flow
EDGE_GRAD = "grad"  # a gradient is flowing / has flowed along it (drawn reversed)
EDGE_CUT = "cut"  # detach() or no_grad: gradients cannot cross
EDGE_SEED = "seed"  # a gradient= tensor flowing into the seed it becomes

# Badges: small marks on a box that are not emphasis (the halo is only for the step's focus).
BADGE_FREED = "freed"  # backward freed the tensors this node saved
BADGE_SHARED = "shared"  # one node drawn as several boxes, one per group of its consumers


@dataclass(frozen=True)
class Token:
    """A gradient travelling along an edge from its target back to its source."""

    text: str  # the short value it carries, e.g. "[2.]"


@dataclass(frozen=True)
class SceneBox:
    id: str
    role: str
    title: str  # "x", "MulBackward0", "AccumulateGrad", "2"
    subtitle: str  # "mul  a × b", "float32 [4]", ...
    value: str | None  # short value text, None when not known yet
    grad: str | None  # short .grad (leaves) or received gradient (ops)
    x: float
    y: float
    width: float
    height: float
    state: str
    line: int | None  # source line that created it (1-based), if any
    note: str | None = None  # e.g. "0 + [1,1] = [1,1]" at AccumulateGrad, fan-in sums
    muted: bool = False  # on no gradient path: drawn faint, legend "not on any gradient path"
    badges: tuple[str, ...] = ()  # e.g. (BADGE_FREED,)
    # A node drawn as several boxes (a leaf shared by many steps): the story node id all
    # of them stand for (ids: the node's, then f"{node}#ref{k}"); None for a single box.
    ref_of: str | None = None


@dataclass(frozen=True)
class SceneEdge:
    id: str
    source: str  # box id (forward direction)
    target: str
    kind: str
    points: tuple[tuple[float, float], ...]  # polyline from source to target, in scene units
    active: bool  # the current step is about this edge
    token: Token | None  # gradient moving backward along it at this step
    label: str | None = None  # e.g. "cut" or the input slot "self"/"other"


@dataclass(frozen=True)
class Scene:
    step: int  # index of the step shown
    step_count: int
    episode: int  # index of the episode shown
    episode_title: str
    phase: str  # "forward" | "backward" | "between" | "error" | "empty"
    narration: str
    line: int | None  # source line of the step, 1-based
    boxes: tuple[SceneBox, ...]
    edges: tuple[SceneEdge, ...]
    width: float  # bounding box of the laid-out episode
    height: float
    math: tuple[str, ...] = ()  # the step's chain-rule arithmetic, one line each
