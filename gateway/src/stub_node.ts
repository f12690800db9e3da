/**
 * A loopback stand-in for an Aztec node, for tests only: answers the node JSON-RPC (single requests and
 * the batches the SDK's client sends) with what the embedded PXE needs to start and sync an empty chain.
 * It proves nothing about a real network; it lets the gateway start here, where none can run.
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const eth = (n: number) => '0x' + n.toString(16).padStart(40, '0');
const aztec = (n: number) => '0x' + n.toString(16).padStart(64, '0');

const L1_NAMES = [
  'rollupAddress', 'registryAddress', 'inboxAddress', 'outboxAddress', 'feeJuiceAddress', 'stakingAssetAddress',
  'feeJuicePortalAddress', 'coinIssuerAddress', 'rewardDistributorAddress', 'governanceProposerAddress', 'governanceAddress',
];

export const STUB_NODE_INFO = {
  nodeVersion: '3.0.0-devnet.5',
  l1ChainId: 31337,
  rollupVersion: 1,
  l1ContractAddresses: Object.fromEntries(L1_NAMES.map((name, i) => [name, eth(i + 1)])),
  protocolContractAddresses: { classRegistry: aztec(3), feeJuice: aztec(5), instanceRegistry: aztec(2), multiCallEntrypoint: aztec(4) },
};

export interface StubNode {
  url: string;
  /** Every method the PXE asked for, in order (tests read it). */
  calls: string[];
  blockNumber: number;
  /** Public storage words by `${contract}:${slot}` (lower-case 0x + 64 hex); others read as zero. */
  storage: Map<string, string>;
  close(): Promise<void>;
}

type Answer = { result: unknown } | { error: { code: number; message: string } };

function answerFor(stub: StubNode, method: string, params: unknown[]): Answer {
  switch (method) {
    case 'node_getNodeInfo':
      return { result: STUB_NODE_INFO };
    case 'node_isReady':
      return { result: true };
    case 'node_getBlockNumber':
    case 'node_getProvenBlockNumber':
      return { result: stub.blockNumber };
    case 'node_getPublicStorageAt':
      return { result: stub.storage.get(`${String(params[1]).toLowerCase()}:${String(params[2]).toLowerCase()}`) ?? aztec(0) };
    case 'node_getTxReceipt': // every hash is unknown here: Aztec answers "dropped" for those
      return { result: { txHash: String(params[0] ?? aztec(0)), status: 'dropped', error: '' } };
    case 'node_getContract':
    case 'node_getContractClass':
    case 'node_getBlockHeader':
    case 'node_getBlock':
    case 'node_registerContractFunctionSignatures':
    case 'node_getNullifierMembershipWitness':
      return { result: null };
    default:
      return { error: { code: -32601, message: `Method not found: ${method}` } };
  }
}

export function startStubNode(port = 0, host = '127.0.0.1'): Promise<StubNode> {
  const stub: StubNode = { url: '', calls: [], blockNumber: 0, storage: new Map(), close: async () => {} };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', chunk => (body += chunk));
    req.on('end', () => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        res.writeHead(400).end();
        return;
      }
      const requests = (Array.isArray(parsed) ? parsed : [parsed]) as { id?: unknown; method?: string; params?: unknown[] }[];
      const answers = requests.map(r => {
        stub.calls.push(String(r.method));
        return { jsonrpc: '2.0', id: r.id ?? null, ...answerFor(stub, String(r.method), r.params ?? []) };
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(Array.isArray(parsed) ? answers : answers[0]));
    });
  });
  return new Promise(resolve => {
    server.listen(port, host, () => {
      stub.url = `http://${host}:${(server.address() as AddressInfo).port}`;
      stub.close = () => new Promise(done => server.close(() => done()));
      resolve(stub);
    });
  });
}
