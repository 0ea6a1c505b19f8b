"""Options shared by commands: the connection to a PBX, and what a plan may do."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from pbxconf.errors import UsageError

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
    @click.option(
        "--write-interval",
        type=click.FloatRange(min=0),
        envvar="PBXCONF_WRITE_INTERVAL",
        default=None,
        help="Seconds between writes (default 0.5); the PBX refuses bursts (errno 10025).",
    )
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # Imported when a command runs: `validate` and `--help` need no HTTP client.
        from pbxconf.connect import Connection

        kwargs["conn"] = Connection(
            write_interval=kwargs.pop("write_interval"),
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


def manifest_paths(command: F) -> F:
    """The PATHS argument: manifest files and directories."""
    return click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))(
        command
    )
