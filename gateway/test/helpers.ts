/** Test helpers: the gateway in-process on a free loopback port, against the loopback stub node. */

import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { Fr } from '@aztec/foundation/fields';
import { loadContractArtifact } from '@aztec/stdlib/abi';
import { AztecAddress } from '@aztec/stdlib/aztec-address';
import { getContractInstanceFromInstantiationParams } from '@aztec/stdlib/contract';
import { deriveKeys } from '@aztec/stdlib/keys';

import { SHIPPED_ARTIFACTS_DIR } from '../src/artifacts.js';
import { type Gateway, type GatewaySettings, startGateway } from '../src/gateway.js';
import { setLogSink } from '../src/log.js';
import { createGatewayServer, listen } from '../src/server.js';
import { startStubNode, type StubNode } from '../src/stub_node.js';

export const logLines: string[] = [];
setLogSink(line => logLines.push(line));

export interface Running {
  url: string;
  stub: StubNode;
  gateway: Gateway;
  close(): Promise<void>;
}

export const TEST_LIMITS = { maxBatch: 20, maxAccounts: 40 };

export async function runningGateway(dataDir?: string, settings: Partial<GatewaySettings> = {}): Promise<Running> {
  const stub = await startStubNode();
  const served = await gatewayOn(stub.url, { dataDir, ...settings });
  return { ...served, stub, close: async () => { await served.close(); await stub.close(); } };
}

/** The gateway in-process on a free loopback port, against the node at `nodeUrl` (fake proofs). */
export async function gatewayOn(nodeUrl: string, settings: Partial<GatewaySettings> = {}): Promise<Omit<Running, 'stub'>> {
  const gateway = await startGateway({
    nodeUrl, dataDir: undefined, proverEnabled: false, feePayment: 'fee-juice', artifactsDirs: [],
    deploymentsFile: undefined, accountSalt: '0x0', simulateBeforeSend: true,
    maxAccounts: TEST_LIMITS.maxAccounts, provenTxMax: 4, provenTxTtlSeconds: 600, ...settings,
  });
  const server = createGatewayServer({ maxBodyBytes: 64 * 1024, maxBatch: TEST_LIMITS.maxBatch, methods: () => gateway.methods });
  const { port } = (await listen(server, 0, '127.0.0.1')) as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    gateway,
    close: async () => {
      server.closeAllConnections();
      await new Promise(done => server.close(() => done(undefined)));
      await gateway.stop();
    },
  };
}

export async function rpc(url: string, method: string, params: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return { status: response.status, body: await response.json() };
}

export function shippedJson(name: string): any {
  return JSON.parse(readFileSync(join(SHIPPED_ARTIFACTS_DIR, name), 'utf8'));
}

export const escrowArtifact = () => loadContractArtifact(shippedJson('NocomEscrow.json'));
export const feedArtifact = () => loadContractArtifact(shippedJson('MockPriceFeed.json'));

/** An escrow instance as the protocol's frontend makes one: its keys derive from its secret key. */
export async function escrowInstance(secretKey: Fr) {
  const { publicKeys } = await deriveKeys(secretKey);
  return getContractInstanceFromInstantiationParams(escrowArtifact(), {
    constructorArgs: [AztecAddress.fromBigInt(1n), AztecAddress.fromBigInt(2n), AztecAddress.fromBigInt(3n)],
    salt: new Fr(7n),
    publicKeys,
    deployer: AztecAddress.fromBigInt(9n),
  });
}

export const field = (n: bigint | number) => '0x' + BigInt(n).toString(16).padStart(64, '0');
