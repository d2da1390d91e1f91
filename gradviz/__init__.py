"""gradviz: watch automatic differentiation happen, step by step.

From Python or a notebook::

    import gradviz
    gradviz.show(loss)                # the explorer on loss's graph, in the browser
    gradviz.show(loss, inline=True)   # the same page, inline in a notebook
    with gradviz.record() as rec:     # record ordinary engine code as a story
        ...
    rec.story()
"""

__version__ = "0.1.0"
__all__ = ["show", "story", "record", "compare"]


def __getattr__(name: str):
    # Loaded on first use, so `import gradviz` (and the app's start-up) stays light.
    if name in __all__:
        from gradviz.core import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'gradviz' has no attribute {name!r}")
