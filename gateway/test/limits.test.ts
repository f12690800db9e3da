/**
 * What one unauthenticated caller can ask of the gateway: batches of at most GATEWAY_MAX_BATCH, at most
 * GATEWAY_MAX_ACCOUNTS accounts, and no monopoly of the PXE: a call arriving during a big batch is served
 * after the batch's job in progress. Order is measured (the gateway's log), not time.
 */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { field, logLines, rpc, runningGateway, type Running, TEST_LIMITS } from './helpers.js';

let running: Running;
before(async () => (running = await runningGateway(undefined, { maxAccounts: 200 })));
after(async () => running.close());

const register = (key: bigint, id: number) => ({ jsonrpc: '2.0', id, method: 'pxe_registerAccount', params: [field(key)] });

async function postBatch(body: unknown[]): Promise<{ status: number; body: any }> {
  const response = await fetch(`${running.url}/`, { method: 'POST', body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

/** The addresses in "Account registered" lines, in the order the gateway registered them. */
function registrations(): string[] {
  return logLines.map(line => JSON.parse(line)).filter(line => line.event === 'Account registered').map(line => line.address);
}

test('a batch larger than GATEWAY_MAX_BATCH is refused whole, before any work', async () => {
  const before = registrations().length;
  const tooBig = Array.from({ length: TEST_LIMITS.maxBatch + 1 }, (_, i) => register(0x9000n + BigInt(i), i));
  const answer = await postBatch(tooBig);
  assert.equal(answer.status, 400);
  assert.equal(answer.body.error.code, -32701);
  assert.match(answer.body.error.message, new RegExp(`A batch must hold 1 to ${TEST_LIMITS.maxBatch} requests \\(GATEWAY_MAX_BATCH\\), got ${TEST_LIMITS.maxBatch + 1}`));
  assert.equal(registrations().length, before, 'nothing of the batch ran');
  const fits = await postBatch(tooBig.slice(0, TEST_LIMITS.maxBatch));
  assert.equal(fits.status, 200);
  assert.equal(fits.body.length, TEST_LIMITS.maxBatch);
});

test('a single call arriving during a big batch is answered after at most one job of the batch', async () => {
  const batch = Array.from({ length: TEST_LIMITS.maxBatch }, (_, i) => register(0x1000n + BigInt(i), i));
  const batchAnswer = postBatch(batch);
  const seen = await waitForRegistrations(registrations().length + 2); // the batch has started
  const single = await rpc(running.url, 'pxe_registerAccount', [field(0xabcdefn)]);
  const batchBody = (await batchAnswer).body as { result: { address: string } }[];
  const batchAddresses = new Set(batchBody.map(item => item.result.address));
  const order = registrations().filter(address => batchAddresses.has(address) || address === single.body.result.address);
  const singleAt = order.indexOf(single.body.result.address);
  const batchDoneWhenSent = seen - (registrations().length - order.length); // batch registrations before the single was sent
  assert.ok(singleAt <= batchDoneWhenSent + 1, `single served after ${singleAt} batch jobs; ${batchDoneWhenSent} were done when it arrived`);
  assert.ok(singleAt < TEST_LIMITS.maxBatch, 'the single did not wait for the whole batch');
});

test('node methods answer while a batch holds the PXE', async () => {
  const batch = Array.from({ length: TEST_LIMITS.maxBatch }, (_, i) => register(0x2000n + BigInt(i), i));
  const start = registrations().length;
  const batchAnswer = postBatch(batch);
  await waitForRegistrations(start + 1);
  const read = await rpc(running.url, 'node_getPublicStorageAt', ['latest', field(0xfeed), field(7)]);
  const doneWhenRead = registrations().length - start;
  await batchAnswer;
  assert.equal(read.status, 200);
  assert.ok(doneWhenRead < TEST_LIMITS.maxBatch, `the node read waited for the batch (${doneWhenRead} jobs done)`);
});

test('GATEWAY_MAX_ACCOUNTS: a new account past the limit is refused, one registered again is not counted twice', async () => {
  const small = await runningGateway(undefined, { maxAccounts: 3 });
  try {
    for (const key of [0x5001n, 0x5002n, 0x5002n, 0x5003n]) assert.equal((await rpc(small.url, 'pxe_registerAccount', [field(key)])).status, 200);
    const refused = await rpc(small.url, 'pxe_registerAccount', [field(0x5004n)]);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, -32701);
    assert.match(refused.body.error.message, /secretKey: this gateway holds its limit of 3 accounts \(GATEWAY_MAX_ACCOUNTS\)/);
    assert.equal((await rpc(small.url, 'pxe_registerAccount', [field(0x5001n)])).status, 200, 'an account it holds is no new account');
    assert.equal((await small.gateway.embedded.wallet.getAccounts()).length, 3);
    assert.equal((await small.gateway.embedded.pxe.getRegisteredAccounts()).length, 3, 'the refused account was not stored');
  } finally {
    await small.close();
  }
});

async function waitForRegistrations(count: number): Promise<number> {
  for (let i = 0; i < 2000; i++) {
    const now = registrations().length;
    if (now >= count) return now;
    await new Promise(resolve => setTimeout(resolve, 5));
  }
  throw new Error(`fewer than ${count} registrations after 10 s`);
}
