"""The price service's view of the chain: a lazily (re)connected PriceOracle with its updater key."""

from __future__ import annotations

from shared.evm.chain import Chain, TxResult, TxSender
from shared.evm.oracle import OnChainPrice, PriceOracle, deploy_oracle
from shared.evm.oracle_reader import OracleReader, PricesUnavailable


class ChainUnavailable(Exception):
    pass


class OracleGateway:
    def __init__(self, rpc_url: str, address: str, updater_key: str) -> None:
        self.rpc_url = rpc_url
        self.address = address
        self._updater_key = updater_key
        self._chain: Chain | None = None
        self._oracle: PriceOracle | None = None
        self._reader: OracleReader | None = None

    async def _connect(self) -> Chain:
        if self._chain is None:
            try:
                self._chain = await Chain.connect(self.rpc_url)
            except Exception as exc:
                raise ChainUnavailable(f"chain unreachable at {self.rpc_url}: {type(exc).__name__}") from None
        return self._chain

    async def oracle(self) -> PriceOracle:
        if self._oracle is None:
            if not self.address:
                raise ChainUnavailable("no PriceOracle address configured")
            chain = await self._connect()
            self._oracle = PriceOracle(chain, self.address, TxSender(chain, self._updater_key))
        return self._oracle

    async def deploy(self) -> str:
        """Development only: deploy a PriceOracle whose updater is our key."""
        chain = await self._connect()
        sender = TxSender(chain, self._updater_key)
        self.address = await deploy_oracle(chain, sender, sender.address)
        self._oracle = None
        await self._close_reader()
        return self.address

    async def has_code(self) -> bool:
        try:
            return await (await self.oracle()).code_exists()
        except ChainUnavailable:
            return False

    async def read(self, symbols: list[str]) -> dict[str, OnChainPrice]:
        if not self.address:
            raise ChainUnavailable("no PriceOracle address configured")
        if self._reader is None or self._reader.address != self.address.lower():
            await self._close_reader()
            self._reader = OracleReader(self.rpc_url, self.address)
        try:
            return await self._reader.read(list(dict.fromkeys(symbols)))
        except PricesUnavailable as exc:
            raise ChainUnavailable(f"oracle read failed: {exc}") from None

    async def _close_reader(self) -> None:
        if self._reader is not None:
            reader, self._reader = self._reader, None
            await reader.close()

    async def tx_hashes(self, symbols: list[str]) -> dict[str, str]:
        return await (await self.oracle()).last_update_tx_hashes(symbols)

    async def push(self, prices: dict[str, tuple[int, int]]) -> TxResult:
        """symbol → (price, observedAt): the oracle skips an observation not newer than the stored one."""
        return await (await self.oracle()).set_prices(prices)

    async def reachable(self) -> bool:
        try:
            chain = await self._connect()
        except ChainUnavailable:
            return False
        return await chain.is_connected()

    async def close(self) -> None:
        await self._close_reader()
        if self._chain is not None:
            await self._chain.close()
