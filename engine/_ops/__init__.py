"""Op definitions, one class per op. Importing this package fills the registry."""

from . import (  # noqa: F401
    activations,
    arithmetic,
    compare,
    cumulative,
    diagonal,
    elementwise,
    layout_ops,
    legacy,
    linalg,
    losses,
    nn_ops,
    reductions,
    shape,
)
