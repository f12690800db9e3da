/**
 * The pxe_ methods of SPEC section 6 and the section 10 additions (pxe_simulateView; set_prices goes
 * through pxe_sendTx), on the embedded PXE. Functions are called by name; args are flat Fr[].
 */

import { Fr } from '@aztec/foundation/fields';
import { type FunctionAbi, FunctionType } from '@aztec/stdlib/abi';
import { AuthWitness } from '@aztec/stdlib/auth-witness';
import type { AztecAddress } from '@aztec/stdlib/aztec-address';

import type { ContractBook } from './contracts.js';
import { encoderValues, findFunction, flattenReturn, functionCall } from './encoding.js';
import { InvalidInput } from './errors.js';
import { logger } from './log.js';
import { address, arity, field, fieldList, functionName, hex, object, optionalAddress } from './params.js';
import type { GatewayWallet } from './wallet.js';

export interface PxeContext {
  wallet: GatewayWallet;
  contracts: ContractBook;
  accountSalt: Fr;
  simulateBeforeSend: boolean;
}

const CALL_SHAPE = '{"name", "to", "args": Fr[]}';

export function pxeMethods(ctx: PxeContext) {
  return {
    pxe_registerAccount: (params: unknown) => registerAccount(ctx, params),
    pxe_registerContract: (params: unknown) => registerContract(ctx, params),
    pxe_simulateUtility: (params: unknown) => simulateUtility(ctx, params),
    pxe_simulateView: (params: unknown) => simulateView(ctx, params),
    pxe_createAuthWit: (params: unknown) => createAuthWit(ctx, params),
    pxe_sendTx: (params: unknown) => sendTx(ctx, params),
  };
}

/** [secretKey, salt?]: the Schnorr account of that key; salt defaults to ACCOUNT_SALT (0 unless set). */
async function registerAccount(ctx: PxeContext, params: unknown) {
  const [secret, salt] = arity(params, 1, 2);
  const secretKey = field(secret, 'secretKey');
  if (secretKey.isZero()) throw new InvalidInput('secretKey must not be zero');
  const account = await ctx.wallet.addSchnorrAccount(secretKey, salt === undefined ? ctx.accountSalt : field(salt, 'salt'));
  logger.info('Account registered', { address: account.toString() });
  return { address: hex(account) };
}

async function registerContract(ctx: PxeContext, params: unknown) {
  const [registration] = arity(params, 1);
  const body = object(registration, 'registration', '{"instance": {"address", ...}, "secretKey"?}');
  if (body.instance === undefined) throw new InvalidInput('registration.instance is required');
  const secretKey = body.secretKey === undefined || body.secretKey === null ? undefined : field(body.secretKey, 'secretKey');
  await ctx.contracts.register(body.instance, secretKey);
  return null;
}

/** [functionName, args, to, authwits?, from?] → {"result": Fr[]} (the return value flattened in ABI order). */
async function simulateUtility(ctx: PxeContext, params: unknown) {
  const [name, args, to, authwits, from] = arity(params, 3, 5);
  const [target, fnName, flat] = [address(to, 'to'), functionName(name), fieldList(args, 'args')];
  const witnesses = authWitnesses(authwits ?? [], 'authwits');
  const sender = optionalAddress(from, 'from');
  const fn = await abiAt(ctx, target, fnName);
  requireType(fn, FunctionType.UTILITY, 'pxe_simulateUtility runs utility functions (public views: pxe_simulateView)');
  const { result } = await ctx.wallet.simulateUtility(fn.name, encoderValues(fn, flat), target, witnesses, sender);
  return { result: flattenReturn(fn.returnTypes, result).map(hex) };
}

/** [functionName, args, to, from?] → {"result": Fr[]}: a public #[view] at the latest block. */
async function simulateView(ctx: PxeContext, params: unknown) {
  const [name, args, to, from] = arity(params, 3, 4);
  const [target, fnName, flat, sender] = [address(to, 'to'), functionName(name), fieldList(args, 'args'), optionalAddress(from, 'from')];
  const fn = await abiAt(ctx, target, fnName);
  requireType(fn, FunctionType.PUBLIC, 'pxe_simulateView runs public #[view] functions (utility functions: pxe_simulateUtility)');
  if (!fn.isStatic) throw new InvalidInput(`${fn.name} is not a #[view] function: it changes state, send it with pxe_sendTx`);
  const call = await functionCall(await ctx.contracts.artifactAt(target), fn.name, target, flat);
  return { result: (await ctx.wallet.simulateView(call, sender)).map(hex) };
}

/** [from, {"caller", "call": {"name", "to", "args"}}] → {"requestHash", "witness": Fr[]}. */
async function createAuthWit(ctx: PxeContext, params: unknown) {
  const [from, intent] = arity(params, 2);
  const signer = address(from, 'from');
  const body = object(intent, 'intent', `{"caller", "call": ${CALL_SHAPE}}`);
  const caller = address(body.caller, 'caller');
  parseCall(body.call, 'call');
  requireAccount(ctx, signer);
  const call = await callFrom(ctx, body.call, 'call');
  const witness = await ctx.wallet.createAuthWit(signer, { caller, call });
  return authWitnessJson(witness);
}

/** [{"calls", "authWitnesses"}, {"from"}] → txHash, after a simulation that would have reverted answers -32702. */
async function sendTx(ctx: PxeContext, params: unknown) {
  const [request, options] = arity(params, 2);
  const tx = object(request, 'request', `{"calls": [${CALL_SHAPE}], "authWitnesses": []}`);
  const from = address(object(options, 'options', '{"from"}').from, 'from');
  if (!Array.isArray(tx.calls) || tx.calls.length === 0) throw new InvalidInput('calls must be a non-empty array');
  const witnesses = authWitnesses(tx.authWitnesses ?? [], 'authWitnesses');
  tx.calls.forEach((call, i) => parseCall(call, `calls[${i}]`));
  requireAccount(ctx, from);
  const calls = [];
  for (const [i, call] of tx.calls.entries()) calls.push(await callFrom(ctx, call, `calls[${i}]`));
  const started = Date.now();
  const txHash = await ctx.wallet.simulateAndSend(calls, witnesses, from, ctx.simulateBeforeSend);
  logger.info('Transaction sent', { txHash: txHash.toString(), calls: calls.map(c => c.name), from: hex(from), durationMs: Date.now() - started });
  return hex(txHash.hash);
}

async function abiAt(ctx: PxeContext, to: AztecAddress, name: string): Promise<FunctionAbi> {
  return findFunction(await ctx.contracts.artifactAt(to), name);
}

function requireAccount(ctx: PxeContext, account: AztecAddress): void {
  if (!ctx.wallet.hasAccount(account)) throw new InvalidInput(`Unknown account ${hex(account)}: register it with pxe_registerAccount first`);
}

function requireType(fn: FunctionAbi, type: FunctionType, hint: string): void {
  if (fn.functionType !== type) throw new InvalidInput(`${fn.name} is a ${fn.functionType} function; ${hint}`);
}

function parseCall(value: unknown, name: string) {
  const call = object(value, name, CALL_SHAPE);
  return { to: address(call.to, `${name}.to`), fnName: functionName(call.name, `${name}.name`), args: fieldList(call.args ?? [], `${name}.args`) };
}

async function callFrom(ctx: PxeContext, value: unknown, name: string) {
  const { to, fnName, args } = parseCall(value, name);
  return functionCall(await ctx.contracts.artifactAt(to), fnName, to, args);
}

function authWitnesses(value: unknown, name: string): AuthWitness[] {
  if (!Array.isArray(value)) throw new InvalidInput(`${name} must be an array of authwits from pxe_createAuthWit`);
  return value.map((item, i) => {
    const witness = object(item, `${name}[${i}]`, '{"requestHash", "witness": Fr[]}');
    return new AuthWitness(field(witness.requestHash, `${name}[${i}].requestHash`), fieldList(witness.witness, `${name}[${i}].witness`));
  });
}

function authWitnessJson(witness: AuthWitness) {
  return { requestHash: hex(witness.requestHash), witness: witness.witness.map(hex) };
}
