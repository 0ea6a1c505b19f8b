"""Options shared by commands: the connection to a PBX, what a plan may do, and the
manifests with the source of their secrets."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from pbxconf.errors import UsageError

if TYPE_CHECKING:
    from pbxconf.manifest import Desired

F = TypeVar("F", bound=Callable[..., Any])


def connection_options(command: F) -> F:
    """The options of every command that talks to a PBX; they build a `Connection`."""

    @click.option(
        "--url",
        envvar="PBXCONF_URL",
        help="The PBX's base URL, e.g. https://pbx.example.com [env PBXCONF_URL].",
    )
    @click.option(
        "--username", envvar="PBXCONF_USERNAME", help="API username [env PBXCONF_USERNAME]."
    )
    @click.option(
        "--password",
        envvar="PBXCONF_PASSWORD",
        help="API password, plain (pbxconf sends its md5) [env PBXCONF_PASSWORD].",
    )
    @click.option(
        "--ca-bundle",
        type=click.Path(dir_okay=False),
        envvar="PBXCONF_CA_BUNDLE",
        help="Verify the PBX's certificate against this CA file.",
    )
    @click.option(
        "--insecure", is_flag=True, help="Do not verify the PBX's TLS certificate (dangerous)."
    )
    @click.option(
        "--timeout",
        type=float,
        default=15.0,
        show_default=True,
        help="Seconds to wait for each answer.",
    )
    @click.option(
        "--sim", is_flag=True, help="Use the built-in simulator in-process instead of a PBX."
    )
    @click.option(
        "--sim-state",
        type=click.Path(dir_okay=False, path_type=Path),
        help="With --sim: load the simulator's state from FILE and save it back.",
    )
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # Imported when a command runs: `validate` and `--help` need no HTTP client.
        from pbxconf.connect import Connection

        kwargs["conn"] = Connection(
            url=kwargs.pop("url"),
            username=kwargs.pop("username"),
            password=kwargs.pop("password"),
            ca_bundle=kwargs.pop("ca_bundle"),
            insecure=kwargs.pop("insecure"),
            timeout=kwargs.pop("timeout"),
            sim=kwargs.pop("sim"),
            sim_state=kwargs.pop("sim_state"),
        )
        if kwargs["conn"].sim_state and not kwargs["conn"].sim:
            raise UsageError("--sim-state goes with --sim")
        return command(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def write_options(command: F) -> F:
    """The options of commands that write to the PBX (apply, watch --heal); below
    `connection_options`, whose Connection they complete."""

    @click.option(
        "--write-interval",
        type=click.FloatRange(min=0),
        envvar="PBXCONF_WRITE_INTERVAL",
        default=None,
        help="Seconds between writes (default 0.5); the PBX refuses bursts (errno 10025).",
    )
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["conn"].write_interval = kwargs.pop("write_interval")
        return command(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def plan_options(command: F) -> F:
    """Options shared by plan and apply."""

    @click.option(
        "--prune",
        is_flag=True,
        help="Delete objects on the PBX that no manifest names (protected ones excepted).",
    )
    @click.option(
        "--target",
        "targets",
        multiple=True,
        metavar="KIND/KEY",
        help="Only this object and what it needs, e.g. trunk/carrier (repeatable).",
    )
    @click.option(
        "--force", is_flag=True, help="Allow a plan that changes more than the safety threshold."
    )
    @click.option(
        "--skip-unreachable",
        is_flag=True,
        help="Set aside what the API cannot do (missing extensions, IVRs, queues) and what "
        "needs it; list them as manual steps.",
    )
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from pbxconf.plan import PlanOptions, parse_target

        try:
            targets = [parse_target(t) for t in kwargs.pop("targets")]
        except ValueError as err:
            raise click.BadParameter(str(err), param_hint="--target") from None
        kwargs["options"] = PlanOptions(
            prune=kwargs.pop("prune"),
            force=kwargs.pop("force"),
            targets=targets,
            skip_unreachable=kwargs.pop("skip_unreachable"),
        )
        return command(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@dataclass(frozen=True)
class Manifests:
    """Manifest files and directories, and where their `${VAR}` values come from."""

    paths: tuple[Path, ...]
    secrets_file: Path | None = None
    secrets_command: str | None = None
    missing_secrets: str = "error"

    def require_paths(self) -> None:
        """PATHS, for a command that could have run over a fleet and was given neither."""
        if not self.paths:
            raise UsageError(
                "Missing argument 'PATHS...': the manifests, or --pbx NAME, --select "
                "LABEL=VALUE or --all for the inventory's PBXes"
            )

    def load(self, paths: tuple[Path, ...] | list[Path] | None = None) -> Desired:
        from pbxconf import manifest
        from pbxconf.secrets import environment

        env = environment(self.secrets_file, self.secrets_command)
        chosen = self.paths if paths is None else tuple(paths)
        return manifest.load(chosen, env=env, missing_secrets=self.missing_secrets)


def manifest_paths(command: F) -> F:
    """The PATHS argument (manifest files and directories) and the secrets source: they
    build `Manifests`, passed on as `manifests`."""
    return _manifest_paths(command, required=True)


def manifest_paths_or_fleet(command: F) -> F:
    """As `manifest_paths`, for a command that may run over a fleet instead (the
    inventory names each PBX's manifests): PATHS may be left out, and the command says
    what it needs (see `fleet_options`)."""
    return _manifest_paths(command, required=False)


def _manifest_paths(command: F, required: bool) -> F:
    @click.argument("paths", nargs=-1, required=required, type=click.Path(path_type=Path))
    @click.option(
        "--secrets-file",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="PBXCONF_SECRETS_FILE",
        help="A dotenv file (NAME=value lines) of the ${VAR} values the environment lacks "
        "[env PBXCONF_SECRETS_FILE].",
    )
    @click.option(
        "--secrets-command",
        metavar="COMMAND",
        envvar="PBXCONF_SECRETS_COMMAND",
        help="A command (a vault's CLI) that prints NAME=value lines or a JSON object of "
        "the ${VAR} values [env PBXCONF_SECRETS_COMMAND].",
    )
    @click.option(
        "--missing-secrets",
        type=click.Choice(["error", "unmanaged"]),
        default="error",
        show_default=True,
        envvar="PBXCONF_MISSING_SECRETS",
        help="An unset ${VAR} in a password or PIN: an error, or the field left unmanaged "
        "(plan an adopted PBX before every secret is in the vault).",
    )
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["manifests"] = Manifests(
            paths=kwargs.pop("paths"),
            secrets_file=kwargs.pop("secrets_file"),
            secrets_command=kwargs.pop("secrets_command"),
            missing_secrets=kwargs.pop("missing_secrets"),
        )
        return command(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
