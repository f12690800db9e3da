/**
 * The methods added for a real node, against the loopback stub node: call limits, the proven-transaction
 * hand-off, public storage, senders, and the words a missing note is answered with. What needs a chain
 * (views, notes, proofs) is in local_network.test.ts.
 */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { EncodedAppEntrypointCalls } from '@aztec/entrypoints/encoding';
import { FunctionCall } from '@aztec/stdlib/abi';
import { AztecAddress } from '@aztec/stdlib/aztec-address';

import { explainMissingNote, RpcError } from '../src/errors.js';
import { field, rpc, runningGateway, type Running } from './helpers.js';

let running: Running;
let liquidator: string;
before(async () => {
  running = await runningGateway();
  liquidator = (await rpc(running.url, 'pxe_registerAccount', [field(0xc0ffee)])).body.result.address;
});
after(async () => running.close());

const call = (i: number) => ({ name: 'liquidate', to: field(0x1234), args: [field(i), field(0), field(1), field(1)] });

test("pxe_getTxLimits is the entrypoint's call count from the SDK, which refuses one more", async () => {
  const { body } = await rpc(running.url, 'pxe_getTxLimits', []);
  assert.deepEqual(body.result, { maxCallsPerTx: 5 });
  const calls = (n: number) => Array.from({ length: n }, () => FunctionCall.empty());
  await EncodedAppEntrypointCalls.create(calls(5));
  await assert.rejects(EncodedAppEntrypointCalls.create(calls(6)), /Expected at most 5 function calls, got 6/);
});

test('with sponsored fees the sponsor takes one of the calls', async () => {
  const sponsored = await runningGateway(undefined, { feePayment: 'sponsored' });
  try {
    assert.deepEqual((await rpc(sponsored.url, 'pxe_getTxLimits', [])).body.result, { maxCallsPerTx: 4 });
  } finally {
    await sponsored.close();
  }
});

test('more calls than the limit: -32701 for pxe_sendTx and pxe_proveTx, before any work', async () => {
  for (const method of ['pxe_sendTx', 'pxe_proveTx']) {
    const nodeCalls = running.stub.calls.length;
    const six = await rpc(running.url, method, [{ calls: [1, 2, 3, 4, 5, 6].map(call), authWitnesses: [] }, { from: liquidator }]);
    assert.equal(six.status, 400, method);
    assert.equal(six.body.error.code, -32701);
    assert.match(six.body.error.message, /calls: one transaction carries at most 5 calls here \(pxe_getTxLimits\), got 6; nothing was done/);
    assert.equal(running.stub.calls.length, nodeCalls, `${method} asked the node nothing`);
    const five = await rpc(running.url, method, [{ calls: [1, 2, 3, 4, 5].map(call), authWitnesses: [] }, { from: liquidator }]);
    assert.equal(five.body.error.code, -32702, 'five calls are taken up (and fail on the unknown contract)');
    assert.match(five.body.error.message, /No contract instance found/);
  }
  assert.equal(running.gateway.proven.size(), 0, 'a failed proveTx keeps nothing');
});

test('pxe_sendProvenTx of a hash nobody proved here is -32701', async () => {
  const { status, body } = await rpc(running.url, 'pxe_sendProvenTx', [field(0xdead)]);
  assert.equal(status, 400);
  assert.equal(body.error.code, -32701);
  assert.match(body.error.message, /txHash: no proven transaction 0x0+dead is kept here/);
});

test('node_getPublicStorageAt reads the word the node holds, zero for a slot never written', async () => {
  const [feed, slot] = [field(0xfeed), field(0x51)];
  running.stub.storage.set(`${feed}:${slot}`, field(3_000_123));
  assert.equal((await rpc(running.url, 'node_getPublicStorageAt', ['latest', feed, slot])).body.result, field(3_000_123));
  assert.equal((await rpc(running.url, 'node_getPublicStorageAt', [12, feed, slot])).body.result, field(3_000_123));
  assert.equal((await rpc(running.url, 'node_getPublicStorageAt', ['latest', feed, field(0x52)])).body.result, field(0));
  assert.ok(running.stub.calls.includes('node_getPublicStorageAt'));
});

test('pxe_registerSender adds the address to the senders the PXE looks for notes from', async () => {
  const answer = await rpc(running.url, 'pxe_registerSender', [field(0x5e4d)]);
  assert.deepEqual(answer.body, { jsonrpc: '2.0', id: 1, result: null });
  const senders = await running.gateway.embedded.pxe.getSenders();
  assert.ok(senders.some(s => s.equals(AztecAddress.fromBigInt(0x5e4dn))));
});

test("a missing note is answered in words, never Noir's BoundedVec message", async () => {
  const boundedVec = () => explainMissingNote(field(0xe5), () => Promise.reject(new Error('Assertion failed: Attempted to read past end of BoundedVec')));
  await assert.rejects(boundedVec(), (err: unknown) => {
    assert.ok(err instanceof RpcError);
    assert.equal(err.code, -32702);
    assert.match(err.message, /^No note found for 0x0+e5: the PXE holds no note this call reads\. Register the note's sender with pxe_registerSender/);
    assert.doesNotMatch(err.message, /BoundedVec/);
    return true;
  });
  const owner = () => explainMissingNote(field(0xe5), () => Promise.reject(new Error(`No public key registered for address ${field(0xb0b)}.\n Register it`)));
  await assert.rejects(owner(), /No note found for 0x0+e5: a note of it names 0x0+b0b, whose keys this PXE does not hold/);
  await assert.rejects(explainMissingNote('x', () => Promise.reject(new Error('Assertion failed: Position healthy'))), /Error: Assertion failed: Position healthy$/);
  assert.equal(await explainMissingNote('x', async () => 7), 7);
});
