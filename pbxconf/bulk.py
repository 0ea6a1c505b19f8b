"""Bulk phases: loading manifests, reading the live PBX, planning, exporting.

Each builds hundreds of thousands of small objects (dicts, strings, models) with no
reference cycles. Python's cyclic collector runs every 700 allocations and, as the heap
grows, sweeps all of it again and again for nothing: on a 2,000-extension PBX that was
more than half of the time to load its manifests. These phases pause it; reference
counting still frees everything as usual.

When the collector resumes, its next run sweeps everything the phase built, a pause of
tens of milliseconds in the middle of talking to the PBX. A program whose objects live
until it exits (a pbxconf command) calls `freeze_after_phases()`: what a phase built is
then frozen (`gc.freeze`) and never swept. A long-running program using pbxconf as a
library leaves it off, since frozen objects are never collected, cycles included.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_freeze = False
_kept: list[object] = []


def freeze_after_phases(enabled: bool = True) -> None:
    """Freeze what each bulk phase builds (see the module's docstring)."""
    global _freeze
    _freeze = enabled


def keep_until_exit(*objects: object) -> None:
    """A command's manifests, live state and plan, held until the process ends: a command
    ends without freeing what it built (pbxconf.cli.run), and freeing them one by one as
    the command's function returns would cost 10 ms at 2,000 extensions and 80 ms at
    10,000. Only where what phases build is frozen (a command): a program using pbxconf
    as a library frees them as usual."""
    if _freeze:
        _kept.extend(objects)


@contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if _freeze:
                gc.freeze()
            gc.enable()
