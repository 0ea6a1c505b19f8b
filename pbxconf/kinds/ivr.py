"""IVRs: `ivr/query` (all, or a comma list in `ivrid`), `ivr/update` (`ivrId` + only the
fields to change; `ivrNumber` renumbers). The API cannot create or delete them.

The tables and the update example write camel case (`ivrNumber`, `promptRepeat`...), the
query example answers in lowercase: decode matches either (without regard to case),
writes send camel case as the update example does.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from pbxconf.kinds.base import KindModel, NumberedKind
from pbxconf.kinds.fields import INTEGER, TEXT
from pbxconf.kinds.query import Query
from pbxconf.kinds.types import Number, NumberItem, Switch, wire

# Line 2054: no ！$（）/＃；，[]"=<>&'`^%@{} or space (full-width and ASCII), at most 31.
IvrName = Annotated[
    str | None,
    Field(min_length=1, max_length=31, pattern=r"^[^!$()/#;,\[\]\"=<>&'`^%@{} ！（）＃；，]+$"),
    TEXT,
]


class Ivr(KindModel):
    """An IVR. It must already exist on the PBX: the API cannot create one."""

    number: Number = wire("ivrNumber", "IVR number (identity).", default=...)
    renamed_from: NumberItem | None = Field(
        None, description="Renumber: the number this IVR has on the PBX now."
    )
    name: IvrName = wire(
        "ivrName", "Up to 31 characters, no spaces or !$()/#;,[]\"=<>&'`^%@{} (nor ！（）＃；，)."
    )
    prompt_repeat: Annotated[int | None, Field(ge=1, le=5), INTEGER] = wire(
        "promptRepeat", "Times the prompt plays."
    )
    response_timeout: Annotated[int | None, Field(ge=1, le=10), INTEGER] = wire(
        "responseTimeout", "Seconds."
    )
    digit_timeout: Annotated[int | None, Field(ge=1, le=10), INTEGER] = wire(
        "digitTimeout", "Seconds."
    )
    dial_extensions: Switch = wire("dialExt", "Callers may dial extensions.")
    dial_to_check_voicemail: Switch = wire("dialToCheckVoiceMail", "Callers may check voicemail.")


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
    read_only = {
        "prompt": "prompt",
        "dial_outbound_routes": "dialOutboundRoutes",
        "selected_routes": "selectedRoutes",
    }
    not_read = {
        "prompt": "read-only: ivr/update has no such key",
        "dialOutboundRoutes": "read-only: ivr/update has no such key",
        "selectedRoutes": "read-only: ivr/update has no such key",
    }
