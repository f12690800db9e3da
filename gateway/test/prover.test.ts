/**
 * The prover frees a proof's Barretenberg instance after a failure too. The SDK's prover destroyed it only
 * after a success, so each failed proof kept ~0.5 GB (bench/proof_memory.ts measures the real thing; here
 * Barretenberg itself is replaced, as it needs a reference string and a minute of CPU per proof).
 */

import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { afterEach, test } from 'node:test';

import { AztecClientBackend } from '@aztec/bb.js';
import type { PrivateExecutionStep } from '@aztec/stdlib/kernel';

import { RecyclingWasmProver } from '../src/prover.js';

const original = { prove: AztecClientBackend.prototype.prove, destroy: AztecClientBackend.prototype.destroy };
afterEach(() => Object.assign(AztecClientBackend.prototype, original));

const steps = [{ bytecode: gzipSync(Buffer.from('acir')), witness: new Map([[0, '0x01']]), vk: Buffer.alloc(0) }] as unknown as PrivateExecutionStep[];

test('a failed proof destroys its Barretenberg instance', async () => {
  let destroyed = 0;
  let proved: Uint8Array[] = [];
  AztecClientBackend.prototype.prove = async function (witnesses: Uint8Array[]) {
    proved = witnesses;
    throw new Error('Failed to verify the generated proof!');
  } as typeof original.prove;
  AztecClientBackend.prototype.destroy = async () => void (destroyed += 1);
  await assert.rejects(new RecyclingWasmProver().createClientIvcProof(steps), /Failed to verify the generated proof!/);
  assert.equal(proved.length, 1, 'the witness reached the backend');
  assert.equal(destroyed, 1);
});
