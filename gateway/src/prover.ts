/**
 * The client prover of the embedded PXE, as the SDK builds it (Barretenberg in WebAssembly, the bundled
 * kernel circuits), with one change: the Barretenberg instance of a proof is destroyed whether the proof
 * succeeds or fails. The SDK's prover destroys it only after a success; a failed proof (bb's own check,
 * an out-of-memory, a bad witness) left its instance alive, its worker threads holding the wasm memory:
 * about 0.5 GB per proof, never released (measured, gateway/README.md).
 */

import { gunzipSync } from 'node:zlib';

import { BBWASMBundlePrivateKernelProver } from '@aztec/bb-prover/client/wasm/bundle';
import { AztecClientBackend } from '@aztec/bb.js';
import { createLogger } from '@aztec/foundation/log';
import { serializeWitness } from '@aztec/noir-noirc_abi';
import { MemoryCircuitRecorder, SimulatorRecorderWrapper, WASMSimulator } from '@aztec/simulator/client';
import type { PrivateExecutionStep } from '@aztec/stdlib/kernel';
import { ClientIvcProofWithPublicInputs } from '@aztec/stdlib/proofs';

/** The SDK's choice (createPXE): Barretenberg takes as many of them as the machine has cores. */
const PROVER_THREADS = 16;

export class RecyclingWasmProver extends BBWASMBundlePrivateKernelProver {
  constructor() {
    super(new SimulatorRecorderWrapper(new WASMSimulator(), new MemoryCircuitRecorder()), PROVER_THREADS, createLogger('pxe:bb:wasm'));
  }

  override async createClientIvcProof(executionSteps: PrivateExecutionStep[]): Promise<ClientIvcProofWithPublicInputs> {
    const started = Date.now();
    const backend = new AztecClientBackend(executionSteps.map(step => gunzipSync(step.bytecode)), {
      threads: PROVER_THREADS,
      logger: this.log.verbose,
      wasmPath: process.env.BB_WASM_PATH,
    });
    try {
      const witnesses = executionSteps.map(step => gunzipSync(serializeWitness(step.witness)));
      const [proof] = await backend.prove(witnesses, executionSteps.map(step => step.vk));
      this.log.info('Generated ClientIVC proof', { duration: Date.now() - started, proofSize: proof.length });
      return ClientIvcProofWithPublicInputs.fromBufferArray(proof);
    } finally {
      await backend.destroy(); // its worker threads and wasm memory go with it, after a failure too
    }
  }
}
