"""The note sync: every escrow read at most `concurrency` at once, real changes versioned, failures isolated."""

from __future__ import annotations

from typing import Any

import pytest

from services.note_monitor import sync
from services.note_monitor.metrics import MonitorMetrics
from services.note_monitor.recovery import Recovery
from services.note_monitor.sync import NoteSyncer
from shared.pxe.client import Notes
from shared.pxe.errors import PxeReverted
from tests.services.note_monitor.fakes import E18, POOL, FakePxe, escrow, registry_for


async def synced(tmp_path: Any, pxe: FakePxe, escrows: int, concurrency: int = 4,
                 batch_size: int = 2) -> tuple[NoteSyncer, Any]:
    registry = await registry_for(tmp_path, pxe, concurrency, batch_size)
    for n in range(1, escrows + 1):
        await registry.register(pxe.add(n), None, None)
    return NoteSyncer(registry, MonitorMetrics(), Recovery(registry.gateways, batch_size)), registry


async def test_only_real_changes_take_a_new_version(tmp_path: Any) -> None:
    pxe = FakePxe()
    syncer, registry = await synced(tmp_path, pxe, 5)
    version = registry.index.version
    pxe.block = 8
    report = await syncer.run()
    assert (report.escrows, report.changed, report.failures) == (5, 0, 0)
    assert registry.index.version == version and registry.index.get(escrow(1)).block_number == 8
    pxe.notes[escrow(3)] = Notes(E18 // 2, 1_000 * E18, 3)
    report = await syncer.run()
    assert report.changed == 1 and [p.escrow for p in registry.index.since(version)] == [escrow(3)]


async def test_one_failing_escrow_never_stops_the_others(tmp_path: Any) -> None:
    pxe = FakePxe()
    syncer, registry = await synced(tmp_path, pxe, 6)
    pxe.failing[escrow(2)] = PxeReverted("bad note")
    for n in range(1, 7):
        pxe.notes[escrow(n)] = Notes(2 * E18, 1_000 * E18, 3)
    report = await syncer.run()
    assert report.failures == 1 and report.changed == 5
    assert registry.index.get(escrow(2)).collateral_amount == E18  # the old view is kept


async def test_escrows_are_read_in_batches_never_more_than_the_concurrency_at_once(tmp_path: Any) -> None:
    pxe = FakePxe(delay=0.01, note_store=False)  # a PXE without pxe_getNotes: read by simulations
    syncer, _ = await synced(tmp_path, pxe, 20, concurrency=3, batch_size=4)
    pxe.most_in_flight, pxe.batches = 0, 0
    await syncer.run()
    assert pxe.batches == 5 and pxe.most_in_flight == 3


async def test_a_pxe_outage_ends_the_sync_early_and_says_so(tmp_path: Any) -> None:
    pxe = FakePxe()
    syncer, registry = await synced(tmp_path, pxe, 4)
    pxe.down = True
    report = await syncer.run()
    assert report.failures == 4 and report.changed == 0
    assert registry.pxe_reachability.up is False
    pxe.down = False
    report = await syncer.run()
    assert report.failures == 0 and registry.pxe_reachability.up is True


async def test_each_pool_is_read_in_one_call_and_escrows_whose_notes_kept_their_nonces_are_not_compared(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    pxe = FakePxe()
    syncer, registry = await synced(tmp_path, pxe, 6, batch_size=2)
    await syncer.run()  # the nonces of every escrow's notes are known from here on
    pxe.batches, pxe.queries = 0, []
    compared: list[str] = []
    real_unchanged = sync.unchanged
    monkeypatch.setattr(sync, "unchanged", lambda position, escrow, notes: compared.append(escrow.address)
                        or real_unchanged(position, escrow, notes))
    version = registry.index.version
    pxe.notes[escrow(4)] = Notes(3 * E18, 1_000 * E18, 3)
    report = await syncer.run()
    assert (report.changed, report.failures) == (1, 0)
    assert pxe.batches == 1 and pxe.queries == [None]  # one pxe_getNotes for the pool, not scoped
    # Only the escrow whose notes have new nonces is compared (and, its notes changed, versioned).
    assert compared == [escrow(4)] and [p.escrow for p in registry.index.since(version)] == [escrow(4)]
    assert registry.index.get(escrow(4)).collateral_amount == 3 * E18  # type: ignore[union-attr]


async def test_noirs_message_at_sync_time_becomes_words_and_senders_are_registered_again_once(tmp_path: Any) -> None:
    pxe = FakePxe(note_store=False)  # read by simulation: the PXE answers Noir's own message
    syncer, registry = await synced(tmp_path, pxe, 3)
    pxe.failing[escrow(2)] = PxeReverted("Assertion failed: Attempted to read past end of BoundedVec")
    pxe.senders.clear()
    assert (await syncer.run()).failures == 1
    assert pxe.senders == [POOL]  # the escrow's senders (its pool: it was registered without owner) once more
    problem = syncer.recovery.problems[escrow(2)]
    assert problem.kind == "no-note" and "BoundedVec" not in problem.words
    assert "never given its key" in problem.words and f"DELETE /escrows/{escrow(2)}" in problem.words
    await syncer.run()
    assert pxe.senders == [POOL]  # not at every sync
    del pxe.failing[escrow(2)]
    assert (await syncer.run()).failures == 0 and syncer.recovery.problems == {}
