"""The public recording API (`engine.autograd.recording`): see engine._autograd.recording.

The events are emitted by Tensor and the ops, which sit below this package, so the module
itself lives below Tensor; this name is where tools import it from. It is the same module
object, so its state (the active recorders) is shared.
"""

import sys

from .._autograd import recording as _recording

sys.modules[__name__] = _recording
