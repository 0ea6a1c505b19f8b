"""Desired + Live -> Plan (planner.py), in a safe order with its API calls (order.py),
made of the changes and problems in model.py."""

from pbxconf.plan.model import (
    Action,
    Change,
    FieldChange,
    ManualStep,
    Plan,
    PlanOptions,
    PlanProblem,
    SafetyRefusal,
    Step,
    fingerprint,
)
from pbxconf.plan.planner import make_plan, parse_target

__all__ = [
    "Action",
    "Change",
    "FieldChange",
    "ManualStep",
    "Plan",
    "PlanOptions",
    "PlanProblem",
    "SafetyRefusal",
    "Step",
    "fingerprint",
    "make_plan",
    "parse_target",
]
