/**
 * Opt-in: the gateway against a real Aztec 3.0.0-devnet.5 network, as ../shared/aztec-net builds one
 * (start.sh, then deploy.sh: Aztec's Token twice, nocom's MockPriceFeed, a NocomEscrow of the third test
 * account). Skipped unless both are set:
 *
 *   AZTEC_NODE_URL=http://127.0.0.1:18080 AZTEC_LOCAL_RUN=/tmp/aztec3net/run npm --prefix gateway test
 *
 * AZTEC_LOCAL_RUN is the recipe's run directory: deploy/nocom-local.deployments.json and test_accounts.txt
 * (address, secret key, salt; the first deployed the feed and is its admin, the third owns the escrow).
 * Fake proofs: the network accepts them.
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Fr } from '@aztec/foundation/fields';
import { AztecAddress } from '@aztec/stdlib/aztec-address';
import { deriveStorageSlotInMap } from '@aztec/stdlib/hash';

import { field, gatewayOn, rpc } from './helpers.js';

const NODE = process.env.AZTEC_NODE_URL;
const RUN = process.env.AZTEC_LOCAL_RUN;
const FEED_ASSETS_SLOT = new Fr(1n); // MockPriceFeed: assets: Map<AztecAddress, PublicMutable<u128>> at slot 1

describe('a real local network', { skip: !(NODE && RUN) && 'AZTEC_NODE_URL and AZTEC_LOCAL_RUN not set' }, () => {
  let url: string;
  let served: Awaited<ReturnType<typeof gatewayOn>>;
  let deployments: Record<string, { address: string; instance: string; secretKey?: string }>;
  let accounts: { address: string; secret: string }[];
  let admin: string;

  before(async () => {
    deployments = JSON.parse(readFileSync(join(RUN!, 'deploy', 'nocom-local.deployments.json'), 'utf8'));
    accounts = readFileSync(join(RUN!, 'test_accounts.txt'), 'utf8').trim().split('\n').map(line => {
      const [address, secret] = line.split(/\s+/);
      return { address: address!, secret: secret! };
    });
    served = await gatewayOn(NODE!);
    url = served.url;
  });
  after(async () => served?.close());

  async function call(method: string, params: unknown[]): Promise<any> {
    const { body } = await rpc(url, method, params);
    if (body.error) throw new Error(`${method}: ${body.error.code} ${body.error.message}`);
    return body.result;
  }

  async function receipt(txHash: string): Promise<{ status: string }> {
    for (let i = 0; i < 600; i++) {
      const answer = await call('node_getTxReceipt', [txHash]);
      if (answer.status !== 'pending') return answer;
      await new Promise(resolve => setTimeout(resolve, 250));
    }
    throw new Error(`${txHash} still pending`);
  }

  const setPrices = (zecPrice: bigint) => ({
    to: deployments.priceOracle!.address, name: 'set_prices',
    args: [deployments.usdc!.address, deployments.zcash!.address, field(0), field(0), field(2), field(10_000), field(zecPrice), field(0), field(0), field(2)],
  });

  test('a view without from works on a gateway that holds no account', async () => {
    assert.equal((await served.gateway.embedded.wallet.getAccounts()).length, 0);
    const [feed, zec] = [deployments.priceOracle!.address, deployments.zcash!.address];
    const view = await call('pxe_simulateView', ['get_price', [zec], feed]);
    const slot = await deriveStorageSlotInMap(FEED_ASSETS_SLOT, AztecAddress.fromString(zec));
    assert.deepEqual(view.result, [await call('node_getPublicStorageAt', ['latest', feed, slot.toString()])]);
    admin = (await call('pxe_registerAccount', [accounts[0]!.secret])).address;
  });

  test("a view without from answers the feed's price, which is the word node_getPublicStorageAt reads", async () => {
    const price = 3_000_000n + BigInt(Math.floor(Math.random() * 1_000_000));
    const txHash = await call('pxe_sendTx', [{ calls: [setPrices(price)], authWitnesses: [] }, { from: admin }]);
    assert.equal((await receipt(txHash)).status, 'success');
    const [feed, zec] = [deployments.priceOracle!.address, deployments.zcash!.address];
    const view = await call('pxe_simulateView', ['get_price', [zec], feed]);
    const slot = await deriveStorageSlotInMap(FEED_ASSETS_SLOT, AztecAddress.fromString(zec));
    const word = await call('node_getPublicStorageAt', ['latest', feed, slot.toString()]);
    assert.deepEqual(view.result, [field(price)]);
    assert.equal(word, field(price));
    assert.deepEqual((await call('pxe_simulateView', ['get_price', [zec], feed, admin])).result, [field(price)], 'with from, the same');
  });

  test('five calls land in one transaction; six are refused before any work', async () => {
    assert.deepEqual(await call('pxe_getTxLimits', []), { maxCallsPerTx: 5 });
    const five = [1n, 2n, 3n, 4n, 5n].map(k => setPrices(4_000_000n + k));
    assert.equal((await receipt(await call('pxe_sendTx', [{ calls: five, authWitnesses: [] }, { from: admin }]))).status, 'success');
    const six = await rpc(url, 'pxe_sendTx', [{ calls: [...five, setPrices(1n)], authWitnesses: [] }, { from: admin }]);
    assert.equal(six.body.error.code, -32701);
    assert.match(six.body.error.message, /at most 5 calls/);
  });

  test('with FEE_PAYMENT=sponsored the SponsoredFPC pays and four calls land; five are refused', async () => {
    const sponsored = await gatewayOn(NODE!, { feePayment: 'sponsored' });
    try {
      const from = (await rpc(sponsored.url, 'pxe_registerAccount', [accounts[0]!.secret])).body.result.address;
      assert.deepEqual((await rpc(sponsored.url, 'pxe_getTxLimits', [])).body.result, { maxCallsPerTx: 4 });
      const four = [1n, 2n, 3n, 4n].map(k => setPrices(6_000_000n + k));
      const sent = await rpc(sponsored.url, 'pxe_sendTx', [{ calls: four, authWitnesses: [] }, { from }]);
      assert.equal((await receipt(sent.body.result)).status, 'success');
      const five = await rpc(sponsored.url, 'pxe_sendTx', [{ calls: [...four, setPrices(1n)], authWitnesses: [] }, { from }]);
      assert.equal(five.body.error.code, -32701);
    } finally {
      await sponsored.close();
    }
  });

  test('pxe_proveTx keeps the proven tx unsent; pxe_sendProvenTx sends it, again harmlessly', async () => {
    const kept = served.gateway.proven.size();
    const { txHash } = await call('pxe_proveTx', [{ calls: [setPrices(5_000_000n)], authWitnesses: [] }, { from: admin }]);
    assert.equal(served.gateway.proven.size(), kept + 1);
    assert.equal((await call('node_getTxReceipt', [txHash])).status, 'dropped', 'not sent yet');
    assert.equal(await call('pxe_sendProvenTx', [txHash]), txHash);
    assert.equal((await receipt(txHash)).status, 'success');
    assert.equal(await call('pxe_sendProvenTx', [txHash]), txHash, 'a second send of a mined tx is harmless');
    const alice = (await call('pxe_registerAccount', [accounts[1]!.secret])).address;
    const refused = await rpc(url, 'pxe_proveTx', [{ calls: [setPrices(1n)], authWitnesses: [] }, { from: alice }]);
    assert.equal(refused.body.error.code, -32702, 'SIMULATE_BEFORE_SEND: the revert is caught before proving');
    assert.match(refused.body.error.message, /Only admin can set prices/);
    assert.equal(served.gateway.proven.size(), kept + 1, 'nothing kept for the revert');
  });

  test("the escrow's config note: words while its owner's keys are missing, then getNotes equals get_config", async () => {
    const escrow = deployments.zecDebtEscrow!;
    const owner = accounts[2]!;
    await call('pxe_registerContract', [{ instance: escrow.instance, secretKey: escrow.secretKey }]);
    const before = await rpc(url, 'pxe_simulateUtility', ['get_config', [], escrow.address]);
    assert.equal(before.body.error.code, -32702);
    assert.match(before.body.error.message, /^No note found for 0x[0-9a-f]{64}: the PXE holds no note this call reads/);
    assert.equal(await call('pxe_registerSender', [owner.address]), null);
    const senderOnly = await rpc(url, 'pxe_simulateUtility', ['get_config', [], escrow.address]);
    assert.equal(senderOnly.body.error.code, -32702);
    assert.match(senderOnly.body.error.message, new RegExp(`a note of it names ${owner.address}, whose keys this PXE does not hold`));
    await call('pxe_registerAccount', [owner.secret]);
    const config = (await call('pxe_simulateUtility', ['get_config', [], escrow.address])).result;
    assert.equal(config.length, 6);
    assert.equal(config[0], owner.address);
    const notes = await call('pxe_getNotes', [{ contractAddress: escrow.address }]);
    assert.equal(notes.length, 1);
    assert.deepEqual(notes[0].note.items, config);
    assert.equal(notes[0].contractAddress, escrow.address);
    assert.equal(notes[0].recipient, escrow.address);
    assert.deepEqual(Object.keys(notes[0]).sort(), ['contractAddress', 'note', 'noteNonce', 'recipient', 'storageSlot', 'txHash']);
    assert.deepEqual(await call('pxe_getNotes', [{ contractAddress: escrow.address, scopes: [owner.address] }]), []);
    assert.deepEqual(await call('pxe_getNotes', [{ contractAddress: escrow.address, storageSlot: notes[0].storageSlot }]), notes);
  });
});
