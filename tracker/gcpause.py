"""Pausing Python's cyclic garbage collector around work that builds many acyclic objects.

Reading a large ledger and grading every ticket make hundreds of thousands of small
objects and no reference cycles; the cyclic collector would only rescan the growing live
heap over and over. Callers that do such work wrap it in :func:`paused_gc`; the pure
core itself never touches the collector.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic GC for the ``with`` block (left as it was found afterwards)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
