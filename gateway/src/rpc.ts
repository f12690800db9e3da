/**
 * The JSON-RPC method table and one request's answer. Errors carry the codes of docs/pxe-jsonrpc.md; anything
 * unexpected is logged with its stack here and answered as -32603 without one.
 */

import { InvalidInput, INTERNAL_ERROR, MethodNotFound, RpcError, toRpcError } from './errors.js';
import { logger } from './log.js';
import type { Job } from './scheduler.js';

/** A method: its params, and the request's lane for work on the PXE (node_ methods never use it). */
export type Handler = (params: unknown, job: Job) => Promise<unknown>;
export type MethodTable = Record<string, Handler>;

export type RpcAnswer =
  | { jsonrpc: '2.0'; id: unknown; result: unknown }
  | { jsonrpc: '2.0'; id: unknown; error: { code: number; message: string } };

export async function answer(methods: MethodTable, request: unknown, job: Job): Promise<RpcAnswer> {
  const id = isObject(request) && 'id' in request ? request.id : null;
  try {
    if (!isObject(request) || typeof request.method !== 'string') {
      throw new InvalidInput('Expected a JSON-RPC request object with a method');
    }
    const handler = Object.hasOwn(methods, request.method) ? methods[request.method] : undefined;
    if (!handler) throw new MethodNotFound(request.method);
    const result = await handler(request.params ?? [], job);
    return { jsonrpc: '2.0', id, result: result === undefined ? null : result };
  } catch (err) {
    const rpcError = toRpcError(err);
    logFailure(isObject(request) ? request.method : undefined, err, rpcError);
    return { jsonrpc: '2.0', id, error: { code: rpcError.code, message: rpcError.message } };
  }
}

function logFailure(method: unknown, err: unknown, rpcError: RpcError): void {
  const fields = { method: typeof method === 'string' ? method.slice(0, 100) : undefined, code: rpcError.code, error: rpcError.message };
  if (rpcError.code === INTERNAL_ERROR) {
    logger.error('Request failed', { ...fields, stack: err instanceof Error ? err.stack : String(err) });
  } else {
    logger.debug('Request rejected', fields);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
