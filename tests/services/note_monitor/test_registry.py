"""Escrow registration and removal: discovered through the PXE, persisted, versioned; secrets never kept."""

from __future__ import annotations

from typing import Any

import pytest

from services.note_monitor.registry import EscrowExists, EscrowNotFound, EscrowRejected, PxeUnavailable
from shared.pxe.client import PoolConfig
from shared.pxe.errors import PxeReverted
from tests.services.note_monitor.fakes import BTC, E18, POOL, USDC, FakePxe, escrow, registry_for

SECRET = "0x" + "5e" * 31


async def test_registration_discovers_the_pool_and_tokens_and_reads_the_position(tmp_path: Any) -> None:
    pxe = FakePxe()
    address = pxe.add(1, collateral=3 * E18)
    registry = await registry_for(tmp_path, pxe)
    found = await registry.register(address, SECRET, None)
    assert (found.pool, found.collateral_token, found.debt_token) == (POOL, BTC, USDC)
    assert (found.collateral_asset, found.debt_asset, found.liquidation_threshold_bps) == ("BTC", "USDC", 8000)
    assert found.has_secret_key
    position = registry.index.get(address)
    assert position is not None and position.collateral_amount == 3 * E18 and position.block_number == 7
    assert registry.index.version == position.version == 1
    assert pxe.registered == [{"instance": {"address": address}, "secretKey": SECRET}]
    snapshot = await registry.store.load()
    assert [e.address for e in snapshot.escrows] == [address]
    assert SECRET[2:] not in repr(snapshot)  # the secret key went to the PXE only


async def test_a_second_registration_conflicts(tmp_path: Any) -> None:
    pxe = FakePxe()
    address = pxe.add(1)
    registry = await registry_for(tmp_path, pxe)
    await registry.register(address, None, None)
    with pytest.raises(EscrowExists):
        await registry.register(address.upper().replace("0X", "0x"), None, None)


async def test_the_pxes_refusal_and_an_outage_are_told_apart(tmp_path: Any) -> None:
    pxe = FakePxe(failing={escrow(2): PxeReverted(f"Escrow notes unknown for {SECRET}")}, note_store=False)
    pxe.add(2)
    registry = await registry_for(tmp_path, pxe)
    with pytest.raises(EscrowRejected) as rejected:
        await registry.register(escrow(2), SECRET, None)
    assert SECRET not in str(rejected.value) and "***" in str(rejected.value)
    pxe.down = True
    with pytest.raises(PxeUnavailable):
        await registry.register(escrow(3), None, None)
    assert registry.pxe_reachability.up is False and registry.escrows == {}


async def test_an_instance_must_belong_to_the_address(tmp_path: Any) -> None:
    pxe = FakePxe()
    address = pxe.add(1)
    registry = await registry_for(tmp_path, pxe)
    with pytest.raises(EscrowRejected, match="does not match address") as rejected:
        await registry.register(address, None, {"address": escrow(9)})
    assert rejected.value.field == "instance.address"


async def test_removal_leaves_a_versioned_tombstone(tmp_path: Any) -> None:
    pxe = FakePxe()
    address = pxe.add(1)
    registry = await registry_for(tmp_path, pxe)
    await registry.register(address, None, None)
    await registry.remove(address)
    [tombstone] = registry.index.since(1)
    assert tombstone.escrow == address and tombstone.version == 2
    assert (await registry.store.load()).removals[0].version == 2
    with pytest.raises(EscrowNotFound):
        await registry.remove(address)


BOUNDED_VEC = "Assertion failed: Attempted to read past end of BoundedVec 'index < self.len'"


class OwnersOnlyPxe(FakePxe):
    """A real PXE without the owner's keys: the escrow's config note read ends in Noir's BoundedVec message."""

    async def escrow_pool(self, address: str) -> str:
        raise PxeReverted(BOUNDED_VEC)


async def test_noirs_bounded_vec_message_becomes_words_that_say_what_to_give(tmp_path: Any) -> None:
    pxe = OwnersOnlyPxe()
    address = pxe.add(1)
    registry = await registry_for(tmp_path, pxe)
    with pytest.raises(EscrowRejected) as rejected:
        await registry.register(address, SECRET, None, owner=escrow(77))
    words = str(rejected.value)
    assert rejected.value.field == "pool" and "BoundedVec" not in words
    assert f"cannot read escrow {address}'s config note" in words and "owner's keys" in words and "`pool`" in words
    assert pxe.senders == [escrow(77)]  # the owner was registered as a sender before the read

    found = await registry.register(address, SECRET, None, owner=escrow(77), pool=POOL)  # the pool given: no config note
    assert (found.pool, found.owner, found.collateral_asset) == (POOL, escrow(77), "BTC")
    assert pxe.senders == [escrow(77), escrow(77), POOL]


async def test_a_pool_whose_config_is_no_lending_pools_is_refused(tmp_path: Any) -> None:
    class NotAPool(FakePxe):
        async def pool_config(self, pool: str) -> PoolConfig:
            return PoolConfig(BTC, BTC, 7500, 10**9)

    pxe = NotAPool()
    registry = await registry_for(tmp_path, pxe)
    with pytest.raises(EscrowRejected) as rejected:
        await registry.register(pxe.add(1), None, None, pool=POOL)
    assert rejected.value.field == "pool"
    assert "two distinct non-zero addresses" in str(rejected.value) and "not within 1..10000" in str(rejected.value)
    assert registry.escrows == {}
