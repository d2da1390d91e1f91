"""gradviz: watch automatic differentiation happen, step by step."""

__version__ = "0.1.0"
