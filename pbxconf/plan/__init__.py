"""Desired + Live -> Plan (planner.py), in a safe order with its API calls (order.py),
made of the changes and problems in model.py."""

from pbxconf.plan.model import (
    Action,
    CannotDo,
    Change,
    FieldChange,
    ManualStep,
    Plan,
    PlanOptions,
    PlanProblem,
    SafetyRefusal,
    SetAside,
    Step,
    fingerprint,
)
from pbxconf.plan.planner import make_plan, parse_target

__all__ = [
    "Action",
    "CannotDo",
    "Change",
    "FieldChange",
    "ManualStep",
    "Plan",
    "PlanOptions",
    "PlanProblem",
    "SafetyRefusal",
    "SetAside",
    "Step",
    "fingerprint",
    "make_plan",
    "parse_target",
]
