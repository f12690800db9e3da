/**
 * Checks on JSON-RPC params (docs/pxe-jsonrpc.md, transport). Every failure is an InvalidInput (-32701)
 * whose message names the parameter, so a client can fix its call without reading our code.
 */

import { Fr } from '@aztec/foundation/fields';
import { AztecAddress } from '@aztec/stdlib/aztec-address';

import { InvalidInput } from './errors.js';

const HEX = /^0x[0-9a-fA-F]{1,64}$/;
const DECIMAL = /^\d{1,78}$/;

export function arity(params: unknown, least: number, most = least): unknown[] {
  if (!Array.isArray(params)) throw new InvalidInput('params must be an array');
  if (params.length < least || params.length > most) {
    const expected = least === most ? `${least}` : `${least} to ${most}`;
    throw new InvalidInput(`Expected ${expected} params, got ${params.length}`);
  }
  return params;
}

/** A field element: "0x" + 1..64 hex digits (or a decimal string / safe integer) below the BN254 modulus. */
export function field(value: unknown, name: string): Fr {
  let number: bigint | undefined;
  if (typeof value === 'string' && HEX.test(value.trim())) number = BigInt(value.trim());
  else if (typeof value === 'string' && DECIMAL.test(value.trim())) number = BigInt(value.trim());
  else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) number = BigInt(value);
  if (number === undefined || number >= Fr.MODULUS) {
    throw new InvalidInput(`${name} must be a field element: 0x followed by 1 to 64 hex digits, below the field modulus`);
  }
  return new Fr(number);
}

export function fieldList(value: unknown, name: string): Fr[] {
  if (!Array.isArray(value)) throw new InvalidInput(`${name} must be an array of field elements`);
  return value.map((item, i) => field(item, `${name}[${i}]`));
}

export function address(value: unknown, name: string): AztecAddress {
  if (typeof value !== 'string' || !HEX.test(value.trim())) {
    throw new InvalidInput(`${name} must be 0x followed by 1 to 64 hex digits`);
  }
  const number = BigInt(value.trim());
  if (number >= Fr.MODULUS) throw new InvalidInput(`${name} must be below the field modulus`);
  return AztecAddress.fromBigInt(number);
}

export function optionalAddress(value: unknown, name: string): AztecAddress | undefined {
  return value === undefined || value === null ? undefined : address(value, name);
}

export function functionName(value: unknown, name = 'functionName'): string {
  if (typeof value !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(value)) {
    throw new InvalidInput(`${name} must be a Noir function name`);
  }
  return value;
}

export function object(value: unknown, name: string, shape: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInput(`${name} must be an object ${shape}`);
  }
  return value as Record<string, unknown>;
}

/** The canonical wire form of a field: "0x" + 64 lower-case hex digits. */
export function hex(value: Fr | AztecAddress | bigint): string {
  const number = typeof value === 'bigint' ? value : value.toBigInt();
  return '0x' + number.toString(16).padStart(64, '0');
}
