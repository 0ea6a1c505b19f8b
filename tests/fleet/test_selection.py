"""Selections and shards: which PBXes a command runs on."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from pbxconf.errors import UsageError
from pbxconf.fleet.inventory import Inventory, Member
from pbxconf.fleet.selection import Selection, Selector, Shard, shard_of
from pbxconf.manifest import Position


def member(name: str, **labels: str) -> Member:
    return Member(
        name=name,
        url=f"https://{name}.example.com",
        labels=labels,
        layers=(),
        variables={},
        username="api",
        username_env=None,
        password_env="P",
        ca_bundle=None,
        insecure=False,
        timeout=None,
        write_interval=None,
        position=Position("pbxconf.yaml", 1, 1),
        fingerprint=name,
    )


def inventory(*members: Member) -> Inventory:
    return Inventory(Path("pbxconf.yaml"), list(members))


NAMES = [f"hotel-{i:03d}" for i in range(300)]


@pytest.mark.parametrize("count", [1, 2, 3, 7, 16])
def test_shards_cover_the_selection_once(count: int) -> None:
    fleet = inventory(*(member(n) for n in NAMES))
    chosen = Selection(everything=True).chosen(fleet)
    shards = [Selection(shard=Shard(k, count)).sharded(chosen) for k in range(1, count + 1)]
    names = [m.name for shard in shards for m in shard]
    assert sorted(names) == NAMES  # every PBX, each in one shard
    if count > 1:  # and spread: no shard holds more than twice its share
        assert max(len(s) for s in shards) < 2 * len(NAMES) / count


def test_a_shard_depends_on_the_name_alone() -> None:
    before = {n: shard_of(n, 4) for n in NAMES}
    shuffled = NAMES[:]
    random.Random(1).shuffle(shuffled)
    grown = [*shuffled, "hotel-new-1", "hotel-new-2"]
    fleet = inventory(*(member(n) for n in grown))
    for k in range(1, 5):
        shard = Selection(shard=Shard(k, 4)).sharded(fleet.members)
        for m in shard:
            if m.name in before:
                assert before[m.name] == k  # reordering and growth moved no one


def test_selectors() -> None:
    fleet = inventory(
        member("a", region="eu", tier="prod"),
        member("b", region="us", tier="prod"),
        member("c", region="eu", tier="test"),
        member("d", tier="prod"),
    )

    def chosen(*texts: str) -> list[str]:
        selectors = tuple(Selector.parse(t) for t in texts)
        return [m.name for m in Selection(selectors=selectors).chosen(fleet)]

    assert chosen("region=eu") == ["a", "c"]
    assert chosen("region=eu,us") == ["a", "b", "c"]
    assert chosen("region!=eu") == ["b", "d"]
    assert chosen("region=eu", "tier=prod") == ["a"]
    assert chosen(" tier = test ") == ["c"]


@pytest.mark.parametrize("text", ["region", "=eu", "region=", "re gion=eu", "region==eu"])
def test_bad_selectors(text: str) -> None:
    with pytest.raises(UsageError, match="expected LABEL=VALUE"):
        Selector.parse(text)


@pytest.mark.parametrize("text", ["3/2", "0/1", "1/0", "2", "a/b", "-1/2"])
def test_bad_shards(text: str) -> None:
    with pytest.raises(UsageError, match="--shard"):
        Shard.parse(text)


def test_names_keep_the_inventory_order() -> None:
    fleet = inventory(member("a"), member("b"), member("c"))
    chosen = Selection(names=("c", "a")).chosen(fleet)
    assert [m.name for m in chosen] == ["a", "c"]
