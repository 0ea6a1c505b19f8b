"""Seeded random fault schedules for chaos runs (tests, benchmarks/chaos.py)."""

from __future__ import annotations

import random
from typing import Any

READS = (
    "extensionlist/query",
    "extension/query",
    "siptrunk/query",
    "inroute/query",
    "outroute/query",
    "ivr/query",
    "queue/query",
    "wakeupcall/query",
)
WRITES = (
    "extension/update",
    "siptrunk/add",
    "siptrunk/update",
    "siptrunk/delete",
    "inroute/add",
    "inroute/update",
    "inroute/delete",
    "outroute/add",
    "outroute/update",
    "outroute/delete",
    "ivr/update",
    "queue/update",
    "wakeupcall/create",
    "wakeupcall/update",
    "wakeupcall/delete",
)


def schedule(rng: random.Random, count: int, timeout_ms: int) -> list[dict[str, Any]]:
    """`count` fault rules, each on a random endpoint and call number."""
    rules = []
    for _ in range(count):
        action = rng.choice(
            ["errno-busy", "errno-down", "reset", "lose", "stall", "restart", "delay", "html"]
        )
        path = rng.choice(READS + WRITES)
        rule: dict[str, Any] = {"path": path, "nth": rng.randint(1, 6), "times": 1}
        if action == "errno-busy":
            rule.update(action="errno", errno="10025", times=rng.randint(1, 3))
        elif action == "errno-down":
            rule.update(action="errno", errno="30003", times=rng.randint(1, 3))
        elif action in ("stall", "delay"):
            rule.update(action=action, delay_ms=timeout_ms * 2)
        else:
            rule["action"] = action
        rules.append(rule)
    return rules
