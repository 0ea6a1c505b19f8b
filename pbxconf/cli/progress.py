"""What apply shows while it runs, and how it stops when asked to."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

import click

from pbxconf.apply import Progress, StopFlag, labels
from pbxconf.cli.output import Output
from pbxconf.kinds import ApiCall
from pbxconf.plan import Step


@contextlib.contextmanager
def stop_on_signals(stop: StopFlag, task: asyncio.Future[Any]) -> Iterator[None]:
    """SIGINT/SIGTERM during apply: finish the call in flight, then stop cleanly. A second
    signal stops at once: the apply `task` is cancelled in its call, and still reports
    what it did."""
    loop = asyncio.get_running_loop()
    installed = []

    def request(name: str) -> None:
        if stop.requested:
            stop.now = True
            click.echo(f"\n{name} again: stopping now, without the call's answer...", err=True)
            task.cancel()
            return
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
def progress_display(terminal: bool, output: Output | None = None) -> Iterator[Progress]:
    """Apply's progress on stderr: a progress bar on a terminal (rich), and one line per
    call elsewhere, naming its objects, which is what a CI log wants:
    `[3/12] siptrunk/add trunks[name=carrier] ... ok`. Nothing with -q."""
    output = output or Output()
    if output.quiet:

        def nothing(index: int, count: int, step: Step, call: ApiCall, state: str) -> None:
            pass

        yield nothing
        return
    if not terminal:

        def line(index: int, count: int, step: Step, call: ApiCall, state: str) -> None:
            if state == "start":
                click.echo(
                    f"[{index}/{count}] {call.endpoint} {labels(step)} ...", err=True, nl=False
                )
            else:
                click.echo(" ok" if state == "done" else " FAILED", err=True)

        yield line
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    columns = (
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    console = Console(stderr=True, no_color=not output.colour(sys.stderr))
    with Bar(*columns, console=console) as bar:
        task = bar.add_task("applying", total=None)

        def show(index: int, count: int, step: Step, call: ApiCall, state: str) -> None:
            done = bar.tasks[0].completed
            if state == "start":
                # After a re-read the remaining plan is counted afresh: keep the total honest.
                bar.update(task, description=call.endpoint, total=done + count - index + 1)
            elif state == "done":
                bar.advance(task)
            else:
                bar.console.print(f"[red]FAILED[/red] {call.endpoint} {escape(labels(step))}")

        yield show
