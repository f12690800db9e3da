/**
 * Sends: pxe_sendTx (simulate, prove, send), pxe_proveTx + pxe_sendProvenTx (the same in two steps, the
 * proven transaction kept by hash in between) and pxe_getTxLimits. A transaction with more calls than the
 * entrypoint carries is refused before any work. Simulation and proof are one job in the request's turn on
 * the PXE; the node's round trip is not, so it never holds the PXE.
 */

import type { FunctionCall } from '@aztec/stdlib/abi';
import type { AztecNode } from '@aztec/stdlib/interfaces/client';
import { type Tx, TxStatus } from '@aztec/stdlib/tx';

import type { ContractBook } from './contracts.js';
import { ExecutionError, explainMissingNote, InvalidInput } from './errors.js';
import { logger } from './log.js';
import { address, arity, field, hex, object } from './params.js';
import type { ProvenTxStore } from './proven_txs.js';
import { authWitnesses, CALL_SHAPE, callFrom, parseCall, requireAccount } from './pxe_methods.js';
import type { Job } from './scheduler.js';
import type { GatewayWallet } from './wallet.js';

export interface TxContext {
  wallet: GatewayWallet;
  contracts: ContractBook;
  node: AztecNode;
  simulateBeforeSend: boolean;
  proven: ProvenTxStore<Tx>;
}

export function txMethods(ctx: TxContext) {
  return {
    pxe_sendTx: (params: unknown, job: Job) => sendTx(ctx, params, job),
    pxe_proveTx: (params: unknown, job: Job) => proveTx(ctx, params, job),
    pxe_sendProvenTx: (params: unknown) => sendProvenTx(ctx, params),
    pxe_getTxLimits: async (params: unknown) => {
      arity(params, 0);
      return { maxCallsPerTx: ctx.wallet.maxCallsPerTx };
    },
  };
}

/** [{"calls", "authWitnesses"}, {"from"}] → txHash, after a simulation that would have reverted answers -32702. */
async function sendTx(ctx: TxContext, params: unknown, job: Job): Promise<string> {
  const request = parseTx(ctx, params);
  const started = Date.now();
  const tx = await job(() => prove(ctx, request));
  const txHash = await sendToNode(ctx.node, tx);
  logger.info('Transaction sent', { txHash, calls: request.names, from: hex(request.from), durationMs: Date.now() - started });
  return txHash;
}

/** As pxe_sendTx, but the proven transaction is kept by hash (PROVEN_TX_TTL_SECONDS) instead of sent. */
async function proveTx(ctx: TxContext, params: unknown, job: Job): Promise<{ txHash: string }> {
  const request = parseTx(ctx, params);
  ctx.proven.requireRoom();
  const started = Date.now();
  const txHash = await job(async () => {
    ctx.proven.requireRoom(); // again in our turn: another request may have filled the store meanwhile
    const tx = await prove(ctx, request);
    const hash = hex(tx.getTxHash().hash);
    ctx.proven.put(hash, tx);
    return hash;
  });
  logger.info('Transaction proven', { txHash, calls: request.names, from: hex(request.from), durationMs: Date.now() - started });
  return { txHash };
}

/** [txHash] → txHash: a transaction pxe_proveTx kept, to the node. Sending it again is harmless. */
async function sendProvenTx(ctx: TxContext, params: unknown): Promise<string> {
  const [hash] = arity(params, 1);
  const txHash = hex(field(hash, 'txHash'));
  const tx = ctx.proven.get(txHash);
  if (!tx) throw new InvalidInput(`txHash: no proven transaction ${txHash} is kept here (pxe_proveTx keeps one for PROVEN_TX_TTL_SECONDS)`);
  await sendToNode(ctx.node, tx);
  logger.info('Proven transaction sent', { txHash });
  return txHash;
}

interface TxRequest {
  calls: unknown[];
  names: string[];
  witnesses: ReturnType<typeof authWitnesses>;
  from: ReturnType<typeof address>;
}

function parseTx(ctx: TxContext, params: unknown): TxRequest {
  const [request, options] = arity(params, 2);
  const tx = object(request, 'request', `{"calls": [${CALL_SHAPE}], "authWitnesses": []}`);
  const from = address(object(options, 'options', '{"from"}').from, 'from');
  if (!Array.isArray(tx.calls) || tx.calls.length === 0) throw new InvalidInput('calls must be a non-empty array');
  const limit = ctx.wallet.maxCallsPerTx;
  if (tx.calls.length > limit) {
    throw new InvalidInput(`calls: one transaction carries at most ${limit} calls here (pxe_getTxLimits), got ${tx.calls.length}; nothing was done`);
  }
  const witnesses = authWitnesses(tx.authWitnesses ?? [], 'authWitnesses');
  const names = tx.calls.map((call, i) => parseCall(call, `calls[${i}]`).fnName);
  requireAccount(ctx, from);
  return { calls: tx.calls, names, witnesses, from };
}

async function prove(ctx: TxContext, request: TxRequest): Promise<Tx> {
  const calls: FunctionCall[] = [];
  for (const [i, call] of request.calls.entries()) calls.push(await callFrom(ctx.contracts, call, `calls[${i}]`));
  const targets = [...new Set(calls.map(call => hex(call.to)))].join(', ');
  return explainMissingNote(targets, () => ctx.wallet.prove(calls, request.witnesses, request.from, ctx.simulateBeforeSend));
}

/** The tx to the node; a refusal is -32702 with the node's reason, unless the node already has this tx. */
async function sendToNode(node: AztecNode, tx: Tx): Promise<string> {
  const txHash = tx.getTxHash();
  try {
    await node.sendTx(tx);
  } catch (err) {
    const receipt = await node.getTxReceipt(txHash).catch(() => undefined);
    if (receipt && receipt.status !== TxStatus.DROPPED) {
      logger.debug('Transaction already known to the node', { txHash: hex(txHash.hash), status: receipt.status });
      return hex(txHash.hash); // pending or mined: sent before, so this send is done
    }
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
    throw new ExecutionError(`The node refused transaction ${hex(txHash.hash)}: ${reason}`);
  }
  return hex(txHash.hash);
}
