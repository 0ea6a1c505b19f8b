"""What a manifest error says: where (`file:line:col`), the path inside the document, and
what was expected and found."""

from __future__ import annotations

from dataclasses import dataclass

from pbxconf.errors import PbxconfError


@dataclass(frozen=True)
class Position:
    file: str
    line: int  # 1-based
    col: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class ManifestError:
    position: Position | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.position}: " if self.position else ""
        path = f"{self.path}: " if self.path else ""
        return f"{where}{path}{self.message}"


class ManifestErrors(PbxconfError):
    def __init__(self, errors: list[ManifestError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))

    @property
    def summary(self) -> str:
        noun = "error" if len(self.errors) == 1 else "errors"
        return f"{len(self.errors)} {noun} in the manifests"

    def details(self) -> list[str]:
        return [str(error) for error in self.errors]
