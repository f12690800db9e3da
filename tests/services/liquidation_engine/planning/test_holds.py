"""The rules that hold an escrow back: cooldowns after failures, re-reads after changes, one attempt at a time."""

from __future__ import annotations

from services.liquidation_engine.planning.holds import Cooldowns, Rereads


def test_cooldown_grows_exponentially_up_to_the_maximum_and_clears_on_success() -> None:
    clock = [100.0]
    cooldowns = Cooldowns(base=30, maximum=900, clock=lambda: clock[0])
    assert [cooldowns.failed("e") for _ in range(7)] == [30, 60, 120, 240, 480, 900, 900]
    assert cooldowns.blocked("e")
    clock[0] += 899
    assert cooldowns.blocked("e")
    clock[0] += 2
    assert not cooldowns.blocked("e")
    cooldowns.failed("e")
    cooldowns.succeeded("e")
    assert not cooldowns.blocked("e") and cooldowns.failed("e") == 30


def test_reread_is_satisfied_by_a_newer_monitor_version_or_our_own_read() -> None:
    rereads = Rereads()
    rereads.require("a", 5)
    rereads.require("b", 5)
    assert rereads.pending("a", 5)
    assert not rereads.pending("a", 6) and not rereads.pending("a", 5)
    rereads.done("b")
    assert not rereads.pending("b", 0)
