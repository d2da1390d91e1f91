"""Named result tuples, as PyTorch returns them."""

from __future__ import annotations

from typing import NamedTuple


class ValuesIndices(NamedTuple):
    values: object
    indices: object

    def __repr__(self) -> str:
        return f"torch.return_types.max(\nvalues={self.values!r},\nindices={self.indices!r})"
