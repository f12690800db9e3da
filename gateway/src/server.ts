/**
 * HTTP for docs/pxe-jsonrpc.md: POST / takes one JSON-RPC request or a batch (an array of at most
 * GATEWAY_MAX_BATCH, answered in order with HTTP 200); GET /status answers OK once the PXE is up (503 while
 * it starts). A single error is HTTP 400 (500 for an internal error, 503 while starting), the body always a
 * JSON-RPC error object. Each request is one lane of the fair scheduler: a batch's PXE jobs run one after
 * another, taking turns with the other requests'.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { INTERNAL_ERROR, INVALID_INPUT } from './errors.js';
import { logger } from './log.js';
import { answer, type MethodTable, type RpcAnswer } from './rpc.js';
import { FairScheduler, type Job } from './scheduler.js';

const STARTING = { code: INTERNAL_ERROR, message: 'PXE gateway is starting: the Aztec node has not answered yet' };

export interface ServerOptions {
  maxBodyBytes: number;
  /** Requests one batch may hold (GATEWAY_MAX_BATCH). */
  maxBatch: number;
  /** The method table once the PXE is up; undefined while it starts. */
  methods: () => MethodTable | undefined;
}

export function createGatewayServer(options: ServerOptions): Server {
  const scheduler = new FairScheduler(); // one PXE behind this server, so one scheduler
  return createServer((req, res) => {
    handle(options, scheduler, req, res).catch(err => {
      logger.error('HTTP handler failed', { error: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) sendJson(res, 500, rpcError(null, INTERNAL_ERROR, 'Internal error'));
    });
  });
}

async function handle(options: ServerOptions, scheduler: FairScheduler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/status') {
    const ready = options.methods() !== undefined;
    res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'OK' : 'STARTING');
    return;
  }
  if (req.method !== 'POST' || path !== '/') {
    sendJson(res, 404, { error: 'Not found: POST / (JSON-RPC) or GET /status' });
    return;
  }
  const body = await readBody(req, options.maxBodyBytes);
  if (body === undefined) {
    sendJson(res, 413, rpcError(null, INVALID_INPUT, `Request body larger than ${options.maxBodyBytes} bytes`));
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    sendJson(res, 400, rpcError(null, INVALID_INPUT, 'Request body is not valid JSON'));
    return;
  }
  const methods = options.methods();
  if (!methods) {
    sendJson(res, 503, rpcError(null, STARTING.code, STARTING.message));
    return;
  }
  if (Array.isArray(parsed) && (parsed.length === 0 || parsed.length > options.maxBatch)) {
    sendJson(res, 400, rpcError(null, INVALID_INPUT, `A batch must hold 1 to ${options.maxBatch} requests (GATEWAY_MAX_BATCH), got ${parsed.length}`));
    return;
  }
  await respond(methods, scheduler.lane(), parsed, res);
}

async function respond(methods: MethodTable, lane: Job, parsed: unknown, res: ServerResponse): Promise<void> {
  if (Array.isArray(parsed)) {
    sendJson(res, 200, await Promise.all(parsed.map(item => answer(methods, item, lane))));
    return;
  }
  const single = await answer(methods, parsed, lane);
  const status = 'error' in single ? (single.error.code === INTERNAL_ERROR ? 500 : 400) : 200;
  sendJson(res, status, single);
}

/** The body as text, or undefined once it passes the limit (the rest is drained, not buffered). */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooBig = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooBig ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function rpcError(id: unknown, code: number, message: string): RpcAnswer {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server.address() as AddressInfo));
  });
}
