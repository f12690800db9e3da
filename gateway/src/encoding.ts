/**
 * Functions called by name, arguments as flat Fr[] (docs/pxe-jsonrpc.md). A name resolves to its ABI in the
 * artifact; the flat fields are checked against that ABI (count, integer widths, booleans) and become a
 * FunctionCall with the selector Aztec computes from the name and parameter types. Results are flattened
 * back to Fr[] in Noir ABI order (a struct's fields in order, a BoundedVec's storage then its length).
 */

import { Fr } from '@aztec/foundation/fields';
import {
  type AbiType,
  type ContractArtifact,
  type FunctionAbi,
  FunctionCall,
  FunctionSelector,
  getAllFunctionAbis,
} from '@aztec/stdlib/abi';
import type { AztecAddress } from '@aztec/stdlib/aztec-address';

import { ExecutionError, InvalidInput } from './errors.js';

/** The function's ABI; -32702 "Unknown function" as the development PXE answers. */
export function findFunction(artifact: ContractArtifact, name: string): FunctionAbi {
  const found = getAllFunctionAbis(artifact).find(fn => fn.name === name && fn.name !== 'public_dispatch');
  if (!found) throw new ExecutionError(`Unknown function ${name} in contract ${artifact.name}`);
  return found;
}

export function selectorOf(fn: FunctionAbi): Promise<FunctionSelector> {
  return FunctionSelector.fromNameAndParameters(fn.name, fn.parameters);
}

export function typeSize(type: AbiType): number {
  switch (type.kind) {
    case 'field':
    case 'integer':
    case 'boolean':
      return 1;
    case 'array':
      return type.length * typeSize(type.type);
    case 'string':
      return type.length;
    case 'struct':
      return type.fields.reduce((sum, f) => sum + typeSize(f.type), 0);
    case 'tuple':
      return type.fields.reduce((sum, f) => sum + typeSize(f), 0);
    default:
      throw new Error(`unsupported ABI type ${(type as { kind: string }).kind}`);
  }
}

export function argumentSize(fn: FunctionAbi): number {
  return fn.parameters.reduce((sum, p) => sum + typeSize(p.type), 0);
}

/** The flat args checked against the ABI: -32701 naming the parameter when one does not fit. */
export function checkArgs(fn: FunctionAbi, args: Fr[]): Fr[] {
  const expected = argumentSize(fn);
  if (args.length !== expected) {
    const names = fn.parameters.map(p => p.name).join(', ');
    throw new InvalidInput(`${fn.name} takes ${expected} fields (${names || 'no parameters'}), got ${args.length}`);
  }
  let offset = 0;
  for (const param of fn.parameters) {
    checkValue(param.type, args, offset, `${fn.name}.${param.name}`);
    offset += typeSize(param.type);
  }
  return args;
}

function checkValue(type: AbiType, args: Fr[], offset: number, name: string): void {
  if (type.kind === 'integer') {
    if (args[offset]!.toBigInt() >= 1n << BigInt(type.width)) {
      throw new InvalidInput(`${name} must fit ${type.sign === 'signed' ? 'i' : 'u'}${type.width}`);
    }
  } else if (type.kind === 'boolean') {
    if (args[offset]!.toBigInt() > 1n) throw new InvalidInput(`${name} must be 0 or 1`);
  } else if (type.kind === 'array') {
    const size = typeSize(type.type);
    for (let i = 0; i < type.length; i++) checkValue(type.type, args, offset + i * size, `${name}[${i}]`);
  } else if (type.kind === 'struct' || type.kind === 'tuple') {
    let at = offset;
    const members = type.kind === 'struct' ? type.fields.map(f => [f.name, f.type] as const) : type.fields.map((t, i) => [`${i}`, t] as const);
    for (const [member, memberType] of members) {
      checkValue(memberType, args, at, `${name}.${member}`);
      at += typeSize(memberType);
    }
  }
}

/** A FunctionCall for the PXE from flat, checked args. */
export async function functionCall(artifact: ContractArtifact, name: string, to: AztecAddress, args: Fr[]): Promise<FunctionCall> {
  const fn = findFunction(artifact, name);
  checkArgs(fn, args);
  return new FunctionCall(fn.name, to, await selectorOf(fn), fn.functionType, false, fn.isStatic, args, fn.returnTypes);
}

/**
 * Flat args as the values the SDK's ArgumentEncoder expects (the PXE's simulateUtility encodes them
 * itself). Structs are handed over as their exact field slice, so the encoding is the caller's, unchanged.
 */
export function encoderValues(fn: FunctionAbi, args: Fr[]): unknown[] {
  checkArgs(fn, args);
  const cursor = { at: 0 };
  return fn.parameters.map(p => encoderValue(p.type, args, cursor));
}

function encoderValue(type: AbiType, args: Fr[], cursor: { at: number }): unknown {
  switch (type.kind) {
    case 'field':
      return args[cursor.at++];
    case 'integer':
      return args[cursor.at++]!.toBigInt();
    case 'boolean':
      return !args[cursor.at++]!.isZero();
    case 'array':
      return Array.from({ length: type.length }, () => encoderValue(type.type, args, cursor));
    case 'string':
      return Array.from({ length: type.length }, () => String.fromCharCode(Number(args[cursor.at++]!.toBigInt()))).join('');
    default: {
      const slice = args.slice(cursor.at, cursor.at + typeSize(type));
      cursor.at += slice.length;
      return { encodeToNoir: () => slice };
    }
  }
}

/** A decoded SDK return value flattened to fields in ABI order (the inverse of decodeFromAbi). */
export function flattenReturn(returnTypes: AbiType[], value: unknown): Fr[] {
  if (returnTypes.length === 0) return [];
  if (returnTypes.length === 1) return flatten(returnTypes[0]!, value);
  const values = value as unknown[];
  return returnTypes.flatMap((type, i) => flatten(type, values[i]));
}

function flatten(type: AbiType, value: unknown): Fr[] {
  switch (type.kind) {
    case 'field':
    case 'integer':
    case 'boolean':
      return [scalar(value, type)];
    case 'array':
      return (value as unknown[]).flatMap(item => flatten(type.type, item));
    case 'string':
      return Array.from({ length: type.length }, (_, i) => new Fr(BigInt((value as string).charCodeAt(i) || 0)));
    case 'tuple':
      return type.fields.flatMap((t, i) => flatten(t, (value as unknown[])[i]));
    case 'struct': {
      if (hasToField(value)) return [value.toField()];
      const record = value as Record<string, unknown>;
      return type.fields.flatMap(f => flatten(f.type, record[f.name]));
    }
    default:
      throw new Error(`unsupported ABI type ${(type as { kind: string }).kind}`);
  }
}

function scalar(value: unknown, type: AbiType): Fr {
  if (typeof value === 'boolean') return value ? Fr.ONE : Fr.ZERO;
  if (typeof value === 'bigint') {
    const width = type.kind === 'integer' ? type.width : 254;
    return new Fr(value < 0n ? BigInt.asUintN(width, value) : value);
  }
  if (typeof value === 'number') return new Fr(BigInt(value));
  if (value instanceof Fr) return value;
  if (hasToField(value)) return value.toField();
  throw new Error(`cannot flatten a ${typeof value} as ${type.kind}`);
}

function hasToField(value: unknown): value is { toField(): Fr } {
  return value !== null && typeof value === 'object' && typeof (value as { toField?: unknown }).toField === 'function';
}
