"""`pbxconf sim`: the built-in PBX simulator, served over HTTP(S)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from pbxconf.cli import CommandGroup
from pbxconf.connect import ConnectError


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


@click.group(cls=CommandGroup)
def sim() -> None:
    """The built-in PBX simulator."""


@sim.command("serve")
@click.option(
    "--generate",
    type=click.Choice(["S", "M", "L", "XL", "manual"]),
    help="Start from a generated PBX of this size instead of the factory one (see README, "
    "Performance); `manual`: the factory PBX with the manual's own example answers.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="With --generate: the seed.")
@click.option(
    "--no-events", is_flag=True, help="Do not push event reports (benchmarks: nobody listens)."
)
@click.option(
    "--fleet",
    "fleet_size",
    type=click.IntRange(1, 100_000),
    help="Serve this many PBXes, each its own, at URL/pbx/0001 to URL/pbx/N (each from the "
    "starting state, with its own serial number).",
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
@click.option(
    "--lenient",
    is_flag=True,
    help="Take what a forgiving PBX would (unknown keys ignored, any value taken); by "
    "default the simulator refuses what the manual's tables do not allow.",
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
    lenient: bool,
    fleet_size: int | None,
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
        lenient=lenient,
    )
    if generate and state_file:
        raise click.UsageError("give either --state or --generate, not both")
    if generate == "manual":
        from pbxconf.sim.examples import manual_examples

        state = manual_examples()
    elif generate:
        from pbxconf.sim.generate import SIZES
        from pbxconf.sim.generate import generate as generated

        state = generated(SIZES[generate], seed=seed)
    else:
        try:
            state = load_sim_state(state_file, saved_back=save_on_exit, option="--state")
        except ConnectError as err:
            raise click.UsageError(str(err)) from None
    if fleet_size is not None and save_on_exit:
        raise click.UsageError("--save-on-exit keeps one PBX's state; not with --fleet")
    if fleet_size is not None:
        from pbxconf.sim.fleet import SimFleet, pbx_name

        simulator: Any = SimFleet(
            fleet_size, state.copy, settings=settings, push_events=not no_events
        )
    else:
        simulator = Simulator(state=state, settings=settings)
        simulator.events.enabled = not no_events
    try:
        sock = bind(host, port)
    except OSError as err:
        raise click.ClickException(f"cannot listen on {host}:{port}: {err.strerror}") from None
    if fleet_size is None and state_file is None:
        # Simulators started side by side (a fleet's demo) are different PBXes, as real
        # ones are: each its own serial number, from its port.
        simulator.state.device["sn"] = f"SIM{sock.getsockname()[1]:013d}"
    scheme = "https" if certfile else "http"
    url = f"{scheme}://{host if ':' not in host else f'[{host}]'}:{sock.getsockname()[1]}"
    if not is_loopback_host(host):
        click.echo(f"warning: listening on {host}; the /admin endpoints have no password", err=True)
    if fleet_size is not None:
        last = pbx_name(fleet_size)
        click.echo(f"pbxconf simulator: {fleet_size} PBXes at {url}/pbx/0001 to {url}/pbx/{last}")
        url += "/pbx/0001"
    else:
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
