/** The embedded PXE against the loopback stub node: it starts, registers accounts and the escrow class, and keeps them. */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { Fr } from '@aztec/foundation/fields';
import { AztecAddress } from '@aztec/stdlib/aztec-address';
import { jsonStringify } from '@aztec/foundation/json-rpc';

import { escrowInstance, field, rpc, runningGateway, type Running } from './helpers.js';

const ESCROW_CLASS = '0x17b082a99ff55e1615304519b3aefac27531d6f6f67eba3a8f6fc72c9852095c';
let running: Running;
let startMs = 0;

before(async () => {
  const started = Date.now();
  running = await runningGateway();
  startMs = Date.now() - started;
});
after(async () => running.close());

test('the PXE starts against the stub node within seconds', () => {
  assert.ok(startMs < 15_000, `took ${startMs} ms`);
  assert.ok(running.stub.calls.includes('node_getNodeInfo'));
});

test('registers the escrow class and instance with its secret key', async () => {
  const secretKey = new Fr(0x5ec12e7n);
  const instance = await escrowInstance(secretKey);
  const registration = { instance: JSON.parse(jsonStringify(instance)), secretKey: field(secretKey.toBigInt()) };
  const answer = await rpc(running.url, 'pxe_registerContract', [registration]);
  assert.deepEqual(answer, { status: 200, body: { jsonrpc: '2.0', id: 1, result: null } });
  const { pxe } = running.gateway.embedded;
  const stored = await pxe.getContractInstance(instance.address);
  assert.equal(stored?.currentContractClassId.toString(), ESCROW_CLASS);
  const klass = await pxe.getContractClassMetadata(Fr.fromHexString(ESCROW_CLASS), true);
  assert.equal(klass.artifact?.name, 'NocomEscrowV1');
  const accounts = await pxe.getRegisteredAccounts();
  assert.ok(accounts.some(a => a.address.equals(instance.address)), 'the escrow keys are registered');
});

test('an escrow secret key that does not derive the instance is invalid input', async () => {
  const instance = await escrowInstance(new Fr(0x5ec12e7n));
  const answer = await rpc(running.url, 'pxe_registerContract', [{ instance: JSON.parse(jsonStringify(instance)), secretKey: field(12345) }]);
  assert.equal(answer.status, 400);
  assert.equal(answer.body.error.code, -32701);
  assert.match(answer.body.error.message, /secretKey does not belong to this contract instance/);
});

test('a tampered instance is invalid input', async () => {
  const instance = JSON.parse(jsonStringify(await escrowInstance(new Fr(1n))));
  instance.salt = field(8);
  const answer = await rpc(running.url, 'pxe_registerContract', [{ instance }]);
  assert.equal(answer.body.error.code, -32701);
  assert.match(answer.body.error.message, /instance.address does not match/);
});

test('the Schnorr account address is deterministic in the secret key and the salt (default 0)', async () => {
  const first = await rpc(running.url, 'pxe_registerAccount', [field(0xc0ffee)]);
  const again = await rpc(running.url, 'pxe_registerAccount', [field(0xc0ffee), field(0)]);
  const salted = await rpc(running.url, 'pxe_registerAccount', [field(0xc0ffee), field(1)]);
  assert.match(first.body.result.address, /^0x[0-9a-f]{64}$/);
  assert.equal(again.body.result.address, first.body.result.address);
  assert.notEqual(salted.body.result.address, first.body.result.address);
  assert.ok(running.gateway.embedded.wallet.hasAccount(AztecAddress.fromString(first.body.result.address)));
});

test('registered contracts survive a restart of a persistent store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pxe-gateway-'));
  try {
    const instance = await escrowInstance(new Fr(0xabcn));
    const first = await runningGateway(dir);
    await rpc(first.url, 'pxe_registerContract', [{ instance: JSON.parse(jsonStringify(instance)), secretKey: field(0xabc) }]);
    await first.close();
    const second = await runningGateway(dir);
    try {
      const stored = await second.gateway.embedded.pxe.getContractInstance(instance.address);
      assert.equal(stored?.address.toString(), instance.address.toString());
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
