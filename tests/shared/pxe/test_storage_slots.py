"""shared/pxe/storage_slots.py against Aztec's own implementation.

Every expected value below was printed once by Aztec's TypeScript, @aztec/foundation and @aztec/stdlib
3.0.0-devnet.5 as installed in gateway/node_modules (they call barretenberg's WASM), with a node script:
`poseidon2Permutation(state)`, `poseidon2Hash(inputs)` from '@aztec/foundation/crypto' and
`deriveStorageSlotInMap(new Fr(slot), AztecAddress.fromString(key))` from '@aztec/stdlib/hash'.
The permutation of [0, 1, 2, 3] is also barretenberg's own TEST_VECTOR_OUTPUT (poseidon2_params.hpp).
"""

from __future__ import annotations

import pytest

from shared.pxe.storage_slots import MODULUS, derive_storage_slot_in_map, poseidon2_hash, poseidon2_permutation

P_MINUS_1 = MODULUS - 1

PERMUTATIONS = [
    ([0, 1, 2, 3], [0x01BD538C2EE014ED5141B29E9AE240BF8DB3FE5B9A38629A9647CF8D76C01737,
                    0x239B62E7DB98AA3A2A8F6A0D2FA1709E7A35959AA6C7034814D9DAA90CBAC662,
                    0x04CBB44C61D928ED06808456BF758CBF0C18D1E15A7B6DBC8245FA7515D5E3CB,
                    0x2E11C5CFF2A22C64D01304B778D78F6998EFF1AB73163A35603F54794C30847A]),
    ([P_MINUS_1] * 4, [0x1B18E6CA21A1E9B15D65F0B5861EDE5FF20DB8FA3722531823D0C817D69D945D,
                       0x0AFB50EA6867B1CB2D9D1EAC935AF746BC7A780E181A1E6AE9B768C9CBA68878,
                       0x0A521A22CA614E65B877D0676652FB60E90A11B462F9846A08E811D95272A9D8,
                       0x2369F077784E0AEA99EE3DC6B7B01612AF7F80D7F08B755F9F116E2885EE367F]),
]

# Lengths 0 to 7: an empty sponge, partial and full chunks of the rate (3), and several permutations.
HASHES = [
    ([], 0x18DFB8DC9B82229CFF974EFEFC8DF78B1CE96D9D844236B496785C698BC6732E),
    ([1], 0x168758332D5B3E2D13BE8048C8011B454590E06C44BCE7F702F09103EEF5A373),
    ([1, 2], 0x038682AA1CB5AE4E0A3F13DA432A95C77C5C111F6F030FAF9CAD641CE1ED7383),
    ([1, 2, 3], 0x23864ADB160DDDF590F1D3303683EBCB914F828E2635F6E85A32F0A1AECD3DD8),
    ([1, 2, 3, 4], 0x130BF204A32CAC1F0ACE56C78B731AA3809F06DF2731EBCF6B3464A15788B1B9),
    ([1, 2, 3, 4, 5, 6, 7], 0x16F929BC0D216DF4B05BDC44222463EDF2B9791BD949AB926EEBDA06A502D238),
    ([P_MINUS_1, 0, P_MINUS_1], 0x174D4DDAD15210809FD56D7351ED4C7B2B7EBCE5A372DA22301C72E850347DA3),
]

KEYS = [
    "0x0000000000000000000000000000000000000000000000000000000000000001",
    "0x2b6c3c0a4d0e95b7e1a7d3c8f4a2b1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4",
    "0x1d3f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a6c8e0b2d4f",
    "0x0bd6a0c8e3f1724d5b9c8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b",
]
# Slot 1: MockPriceFeed's `assets` (a token's price); 2: its `admin` slot used as a map for contrast;
# 11 and 13: nocom-v1 pool's `collateral` and `debt` maps (an escrow's notes).
SLOTS = {
    (1, KEYS[0]): 0x1DF6080E5BF5CEFB3E40DAF91CFCC5A267781505471AA058C0B205986774F978,
    (1, KEYS[1]): 0x1380BB876F371FB0D3F67E23E01114786AFCF18814F31DE7D35472119A2BBB18,
    (1, KEYS[2]): 0x0043395EA406AC273D95FE9CC2A77A5E39987C82446B3E08A7D33101201A404C,
    (1, KEYS[3]): 0x16AA7AB4125266CA84B3E9052E01EA607B5F804920EFD233265183BAB1BAED77,
    (2, KEYS[0]): 0x176AD1CAE93876A4632BC6431EDD92BA205845F7E9AA369840C790F261640D1A,
    (2, KEYS[1]): 0x25963E98B44307D2057FBCB39B916E12DDF4F55F86D152A2983C7CB3AB48A5D7,
    (11, KEYS[1]): 0x1272CC35EB83B5E24F47FAAD42DBD4A52C4B77FD13B96B399A52C771577B6D45,
    (11, KEYS[3]): 0x229F54A08F5635E98A3D0A9A39518F2C134BFFCAA01BF503C6861AF989AEF31E,
    (13, KEYS[1]): 0x05A8F919FC7C5D531B0DEC594D094F11FA3D5E767226A4A638D3139DA57C3E05,
    (13, KEYS[2]): 0x2BA71BC8331A30ECFD607D50719F7349EB1FBCD5312555EA239445185FF07FAE,
}


@pytest.mark.parametrize(("state", "expected"), PERMUTATIONS)
def test_the_permutation_is_barretenbergs(state: list[int], expected: list[int]) -> None:
    assert poseidon2_permutation(state) == expected


@pytest.mark.parametrize(("inputs", "expected"), HASHES)
def test_the_hash_is_aztecs_poseidon2_hash(inputs: list[int], expected: int) -> None:
    assert poseidon2_hash(inputs) == expected


@pytest.mark.parametrize(("slot", "key"), list(SLOTS))
def test_a_map_slot_is_aztecs_derive_storage_slot_in_map(slot: int, key: str) -> None:
    assert derive_storage_slot_in_map(slot, key) == SLOTS[(slot, key)]
    assert derive_storage_slot_in_map(slot, int(key, 16)) == SLOTS[(slot, key)]  # an address as a string or an int


def test_a_short_address_string_is_the_same_key_padded() -> None:
    assert derive_storage_slot_in_map(1, "0x1") == SLOTS[(1, KEYS[0])]


@pytest.mark.parametrize("bad", [MODULUS, -1, True, 1.0])
def test_values_outside_the_field_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="BN254 scalar field"):
        poseidon2_hash([1, bad])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="BN254 scalar field"):
        derive_storage_slot_in_map(bad, 1)  # type: ignore[arg-type]


def test_the_permutation_takes_exactly_four_elements() -> None:
    with pytest.raises(ValueError, match="4 field elements"):
        poseidon2_permutation([0, 1, 2])
