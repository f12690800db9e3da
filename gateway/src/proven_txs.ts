/**
 * Proven transactions kept by hash between pxe_proveTx and pxe_sendProvenTx. Each is kept for the TTL
 * (PROVEN_TX_TTL_SECONDS, at least 10 minutes) whether sent or not, so a caller that crashed between its
 * record and its send can still send; at most PROVEN_TX_MAX at once, so memory cannot grow without limit.
 * A full store refuses new proofs rather than drop one before its time.
 */

import { InvalidInput } from './errors.js';

interface Kept<T> {
  value: T;
  expiresAt: number;
}

export class ProvenTxStore<T> {
  /** In insertion order, which is expiry order (one TTL for all). */
  private readonly kept = new Map<string, Kept<T>>();

  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** -32701 before any work when the store is full of transactions still within their TTL. */
  requireRoom(): void {
    this.expire();
    if (this.kept.size < this.max) return;
    const oldest = this.kept.values().next().value!;
    const seconds = Math.ceil((oldest.expiresAt - this.now()) / 1000);
    throw new InvalidInput(
      `pxe_proveTx refused: ${this.max} proven transactions are kept (PROVEN_TX_MAX), the oldest for ${seconds} s more ` +
        `(PROVEN_TX_TTL_SECONDS); send them with pxe_sendProvenTx and retry later. Nothing was done`,
    );
  }

  put(txHash: string, value: T): void {
    this.requireRoom();
    this.kept.delete(txHash);
    this.kept.set(txHash, { value, expiresAt: this.now() + this.ttlMs });
  }

  get(txHash: string): T | undefined {
    this.expire();
    return this.kept.get(txHash)?.value;
  }

  size(): number {
    this.expire();
    return this.kept.size;
  }

  private expire(): void {
    const now = this.now();
    for (const [hash, entry] of this.kept) {
      if (entry.expiresAt > now) return;
      this.kept.delete(hash);
    }
  }
}
