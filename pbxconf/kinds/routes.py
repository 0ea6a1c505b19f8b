"""Shared by inbound and outbound routes: both are found by `name`, carry the PBX's `id`,
are written whole (the update tables mark their fields required), renamed by `name` in an
update with the `id`, and deleted many at a time with a comma list of names."""

from __future__ import annotations

from typing import Any, ClassVar

from pbxconf.kinds.base import ApiCall, Key, Kind, as_held


class RouteKind(Kind):
    """Inbound and outbound routes; subclasses name the endpoints' prefix."""

    prefix: ClassVar[str] = ""
    can_rename = True
    # Fields a write sends empty rather than leaves out (the tables list them all).
    blank: ClassVar[dict[str, str]] = {}
    id_key = "id"
    not_read = {"id": "the PBX's own id of the route, kept for its updates"}

    def _whole(self, obj: Any, endpoint: str) -> dict[str, Any]:
        return {**self.blank, **self.to_wire(as_held(obj), endpoint)}

    def create_calls(self, objs: list[Any]) -> list[ApiCall]:
        endpoint = f"{self.prefix}/add"
        return [self.call(endpoint, self._whole(obj, endpoint)) for obj in objs]

    def update_call(
        self, key: Key, wire_id: str | None, live: Any, merged: Any, changed: Any
    ) -> ApiCall:
        endpoint = f"{self.prefix}/update"
        return self.call(endpoint, {"id": wire_id or "", **self._whole(merged, endpoint)})

    def delete_calls(self, doomed: list[tuple[Key, str | None]]) -> list[ApiCall]:
        return [self.call(f"{self.prefix}/delete", {"name": ",".join(k[0] for k, _ in doomed)})]
