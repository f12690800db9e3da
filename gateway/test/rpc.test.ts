/** HTTP and JSON-RPC behaviour: status, batches, limits, and the right error code for bad input to every method. */

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';

import { createGatewayServer, listen } from '../src/server.js';
import { field, rpc, runningGateway, type Running } from './helpers.js';

let running: Running;
before(async () => (running = await runningGateway()));
after(async () => running.close());

const A = field(0x1234);
const CALL = { name: 'liquidate', to: A, args: [] };

/** Every method with bad params: each must answer -32701 with HTTP 400, never a stack trace. */
const BAD_INPUT: [string, unknown, RegExp][] = [
  ['node_isReady', [1], /Expected 0 params, got 1/],
  ['node_getBlockNumber', {}, /params must be an array/],
  ['node_getTxReceipt', ['0xzz'], /txHash must be a field element/],
  ['node_getTxReceipt', [], /Expected 1 params, got 0/],
  ['pxe_registerAccount', ['not-hex'], /secretKey must be a field element/],
  ['pxe_registerAccount', ['0x' + 'f'.repeat(64)], /below the field modulus/],
  ['pxe_registerAccount', [field(0)], /secretKey must not be zero/],
  ['pxe_registerAccount', [field(1), 'salt'], /salt must be a field element/],
  ['pxe_registerContract', ['x'], /registration must be an object/],
  ['pxe_registerContract', [{}], /registration.instance is required/],
  ['pxe_registerContract', [{ instance: { address: A, salt: 'x' } }], /instance\./],
  ['pxe_registerContract', [{ instance: { address: A }, secretKey: 'k' }], /secretKey must be a field element/],
  ['pxe_simulateUtility', ['get_config', 'not-a-list', A], /args must be an array of field elements/],
  ['pxe_simulateUtility', ['get config', [], A], /functionName must be a Noir function name/],
  ['pxe_simulateUtility', ['get_config', [], 'pool'], /to must be 0x followed by 1 to 64 hex digits/],
  ['pxe_simulateUtility', ['get_config'], /Expected 3 to 5 params, got 1/],
  ['pxe_simulateView', ['get_prices', [], '0x'], /to must be 0x followed by 1 to 64 hex digits/],
  ['pxe_simulateView', [7, [], A], /functionName must be a Noir function name/],
  ['pxe_createAuthWit', [A], /Expected 2 params, got 1/],
  ['pxe_createAuthWit', [A, { caller: 'me', call: CALL }], /caller must be 0x/],
  ['pxe_createAuthWit', [A, { caller: A, call: { ...CALL, args: ['x'] } }], /call.args\[0\] must be a field element/],
  ['pxe_sendTx', [{ calls: [] }, { from: A }], /calls must be a non-empty array/],
  ['pxe_sendTx', [{ calls: [CALL] }, {}], /from must be 0x/],
  ['pxe_sendTx', [{ calls: [{ ...CALL, to: 'x' }] }, { from: A }], /calls\[0\].to must be 0x/],
  ['pxe_sendTx', [{ calls: [CALL], authWitnesses: [{}] }, { from: A }], /authWitnesses\[0\].requestHash must be a field element/],
  ['pxe_proveTx', [{ calls: [] }, { from: A }], /calls must be a non-empty array/],
  ['pxe_proveTx', [{ calls: [CALL] }, { from: A }], /Unknown account/],
  ['pxe_sendProvenTx', ['0xzz'], /txHash must be a field element/],
  ['pxe_sendProvenTx', [], /Expected 1 params, got 0/],
  ['pxe_getTxLimits', [1], /Expected 0 params, got 1/],
  ['pxe_registerSender', ['bob'], /address must be 0x followed by 1 to 64 hex digits/],
  ['pxe_registerSender', [], /Expected 1 params, got 0/],
  ['pxe_getNotes', [A], /filter must be an object/],
  ['pxe_getNotes', [{}], /filter.contractAddress must be 0x/],
  ['pxe_getNotes', [{ contractAddress: A, storageSlot: 'x' }], /filter.storageSlot must be a field element/],
  ['pxe_getNotes', [{ contractAddress: A, scopes: A }], /filter.scopes must be an array of addresses/],
  ['pxe_getNotes', [{ contractAddress: A, scopes: ['x'] }], /filter.scopes\[0\] must be 0x/],
  ['pxe_simulateView', ['get_price', [], A, A], /Unknown account/],
  ['node_getPublicStorageAt', ['earliest', A, A], /block must be "latest" or a block number/],
  ['node_getPublicStorageAt', [-1, A, A], /block must be "latest" or a block number/],
  ['node_getPublicStorageAt', ['latest', 'feed', A], /contract must be 0x/],
  ['node_getPublicStorageAt', ['latest', A, 'slot'], /slot must be a field element/],
];

test('bad input answers -32701 for every method', async () => {
  for (const [method, params, message] of BAD_INPUT) {
    const { status, body } = await rpc(running.url, method, params);
    assert.equal(status, 400, `${method} ${JSON.stringify(params)}`);
    assert.equal(body.error.code, -32701, `${method}: ${body.error.message}`);
    assert.match(body.error.message, message, method);
    assert.doesNotMatch(body.error.message, /\n\s+at /, 'no stack trace');
  }
});

test('an unknown method answers -32601', async () => {
  const { status, body } = await rpc(running.url, 'pxe_doesNotExist', []);
  assert.equal(status, 400);
  assert.deepEqual(body.error, { code: -32601, message: 'Method not found: pxe_doesNotExist' });
  assert.equal((await rpc(running.url, 'constructor', [])).body.error.code, -32601);
});

test('calls on a contract nobody registered answer -32702 with the reason', async () => {
  for (const method of ['pxe_simulateUtility', 'pxe_simulateView']) {
    const { body } = await rpc(running.url, method, ['get_config', [], A]);
    assert.equal(body.error.code, -32702, method);
    assert.match(body.error.message, /No contract instance found for address 0x0+1234: the node knows no such deployed contract/);
  }
  const liquidator = (await rpc(running.url, 'pxe_registerAccount', [field(0xc0ffee)])).body.result.address;
  const send = await rpc(running.url, 'pxe_sendTx', [{ calls: [CALL], authWitnesses: [] }, { from: liquidator }]);
  assert.equal(send.body.error.code, -32702);
  assert.match(send.body.error.message, /No contract instance found/);
});

test('an unregistered account can neither sign nor send: -32701', async () => {
  const authwit = await rpc(running.url, 'pxe_createAuthWit', [field(0x999), { caller: A, call: CALL }]);
  assert.equal(authwit.body.error.code, -32701);
  assert.match(authwit.body.error.message, /Unknown account 0x0+999: register it with pxe_registerAccount first/);
  const send = await rpc(running.url, 'pxe_sendTx', [{ calls: [CALL], authWitnesses: [] }, { from: field(0x999) }]);
  assert.equal(send.body.error.code, -32701);
  assert.match(send.body.error.message, /Unknown account/);
});

test('node methods are forwarded to the node', async () => {
  assert.equal((await rpc(running.url, 'node_isReady', [])).body.result, true);
  running.stub.blockNumber = 41;
  assert.equal((await rpc(running.url, 'node_getBlockNumber', [])).body.result, 41);
  assert.deepEqual((await rpc(running.url, 'node_getTxReceipt', [field(42)])).body.result, { status: 'dropped' });
});

test('a batch is answered in order with HTTP 200, errors per call', async () => {
  const batch = [
    { jsonrpc: '2.0', id: 7, method: 'node_isReady', params: [] },
    { jsonrpc: '2.0', id: 8, method: 'nope', params: [] },
    { jsonrpc: '2.0', id: 9, method: 'node_getTxReceipt', params: ['bad'] },
  ];
  const response = await fetch(`${running.url}/`, { method: 'POST', body: JSON.stringify(batch) });
  assert.equal(response.status, 200);
  const body = (await response.json()) as any[];
  assert.deepEqual(body.map(b => b.id), [7, 8, 9]);
  assert.equal(body[0].result, true);
  assert.equal(body[1].error.code, -32601);
  assert.equal(body[2].error.code, -32701);
  const empty = await fetch(`${running.url}/`, { method: 'POST', body: '[]' });
  assert.equal(empty.status, 400);
});

test('status, unknown paths, bad JSON and the body limit', async () => {
  const status = await fetch(`${running.url}/status`);
  assert.equal(status.status, 200);
  assert.equal(await status.text(), 'OK');
  assert.equal((await fetch(`${running.url}/other`)).status, 404);
  const bad = await fetch(`${running.url}/`, { method: 'POST', body: '{nope' });
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as any).error.code, -32701);
  const big = await fetch(`${running.url}/`, { method: 'POST', body: JSON.stringify({ pad: 'x'.repeat(70_000) }) });
  assert.equal(big.status, 413);
  assert.equal(((await big.json()) as any).error.code, -32701);
});

test('while the PXE starts, /status is 503 and calls are 503 (clients retry)', async () => {
  const server = createGatewayServer({ maxBodyBytes: 1024, maxBatch: 10, methods: () => undefined });
  const { port } = (await listen(server, 0, '127.0.0.1')) as AddressInfo;
  try {
    const status = await fetch(`http://127.0.0.1:${port}/status`);
    assert.equal(status.status, 503);
    const call = await rpc(`http://127.0.0.1:${port}`, 'node_isReady', []);
    assert.equal(call.status, 503);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
