"""Keys anyone can look up: development chains publish them, and this project's local run uses them.
Production refuses them as the price service's keys (issue 21): whatever such a key holds or may do
(update the oracle, set the feed's prices) is anyone's.

Data, each list with where it comes from; tests/services/price_service/test_settings_safety.py derives
the EVM keys from their mnemonic and checks the local run's keys against devnet/ itself.
"""

from __future__ import annotations

# anvil (Foundry) and hardhat fund the same accounts: mnemonic "test test test test test test test test
# test test test junk", path m/44'/60'/0'/0/i. anvil creates the first 10, hardhat 20. The local run
# (devnet/chain/keys.py) and the py-evm chain use the first 10; account 1 is the local run's updater.
DEV_CHAIN_MNEMONIC = "test test test test test test test test test test test junk"
DEV_CHAIN_KEYS: tuple[str, ...] = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
    "0xf214f2b2cd398c806f84e317254e0f0b801d0643303237d97a22a48e01628897",
    "0x701b615bbdfb9de65240bc28bd21bbc0d996645a3dd57e7b12bc2bdf6f192c82",
    "0xa267530f49f8280200edf313ee7af6b827f2a8bce2897751d06a843f644967b1",
    "0x47c99abed3324a2707c28affff1267e45918ec8c3f20b8aa892e8b065d2942dd",
    "0xc526ee95bf44d8fc405a158bb884d9d1238d99f0612e9f33d006bb0789009aaa",
    "0x8166f546bab6da521a8369cab06c5d2b9e46670292d85c875ee9ec20e84ffb61",
    "0xea6c44ac03bff858b476bba40716402b03e41b8e97e276d1baec7c37d42484a0",
    "0x689af8efa8c651a91ad287602527f3af2fe9f6501a7ac4b061667b5a93e037fd",
    "0xde9be858da4a475276426320d5e9262ecfc3ba460bfac56360bfa6c4c28b4ee0",
    "0xdf57089febbacf7ba0bc227dafbffa9fc08a93fdc68e1e42411a14efcf23656e",
)

# Aztec's sandbox and local network fund three test accounts with these secret keys
# (aztec-packages 3.0.0-devnet.5, yarn-project/accounts/src/testing/configuration.ts: INITIAL_TEST_SECRET_KEYS).
AZTEC_TEST_ACCOUNT_KEYS: tuple[str, ...] = (
    "0x2153536ff6628eee01cf4024889ff977a18d9fa61d0e414422f7681cf085c281",
    "0x0aebd1b4be76efa44f5ee655c20bf9ea60f7ae44b9a7fd1fd9f189c7a0b0cdae",
    "0x0f6addf0da06c33293df974a565b03d1ab096090d907d98055a8b7f4954e120c",
)

# The local run's Aztec accounts (devnet/suite.py DEV_LIQUIDATOR_KEY; services/liquidation_engine/settings.py
# DEV_LIQUIDATOR_KEY, its development default). The local run's feed admin key is random per run.
LOCAL_RUN_AZTEC_KEYS: tuple[str, ...] = (
    "0x1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d01",
    "0x0dea1e5c0de0f11901da70c0ffee0000000000000000000000000000000000a1",
)


def _normal(key: str) -> str:
    body = key.strip().lower().removeprefix("0x")
    return body.rjust(64, "0")


_WHERE: dict[str, str] = {
    **{_normal(k): f"the anvil/hardhat development account {i}" for i, k in enumerate(DEV_CHAIN_KEYS)},
    **{_normal(k): f"Aztec's sandbox test account {i}" for i, k in enumerate(AZTEC_TEST_ACCOUNT_KEYS)},
    **{_normal(k): "a key of this project's local run (devnet/)" for k in LOCAL_RUN_AZTEC_KEYS},
}


def published_as(key: str) -> str | None:
    """Where this key is published (never the key itself), or None for a key of the operator's own."""
    return _WHERE.get(_normal(key))
