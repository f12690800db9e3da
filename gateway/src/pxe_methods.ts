/**
 * The pxe_ registration, read and authwit methods of docs/pxe-jsonrpc.md on the embedded PXE (the sends
 * are in tx_methods.ts, the note store in notes.ts). Functions are called by name; args are flat Fr[].
 * Each method checks its params first (-32701 before any work), then does its work as one job in the
 * request's turn on the PXE.
 */

import { Fr } from '@aztec/foundation/fields';
import { type FunctionAbi, FunctionType } from '@aztec/stdlib/abi';
import { AuthWitness } from '@aztec/stdlib/auth-witness';
import type { AztecAddress } from '@aztec/stdlib/aztec-address';

import type { ContractBook } from './contracts.js';
import { encoderValues, findFunction, flattenReturn, functionCall } from './encoding.js';
import { explainMissingNote, InvalidInput } from './errors.js';
import { logger } from './log.js';
import { address, arity, field, fieldList, functionName, hex, object, optionalAddress } from './params.js';
import type { Job } from './scheduler.js';
import type { GatewayWallet } from './wallet.js';

export interface PxeContext {
  wallet: GatewayWallet;
  contracts: ContractBook;
  accountSalt: Fr;
}

export const CALL_SHAPE = '{"name", "to", "args": Fr[]}';

export function pxeMethods(ctx: PxeContext) {
  return {
    pxe_registerAccount: (params: unknown, job: Job) => registerAccount(ctx, params, job),
    pxe_registerContract: (params: unknown, job: Job) => registerContract(ctx, params, job),
    pxe_registerSender: (params: unknown, job: Job) => registerSender(ctx, params, job),
    pxe_simulateUtility: (params: unknown, job: Job) => simulateUtility(ctx, params, job),
    pxe_simulateView: (params: unknown, job: Job) => simulateView(ctx, params, job),
    pxe_createAuthWit: (params: unknown, job: Job) => createAuthWit(ctx, params, job),
  };
}

/** [secretKey, salt?]: the Schnorr account of that key; salt defaults to ACCOUNT_SALT (0 unless set). */
function registerAccount(ctx: PxeContext, params: unknown, job: Job) {
  const [secret, salt] = arity(params, 1, 2);
  const secretKey = field(secret, 'secretKey');
  if (secretKey.isZero()) throw new InvalidInput('secretKey must not be zero');
  const accountSalt = salt === undefined ? ctx.accountSalt : field(salt, 'salt');
  return job(async () => {
    const account = await ctx.wallet.addSchnorrAccount(secretKey, accountSalt);
    logger.info('Account registered', { address: account.toString() });
    return { address: hex(account) };
  });
}

function registerContract(ctx: PxeContext, params: unknown, job: Job) {
  const [registration] = arity(params, 1);
  const body = object(registration, 'registration', '{"instance": {"address", ...}, "secretKey"?}');
  if (body.instance === undefined) throw new InvalidInput('registration.instance is required');
  const secretKey = body.secretKey === undefined || body.secretKey === null ? undefined : field(body.secretKey, 'secretKey');
  return job(async () => {
    await ctx.contracts.register(body.instance, secretKey);
    return null;
  });
}

/** [address] → null: the PXE then looks for notes this address sent (Aztec finds notes by their sender's tags). */
function registerSender(ctx: PxeContext, params: unknown, job: Job) {
  const [sender] = arity(params, 1);
  const senderAddress = address(sender, 'address');
  return job(async () => {
    await ctx.wallet.registerSender(senderAddress);
    logger.info('Sender registered', { address: senderAddress.toString() });
    return null;
  });
}

/** [functionName, args, to, authwits?, from?] → {"result": Fr[]} (the return value flattened in ABI order). */
function simulateUtility(ctx: PxeContext, params: unknown, job: Job) {
  const [name, args, to, authwits, from] = arity(params, 3, 5);
  const [target, fnName, flat] = [address(to, 'to'), functionName(name), fieldList(args, 'args')];
  const witnesses = authWitnesses(authwits ?? [], 'authwits');
  const sender = optionalAddress(from, 'from');
  return job(async () => {
    const fn = await abiAt(ctx, target, fnName);
    requireType(fn, FunctionType.UTILITY, 'pxe_simulateUtility runs utility functions (public views: pxe_simulateView)');
    const { result } = await explainMissingNote(hex(target), () =>
      ctx.wallet.simulateUtility(fn.name, encoderValues(fn, flat), target, witnesses, sender),
    );
    return { result: flattenReturn(fn.returnTypes, result).map(hex) };
  });
}

/** [functionName, args, to, from?] → {"result": Fr[]}: a public #[view] at the latest block, with or without `from`. */
function simulateView(ctx: PxeContext, params: unknown, job: Job) {
  const [name, args, to, from] = arity(params, 3, 4);
  const [target, fnName, flat, sender] = [address(to, 'to'), functionName(name), fieldList(args, 'args'), optionalAddress(from, 'from')];
  if (sender) requireAccount(ctx, sender);
  return job(async () => {
    const fn = await abiAt(ctx, target, fnName);
    requireType(fn, FunctionType.PUBLIC, 'pxe_simulateView runs public #[view] functions (utility functions: pxe_simulateUtility)');
    if (!fn.isStatic) throw new InvalidInput(`${fn.name} is not a #[view] function: it changes state, send it with pxe_sendTx`);
    const call = await functionCall(await ctx.contracts.artifactAt(target), fn.name, target, flat);
    return { result: (await ctx.wallet.simulateView(call, sender)).map(hex) };
  });
}

/** [from, {"caller", "call": {"name", "to", "args"}}] → {"requestHash", "witness": Fr[]}. */
function createAuthWit(ctx: PxeContext, params: unknown, job: Job) {
  const [from, intent] = arity(params, 2);
  const signer = address(from, 'from');
  const body = object(intent, 'intent', `{"caller", "call": ${CALL_SHAPE}}`);
  const caller = address(body.caller, 'caller');
  parseCall(body.call, 'call');
  requireAccount(ctx, signer);
  return job(async () => {
    const call = await callFrom(ctx.contracts, body.call, 'call');
    const witness = await ctx.wallet.createAuthWit(signer, { caller, call });
    return { requestHash: hex(witness.requestHash), witness: witness.witness.map(hex) };
  });
}

async function abiAt(ctx: PxeContext, to: AztecAddress, name: string): Promise<FunctionAbi> {
  return findFunction(await ctx.contracts.artifactAt(to), name);
}

export function requireAccount(ctx: { wallet: GatewayWallet }, account: AztecAddress): void {
  if (!ctx.wallet.hasAccount(account)) throw new InvalidInput(`Unknown account ${hex(account)}: register it with pxe_registerAccount first`);
}

function requireType(fn: FunctionAbi, type: FunctionType, hint: string): void {
  if (fn.functionType !== type) throw new InvalidInput(`${fn.name} is a ${fn.functionType} function; ${hint}`);
}

export function parseCall(value: unknown, name: string) {
  const call = object(value, name, CALL_SHAPE);
  return { to: address(call.to, `${name}.to`), fnName: functionName(call.name, `${name}.name`), args: fieldList(call.args ?? [], `${name}.args`) };
}

export async function callFrom(contracts: ContractBook, value: unknown, name: string) {
  const { to, fnName, args } = parseCall(value, name);
  return functionCall(await contracts.artifactAt(to), fnName, to, args);
}

export function authWitnesses(value: unknown, name: string): AuthWitness[] {
  if (!Array.isArray(value)) throw new InvalidInput(`${name} must be an array of authwits from pxe_createAuthWit`);
  return value.map((item, i) => {
    const witness = object(item, `${name}[${i}]`, '{"requestHash", "witness": Fr[]}');
    return new AuthWitness(field(witness.requestHash, `${name}[${i}].requestHash`), fieldList(witness.witness, `${name}[${i}].witness`));
  });
}
