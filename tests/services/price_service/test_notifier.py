"""Telling the engine about new prices: retried on its failures, never on its refusals, never blocking."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import respx

from services.price_service.notifier import MAX_PENDING, EngineFanout, EngineNotifier

ENGINE = "http://engine.test"
KEY = "notify-key-0123456789abcdef0123456789abcdef"


def update(asset: str = "BTC") -> dict[str, object]:
    return {"asset": asset, "price": "1", "previousPrice": None, "timestamp": 1, "txHash": "0x" + "ab" * 32}


@pytest.fixture
def engine() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


async def test_a_notification_carries_the_key_and_the_updates(engine: respx.MockRouter) -> None:
    route = engine.post(f"{ENGINE}/price-update").mock(return_value=httpx.Response(202, json={"accepted": 1}))
    notifier = EngineNotifier(ENGINE, KEY, attempts=3, backoff=0)
    notifier.start()
    notifier.notify([update()])
    await notifier.drain(2)
    await notifier.close()
    request = route.calls.last.request
    assert request.headers["x-api-key"] == KEY
    assert request.read() == b'{"updates":[{"asset":"BTC","price":"1","previousPrice":null,"timestamp":1,"txHash":"0x' + b"ab" * 32 + b'"}]}'
    assert (notifier.sent, notifier.failed) == (1, 0)


async def test_server_errors_are_retried_and_refusals_are_not(engine: respx.MockRouter) -> None:
    route = engine.post(f"{ENGINE}/price-update").mock(
        side_effect=[httpx.Response(503), httpx.ConnectError("refused"), httpx.Response(202), httpx.Response(401)])
    notifier = EngineNotifier(ENGINE, KEY, attempts=3, backoff=0)
    notifier.start()
    notifier.notify([update("BTC")])
    await notifier.drain(2)
    assert route.call_count == 3 and notifier.sent == 1
    notifier.notify([update("ETH")])
    await notifier.drain(2)
    await notifier.close()
    assert route.call_count == 4 and notifier.failed == 1  # a wrong key is not retried


async def test_gives_up_after_its_attempts(engine: respx.MockRouter) -> None:
    route = engine.post(f"{ENGINE}/price-update").mock(return_value=httpx.Response(500))
    notifier = EngineNotifier(ENGINE, KEY, attempts=2, backoff=0)
    notifier.start()
    notifier.notify([update()])
    await notifier.drain(2)
    await notifier.close()
    assert route.call_count == 2 and notifier.failed == 1


async def test_the_queue_is_bounded_and_drops_the_oldest(engine: respx.MockRouter) -> None:
    route = engine.post(f"{ENGINE}/price-update").mock(return_value=httpx.Response(202))
    notifier = EngineNotifier(ENGINE, KEY, attempts=1, backoff=0)
    for i in range(MAX_PENDING + 5):  # nothing is delivered yet: the worker has not started
        notifier.notify([update(f"A{i}")])
    notifier.start()
    await notifier.drain(2)
    await notifier.close()
    delivered = [call.request.read() for call in route.calls]
    assert len(delivered) == MAX_PENDING and b'"A5"' in delivered[0]


async def test_every_engine_replica_hears_every_price_and_a_dead_one_delays_no_other(engine: respx.MockRouter) -> None:
    live = engine.post("http://engine-a.test/price-update").mock(return_value=httpx.Response(202, json={"accepted": 1}))
    dead = engine.post("http://engine-b.test/price-update").mock(side_effect=httpx.ConnectError("refused"))
    fanout = EngineFanout("http://engine-a.test, http://engine-b.test", KEY, attempts=2)
    for target in fanout.targets:
        target._backoff = 0
    fanout.start()
    fanout.notify([update("BTC")])
    fanout.notify([update("ETH")])
    await fanout.drain(5)
    await fanout.close()
    assert [c.request.read().count(b'"asset"') for c in live.calls] == [1, 1] and live.call_count == 2
    assert dead.call_count == 4  # two notifications, two attempts each
    assert (fanout.sent, fanout.failed) == (2, 2)
