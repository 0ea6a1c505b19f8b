"""Output files: refused early where they cannot be written, written whole or not at all."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pbxconf.files import OutputError, cannot_write, write_whole


def test_cannot_write_says_why(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    assert cannot_write(tmp_path / "new" / "deeper" / "out.json") is None
    assert cannot_write(tmp_path) == "it is a directory"
    assert (
        cannot_write(tmp_path / "a-file" / "out.json")
        == f"{tmp_path / 'a-file'} is not a directory"
    )


def test_write_whole_replaces_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.yaml"
    target.write_text("old\n")
    target.chmod(0o640)
    write_whole(target, "new\n")
    assert target.read_text() == "new\n"
    assert target.stat().st_mode & 0o777 == 0o640
    write_whole(target, "secret\n", private=True)
    assert target.stat().st_mode & 0o777 == 0o600


def test_a_new_file_gets_the_mode_of_a_plain_write(tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    write_whole(tmp_path / "whole.txt", "x")
    assert (tmp_path / "whole.txt").stat().st_mode == plain.stat().st_mode


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "plan.json"
    target.write_text("the old plan")

    def disk_full(src: str, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(
        OutputError, match=re.escape(f"cannot write {target}: No space left on device")
    ):
        write_whole(target, "the new plan")
    assert target.read_text() == "the old plan"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def test_a_folder_that_cannot_be_made_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    target = tmp_path / "a-file" / "x" / "out.json"
    with pytest.raises(OutputError, match=re.escape(f"cannot write {target}: ")):
        write_whole(target, "")
