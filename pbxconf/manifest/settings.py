"""The `settings:` block of a manifest: pruning, protection, safety and ignored fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from pbxconf.kinds import KINDS


class Safety(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_change_share: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Refuse (without --force) a plan that updates or deletes more than this "
        "share of a kind's existing objects.",
    )
    min_objects: int = Field(
        10, ge=0, description="The share rule applies to kinds with at least this many objects."
    )


# A manifest section's name, one of the registry's (a Literal made from it at run time).
if TYPE_CHECKING:
    Section = str
else:
    Section = Literal[KINDS.sections]


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prune: bool | dict[Section, bool] = Field(
        False,
        description="Delete objects on the PBX that no manifest names: true for every kind, "
        "or per kind. Objects with `protect: true` are never deleted.",
    )
    safety: Safety = Field(default_factory=lambda: Safety())
    protect: dict[Section, list[str | int]] = Field(
        default_factory=dict,
        description="Objects never deleted, even when pruning, by identity: numbers or names "
        "(wake-up calls as `extension,time`). For objects on the PBX that no manifest declares.",
    )
    ignore_fields: dict[Section, list[str]] = Field(
        default_factory=dict,
        description="Fields (dotted, e.g. `voicemail.pin`) never diffed, per kind.",
    )

    def prunes(self, section: str) -> bool:
        if isinstance(self.prune, bool):
            return self.prune
        return bool(self.prune.get(section, False))  # type: ignore[call-overload]
