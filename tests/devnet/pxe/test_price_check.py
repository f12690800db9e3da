"""The development PXE checks asserted prices the way the deployed protocol does: an inequality.

A move in the borrower's disfavour between assertion and execution (common with real proving
times) must not fail a liquidation; a move in the liquidator's favour must.
"""

from __future__ import annotations

import pytest

from devnet.pxe.reference import contracts as protocol

ORACLE_C, ORACLE_D = 3_000 * 10**8, 10**8


@pytest.mark.parametrize("asserted_c, asserted_d", [
    (ORACLE_C, ORACLE_D),          # exactly the oracle
    (ORACLE_C - 10**8, ORACLE_D),  # collateral rose since the assertion: the borrower's disfavour
    (ORACLE_C, ORACLE_D + 10**6),  # debt fell since the assertion: the borrower's disfavour
])
def test_moves_in_the_borrowers_disfavour_pass(asserted_c: int, asserted_d: int) -> None:
    protocol.check_prices(asserted_c, asserted_d, ORACLE_C, ORACLE_D)


@pytest.mark.parametrize("asserted_c, asserted_d, oracle_c, oracle_d", [
    (ORACLE_C + 1, ORACLE_D, ORACLE_C, ORACLE_D),  # collateral asserted above the oracle
    (ORACLE_C, ORACLE_D - 1, ORACLE_C, ORACLE_D),  # debt asserted below the oracle
    (ORACLE_C, ORACLE_D, 0, ORACLE_D),             # no oracle price
    (ORACLE_C, ORACLE_D, ORACLE_C, 0),
])
def test_moves_in_the_liquidators_favour_revert(asserted_c: int, asserted_d: int, oracle_c: int, oracle_d: int) -> None:
    with pytest.raises(protocol.Revert, match="^Price mismatch$"):
        protocol.check_prices(asserted_c, asserted_d, oracle_c, oracle_d)
