"""What every price source gives the price service: quotes in oracle units, or one clear error."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from typing import Protocol

from shared.units import PRICE_DECIMALS

_PRICE_STEP = Decimal(1).scaleb(-PRICE_DECIMALS)
_MAX_PRICE_UNITS = 2**256 - 1  # the oracle stores uint256
# Wide enough that quantizing any sane price to 8 decimals never loses a digit.
_EXACT = Context(prec=100, rounding=ROUND_HALF_EVEN)
_MAX_MESSAGE = 300


@dataclass(frozen=True)
class Quote:
    symbol: str
    price: int  # 8 decimals, as the oracle holds it
    timestamp: int  # unix seconds
    source: str  # "cmc" | "mock"


class PriceFetchError(Exception):
    """A whole request for prices failed. `str()` is one line and never holds a secret."""

    def __init__(
        self,
        source: str,
        message: str,
        *,
        status: int | None = None,
        error_code: int | None = None,
        config_error: bool = False,
        retry_after: float | None = None,
    ) -> None:
        self.source = source
        self.status = status
        self.error_code = error_code
        self.message = " ".join(str(message).split())[:_MAX_MESSAGE]
        self.config_error = config_error
        self.retry_after = retry_after
        super().__init__(self._one_line())

    def _one_line(self) -> str:
        where = [self.source]
        if self.status is not None:
            where.append(f"HTTP {self.status}")
        if self.error_code is not None:
            where.append(f"error_code {self.error_code}")
        return f"{' '.join(where)}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"PriceFetchError(source={self.source!r}, status={self.status!r}, error_code={self.error_code!r}, "
            f"message={self.message!r}, config_error={self.config_error!r}, retry_after={self.retry_after!r})"
        )


class PriceSource(Protocol):
    name: str

    async def fetch(self, symbols: list[str]) -> dict[str, Quote]:
        """Quotes keyed by upper-case symbol; symbols without a usable price are absent.

        Raises PriceFetchError when the request as a whole fails.
        """
        ...

    async def close(self) -> None: ...


def to_price_units(value: Decimal | str | int) -> int:
    """A decimal USD price as the oracle's 8-decimal integer, exactly (half-even at the 9th decimal)."""
    if isinstance(value, (bool, float)):
        # A float has already rounded the price; refusing it keeps every price exact end to end.
        raise ValueError(f"price must be a Decimal, int or decimal string, not {type(value).__name__}")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError("price is not a number") from None
    if not amount.is_finite():
        raise ValueError("price is not finite")
    if amount <= 0:
        raise ValueError("price is not positive")
    try:
        units = int(amount.quantize(_PRICE_STEP, context=_EXACT).scaleb(PRICE_DECIMALS, context=_EXACT))
    except InvalidOperation:
        raise ValueError("price is out of range") from None
    if units <= 0:
        raise ValueError("price rounds to zero at 8 decimals")
    if units > _MAX_PRICE_UNITS:
        raise ValueError("price is out of range")
    return units
