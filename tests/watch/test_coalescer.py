"""Reports become batches: duplicates and bursts are one batch, a flood reads a kind whole."""

from __future__ import annotations

import pytest

from pbxconf.watch.coalescer import MAX_KEYS_PER_KIND, Coalescer

pytestmark = pytest.mark.anyio


async def test_a_burst_and_its_duplicates_are_one_batch() -> None:
    coalescer = Coalescer(settle=0.01, max_delay=5)
    for _ in range(3):  # the PBX repeats; a report comes late
        for number in range(1000, 1050):
            coalescer.changed("extension", str(number))
    coalescer.changed("trunk", "carrier")
    batch = await coalescer.next(timeout=5)
    assert batch is not None
    assert batch.keys == {
        "extension": {str(n) for n in range(1000, 1050)},
        "trunk": {"carrier"},
    }
    assert (batch.reports, batch.whole, batch.boot) == (151, set(), False)
    assert await coalescer.next(timeout=0.01) is None  # nothing left


async def test_a_flood_reads_the_kind_whole_and_holds_no_more() -> None:
    coalescer = Coalescer(settle=0.01)
    for number in range(MAX_KEYS_PER_KIND * 3):
        coalescer.changed("extension", str(number))
    batch = await coalescer.next(timeout=5)
    assert batch is not None
    assert (batch.keys, batch.whole) == ({}, {"extension"})


async def test_a_boot_up_is_not_waited_on_and_a_batch_can_be_put_back() -> None:
    coalescer = Coalescer(settle=60, max_delay=60)
    coalescer.changed("trunk", "carrier")
    coalescer.booted()
    batch = await coalescer.next(timeout=5)
    assert batch is not None and batch.boot and batch.keys == {"trunk": {"carrier"}}
    coalescer.put_back(batch)
    assert coalescer.take().keys == {"trunk": {"carrier"}}
