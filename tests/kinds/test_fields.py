"""Field converters: how lists that are sets are put in order."""

from __future__ import annotations

import pytest

from pbxconf.kinds.fields import _as_set, natural_key


@pytest.mark.parametrize(
    "items",
    [
        ["1002", "1000", "10000", "1001", "1000"],
        ["010", "9", "10", "0", "00"],  # numbers as written: leading zeros kept, in order
        ["sales", "1000", "support", "200", "sales"],  # names after numbers
        [],
    ],
)
def test_a_set_is_in_natural_order_without_repeats(items: list[str]) -> None:
    ordered = _as_set(items)
    assert ordered == sorted(set(items), key=natural_key)
    assert len(ordered) == len(set(items))
    numbers = [int(i) for i in ordered if i.isdigit()]
    assert numbers == sorted(numbers)


def test_nothing_stays_nothing() -> None:
    assert _as_set(None) is None
