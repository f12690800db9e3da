/**
 * `npm --prefix gateway start`: the PXE gateway. Serves HTTP at once (GET /status is 503 until the PXE is
 * up) and starts the embedded PXE, retrying with backoff while the Aztec node does not answer.
 */

import { type GatewayConfig, ConfigError, loadConfig } from './config.js';
import { logger, sdkLogStream, setLogLevel } from './log.js';
import type { MethodTable } from './rpc.js';
import { createGatewayServer, listen } from './server.js';

const VERSION = '0.1.0';
const MAX_BACKOFF_MS = 30_000;

async function main(): Promise<void> {
  const config = readConfig();
  setLogLevel(config.logLevel);
  // The SDK reads its log settings when first imported: JSON lines, at SDK_LOG_LEVEL, re-emitted as ours.
  process.env.LOG_LEVEL = config.sdkLogLevel;
  process.env.LOG_JSON = '1';
  const { overwriteLoggingStream } = await import('@aztec/foundation/log');
  overwriteLoggingStream(sdkLogStream() as never);
  const { startGateway } = await import('./gateway.js');

  let methods: MethodTable | undefined;
  let stopPxe: (() => Promise<void>) | undefined;
  const server = createGatewayServer({ maxBodyBytes: config.maxBodyBytes, maxBatch: config.maxBatch, methods: () => methods });
  const bound = await listen(server, config.port, config.host);
  logger.info('Service started', { port: bound.port, host: config.host, version: VERSION, settings: masked(config) });

  const shutdown = (signal: string) => {
    logger.info('Service stopped', { signal, port: bound.port });
    server.close();
    void (stopPxe?.() ?? Promise.resolve()).finally(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  for (let attempt = 1; ; attempt++) {
    try {
      const gateway = await startGateway(config);
      stopPxe = gateway.stop;
      methods = gateway.methods;
      logger.info('Gateway ready', { port: bound.port, attempts: attempt });
      return;
    } catch (err) {
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempt - 1, 5));
      logger.warn('Aztec node unreachable', { nodeUrl: config.nodeUrl, attempt, retryInMs: delay, error: message(err) });
      await new Promise(resolve => setTimeout(resolve, delay));
    }
  }
}

function readConfig(): GatewayConfig {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      logger.error('Invalid configuration', { error: err.message });
      process.exit(2);
    }
    throw err;
  }
}

function masked(config: GatewayConfig): Record<string, unknown> {
  return { ...config, accountSalt: config.accountSalt === '0x0' ? '0x0' : '***' };
}

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
}

main().catch(err => {
  logger.error('Gateway failed', { error: message(err) });
  process.exit(1);
});
