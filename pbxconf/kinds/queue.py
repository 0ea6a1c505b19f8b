"""Queues: `queue/query` (all, or a comma list in `queueid`), `queue/update` (`queueid` +
only the fields to change; `queuenumber` renumbers). The API cannot create or delete them.

Wire quirks settled here: the query answers `"queue name"`, update takes `queuename`; the
query answers `announcfreq`/`userannouncfreq`, update takes `announcefreq`/
`userannouncefreq`; `failoveraction` reads `Hang up` but the update enum says `Hangup`
(breakout says `Hang up` both ways); `agents` comes back with a trailing comma;
`announceholdtime` is typed Int but valued on/off. Dynamic agents log in and out at run
time and are not configuration.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pbxconf.kinds.base import KindModel, NumberedKind, Ref, Wire
from pbxconf.kinds.fields import ON_OFF, SET, Choice
from pbxconf.kinds.query import Query
from pbxconf.kinds.types import Number, wire_doc

ACTIONS = {
    "hangup": "Hangup",
    "extension": "Extension",
    "voicemail": "Voicemail",
    "ivr": "IVR",
    "ring_group": "Ring Group",
    "queue": "Queue",
    "conference": "Conference",
    "fax_to_email": "Fax to Email",
    "dial_by_name": "Dial by name",
}
FAILOVER_ACTION = Choice(ACTIONS)  # "Hang up" folds to "hangup" without spaces
BREAKOUT_ACTION = Choice({**ACTIONS, "hangup": "Hang up"})
Action = Literal[
    "hangup",
    "extension",
    "voicemail",
    "ivr",
    "ring_group",
    "queue",
    "conference",
    "fax_to_email",
    "dial_by_name",
]
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
Tens = Literal[10, 20, 30, 40, 50]
Frequency = Literal[0, 15, 30, 45, 60, 120, 180, 240, 300, 600, 1200]


class Target(BaseModel):
    """What happens to a caller: an action and, for extension/IVR/queue..., its target."""

    model_config = ConfigDict(extra="forbid")
    action: Action = Field(description=wire_doc("failoveraction / breakoutaction"))
    target: str | None = Field(None, description=wire_doc("failoverdest / breakoutdest"))

    @model_validator(mode="after")
    def _target_needed(self) -> Target:
        if self.action in TARGET_KIND and not self.target:
            raise ValueError(f"action `{self.action}` needs a `target`")
        if self.action == "hangup":
            self.target = None  # a hang-up goes nowhere, whatever the PBX still stores
        return self


class Breakout(Target):
    key: Literal["none", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#"] | None = Field(
        None, description="The key a caller presses to leave the queue. " + wire_doc("breakoutkey")
    )

    @field_validator("key", mode="before")
    @classmethod
    def _key_text(cls, value: Any) -> Any:
        return (
            str(value).lower() if isinstance(value, int) and not isinstance(value, bool) else value
        )


class Queue(KindModel):
    """A call queue. It must already exist on the PBX: the API cannot create one."""

    number: Number = Field(description="Queue number (identity). " + wire_doc("queuenumber"))
    renamed_from: Number | None = Field(
        None, description="Renumber: the number this queue has on the PBX now."
    )
    name: str | None = Field(None, description=wire_doc('queuename (query: "queue name")'))
    password: str | None = Field(
        None, description="Password for dynamic agents to join (sensitive). " + wire_doc("password")
    )
    ring_strategy: (
        Literal["ring-all", "least-recent", "fewest-calls", "random", "rrmemory", "linear"] | None
    ) = Field(None, description=wire_doc("ringstrategy"))
    agents: list[Number] | None = Field(
        None, description="Static agents: extension numbers (a set). " + wire_doc("agents")
    )
    agent_timeout: Tens | None = Field(
        None, description="Seconds an agent rings. " + wire_doc("agenttimeout")
    )
    wrapup_time: Tens | None = Field(None, description="Seconds. " + wire_doc("wrapuptime"))
    retry: Tens | None = Field(None, description="Seconds between tries. " + wire_doc("retry"))
    max_wait_time: Literal[300, 600, 900, 1200, 1800] | None = Field(
        None, description="Seconds. " + wire_doc("maxwaittime")
    )
    ring_in_use: bool | None = Field(None, description=wire_doc("ringinuse"))
    join_empty: bool | None = Field(
        None, description="Callers may join with no agent. " + wire_doc("joinempty")
    )
    leave_when_empty: bool | None = Field(None, description=wire_doc("leavewhenempty"))
    announce_position: bool | None = Field(None, description=wire_doc("announcepos"))
    announce_frequency: Frequency | None = Field(
        None, description="Seconds. " + wire_doc("announcefreq (query: announcfreq)")
    )
    announce_hold_time: bool | None = Field(None, description=wire_doc("announceholdtime"))
    user_announce_frequency: Frequency | None = Field(
        None, description="Seconds. " + wire_doc("userannouncefreq (query: userannouncfreq)")
    )
    failover: Target | None = Field(None, description="Where callers go when the queue fails them.")
    breakout: Breakout | None = Field(
        None, description="The key that takes callers out, and where."
    )
    id_announcement: str | None = Field(
        None, description="Prompt announcing the agent id. " + wire_doc("idannouncement")
    )
    satisfaction_survey: str | None = Field(
        None, description="Survey prompt. " + wire_doc("satisfactionsurvey")
    )

    @field_validator("agents")
    @classmethod
    def _as_set(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else SET.decode(",".join(value))


class QueueKind(NumberedKind):
    name = "queue"
    section = "queues"
    title = "queue"
    model = Queue
    key_fields = ("number",)
    query = Query("queue/query", select="queueid", everything=None, answer=("queues",))
    may_be_external = True
    update_endpoint = "queue/update"
    id_wire = "queueid"
    together = ("failover", "breakout")  # an action and its target, checked as a pair
    sensitive = frozenset({"password"})
    wire = (
        Wire("number", "queuenumber"),
        Wire("name", "queuename", read=("queue name",)),
        Wire("password", "password"),
        Wire("ring_strategy", "ringstrategy", STRATEGY),
        Wire("agents", "agents", SET),
        Wire("agent_timeout", "agenttimeout", TENS),
        Wire("wrapup_time", "wrapuptime", TENS),
        Wire("retry", "retry", TENS),
        Wire("max_wait_time", "maxwaittime", MAX_WAIT),
        Wire("ring_in_use", "ringinuse", ON_OFF),
        Wire("join_empty", "joinempty", ON_OFF),
        Wire("leave_when_empty", "leavewhenempty", ON_OFF),
        Wire("announce_position", "announcepos", ON_OFF),
        Wire("announce_frequency", "announcefreq", FREQUENCY, read=("announcfreq",)),
        Wire("announce_hold_time", "announceholdtime", ON_OFF),
        Wire("user_announce_frequency", "userannouncefreq", FREQUENCY, read=("userannouncfreq",)),
        Wire("failover.action", "failoveraction", FAILOVER_ACTION),
        Wire("failover.target", "failoverdest"),
        Wire("breakout.key", "breakoutkey", BREAKOUT_KEY),
        Wire("breakout.action", "breakoutaction", BREAKOUT_ACTION),
        Wire("breakout.target", "breakoutdest"),
        Wire("id_announcement", "idannouncement"),
        Wire("satisfaction_survey", "satisfactionsurvey"),
    )
    read_only = {
        "agent_announce": "agentannounce",
        "music_on_hold": "musiconhold",
        "join_announce": "joinannounce",
        "user_announce": "userannounce",
    }
    moved = {
        "dynamic_agents": "dynamic agents log in and out at run time; they are not configuration"
    }

    def after_decode(self, data: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
        for group in ("failover", "breakout"):
            if data.get(group, {}).get("target") == "":
                del data[group]["target"]
        return data

    def refs(self, obj: Any) -> list[Ref]:
        out = [Ref("extension", (a,), f"agents[{i}]") for i, a in enumerate(obj.agents or [])]
        for group in ("failover", "breakout"):
            target = getattr(obj, group)
            if target is not None and target.target and target.action in TARGET_KIND:
                out.append(Ref(TARGET_KIND[target.action], (target.target,), f"{group}.target"))
        return out
