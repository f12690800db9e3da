/**
 * The embedded PXE: Aztec's own PXE (@aztec/pxe) in this process, talking to AZTEC_NODE_URL. Its store is
 * LMDB under GATEWAY_DATA_DIR/pxe_data, so registered accounts, contracts and synced notes survive a
 * restart (the store resets itself when the node reports a different rollup). The SDK's default store
 * loads a native module that needs glibc 2.38; the LMDB store used here does not.
 */

import { mkdirSync } from 'node:fs';

import { createAztecNodeClient } from '@aztec/aztec.js/node';
import type { AztecAsyncKVStore } from '@aztec/kv-store';
import { createStore, openTmpStore } from '@aztec/kv-store/lmdb';
import { createPXE, getPXEConfig, type PXE } from '@aztec/pxe/server';
import type { AztecNode } from '@aztec/stdlib/interfaces/client';

import type { GatewayConfig } from './config.js';
import { logger } from './log.js';
import { RecyclingWasmProver } from './prover.js';
import { GatewayWallet } from './wallet.js';

export interface EmbeddedPxe {
  node: AztecNode;
  pxe: PXE;
  wallet: GatewayWallet;
  stop(): Promise<void>;
}

type PxeSettings = Pick<GatewayConfig, 'nodeUrl' | 'dataDir' | 'proverEnabled' | 'feePayment' | 'maxAccounts'>;

export async function startEmbeddedPxe(settings: PxeSettings): Promise<EmbeddedPxe> {
  const started = Date.now();
  const node = createAztecNodeClient(settings.nodeUrl);
  const info = await node.getNodeInfo();
  const config = { ...getPXEConfig(), proverEnabled: settings.proverEnabled, dataDirectory: settings.dataDir };
  const store = await openStore(settings.dataDir, config.dataStoreMapSizeKb, info.l1ContractAddresses.rollupAddress);
  // the SDK's own choice of prover, but one that frees a failed proof's memory (prover.ts); a native bb
  // (BB_BINARY_PATH and BB_WORKING_DIRECTORY) stays the SDK's
  const prover = config.bbBinaryPath && config.bbWorkingDirectory ? undefined : new RecyclingWasmProver();
  const pxe = await createPXE(node, config, { store: store as never, loggers: {}, prover });
  const wallet = new GatewayWallet(pxe, node, settings.feePayment, settings.maxAccounts);
  await wallet.init();
  logger.info('PXE started', {
    nodeVersion: info.nodeVersion, l1ChainId: info.l1ChainId, rollupVersion: info.rollupVersion,
    dataDir: settings.dataDir ?? 'memory', proverEnabled: settings.proverEnabled, feePayment: settings.feePayment,
    durationMs: Date.now() - started,
  });
  return { node, pxe, wallet, stop: () => pxe.stop() };
}

async function openStore(dataDir: string | undefined, mapSizeKb: number, rollupAddress: unknown): Promise<AztecAsyncKVStore | unknown> {
  if (!dataDir) return openTmpStore(true);
  mkdirSync(dataDir, { recursive: true });
  return await createStore('pxe_data', { dataDirectory: dataDir, dataStoreMapSizeKb: mapSizeKb, l1Contracts: { rollupAddress } as never });
}
