/** The gateway assembled: artifacts loaded, the embedded PXE started, the method table built. */

import { Fr } from '@aztec/foundation/fields';
import type { Tx } from '@aztec/stdlib/tx';

import { loadArtifacts, SHIPPED_ARTIFACTS_DIR } from './artifacts.js';
import type { GatewayConfig } from './config.js';
import { ContractBook } from './contracts.js';
import { logger } from './log.js';
import { nodeMethods } from './node_methods.js';
import { noteMethods } from './notes.js';
import { ProvenTxStore } from './proven_txs.js';
import { type EmbeddedPxe, startEmbeddedPxe } from './pxe.js';
import { pxeMethods } from './pxe_methods.js';
import type { MethodTable } from './rpc.js';
import { txMethods } from './tx_methods.js';

export interface Gateway {
  methods: MethodTable;
  embedded: EmbeddedPxe;
  contracts: ContractBook;
  proven: ProvenTxStore<Tx>;
  stop(): Promise<void>;
}

export type GatewaySettings = Pick<
  GatewayConfig,
  | 'nodeUrl' | 'dataDir' | 'proverEnabled' | 'feePayment' | 'artifactsDirs' | 'deploymentsFile' | 'accountSalt' | 'simulateBeforeSend'
  | 'maxAccounts' | 'provenTxMax' | 'provenTxTtlSeconds'
>;

export async function startGateway(settings: GatewaySettings): Promise<Gateway> {
  const artifacts = await loadArtifacts([SHIPPED_ARTIFACTS_DIR, ...settings.artifactsDirs]);
  const embedded = await startEmbeddedPxe(settings);
  const contracts = new ContractBook(embedded.wallet, embedded.pxe, embedded.node, artifacts);
  if (settings.deploymentsFile) {
    const registered = await contracts.registerDeployments(settings.deploymentsFile);
    logger.info('Deployments registered', { file: settings.deploymentsFile, registered });
  }
  const proven = new ProvenTxStore<Tx>(settings.provenTxMax, settings.provenTxTtlSeconds * 1000);
  const { wallet, node, pxe } = embedded;
  const methods: MethodTable = {
    ...nodeMethods(node),
    ...pxeMethods({ wallet, contracts, accountSalt: Fr.fromHexString(settings.accountSalt) }),
    ...noteMethods({ pxe, contracts }),
    ...txMethods({ wallet, contracts, node, simulateBeforeSend: settings.simulateBeforeSend, proven }),
  };
  return { methods, embedded, contracts, proven, stop: () => embedded.stop() };
}
