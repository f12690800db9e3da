"""A JSON-RPC client for the development PXE's dev_* admin methods (or any other), sync or async."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from shared.pxe.jsonrpc import rpc_error


class Admin:
    """JSON-RPC calls to the dev_* (or any) methods; sync, or async through `acall`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._ids = itertools.count(1)

    def _payload(self, method: str, params: list[Any] | None) -> dict[str, Any]:
        return {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params or []}

    @staticmethod
    def _result(method: str, response: httpx.Response) -> Any:
        body = response.json()
        if body.get("error") is not None:
            raise rpc_error(body["error"], method)
        return body["result"]

    def call(self, method: str, params: list[Any] | None = None) -> Any:
        response = httpx.post(f"{self.url}/", json=self._payload(method, params), timeout=30)
        return self._result(method, response)

    async def acall(self, method: str, params: list[Any] | None = None) -> Any:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(f"{self.url}/", json=self._payload(method, params))
        return self._result(method, response)

    def create_token(self, symbol: str) -> str:
        return self.call("dev_createToken", [symbol])

    def create_pool(self, collateral_token: str, debt_token: str, max_ltv_bps: int = 7500, threshold_bps: int = 8000) -> str:
        return self.call("dev_createPool", [collateral_token, debt_token, max_ltv_bps, threshold_bps])

    def create_escrow(
        self, pool: str, collateral: int, principal: int, *, loan_epoch: int | None = None, registered: bool = False
    ) -> dict[str, Any]:
        options: dict[str, Any] = {"registered": registered}
        if loan_epoch is not None:
            options["loanEpoch"] = loan_epoch
        return self.call("dev_createEscrow", [pool, str(collateral), str(principal), options])

    def create_escrows(self, pool: str, count: int, collateral: int, principal: int, *, registered: bool = True) -> list[dict[str, Any]]:
        return self.call("dev_createEscrows", [pool, count, str(collateral), str(principal), {"registered": registered}])

    def set_position(self, escrow: str, collateral: int, principal: int, loan_epoch: int | None = None) -> None:
        params: list[Any] = [escrow, str(collateral), str(principal)]
        if loan_epoch is not None:
            params.append(loan_epoch)
        self.call("dev_setPosition", params)

    def get_position(self, escrow: str) -> dict[str, Any]:
        return self.call("dev_getPosition", [escrow])

    def mint(self, token: str, owner: str, amount: int) -> None:
        self.call("dev_mint", [token, owner, str(amount)])

    def set_prices(self, prices: dict[str, int]) -> None:
        self.call("dev_setPrices", [{symbol: str(price) for symbol, price in prices.items()}])

    def set_latency(self, ms: int) -> None:
        self.call("dev_setLatency", [ms])

    def mine_block(self) -> int:
        return self.call("dev_mineBlock")

    def seed_demo(self, escrows: int = 8, registered: bool = False) -> dict[str, Any]:
        return self.call("dev_seedDemo", [{"escrows": escrows, "registered": registered}])
