"""Queues: `queue/query` (all, or a comma list in `queueid`), `queue/update` (`queueid` +
only the fields to change; `queuenumber` renumbers). The API cannot create or delete them.

Wire quirks settled here (writes send the update table's spellings, lines 2217-2247;
reads take every spelling the manual shows):
- the name: update `queuename`; the query example `"queue name"`, its table `queueenname`;
- announcement frequencies: update `announcerefreq`/`userannouncerefreq`; query
  `announcfreq`/`userannouncfreq`; hold time: `announceholdtime` (the query table writes
  `announcholdtime`), typed Int but valued on/off;
- `failoveraction` lists `Hangup` ... `Dial by name`, `breakoutaction` `Hang up` ...
  `Dial by Name` (lines 2222, 2244), and the query answers `Hang up` for both;
- `maxwaittime`: the query example answers `"30"`, outside the update enum 300...1800
  (line 2233): such a value is read and shown, never written;
- `agents` comes back with a trailing comma; dynamic agents log in and out at run time
  and are not configuration.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from pbxconf.kinds.base import KindModel, NumberedKind, Ref, is_live
from pbxconf.kinds.fields import ON_OFF, TEXT, Choice
from pbxconf.kinds.query import Query
from pbxconf.kinds.types import Number, NumberItem, Numbers, Switch, Text, wire

_ACTIONS = {
    "extension": "Extension",
    "voicemail": "Voicemail",
    "ivr": "IVR",
    "ring_group": "Ring Group",
    "queue": "Queue",
    "conference": "Conference",
    "fax_to_email": "Fax to Email",
}
FAILOVER_ACTION = Choice({"hangup": "Hangup", **_ACTIONS, "dial_by_name": "Dial by name"})
BREAKOUT_ACTION = Choice({"hangup": "Hang up", **_ACTIONS, "dial_by_name": "Dial by Name"})
TARGET_KIND = {"extension": "extension", "voicemail": "extension", "ivr": "ivr", "queue": "queue"}
STRATEGY = Choice(
    {
        "ring-all": "Ring All",
        "least-recent": "Least Recent",
        "fewest-calls": "Fewest Calls",
        "random": "Random",
        "rrmemory": "Rrmemory",
        "linear": "Linear",
    }
)
TENS = Choice({n: str(n) for n in (10, 20, 30, 40, 50)})
MAX_WAIT = Choice({n: str(n) for n in (300, 600, 900, 1200, 1800)})
FREQUENCY = Choice({n: str(n) for n in (0, 15, 30, 45, 60, 120, 180, 240, 300, 600, 1200)})
BREAKOUT_KEY = Choice({k.lower(): k for k in ("None", *"0123456789", "*", "#")})
# The characters line 2054 forbids in names, in their full-width forms.
QueueName = Annotated[str | None, Field(pattern=r"^[^！（）＃；，]*$"), TEXT]


class Target(BaseModel):
    """What happens to a caller: an action and, for extension/IVR/queue..., its target."""

    model_config = ConfigDict(extra="forbid")
    action: Annotated[str, FAILOVER_ACTION] = wire("failoveraction", default=...)
    # The query example leaves the target out when there is none (line 2165).
    target: Text = wire("failoverdest")

    @model_validator(mode="after")
    def _target_needed(self, info: ValidationInfo) -> Target:
        if self.action in TARGET_KIND and not self.target and not is_live(info):
            raise ValueError(f"action `{self.action}` needs a `target`")
        if self.action == "hangup":
            self.target = None  # a hang-up goes nowhere, whatever the PBX still stores
        return self


class Breakout(Target):
    key: Annotated[str | None, BREAKOUT_KEY] = wire(
        "breakoutkey", "The key a caller presses to leave the queue."
    )
    action: Annotated[str, BREAKOUT_ACTION] = wire("breakoutaction", default=...)
    target: Text = wire("breakoutdest")

    @model_validator(mode="before")
    @classmethod
    def _key_text(cls, data: Any) -> Any:
        # `key: 0` in YAML is the key 0.
        key = data.get("key") if isinstance(data, dict) else None
        if isinstance(key, int) and not isinstance(key, bool):
            return {**data, "key": str(key)}
        return data


class Queue(KindModel):
    """A call queue. It must already exist on the PBX: the API cannot create one."""

    number: Number = wire("queuenumber", "Queue number (identity).", default=...)
    renamed_from: NumberItem | None = Field(
        None, description="Renumber: the number this queue has on the PBX now."
    )
    name: QueueName = wire("queuename", read=("queue name", "queueenname"))
    password: Text = wire("password", "Password for dynamic agents to join (sensitive).")
    ring_strategy: Annotated[str | None, STRATEGY] = wire("ringstrategy")
    agents: Numbers = wire("agents", "Static agents: extension numbers (a set).")
    agent_timeout: Annotated[int | None, TENS] = wire("agenttimeout", "Seconds an agent rings.")
    wrapup_time: Annotated[int | None, TENS] = wire("wrapuptime", "Seconds.")
    retry: Annotated[int | None, TENS] = wire("retry", "Seconds between tries.")
    max_wait_time: Annotated[int | None, MAX_WAIT] = wire("maxwaittime", "Seconds.")
    ring_in_use: Switch = wire("ringinuse")
    join_empty: Switch = wire("joinempty", "Callers may join with no agent.")
    leave_when_empty: Switch = wire("leavewhenempty")
    announce_position: Switch = wire("announcepos")
    announce_frequency: Annotated[int | None, FREQUENCY] = wire(
        "announcerefreq", "Seconds.", read=("announcfreq",)
    )
    announce_hold_time: Annotated[bool | None, ON_OFF] = wire(
        "announceholdtime", read=("announcholdtime",)
    )
    user_announce_frequency: Annotated[int | None, FREQUENCY] = wire(
        "userannouncerefreq", "Seconds.", read=("userannouncfreq",)
    )
    failover: Target | None = Field(None, description="Where callers go when the queue fails them.")
    breakout: Breakout | None = Field(
        None, description="The key that takes callers out, and where."
    )
    id_announcement: Text = wire("idannouncement", "Prompt announcing the agent id.")
    satisfaction_survey: Text = wire("satisfactionsurvey", "Survey prompt.")


class QueueKind(NumberedKind):
    name = "queue"
    section = "queues"
    title = "queue"
    model = Queue
    key_fields = ("number",)
    query = Query(
        "queue/query",
        select="queueid",
        everything=None,
        answer=("queues",),
        # "查询队列时此参数为必须返回参数": always in a queue's answer (line 2136).
        always=("idannouncement",),
    )
    may_be_external = True
    update_endpoint = "queue/update"
    id_wire = "queueid"
    together = ("failover", "breakout")  # an action and its target, checked as a pair
    sensitive = frozenset({"password"})
    read_only = {
        "agent_announce": "agentannounce",
        "music_on_hold": "musiconhold",
        "join_announce": "joinannounce",
        "user_announce": "userannounce",
    }
    not_read = {
        "agentannounce": "read-only: queue/update has no such key",
        "musiconhold": "read-only: queue/update has no such key",
        "joinannounce": "read-only: queue/update has no such key",
        "userannounce": "read-only: queue/update has no such key",
        "dynamicagents": "agents who log in and out at run time, not configuration",
    }
    moved = {
        "dynamic_agents": "dynamic agents log in and out at run time; they are not configuration"
    }

    def after_decode(self, data: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
        for group in ("failover", "breakout"):
            if data.get(group, {}).get("target") == "":
                del data[group]["target"]  # no target: as if the answer left it out
        return data

    def refs(self, obj: Any) -> list[Ref]:
        out = [Ref("extension", (a,), f"agents[{i}]") for i, a in enumerate(obj.agents or [])]
        for group in ("failover", "breakout"):
            target = getattr(obj, group)
            if target is not None and target.target and target.action in TARGET_KIND:
                out.append(Ref(TARGET_KIND[target.action], (target.target,), f"{group}.target"))
        return out
