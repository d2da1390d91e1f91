"""Shared setup for the engine tests: lets them `import op_samples` and `import parity`."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
