"""Faults a test (or a curious person) can inject into the simulated PBX.

A rule matches API calls (all of them, or those to one endpoint), starting at the Nth
matching call after it was installed, for `times` calls (0: until removed). Actions:
- "errno":  answer {"status": "Failed", "errno": errno}; nothing is applied;
- "reset":  close the connection without a whole answer; nothing is applied;
- "lose":   apply the call, then close the connection without a whole answer
            (the write landed but the caller cannot know);
- "html":   answer HTTP 502 with an HTML page, as a proxy in front of the PBX does;
- "delay":  wait delay_ms before handling the call (longer than the client's timeout
            makes a timeout);
- "stall":  apply the call, then wait delay_ms before answering (a write that landed
            but whose answer comes too late for the caller);
- "restart": the PBX restarts just before the call: every token is dropped, and a
            BootUp report goes out.

One action is about event reports, not API calls (its `path` names a report's action,
`ConfigChange` or `BootUp`, or is left out for any report):
- "drop":   the PBX loses the report: it is never sent (the manual's changelog, API 1.0.5,
            fixed reports that went missing).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ACTIONS = ("errno", "reset", "lose", "html", "delay", "stall", "restart", "drop")
REPORT_ACTIONS = ("drop",)


@dataclass
class FaultRule:
    action: str
    path: str | None = None
    nth: int = 1
    times: int = 1
    errno: str = "30003"
    delay_ms: int = 0
    seen: int = field(default=0)
    fired: int = field(default=0)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultRule:
        rule = cls(
            action=str(data["action"]),
            path=data.get("path"),
            nth=int(data.get("nth", 1)),
            times=int(data.get("times", 1)),
            errno=str(data.get("errno", "30003")),
            delay_ms=int(data.get("delay_ms", 0)),
        )
        if rule.action not in ACTIONS:
            raise ValueError(f"unknown fault action {rule.action!r}; one of {', '.join(ACTIONS)}")
        if rule.nth < 1 or rule.times < 0:
            raise ValueError("nth must be >= 1 and times >= 0")
        return rule

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def matches(self, path: str, *, report: bool = False) -> bool:
        """Count this call (or report) and say whether the rule fires on it."""
        if (self.action in REPORT_ACTIONS) != report:
            return False  # a rule on calls never counts reports, nor the other way
        if self.path is not None and self.path != path:
            return False
        self.seen += 1
        if self.seen < self.nth or (self.times and self.fired >= self.times):
            return False
        self.fired += 1
        return True


@dataclass
class FaultBook:
    rules: list[FaultRule] = field(default_factory=list)

    def fire(self, path: str) -> list[FaultRule]:
        # Every rule counts every call, so all are asked, not just up to the first match.
        return [rule for rule in self.rules if rule.matches(path)]

    def fire_report(self, action: str) -> list[FaultRule]:
        """The report rules that fire on a report with this `action`."""
        return [rule for rule in self.rules if rule.matches(action, report=True)]
