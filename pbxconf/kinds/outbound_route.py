"""Outbound routes: `outroute/query` (`all` or names), `outroute/add`, `outroute/update`
(`id` and the whole route; `name` renames), `outroute/delete` (comma list of names).

Trunk order is failover order (an ordered list); the extension list is a set. An
extension's `selectoutroute` is the same relation seen from the extension: pbxconf
manages it here only, so the two can never fight in a plan.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from pbxconf.kinds.base import KindModel, Ref
from pbxconf.kinds.fields import TEXT, Integer
from pbxconf.kinds.inbound_route import _names
from pbxconf.kinds.query import Query
from pbxconf.kinds.routes import RouteKind
from pbxconf.kinds.types import Name, Names, Numbers, SomeNamesInOrder, Text, wire


class OutboundRoute(KindModel):
    """Which extensions may dial out through which trunks, for which numbers."""

    name: Name = wire("name", "Route name (identity).", default=...)
    renamed_from: Annotated[str, Field(min_length=1)] | None = Field(
        None, description="Rename: the route's name on the PBX now."
    )
    # The add and update tables mark it required; an empty pattern matches nothing.
    pattern: Annotated[str, Field(min_length=1), TEXT] = wire(
        "prefix", "Dial pattern, e.g. `9.` or `0X.`.", default=...
    )
    strip: Annotated[int | None, Field(ge=0), Integer(blank=0)] = wire(
        "strip", "Digits stripped from the front (an empty answer: none)."
    )
    prepend: Text = wire("prepend", "Digits added in front.")
    trunks: SomeNamesInOrder = wire("trunks", "Trunks in failover order.", default=...)
    extensions: Numbers = wire("extensions", "Extensions allowed to use the route (a set).")
    extension_groups: Names = wire("extensionsgroup", "Extension groups allowed (a set).")


class OutboundRouteKind(RouteKind):
    name = "outbound_route"
    section = "outbound_routes"
    title = "outbound route"
    model = OutboundRoute
    key_fields = ("name",)
    prefix = "outroute"
    query = Query("outroute/query", select="name", everything="all", answer=("outroutes",))
    may_be_external = True
    blank = {"strip": "", "prepend": "", "extensions": "", "extensionsgroup": ""}

    def refs(self, obj: Any) -> list[Ref]:
        out = [Ref("trunk", (t,), f"trunks[{i}]") for i, t in enumerate(_names(obj.trunks))]
        out += [
            Ref("extension", (e,), f"extensions[{i}]") for i, e in enumerate(_names(obj.extensions))
        ]
        return out
