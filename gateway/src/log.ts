/**
 * One JSON object a line on stdout, as the Python services log (docs/log-events.md):
 * {"timestamp", "level", "service": "pxe-gateway", "event", ...fields}. Secret keys are never passed here;
 * fields named like secrets are masked all the same, in case a caller slips.
 */

import type { LogLevel } from './config.js';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_NAME = /secret|private|password|signing|mnemonic/i;

export type Fields = Record<string, unknown>;
type Sink = (line: string) => void;

let threshold: LogLevel = 'info';
let sink: Sink = line => process.stdout.write(line + '\n');

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

/** Tests capture lines here; returns the previous sink. */
export function setLogSink(next: Sink): Sink {
  const previous = sink;
  sink = next;
  return previous;
}

export function log(level: LogLevel, event: string, fields: Fields = {}): void {
  if (ORDER[level] < ORDER[threshold]) return;
  const record: Fields = { timestamp: new Date().toISOString(), level, service: 'pxe-gateway', event };
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || key in record) continue;
    record[key] = SECRET_NAME.test(key) ? '***' : plain(value);
  }
  sink(JSON.stringify(record));
}

export const logger = {
  debug: (event: string, fields?: Fields) => log('debug', event, fields),
  info: (event: string, fields?: Fields) => log('info', event, fields),
  warn: (event: string, fields?: Fields) => log('warn', event, fields),
  error: (event: string, fields?: Fields) => log('error', event, fields),
};

function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return value.message;
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && typeof (value as object).toString === 'function'
    && (value as object).toString !== Object.prototype.toString) {
    return (value as object).toString();
  }
  return value;
}

const PINO_LEVELS: Record<number, LogLevel> = { 10: 'debug', 20: 'debug', 25: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'error' };

/**
 * The Aztec SDK logs through pino; its lines are re-emitted here as our own JSON lines (event "Aztec SDK",
 * with the SDK's module and message), so operators read one format. Its level is SDK_LOG_LEVEL, set
 * before the SDK is imported (see main.ts).
 */
export function sdkLogStream(): { write(chunk: string): void } {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (!line.trim()) continue;
        try {
          const parsed = JSON.parse(line) as Fields & { level?: number; msg?: string; module?: string };
          log(PINO_LEVELS[parsed.level ?? 30] ?? 'info', 'Aztec SDK', { module: parsed.module, message: parsed.msg });
        } catch {
          log('info', 'Aztec SDK', { message: line.slice(0, 2000) });
        }
      }
    },
  };
}
