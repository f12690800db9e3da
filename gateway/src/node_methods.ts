/**
 * The node_ methods of docs/pxe-jsonrpc.md, forwarded to the Aztec node; receipts mapped to the four
 * statuses. None is a PXE job: they never wait for a proof.
 */

import type { AztecNode } from '@aztec/stdlib/interfaces/client';
import { TxHash, type TxReceipt, TxStatus } from '@aztec/stdlib/tx';

import { InvalidInput, revertReason } from './errors.js';
import { address, arity, field, hex } from './params.js';

export type Receipt = { status: 'pending' | 'success' | 'reverted' | 'dropped'; error?: string; blockNumber?: number };

export function nodeMethods(node: AztecNode) {
  return {
    /** false (not an error) when the node is down: a health probe wants an answer. */
    node_isReady: async (params: unknown) => {
      arity(params, 0);
      return await node.isReady().catch(() => false);
    },
    node_getBlockNumber: async (params: unknown) => {
      arity(params, 0);
      return await node.getBlockNumber();
    },
    node_getTxReceipt: async (params: unknown) => {
      const [hash] = arity(params, 1);
      return mapReceipt(await node.getTxReceipt(new TxHash(field(hash, 'txHash'))));
    },
    /** [block | "latest", contract, slot] → Fr: one public storage word (0 for a slot never written). */
    node_getPublicStorageAt: async (params: unknown) => {
      const [block, contract, slot] = arity(params, 3);
      return hex(await node.getPublicStorageAt(blockNumber(block), address(contract, 'contract'), field(slot, 'slot')));
    },
  };
}

function blockNumber(value: unknown): number | 'latest' {
  if (value === 'latest') return 'latest';
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw new InvalidInput('block must be "latest" or a block number (a non-negative integer)');
}

/** Aztec's six statuses as four: every kind of revert is "reverted", with the contract's message. */
export function mapReceipt(receipt: Pick<TxReceipt, 'status' | 'error' | 'blockNumber'> | undefined): Receipt {
  if (!receipt) return { status: 'dropped' };
  const block = receipt.blockNumber === undefined ? {} : { blockNumber: Number(receipt.blockNumber) };
  switch (receipt.status) {
    case TxStatus.PENDING:
      return { status: 'pending' };
    case TxStatus.SUCCESS:
      return { status: 'success', ...block };
    case TxStatus.DROPPED:
      return { status: 'dropped', ...(receipt.error ? { error: receipt.error } : {}) };
    default:
      return { status: 'reverted', error: receipt.error ? revertReason(receipt.error) : String(receipt.status), ...block };
  }
}
