/**
 * Contract artifacts by class id. The public ones (nocom-v1's escrows and price feed) ship in
 * gateway/artifacts/; an operator adds the rest (the lending pools, the token) with ARTIFACTS_DIR.
 * A contract instance names its class id, so the PXE gets the artifact whose bytecode hashes to it.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { type ContractArtifact, loadContractArtifact } from '@aztec/stdlib/abi';
import { getContractClassFromArtifact } from '@aztec/stdlib/contract';

import { logger } from './log.js';

export const SHIPPED_ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts', import.meta.url));

export interface LoadedArtifact {
  artifact: ContractArtifact;
  classId: string;
  file: string;
}

export class ArtifactStore {
  private readonly byClass = new Map<string, LoadedArtifact>();

  add(loaded: LoadedArtifact): void {
    this.byClass.set(loaded.classId, loaded);
  }

  byClassId(classId: string): LoadedArtifact | undefined {
    return this.byClass.get(classId.toLowerCase());
  }

  byName(name: string): LoadedArtifact | undefined {
    return [...this.byClass.values()].find(a => a.artifact.name === name);
  }

  all(): LoadedArtifact[] {
    return [...this.byClass.values()];
  }
}

/** Every artifact in the directories, later directories overriding earlier ones for the same class. */
export async function loadArtifacts(dirs: string[]): Promise<ArtifactStore> {
  const store = new ArtifactStore();
  for (const dir of dirs) {
    for (const file of artifactFiles(dir)) {
      const loaded = await loadArtifactFile(file);
      if (!loaded) continue;
      store.add(loaded);
      logger.info('Artifact loaded', { name: loaded.artifact.name, classId: loaded.classId, file });
    }
  }
  return store;
}

/** One JSON file as an artifact; undefined for JSON that is not a contract artifact (e.g. deployments.json). */
export async function loadArtifactFile(file: string): Promise<LoadedArtifact | undefined> {
  const json: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isArtifactJson(json)) return undefined;
  const artifact = loadContractArtifact(json as Parameters<typeof loadContractArtifact>[0]);
  const { id } = await getContractClassFromArtifact(artifact);
  return { artifact, classId: id.toString().toLowerCase(), file };
}

function artifactFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new Error(`artifact directory ${dir} cannot be read`);
  }
  return names
    .filter(name => name.endsWith('.json'))
    .map(name => join(dir, name))
    .filter(path => statSync(path).isFile())
    .sort();
}

function isArtifactJson(json: unknown): boolean {
  if (json === null || typeof json !== 'object') return false;
  const candidate = json as { name?: unknown; functions?: unknown };
  return typeof candidate.name === 'string' && Array.isArray(candidate.functions);
}
