"""Shared by inbound and outbound routes: both are found by `name`, carry the PBX's `id`,
are written whole (the update tables mark their fields required), renamed by `name` in an
update with the `id`, and deleted many at a time with a comma list of names."""

from __future__ import annotations

from typing import Any

from pbxconf.kinds.base import ApiCall, Key, Kind, full


class RouteKind(Kind):
    """Inbound and outbound routes; subclasses name the endpoints' prefix."""

    prefix: str = ""
    can_rename = True

    def wire_id(self, record: dict[str, Any]) -> str | None:
        return str(record.get("id", "")) or None

    def _whole(self, obj: Any) -> dict[str, Any]:
        return {**self.blank, **self.to_wire(full(obj))}

    blank: dict[str, str] = {}

    def create_calls(self, objs: list[Any]) -> list[ApiCall]:
        return [self.call(f"{self.prefix}/add", self._whole(obj)) for obj in objs]

    def update_call(
        self, key: Key, wire_id: str | None, live: Any, merged: Any, changed: Any
    ) -> ApiCall:
        return self.call(f"{self.prefix}/update", {"id": wire_id or "", **self._whole(merged)})

    def delete_calls(self, doomed: list[tuple[Key, str | None]]) -> list[ApiCall]:
        return [self.call(f"{self.prefix}/delete", {"name": ",".join(k[0] for k, _ in doomed)})]
