"""Leases on the database's clock: one holder at a time, renewable, free again on expiry or release."""

from __future__ import annotations

import asyncio

from sqlalchemy import MetaData

from shared.leases import Leases, lease_table, owner
from tests.fixtures.databases import tracked_database

TTL_MS = 600


async def _pair(database_url: str) -> tuple[Leases, Leases]:
    metadata = MetaData()
    table = lease_table(metadata, "test_leases")
    db = tracked_database(database_url)
    await db.create_all(metadata)
    return Leases(db, table, "engine-a", TTL_MS), Leases(tracked_database(database_url), table, "engine-b", TTL_MS)


async def test_one_holder_at_a_time_until_the_lease_runs_out(database_url: str) -> None:
    a, b = await _pair(database_url)
    assert await a.take("leader")
    assert not await b.take("leader")
    assert await a.take("leader")  # renewal
    await asyncio.sleep(TTL_MS / 1000 + 0.3)
    assert await b.take("leader")
    assert not await a.take("leader")


async def test_a_released_lease_is_free_at_once(database_url: str) -> None:
    a, b = await _pair(database_url)
    assert await a.take("leader")
    await b.release("leader")  # not b's to release
    assert not await b.take("leader")
    await a.release("leader")
    assert await b.take("leader")


async def test_live_lists_unexpired_leases_under_a_prefix(database_url: str) -> None:
    a, b = await _pair(database_url)
    assert await a.take("member/a") and await b.take("member/b") and await a.take("leader")
    live = await a.live("member/")
    assert [(h.name, h.holder) for h in live] == [("member/a", "engine-a"), ("member/b", "engine-b")]
    assert all(0 < h.expires_in_ms <= TTL_MS for h in live)
    await asyncio.sleep(TTL_MS / 1000 + 0.3)
    assert await b.take("member/b")
    assert [h.holder for h in await a.live("member/")] == ["engine-b"]


async def test_two_replicas_racing_for_a_new_lease_get_one_winner(database_url: str) -> None:
    a, b = await _pair(database_url)
    won = await asyncio.gather(a.take("leader"), b.take("leader"))
    assert sorted(won) == [False, True]


def test_when_a_member_leaves_only_its_keys_change_owner() -> None:
    keys = [f"0x{i:064x}" for i in range(300)]
    before = {k: owner(["a", "b", "c"], k) for k in keys}
    after = {k: owner(["a", "c"], k) for k in keys}
    assert {before[k] for k in keys} == {"a", "b", "c"}
    assert all(after[k] == before[k] for k in keys if before[k] != "b")
    assert {after[k] for k in keys if before[k] == "b"} == {"a", "c"}
