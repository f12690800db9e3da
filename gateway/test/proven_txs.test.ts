/** The proven-transaction store: kept for the TTL, bounded in count, refusing rather than dropping early. */

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { RpcError } from '../src/errors.js';
import { ProvenTxStore } from '../src/proven_txs.js';

test('a kept transaction is found until its TTL passes, then forgotten', () => {
  let now = 0;
  const store = new ProvenTxStore<string>(3, 600_000, () => now);
  store.put('0xa', 'tx a');
  now = 599_999;
  assert.equal(store.get('0xa'), 'tx a');
  now = 600_000;
  assert.equal(store.get('0xa'), undefined);
  assert.equal(store.size(), 0);
});

test('a full store refuses with -32701 before any work, and takes again once the oldest expires', () => {
  let now = 0;
  const store = new ProvenTxStore<string>(2, 600_000, () => now);
  store.put('0xa', 'a');
  now = 1000;
  store.put('0xb', 'b');
  assert.throws(() => store.requireRoom(), (err: unknown) => {
    assert.ok(err instanceof RpcError);
    assert.equal(err.code, -32701);
    assert.match(err.message, /2 proven transactions are kept \(PROVEN_TX_MAX\), the oldest for 599 s more/);
    return true;
  });
  assert.throws(() => store.put('0xc', 'c'), /PROVEN_TX_MAX/);
  assert.equal(store.get('0xa'), 'a'); // nothing was dropped to make room
  now = 600_000; // 0xa expires, 0xb has 1 s left
  store.put('0xc', 'c');
  assert.deepEqual([store.get('0xa'), store.get('0xb'), store.get('0xc')], [undefined, 'b', 'c']);
});
