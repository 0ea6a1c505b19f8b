"""Inbound routes: `inroute/query` (`all` or names), `inroute/add`, `inroute/update` (`id`
and the whole route; `name` renames), `inroute/delete` (comma list of names).

The destination type is spelled `extrange` by the query and update tables and `exrange`
by the add table (lines 1577, 1630): both decode to `extension_range`, and each write
sends its own table's spelling.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from pbxconf.kinds.base import KindModel, Ref, is_live
from pbxconf.kinds.fields import Choice
from pbxconf.kinds.query import Query
from pbxconf.kinds.routes import RouteKind
from pbxconf.kinds.types import Name, SomeNames, Text, wire

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
    on={"inroute/add": {"extension_range": "exrange"}},
)
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
    type: Annotated[str, DEST_TYPE] = wire("desttype", default=...)
    target: Text = wire("dest", "Extension, IVR or queue number, range `1000-1009`, route name...")

    @model_validator(mode="after")
    def _target_needed(self, info: ValidationInfo) -> Destination:
        if self.type != "hangup" and not self.target and not is_live(info):
            raise ValueError(f"a `{self.type}` destination needs a `target`")
        if self.type == "hangup":
            self.target = None
        return self


class InboundRoute(KindModel):
    """Where calls arriving on trunks go."""

    name: Name = wire("name", "Route name (identity).", default=...)
    renamed_from: Annotated[str, Field(min_length=1)] | None = Field(
        None, description="Rename: the route's name on the PBX now."
    )
    did: Text = wire("did", "DID pattern to match.")
    caller_id: Text = wire("caller_id", "Caller id pattern to match.")
    trunks: SomeNames = wire("trunks", "Trunks the route listens on (a set).", default=...)
    destination: Destination = Field(description="Where calls go.")


class InboundRouteKind(RouteKind):
    name = "inbound_route"
    section = "inbound_routes"
    title = "inbound route"
    model = InboundRoute
    key_fields = ("name",)
    prefix = "inroute"
    query = Query("inroute/query", select="name", everything="all", answer=("inroutes",))
    blank = {"did": "", "caller_id": "", "dest": ""}

    def after_decode(self, data: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
        dest = data.get("destination", {})
        if dest.get("target") == "":
            dest.pop("target")
        return data

    def refs(self, obj: Any) -> list[Ref]:
        out = [Ref("trunk", (t,), f"trunks[{i}]") for i, t in enumerate(_names(obj.trunks))]
        kind = TARGET_KIND.get(obj.destination.type)
        if kind and obj.destination.target:
            out.append(Ref(kind, (obj.destination.target,), "destination.target"))
        return out


def _names(value: Any) -> list[str]:
    """A list of names, or none where the PBX holds a value that is not one."""
    return value if isinstance(value, list) else []
