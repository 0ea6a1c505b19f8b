"""Extensions: `extension/query` (all, one or a comma list), `extension/update` (`extid` +
only the fields to change; `extnumber` renumbers). The API cannot create or delete them.

Wire quirks settled here: query answers `moblie`, update takes `mobile`; the update table
(line 1093 on) spells the forwarding destinations `atransfertto`, the query and the rest of
the manual `atransferto`: writes send the update table's spelling, reads take both. The
query example leaves a forward's destination keys out while the forward is off
(line 1053): such a key is unknown, not empty, and is never compared. `loginpassword`
reads back as its md5, so the plan compares md5(desired) with it. An extension's
outbound routes (`selectoutroute`) are declared on the routes instead.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from pbxconf.digest import md5_hex
from pbxconf.kinds.base import KindModel, NumberedKind, Ref, is_live
from pbxconf.kinds.fields import TEXT, Choice, Integer
from pbxconf.kinds.query import Listing, Query
from pbxconf.kinds.types import Digits, Number, NumberItem, Switch, Text, group, wire

FORWARD_TO = Choice(
    {
        "voicemail": "Voicemail",
        "extension": "Extension",
        "mobile": "Mobile Number",
        "custom": "Custom Number",
    }
)
MONITOR_MODE = Choice(
    {
        "disabled": "Disabled",
        "extensive": "Extensive",
        "listen": "Listen",
        "whisper": "Whisper",
        "barge-in": "Barge-in",
    }
)
RING_TIMEOUT = Choice({n: str(n) for n in (15, 30, 60, 120, 300)})
MAX_DURATION = Choice(
    {
        "follow-system": "Follow System",
        "unlimited": "Unlimited",
        **{n: str(n) for n in (60, 300, 600, 900, 1800, 3600, 6000)},
    }
)


class Forward(BaseModel):
    """Call forwarding: where calls go, and whether it is on. Always, no-answer and busy
    forwarding share it; their wire keys start with `a`, `n` or `b` (`{x}` below)."""

    model_config = ConfigDict(extra="forbid")

    enabled: Switch = wire("{switch}")
    # The update table spells it `{x}transfertto` (line 1093 on), the query `{x}transferto`.
    to: Annotated[str | None, FORWARD_TO] = wire("{x}transfertto", read=("{x}transferto",))
    # An empty target is a value (no target), so an export can clear one on restore.
    extension: Digits = wire(
        "{x}transferext", "Target extension when `to: extension`; empty for none."
    )
    prefix: Annotated[str | None, Field(max_length=7, pattern=r"^[0-9]*$"), TEXT] = wire(
        "{x}transferprefix", "Dial prefix for mobile/custom numbers."
    )
    number: Annotated[str | None, Field(max_length=15, pattern=r"^[0-9]*$"), TEXT] = wire(
        "{x}transfernum", "Number for `to: custom`."
    )

    @model_validator(mode="after")
    def _custom_needs_number(self, info: ValidationInfo) -> Forward:
        # The update table: the number must not be empty for Custom Number (lines 1123, 1136).
        if self.to == "custom" and not self.number and not is_live(info):
            raise ValueError("forwarding `to: custom` needs a `number`")
        return self


class Voicemail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: Switch = wire("hasvoicemail")
    pin: Digits = wire("vmsecret", "Voicemail PIN (sensitive).")
    to_email: Switch = wire("enablevmtoemail", "Send voicemail to email.")


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = wire("registername", "SIP registration name.")
    password: Text = wire("registerpassword", "SIP registration password (sensitive).")
    max_registrations: Annotated[int | None, Field(ge=1), Integer()] = wire("maxregistrations")


class Extension(KindModel):
    """An extension. It must already exist on the PBX: the API cannot create one."""

    number: Number = wire("extnumber", "The extension number (identity).", default=...)
    renamed_from: NumberItem | None = Field(
        None, description="Renumber: the number this extension has on the PBX now."
    )
    name: Text = wire("username")
    caller_id: Text = wire("callerid")
    registration: Registration | None = None
    user_password: Text = wire(
        "loginpassword", "Web/user password (sensitive); the PBX keeps only its md5."
    )
    email: Text = wire("email")
    mobile: Text = wire("mobile", read=("moblie",))
    voicemail: Voicemail | None = None
    always_forward: Forward | None = group("Always forward.", x="a", switch="alwaysforward")
    no_answer_forward: Forward | None = group(
        "Forward when not answered.", x="n", switch="noanswerforward"
    )
    busy_forward: Forward | None = group("Forward when busy.", x="b", switch="busyforward")
    allow_monitoring: Switch = wire("allowbeingmonitored", "Allow being monitored.")
    monitor_mode: Annotated[str | None, MONITOR_MODE] = wire("monitormode")
    ring_timeout: Annotated[int | None, RING_TIMEOUT] = wire("ringtimeout", "Seconds.")
    max_call_duration: Annotated[int | str | None, MAX_DURATION] = wire(
        "maxduration", "Seconds, `unlimited` or `follow-system`."
    )
    dnd: Switch = wire("dnd", "Do not disturb.")
    call_restriction: Switch = wire("callrestriction", "Outbound call restriction.")
    agent_id: Text = wire("agentid", "Number announced as the agent id.")


class ExtensionKind(NumberedKind):
    name = "extension"
    section = "extensions"
    title = "extension"
    model = Extension
    key_fields = ("number",)
    # The query example asks for one or a comma list in `extid`, for all without it. Each
    # extension answers every outbound route it is not in (`unselectoutroute`, 13 KB with
    # 1,500 routes): listed first, then asked for 500 at a time, no answer is huge.
    query = Query(
        "extension/query",
        select="extid",
        everything=None,
        answer=("extinfos",),
        batch=500,
        listed_by=Listing("extensionlist/query", answer=("extlist",)),
    )
    may_be_external = True
    reported_as = ("extension", "extid")  # the report example names it by `extid`
    not_exportable = {"user_password": "extension user passwords (the PBX answers only their md5)"}
    update_endpoint = "extension/update"
    id_wire = "extid"
    together = ("always_forward", "no_answer_forward", "busy_forward")
    sensitive = frozenset({"registration.password", "user_password", "voicemail.pin"})
    compared_as = frozenset({"user_password"})  # as its md5: see comparable
    read_only = {
        "status": "status",
        "type": "type",
        "language": "language",
        "ring_simultaneously": "ringsimultaneous",
        "mobile_prefix": "mobileprefix",
        "enable_mobile": "enablemobile",
        "unselected_outbound_routes": "unselectoutroute",
    }
    not_read = {
        "status": "the extension's state now (registered, busy...), not configuration",
        "type": "the extension's type (SIP), which the API cannot change",
        "language": "read-only: extension/update has no such key",
        "ringsimultaneous": "read-only: extension/update has no such key",
        "mobileprefix": "read-only: extension/update has no such key",
        "enablemobile": "read-only: extension/update has no such key",
        "inbound": "a call in progress, not configuration",
        "outbound": "a call in progress, not configuration",
        "ext": "a call in progress, not configuration",
        "unselectoutroute": "the outbound routes the extension is not in: read from the routes",
        "selectoutroute": "the outbound routes the extension is in: declared on each route",
    }
    moved = {
        "outbound_routes": "list the extension in each outbound route's `extensions` instead",
        "selectoutroute": "list the extension in each outbound route's `extensions` instead",
    }

    def refs(self, obj: Any) -> list[Ref]:
        out = []
        for field in ("always_forward", "no_answer_forward", "busy_forward"):
            forward = getattr(obj, field)
            if forward is not None and forward.extension:
                out.append(Ref("extension", (forward.extension,), f"{field}.extension"))
        return out

    def comparable(self, field: str, value: Any) -> Any:
        # The PBX answers the user password as its md5 digest.
        if field == "user_password" and isinstance(value, str):
            return md5_hex(value)
        return value
