"""How much a command says, and whether in colour: -v (debug logging), -q (errors and
results only: no progress, no warnings), --no-color or the NO_COLOR convention
(https://no-color.org), taken before or after the subcommand."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from typing import IO


@dataclass
class Output:
    verbose: int = 0
    quiet: bool = False
    no_color: bool = False

    def colour(self, stream: IO[str] | None = None) -> bool:
        """Colour only on a terminal, and never where it was turned off."""
        if self.no_color or os.environ.get("NO_COLOR"):
            return False
        return (stream or sys.stdout).isatty()


OUTPUT = Output()


def configure(verbose: int, quiet: bool, no_color: bool) -> None:
    OUTPUT.verbose, OUTPUT.quiet, OUTPUT.no_color = verbose, quiet, no_color
    if verbose and quiet:
        from pbxconf.errors import UsageError

        raise UsageError("-v and -q contradict each other: give one")
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING
    from pbxconf.redact import MaskSecrets

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskSecrets())  # no log line ever shows a token or a password
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx at DEBUG is a wire dump; pbxconf's own debug lines are what a person wants.
    for noisy in ("httpcore", "hpack", "uvicorn"):
        logging.getLogger(noisy).setLevel(max(level, logging.INFO))
