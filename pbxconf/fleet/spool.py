"""Texts by PBX and channel (a format's output, a saved plan's line), kept in temporary
files until the run's output is written: read back in the inventory's order, never all
in memory at once. A worker process spools into a file of its own (`keep_in`), which the
run's spool then reads from too (`adopt`)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

Where = dict[tuple[str, int], tuple[int, int]]


class Spool:
    def __init__(self, keep_in: Path | None = None) -> None:
        # Closed by close(), once the run's output has been read back.
        if keep_in is None:
            own: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
            self.path: Path | None = None
        else:
            own = tempfile.NamedTemporaryFile(dir=keep_in, delete=False)  # noqa: SIM115
            self.path = Path(own.name)
        self._files: list[IO[bytes]] = [own]
        self._where: dict[tuple[str, int], tuple[int, int, int]] = {}

    def put(self, channel: str, index: int, text: str) -> None:
        data = text.encode("utf-8")
        own = self._files[0]
        own.seek(0, 2)
        self._where[(channel, index)] = (0, own.tell(), len(data))
        own.write(data)

    def get(self, channel: str, index: int) -> str | None:
        where = self._where.get((channel, index))
        if where is None:
            return None
        file, offset, size = where
        handle = self._files[file]
        handle.seek(offset)
        return handle.read(size).decode("utf-8")

    def each(self, channel: str, count: int) -> Iterator[tuple[int, str]]:
        for index in range(count):
            text = self.get(channel, index)
            if text is not None:
                yield index, text

    def where(self) -> Where:
        """What this spool holds, where in its own file (a worker hands it over)."""
        self._files[0].flush()
        return {key: (offset, size) for key, (_f, offset, size) in self._where.items()}

    def adopt(self, path: Path, where: Where) -> None:
        """Read these texts from another spool's file too."""
        self._files.append(path.open("rb"))
        file = len(self._files) - 1
        for key, (offset, size) in where.items():
            self._where[key] = (file, offset, size)

    def close(self) -> None:
        for handle in self._files:
            handle.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
