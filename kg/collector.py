"""Python's cycle collector, paused while kg makes millions of small objects that form no cycles."""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collection_paused"]


@contextmanager
def collection_paused(keep: bool = False) -> Iterator[None]:
    """Python's cycle collector paused while a step makes millions of small objects, then as it was.

    The views (and the build's listings, :mod:`kg.derive.listings`) make millions of small objects and no garbage
    cycles; each full collection walks all of them (the catalogue's included), which took 40 % of the hq view's
    time at 100,000 firms.  ``keep``: what is made
    meanwhile stays until the process ends (a command's views), so the collector is told to leave it out of every
    later walk (:func:`gc.freeze`): at 100,000 firms the first collection after the views walked them for 8 s and
    the one at the process's exit for 25 s.  (A graph is freed by the collector, not when it is let go: its edge
    views refer back to it.)

    >>> with collection_paused():
    ...     gc.isenabled()
    False
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if keep:
            gc.freeze()
        if was:
            gc.enable()
