"""Quick makers for the story's most numerous frozen records: steps, edges, boxes, tokens.

A long script's story makes tens of thousands of steps, boxes and edges, and their
dataclass __init__ was a sixth of telling it (see quick_maker). Every argument is given,
in the order of the class's fields.
"""

from __future__ import annotations

from .quick_maker import quick_maker
from .story import Step, StoryEdge, StoryNode, Token

step = quick_maker(Step)
edge = quick_maker(StoryEdge)
node = quick_maker(StoryNode)
token = quick_maker(Token)
