/**
 * Memory of a gateway under real client proofs: N pxe_proveTx calls one after another, the gateway's RSS
 * (VmRSS of GATEWAY_PID) after each. The gateway must run with PXE_PROVER_ENABLED=true; on the local
 * network that needs ../shared/aztec-net/perf_make_crs.py's INSECURE reference string (CRS_PATH), against
 * which bb's own check fails after the full proving work ("Failed to verify"), so the calls answer an error:
 * the proving work and its memory are real, the proofs are not.
 *
 *   GATEWAY_URL=http://127.0.0.1:18092 GATEWAY_PID=<pid> AZTEC_LOCAL_RUN=/tmp/aztec3net/run npx tsx bench/proof_memory.ts 10
 */

import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

const URL_ = process.env.GATEWAY_URL ?? 'http://127.0.0.1:18092';
const PID = Number(process.env.GATEWAY_PID);
const RUN = process.env.AZTEC_LOCAL_RUN ?? '/tmp/aztec3net/run';
const PROOFS = Number(process.argv[2] ?? 10);
const deployments = JSON.parse(readFileSync(join(RUN, 'deploy', 'nocom-local.deployments.json'), 'utf8'));
const adminSecret = readFileSync(join(RUN, 'test_accounts.txt'), 'utf8').trim().split('\n')[0]!.split(/\s+/)[1]!;
const hex = (n: bigint) => '0x' + n.toString(16).padStart(64, '0');

async function call(method: string, params: unknown[]): Promise<{ result?: any; error?: { code: number; message: string } }> {
  const response = await fetch(URL_, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return (await response.json()) as { result?: any; error?: { code: number; message: string } };
}

function rssMb(): number {
  const line = readFileSync(`/proc/${PID}/status`, 'utf8').split('\n').find(l => l.startsWith('VmRSS:'))!;
  return Math.round(Number(line.split(/\s+/)[1]) / 1024);
}

const admin = (await call('pxe_registerAccount', [adminSecret])).result.address;
const { priceOracle, usdc, zcash } = deployments;
console.log(JSON.stringify({ proof: 0, rssMb: rssMb(), load: loadavg()[0] }));
const first = { rss: 0 };
for (let i = 1; i <= PROOFS; i++) {
  const args = [usdc.address, zcash.address, hex(0n), hex(0n), hex(2n), hex(10_000n), hex(3_000_000n + BigInt(i)), hex(0n), hex(0n), hex(2n)];
  const started = performance.now();
  const answer = await call('pxe_proveTx', [{ calls: [{ to: priceOracle.address, name: 'set_prices', args }], authWitnesses: [] }, { from: admin }]);
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  await new Promise(resolve => setTimeout(resolve, 3000));
  const rss = rssMb();
  if (i === 1) first.rss = rss;
  console.log(JSON.stringify({
    proof: i, seconds, rssMb: rss, vsFirst: Math.round((rss / first.rss) * 100) / 100, load: loadavg()[0],
    answer: answer.result ?? `${answer.error?.code} ${answer.error?.message.slice(0, 120)}`,
  }));
}
