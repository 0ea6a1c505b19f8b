"""Files a command writes (saved plans, exports, schemas, the simulator's state): looked at
before the work that fills them, and written whole or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from pbxconf.errors import PbxconfError


class OutputError(PbxconfError):
    """A file could not be written; the message says which and why."""


def cannot_write(path: Path) -> str | None:
    """Why `path` cannot be written, or None where it looks writable. Commands ask before
    the work whose result goes there, so that no plan or export is made and then lost to
    a mistyped path (the write itself can still fail, and then says why)."""
    if path.is_dir():
        return "it is a directory"
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is not a directory"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"{folder} is not writable"
    return None


def cannot_make_folder(path: Path) -> str | None:
    """Why the folder `path` cannot be made, or None once it is there. For a command that
    writes into a folder: made before the work, it is a real test where `cannot_write`
    only looks (as root, everything looks writable, /proc too)."""
    if reason := cannot_write(path / "x"):
        return reason
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return err.strerror or str(err)
    return None


def write_whole(path: Path, text: str | Iterable[str], *, private: bool = False) -> None:
    """Write `text` to `path` through a temporary file beside it, so an interrupted command
    or a full disk never leaves half a file where a whole one was. Creates the folders on
    the way. The file gets the mode a plain write would give it (a replaced file keeps
    its own), or owner-only where `private` (it holds secrets). Raises OutputError."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = 0o600 if private else _plain_mode(path)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                # Pieces are written as they come: a large file is never whole in memory.
                for piece in (text,) if isinstance(text, str) else text:
                    handle.write(piece)
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as err:
        raise OutputError(f"cannot write {path}: {err.strerror or err}") from None


def _plain_mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)  # read it the only way there is, and put it back at once
        os.umask(umask)
        return 0o666 & ~umask
