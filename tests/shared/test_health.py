import asyncio

from shared.health import probe


async def slow() -> bool:
    await asyncio.sleep(30)
    return True


async def broken() -> bool:
    raise ConnectionError("down")


async def test_a_slow_or_failing_dependency_is_reported_quickly() -> None:
    # Were the probe not bounded it would answer True after 30 s.
    assert await probe(slow(), timeout=0.05) is False
    assert await probe(broken()) is False
    assert await probe(asyncio.sleep(0, result=True)) is True
