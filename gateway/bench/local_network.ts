/**
 * Real-network timings of a running gateway, each against its baseline measured in the same run:
 *   feed price:   node_getPublicStorageAt  vs  pxe_simulateView get_price (no from)
 *   sends:        pxe_sendTx of 5 set_prices calls  vs  of 1
 *   escrow note:  pxe_getNotes  vs  pxe_simulateUtility get_config
 *   two-step:     pxe_proveTx + pxe_sendProvenTx  vs  pxe_sendTx
 *
 *   GATEWAY_URL=http://127.0.0.1:18090 AZTEC_LOCAL_RUN=/tmp/aztec3net/run npx tsx bench/local_network.ts [reads] [sends]
 *
 * Needs ../shared/aztec-net's network after deploy.sh (the run directory's deployments and test accounts).
 * Registers the feed's admin and the escrow's owner (their secret keys) in the gateway. Prints one JSON
 * line per comparison: medians in ms, the ratio, the 1-minute load average before and after.
 */

import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

import { Fr } from '@aztec/foundation/fields';
import { AztecAddress } from '@aztec/stdlib/aztec-address';
import { deriveStorageSlotInMap } from '@aztec/stdlib/hash';

const URL_ = process.env.GATEWAY_URL ?? 'http://127.0.0.1:18090';
const RUN = process.env.AZTEC_LOCAL_RUN ?? '/tmp/aztec3net/run';
const READS = Number(process.argv[2] ?? 10);
const SENDS = Number(process.argv[3] ?? 3);
const deployments = JSON.parse(readFileSync(join(RUN, 'deploy', 'nocom-local.deployments.json'), 'utf8'));
const accounts = readFileSync(join(RUN, 'test_accounts.txt'), 'utf8').trim().split('\n').map(line => line.split(/\s+/));
const hex = (n: bigint) => '0x' + n.toString(16).padStart(64, '0');

async function call(method: string, params: unknown[]): Promise<any> {
  const response = await fetch(URL_, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/** Median ms of `run`; a send's receipt is awaited after the clock stops, so sends never pile up. */
async function timed(run: () => Promise<unknown>, times: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    const result = await run();
    samples.push(performance.now() - start);
    const sent = (result as { sent?: string } | undefined)?.sent;
    if (sent) await receipt(sent);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

async function compare(name: string, baseline: [string, () => Promise<unknown>], candidate: [string, () => Promise<unknown>], times: number) {
  const load = loadavg()[0];
  await timed(baseline[1], 1); // warm: the first call of a kind loads artifacts and syncs
  await timed(candidate[1], 1);
  const base = await timed(baseline[1], times);
  const cand = await timed(candidate[1], times);
  console.log(JSON.stringify({
    comparison: name, times, [`${baseline[0]}_ms`]: Math.round(base * 10) / 10, [`${candidate[0]}_ms`]: Math.round(cand * 10) / 10,
    ratio: Math.round((cand / base) * 1000) / 1000, load_before: load, load_after: loadavg()[0],
  }));
}

async function receipt(txHash: string): Promise<void> {
  for (;;) {
    const answer = await call('node_getTxReceipt', [txHash]);
    if (answer.status === 'success') return;
    if (answer.status !== 'pending') throw new Error(`${txHash}: ${JSON.stringify(answer)}`);
    await new Promise(resolve => setTimeout(resolve, 200));
  }
}

const feed = deployments.priceOracle.address as string;
const [usdc, zec] = [deployments.usdc.address as string, deployments.zcash.address as string];
let nonce = BigInt(Date.now());
const setPrices = () => ({ to: feed, name: 'set_prices', args: [usdc, zec, hex(0n), hex(0n), hex(2n), hex(10_000n), hex(3_000_000n + (nonce++ % 1_000_000n)), hex(0n), hex(0n), hex(2n)] });

const admin = (await call('pxe_registerAccount', [accounts[0]![1]])).address;
const slot = (await deriveStorageSlotInMap(new Fr(1n), AztecAddress.fromString(zec))).toString();
await compare('feed price', ['simulateView', () => call('pxe_simulateView', ['get_price', [zec], feed])],
  ['getPublicStorageAt', () => call('node_getPublicStorageAt', ['latest', feed, slot])], READS);

const escrow = deployments.zecDebtEscrow;
await call('pxe_registerContract', [{ instance: escrow.instance, secretKey: escrow.secretKey }]);
await call('pxe_registerAccount', [accounts[2]![1]]); // the escrow's owner: its config note's nullifier needs the owner's keys
await compare('escrow config note', ['simulateUtility_get_config', () => call('pxe_simulateUtility', ['get_config', [], escrow.address])],
  ['getNotes', () => call('pxe_getNotes', [{ contractAddress: escrow.address }])], READS);

const request = (calls: number) => [{ calls: Array.from({ length: calls }, setPrices), authWitnesses: [] }, { from: admin }];
const sendTx = (calls: number) => async () => ({ sent: await call('pxe_sendTx', request(calls)) });
const twoStep = async () => ({ sent: await call('pxe_sendProvenTx', [(await call('pxe_proveTx', request(1))).txHash]) });
await compare('sendTx 5 calls vs 1', ['sendTx_1_call', sendTx(1)], ['sendTx_5_calls', sendTx(5)], SENDS);
await compare('two-step send', ['sendTx', sendTx(1)], ['proveTx_then_sendProvenTx', twoStep], SENDS);
