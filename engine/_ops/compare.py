"""Comparisons: not differentiable, but recorded so control flow on values is visible."""

from __future__ import annotations

import numpy as np

from .._registry import Op, register
from .arithmetic import _binary


class _Compare(Op):
    dtype_rule = "bool"
    differentiable = False
    input_names = ("self", "other")
    fn = staticmethod(np.equal)

    @classmethod
    def forward(cls, ctx, a, b):
        return _binary(cls.fn, a, b)


@register
class Eq(_Compare):
    name, symbol = "eq", "=="
    methods = functions = ("eq",)
    fn = staticmethod(np.equal)


@register
class Ne(_Compare):
    name, symbol = "ne", "!="
    methods = functions = ("ne",)
    fn = staticmethod(np.not_equal)


@register
class Lt(_Compare):
    name, symbol = "lt", "<"
    methods = functions = ("lt",)
    fn = staticmethod(np.less)


@register
class Le(_Compare):
    name, symbol = "le", "<="
    methods = functions = ("le",)
    fn = staticmethod(np.less_equal)


@register
class Gt(_Compare):
    name, symbol = "gt", ">"
    methods = functions = ("gt",)
    fn = staticmethod(np.greater)


@register
class Ge(_Compare):
    name, symbol = "ge", ">="
    methods = functions = ("ge",)
    fn = staticmethod(np.greater_equal)
