/**
 * JSON-RPC errors of docs/pxe-jsonrpc.md and how SDK failures map to them. Clients get a message, never a
 * stack trace: anything unexpected becomes -32603 "Internal error" and is logged here instead.
 */

export const METHOD_NOT_FOUND = -32601;
export const INVALID_INPUT = -32701;
export const EXECUTION_ERROR = -32702;
export const INTERNAL_ERROR = -32603;

export class RpcError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

export class MethodNotFound extends RpcError {
  constructor(method: string) {
    super(METHOD_NOT_FOUND, `Method not found: ${method}`);
  }
}

export class InvalidInput extends RpcError {
  constructor(message: string) {
    super(INVALID_INPUT, message);
  }
}

export class ExecutionError extends RpcError {
  constructor(message: string) {
    super(EXECUTION_ERROR, message);
  }
}

const ASSERTION_PREFIX = /^(?:Assertion failed:\s*|Error:\s*)+/;

/**
 * The contract's own assertion text from an SDK simulation error: "Assertion failed: Position healthy,
 * cannot liquidate 'ltv_health < ...'" becomes "Position healthy, cannot liquidate".
 */
export function revertReason(message: string): string {
  const first = message.split('\n')[0] ?? message;
  const trimmed = first.replace(ASSERTION_PREFIX, '').trim();
  const quoted = trimmed.match(/^(.*?)\s+'[^']*'$/);
  return (quoted ? quoted[1]! : trimmed) || first.trim() || 'Execution reverted';
}

/** True for errors that come from executing contract code (private or public), not from our plumbing. */
export function isSimulationFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.constructor?.name === 'SimulationError') return true;
  return /Assertion failed|reverted|Circuit execution failed|Failed to solve brillig/i.test(err.message);
}

const MISSING_NOTE = /Attempted to read past end of BoundedVec/;
const UNKNOWN_OWNER = /No public key registered for address (0x[0-9a-fA-F]+)/;

/**
 * A contract that reads a note the PXE never discovered fails deep in Noir with "Attempted to read past end
 * of BoundedVec"; the caller gets what it means instead. Aztec finds a note by its sender's tags, so the
 * usual cause is a sender nobody registered (an escrow's owner), or a contract registered without its key.
 */
export async function explainMissingNote<T>(contracts: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const text = `${err instanceof Error ? err.message : String(err)} ${String((err as { originalMessage?: unknown })?.originalMessage ?? '')}`;
    const owner = text.match(UNKNOWN_OWNER)?.[1];
    if (owner) {
      throw new ExecutionError(
        `No note found for ${contracts}: a note of it names ${owner}, whose keys this PXE does not hold. Aztec derives a ` +
          `note's nullifier from its owner's keys, so only a PXE holding them (pxe_registerAccount) reads that note`,
      );
    }
    if (!MISSING_NOTE.test(text)) throw err;
    throw new ExecutionError(
      `No note found for ${contracts}: the PXE holds no note this call reads. Register the note's sender with ` +
        `pxe_registerSender (an escrow's owner) and a contract's own keys with pxe_registerContract {"secretKey"}, then try again`,
    );
  }
}

/** Any thrown value as the RpcError the client sees. */
export function toRpcError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  if (isSimulationFailure(err)) {
    const original = (err as { originalMessage?: unknown }).originalMessage;
    return new ExecutionError(revertReason(typeof original === 'string' ? original : (err as Error).message));
  }
  const first = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err).split('\n')[0];
  return new RpcError(INTERNAL_ERROR, `Internal error: ${first!.slice(0, 300)}`);
}
