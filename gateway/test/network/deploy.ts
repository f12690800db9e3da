/**
 * Deploys on a running Aztec 3.0.0-devnet.5 network what the project's real-network tier needs
 * (`make test-aztec`), with the test accounts the network was started with (the sandbox's funded
 * accounts, `getInitialTestAccountsData`): the first is the feed's admin and the treasury, the second
 * lends and liquidates, the third borrows and owns the escrow.
 *
 * - Always: one token per symbol, nocom-v1's MockPriceFeed and a NocomEscrow of the third account, with
 *   keys of its own. Without an operator's artifacts the tokens are Aztec's own Token and the escrow
 *   points at an address where no pool is deployed (nocom's pools are not public artifacts).
 * - With ARTIFACTS_DIR holding nocom's NocomLendingPoolV1 and aztec-standards' Token (an operator who has
 *   them): the tokens are aztec-standards Tokens, a pool of the first two symbols (collateral, debt) is
 *   deployed, the second account supplies liquidity, and the escrow supplies collateral and borrows, as
 *   nocom's own e2e test does (packages/contracts/ts/test/e2e.test.ts). That path could not be run where
 *   it was written: no such artifacts exist there.
 *
 * Prints one JSON object on stdout (its last line); progress goes to stderr.
 *
 *   AZTEC_NODE_URL=http://127.0.0.1:18080 SYMBOLS=ZEC,USDC,BTC npx tsx test/network/deploy.ts > deployed.json
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { getInitialTestAccountsData } from '@aztec/accounts/testing';
import { Contract } from '@aztec/aztec.js/contracts';
import { Fr } from '@aztec/foundation/fields';
import { jsonStringify } from '@aztec/foundation/json-rpc';
import { TokenContract } from '@aztec/noir-contracts.js/Token';
import { type ContractArtifact, loadContractArtifact } from '@aztec/stdlib/abi';
import { AztecAddress } from '@aztec/stdlib/aztec-address';
import { deriveKeys } from '@aztec/stdlib/keys';

import { SHIPPED_ARTIFACTS_DIR } from '../../src/artifacts.js';
import { startEmbeddedPxe } from '../../src/pxe.js';
import type { GatewayWallet } from '../../src/wallet.js';

const started = Date.now();
const E18 = 10n ** 18n;
const PRICE_BASE = 10n ** 4n; // MockPriceFeed prices have 4 decimals
const say = (what: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${what}\n`);
const shipped = (name: string) => loadContractArtifact(JSON.parse(readFileSync(join(SHIPPED_ARTIFACTS_DIR, `${name}.json`), 'utf8')));

type Accounts = { admin: AztecAddress; lender: AztecAddress; owner: AztecAddress };

/** An artifact in ARTIFACTS_DIR whose contract is `name` (and, when given, which has function `fn`). */
function operatorArtifact(name: string, fn?: string): ContractArtifact | undefined {
  for (const dir of (process.env.ARTIFACTS_DIR ?? '').split(',').map(d => d.trim()).filter(Boolean)) {
    for (const file of readdirSync(dir).filter(f => f.endsWith('.json'))) {
      const json = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      if (json?.name !== name || !Array.isArray(json.functions)) continue;
      if (fn && !json.functions.some((f: { name: string }) => f.name === fn)) continue;
      return loadContractArtifact(json);
    }
  }
  return undefined;
}

async function deployTokens(wallet: GatewayWallet, admin: AztecAddress, symbols: string[], standards?: ContractArtifact) {
  const tokens: Record<string, Contract | TokenContract> = {};
  for (const symbol of symbols) {
    tokens[symbol] = standards
      ? await Contract.deploy(wallet, standards, [`${symbol} test token`, symbol, 18, admin, AztecAddress.ZERO], 'constructor_with_minter')
          .send({ from: admin }).deployed()
      : await TokenContract.deploy(wallet, admin, `${symbol} test token`, symbol, 18).send({ from: admin }).deployed();
    say(`token ${symbol} ${tokens[symbol]!.address}`);
  }
  return tokens;
}

async function main(): Promise<void> {
  const nodeUrl = process.env.AZTEC_NODE_URL;
  if (!nodeUrl) throw new Error('AZTEC_NODE_URL is required');
  const symbols = (process.env.SYMBOLS ?? 'ZEC,USDC').split(',').map(s => s.trim()).filter(Boolean);
  const poolArtifact = operatorArtifact('NocomLendingPoolV1');
  const standards = operatorArtifact('Token', 'constructor_with_minter');
  const { wallet, stop } = await startEmbeddedPxe({ nodeUrl, dataDir: undefined, proverEnabled: false, feePayment: 'fee-juice', maxAccounts: 16 });
  const data = await getInitialTestAccountsData();
  const [admin, lender, owner] = await Promise.all(data.map(a => wallet.addSchnorrAccount(a.secret, a.salt)));
  const who = { admin: admin!, lender: lender!, owner: owner! };
  say(`test accounts: admin ${who.admin}, lender ${who.lender}, escrow owner ${who.owner}`);

  const tokens = await deployTokens(wallet, who.admin, symbols, poolArtifact ? standards : undefined);
  const feed = await Contract.deploy(wallet, shipped('MockPriceFeed'), [who.admin]).send({ from: who.admin }).deployed();
  say(`feed ${feed.address}`);

  const poolPlaceholder = await AztecAddress.random();  // no pool can be deployed without its artifact
  const [collateral, debt] = [tokens[symbols[0]!]!, tokens[symbols[1] ?? symbols[0]!]!];
  const openable = poolArtifact !== undefined && standards !== undefined;

  const escrowSecret = Fr.random();
  const { publicKeys } = await deriveKeys(escrowSecret);
  let poolAddress = poolPlaceholder;
  let opened: Record<string, unknown> | null = null;
  let pool: Contract | undefined;
  if (openable) {
    pool = await Contract.deploy(wallet, poolArtifact!, [who.admin, 0n, 0n, feed.address, who.admin, collateral.address,
      debt.address, 75_000n, 80_000n]).send({ from: who.admin }).deployed();
    poolAddress = pool.address;
    say(`pool ${pool.address}`);
  }
  const deployment = Contract.deployWithPublicKeys(publicKeys, wallet, shipped('NocomEscrow'), [poolAddress, collateral.address, debt.address]);
  const instance = await deployment.getInstance();
  await wallet.registerContract(instance, shipped('NocomEscrow'), escrowSecret);
  const escrow = await deployment.send({ from: who.owner }).deployed();
  say(`escrow ${escrow.address} (pool ${poolAddress}${openable ? '' : ', where nothing is deployed'})`);
  if (openable && pool) opened = await openPositionInPool(wallet, who, pool, feed, collateral as Contract, debt as Contract, escrow);

  const out = {
    accounts: data.map(a => ({ address: a.address.toString(), secretKey: a.secret.toString(), salt: a.salt.toString() })),
    tokens: Object.fromEntries(Object.entries(tokens).map(([s, t]) => [s, t.address.toString()])),
    feed: feed.address.toString(),
    escrow: { address: escrow.address.toString(), instance: JSON.parse(jsonStringify(instance)), secretKey: escrowSecret.toString(),
              owner: who.owner.toString(), pool: poolAddress.toString() },
    position: opened,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
  await stop();
}

/** nocom's e2e flow on a deployed pool: prices set, liquidity supplied, collateral deposited, a loan borrowed. */
async function openPositionInPool(wallet: GatewayWallet, who: Accounts, pool: Contract, feed: Contract, collateral: Contract,
                                  debt: Contract, escrow: Contract): Promise<Record<string, unknown>> {
  const [collateralPrice, debtPrice] = [500n * PRICE_BASE, 1n * PRICE_BASE];
  const pad = (xs: bigint[]) => [...xs, ...Array(4 - xs.length).fill(0n)];
  await feed.methods.set_prices!({ storage: pad([collateral.address.toBigInt(), debt.address.toBigInt()]), len: 2 },
    { storage: pad([collateralPrice, debtPrice]), len: 2 }).send({ from: who.admin }).wait();
  await collateral.methods.mint_to_private!(who.owner, 1_000n * E18).send({ from: who.admin }).wait();
  await debt.methods.mint_to_private!(who.lender, 100_000n * E18).send({ from: who.admin }).wait();
  const transferAuthwit = async (from: AztecAddress, token: Contract, amount: bigint) => {
    const nonce = Fr.random();
    const call = await token.methods.transfer_private_to_public!(from, pool.address, amount, nonce).getFunctionCall();
    return { nonce, authwit: await wallet.createAuthWit(from, { caller: pool.address, call }) };
  };
  const supply = await transferAuthwit(who.lender, debt, 50_000n * E18);
  await pool.methods.supply_private!(who.lender, 50_000n * E18, supply.nonce).send({ from: who.lender, authWitnesses: [supply.authwit] }).wait();
  await escrow.methods.register!(new Array(64).fill(0)).send({ from: who.owner }).wait();
  const deposit = await transferAuthwit(who.owner, collateral, 20n * E18);
  await escrow.methods.supply_collateral!(20n * E18, deposit.nonce).send({ from: who.owner, authWitnesses: [deposit.authwit] }).wait();
  await escrow.methods.borrow!(7_000n * E18, collateralPrice, debtPrice).send({ from: who.owner }).wait();
  say('position opened: 20 collateral at 500, 7000 debt at 1');
  return { collateralAmount: (20n * E18).toString(), debtPrincipal: (7_000n * E18).toString(),
           collateralPrice: collateralPrice.toString(), debtPrice: debtPrice.toString() };
}

main().then(() => process.exit(0), err => {
  process.stderr.write(`deploy failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
