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


def environment(file: Path | None = None, command: str | None = None) -> Mapping[str, str]:
    """The process environment laid over the secrets source (a file or a command)."""
    if file is not None and command is not None:
        raise UsageError("give --secrets-file or --secrets-command, not both")
    source: dict[str, str] = {}
    if file is not None:
        source = read_dotenv(file)
    elif command is not None:
        source = run_command(command)
    return {**source, **os.environ}


def read_dotenv(path: Path) -> dict[str, str]:
    from dotenv import dotenv_values

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise SecretsError(f"--secrets-file {path}: cannot read: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise SecretsError(f"--secrets-file {path}: not UTF-8 text") from None
    values = dotenv_values(stream=io.StringIO(text))
    return {name: value for name, value in values.items() if value is not None}


def run_command(command: str) -> dict[str, str]:
    """Run the command (no shell: its words as a shell splits them) and read what it
    prints. Its error output is shown masked, never its standard output."""
    try:
        argv = shlex.split(command)
    except ValueError as err:
        raise UsageError(f"--secrets-command: cannot split it into words ({err})") from None
    if not argv:
        raise UsageError("--secrets-command is empty")
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
        )
    except FileNotFoundError:
        raise SecretsError(f"--secrets-command: {argv[0]}: no such command") from None
    except subprocess.TimeoutExpired:
        raise SecretsError(
            f"--secrets-command: {argv[0]} did not finish in {COMMAND_TIMEOUT:.0f} s"
        ) from None
    except OSError as err:
        raise SecretsError(f"--secrets-command: {argv[0]}: {err.strerror or err}") from None
    if done.returncode != 0:
        said = mask(done.stderr.strip())[-300:]
        raise SecretsError(
            f"--secrets-command: {argv[0]} exited {done.returncode}" + (f": {said}" if said else "")
        )
    return _parse_output(done.stdout)


def _parse_output(text: str) -> dict[str, str]:
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError:
            raise SecretsError(
                "--secrets-command: its output starts like JSON but is not"
            ) from None
        if not all(isinstance(v, (str, int, float)) for v in data.values()):
            raise SecretsError("--secrets-command: its JSON maps names to text only")
        return {str(k): str(v) for k, v in data.items()}
    from dotenv import dotenv_values

    values = dotenv_values(stream=io.StringIO(text))
    return {name: value for name, value in values.items() if value is not None}
