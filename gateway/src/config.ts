/** The gateway's settings, read once from the environment (names fixed; see gateway/README.md). */

import { isAbsolute, resolve } from 'node:path';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type FeePayment = 'fee-juice' | 'sponsored';

export interface GatewayConfig {
  nodeUrl: string;
  host: string;
  port: number;
  /** Persistent PXE store lives here; undefined keeps it in memory (tests only). */
  dataDir: string | undefined;
  /** Extra artifact directories, searched after the shipped gateway/artifacts. */
  artifactsDirs: string[];
  /** A nocom-v1 style deployments.json whose contracts are registered at start. */
  deploymentsFile: string | undefined;
  logLevel: LogLevel;
  sdkLogLevel: string;
  proverEnabled: boolean;
  feePayment: FeePayment;
  /** Salt of a Schnorr account registered with pxe_registerAccount when the call gives none. */
  accountSalt: string;
  maxBodyBytes: number;
  simulateBeforeSend: boolean;
  /** Requests one JSON-RPC batch may hold. */
  maxBatch: number;
  /** Distinct accounts pxe_registerAccount registers before it refuses more. */
  maxAccounts: number;
  /** Proven transactions pxe_proveTx keeps at once, and for how long each. */
  provenTxMax: number;
  provenTxTtlSeconds: number;
}

export class ConfigError extends Error {}

const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];
const FIELD = /^0x[0-9a-fA-F]{1,64}$/;

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env, cwd = process.cwd()): GatewayConfig {
  const nodeUrl = required(env, 'AZTEC_NODE_URL');
  if (!/^https?:\/\/[^\s]+$/.test(nodeUrl)) throw new ConfigError('AZTEC_NODE_URL must be an http(s) URL');
  return {
    nodeUrl: nodeUrl.replace(/\/+$/, ''),
    host: env.GATEWAY_HOST?.trim() || '127.0.0.1',
    port: integer(env, 'GATEWAY_PORT', 8080, 0, 65535),
    dataDir: dataDir(env, cwd),
    artifactsDirs: (env.ARTIFACTS_DIR ?? '').split(',').map(s => s.trim()).filter(Boolean).map(p => absolute(p, cwd)),
    deploymentsFile: env.DEPLOYMENTS_FILE?.trim() ? absolute(env.DEPLOYMENTS_FILE.trim(), cwd) : undefined,
    logLevel: logLevel(env),
    sdkLogLevel: env.SDK_LOG_LEVEL?.trim() || 'warn',
    proverEnabled: boolean(env, 'PXE_PROVER_ENABLED', true),
    feePayment: feePayment(env),
    accountSalt: accountSalt(env),
    maxBodyBytes: integer(env, 'GATEWAY_MAX_BODY_BYTES', 1_048_576, 1024, 64 * 1_048_576),
    simulateBeforeSend: boolean(env, 'SIMULATE_BEFORE_SEND', true),
    maxBatch: integer(env, 'GATEWAY_MAX_BATCH', 100, 1, 1000),
    maxAccounts: integer(env, 'GATEWAY_MAX_ACCOUNTS', 32, 1, 10_000),
    provenTxMax: integer(env, 'PROVEN_TX_MAX', 256, 1, 10_000),
    provenTxTtlSeconds: integer(env, 'PROVEN_TX_TTL_SECONDS', 600, 600, 86_400),
  };
}

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`${name} is required`);
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}`);
  }
  return Number(raw);
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false`);
}

function logLevel(env: Env): LogLevel {
  const raw = (env.LOG_LEVEL?.trim() || 'info').toLowerCase();
  if (!LEVELS.includes(raw as LogLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LEVELS.join(', ')}`);
  return raw as LogLevel;
}

function feePayment(env: Env): FeePayment {
  const raw = env.FEE_PAYMENT?.trim() || 'fee-juice';
  if (raw !== 'fee-juice' && raw !== 'sponsored') throw new ConfigError('FEE_PAYMENT must be fee-juice or sponsored');
  return raw;
}

function accountSalt(env: Env): string {
  const raw = env.ACCOUNT_SALT?.trim() || '0x0';
  if (!FIELD.test(raw)) throw new ConfigError('ACCOUNT_SALT must be 0x followed by 1 to 64 hex digits');
  return raw;
}

function dataDir(env: Env, cwd: string): string | undefined {
  const raw = env.GATEWAY_DATA_DIR?.trim();
  if (raw === ':memory:') return undefined;
  return absolute(raw || './data/pxe-gateway', cwd);
}

function absolute(path: string, cwd: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}
