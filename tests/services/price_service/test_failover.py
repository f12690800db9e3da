"""Two price services as processes on one PostgreSQL database and one updater key (issue 14's proof):
the leader killed with SIGKILL, the standby pushes within one poll interval, and no nonce error."""

from __future__ import annotations

import time
from collections.abc import Callable

from devnet.chain.local import LocalChain
from tests.fixtures.chain import run_async
from tests.fixtures.fake_cmc import FakeCoinMarketCap
from tests.fixtures.processes import ServiceProcess, wait_until
from tests.services.price_service.service_harness import read_onchain

POLL = 5.0  # PRICE_POLL_INTERVAL; the lease lasts half of it, tried every third of that
CMC_KEY = "failover-cmc-key-8b1a9c2d3e4f5a6b7c8d9e0f1a2b3c4d"
NONCE_TROUBLE = ("nonce too low", "nonce is too low", "oldnonce", "used by other transactions", "nonceusedelsewhere")


def test_the_standby_pushes_within_one_poll_interval_after_the_leader_is_killed(
        local_chain: LocalChain, oracle_address: str, postgres_url: str,
        processes: Callable[..., ServiceProcess]) -> None:
    cmc = FakeCoinMarketCap(CMC_KEY)
    cmc.set(BTC="97000")
    cmc.start()

    def onchain() -> int:
        return int(run_async(read_onchain(local_chain.url, oracle_address, "BTC"))[0])

    try:
        env = {"DATABASE_URL": postgres_url, "RPC_URL": local_chain.url, "ORACLE_ADDRESS": oracle_address,
               "ORACLE_UPDATER_PRIVATE_KEY": local_chain.keys[1], "CMC_API_KEY": CMC_KEY, "CMC_BASE_URL": cmc.url,
               "PRICE_POLL_INTERVAL": str(POLL), "LIQUIDATION_ENGINE_URL": "http://127.0.0.1:9", "NOTIFY_ATTEMPTS": "1"}
        leader = processes("price-service", "price-a", env)
        wait_until(lambda: leader.health()["role"] == "leader", POLL, "price-a to lead")
        assert leader.post("/assets", {"symbol": "BTC", "name": "Bitcoin"}).status_code == 201
        wait_until(lambda: onchain() == 97000 * 10**8, 30, "the leader's first push")

        standby = processes("price-service", "price-b", env)
        health = standby.health()
        assert (health["role"], health["instanceId"], health["leaderId"]) == ("standby", "price-b", "price-a")
        wait_until(lambda: standby.get("/prices").json()["prices"][0]["price"] is not None, 2 * POLL,
                   "the standby's own quotes")

        leader.stop(kill=True)
        killed = time.monotonic()
        cmc.set(BTC="99000")
        wait_until(lambda: onchain() == 99000 * 10**8, POLL, "the standby to push within one poll interval of the kill")
        taken_over_in = time.monotonic() - killed
        assert standby.health()["role"] == "leader" and standby.health()["leaderId"] == "price-b"

        assert standby.events("Price leadership taken")
        assert any(e["txHash"] for e in standby.events("Price updated on-chain")), taken_over_in
        assert not standby.events("Price update failed")
        assert standby.events("Price updated on-chain")[0]["assets"] == ["BTC"]
        logs = (leader.log_path.read_text() + standby.log_path.read_text()).lower()
        assert not [trouble for trouble in NONCE_TROUBLE if trouble in logs]
        assert len(leader.events("Price updated on-chain")) == 1  # the leader pushed once, the standby never beside it
    finally:
        cmc.stop()
