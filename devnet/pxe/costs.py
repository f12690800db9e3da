"""What each call costs on a real PXE (issue 22: benchmarks that tell the truth), in model seconds.

Measured on a real 3.0.0-devnet.5 node through the gateway on 2 cores (docs/pxe-jsonrpc.md, "A PXE runs
one job at a time"): the middle of each measured range. `fake-proofs` is a node with proofs off,
`real-proofs` the same with a real prover (a proof takes about a minute instead of a second).

A tx costs `simulate + extra_call * (calls - 1)`, then `prove`, then (pxe_sendTx only) `send`:
1 to 5 `set_prices` in one tx measured 2.4-2.8 s against 2.6-2.9 s, so a call adds little.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

NONE, FAKE_PROOFS, REAL_PROOFS = "none", "fake-proofs", "real-proofs"
PROFILES = (NONE, FAKE_PROOFS, REAL_PROOFS)

FAKE_PROOF_COSTS: dict[str, float] = {
    "simulate": 1.45,  # a tx's private simulation (1.2-1.75 s)
    "prove": 1.1,  # its proof (0.9-1.3 s with fake proofs)
    "send": 0.13,  # the node accepting the proven tx: part of pxe_sendTx, all of pxe_sendProvenTx
    "extra_call": 0.05,  # each call of a tx beyond the first (an estimate from the set_prices figures)
    "pxe_simulateView": 1.2,  # 1.2-1.6 s
    "sync_private_state": 0.15,  # pxe_simulateUtility of sync_private_state (0.12-0.19 s)
    "pxe_simulateUtility": 0.43,  # any other utility function (get_config: 0.3-0.56 s)
    "pxe_getNotes": 0.15,  # one sync_private_state of the contract...
    "note": 0.0005,  # ...then a read of the note store per note found (not measured: an estimate)
    "pxe_createAuthWit": 0.02,
    "pxe_registerAccount": 0.02,
    "pxe_registerContract": 0.02,
    "pxe_registerSender": 0.02,
    "node": 0.005,  # a node_* round trip: never a PXE job
}
REAL_PROOF_COSTS: dict[str, float] = {**FAKE_PROOF_COSTS, "prove": 60.0}  # 55-66 s per tx with real proofs
# A whole tx's cost for one call may be set instead of its parts (pxe_sendTx=3 runs simulate, then the rest).
TX_METHODS = ("pxe_sendTx", "pxe_proveTx")
COST_NAMES = frozenset(FAKE_PROOF_COSTS) | frozenset(TX_METHODS)


@dataclass(frozen=True)
class CostModel:
    """Model seconds per cost item under a profile; `scale` turns them into wall seconds (0.01: 100x faster)."""

    profile: str = NONE
    scale: float = 1.0
    table: Mapping[str, float] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.profile != NONE

    def of(self, item: str) -> float:
        return self.table.get(item, 0.0)

    def tx_phases(self, method: str, calls: int) -> tuple[float, float]:
        """(simulation, proof and send) of a pxe_sendTx or pxe_proveTx with `calls` calls."""
        extra = self.of("extra_call") * max(calls - 1, 0)
        simulate = self.of("simulate") + extra
        rest = self.of("prove") + (self.of("send") if method == "pxe_sendTx" else 0.0)
        if method in self.table:  # a whole-tx override
            total = self.table[method] + extra
            simulate = min(simulate, total)
            rest = total - simulate
        return simulate, rest

    def utility(self, function: str) -> float:
        return self.of("sync_private_state" if function == "sync_private_state" else "pxe_simulateUtility")


def cost_model(profile: str = NONE, scale: float = 1.0, overrides: Mapping[str, float] | None = None) -> CostModel:
    """The model of a profile, with per-item overrides (model seconds); ValueError names what is wrong."""
    if profile not in PROFILES:
        raise ValueError(f"costs must be one of {', '.join(PROFILES)}, not {profile!r}")
    if not scale > 0:
        raise ValueError(f"the time scale must be above 0, not {scale}")
    table = {NONE: {}, FAKE_PROOFS: FAKE_PROOF_COSTS, REAL_PROOFS: REAL_PROOF_COSTS}[profile]
    extra = dict(overrides or {})
    unknown = sorted(set(extra) - COST_NAMES)
    if unknown:
        raise ValueError(f"unknown cost {', '.join(unknown)}: one of {', '.join(sorted(COST_NAMES))}")
    if any(seconds < 0 for seconds in extra.values()):
        raise ValueError("a cost is a number of seconds, 0 or more")
    if extra and profile == NONE:
        raise ValueError("--cost needs a cost profile (--costs fake-proofs or real-proofs)")
    return CostModel(profile, scale, {**table, **extra})


def parse_overrides(items: Iterable[str]) -> dict[str, float]:
    """`NAME=SECONDS` strings (--cost pxe_simulateView=1.5) as a table; ValueError for a malformed one."""
    table = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            seconds = float(value)
        except ValueError:
            seconds = float("nan")
        if not sep or not name.strip() or seconds != seconds:
            raise ValueError(f"a cost is NAME=SECONDS (pxe_simulateView=1.5), not {item!r}")
        table[name.strip()] = seconds
    return table
