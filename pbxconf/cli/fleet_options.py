"""The options that run a command over a fleet: `--inventory`, `--pbx`, `--select`,
`--all`, `--shard` and `--parallel`. They build `FleetArgs`, passed on as `fleet`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource

from pbxconf.errors import UsageError
from pbxconf.fleet import DEFAULT_PARALLEL

if TYPE_CHECKING:
    from pbxconf.fleet.context import FleetRun
    from pbxconf.fleet.selection import Selection

F = TypeVar("F", bound=Callable[..., Any])

# Options that name one PBX: a fleet's PBXes are reached as the inventory says.
SINGLE_PBX_OPTIONS = ("url", "username", "password", "ca_bundle", "insecure", "sim", "sim_state")


@dataclass(frozen=True)
class FleetArgs:
    inventory: Path | None = None
    selection: Selection | None = None  # None: no --pbx, --select or --all
    parallel: int = DEFAULT_PARALLEL
    secrets_file: Path | None = None
    secrets_command: str | None = None
    processes: int = 1

    @property
    def selected(self) -> bool:
        return self.selection is not None


def fleet_options(
    *, secrets: bool = False, processes: bool = False, all_by_default: bool = False
) -> Callable[[F], F]:
    """`secrets`: also the secrets source options, for commands without manifests
    (export, info), where the PBXes' credentials may come from. `processes`: also
    `--processes` (plan). `all_by_default`: without --pbx, --select or --all, the
    command is for the whole inventory (`fleet list`), and --shard shares that."""

    def decorate(command: F) -> F:
        @click.option(
            "--inventory",
            type=click.Path(dir_okay=False, path_type=Path),
            envvar="PBXCONF_INVENTORY",
            help="The fleet's inventory (default: pbxconf.yaml here or above, up to the "
            "repository's root) [env PBXCONF_INVENTORY].",
        )
        @click.option(
            "--pbx",
            "pbx_names",
            multiple=True,
            metavar="NAME",
            help="Run for this PBX of the inventory (repeatable, or NAME,NAME).",
        )
        @click.option(
            "--select",
            "selectors",
            multiple=True,
            metavar="LABEL=VALUE",
            help="Run for the PBXes whose labels match: region=eu, region=eu,us (any), "
            "tier!=test; repeated, all must match.",
        )
        @click.option(
            "--all", "everything", is_flag=True, help="Run for every PBX of the inventory."
        )
        @click.option(
            "--shard",
            metavar="K/N",
            help="Only the K-th of N stable shares of the selected PBXes (a CI matrix of N jobs).",
        )
        @click.option(
            "--parallel",
            type=click.IntRange(1, 256),
            default=None,
            help=f"PBXes at a time (default {DEFAULT_PARALLEL}).",
        )
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            kwargs["fleet"] = _fleet_args(kwargs, secrets, processes, all_by_default)
            return command(*args, **kwargs)

        if processes:
            wrapper = click.option(
                "--processes",
                type=click.IntRange(1, 64),
                default=1,
                show_default=True,
                help="With a fleet: plan in this many processes (a large fleet on a machine "
                "with as many cores).",
            )(wrapper)
        if secrets:
            wrapper = click.option(
                "--secrets-command",
                metavar="COMMAND",
                envvar="PBXCONF_SECRETS_COMMAND",
                help="With a fleet: a command that prints the credentials' variables "
                "(NAME=value lines or JSON) [env PBXCONF_SECRETS_COMMAND].",
            )(wrapper)
            wrapper = click.option(
                "--secrets-file",
                type=click.Path(dir_okay=False, path_type=Path),
                envvar="PBXCONF_SECRETS_FILE",
                help="With a fleet: a dotenv file of the credentials' variables "
                "[env PBXCONF_SECRETS_FILE].",
            )(wrapper)
        return wrapper  # type: ignore[return-value]

    return decorate


def _fleet_args(
    kwargs: dict[str, Any], secrets: bool, processes: bool, all_by_default: bool = False
) -> FleetArgs:
    names = tuple(
        name.strip()
        for given in kwargs.pop("pbx_names")
        for name in given.split(",")
        if name.strip()
    )
    selector_texts = kwargs.pop("selectors")
    everything = kwargs.pop("everything")
    shard_text = kwargs.pop("shard")
    parallel = kwargs.pop("parallel")
    inventory = kwargs.pop("inventory")
    secrets_file = kwargs.pop("secrets_file", None) if secrets else None
    secrets_command = kwargs.pop("secrets_command", None) if secrets else None
    workers = kwargs.pop("processes", 1) if processes else 1
    fleet_given = names or selector_texts or everything or shard_text is not None
    if not fleet_given and parallel is None and workers == 1:
        # A command for one PBX, the usual case, imports none of the fleet's modules.
        return FleetArgs(
            inventory, None, secrets_file=secrets_file, secrets_command=secrets_command
        )
    from pbxconf.fleet.selection import Selection, Selector, Shard

    selectors = tuple(Selector.parse(text) for text in selector_texts)
    ways = [
        flag
        for flag, given in (("--pbx", names), ("--select", selectors), ("--all", everything))
        if given
    ]
    if len(ways) > 1:
        raise UsageError(f"give one of --pbx, --select or --all, not {' and '.join(ways)}")
    shard = Shard.parse(shard_text) if shard_text is not None else None
    if not ways and all_by_default and shard is not None:
        everything, ways = True, ["--all"]
    if not ways:
        for flag, given in (
            ("--shard", shard is not None),
            ("--parallel", parallel is not None),
            ("--processes", workers > 1),
        ):
            if given:
                raise UsageError(f"{flag} goes with --all, --pbx NAME or --select LABEL=VALUE")
        return FleetArgs(
            inventory, None, secrets_file=secrets_file, secrets_command=secrets_command
        )
    selection = Selection(names=names, selectors=selectors, everything=everything, shard=shard)
    refuse_single_pbx_options()
    return FleetArgs(
        inventory,
        selection,
        parallel or DEFAULT_PARALLEL,
        secrets_file,
        secrets_command,
        workers,
    )


def refuse_single_pbx_options() -> None:
    """`--url` and the like name one PBX; with a fleet, the inventory says how each PBX is
    reached. (Set in the environment, as CI may, they are left alone.)"""
    ctx = click.get_current_context()
    for name in SINGLE_PBX_OPTIONS:
        if name in ctx.params and ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE:
            flag = "--" + name.replace("_", "-")
            raise UsageError(
                f"{flag} names one PBX; with --pbx, --select or --all the inventory says how "
                "each PBX is reached"
            )


def given_on_command_line(name: str) -> bool:
    ctx = click.get_current_context()
    return ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE


def build_run(
    args: FleetArgs,
    *,
    timeout: float | None = None,
    write_interval: float | None = None,
    secrets_file: Path | None = None,
    secrets_command: str | None = None,
    missing_secrets: str = "error",
    offline: bool = False,
) -> FleetRun:
    """The fleet run the options describe: the inventory read, the PBXes chosen. The
    command line's --timeout (when given) and --write-interval win over the inventory's.
    `offline`: validate (see `fleet_run`)."""
    from pbxconf import bulk
    from pbxconf.fleet.context import fleet_run, open_inventory
    from pbxconf.fleet.member import Overrides

    assert args.selection is not None
    # A fleet run is long and makes many clients: what its phases build must stay
    # collectable (see pbxconf.bulk).
    bulk.freeze_after_phases(False)
    inventory = open_inventory(args.inventory)
    if timeout is not None and not given_on_command_line("timeout"):
        timeout = None
    return fleet_run(
        inventory,
        args.selection,
        secrets_file=secrets_file or args.secrets_file,
        secrets_command=secrets_command or args.secrets_command,
        missing_secrets=missing_secrets,
        overrides=Overrides(timeout=timeout, write_interval=write_interval),
        parallel=args.parallel,
        offline=offline,
    )
