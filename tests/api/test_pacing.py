"""Write pacing: a small step up on 10025, a slow way back to the configured spacing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from pbxconf.api.pacing import MAX_INTERVAL, WritePacing


@dataclass
class Settings:
    write_interval: float


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def pacing(interval: float) -> tuple[WritePacing, Clock, Settings]:
    clock, settings = Clock(), Settings(interval)
    return WritePacing(settings, clock, clock.sleep), clock, settings


def test_writes_start_the_spacing_apart() -> None:
    pace, clock, _ = pacing(0.05)

    async def three_writes() -> None:
        for _ in range(3):
            await pace.wait_turn()
            clock.now += 0.02  # the write's round trip
            pace.accepted()

    asyncio.run(three_writes())
    assert clock.slept == [0.03, 0.03]  # from the start of one to the start of the next


def test_a_refusal_widens_a_little_and_successes_take_it_back() -> None:
    pace, _, _ = pacing(0.052)
    pace.refused()
    assert pace.interval == pytest.approx(0.0572)  # x1.1, not x1.25 for the rest of the run
    for _ in range(50):
        pace.accepted()
    assert 0.052 < pace.interval < 0.0542  # most of the widening is taken back
    for _ in range(500):
        pace.accepted()
    assert pace.interval == pytest.approx(0.052, abs=1e-6)


def test_a_pbx_slower_than_configured_is_learned_in_a_few_refusals() -> None:
    pace, _, _ = pacing(0.05)
    refusals = 0
    while pace.interval < 0.08:  # a PBX that applies a write every 80 ms
        pace.refused()
        refusals += 1
    assert refusals == 5
    pace, _, _ = pacing(0.0)  # no spacing configured: the first refusal learns 50 ms
    pace.refused()
    assert pace.interval == pytest.approx(0.05)


def test_the_learned_spacing_is_bounded_and_never_below_the_configured_one() -> None:
    pace, _, settings = pacing(0.5)
    for _ in range(100):
        pace.refused()
    assert pace.interval == MAX_INTERVAL
    settings.write_interval = 8.0  # configured wider than the bound: kept, never widened
    pace.refused()
    assert pace.interval == 8.0
    for _ in range(1000):
        pace.accepted()
    assert pace.interval == 8.0
