"""The root of every error pbxconf reports to a person, and the exit code it ends with.

    PbxconfError                 exit 1: the message says what and where
    +-- UsageError               exit 2: the command line or its environment is wrong
    |   +-- connect.ConnectError     options that do not describe a reachable PBX
    +-- api.PbxError             the PBX's answer, or its absence (api/errors.py)
    +-- live.LiveReadError       the PBX answered something that is not configuration
    +-- manifest.ManifestErrors  every error in the manifests, each at file:line:col
    +-- files.OutputError        a file could not be written
    +-- saved_plan.SavedPlanError
        +-- saved_plan.StalePlan

The command line maps them to exits in one place (cli/__init__.py). Where a command's
`--detailed-exitcode` makes 2 mean "changes", a usage error exits 1 instead.
"""

from __future__ import annotations


class PbxconfError(Exception):
    exit_code = 1

    @property
    def summary(self) -> str:
        """What the command says last, after `details()`."""
        return str(self)

    def details(self) -> list[str]:
        """Lines printed before the message (e.g. each manifest error)."""
        return []


class UsageError(PbxconfError):
    exit_code = 2
