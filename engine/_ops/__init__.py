"""Op definitions, one class per op. Importing this package fills the registry."""

from . import arithmetic, compare, elementwise, linalg, reductions, shape  # noqa: F401
