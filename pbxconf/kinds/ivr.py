"""IVRs: `ivr/query` (all, or a comma list in `ivrid`), `ivr/update` (`ivrId` + only the
fields to change; `ivrNumber` renumbers). The API cannot create or delete them.

The tables and the update example write camel case (`ivrNumber`, `promptRepeat`...), the
query example answers in lowercase: decode matches either (without regard to case),
writes send camel case as the update example does.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from pbxconf.kinds.base import KindModel, NumberedKind, Wire
from pbxconf.kinds.fields import INTEGER, ON_OFF
from pbxconf.kinds.query import Query
from pbxconf.kinds.types import Number, wire_doc

IvrName = Annotated[
    str, Field(min_length=1, max_length=31, pattern=r"^[^!$()/#;,\[\]\"=<>&'`^%@{} ]+$")
]


class Ivr(KindModel):
    """An IVR. It must already exist on the PBX: the API cannot create one."""

    number: Number = Field(description="IVR number (identity). " + wire_doc("ivrNumber"))
    renamed_from: Number | None = Field(
        None, description="Renumber: the number this IVR has on the PBX now."
    )
    name: IvrName | None = Field(
        None,
        description="Up to 31 characters, no spaces or !$()/#;,[]\"=<>&'`^%@{}. "
        + wire_doc("ivrName"),
    )
    prompt_repeat: int | None = Field(
        None, ge=1, le=5, description="Times the prompt plays. " + wire_doc("promptRepeat")
    )
    response_timeout: int | None = Field(
        None, ge=1, le=10, description="Seconds. " + wire_doc("responseTimeout")
    )
    digit_timeout: int | None = Field(
        None, ge=1, le=10, description="Seconds. " + wire_doc("digitTimeout")
    )
    dial_extensions: bool | None = Field(
        None, description="Callers may dial extensions. " + wire_doc("dialExt")
    )
    dial_to_check_voicemail: bool | None = Field(
        None, description="Callers may check voicemail. " + wire_doc("dialToCheckVoiceMail")
    )


class IvrKind(NumberedKind):
    name = "ivr"
    section = "ivrs"
    title = "IVR"
    model = Ivr
    key_fields = ("number",)
    # The query example sends lowercase `ivrid` (the table `ivrId`) and answers `ivr`.
    query = Query("ivr/query", select="ivrid", everything=None, answer=("ivr", "ivrs"))
    may_be_external = True
    update_endpoint = "ivr/update"
    id_wire = "ivrId"  # as the update example writes it
    wire = (
        Wire("number", "ivrNumber"),
        Wire("name", "ivrName"),
        Wire("prompt_repeat", "promptRepeat", INTEGER),
        Wire("response_timeout", "responseTimeout", INTEGER),
        Wire("digit_timeout", "digitTimeout", INTEGER),
        Wire("dial_extensions", "dialExt", ON_OFF),
        Wire("dial_to_check_voicemail", "dialToCheckVoiceMail", ON_OFF),
    )
    read_only = {
        "prompt": "prompt",
        "dial_outbound_routes": "dialOutboundRoutes",
        "selected_routes": "selectedRoutes",
    }
