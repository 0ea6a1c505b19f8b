"""Wake-up calls (hotel alarms): `wakeupcall/query` (`extid`, a comma list answered as
`{"wakeups": [{"extid", "wakeup": [...]}]}`), `wakeupcall/create` (`extid` may list many
extensions; only the first item of `wakeup` is applied), `wakeupcall/update` (`extid` +
`wakeupid` + the whole item), `wakeupcall/delete` (`extid` + comma list of `wakeupid`).

Identity is extension + time. The tables write `Repeatinterval` and `Prompt`, the examples
lowercase: decode matches either, writes send lowercase. A `once` alarm is deleted by the
PBX after it has rung: re-applying a manifest recreates it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from pbxconf.kinds.base import ApiCall, Key, Kind, KindModel, Ref, Wire, full
from pbxconf.kinds.fields import INTEGER, TEXT, Choice, DecodeError
from pbxconf.kinds.query import Grouped, Query
from pbxconf.kinds.types import Number, Time, wire_doc

WAKEUP_TYPE = Choice({"once": "onetime", "everyday": "everyday", "custom": "custom"})
REPEATS = Choice({1: "1", 2: "2", 3: "3"})


class Weekdays:
    """`"1,3,5"` <-> [1, 3, 5] (0 is Sunday)."""

    def decode(self, raw: Any) -> Any:
        try:
            days = sorted({int(p) for p in TEXT.decode(raw).split(",") if p.strip()})
        except ValueError:
            raise DecodeError(f"weekdays {raw!r} are not numbers 0-6") from None
        return days or None

    def encode(self, value: Any) -> Any:
        return ",".join(str(d) for d in value or [])


class WakeupCall(KindModel):
    """A wake-up call for one extension at one time of day."""

    extension: Number = Field(description="Extension (identity, with time). " + wire_doc("extid"))
    time: Time = Field(description="HH:MM, 24-hour (identity, with extension). " + wire_doc("time"))
    type: Literal["once", "everyday", "custom"] = Field(
        description="`once` (the PBX deletes it after it rings), `everyday`, or `custom` days. "
        + wire_doc("type")
    )
    weekdays: list[int] | None = Field(
        None, description="For `custom`: days 0-6, 0 is Sunday. " + wire_doc("weekdays")
    )
    repeats: Literal[1, 2, 3] | None = Field(
        None, description="Times it rings. " + wire_doc("repeats")
    )
    repeat_interval: int | None = Field(
        None, ge=1, description="Minutes between rings. " + wire_doc("repeatinterval")
    )
    prompt: str | None = Field(None, description="A custom prompt's name. " + wire_doc("prompt"))

    @field_validator("weekdays")
    @classmethod
    def _days(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return None
        if any(d < 0 or d > 6 for d in value):
            raise ValueError("weekdays are 0-6 (0 is Sunday)")
        return sorted(set(value))

    @model_validator(mode="after")
    def _custom_needs_days(self) -> WakeupCall:
        if self.type == "custom" and not self.weekdays:
            raise ValueError("a `custom` wake-up call needs `weekdays`")
        return self


class WakeupCallKind(Kind):
    name = "wakeup_call"
    section = "wakeup_calls"
    title = "wake-up call"
    model = WakeupCall
    key_fields = ("extension", "time")
    # Asked for by extension number once the extensions are read, all in one comma-list
    # query (5,000 numbers are a body of about 25 KB, which an embedded web server
    # takes); answered `{"wakeups": [{"extid": ..., "wakeup": [...]}]}`.
    query = Query(
        "wakeupcall/query",
        select="extid",
        everything=None,
        answer=("wakeups",),
        after="extension",
        batch=5000,
        one_by_one_fallback=True,
        grouped=Grouped(key="extid", items="wakeup"),
    )
    batches_creates = True
    wire = (
        Wire("extension", "extid"),
        Wire("time", "time"),
        Wire("type", "type", WAKEUP_TYPE),
        Wire("weekdays", "weekdays", Weekdays()),
        Wire("repeats", "repeats", REPEATS),
        Wire("repeat_interval", "repeatinterval", INTEGER),
        Wire("prompt", "prompt"),
    )

    def fit(self, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("type") != "custom":
            data.pop("weekdays", None)
        return data

    def after_decode(self, data: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
        return self.fit(data)

    def wire_id(self, record: dict[str, Any]) -> str | None:
        return str(record.get("wakeupid", "")) or None

    def refs(self, obj: Any) -> list[Ref]:
        return [Ref("extension", (obj.extension,), "extension")]

    def _item(self, obj: Any) -> dict[str, Any]:
        item = self.to_wire(full(obj))
        item.pop("extid", None)
        item.setdefault("repeats", "1")  # required by create; the PBX's own default
        return item

    def create_calls(self, objs: list[Any]) -> list[ApiCall]:
        # One call per distinct alarm: `extid` takes every extension that gets the same one.
        groups: dict[tuple[tuple[str, Any], ...], list[str]] = defaultdict(list)
        for obj in objs:
            groups[tuple(sorted(self._item(obj).items()))].append(obj.extension)
        return [
            self.call("wakeupcall/create", {"extid": ",".join(exts), "wakeup": [dict(item)]})
            for item, exts in groups.items()
        ]

    def update_call(
        self, key: Key, wire_id: str | None, live: Any, merged: Any, changed: Any
    ) -> ApiCall:
        body = {"extid": key[0], "wakeupid": wire_id or "", "wakeup": [self._item(merged)]}
        return self.call("wakeupcall/update", body)

    def delete_calls(self, doomed: list[tuple[Key, str | None]]) -> list[ApiCall]:
        by_extension: dict[str, list[str]] = defaultdict(list)
        for key, wire_id in doomed:
            by_extension[key[0]].append(wire_id or "")
        return [
            self.call("wakeupcall/delete", {"extid": ext, "wakeupid": ",".join(ids)})
            for ext, ids in by_extension.items()
        ]
