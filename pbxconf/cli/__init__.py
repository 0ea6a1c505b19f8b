"""The `pbxconf` command: click commands only. Parse options, call the library, and map
errors to exits in one place (PbxconfGroup).

Each command lives in its own module here and is imported only when it runs, so that
`pbxconf --version`, `--help` and every command import only what they use.

Exit codes (every command):
    0  success (and, with `plan --detailed-exitcode`, no changes)
    1  an error: the PBX, the manifests, a file, a refused or failed plan
    2  a usage error: bad options or environment; with `--detailed-exitcode`, where 2
       means "changes", a usage error exits 1
    130 / 143  apply stopped by SIGINT / SIGTERM after the call in flight (watch exits 0:
               stopping is how it ends)
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import click

from pbxconf import __version__
from pbxconf.errors import PbxconfError, UsageError

T = TypeVar("T")

# name -> (module, function, short help): the help text is here so that `pbxconf --help`
# need not import every command to list them.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "validate": ("validate", "validate", "Check manifests offline (every error as file:line:col)."),
    "plan": ("plan", "plan", "Show what apply would change on the PBX. Never writes."),
    "apply": ("apply", "apply", "Make the PBX match the manifests, or apply a saved plan."),
    "export": ("export", "export", "Write the live PBX out as manifests (backups, adoption)."),
    "watch": ("watch", "watch", "Report (or heal) drift the moment the PBX reports a change."),
    "info": ("info", "info", "Show the PBX's name, serial number, firmware and usage."),
    "fleet": ("fleet", "fleet", "The fleet's inventory: list its PBXes, propose a shared base."),
    "schema": ("schema", "schema", "Write the JSON Schemas: manifests, inventory, JSON output."),
    "sim": ("sim", "sim", "The built-in PBX simulator."),
    "completion": (
        "completion",
        "completion",
        "Print a shell's completion script (bash, zsh, fish).",
    ),
}
DETAILED = "--detailed-exitcode"

# httpx imports its own command line (click, rich and pygments: 40 to 60 ms) whenever it is
# imported; pbxconf never runs it. A None in sys.modules makes that import fail, and httpx
# then goes without (it guards the import for installs without its CLI's extras).
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


def run_main(main: Coroutine[Any, Any, T]) -> T:
    """asyncio.run, with the result passed out beside the main task rather than as its
    result: on the way out asyncio.run puts back the SIGINT handler, and the signal module
    then formats repr() of the handler it replaces, which names the main task and so its
    result. For a plan or an export of a large PBX that is the repr of every live object,
    over 100 ms that nobody reads (CPython 3.11 and 3.12; 3.13 no longer does it)."""
    import asyncio

    out: list[T] = []

    async def main_task() -> None:
        out.append(await main)

    asyncio.run(main_task())
    return out[0]


def _output_options() -> list[click.Parameter]:
    return [
        click.Option(["-v", "--verbose"], count=True, help="Debug logging on stderr (masked)."),
        click.Option(["-q", "--quiet"], is_flag=True, help="Errors and results only: no progress."),
        click.Option(["--no-color"], is_flag=True, help="No colour (also: NO_COLOR set)."),
    ]


class PbxconfCommand(click.Command):
    """Every command takes -v, -q and --no-color, after the subcommand as before it; and
    a usage error found while it runs (a bad URL, a missing password) is told with its
    usage line, as click tells its own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params += _output_options()

    def invoke(self, ctx: click.Context) -> Any:
        from pbxconf.cli import output

        above = ctx.find_object(output.Output) or output.Output()
        try:
            # Popped whatever was said before the subcommand: what is left is the command's.
            verbose, quiet = ctx.params.pop("verbose"), ctx.params.pop("quiet")
            no_color = ctx.params.pop("no_color")
            output.configure(
                above.verbose + verbose, above.quiet or quiet, above.no_color or no_color
            )
            return super().invoke(ctx)
        except UsageError as err:
            for line in err.details():
                click.echo(line, err=True)
            raise click.UsageError(err.summary, ctx=ctx) from None


class CommandGroup(click.Group):
    """A group of pbxconf commands (`pbxconf sim ...`)."""

    command_class = PbxconfCommand


class PbxconfGroup(click.Group):
    """Commands imported when they run, and the one place errors become exits."""

    _argv: tuple[str, ...] = ()

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr, _help = COMMANDS[name]
        command = getattr(importlib.import_module(f"pbxconf.cli.{module}"), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, text) for name, (_m, _a, text) in COMMANDS.items()])

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        self._argv = tuple(args)
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as err:
            raise self._usage(err) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as err:
            raise self._usage(err) from None
        except PbxconfError as err:
            for line in err.details():
                click.echo(line, err=True)
            failure = click.ClickException(err.summary)
            failure.exit_code = err.exit_code  # type: ignore[misc]
            raise failure from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    def _usage(self, err: click.UsageError) -> click.UsageError:
        """Where `--detailed-exitcode` makes 2 mean "changes", a usage error exits 1."""
        if DETAILED in self._argv:
            err.exit_code = 1  # type: ignore[misc]
        return err


@click.group(cls=PbxconfGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pbxconf")
@click.option("-v", "--verbose", count=True, help="Debug logging on stderr (tokens are masked).")
@click.option("-q", "--quiet", is_flag=True, help="Errors and results only: no progress.")
@click.option("--no-color", is_flag=True, help="No colour (also: NO_COLOR set).")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool, no_color: bool) -> None:
    """Configuration as code for the cloud PBX: validate, plan, apply, export and watch
    manifests."""
    from pbxconf import bulk
    from pbxconf.cli.output import Output

    ctx.obj = Output(verbose, quiet, no_color)  # each command adds its own and configures
    bulk.freeze_after_phases()  # a command's objects live until it exits


def run() -> None:
    """The `pbxconf` command: `main`, then the process ends without freeing what the
    command built. Python's own exit frees every object one by one (45 ms after a plan of
    a 2,000-extension PBX) though the memory goes back to the system at once anyway.
    Output is flushed first; a command that leaves threads running (`sim serve` stopped
    early) ends the usual way, as does one that fails with a traceback."""
    try:
        main()
    except SystemExit as stop:
        code = stop.code
        if not isinstance(code, int | None) or threading.active_count() > 1:
            raise
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:  # a closed pipe: Python's exit reports it as it always has
            raise stop from None
        logging.shutdown()
        os._exit(code or 0)
