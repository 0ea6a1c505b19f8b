"""Extensions: `extension/query` (all, one or a comma list), `extension/update` (`extid` +
only the fields to change; `extnumber` renumbers). The API cannot create or delete them.

Wire quirks settled here: query answers `moblie`, update takes `mobile`; the update table
spells the forwarding destinations `atransfertto`, the rest of the manual `atransferto`;
`loginpassword` reads back as its md5, so the plan compares md5(desired) with it.
An extension's outbound routes (`selectoutroute`) are declared on the routes instead.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pbxconf.kinds.base import KindModel, NumberedKind, Wire
from pbxconf.kinds.fields import INTEGER, ON_OFF, TEXT, Choice
from pbxconf.kinds.query import Query
from pbxconf.kinds.types import Digits, Number, wire_doc

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
RING_TIMEOUT = Choice({15: "15", 30: "30", 60: "60", 120: "120", 300: "300"})
MAX_DURATION = Choice(
    {
        "follow-system": "Follow System",
        "unlimited": "Unlimited",
        **{n: str(n) for n in (60, 300, 600, 900, 1800, 3600, 6000)},
    }
)


class Forward(BaseModel):
    """Call forwarding: where calls go, and whether it is on."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = Field(
        None, description=wire_doc("alwaysforward / noanswerforward / busyforward")
    )
    to: Literal["voicemail", "extension", "mobile", "custom"] | None = Field(
        None, description=wire_doc("atransferto / ntransferto / btransferto")
    )
    extension: Digits | None = Field(
        None,
        description="Target extension when `to: extension`; empty for none. "
        + wire_doc("?transferext"),
    )
    prefix: Annotated[Digits, Field(max_length=7)] | None = Field(
        None, description="Dial prefix for mobile/custom numbers. " + wire_doc("?transferprefix")
    )
    number: Annotated[Digits, Field(max_length=15)] | None = Field(
        None, description="Number for `to: custom`. " + wire_doc("?transfernum")
    )


class Voicemail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = Field(None, description=wire_doc("hasvoicemail"))
    pin: Digits | None = Field(
        None, description="Voicemail PIN (sensitive). " + wire_doc("vmsecret")
    )
    to_email: bool | None = Field(
        None, description="Send voicemail to email. " + wire_doc("enablevmtoemail")
    )


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="SIP registration name. " + wire_doc("registername"))
    password: str | None = Field(
        None, description="SIP registration password (sensitive). " + wire_doc("registerpassword")
    )
    max_registrations: int | None = Field(None, ge=1, description=wire_doc("maxregistrations"))


class Extension(KindModel):
    """An extension. It must already exist on the PBX: the API cannot create one."""

    number: Number = Field(description="The extension number (identity). " + wire_doc("extnumber"))
    renamed_from: Number | None = Field(
        None, description="Renumber: the number this extension has on the PBX now."
    )
    name: str | None = Field(None, description=wire_doc("username"))
    caller_id: str | None = Field(None, description=wire_doc("callerid"))
    registration: Registration | None = None
    user_password: str | None = Field(
        None,
        description="Web/user password (sensitive); the PBX keeps only its md5. "
        + wire_doc("loginpassword"),
    )
    email: str | None = Field(None, description=wire_doc("email"))
    mobile: str | None = Field(None, description=wire_doc("mobile (query: moblie)"))
    voicemail: Voicemail | None = None
    always_forward: Forward | None = None
    no_answer_forward: Forward | None = None
    busy_forward: Forward | None = None
    allow_monitoring: bool | None = Field(
        None, description="Allow being monitored. " + wire_doc("allowbeingmonitored")
    )
    monitor_mode: Literal["disabled", "extensive", "listen", "whisper", "barge-in"] | None = Field(
        None, description=wire_doc("monitormode")
    )
    ring_timeout: Literal[15, 30, 60, 120, 300] | None = Field(
        None, description="Seconds. " + wire_doc("ringtimeout")
    )
    max_call_duration: (
        Literal["follow-system", "unlimited", 60, 300, 600, 900, 1800, 3600, 6000] | None
    ) = Field(
        None, description="Seconds, `unlimited` or `follow-system`. " + wire_doc("maxduration")
    )
    dnd: bool | None = Field(None, description="Do not disturb. " + wire_doc("dnd"))
    call_restriction: bool | None = Field(
        None, description="Outbound call restriction. " + wire_doc("callrestriction")
    )
    agent_id: str | None = Field(
        None, description="Number announced as the agent id. " + wire_doc("agentid")
    )


def _forward_wires(field: str, letter: str, switch: str) -> tuple[Wire, ...]:
    return (
        Wire(f"{field}.enabled", switch, ON_OFF),
        Wire(f"{field}.to", f"{letter}transferto", FORWARD_TO, read=(f"{letter}transfertto",)),
        # An empty target is a value (no target), so an export can clear one on restore.
        Wire(f"{field}.extension", f"{letter}transferext"),
        Wire(f"{field}.prefix", f"{letter}transferprefix"),
        Wire(f"{field}.number", f"{letter}transfernum"),
    )


class ExtensionKind(NumberedKind):
    name = "extension"
    section = "extensions"
    title = "extension"
    model = Extension
    key_fields = ("number",)
    # The query example asks for one or a comma list in `extid`, for all without it.
    query = Query("extension/query", select="extid", everything=None, answer=("extinfos",))
    may_be_external = True
    not_exportable = {"user_password": "extension user passwords (the PBX answers only their md5)"}
    update_endpoint = "extension/update"
    id_wire = "extid"
    together = ("always_forward", "no_answer_forward", "busy_forward")
    sensitive = frozenset({"registration.password", "user_password", "voicemail.pin"})
    wire = (
        Wire("number", "extnumber"),
        Wire("name", "username"),
        Wire("caller_id", "callerid"),
        Wire("registration.name", "registername"),
        Wire("registration.password", "registerpassword"),
        Wire("registration.max_registrations", "maxregistrations", INTEGER),
        Wire("user_password", "loginpassword"),
        Wire("email", "email"),
        Wire("mobile", "mobile", read=("moblie",)),
        Wire("voicemail.enabled", "hasvoicemail", ON_OFF),
        Wire("voicemail.pin", "vmsecret"),
        Wire("voicemail.to_email", "enablevmtoemail", ON_OFF),
        *_forward_wires("always_forward", "a", "alwaysforward"),
        *_forward_wires("no_answer_forward", "n", "noanswerforward"),
        *_forward_wires("busy_forward", "b", "busyforward"),
        Wire("allow_monitoring", "allowbeingmonitored", ON_OFF),
        Wire("monitor_mode", "monitormode", MONITOR_MODE),
        Wire("ring_timeout", "ringtimeout", RING_TIMEOUT),
        Wire("max_call_duration", "maxduration", MAX_DURATION),
        Wire("dnd", "dnd", ON_OFF),
        Wire("call_restriction", "callrestriction", ON_OFF),
        Wire("agent_id", "agentid", TEXT),
    )
    read_only = {
        "status": "status",
        "type": "type",
        "language": "language",
        "ring_simultaneously": "ringsimultaneous",
        "mobile_prefix": "mobileprefix",
        "enable_mobile": "enablemobile",
        "unselected_outbound_routes": "unselectoutroute",
    }
    moved = {
        "outbound_routes": "list the extension in each outbound route's `extensions` instead",
        "selectoutroute": "list the extension in each outbound route's `extensions` instead",
    }

    def refs(self, obj: Any) -> list[Any]:
        from pbxconf.kinds.base import Ref

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


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()
