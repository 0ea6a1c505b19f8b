"""The cyclic collector is paused for a bulk phase and always comes back as it was."""

from __future__ import annotations

import gc

import pytest

from pbxconf.bulk import collector_paused, freeze_after_phases


def test_paused_inside_and_back_after_even_on_error() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_frozen_only_when_the_program_asks() -> None:
    freeze_after_phases(False)  # a CLI test in this process may have turned it on
    gc.unfreeze()
    with collector_paused():
        built = [{"n": i} for i in range(1000)]
    assert gc.get_freeze_count() == 0  # a library user's objects stay collectable
    freeze_after_phases()
    try:
        with collector_paused():
            built += [{"n": i} for i in range(1000)]
        assert gc.get_freeze_count() >= len(built)
    finally:
        freeze_after_phases(False)
        gc.unfreeze()


def test_left_off_when_the_caller_had_it_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
