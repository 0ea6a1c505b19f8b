"""The inventory's format (`pbxconf.yaml`) as models: what each key may hold. The JSON
Schema editors use is made from them (schema.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# A PBX's name is a directory name (export --all), a CI matrix entry and a shell word.
NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"
LABEL_KEY = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$"
LABEL_VALUE = r"^[A-Za-z0-9._/-]{0,63}$"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
# A base URL with no credentials in it (`user:password@`): they would print wherever the
# URL does.
URL = r"^https?://[^\s/?#@]+(/[^\s?#]*)?$"

EnvName = Annotated[str, StringConstraints(pattern=ENV_NAME)]
LabelValue = Annotated[str, StringConstraints(pattern=LABEL_VALUE)]
Labels = dict[Annotated[str, StringConstraints(pattern=LABEL_KEY)], LabelValue]
Layer = Annotated[str, StringConstraints(min_length=1)]


class _Strict(BaseModel):
    # Numbers a person writes as labels or variables (`floor: 3`) are text here.
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class SecretsSource(_Strict):
    file: str | None = Field(None, description="A dotenv file (relative to the inventory).")
    command: str | None = Field(None, description="A command that prints NAME=value lines.")


class Settings(_Strict):
    """What a PBX entry may set, and `defaults` gives every PBX that does not."""

    username: str | None = Field(None, description="The API username (not a secret).")
    username_env: EnvName | None = Field(None, description="Or: the variable holding it.")
    password_env: EnvName | None = Field(
        None, description="The environment variable holding the API password."
    )
    ca_bundle: str | None = Field(None, description="Verify TLS against this CA file.")
    insecure: bool | None = Field(None, description="Do not verify TLS (never in production).")
    timeout: float | None = Field(None, gt=0, le=600, description="Seconds to wait per answer.")
    write_interval: float | None = Field(
        None, ge=0, le=60, description="Seconds between this PBX's writes (default 0.5)."
    )
    labels: Labels = Field(default_factory=dict, description="For --select LABEL=VALUE.")
    manifests: list[Layer] | None = Field(
        None,
        min_length=1,
        description="Manifest layers (files or directories, relative to the inventory), "
        "first the base: each later layer overrides the ones before it, by identity and "
        "field by field.",
    )
    variables: dict[EnvName, str] = Field(
        default_factory=dict,
        description="${VAR} values for this PBX's manifests; they may name the environment's "
        "own (${LISBON_TRUNK_PASSWORD}).",
    )


class PbxEntry(Settings):
    name: Annotated[str, StringConstraints(pattern=NAME)] = Field(
        description="The PBX's name in the fleet (--pbx NAME, export directories)."
    )
    url: Annotated[str, StringConstraints(pattern=URL)] = Field(
        description="The PBX's base URL, e.g. https://pbx.example.com."
    )


class InventoryModel(_Strict):
    """`pbxconf.yaml`: the PBXes of a fleet."""

    version: int = Field(description="The inventory format version: 1.")
    secrets: SecretsSource | None = None
    defaults: Settings = Field(default_factory=Settings)
    pbxes: list[PbxEntry] = Field(min_length=1)
