"""`pbxconf watch`: keep a session with the PBX, listen for its reports, and report (or
heal) drift from the manifests the moment it happens. The loop is pbxconf.watch."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sys
import threading
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click

from pbxconf.cli import PbxconfCommand, run_main
from pbxconf.cli.options import Manifests, connection_options, manifest_paths, write_options
from pbxconf.connect import Connection, check_connection, is_loopback_host
from pbxconf.errors import UsageError
from pbxconf.watch import options as opt

if TYPE_CHECKING:  # imported when the command runs
    from pbxconf.manifest import Desired
    from pbxconf.watch.watcher import Watcher

log = logging.getLogger("pbxconf.watch")


@click.command(cls=PbxconfCommand)
@manifest_paths
@connection_options
@write_options
@click.option(
    "--listen",
    default=opt.DEFAULT_LISTEN,
    show_default=True,
    metavar="HOST:PORT",
    help="Where to listen for the PBX's reports; /healthz and /metrics are served there too.",
)
@click.option(
    "--advertise",
    metavar="URL",
    help="The URL the PBX is to send reports to, when it reaches the listener through NAT or "
    "a proxy (login `url`, `urltag` 1), e.g. http://203.0.113.5:8260/report.",
)
@click.option(
    "--allow-from",
    multiple=True,
    metavar="ADDRESS",
    help="Also take reports from this address or network (NAT, a proxy); by default only "
    "from the PBX's own addresses. Repeatable.",
)
@click.option(
    "--interval",
    default=opt.DEFAULT_INTERVAL,
    show_default=True,
    metavar="DURATION",
    help="How often to plan in full (15m, 1h, 90s; 10s to 168h): what the PBX never reports, and lost reports.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="One line per event: for a person, or JSON lines.",
)
@click.option("--notify", metavar="URL", help="POST each event's JSON to this webhook (retried).")
@click.option(
    "--heal", is_flag=True, help="Apply the manifests to a drifted object at once (apply's rules)."
)
@click.option(
    "--heal-limit",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help=f"With --heal: at most N objects healed per interval, then report only (default {opt.DEFAULT_HEAL_LIMIT}).",
)
@click.option(
    "--prune",
    is_flag=True,
    help="With --heal: delete what no manifest names (protected objects excepted).",
)
def watch(
    manifests: Manifests,
    conn: Connection,
    listen: str,
    advertise: str | None,
    allow_from: tuple[str, ...],
    interval: str,
    fmt: str,
    notify: str | None,
    heal: bool,
    heal_limit: int | None,
    prune: bool,
) -> None:
    """Report drift from the manifests the moment the PBX reports a change (and heal it).

    Runs until SIGINT or SIGTERM, which finish the call in flight, log out and exit 0.
    SIGHUP reads the manifests again."""
    options = _options(
        listen, advertise, allow_from, interval, fmt, notify, heal, heal_limit, prune
    )
    if conn.sim:
        raise UsageError(
            "watch needs a PBX that pushes its reports over the network, not --sim: run "
            "`pbxconf sim serve` and give its --url"
        )
    for warning in check_connection(conn):
        log.warning(warning)
    assert conn.url is not None
    pbx_host = urlsplit(conn.url).hostname or ""
    if is_loopback_host(options.listen_host) and not is_loopback_host(pbx_host):
        log.warning(
            "--listen %s: the PBX cannot reach a loopback address; listen on 0.0.0.0 (or "
            "behind a proxy, give --advertise)",
            options.describe_listener(),
        )
    desired = manifests.load()
    from pbxconf.watch.listener import bind_listener

    sock = bind_listener(options.listen_host, options.listen_port)
    options.listen_port = sock.getsockname()[1]  # port 0: the one the system chose
    run_main(_watch(conn, options, desired, manifests, sock))


def _options(
    listen: str,
    advertise: str | None,
    allow_from: tuple[str, ...],
    interval: str,
    fmt: str,
    notify: str | None,
    heal: bool,
    heal_limit: int | None,
    prune: bool,
) -> opt.WatchOptions:
    if prune and not heal:
        raise UsageError("--prune goes with --heal (without it, watch deletes nothing)")
    if heal_limit is not None and not heal:
        raise UsageError("--heal-limit goes with --heal")
    host, port = opt.parse_listen(listen)
    options = opt.WatchOptions(
        listen_host=host,
        listen_port=port,
        allow_from=[opt.parse_allow_from(a) for a in allow_from],
        interval=opt.parse_interval(interval, opt.least_interval()),
        fmt=fmt,
        notify=opt.parse_notify(notify) if notify else None,
        heal=heal,
        heal_limit=heal_limit or opt.DEFAULT_HEAL_LIMIT,
        prune=prune,
    )
    if advertise:
        options.advertise, options.advertise_port = opt.parse_advertise(advertise)
    return options


async def _watch(
    conn: Connection,
    options: opt.WatchOptions,
    desired: Desired,
    manifests: Manifests,
    sock: socket.socket,
) -> None:
    from pbxconf.connect import client_settings, pbx_client
    from pbxconf.watch.listener import ReportListener
    from pbxconf.watch.metrics import WatchMetrics
    from pbxconf.watch.notify import Notifier
    from pbxconf.watch.output import EventOutput
    from pbxconf.watch.watcher import Watcher

    settings = client_settings(
        conn,
        report_port=str(options.report_port),
        report_url=options.advertise,
        report_version="1.0.2",  # the manual: well-formed JSON reports
    )
    client = pbx_client(conn, settings)
    metrics = WatchMetrics(lambda: client.calls)
    notifier = Notifier(options.notify, metrics) if options.notify else None
    output = EventOutput(options.fmt, lambda line: click.echo(line), metrics, notifier)
    watcher = Watcher(client, desired, manifests.load, options, output, metrics, conn.describe())
    listener = ReportListener(sock, watcher.intake, metrics, watcher.health)
    stopped_by = _handle_signals(watcher)
    try:
        await listener.start()
        if notifier is not None:
            notifier.start()
        await watcher.run()
    finally:
        await watcher.close(stopped_by[0] if stopped_by else "")
        await listener.stop()
        if notifier is not None:
            await notifier.close()


def _handle_signals(watcher: Watcher) -> list[str]:
    """SIGINT/SIGTERM: stop after the call in flight (a second one stops at once);
    SIGHUP: read the manifests again. Returns the list the stopping signal's name goes in."""
    received: list[str] = []
    if threading.current_thread() is not threading.main_thread() or sys.platform == "win32":
        return received
    loop = asyncio.get_running_loop()

    def stop(name: str) -> None:
        if watcher.stop.is_set():
            raise KeyboardInterrupt
        received.append(name)
        watcher.stop_flag.requested = name
        watcher.stop.set()
        click.echo(f"{name}: finishing the call in flight, then logging out...", err=True)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop, sig.name)
    loop.add_signal_handler(signal.SIGHUP, watcher.reload.set)
    return received
