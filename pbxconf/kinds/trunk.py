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

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pbxconf.kinds.base import ApiCall, Key, Kind, KindModel, Ref, Wire, full
from pbxconf.kinds.fields import INTEGER, TEXT, DecodeError
from pbxconf.kinds.query import Query
from pbxconf.kinds.types import Name, Number, wire_doc


class Dod(BaseModel):
    """A DOD (outbound caller) number bound to one extension."""

    model_config = ConfigDict(extra="forbid")
    number: Annotated[str, Field(pattern=r"^[0-9+]+$")]
    name: Annotated[str, Field(min_length=1, pattern=r"^[^,]+$")]
    extension: Number


class GroupDod(BaseModel):
    """A DOD number bound to an extension group."""

    model_config = ConfigDict(extra="forbid")
    number: Annotated[str, Field(pattern=r"^[0-9+]+$")]
    name: Annotated[str, Field(min_length=1, pattern=r"^[^,]+$")]
    group: Annotated[str, Field(min_length=1, pattern=r"^[^,-]+$")]


class DodList:
    """`"5503301-yeastar-1000,5503302-x-1001"` <-> a sorted list of DOD objects."""

    def __init__(self, target: str) -> None:
        self.target = target

    def decode(self, raw: Any) -> Any:
        items = []
        for entry in TEXT.decode(raw).split(","):
            entry = entry.strip()
            if not entry:
                continue
            number, _, rest = entry.partition("-")
            name, _, target = rest.rpartition("-")
            if not (number and name and target):
                raise DecodeError(f"DOD entry {entry!r} is not number-name-{self.target}")
            items.append({"number": number, "name": name, self.target: target})
        return sorted(items, key=lambda d: (d[self.target], d["number"], d["name"]))

    def encode(self, value: Any) -> Any:
        return ",".join(f"{d['number']}-{d['name']}-{d[self.target]}" for d in value or [])


Port = Annotated[int, Field(ge=1, le=65535)]


class TrunkBase(KindModel):
    name: Name = Field(description="Trunk name (identity). " + wire_doc("trunkname"))
    renamed_from: Name | None = Field(None, description="Rename: the trunk's name on the PBX now.")
    dod: list[Dod] | None = Field(
        None, description="DOD numbers per extension. " + wire_doc("extensionsdod")
    )
    group_dod: list[GroupDod] | None = Field(
        None, description="DOD numbers per extension group. " + wire_doc("extensionsgroupdod")
    )

    # DOD lists are sets: sorted here as decode sorts them, so order never shows as a change.
    @field_validator("dod")
    @classmethod
    def _sort_dod(cls, value: list[Dod] | None) -> list[Dod] | None:
        return sorted(value, key=lambda d: (d.extension, d.number, d.name)) if value else value

    @field_validator("group_dod")
    @classmethod
    def _sort_group_dod(cls, value: list[GroupDod] | None) -> list[GroupDod] | None:
        return sorted(value, key=lambda d: (d.group, d.number, d.name)) if value else value


# The fields the trunk types share, declared once.
Host = Annotated[str, Field(min_length=1, description="Provider host or IP. " + wire_doc("host"))]
Domain = Annotated[str, Field(min_length=1, description=wire_doc("domain"))]
UserName = Annotated[str, Field(min_length=1, description=wire_doc("username"))]
AuthName = Annotated[str, Field(min_length=1, description=wire_doc("authname"))]
Password = Annotated[
    str | None,
    Field(
        min_length=1,
        description="Sensitive; needed to create the trunk, optional to manage an existing one "
        "(exports with `--secrets redact` leave it out). " + wire_doc("password"),
    ),
]


class RegisterTrunk(TrunkBase):
    """A trunk that registers to a SIP provider."""

    type: Literal["register"] = Field(description=wire_doc("trunktype"))
    host: Host
    port: Port = Field(description=wire_doc("port"))
    domain: Domain
    username: UserName
    auth_name: AuthName
    password: Password = None
    from_user: str | None = Field(
        None,
        description="From header user; empty if the provider does not support it. "
        + wire_doc("fromuser"),
    )


class PeerTrunk(TrunkBase):
    """A peer-to-peer trunk (no registration)."""

    type: Literal["peer"] = Field(description=wire_doc("trunktype"))
    host: Host
    port: Port = Field(description=wire_doc("port"))
    domain: Domain


class AccountTrunk(TrunkBase):
    """A trunk another PBX registers to with an account."""

    type: Literal["account"] = Field(description=wire_doc("trunktype"))
    username: UserName
    auth_name: AuthName
    password: Password = None


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
    sensitive = frozenset({"password"})
    wire = (
        Wire("name", "trunkname"),
        Wire("type", "trunktype"),
        Wire("host", "host"),
        Wire("port", "port", INTEGER),
        Wire("domain", "domain"),
        Wire("username", "username"),
        Wire("auth_name", "authname"),
        Wire("from_user", "fromuser"),
        Wire("password", "password"),
        Wire("dod", "extensionsdod", DodList("extension")),
        Wire("group_dod", "extensionsgroupdod", DodList("group")),
    )

    def fit(self, data: dict[str, Any]) -> dict[str, Any]:
        allowed = TYPE_FIELDS.get(str(data.get("type")), set(data))
        return {k: v for k, v in data.items() if k in allowed}

    def after_decode(self, data: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
        return self.fit(data)

    def wire_id(self, record: dict[str, Any]) -> str | None:
        return str(record.get("id", "")) or None

    def refs(self, obj: Any) -> list[Ref]:
        return [
            Ref("extension", (dod.extension,), f"dod[{i}].extension")
            for i, dod in enumerate(obj.dod or [])
        ]

    def _whole(self, obj: Any) -> dict[str, Any]:
        # The add and update tables mark every field of the type required: send them all,
        # with the optional ones empty rather than absent.
        body = {"fromuser": "", "extensionsdod": "", "extensionsgroupdod": ""}
        if obj.type != "register":
            body.pop("fromuser")
        body.update(self.to_wire(full(obj)))
        return body

    def missing_for_create(self, obj: Any) -> list[str]:
        return ["password"] if obj.type in ("register", "account") and not obj.password else []

    def create_calls(self, objs: list[Any]) -> list[ApiCall]:
        return [self.call("siptrunk/add", self._whole(obj)) for obj in objs]

    def update_call(
        self, key: Key, wire_id: str | None, live: Any, merged: Any, changed: Any
    ) -> ApiCall:
        return self.call("siptrunk/update", {"id": wire_id or "", **self._whole(merged)})

    def delete_calls(self, doomed: list[tuple[Key, str | None]]) -> list[ApiCall]:
        names = ",".join(key[0] for key, _ in doomed)
        return [self.call("siptrunk/delete", {"trunkname": names})]
