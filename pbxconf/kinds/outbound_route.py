"""Outbound routes: `outroute/query` (`all` or names), `outroute/add`, `outroute/update`
(`id` and the whole route; `name` renames), `outroute/delete` (comma list of names).

Trunk order is failover order (an ordered list); the extension list is a set. An
extension's `selectoutroute` is the same relation seen from the extension: pbxconf
manages it here only, so the two can never fight in a plan.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from pbxconf.kinds.base import KindModel, Ref, Wire
from pbxconf.kinds.fields import ORDERED, SET, Integer
from pbxconf.kinds.query import Query
from pbxconf.kinds.routes import RouteKind
from pbxconf.kinds.types import Name, Number, wire_doc


class OutboundRoute(KindModel):
    """Which extensions may dial out through which trunks, for which numbers."""

    name: Name = Field(description="Route name (identity). " + wire_doc("name"))
    renamed_from: Name | None = Field(None, description="Rename: the route's name on the PBX now.")
    pattern: str = Field(description="Dial pattern, e.g. `9.` or `0X.`. " + wire_doc("prefix"))
    strip: int | None = Field(
        None, ge=0, description="Digits stripped from the front. " + wire_doc("strip")
    )
    prepend: str | None = Field(None, description="Digits added in front. " + wire_doc("prepend"))
    trunks: list[Name] = Field(
        min_length=1, description="Trunks in failover order. " + wire_doc("trunks")
    )
    extensions: list[Number] | None = Field(
        None, description="Extensions allowed to use the route (a set). " + wire_doc("extensions")
    )
    extension_groups: list[Name] | None = Field(
        None, description="Extension groups allowed (a set). " + wire_doc("extensionsgroup")
    )

    @field_validator("extensions", "extension_groups")
    @classmethod
    def _as_set(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else SET.decode(",".join(value))


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
    wire = (
        Wire("name", "name"),
        Wire("pattern", "prefix"),
        Wire("strip", "strip", Integer(blank=0)),  # no digits stripped
        Wire("prepend", "prepend"),
        Wire("trunks", "trunks", ORDERED),
        Wire("extensions", "extensions", SET),
        Wire("extension_groups", "extensionsgroup", SET),
    )

    def refs(self, obj: Any) -> list[Ref]:
        out = [Ref("trunk", (t,), f"trunks[{i}]") for i, t in enumerate(obj.trunks)]
        out += [
            Ref("extension", (e,), f"extensions[{i}]") for i, e in enumerate(obj.extensions or [])
        ]
        return out
