/**
 * pxe_getNotes: a contract's active notes from the PXE's own note store, after one sync_private_state of
 * that contract (Aztec's PXE.getNotes). One job per contract instead of two simulations per escrow: the
 * note monitor reads a pool's collateral and loan notes of all its escrows at once.
 */

import type { PXE } from '@aztec/pxe/server';
import type { AztecAddress } from '@aztec/stdlib/aztec-address';
import type { UniqueNote } from '@aztec/stdlib/note';

import type { ContractBook } from './contracts.js';
import { InvalidInput } from './errors.js';
import { address, arity, field, hex, object } from './params.js';
import type { Job } from './scheduler.js';

const FILTER_SHAPE = '{"contractAddress", "storageSlot"?, "scopes"?: [address]}';

export interface NotesContext {
  pxe: PXE;
  contracts: ContractBook;
}

export function noteMethods(ctx: NotesContext) {
  return {
    pxe_getNotes: (params: unknown, job: Job) => getNotes(ctx, params, job),
  };
}

/** [{"contractAddress", "storageSlot"?, "scopes"?}] → [UniqueNote], Aztec's shape with hex fields. */
function getNotes(ctx: NotesContext, params: unknown, job: Job) {
  const [raw] = arity(params, 1);
  const filter = object(raw, 'filter', FILTER_SHAPE);
  const contractAddress = address(filter.contractAddress, 'filter.contractAddress');
  const storageSlot = filter.storageSlot === undefined || filter.storageSlot === null ? undefined : field(filter.storageSlot, 'filter.storageSlot');
  const scopes = filter.scopes === undefined || filter.scopes === null ? undefined : addresses(filter.scopes, 'filter.scopes');
  return job(async () => {
    await ctx.contracts.artifactAt(contractAddress); // a publicly deployed contract gets registered first
    const notes = await ctx.pxe.getNotes({ contractAddress, storageSlot, scopes });
    return notes.map(noteJson);
  });
}

function addresses(value: unknown, name: string): AztecAddress[] {
  if (!Array.isArray(value)) throw new InvalidInput(`${name} must be an array of addresses`);
  return value.map((item, i) => address(item, `${name}[${i}]`));
}

export function noteJson(note: UniqueNote) {
  return {
    note: { items: note.note.items.map(hex) },
    recipient: hex(note.recipient),
    contractAddress: hex(note.contractAddress),
    storageSlot: hex(note.storageSlot),
    txHash: hex(note.txHash.hash),
    noteNonce: hex(note.noteNonce),
  };
}
