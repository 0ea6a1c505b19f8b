"""Which files a run reads: files as given, and the manifests inside directories."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pbxconf.manifest.errors import ManifestError, ManifestErrors


def manifest_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, and every *.yaml / *.yml inside given directories, sorted. Hidden
    files and folders inside a directory are skipped: a repository's `.github` workflows
    or `.pre-commit-config.yaml` are not manifests."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.suffix in (".yaml", ".yml")
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and p.is_file()
            )
        elif path.is_file():
            found.append(path)
        else:
            raise ManifestErrors([ManifestError(None, "", f"{raw}: no such file or directory")])
    if not found:
        raise ManifestErrors(
            [
                ManifestError(
                    None,
                    "",
                    "no *.yaml or *.yml manifest found in " + ", ".join(str(p) for p in paths),
                )
            ]
        )
    return found
