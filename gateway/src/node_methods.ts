/** The node_ methods of SPEC section 6, forwarded to the Aztec node; receipts mapped to section 6's statuses. */

import type { AztecNode } from '@aztec/stdlib/interfaces/client';
import { TxHash, type TxReceipt, TxStatus } from '@aztec/stdlib/tx';

import { revertReason } from './errors.js';
import { arity, field } from './params.js';

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
  };
}

/** Aztec's six statuses as section 6's four: every kind of revert is "reverted", with the contract's message. */
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
