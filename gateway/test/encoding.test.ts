/**
 * Golden selectors and argument encodings for the calls the suite makes. Pool and token artifacts are not
 * public, so their functions are checked through ABIs written from the Noir source (nocom-v1
 * lending_pool/src/main.nr; aztec-standards Token) with the same selector rule, proven on the escrow.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Fr } from '@aztec/foundation/fields';
import { type AbiType, decodeFromAbi, encodeArguments, type FunctionAbi, FunctionSelector, FunctionType } from '@aztec/stdlib/abi';
import { AztecAddress } from '@aztec/stdlib/aztec-address';

import { checkArgs, encoderValues, findFunction, flattenReturn, functionCall, selectorOf } from '../src/encoding.js';
import { escrowArtifact, feedArtifact } from './helpers.js';

const fr = (...values: bigint[]) => values.map(v => new Fr(v));
const big = (fields: Fr[]) => fields.map(f => f.toBigInt());
const ADDRESS: AbiType = { kind: 'struct', path: 'aztec::protocol_types::address::aztec_address::AztecAddress', fields: [{ name: 'inner', type: { kind: 'field' } }] };
const U128: AbiType = { kind: 'integer', sign: 'unsigned', width: 128 };
const U64: AbiType = { kind: 'integer', sign: 'unsigned', width: 64 };

function abi(name: string, params: [string, AbiType][], returnTypes: AbiType[] = [], functionType = FunctionType.PRIVATE): FunctionAbi {
  return { name, functionType, isOnlySelf: false, isStatic: false, isInitializer: false, parameters: params.map(([n, type]) => ({ name: n, type, visibility: 'private' })), returnTypes, errorTypes: {} } as unknown as FunctionAbi;
}

test('golden selectors from the shipped artifacts', async () => {
  const escrow = escrowArtifact();
  const feed = feedArtifact();
  const selector = async (artifact: typeof escrow, name: string) => (await selectorOf(findFunction(artifact, name))).toString();
  assert.equal(await selector(escrow, 'liquidate'), '0xa604c569');
  assert.equal(await selector(escrow, 'get_config'), '0x1937c035');
  assert.equal(await selector(escrow, 'sync_private_state'), '0xc6cedc33');
  assert.equal(await selector(feed, 'set_prices'), '0x65199436');
  assert.equal(await selector(feed, 'get_prices'), '0x73b849a7');
  assert.equal(await selector(feed, 'get_price'), '0x057e06f0');
});

test('the selector rule on a signature matches the artifact (so signature-only goldens hold)', async () => {
  const fromSignature = async (s: string) => (await FunctionSelector.fromSignature(s)).toString();
  assert.equal(await fromSignature('liquidate(u128,Field,u128,u128)'), '0xa604c569');
  assert.equal(await fromSignature('get_collateral_and_debt((Field))'), '0x6aa5a74e');
  assert.equal(await fromSignature('transfer_private_to_public((Field),(Field),u128,Field)'), '0xaf28c76f');
  assert.equal(await fromSignature('symbol()'), '0x62cc9647');
  const pool = abi('get_collateral_and_debt', [['borrower', ADDRESS]]);
  assert.equal((await selectorOf(pool)).toString(), '0x6aa5a74e');
  const token = abi('transfer_private_to_public', [['from', ADDRESS], ['to', ADDRESS], ['amount', U128], ['_nonce', { kind: 'field' }]]);
  assert.equal((await selectorOf(token)).toString(), '0xaf28c76f');
});

test('liquidate: four flat fields, unchanged into the call and through the SDK encoder', async () => {
  const escrow = escrowArtifact();
  const args = fr(1500n * 10n ** 18n, 42n, 650_000n, 10_000n); // repay, nonce, collateral price, debt price
  const call = await functionCall(escrow, 'liquidate', AztecAddress.fromBigInt(5n), args);
  assert.equal(call.selector.toString(), '0xa604c569');
  assert.equal(call.type, FunctionType.PRIVATE);
  assert.deepEqual(big(call.args), big(args));
  const fn = findFunction(escrow, 'liquidate');
  assert.deepEqual(big(encodeArguments(fn, encoderValues(fn, args))), big(args));
  const named = encodeArguments(fn, [1500n * 10n ** 18n, 42n, 650_000n, 10_000n]);
  assert.deepEqual(big(named), big(args)); // the SDK's own encoding of the named arguments
});

test('set_prices: each BoundedVec is its storage padded with zeros, then its length (docs/money-math.md, the nocom-v1 feed)', async () => {
  const feed = feedArtifact();
  const fn = findFunction(feed, 'set_prices');
  const [a, b] = [AztecAddress.fromBigInt(0xaan), AztecAddress.fromBigInt(0xbbn)];
  const sdk = encodeArguments(fn, [[a, b], [650_000n, 10_000n]]);
  const flat = fr(0xaan, 0xbbn, 0n, 0n, 2n, 650_000n, 10_000n, 0n, 0n, 2n);
  assert.deepEqual(big(sdk), big(flat));
  const call = await functionCall(feed, 'set_prices', AztecAddress.fromBigInt(1n), flat);
  assert.equal(call.type, FunctionType.PUBLIC);
  assert.deepEqual(big(encodeArguments(fn, encoderValues(fn, flat))), big(flat));
  assert.throws(() => checkArgs(fn, flat.slice(0, 9)), /set_prices takes 10 fields/);
  assert.throws(() => checkArgs(fn, fr(1n, 2n, 0n, 0n, 2n, 1n << 128n, 0n, 0n, 0n, 1n)), /set_prices.prices.storage\[0\] must fit u128/);
});

test('transfer_private_to_public: (from, to, amount, nonce) as four fields', () => {
  const fn = abi('transfer_private_to_public', [['from', ADDRESS], ['to', ADDRESS], ['amount', U128], ['_nonce', { kind: 'field' }]]);
  const args = fr(0x11n, 0x22n, 10n ** 21n, 7n);
  const sdk = encodeArguments(fn, [AztecAddress.fromBigInt(0x11n), AztecAddress.fromBigInt(0x22n), 10n ** 21n, new Fr(7n)]);
  assert.deepEqual(big(sdk), big(args));
  assert.deepEqual(big(encodeArguments(fn, encoderValues(fn, args))), big(args));
});

test('get_config and get_collateral_and_debt flatten to the fields in ABI order', () => {
  const config = findFunction(escrowArtifact(), 'get_config'); // ConfigNote: owner, holder_commitment, pool, collateral, loaned, randomness
  const six = fr(1n, 2n, 3n, 4n, 5n, 6n);
  assert.deepEqual(big(flattenReturn(config.returnTypes, decodeFromAbi(config.returnTypes, six))), big(six));
  const note = (fields: [string, AbiType][]): AbiType => ({ kind: 'struct', path: 'note', fields: fields.map(([name, type]) => ({ name, type })) });
  const pair: AbiType = { kind: 'tuple', fields: [
    note([['owner', ADDRESS], ['randomness', { kind: 'field' }], ['amount', U128]]),
    note([['owner', ADDRESS], ['randomness', { kind: 'field' }], ['amount', U128], ['epoch', U64]]),
  ] };
  const seven = fr(0xe5n, 11n, 10n ** 19n, 0xe5n, 12n, 5n * 10n ** 21n, 1_999_000n);
  assert.deepEqual(big(flattenReturn([pair], decodeFromAbi([pair], seven))), big(seven));
  const prices = findFunction(feedArtifact(), 'get_prices'); // BoundedVec<u128, 2>: two slots, then the length
  assert.deepEqual(big(flattenReturn(prices.returnTypes, decodeFromAbi(prices.returnTypes, fr(650_000n, 10_000n, 2n)))), [650_000n, 10_000n, 2n]);
});

test('bad arguments name the parameter', () => {
  const fn = findFunction(escrowArtifact(), 'liquidate');
  assert.throws(() => checkArgs(fn, fr(1n, 2n, 3n)), /liquidate takes 4 fields \(amount, liquidation_authwit_nonce, asserted_collateral_token_price, asserted_debt_token_price\), got 3/);
  assert.throws(() => checkArgs(fn, fr(1n << 128n, 0n, 0n, 0n)), /liquidate.amount must fit u128/);
  assert.throws(() => findFunction(escrowArtifact(), 'get_everything'), /Unknown function get_everything in contract NocomEscrowV1/);
});
