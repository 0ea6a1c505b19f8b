"""Bulk phases: loading manifests, reading the live PBX, planning, exporting.

Each builds hundreds of thousands of small objects (dicts, strings, models) with no
reference cycles. Python's cyclic collector runs every 700 allocations and, as the heap
grows, sweeps all of it again and again for nothing: on a 2,000-extension PBX that was
more than half of the time to load its manifests. These phases pause it; reference
counting still frees everything as usual.

When the collector resumes, what the phase built (the manifests, the live state, the
plan) is frozen (`gc.freeze`): it lives as long as the command, and would otherwise be
swept whole at the next collection, a pause of tens of milliseconds in the middle of
talking to the PBX.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()
