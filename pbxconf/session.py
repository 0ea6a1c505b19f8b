"""A session with the PBX for a plan: read it, plan, and log out while planning; or
re-plan a saved plan and refuse it if anything it depends on changed.

The live reader (live.py) only reads; the planner (plan.py) only plans; the saved-plan
file format is saved_plan.py. This module is where they meet a PBX session.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from pbxconf.api import PbxClient
from pbxconf.live import read_live, until_sent
from pbxconf.manifest import Desired
from pbxconf.plan import Plan, PlanOptions, make_plan
from pbxconf.state import State

if TYPE_CHECKING:  # saved plans are imported by the commands that read them
    from pbxconf.saved_plan import SavedPlan


async def plan_and_log_out(
    client: PbxClient, desired: Desired, options: PlanOptions
) -> tuple[Plan, State]:
    """Read the PBX and plan, for a plan that is only shown or saved: the session is not
    needed once the last answer is in, so the logout goes out then, and the last answers
    are decoded and the plan worked out while it is on the wire; its round trip then
    costs no time. The live State comes back with the plan so that the caller frees it
    after showing the plan: freeing 6,000 objects takes milliseconds nobody should wait
    for."""
    sent = asyncio.Event()
    closing: list[asyncio.Future[None]] = []

    def log_out() -> Awaitable[None]:
        closing.append(asyncio.ensure_future(client.close(sent=sent)))
        return until_sent(sent, closing[0])

    try:
        live = await read_live(client, answered=log_out)  # logs out once all is in
        if not closing:  # nothing was read
            await log_out()
        return make_plan(desired, live, options), live
    finally:
        if closing:
            await closing[0]


async def replan_saved(
    client: PbxClient, saved: SavedPlan, desired: Desired, target: str
) -> tuple[Plan, State]:
    """The saved plan made again against the PBX as it is now, with the live State it
    was made from; StalePlan where the manifests, the secrets or the PBX changed since it
    was saved."""
    from pbxconf.saved_plan import (
        check_live_unchanged,
        check_manifests_unchanged,
        check_same_pbx,
        saved_options,
    )

    check_same_pbx(saved, await client.device_info(), target)
    check_manifests_unchanged(saved, desired)
    live = await read_live(client)
    plan = make_plan(desired, live, saved_options(saved))
    check_live_unchanged(saved, plan, live, target)
    return plan, live
