/**
 * Which artifact answers for which address. A call names its contract by address; the gateway finds the
 * instance (registered before, or publicly deployed and fetched from the node), then the artifact of its
 * class (from the artifact directories, or one the PXE already holds such as an account contract).
 */

import { readFileSync } from 'node:fs';

import { Fr } from '@aztec/foundation/fields';
import type { ContractArtifact } from '@aztec/stdlib/abi';
import type { AztecAddress } from '@aztec/stdlib/aztec-address';
import {
  CompleteAddress,
  computeContractAddressFromInstance,
  type ContractInstanceWithAddress,
  ContractInstanceWithAddressSchema,
} from '@aztec/stdlib/contract';
import type { AztecNode } from '@aztec/stdlib/interfaces/client';
import type { PXE } from '@aztec/pxe/server';

import type { ArtifactStore } from './artifacts.js';
import { ExecutionError, InvalidInput } from './errors.js';
import { logger } from './log.js';
import { address as parseAddress } from './params.js';
import type { GatewayWallet } from './wallet.js';

const INSTANCE_SHAPE =
  'a contract instance {"address", "version", "salt", "deployer", "currentContractClassId", "originalContractClassId", "initializationHash", "publicKeys"}';

export class ContractBook {
  private readonly known = new Map<string, ContractArtifact>();

  constructor(
    private readonly wallet: GatewayWallet,
    private readonly pxe: PXE,
    private readonly node: AztecNode,
    private readonly artifacts: ArtifactStore,
  ) {}

  /** The artifact of the contract at `address`; registers a publicly deployed contract on first use. */
  async artifactAt(address: AztecAddress): Promise<ContractArtifact> {
    const cached = this.known.get(address.toString());
    if (cached) return cached;
    const local = await this.pxe.getContractInstance(address);
    const instance = local ?? (await this.node.getContract(address));
    if (!instance) {
      // The words of Aztec's own PXE (and of the development PXE), so clients tell "not deployed" by one phrase.
      throw new ExecutionError(`No contract instance found for address ${address.toString()}: the node knows no such deployed contract, and it was not registered with pxe_registerContract`);
    }
    const artifact = await this.artifactOfClass(instance.currentContractClassId);
    if (!local) await this.wallet.registerContract(instance, artifact);
    this.known.set(address.toString(), artifact);
    return artifact;
  }

  /** pxe_registerContract: the instance (and the secret key that decrypts its notes) into the PXE. */
  async register(rawInstance: unknown, secretKey: Fr | undefined): Promise<AztecAddress> {
    const instance = await this.instanceFrom(rawInstance);
    const artifact = await this.artifactOfClass(instance.currentContractClassId);
    if (secretKey) {
      const complete = await CompleteAddress.fromSecretKeyAndInstance(secretKey, instance);
      if (!complete.address.equals(instance.address)) {
        throw new InvalidInput('secretKey does not belong to this contract instance: its keys derive another address');
      }
    }
    await this.wallet.registerContract(instance, artifact, secretKey);
    this.known.set(instance.address.toString(), artifact);
    logger.info('Contract registered', { address: instance.address.toString(), contract: artifact.name, withKeys: Boolean(secretKey) });
    return instance.address;
  }

  /** A nocom-v1 deployments.json ({name: {address, instance}}): each contract whose artifact is known. */
  async registerDeployments(file: string): Promise<number> {
    const deployments = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { instance?: unknown }>;
    let registered = 0;
    for (const [name, entry] of Object.entries(deployments)) {
      try {
        await this.register(entry.instance, undefined);
        registered += 1;
      } catch (err) {
        logger.warn('Deployment not registered', { name, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return registered;
  }

  private async artifactOfClass(classId: Fr): Promise<ContractArtifact> {
    const loaded = this.artifacts.byClassId(classId.toString());
    if (loaded) return loaded.artifact;
    const metadata = await this.wallet.getContractClassMetadata(classId, true);
    if (metadata.artifact) return metadata.artifact;
    throw new ExecutionError(`No artifact for contract class ${classId.toString()}: add its JSON artifact to ARTIFACTS_DIR`);
  }

  private async instanceFrom(raw: unknown): Promise<ContractInstanceWithAddress> {
    const value = typeof raw === 'string' ? parseJson(raw) : raw;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidInput(`instance must be ${INSTANCE_SHAPE}`);
    const fields = value as Record<string, unknown>;
    if (Object.keys(fields).length === 1 && 'address' in fields) {
      const onChain = await this.node.getContract(parseAddress(fields.address, 'instance.address'));
      if (!onChain) throw new InvalidInput(`instance.address is not a publicly deployed contract; send ${INSTANCE_SHAPE}`);
      return onChain;
    }
    const parsed = ContractInstanceWithAddressSchema.safeParse({ version: 1, ...fields });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InvalidInput(`instance.${issue?.path.join('.') || '?'}: ${issue?.message ?? 'invalid'}; expected ${INSTANCE_SHAPE}`);
    }
    const instance = parsed.data;
    if (!(await computeContractAddressFromInstance(instance)).equals(instance.address)) {
      throw new InvalidInput('instance.address does not match the address its fields compute to');
    }
    return instance;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidInput('instance must be an object or a JSON string of one');
  }
}
