"""SIP trunks: `siptrunk/query` (`all` or a comma list of names), `siptrunk/add`,
`siptrunk/update` (needs the PBX's `id` and the whole object: every field the add table
requires), `siptrunk/delete` (comma list of names). Renaming is `trunkname` in update.

A trunk is a union on `type`: register (host, port, domain, username, auth_name,
password; from_user optional), peer (host, port, domain), account (username, auth_name,
password). DOD lists travel as `number-name-extension` strings joined by commas.
Needs PBX firmware 81.8.0.42 or later.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from pbxconf.kinds.base import ApiCall, Key, Kind, KindModel, Ref, as_held
from pbxconf.kinds.fields import INTEGER, TEXT, Converter, LiveValue, as_text, sorted_by
from pbxconf.kinds.query import Query
from pbxconf.kinds.types import Name, NumberItem, wire
from pbxconf.text import CONTROL_CLASS

# A DOD entry travels as `number-name-target` in a comma list.
DOD_NAME = rf"^[^,{CONTROL_CLASS}]+$"


class Dod(BaseModel):
    """A DOD (outbound caller) number bound to one extension."""

    model_config = ConfigDict(extra="forbid")
    number: Annotated[str, Field(pattern=r"^[0-9+]+$")]
    name: Annotated[str, Field(min_length=1, pattern=DOD_NAME)]
    extension: NumberItem


class GroupDod(BaseModel):
    """A DOD number bound to an extension group."""

    model_config = ConfigDict(extra="forbid")
    number: Annotated[str, Field(pattern=r"^[0-9+]+$")]
    name: Annotated[str, Field(min_length=1, pattern=DOD_NAME)]
    group: Annotated[str, Field(min_length=1, pattern=rf"^[^,\-{CONTROL_CLASS}]+$")]


class DodList(Converter):
    """`"5503301-yeastar-1000,5503302-x-1001"` <-> a list of DOD objects (a set: sorted by
    its type). An entry that is not number-name-target keeps the list as the PBX has it."""

    def __init__(self, target: str) -> None:
        self.target = target

    def decode(self, raw: Any) -> Any:
        items = []
        for entry in as_text(raw).split(","):
            entry = entry.strip()
            if not entry:
                continue
            number, _, rest = entry.partition("-")
            name, _, target = rest.rpartition("-")
            if not (number and name and target):
                return LiveValue(as_text(raw))
            items.append({"number": number, "name": name, self.target: target})
        return items

    def encode(self, value: Any, endpoint: str | None = None) -> str:
        if isinstance(value, LiveValue):
            return super().encode(value, endpoint)
        return ",".join(f"{d['number']}-{d['name']}-{d[self.target]}" for d in value or [])


DODS = DodList("extension")
GROUP_DODS = DodList("group")
Dods = Annotated[
    list[Dod] | None,
    AfterValidator(sorted_by(lambda d: (d.extension, d.number, d.name))),
    DODS,
]
GroupDods = Annotated[
    list[GroupDod] | None,
    AfterValidator(sorted_by(lambda d: (d.group, d.number, d.name))),
    GROUP_DODS,
]
Port = Annotated[int, Field(ge=1, le=65535), INTEGER]
Host = Annotated[str, Field(min_length=1), TEXT]
Password = Annotated[str | None, Field(min_length=1), TEXT]


class TrunkBase(KindModel):
    name: Name = wire("trunkname", "Trunk name (identity).", default=...)
    renamed_from: Annotated[str, Field(min_length=1)] | None = Field(
        None, description="Rename: the trunk's name on the PBX now."
    )
    dod: Dods = wire("extensionsdod", "DOD numbers per extension.")
    group_dod: GroupDods = wire("extensionsgroupdod", "DOD numbers per extension group.")


_PASSWORD_DOC = (
    "Sensitive; needed to create the trunk, optional to manage an existing one "
    "(exports with `--secrets redact` leave it out)."
)


class RegisterTrunk(TrunkBase):
    """A trunk that registers to a SIP provider."""

    type: Literal["register"] = wire("trunktype", default=...)
    host: Host = wire("host", "Provider host or IP.", default=...)
    port: Port = wire("port", default=...)
    domain: Host = wire("domain", default=...)
    username: Host = wire("username", default=...)
    auth_name: Host = wire("authname", default=...)
    password: Password = wire("password", _PASSWORD_DOC)
    from_user: Annotated[str | None, TEXT] = wire(
        "fromuser", "From header user; empty if the provider does not support it."
    )


class PeerTrunk(TrunkBase):
    """A peer-to-peer trunk (no registration)."""

    type: Literal["peer"] = wire("trunktype", default=...)
    host: Host = wire("host", "Provider host or IP.", default=...)
    port: Port = wire("port", default=...)
    domain: Host = wire("domain", default=...)


class AccountTrunk(TrunkBase):
    """A trunk another PBX registers to with an account."""

    type: Literal["account"] = wire("trunktype", default=...)
    username: Host = wire("username", default=...)
    auth_name: Host = wire("authname", default=...)
    password: Password = wire("password", _PASSWORD_DOC)


Trunk = Annotated[RegisterTrunk | PeerTrunk | AccountTrunk, Field(discriminator="type")]
TYPE_FIELDS = {
    "register": set(RegisterTrunk.model_fields),
    "peer": set(PeerTrunk.model_fields),
    "account": set(AccountTrunk.model_fields),
}


class TrunkKind(Kind):
    name = "trunk"
    section = "trunks"
    title = "SIP trunk"
    model = Trunk
    key_fields = ("name",)
    can_rename = True
    query = Query("siptrunk/query", select="trunkname", everything="all", answer=("trunks",))
    may_be_external = True
    reported_as = ("trunk", "trunkname")  # the report table names it by `trunkname`
    sensitive = frozenset({"password"})
    id_key = "id"
    not_read = {"id": "the PBX's own id of the trunk, kept for its updates"}

    def fit(self, data: dict[str, Any]) -> dict[str, Any]:
        allowed = TYPE_FIELDS.get(str(data.get("type")), set(data))
        return {k: v for k, v in data.items() if k in allowed}

    def after_decode(self, data: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
        return self.fit(data)

    def refs(self, obj: Any) -> list[Ref]:
        if not isinstance(obj.dod, list):
            return []
        return [
            Ref("extension", (dod.extension,), f"dod[{i}].extension")
            for i, dod in enumerate(obj.dod)
        ]

    def _whole(self, obj: Any, endpoint: str) -> dict[str, Any]:
        # The add and update tables mark every field of the type required: send them all,
        # with the optional ones empty rather than absent.
        body = {"fromuser": "", "extensionsdod": "", "extensionsgroupdod": ""}
        if obj.type != "register":
            body.pop("fromuser")
        body.update(self.to_wire(as_held(obj), endpoint))
        return body

    def missing_for_create(self, obj: Any) -> list[str]:
        return ["password"] if obj.type in ("register", "account") and not obj.password else []

    def create_calls(self, objs: list[Any]) -> list[ApiCall]:
        return [self.call("siptrunk/add", self._whole(obj, "siptrunk/add")) for obj in objs]

    def update_call(
        self, key: Key, wire_id: str | None, live: Any, merged: Any, changed: Any
    ) -> ApiCall:
        body = {"id": wire_id or "", **self._whole(merged, "siptrunk/update")}
        return self.call("siptrunk/update", body)

    def delete_calls(self, doomed: list[tuple[Key, str | None]]) -> list[ApiCall]:
        names = ",".join(key[0] for key, _ in doomed)
        return [self.call("siptrunk/delete", {"trunkname": names})]
