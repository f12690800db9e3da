#!/usr/bin/env node
// Rebuilds contracts/build/<Name>.json from contracts/<Name>.sol with the pinned npm `solc`.
//
//   node scripts/build_contracts.mjs          rebuild the committed artifacts
//   node scripts/build_contracts.mjs --check  exit 1 if a committed artifact differs
//   --out DIR                                 write (or check) DIR/<Name>.json instead of contracts/build
//
// The output is deterministic: fixed compiler (package.json pins solc), fixed settings,
// fixed key order, two-space indentation and a trailing newline, so the artifact in the
// repo can be proven to be exactly what this source compiles to.
import { createRequire } from "node:module";
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(ROOT, "package.json"));

const SOLC_VERSION = "0.8.37"; // must match package.json and the pragma
const CONTRACTS = ["PriceOracle"];

// Pinned compiler settings. `cancun` runs on anvil and on py-evm (eth-tester).
const SETTINGS = {
  evmVersion: "cancun",
  optimizer: { enabled: true, runs: 200 },
  viaIR: false,
  metadata: { bytecodeHash: "ipfs", useLiteralContent: false },
  remappings: [],
  libraries: {},
  outputSelection: {
    "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] },
  },
};

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys(value[k]);
    return out;
  }
  return value;
}

function loadSolc() {
  let solc;
  try {
    solc = require("solc");
  } catch (err) {
    console.error("error: the npm package `solc` is not installed (run `npm ci`)");
    process.exit(2);
  }
  const full = solc.version(); // e.g. 0.8.37+commit.f401782d.Emscripten.clang
  if (!full.startsWith(SOLC_VERSION + "+")) {
    console.error(`error: solc ${full} found, ${SOLC_VERSION} required (run \`npm ci\`)`);
    process.exit(2);
  }
  return solc;
}

function build(solc) {
  const sources = {};
  for (const name of CONTRACTS) {
    const path = `contracts/${name}.sol`;
    // Normalise line endings so a CRLF checkout builds the same bytes.
    sources[path] = { content: readFileSync(join(ROOT, path), "utf8").replace(/\r\n/g, "\n") };
  }
  const input = { language: "Solidity", sources, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const e of output.errors || []) console.error(e.formattedMessage || e.message);
  if (errors.length) process.exit(1);

  const full = solc.version();
  const artifacts = {};
  for (const name of CONTRACTS) {
    const path = `contracts/${name}.sol`;
    const c = output.contracts[path][name];
    const artifact = {
      contractName: name,
      sourceName: path,
      abi: sortKeys(c.abi),
      bytecode: "0x" + c.evm.bytecode.object,
      deployedBytecode: "0x" + c.evm.deployedBytecode.object,
      compiler: { name: "solc", version: full.replace(/\.Emscripten\.clang$/, "") },
      settings: sortKeys({
        evmVersion: SETTINGS.evmVersion,
        optimizer: SETTINGS.optimizer,
        viaIR: SETTINGS.viaIR,
        metadata: SETTINGS.metadata,
      }),
    };
    artifacts[`${name}.json`] = JSON.stringify(artifact, null, 2) + "\n";
  }
  return artifacts;
}

const args = process.argv.slice(2);
const check = args.includes("--check");
const outIndex = args.indexOf("--out");
if (outIndex >= 0 && !args[outIndex + 1]) {
  console.error("error: --out needs a directory");
  process.exit(2);
}
for (const [i, a] of args.entries()) {
  if (a !== "--check" && a !== "--out" && !(outIndex >= 0 && i === outIndex + 1)) {
    console.error(`error: unknown argument ${a}\nusage: node scripts/build_contracts.mjs [--check] [--out DIR]`);
    process.exit(2);
  }
}
const outDir = outIndex >= 0 ? resolve(args[outIndex + 1]) : join(ROOT, "contracts", "build");
const artifacts = build(loadSolc());
let stale = 0;
for (const [name, text] of Object.entries(artifacts)) {
  const file = join(outDir, name);
  const rel = relative(ROOT, file).startsWith("..") ? file : relative(ROOT, file);
  if (check) {
    const current = existsSync(file) ? readFileSync(file, "utf8") : null;
    if (current !== text) {
      console.error(`${rel}: ${current === null ? "missing" : "differs from a fresh build"}; run \`node scripts/build_contracts.mjs\``);
      stale++;
    } else {
      console.log(`${rel}: up to date`);
    }
  } else {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    console.log(`wrote ${rel}`);
  }
}
process.exit(stale ? 1 : 0);
