"""Wake-up calls (hotel alarms): `wakeupcall/query` (`extid`, a comma list answered as
`{"wakeups": [{"extid", "wakeup": [...]}]}`), `wakeupcall/create` (`extid` may list many
extensions; only the first item of `wakeup` is applied), `wakeupcall/update` (`extid` +
`wakeupid` + the whole item), `wakeupcall/delete` (`extid` + comma list of `wakeupid`).

Identity is extension + time. The tables write `Repeatinterval` and `Prompt`, the request
examples `repeatinterval` (line 4395) and the query example `prompt`: decode matches any
case; writes send `repeatinterval` as the request examples do, and `Prompt` as the tables
do (no request example has it). A `once` alarm is deleted by the PBX after it has rung:
re-applying a manifest recreates it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from pydantic import Field, ValidationInfo, model_validator

from pbxconf.kinds.base import ApiCall, Key, Kind, KindModel, Ref, as_held, is_live
from pbxconf.kinds.fields import INTEGER, Choice, Converter, LiveValue, as_text
from pbxconf.kinds.query import Grouped, Query
from pbxconf.kinds.types import Number, Text, Time, wire

WAKEUP_TYPE = Choice({"once": "onetime", "everyday": "everyday", "custom": "custom"})
REPEATS = Choice({n: str(n) for n in (1, 2, 3)})


class Weekdays(Converter):
    """`"1,3,5"` <-> [1, 3, 5] (0 is Sunday)."""

    def decode(self, raw: Any) -> Any:
        text = as_text(raw)
        try:
            days = sorted({int(p) for p in text.split(",") if p.strip()})
        except ValueError:
            return LiveValue(text)
        return days or None

    def encode(self, value: Any, endpoint: str | None = None) -> str:
        if isinstance(value, LiveValue):
            return super().encode(value, endpoint)
        return ",".join(str(d) for d in value or [])


class WakeupCall(KindModel):
    """A wake-up call for one extension at one time of day."""

    extension: Number = wire("extid", "Extension (identity, with time).", default=...)
    time: Time = wire("time", "HH:MM, 24-hour (identity, with extension).", default=...)
    type: Annotated[str, WAKEUP_TYPE] = wire(
        "type",
        "`once` (the PBX deletes it after it rings), `everyday`, or `custom` days.",
        default=...,
    )
    weekdays: Annotated[list[Annotated[int, Field(ge=0, le=6)]] | None, Weekdays()] = wire(
        "weekdays", "For `custom`: days 0-6, 0 is Sunday."
    )
    repeats: Annotated[int | None, REPEATS] = wire("repeats", "Times it rings.")
    repeat_interval: Annotated[int | None, Field(ge=1), INTEGER] = wire(
        "repeatinterval", "Minutes between rings."
    )
    prompt: Text = wire("Prompt", "A custom prompt's name.")

    @model_validator(mode="after")
    def _custom_days(self, info: ValidationInfo) -> WakeupCall:
        if isinstance(self.weekdays, list):
            self.weekdays = sorted(set(self.weekdays))
        if self.type == "custom" and not self.weekdays and not is_live(info):
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
    id_key = "wakeupid"
    deletes_by_id = True
    not_read = {"wakeupid": "the PBX's own id of the wake-up call, kept for its updates"}

    def fit(self, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("type") != "custom":
            data.pop("weekdays", None)
        return data

    def after_decode(self, data: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
        return self.fit(data)

    def refs(self, obj: Any) -> list[Ref]:
        return [Ref("extension", (obj.extension,), "extension")]

    def _item(self, obj: Any, endpoint: str) -> dict[str, Any]:
        item = self.to_wire(as_held(obj), endpoint)
        item.pop("extid", None)
        item.setdefault("repeats", "1")  # required by create; the PBX's own default
        return item

    def create_calls(self, objs: list[Any]) -> list[ApiCall]:
        # One call per distinct alarm: `extid` takes every extension that gets the same one.
        groups: dict[tuple[tuple[str, Any], ...], list[str]] = defaultdict(list)
        for obj in objs:
            groups[tuple(sorted(self._item(obj, "wakeupcall/create").items()))].append(
                obj.extension
            )
        return [
            self.call("wakeupcall/create", {"extid": ",".join(exts), "wakeup": [dict(item)]})
            for item, exts in groups.items()
        ]

    def update_call(
        self, key: Key, wire_id: str | None, live: Any, merged: Any, changed: Any
    ) -> ApiCall:
        item = self._item(merged, "wakeupcall/update")
        body = {"extid": key[0], "wakeupid": wire_id or "", "wakeup": [item]}
        return self.call("wakeupcall/update", body)

    def delete_calls(self, doomed: list[tuple[Key, str | None]]) -> list[ApiCall]:
        by_extension: dict[str, list[str]] = defaultdict(list)
        for key, wire_id in doomed:
            by_extension[key[0]].append(wire_id or "")
        return [
            self.call("wakeupcall/delete", {"extid": ext, "wakeupid": ",".join(ids)})
            for ext, ids in by_extension.items()
        ]
