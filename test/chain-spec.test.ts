import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import {
  blockHash,
  blockWork,
  type ChainSpecFile,
  GENESIS,
  initialTarget,
  newChainSpec,
  nextBits,
  nextTarget,
  paramsHash,
  targetFromBits,
  walkthroughSpec,
} from "../src/chain/index.js";
import { ChainSpecLoadError, loadChainSpec, parseChainSpec } from "../src/specs/index.js";
import { runCli, startNode } from "./helpers/node-process.js";

/** Chain specs: what `chain new` writes, what a node accepts, and the command as a user runs it. */

const NOW = 1_800_000_000.75;
const made = (): ChainSpecFile =>
  newChainSpec({ name: "testnet", blockTime: 10, halfLife: 600, hashesPerSecond: 1e8, now: NOW });
const parse = (file: unknown) => parseChainSpec(JSON.stringify(file), "test spec");
/** devnet's id since it keeps accounts; the README names it. */
const DEVNET_ID = "994e06965694ea20c8f14312e122e2d5ed22b5b9cd370ee1798d8690786862e2";

t.test("a new spec: its genesis commits to every parameter, and its id is the genesis hash", async (t) => {
  const file = made();
  const spec = parse(file);
  t.equal(spec.name, "testnet");
  t.equal(spec.id, blockHash(file.genesis), "the id is the genesis hash");
  t.equal(file.genesis.previous_hash, paramsHash(file), "the genesis names the parameters' hash");
  t.equal(file.genesis.timestamp, 1_800_000_000, "dated now, in whole seconds");
  t.same(file.genesis.transactions, []);
  t.equal(file.timestamps.maxFutureSeconds, 25, "a 24th of the half-life");
  t.equal(spec.pow.kind, "asert");

  for (const [field, value] of [
    ["blockTime", 11],
    ["halfLife", 1200],
    ["powLimit", "1e00ffff"],
    ["reward", 2],
    ["name", "othernet"],
  ] as const) {
    const changed = { ...file, [field]: value };
    t.throws(
      () => parse(changed),
      { name: "ChainSpecLoadError", message: /its genesis names previous_hash .*, the hash of its parameters/ },
      `a spec whose ${field} changed after its genesis was made is refused`,
    );
  }
  const otherTime = { ...file, timestamps: { ...file.timestamps, maxFutureSeconds: 20 } };
  t.throws(() => parse(otherTime), /the hash of its parameters/, "so is one whose future limit changed");
  t.not(parse(made()).id, parse({ ...made(), genesis: { ...made().genesis, timestamp: 1 } }).id);
});

t.test(
  "the ledger: names (newChainSpec's default, as a spec file's without one), or accounts with an address prefix, each committed to by the genesis",
  async (t) => {
    const names = parse(made());
    t.same(names.ledger, { kind: "names" });
    const accounts = parse(
      newChainSpec({ name: "testnet", blockTime: 10, hashesPerSecond: 1e8, now: NOW, ledger: "accounts" }),
    );
    t.same(accounts.ledger, { kind: "accounts", prefix: "toy" }, "toy1... addresses by default");
    t.not(accounts.id, names.id, "another ledger is another chain");
    const prefixed = newChainSpec({
      name: "testnet",
      blockTime: 10,
      hashesPerSecond: 1e8,
      now: NOW,
      ledger: "accounts",
      addressPrefix: "tst",
    });
    t.same(parse(prefixed).ledger, { kind: "accounts", prefix: "tst" });
    t.throws(
      () => parse({ ...prefixed, addressPrefix: "toy" }),
      /the hash of its parameters/,
      "the prefix is committed to",
    );

    // A spec made before ledgers states none: it is a names chain and keeps its id.
    const { ledger, ...older } = made();
    t.equal(ledger, "names");
    const before = { ...older, genesis: { ...older.genesis, previous_hash: paramsHash(older) } };
    t.same(parse(before).ledger, { kind: "names" });
    t.equal(before.genesis.previous_hash, paramsHash({ ...older, ledger: undefined }), "absent, not null, in the hash");

    const remade = (change: Partial<ChainSpecFile>): ChainSpecFile => {
      const params = { ...made(), ...change };
      return { ...params, genesis: { ...params.genesis, previous_hash: paramsHash(params) } };
    };
    t.throws(() => parse(remade({ ledger: "accounts" })), /an accounts ledger needs its addressPrefix/);
    t.throws(() => parse(remade({ addressPrefix: "toy" })), /addressPrefix is for an accounts ledger/);
    t.throws(() => parse(remade({ ledger: "accounts", addressPrefix: "Toy" })), /addressPrefix must match pattern/);
    t.throws(() => parse(remade({ ledger: "coins" as "names" })), /ledger must be equal to one of the allowed values/);
  },
);

t.test("the initial target: one block every blockTime at the given hash rate, within the pow limit", async (t) => {
  const limit = targetFromBits(0x1f00ffff);
  const target = initialTarget(1e8, 10, limit);
  t.equal(blockWork(target), 1_000_000_000n, "1e8 H/s for 10 s: 10^9 hashes a block");
  t.equal(initialTarget(1, 1, limit), limit, "a hash rate too small for the limit gets the limit");
  t.equal(targetFromBits(Number.parseInt(made().genesis.bits ?? "", 16)) <= target, true, "bits round down");
});

t.test("the next target comes from aserti3-2d with the genesis as anchor", async (t) => {
  const spec = parse(made());
  t.equal(spec.pow.kind, "asert");
  if (spec.pow.kind !== "asert") return;
  const { params, anchor } = spec.pow;
  const genesis = spec.genesis;
  t.equal(
    nextTarget(spec, genesis).target,
    targetFromBits(nextBits(params, anchor, { height: 1n, time: BigInt(genesis.timestamp) })),
  );
  const onSchedule = nextTarget(spec, { index: 61, timestamp: genesis.timestamp + 600 }).target;
  const late = nextTarget(spec, { index: 61, timestamp: genesis.timestamp + 1200 }).target;
  const early = nextTarget(spec, { index: 61, timestamp: genesis.timestamp + 1 }).target;
  t.ok(late > onSchedule && onSchedule > early, "behind schedule eases the target, ahead of it hardens it");
  const ratio = Number((late * 1000n) / onSchedule) / 1000;
  t.ok(ratio > 1.99 && ratio < 2.01, `one half-life behind doubles the target (x${ratio})`);

  const walkthrough = walkthroughSpec(16);
  t.equal(walkthrough.id, "3359bdb5a0bba889b9fe4387a3d400715eddc65be81661733aa502880c47e6e7");
  t.equal(
    nextTarget(walkthrough, GENESIS).target,
    (1n << 240n) - 1n,
    "16 leading zero bits: 2^240 - 1, at every block",
  );
});

t.test("--pow-limit initial: a chain first mined long after its genesis is never easier than it starts", async (t) => {
  const aged = parse(
    newChainSpec({ name: "aged", blockTime: 10, hashesPerSecond: 1e8, now: NOW - 86_400 * 365, powLimit: "initial" }),
  );
  const free = parse(newChainSpec({ name: "free", blockTime: 10, hashesPerSecond: 1e8, now: NOW - 86_400 * 365 }));
  t.equal(aged.file?.powLimit, aged.genesis.bits, "the pow limit is the initial target");
  const parent = { index: 2, timestamp: Math.floor(NOW) };
  const initial = targetFromBits(Number.parseInt(aged.genesis.bits ?? "", 16));
  t.equal(nextTarget(aged, parent).target, initial, "a year behind schedule, the target stays the initial one");
  t.equal(
    nextTarget(free, parent).target,
    targetFromBits(0x1f00ffff),
    "with the default pow limit it would be the easiest, 65,536 hashes a block",
  );
});

t.test("a spec that makes no chain is refused, naming the problem", async (t) => {
  const file = made();
  const cases: [unknown, RegExp][] = [
    [{ ...file, format: "toychain-chain/9" }, /format must be equal to constant/],
    [{ ...file, blockTime: 0 }, /blockTime must be >= 1/],
    [{ ...file, blockTime: 2.5 }, /blockTime must be integer/],
    [{ ...file, name: "Bad Name" }, /name must match pattern/],
    [{ ...file, extra: 1 }, /extra is not an allowed field/],
    [{ ...file, genesis: { ...file.genesis, bits: "xyz" } }, /genesis.bits must match pattern/],
    [{ ...file, genesis: { ...file.genesis, index: 2 } }, /its genesis must be block 1/],
    [{ ...file, timestamps: { ...file.timestamps, wholeSeconds: false } }, /wholeSeconds must be equal to constant/],
  ];
  for (const [bad, message] of cases) t.throws(() => parse(bad), { name: "ChainSpecLoadError", message }, `${message}`);
  t.throws(() => parseChainSpec("{", "broken.json"), { message: /^broken\.json: .*JSON/ }, "not JSON");
  t.throws(() => parseChainSpec('{"blockTime": 100000000000000000001}', "x.json"), /cannot be held exactly/);

  // Parameters consistent with their own genesis but outside the rules: re-made so that the genesis commits to them.
  const remade = (change: Partial<ChainSpecFile>): ChainSpecFile => {
    const params = { ...file, ...change };
    return { ...params, genesis: { ...file.genesis, ...change.genesis, previous_hash: paramsHash(params) } };
  };
  t.throws(
    () => parse(remade({ timestamps: { ...file.timestamps, maxFutureSeconds: 26 } })),
    /maxFutureSeconds 26 is past a 24th of the half-life \(25\)/,
  );
  t.throws(
    () => parse(remade({ powLimit: "1d00ffff" })),
    /genesis bits 1d044b82 are easier than its powLimit 1d00ffff/,
  );
  t.throws(
    () => parse(remade({ powLimit: "1f80ffff" })),
    /its powLimit: bits 0x1f80ffff state no target: its sign bit is set/,
  );
  t.throws(
    () => parse(remade({ genesis: { ...file.genesis, timestamp: 1.5 } })),
    /its genesis timestamp 1.5 is not whole seconds/,
  );
});

t.test("built-in chains and spec files by path", async (t) => {
  const devnet = loadChainSpec("devnet", 16);
  t.equal(devnet.name, "devnet");
  t.equal(devnet.pow.kind, "asert");
  t.equal(devnet.pow.kind === "asert" && devnet.pow.params.spacing, 10n, "devnet's blocks come every 10 s");
  t.same(devnet.ledger, { kind: "accounts", prefix: "toy" }, "devnet keeps accounts, toy1... addresses");
  // How devnet.json is made: chain new --name devnet --block-time 10 --hashrate 1e8 --pow-limit initial --reward 50000000 (the
  // half-life 60 block times, the ledger accounts), its genesis dated as it was first made, so that it stays aged.
  t.same(
    devnet.file,
    newChainSpec({
      name: "devnet",
      blockTime: 10,
      hashesPerSecond: 1e8,
      powLimit: "initial",
      ledger: "accounts",
      reward: 50_000_000,
      now: devnet.genesis.timestamp,
    }),
    "devnet.json is what chain new makes for 100 MH/s and 10-s blocks, its pow limit its initial target",
  );
  t.equal(new Date(devnet.genesis.timestamp * 1000).toISOString(), "2026-12-07T04:50:43.000Z", "dated as first made");
  t.equal(devnet.id, DEVNET_ID, "its id, which a change of any parameter changes");
  t.equal(loadChainSpec("walkthrough", 20).pow.kind, "fixed");
  t.throws(() => loadChainSpec("/no/such/spec.json", 16), {
    name: ChainSpecLoadError.name,
    message:
      "/no/such/spec.json: no such file; give a spec file that toychain chain new wrote, or one of walkthrough, devnet",
  });
  const dir = mkdtempSync(join(tmpdir(), "toychain-spec-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "mine.json");
  writeFileSync(path, JSON.stringify(made()));
  t.equal(loadChainSpec(path, 16).id, parse(made()).id, "a file's spec is the same as its text's");
});

t.test("toychain chain new and show, as a user runs them", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "toychain-chain-cli-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, "fast.json");

  const created = await runCli(["chain", "new", "--out", out, "--block-time", "5", "--hashrate", "2e7"]);
  t.equal(created.code, 0, created.stderr);
  const file = JSON.parse(readFileSync(out, "utf8")) as ChainSpecFile;
  const spec = parse(file);
  t.equal(file.name, "fast", "named after its file");
  t.same(spec.ledger, { kind: "accounts", prefix: "toy" }, "an accounts ledger by default, toy1... addresses");
  t.match(created.stdout, "ledger             accounts: signed transfers between toy1... addresses");
  t.match(created.stdout, "reward             1 and the block's fees");
  t.equal(file.blockTime, 5);
  t.equal(file.halfLife, 300, "a half-life of 60 block times by default");
  t.equal(blockWork(targetFromBits(Number.parseInt(file.genesis.bits ?? "", 16))) >= 100_000_000n, true);
  t.match(created.stdout, `id (genesis hash)  ${spec.id}`, "it prints the chain's id");
  t.match(created.stdout, `toychain --chain ${out}`, "and how to start its nodes");

  const shown = await runCli(["chain", "show", out]);
  t.equal(shown.code, 0);
  t.match(shown.stdout, `id (genesis hash)  ${spec.id}`, "show prints the same id");
  t.match(shown.stdout, "blocks every 5 s");

  const again = await runCli(["chain", "new", "--out", out, "--block-time", "5", "--hashrate", "2e7"]);
  t.equal(again.code, 2, "an existing file is not overwritten");
  t.match(again.stderr, `${out} exists: give another --out, or --force`);
  t.same(JSON.parse(readFileSync(out, "utf8")), file, "and is left as it was");

  const cases: [string[], string][] = [
    [["chain", "new", "--block-time", "5"], "chain new needs --out <file>"],
    [["chain", "new", "--out", join(dir, "x.json")], "chain new needs --block-time <seconds>"],
    [["chain", "new", "--out", join(dir, "x.json"), "--block-time", "1.5"], "--block-time must be whole seconds"],
    [["chain", "new", "--out", join(dir, "x.json"), "--block-time", "5", "--hashrate", "fast"], "--hashrate must be"],
    [["chain", "new", "--out", join(dir, "Big Chain.json"), "--block-time", "5"], "give --name"],
    [["chain", "new", "--bogus"], "--bogus"],
    [
      ["chain", "new", "--out", join(dir, "x.json"), "--block-time", "5", "--pow-limit", "1f80ffff"],
      "--pow-limit must be",
    ],
    [["chain", "show"], "chain show takes one spec file or name"],
    [["chain", "show", join(dir, "none.json")], "no such file"],
    [["chain", "fork"], 'unknown chain command "fork"'],
  ];
  const runs = await Promise.all(cases.map(([args]) => runCli(args)));
  cases.forEach(([args, message], i) => {
    const run = runs[i];
    t.equal(run?.code, 2, `toychain ${args.join(" ")} exits 2`);
    t.match(run?.stderr, message, `and says ${message}`);
  });

  const accounts = join(dir, "coins.json");
  const withLedger = await runCli([
    ...["chain", "new", "--out", accounts, "--block-time", "5", "--hashrate", "2e7"],
    ...["--ledger", "accounts", "--address-prefix", "coin", "--reward", "50000000"],
  ]);
  t.equal(withLedger.code, 0, withLedger.stderr);
  t.match(withLedger.stdout, "ledger             accounts: signed transfers between coin1... addresses");
  t.match(withLedger.stdout, "reward             50000000 and the block's fees");
  t.same(parse(JSON.parse(readFileSync(accounts, "utf8"))).ledger, { kind: "accounts", prefix: "coin" });
  const names = join(dir, "names.json");
  const withNames = await runCli([
    ...["chain", "new", "--out", names, "--block-time", "5", "--hashrate", "2e7", "--ledger", "names"],
  ]);
  t.equal(withNames.code, 0, withNames.stderr);
  t.match(withNames.stdout, "ledger             names: the walkthrough's transactions");
  t.match(withNames.stdout, /reward {13}1\n/, "a reward of 1, no fees");
  const namesFile = JSON.parse(readFileSync(names, "utf8")) as ChainSpecFile;
  t.equal(namesFile.ledger, "names", "--ledger names: the walkthrough's transactions");
  t.notOk("addressPrefix" in namesFile, "and no address prefix");
  t.same(parse(namesFile).ledger, { kind: "names" });
  const prefixOnly = join(dir, "prefixed.json");
  const withPrefix = await runCli([
    ...["chain", "new", "--out", prefixOnly, "--block-time", "5", "--hashrate", "2e7", "--address-prefix", "coin"],
  ]);
  t.equal(withPrefix.code, 0, withPrefix.stderr);
  t.same(parse(JSON.parse(readFileSync(prefixOnly, "utf8"))).ledger, { kind: "accounts", prefix: "coin" });

  const ledgerCases: [string[], string][] = [
    [["--ledger", "coins"], '--ledger must be names or accounts, not "coins"'],
    [
      ["--ledger", "names", "--address-prefix", "coin"],
      "--address-prefix is for an accounts ledger, not --ledger names",
    ],
    [["--ledger", "accounts", "--address-prefix", "Coin1"], "--address-prefix must be 1 to 16 lowercase letters"],
    [["--reward", "0"], "--reward must be a whole number from 1 to 2^53-1"],
    [["--reward", "9007199254740992"], "--reward must be a whole number from 1 to 2^53-1"],
  ];
  const ledgerRuns = await Promise.all(
    ledgerCases.map(([args]) =>
      runCli(["chain", "new", "--out", join(dir, "y.json"), "--block-time", "5", "--hashrate", "2e7", ...args]),
    ),
  );
  ledgerCases.forEach(([args, message], i) => {
    t.equal(ledgerRuns[i]?.code, 2, `chain new ${args.join(" ")} exits 2`);
    t.match(ledgerRuns[i]?.stderr, message, `and says ${message}`);
  });

  const help = await runCli(["chain", "--help"]);
  t.equal(help.code, 0);
  t.match(help.stdout, /^Usage: toychain chain new --out <file> --block-time <s>/);
  t.match(help.stdout, /--ledger <kind> +accounts: .*\n +\(default\); names: /, "accounts, the default");
});

/** devnet.json before it kept accounts (commit 08fa209): a names chain of the same name. */
const DEVNET_BEFORE_ACCOUNTS = {
  format: "toychain-chain/1",
  name: "devnet",
  blockTime: 10,
  halfLife: 600,
  powLimit: "1d044b82",
  reward: 1,
  timestamps: { medianOf: 11, maxFutureSeconds: 25, wholeSeconds: true },
  genesis: {
    index: 1,
    timestamp: 1796619043,
    transactions: [],
    proof: 0,
    previous_hash: "1297c37698e579a777a4140efe338cc776f66f868a97811a9aa60f8d3e9892d3",
    bits: "1d044b82",
  },
};

t.test("a data dir of devnet before it kept accounts is refused, naming both ids and what to do", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "toychain-old-devnet-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const oldSpec = join(dir, "devnet-before.json");
  writeFileSync(oldSpec, JSON.stringify(DEVNET_BEFORE_ACCOUNTS));
  const oldId = parse(DEVNET_BEFORE_ACCOUNTS).id;
  t.equal(oldId, "f94ab100d9806eab4fea274fe2420c350e65db63dfc2e1900e0b41465d3f662f", "the old devnet's id");
  const dataDir = join(dir, "data");
  const old = await startNode(["--chain", oldSpec, "--threads", "1", "--data-dir", dataDir], { t });
  t.same(await old.stop(), { code: 0, signal: null });

  const refused = await runCli(["--chain", "devnet", "--port", "0", "--threads", "1", "--data-dir", dataDir]);
  t.equal(refused.code, 1, "today's devnet refuses it: exit 1");
  t.equal(
    refused.stderr,
    `toychain: The store in ${dataDir} belongs to another network: it holds another chain named devnet (genesis ${oldId}), ` +
      `not this devnet (genesis ${DEVNET_ID}): the spec was made again; remove this data dir to start on this one, or give another --data-dir\n`,
  );
});
