/** The shipped artifacts load, and recompute to what nocom-v1 deployed (deployments.json). */

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { computeContractAddressFromInstance, ContractInstanceWithAddressSchema } from '@aztec/stdlib/contract';

import { loadArtifacts, SHIPPED_ARTIFACTS_DIR } from '../src/artifacts.js';
import { shippedJson } from './helpers.js';

const CLASS_IDS = {
  NocomEscrowV1: '0x17b082a99ff55e1615304519b3aefac27531d6f6f67eba3a8f6fc72c9852095c',
  NocomStableEscrowV1: '0x061e14b6f3cd0fd8e11ad2ccfe7d410c2dad92e63612b4af878c624295ae9612',
  MockPriceFeed: '0x20d4962d680dd951b7a2f44762d3bfa10cfc65603ea931f093b539ef9e4abf57',
};

const deployments = shippedJson('nocom-v1.deployments.json') as Record<string, { address: string; instance: string }>;

test('the shipped artifacts load with their class ids', async () => {
  const store = await loadArtifacts([SHIPPED_ARTIFACTS_DIR]);
  const loaded = Object.fromEntries(store.all().map(a => [a.artifact.name, a.classId]));
  assert.deepEqual(loaded, CLASS_IDS); // deployments.json and README.md are skipped: not artifacts
});

test("the price feed's class id is the one nocom-v1 deployed", async () => {
  const store = await loadArtifacts([SHIPPED_ARTIFACTS_DIR]);
  const feed = ContractInstanceWithAddressSchema.parse(JSON.parse(deployments.priceOracle!.instance));
  assert.equal(feed.currentContractClassId.toString(), CLASS_IDS.MockPriceFeed);
  assert.equal(store.byClassId(feed.currentContractClassId.toString())?.artifact.name, 'MockPriceFeed');
});

test('every deployed address recomputes from its instance', async () => {
  for (const [name, entry] of Object.entries(deployments)) {
    const instance = ContractInstanceWithAddressSchema.parse(JSON.parse(entry.instance));
    assert.equal((await computeContractAddressFromInstance(instance)).toString(), entry.address, name);
    assert.equal(instance.address.toString(), entry.address, name);
  }
});

test('the deployed classes without a public artifact are the ones README.md names', () => {
  const classOf = (name: string) => JSON.parse(deployments[name]!.instance).currentContractClassId;
  assert.equal(classOf('usdc'), '0x04f737b9e3eb19cdad63bf212f25efed63fba38d96e63b094d078c169c5832db');
  assert.equal(classOf('zcash'), classOf('usdc'));
  assert.equal(classOf('zusd'), classOf('usdc'));
  assert.equal(classOf('usdcDebtPool'), '0x2a2a8dc8befd0bd27503f719d038216b6fccaf045624fa72175410c11f6707c2');
  assert.equal(classOf('stablePool'), '0x1d8fe0c3b13acc0f90d5dea38694c537d9dbf431f91507de765e273add712867');
});
