"""Inbound routes: `inroute/query` (`all` or names), `inroute/add`, `inroute/update` (`id`
and the whole route; `name` renames), `inroute/delete` (comma list of names).

The destination type is spelled `extrange` by the query and update tables and `exrange`
by the add table; both decode to `extension_range`, and writes send `extrange`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pbxconf.kinds.base import KindModel, Ref, Wire
from pbxconf.kinds.fields import SET, Choice
from pbxconf.kinds.query import Query
from pbxconf.kinds.routes import RouteKind
from pbxconf.kinds.types import Name, wire_doc

DEST_TYPE = Choice(
    {
        "hangup": "hangup",
        "extension": "extension",
        "extension_range": "extrange",
        "voicemail": "voicemail",
        "ivr": "ivr",
        "ring_group": "ringgroup",
        "queue": "queue",
        "conference": "conference",
        "disa": "disa",
        "callback": "callback",
        "outbound_route": "outroute",
        "fax_to_email": "faxtoemail",
    },
    aliases={"exrange": "extension_range"},
)
DestType = Literal[
    "hangup",
    "extension",
    "extension_range",
    "voicemail",
    "ivr",
    "ring_group",
    "queue",
    "conference",
    "disa",
    "callback",
    "outbound_route",
    "fax_to_email",
]
# Destination types whose target is another managed object.
TARGET_KIND = {
    "extension": "extension",
    "voicemail": "extension",
    "ivr": "ivr",
    "queue": "queue",
    "outbound_route": "outbound_route",
}


class Destination(BaseModel):
    """Where the route sends calls: a type and, except for hangup, its target."""

    model_config = ConfigDict(extra="forbid")
    type: DestType = Field(description=wire_doc("desttype"))
    target: str | None = Field(
        None,
        description="Extension, IVR or queue number, range `1000-1009`, route name... "
        + wire_doc("dest"),
    )

    @model_validator(mode="after")
    def _target_needed(self) -> Destination:
        if self.type != "hangup" and not self.target:
            raise ValueError(f"a `{self.type}` destination needs a `target`")
        if self.type == "hangup":
            self.target = None
        return self


class InboundRoute(KindModel):
    """Where calls arriving on trunks go."""

    name: Name = Field(description="Route name (identity). " + wire_doc("name"))
    renamed_from: Name | None = Field(None, description="Rename: the route's name on the PBX now.")
    did: str | None = Field(None, description="DID pattern to match. " + wire_doc("did"))
    caller_id: str | None = Field(
        None, description="Caller id pattern to match. " + wire_doc("caller_id")
    )
    trunks: list[Name] = Field(
        min_length=1, description="Trunks the route listens on (a set). " + wire_doc("trunks")
    )
    destination: Destination = Field(description="Where calls go. " + wire_doc("desttype + dest"))

    @model_validator(mode="after")
    def _trunk_set(self) -> InboundRoute:
        self.trunks = SET.decode(",".join(self.trunks))
        return self


class InboundRouteKind(RouteKind):
    name = "inbound_route"
    section = "inbound_routes"
    title = "inbound route"
    model = InboundRoute
    key_fields = ("name",)
    prefix = "inroute"
    query = Query("inroute/query", select="name", everything="all", answer=("inroutes",))
    blank = {"did": "", "caller_id": "", "dest": ""}
    wire = (
        Wire("name", "name"),
        Wire("did", "did"),
        Wire("caller_id", "caller_id"),
        Wire("trunks", "trunks", SET),
        Wire("destination.type", "desttype", DEST_TYPE),
        Wire("destination.target", "dest"),
    )

    def after_decode(self, data: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
        dest = data.get("destination", {})
        if dest.get("target") == "":
            dest.pop("target")
        return data

    def refs(self, obj: Any) -> list[Ref]:
        out = [Ref("trunk", (t,), f"trunks[{i}]") for i, t in enumerate(obj.trunks)]
        kind = TARGET_KIND.get(obj.destination.type)
        if kind and obj.destination.target:
            out.append(Ref(kind, (obj.destination.target,), "destination.target"))
        return out
