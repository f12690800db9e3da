/**
 * The wallet over the embedded PXE: Schnorr accounts created from secret keys the Python services send
 * (pxe_registerAccount), authwits signed by those accounts, transactions simulated, proven and sent.
 * BaseWallet (aztec.js) does the fee settings, proving and sending; this adds the account book, the same
 * way Aztec's own test wallet does, without its test-only shortcuts.
 */

import { SchnorrAccountContract } from '@aztec/accounts/schnorr';
import { type Account, SignerlessAccount } from '@aztec/aztec.js/account';
import { type CallIntent, getMessageHashFromIntent, type IntentInnerHash } from '@aztec/aztec.js/authorization';
import { SponsoredFeePaymentMethod } from '@aztec/aztec.js/fee';
import { AccountManager, BaseWallet } from '@aztec/aztec.js/wallet';
import { SPONSORED_FPC_SALT } from '@aztec/constants';
import { ExecutionPayload, mergeExecutionPayloads } from '@aztec/entrypoints/payload';
import { Fr } from '@aztec/foundation/fields';
import { SponsoredFPCContractArtifact } from '@aztec/noir-contracts.js/SponsoredFPC';
import type { FunctionCall } from '@aztec/stdlib/abi';
import type { AuthWitness } from '@aztec/stdlib/auth-witness';
import { AztecAddress } from '@aztec/stdlib/aztec-address';
import { getContractInstanceFromInstantiationParams } from '@aztec/stdlib/contract';
import type { AztecNode } from '@aztec/stdlib/interfaces/client';
import { deriveSigningKey } from '@aztec/stdlib/keys';
import type { TxHash, TxSimulationResult } from '@aztec/stdlib/tx';

import type { FeePayment } from './config.js';
import { ExecutionError, InvalidInput } from './errors.js';

type Pxe = import('@aztec/pxe/server').PXE;

export class GatewayWallet extends BaseWallet {
  private readonly accounts = new Map<string, Account>();
  private sponsor: SponsoredFeePaymentMethod | undefined;

  constructor(pxe: Pxe, node: AztecNode, private readonly feePayment: FeePayment) {
    super(pxe, node);
  }

  /** Registers the PXE's SponsoredFPC when fees are sponsored (the canonical instance of this SDK version). */
  async init(): Promise<void> {
    if (this.feePayment !== 'sponsored') return;
    const instance = await getContractInstanceFromInstantiationParams(SponsoredFPCContractArtifact, { salt: new Fr(SPONSORED_FPC_SALT) });
    await this.registerContract(instance, SponsoredFPCContractArtifact);
    this.sponsor = new SponsoredFeePaymentMethod(instance.address);
  }

  /** The Schnorr account of this secret key and salt (signing key derived from the secret, as Aztec's wallets do). */
  async addSchnorrAccount(secretKey: Fr, salt: Fr): Promise<AztecAddress> {
    const contract = new SchnorrAccountContract(deriveSigningKey(secretKey));
    const manager = await AccountManager.create(this, secretKey, contract, salt);
    await this.registerContract(manager.getInstance(), await contract.getContractArtifact(), secretKey);
    this.accounts.set(manager.address.toString(), await manager.getAccount());
    return manager.address;
  }

  hasAccount(address: AztecAddress): boolean {
    return this.accounts.has(address.toString());
  }

  protected async getAccountFromAddress(address: AztecAddress): Promise<Account> {
    if (address.equals(AztecAddress.ZERO)) return new SignerlessAccount(await this.getChainInfo());
    const account = this.accounts.get(address.toString());
    if (!account) throw new InvalidInput(`Unknown account ${address.toString()}: register it with pxe_registerAccount first`);
    return account;
  }

  getAccounts() {
    return Promise.resolve([...this.accounts.values()].map(account => ({ alias: '', item: account.getAddress() })));
  }

  /** An authwit signed by `from` over the intent, bound to this chain's id and version. */
  override async createAuthWit(from: AztecAddress, intent: Fr | Buffer | IntentInnerHash | CallIntent): Promise<AuthWitness> {
    const account = await this.getAccountFromAddress(from);
    const messageHash = await getMessageHashFromIntent(intent, await this.getChainInfo());
    return account.createAuthWit(messageHash);
  }

  /** The payload with the sponsor's fee payment merged in front when fees are sponsored. */
  async payload(calls: FunctionCall[], authWitnesses: AuthWitness[]): Promise<{ payload: ExecutionPayload; feePayer?: AztecAddress }> {
    const payload = new ExecutionPayload(calls, authWitnesses, []);
    if (!this.sponsor) return { payload };
    const fee = await this.sponsor.getExecutionPayload();
    return { payload: mergeExecutionPayloads([fee, payload]), feePayer: await this.sponsor.getFeePayer() };
  }

  /** Simulates (private and public, through the node), then proves and sends; a revert never becomes a tx. */
  async simulateAndSend(calls: FunctionCall[], authWitnesses: AuthWitness[], from: AztecAddress, simulateFirst: boolean): Promise<TxHash> {
    await this.getAccountFromAddress(from);
    const { payload, feePayer } = await this.payload(calls, authWitnesses);
    const fee = { embeddedPaymentMethodFeePayer: feePayer };
    if (simulateFirst) await this.simulateTx(payload, { from, fee });
    return this.sendTx(payload, { from, fee });
  }

  /** A public #[view] call simulated at the latest block; its raw return fields. */
  async simulateView(call: FunctionCall, from: AztecAddress | undefined): Promise<Fr[]> {
    const sender = from ?? AztecAddress.ZERO;
    await this.getAccountFromAddress(sender);
    const result: TxSimulationResult = await this.simulateTx(new ExecutionPayload([call], [], []), { from: sender });
    const values = result.getPublicReturnValues()?.[0]?.values;
    if (!values) throw new ExecutionError(`${call.name} returned no public values`);
    return values;
  }
}
