"""The `pbxconf` command: click commands only. Parse options, call the library, and map
errors to exits in one place (PbxconfGroup.invoke): 1 for a failure, 2 for a usage error."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from pbxconf import __version__, bulk, manifest, render
from pbxconf.api import PbxError
from pbxconf.apply import (
    Progress,
    StopFlag,
    describe_failure,
    execute,
)
from pbxconf.connect import ConnectError, Connection, firmware_supports_routes, open_pbx
from pbxconf.export import SECRET_MODES, export_state
from pbxconf.files import OutputError, cannot_write, write_whole
from pbxconf.kinds import KINDS, ORDERED_KINDS, ApiCall
from pbxconf.live import LiveReadError, plan_and_log_out, read_live
from pbxconf.manifest import Desired
from pbxconf.plan import Plan, PlanOptions, make_plan, parse_target
from pbxconf.saved_plan import (
    SavedPlanError,
    StalePlan,
    read_saved_plan,
    replan_saved,
    saved_options,
    saved_plan,
)
from pbxconf.state import State

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def run_main(main: Coroutine[Any, Any, T]) -> T:
    """asyncio.run, with the result passed out beside the main task rather than as its
    result: on the way out asyncio.run puts back the SIGINT handler, and the signal module
    then formats repr() of the handler it replaces, which names the main task and so its
    result. For a plan or an export of a large PBX that is the repr of every live object,
    over 100 ms that nobody reads (CPython 3.11 and 3.12; 3.13 no longer does it)."""
    out: list[T] = []

    async def main_task() -> None:
        out.append(await main)

    asyncio.run(main_task())
    return out[0]


class PbxconfGroup(click.Group):
    """Turns the library's errors into click's, so no command prints a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (PbxError, LiveReadError, OutputError) as err:
            raise click.ClickException(str(err)) from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


def _configure_logging(verbose: int) -> None:
    level = logging.DEBUG if verbose >= 1 else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx at DEBUG is a wire dump; pbxconf's own debug lines are what a person wants.
    for noisy in ("httpcore", "hpack", "uvicorn"):
        logging.getLogger(noisy).setLevel(max(level, logging.INFO))


@click.group(cls=PbxconfGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pbxconf")
@click.option("-v", "--verbose", count=True, help="Debug logging on stderr (tokens are masked).")
def main(verbose: int) -> None:
    """Configuration as code for the cloud PBX: validate, plan, apply and export manifests."""
    _configure_logging(verbose)
    bulk.freeze_after_phases()  # a command's objects live until it exits


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
            raise click.UsageError("--sim-state goes with --sim")
        try:
            return command(*args, **kwargs)
        except ConnectError as err:
            raise click.UsageError(str(err)) from None

    return wrapper  # type: ignore[return-value]


@main.command()
@connection_options
@click.option("--json", "as_json", is_flag=True, help="Print the device info as JSON.")
def info(conn: Connection, as_json: bool) -> None:
    """Show the PBX's name, serial number, firmware and extension usage."""

    async def run() -> dict[str, Any]:
        async with open_pbx(conn) as pbx:
            return await pbx.device_info()

    device = run_main(run())
    firmware = str(device.get("firmwarever", ""))
    supported = firmware_supports_routes(firmware)
    if as_json:
        click.echo(json.dumps({**device, "trunk_and_route_api": supported}, indent=2))
        return
    verdict = {
        True: "yes",
        False: "NO: trunk and route endpoints need firmware 81.8.0.42 or later; upgrade the PBX",
        None: "unknown (firmware version not recognised)",
    }[supported]
    rows = [
        ("PBX", conn.describe()),
        ("Device name", device.get("devicename", "")),
        ("Serial number", device.get("sn", "")),
        ("Firmware", firmware),
        ("Extensions", device.get("extensionstatus", "")),
        ("Trunk/route API", verdict),
    ]
    for label, value in rows:
        click.echo(f"{label + ':':<17}{value}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check manifests offline: exit 0 if valid, 1 with every error (file:line:col) if not."""
    desired = load_manifests(paths)
    counts = ", ".join(
        f"{len(desired.state.objects[k.name])} {k.section}"
        for k in ORDERED_KINDS
        if desired.state.objects[k.name]
    )
    click.echo(f"{len(desired.files)} file(s) valid: {counts or 'no objects'}")


def load_manifests(paths: tuple[Path, ...] | list[Path]) -> Desired:
    """Load manifests, or print every error and exit 1."""
    try:
        return manifest.load(paths)
    except manifest.ManifestErrors as err:
        for error in err.errors:
            click.echo(str(error), err=True)
        noun = "error" if len(err.errors) == 1 else "errors"
        raise click.ClickException(f"{len(err.errors)} {noun} in the manifests") from None


@main.command()
@click.option(
    "-d",
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("schemas"),
    show_default=True,
)
@click.option(
    "--check", is_flag=True, help="Exit 1 if the files differ from what the models produce."
)
def schema(directory: Path, check: bool) -> None:
    """Write the JSON Schemas: manifests (for editors) and `plan --format json` output."""
    from pbxconf.schema import schema_files

    stale = []
    for name, text in schema_files().items():
        path = directory / name
        if check:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != text:
                stale.append(str(path))
            continue
        write_whole(path, text)
        click.echo(f"wrote {path}")
    if stale:
        raise click.ClickException(f"out of date: {', '.join(stale)}; run `pbxconf schema`")
    if check:
        click.echo("schemas are up to date")


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


def _render(plan: Plan, target: str, fmt: str) -> str:
    if fmt == "json":
        return render.render_json(plan, target)
    if fmt == "markdown":
        return render.render_markdown(plan, target)
    return render.render_text(plan, target, colour=sys.stdout.isatty())


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@connection_options
@plan_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 0 with no changes, 2 with changes, 1 on error."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save the plan for `pbxconf apply FILE` (holds no secret).",
)
def plan(
    paths: tuple[Path, ...],
    conn: Connection,
    options: PlanOptions,
    fmt: str,
    detailed_exitcode: bool,
    out: Path | None,
) -> None:
    """Show what apply would change on the PBX. Never writes to the PBX."""
    if out is not None and (reason := cannot_write(out)):
        raise click.UsageError(f"--out {out}: cannot save the plan there: {reason}")
    desired = load_manifests(paths)
    target = conn.describe()

    async def run() -> tuple[Plan, State]:
        async with open_pbx(conn) as pbx:
            return await plan_and_log_out(pbx, desired, options)

    # The live State is held until the plan is shown, and freed after.
    result, _live = run_main(run())
    click.echo(_render(result, target, fmt), nl=False)
    if result.errors:
        raise click.ClickException("the plan has errors; nothing can be applied")
    if out is not None:
        data = saved_plan(result, desired, [str(p) for p in paths], options, target)
        write_whole(out, json.dumps(data, indent=1, sort_keys=True) + "\n")
        click.echo(f"Saved the plan to {out}; run `pbxconf apply {out}` to apply it.", err=True)
    if detailed_exitcode and result.has_changes:
        sys.exit(2)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@connection_options
@plan_options
@click.option(
    "--auto-approve",
    is_flag=True,
    help="Do not ask for confirmation (required when not on a terminal).",
)
@click.option(
    "--dry-run", is_flag=True, help="Print the exact API calls (secrets masked) and change nothing."
)
def apply(
    paths: tuple[Path, ...],
    conn: Connection,
    options: PlanOptions,
    auto_approve: bool,
    dry_run: bool,
) -> None:
    """Make the PBX match the manifests (or apply a plan saved with `plan --out`)."""
    try:
        saved = read_saved_plan(paths[0]) if len(paths) == 1 and paths[0].is_file() else None
    except SavedPlanError as err:
        raise click.ClickException(str(err)) from None
    if saved is not None:
        if options.prune or options.force or options.targets or options.skip_unreachable:
            raise click.UsageError(
                "a saved plan carries its own --prune/--force/--target/--skip-unreachable"
            )
        options = saved_options(saved)
        desired = load_manifests([Path(p) for p in saved.paths])
    else:
        desired = load_manifests(paths)
    target = conn.describe()
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if not (auto_approve or dry_run or interactive):
        raise click.UsageError(
            "not on a terminal, so nobody can confirm: review `pbxconf plan`, then run apply "
            "with --auto-approve"
        )

    async def run() -> int:
        async with open_pbx(conn) as pbx:
            if saved is not None:
                the_plan = await replan_saved(pbx, saved, desired, target)
            else:
                the_plan = make_plan(desired, await read_live(pbx), options)
            click.echo(render.render_text(the_plan, target, colour=sys.stdout.isatty()), nl=False)
            if the_plan.errors:
                raise click.ClickException("the plan has errors; nothing was changed")
            if not the_plan.has_changes:
                click.echo("Nothing to do.")
                return 0
            if dry_run:
                click.echo("\nDry run: these calls would be sent (nothing was changed):")
                click.echo(render.render_calls(the_plan.calls), nl=False)
                return 0
            if not auto_approve and not click.confirm(f"Apply these changes to {target}?"):
                click.echo("Nothing was changed.")
                return 1
            stop = StopFlag()
            with stop_on_signals(stop), progress_display(sys.stderr.isatty()) as progress:
                result = await execute(pbx, the_plan, desired, options, progress, stop)
            if result.failed is not None or result.interrupted:
                for line in describe_failure(result):
                    click.echo(line, err=True)
                return 130 if result.interrupted == "SIGINT" else 143 if result.interrupted else 1
            for note in result.notes:
                click.echo(note, err=True)
            if result.remaining is not None and result.remaining.changes:
                click.echo("After applying, the PBX still differs from the manifests:", err=True)
                click.echo(render.render_text(result.remaining, target), err=True, nl=False)
                return 1
            click.echo(
                f"Apply complete: {len(result.done)} call(s); the PBX matches the manifests."
            )
            return 0

    try:
        code = run_main(run())
    except StalePlan as err:
        raise click.ClickException(f"stale plan: {err}") from None
    if code:
        sys.exit(code)


@main.command()
@connection_options
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="File (or, with --split, directory) to write; stdout if omitted.",
)
@click.option("--split", is_flag=True, help="One file per kind in the --output directory.")
@click.option(
    "--kinds",
    default="",
    metavar="KIND,...",
    help="Only these kinds (e.g. trunks,inbound_routes); all by default.",
)
@click.option(
    "--secrets",
    type=click.Choice(SECRET_MODES),
    default="env",
    show_default=True,
    help="env: ${VAR} references; inline: values in clear; redact: left out.",
)
def export(conn: Connection, output: Path | None, split: bool, kinds: str, secrets: str) -> None:
    """Write the live PBX out as manifests (backups, adoption, disaster recovery)."""
    chosen = _parse_kinds(kinds)
    if split and output is None:
        raise click.UsageError("--split needs --output DIRECTORY")
    if output is not None and split and output.exists() and not output.is_dir():
        raise click.UsageError(f"--output {output} is a file; --split writes a directory")
    if output is not None and (reason := cannot_write(output / "pbx.yaml" if split else output)):
        raise click.UsageError(f"--output {output}: cannot write the export there: {reason}")

    async def run() -> tuple[dict[str, Any], Any]:
        async with open_pbx(conn) as pbx:
            device = await pbx.device_info()
            return device, await read_live(pbx, chosen)

    device, live = run_main(run())
    result = export_state(live, device, chosen, secrets, split)
    if output is None:
        click.echo(result.files["pbx.yaml"], nl=False)
    else:
        for name, text in result.files.items():
            write_whole(output / name if split else output, text, private=secrets == "inline")
        counts = ", ".join(f"{n} {section}" for section, n in result.counts.items())
        click.echo(f"Exported {counts} to {output}.", err=True)
    if secrets == "inline":
        click.echo(
            "warning: --secrets inline wrote passwords and PINs in clear; keep the "
            "export out of version control.",
            err=True,
        )
    if result.variables:
        click.echo(
            "Set these environment variables before planning or applying the export:", err=True
        )
        for name, where in result.variables:
            click.echo(f"  {name}  ({where})", err=True)


def _parse_kinds(text: str) -> list[str]:
    if not text.strip():
        return [k.name for k in ORDERED_KINDS]
    chosen = []
    for part in text.split(","):
        part = part.strip()
        kind = KINDS.get(part) or next((k for k in ORDERED_KINDS if k.section == part), None)
        if kind is None:
            names = ", ".join(k.section for k in ORDERED_KINDS)
            raise click.BadParameter(f"unknown kind {part!r}; one of {names}", param_hint="--kinds")
        chosen.append(kind.name)
    return chosen


@contextlib.contextmanager
def stop_on_signals(stop: StopFlag) -> Iterator[None]:
    """SIGINT/SIGTERM during apply: finish the call in flight, then stop cleanly.
    A second signal stops at once."""
    loop = asyncio.get_running_loop()
    installed = []

    def request(name: str) -> None:
        if stop.requested:
            raise KeyboardInterrupt
        stop.requested = name
        click.echo(f"\n{name}: finishing the call in flight, then stopping...", err=True)

    # Signal handlers live on the main thread, and asyncio has none on Windows.
    if threading.current_thread() is threading.main_thread() and sys.platform != "win32":
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, request, sig.name)
            installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


@contextlib.contextmanager
def progress_display(terminal: bool) -> Iterator[Progress]:
    """Apply's progress on stderr: a progress bar on a terminal (rich), and one line per
    call elsewhere, which is what a CI log wants: `[3/12] siptrunk/add ... ok`."""
    if not terminal:

        def line(index: int, count: int, call: ApiCall, state: str) -> None:
            if state == "start":
                click.echo(f"[{index}/{count}] {call.endpoint} ...", err=True, nl=False)
            else:
                click.echo(" ok" if state == "done" else " FAILED", err=True)

        yield line
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    columns = (
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Bar(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("applying", total=None)

        def show(index: int, count: int, call: ApiCall, state: str) -> None:
            done = bar.tasks[0].completed
            if state == "start":
                # After a re-read the remaining plan is counted afresh: keep the total honest.
                bar.update(task, description=call.endpoint, total=done + count - index + 1)
            elif state == "done":
                bar.advance(task)
            else:
                bar.console.print(f"[red]FAILED[/red] {call.endpoint}")

        yield show


def _check_certificate(certfile: str, keyfile: str) -> None:
    """Load the pair now: uvicorn would fail on it with a traceback, after the banner."""
    import ssl

    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except ssl.SSLError as err:
        raise click.UsageError(
            f"--certfile {certfile} / --keyfile {keyfile}: not a PEM certificate and its "
            f"private key ({err.reason or err})"
        ) from None
    except OSError as err:
        raise click.UsageError(
            f"--certfile / --keyfile: cannot read {err.filename}: {err.strerror}"
        ) from None


@main.group()
def sim() -> None:
    """The built-in PBX simulator."""


@sim.command("serve")
@click.option(
    "--generate",
    type=click.Choice(["S", "M", "L"]),
    help="Start from a generated PBX of this size instead of the factory one (see README, Performance).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="With --generate: the seed.")
@click.option(
    "--no-events", is_flag=True, help="Do not push event reports (benchmarks: nobody listens)."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8460, show_default=True)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Start from this state file instead of the factory PBX.",
)
@click.option("--save-on-exit", is_flag=True, help="Write the state back to --state when stopped.")
@click.option(
    "--latency-ms",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Delay before each API answer.",
)
@click.option(
    "--write-interval-ms",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Writes closer together than this get errno 10025.",
)
@click.option(
    "--token-ttl",
    type=click.FloatRange(min=1),
    default=1800.0,
    show_default=True,
    help="Token lifetime in seconds.",
)
@click.option(
    "--spelling",
    type=click.Choice(["examples", "variants"]),
    default="examples",
    show_default=True,
    help="Which of the manual's spellings query answers use.",
)
@click.option("--username", default="api", show_default=True)
@click.option("--password", default="pbxconf-sim", show_default=True)
@click.option(
    "--certfile",
    type=click.Path(exists=True, dir_okay=False),
    help="Serve HTTPS with this certificate (PEM).",
)
@click.option(
    "--keyfile",
    type=click.Path(exists=True, dir_okay=False),
    help="The certificate's private key (PEM).",
)
def sim_serve(
    host: str,
    port: int,
    state_file: Path | None,
    save_on_exit: bool,
    latency_ms: int,
    write_interval_ms: int,
    token_ttl: float,
    spelling: str,
    username: str,
    password: str,
    certfile: str | None,
    keyfile: str | None,
    no_events: bool,
    generate: str | None,
    seed: int,
) -> None:
    """Run the simulator over HTTP(S) until interrupted."""
    from pbxconf.connect import is_loopback_host, load_sim_state, save_sim_state
    from pbxconf.sim import SimSettings, Simulator
    from pbxconf.sim.server import bind, serve_forever

    if bool(certfile) != bool(keyfile):
        raise click.UsageError("--certfile and --keyfile go together")
    if certfile and keyfile:
        _check_certificate(certfile, keyfile)
    if save_on_exit and not state_file:
        raise click.UsageError("--save-on-exit needs --state FILE")
    settings = SimSettings(
        username=username,
        password=password,
        token_ttl=token_ttl,
        write_interval=write_interval_ms / 1000,
        latency=latency_ms / 1000,
        spelling=spelling,
    )
    if generate and state_file:
        raise click.UsageError("give either --state or --generate, not both")
    if generate:
        from pbxconf.sim.generate import SIZES
        from pbxconf.sim.generate import generate as generated

        state = generated(SIZES[generate], seed=seed)
    else:
        try:
            state = load_sim_state(state_file, saved_back=save_on_exit, option="--state")
        except ConnectError as err:
            raise click.UsageError(str(err)) from None
    simulator = Simulator(state=state, settings=settings)
    simulator.events.enabled = not no_events
    try:
        sock = bind(host, port)
    except OSError as err:
        raise click.ClickException(f"cannot listen on {host}:{port}: {err.strerror}") from None
    scheme = "https" if certfile else "http"
    url = f"{scheme}://{host if ':' not in host else f'[{host}]'}:{sock.getsockname()[1]}"
    if not is_loopback_host(host):
        click.echo(f"warning: listening on {host}; the /admin endpoints have no password", err=True)
    click.echo(f"pbxconf simulator listening on {url}")
    click.echo(f"  username: {username}")
    click.echo(f"  password: {password}")
    click.echo(
        f"  try:      PBXCONF_URL={url} PBXCONF_USERNAME={username} "
        f"PBXCONF_PASSWORD={password} pbxconf info"
    )
    click.echo("  stop with Ctrl-C")
    ssl = {"ssl_certfile": certfile, "ssl_keyfile": keyfile} if certfile else None
    try:
        serve_forever(simulator, sock, ssl)
    except KeyboardInterrupt:
        pass
    finally:
        if save_on_exit and state_file:
            try:
                save_sim_state(state_file, simulator.state, option="--state")
            except ConnectError as err:
                raise click.ClickException(str(err)) from None
            click.echo(f"state saved to {state_file}")
