"""Where the values of `${VAR}` references come from, besides the environment: a dotenv
file, or a command that prints them (a vault's CLI), as CI already has them. A secret is
never given on the command line, where it would be in the shell's history and in every
process listing.

A variable set in the environment wins over the source. A command's output is read as
dotenv lines (`NAME=value`) or as one JSON object of names to values.
"""

from __future__ import annotations

import io
import json
import os
import shlex
import subprocess
from collections.abc import Mapping
from pathlib import Path

from pbxconf.errors import PbxconfError, UsageError
from pbxconf.redact import mask

COMMAND_TIMEOUT = 60.0


class SecretsError(PbxconfError):
    """The secrets source could not be read; the message never holds a value."""


# How messages name the source: the command line's options, unless the source is given
# elsewhere (a fleet inventory's `secrets:`).
FILE_OPTION, COMMAND_OPTION = "--secrets-file", "--secrets-command"


def environment(
    file: Path | None = None,
    command: str | None = None,
    *,
    named: tuple[str, str] = (FILE_OPTION, COMMAND_OPTION),
) -> Mapping[str, str]:
    """The process environment laid over the secrets source (a file or a command).
    `named`: how messages name the file and the command."""
    if file is not None and command is not None:
        raise UsageError(f"give {named[0]} or {named[1]}, not both")
    source: dict[str, str] = {}
    if file is not None:
        source = read_dotenv(file, named[0])
    elif command is not None:
        source = run_command(command, named[1])
    return {**source, **os.environ}


def read_dotenv(path: Path, named: str = FILE_OPTION) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise SecretsError(f"{named} {path}: cannot read: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise SecretsError(f"{named} {path}: not UTF-8 text") from None
    return _dotenv(text, f"{named} {path}")


def _dotenv(text: str, source: str) -> dict[str, str]:
    """NAME=value lines. A line that is not one is an error naming its line (python-dotenv
    only logs it, without the file, and goes on); the line itself may hold a secret and
    is never shown."""
    from dotenv import dotenv_values
    from dotenv.parser import parse_stream

    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            raise SecretsError(
                f"{source}: line {binding.original.line} is not NAME=value (not shown: it "
                "may hold a secret)"
            )
    values = dotenv_values(stream=io.StringIO(text))
    return {name: value for name, value in values.items() if value is not None}


def run_command(command: str, named: str = COMMAND_OPTION) -> dict[str, str]:
    """Run the command (no shell: its words as a shell splits them) and read what it
    prints. Its error output is shown masked, never its standard output."""
    try:
        argv = shlex.split(command)
    except ValueError as err:
        raise UsageError(f"{named}: cannot split it into words ({err})") from None
    if not argv:
        raise UsageError(f"{named} is empty")
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
        )
    except FileNotFoundError:
        raise SecretsError(f"{named}: {argv[0]}: no such command") from None
    except subprocess.TimeoutExpired:
        raise SecretsError(
            f"{named}: {argv[0]} did not finish in {COMMAND_TIMEOUT:.0f} s"
        ) from None
    except OSError as err:
        raise SecretsError(f"{named}: {argv[0]}: {err.strerror or err}") from None
    if done.returncode != 0:
        said = mask(done.stderr.strip())[-300:]
        raise SecretsError(
            f"{named}: {argv[0]} exited {done.returncode}" + (f": {said}" if said else "")
        )
    return _parse_output(done.stdout, named)


def _parse_output(text: str, named: str) -> dict[str, str]:
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError:
            raise SecretsError(f"{named}: its output starts like JSON but is not") from None
        if not isinstance(data, dict) or not all(
            isinstance(v, (str, int, float)) for v in data.values()
        ):
            raise SecretsError(f"{named}: its JSON maps names to text only")
        return {str(k): str(v) for k, v in data.items()}
    return _dotenv(text, f"{named}: its output")
