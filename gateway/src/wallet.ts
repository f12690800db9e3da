/**
 * The wallet over the embedded PXE: Schnorr accounts created from secret keys the Python services send
 * (pxe_registerAccount, at most GATEWAY_MAX_ACCOUNTS of them), authwits signed by those accounts,
 * transactions simulated and proven, public views simulated. BaseWallet (aztec.js) does the fee settings
 * and the execution requests; this adds the account book, the same way Aztec's own test wallet does,
 * without its test-only shortcuts.
 */

import { createStubAccount, StubAccountContractArtifact } from '@aztec/accounts/stub';
import { SchnorrAccountContract } from '@aztec/accounts/schnorr';
import { type Account } from '@aztec/aztec.js/account';
import { type CallIntent, getMessageHashFromIntent, type IntentInnerHash } from '@aztec/aztec.js/authorization';
import { SponsoredFeePaymentMethod } from '@aztec/aztec.js/fee';
import { AccountManager, BaseWallet } from '@aztec/aztec.js/wallet';
import { SPONSORED_FPC_SALT } from '@aztec/constants';
import { EncodedAppEntrypointCalls } from '@aztec/entrypoints/encoding';
import { ExecutionPayload, mergeExecutionPayloads } from '@aztec/entrypoints/payload';
import { Fr } from '@aztec/foundation/fields';
import { SponsoredFPCContractArtifact } from '@aztec/noir-contracts.js/SponsoredFPC';
import type { FunctionCall } from '@aztec/stdlib/abi';
import type { AuthWitness } from '@aztec/stdlib/auth-witness';
import { AztecAddress } from '@aztec/stdlib/aztec-address';
import {
  CompleteAddress,
  computePartialAddress,
  type ContractInstanceWithAddress,
  getContractInstanceFromInstantiationParams,
} from '@aztec/stdlib/contract';
import type { AztecNode } from '@aztec/stdlib/interfaces/client';
import { deriveSigningKey } from '@aztec/stdlib/keys';
import type { Tx } from '@aztec/stdlib/tx';

import type { FeePayment } from './config.js';
import { ExecutionError, InvalidInput } from './errors.js';

type Pxe = import('@aztec/pxe/server').PXE;
type ChainInfo = { chainId: Fr; version: Fr };

/** Salt of the gateway's own view caller: one fixed address, so restarts add nothing to the store. */
const VIEW_CALLER_SALT = new Fr(0x76696577n); // "view"

export class GatewayWallet extends BaseWallet {
  private readonly accounts = new Map<string, Account>();
  private sponsor: SponsoredFeePaymentMethod | undefined;
  private viewCaller: CompleteAddress | undefined;
  /** The stub account's instance, standing in for a view's caller (the PXE's override gives it that address). */
  private stubInstance: ContractInstanceWithAddress | undefined;
  private chain: ChainInfo | undefined;
  /** The calls one transaction carries: the entrypoint's, less the sponsor's fee call when fees are sponsored. */
  maxCallsPerTx = 0;

  constructor(private readonly embedded: Pxe, node: AztecNode, private readonly feePayment: FeePayment, private readonly maxAccounts: number) {
    super(embedded, node);
  }

  /** Registers the view caller, and the canonical SponsoredFPC when fees are sponsored; sets the call limit. */
  async init(): Promise<void> {
    const stub = await getContractInstanceFromInstantiationParams(StubAccountContractArtifact, { salt: VIEW_CALLER_SALT });
    await this.registerContract(stub, StubAccountContractArtifact);
    this.viewCaller = await CompleteAddress.create(stub.address, stub.publicKeys, await computePartialAddress(stub));
    this.stubInstance = stub;
    const entrypointCalls = (await EncodedAppEntrypointCalls.create([])).encodedFunctionCalls.length;
    this.maxCallsPerTx = entrypointCalls;
    if (this.feePayment !== 'sponsored') return;
    const instance = await getContractInstanceFromInstantiationParams(SponsoredFPCContractArtifact, { salt: new Fr(SPONSORED_FPC_SALT) });
    await this.registerContract(instance, SponsoredFPCContractArtifact);
    this.sponsor = new SponsoredFeePaymentMethod(instance.address);
    this.maxCallsPerTx = entrypointCalls - (await this.sponsor.getExecutionPayload()).calls.length;
  }

  /**
   * The Schnorr account of this secret key and salt (signing key derived from the secret, as Aztec's wallets
   * do). An account registered again is the same account; a new one past GATEWAY_MAX_ACCOUNTS is refused.
   */
  async addSchnorrAccount(secretKey: Fr, salt: Fr): Promise<AztecAddress> {
    const contract = new SchnorrAccountContract(deriveSigningKey(secretKey));
    const manager = await AccountManager.create(this, secretKey, contract, salt);
    if (!this.accounts.has(manager.address.toString()) && this.accounts.size >= this.maxAccounts) {
      throw new InvalidInput(
        `secretKey: this gateway holds its limit of ${this.maxAccounts} accounts (GATEWAY_MAX_ACCOUNTS); a new account is refused, nothing was done`,
      );
    }
    await this.registerContract(manager.getInstance(), await contract.getContractArtifact(), secretKey);
    this.accounts.set(manager.address.toString(), await manager.getAccount());
    return manager.address;
  }

  hasAccount(address: AztecAddress): boolean {
    return this.accounts.has(address.toString());
  }

  protected getAccountFromAddress(address: AztecAddress): Promise<Account> {
    const account = this.accounts.get(address.toString());
    if (!account) throw new InvalidInput(`Unknown account ${address.toString()}: register it with pxe_registerAccount first`);
    return Promise.resolve(account);
  }

  getAccounts() {
    return Promise.resolve([...this.accounts.values()].map(account => ({ alias: '', item: account.getAddress() })));
  }

  /** The node's chain id and rollup version, asked once (they name the rollup this PXE's store belongs to). */
  override async getChainInfo(): Promise<ChainInfo> {
    this.chain ??= await super.getChainInfo();
    return this.chain;
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

  /** Simulates (private and public, through the node) when asked, then proves: a revert never becomes a tx. */
  async prove(calls: FunctionCall[], authWitnesses: AuthWitness[], from: AztecAddress, simulateFirst: boolean): Promise<Tx> {
    await this.getAccountFromAddress(from);
    const { payload, feePayer } = await this.payload(calls, authWitnesses);
    const fee = { embeddedPaymentMethodFeePayer: feePayer };
    if (simulateFirst) await this.simulateTx(payload, { from, fee });
    const request = await this.createTxExecutionRequestFromPayloadAndFee(payload, from, await this.getDefaultFeeOptions(from, fee));
    const proven = await this.embedded.proveTx(request);
    return proven.toTx();
  }

  /**
   * A public #[view] call simulated at the latest block; its raw return fields. Simulated as Aztec's test
   * wallet does its "simulated simulations": a stub account stands in for the caller (`from`, or without it
   * the gateway's own view caller) and the kernels are emulated, not run. A real entrypoint is not needed to
   * read, and without one's fee setup the kernel refuses the call ("min_revertible_side_effect_counter must
   * not be 0"); msg_sender is still the caller's address.
   */
  async simulateView(call: FunctionCall, from: AztecAddress | undefined): Promise<Fr[]> {
    const caller = from ? (await this.getAccountFromAddress(from)).getCompleteAddress() : this.viewCaller!;
    const stub = createStubAccount(caller, await this.getChainInfo());
    const fee = await this.getDefaultFeeOptions(caller.address);
    const request = await stub.createTxExecutionRequest(new ExecutionPayload([call], [], []), fee.gasSettings, {
      txNonce: Fr.random(),
      cancellable: false,
      feePaymentMethodOptions: fee.accountFeePaymentMethodOptions,
    });
    const instance = { ...this.stubInstance! }; // the PXE rewrites its address and class ids to the caller's
    const overrides = { contracts: { [caller.address.toString()]: { instance, artifact: StubAccountContractArtifact } } };
    const result = await this.embedded.simulateTx(request, true, true, true, overrides);
    const values = result.getPublicReturnValues()?.[0]?.values;
    if (!values) throw new ExecutionError(`${call.name} returned no public values`);
    return values;
  }
}
