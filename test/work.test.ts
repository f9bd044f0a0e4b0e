import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClassicLevel } from "classic-level";
import t from "tap";
import {
  type Block,
  blockHash,
  blockWork,
  type ChainSpec,
  impossibleClaim,
  newChainSpec,
  specFromFile,
  WorkIndex,
  walkthroughSpec,
} from "../src/chain/index.js";
import { createLogger } from "../src/log.js";
import { ToyNode } from "../src/node.js";
import type { Peer } from "../src/peers/index.js";
import type { BlockRef, TipBody } from "../src/schemas/index.js";
import { LevelStore } from "../src/storage/index.js";
import type { SyncNetwork } from "../src/sync/index.js";
import { extendChain, targetOfBits, workOf } from "./helpers/spec-chain.js";
import { indexKey } from "./helpers/store-keys.js";

/**
 * A chain's work, and the choice by work: the work index alone, the claims a
 * tip may make, then nodes in process on a retargeting chain choosing a
 * shorter chain with more work over a longer one with less, by resolve and
 * by a sync from an announcer.
 */

type Test = Parameters<Parameters<typeof t.test>[0]>[0];

const log = createLogger("silent");
const NODE = "ab".repeat(16);

/**
 * A retargeting chain whose genesis is a day old, at the easiest target: a
 * block dated on schedule or later stays at the limit (65,536 hashes), and
 * each block dated a spacing ahead halves the next target (the half-life is
 * one spacing).
 */
const NOW = Math.floor(Date.now() / 1000);
const SPEC: ChainSpec = specFromFile(
  newChainSpec({ name: "worktest", blockTime: 600, halfLife: 600, hashesPerSecond: 1, now: NOW - 86_400 }),
);

const bitsOf = (block: Block): string => block.bits as string;
const targetOf = (block: Block): bigint => targetOfBits(bitsOf(block));

/** Mines `count` blocks on `chain`'s last, dated `step` seconds apart after it, at the targets the spec sets. */
const extend = (chain: readonly Block[], count: number, step: number): Block[] =>
  extendChain(SPEC, chain, count, step, NODE);

/** Longer, with less work: every block dated late, at the easiest target. */
const LONG = extend([SPEC.genesis], 5, 1200);
/** Shorter, with more: each block dated a second after its parent, a spacing ahead, so each target halves. */
const SHORT = extend([SPEC.genesis], 3, 1);

/** Peers serving chains from arrays, as their API would; `calls` lists the requests, "page 127.0.0.1:7001". */
class ArrayNetwork implements SyncNetwork {
  readonly calls: string[] = [];
  constructor(private readonly chains: Readonly<Record<string, readonly Block[]>>) {}

  #chain(peer: Peer, what: string): readonly Block[] {
    this.calls.push(`${what} ${peer.id}`);
    return this.chains[peer.id] as readonly Block[];
  }

  async tip(peer: Peer): Promise<TipBody> {
    return tipOf(this.#chain(peer, "tip"));
  }

  async locate(peer: Peer, locator: readonly BlockRef[]): Promise<BlockRef> {
    const chain = this.#chain(peer, "locate");
    const found = locator.find(
      ({ height, hash }) => chain[height - 1] && blockHash(chain[height - 1] as Block) === hash,
    );
    if (found === undefined) throw new Error("no common block");
    return found;
  }

  async page(peer: Peer, from: number, limit: number): Promise<Uint8Array> {
    const chain = this.#chain(peer, "page");
    return Buffer.from(JSON.stringify({ chain: chain.slice(from - 1, from - 1 + limit), length: chain.length }));
  }
}

const tipOf = (chain: readonly Block[]): TipBody => ({
  length: chain.length,
  hash: blockHash(chain[chain.length - 1] as Block),
  work: String(workOf(chain)),
  chain: SPEC.id,
});

const LONG_PEER = "127.0.0.1:7001";
const SHORT_PEER = "127.0.0.1:7002";

async function node(t: Test): Promise<{ node: ToyNode; network: ArrayNetwork }> {
  const network = new ArrayNetwork({ [LONG_PEER]: LONG, [SHORT_PEER]: SHORT });
  const opened = await ToyNode.open({ chain: SPEC, threads: 1, log, network });
  t.teardown(() => opened.close());
  return { node: opened, network };
}

t.test(
  "the work index: the genesis counts; none kept per block on a fixed chain, 36 bytes on a retargeting one",
  async (t) => {
    const fixed = new WorkIndex(walkthroughSpec(16).pow);
    for (let i = 0; i < 5; i++) fixed.push(undefined);
    t.equal(fixed.total, 5n * 65_536n, "five blocks of 16 bits: the genesis and four");
    t.equal(fixed.at(3), 3n * 65_536n);
    t.equal(fixed.at(6), undefined, "none past the end");
    fixed.truncate(2);
    t.equal(fixed.total, 2n * 65_536n);

    const index = new WorkIndex(SPEC.pow);
    for (const block of SHORT) index.push(block.bits);
    t.equal(index.total, workOf(SHORT), "the sum of every block's 2^256 / (target + 1)");
    t.equal(index.at(1), blockWork(targetOf(SPEC.genesis)), "the genesis' work");
    t.same(
      SHORT.map((_, i) => index.bitsAt(i)),
      SHORT.map(bitsOf),
      "each block's bits are kept",
    );
    index.truncate(2);
    t.equal(index.total, workOf(SHORT.slice(0, 2)), "truncated, the work of what is left");
    index.push(bitsOf(SHORT[2] as Block));
    t.equal(index.total, workOf(SHORT.slice(0, 3)));
    const after = new WorkIndex(SPEC.pow, { base: 1000n });
    after.push(bitsOf(LONG[1] as Block));
    t.equal(after.total, 1000n + blockWork(targetOf(LONG[1] as Block)), "a run after a fork starts from its work");
    t.throws(() => index.push(undefined), RangeError, "a retargeting chain's block states its bits");
  },
);

t.test("a tip's claims: another chain's id, or work its length rules out, is refused before any block", async (t) => {
  const walkthrough = walkthroughSpec(8);
  const claim = (length: number, work: bigint, chain = walkthrough.id) => ({ length, work, chain });
  t.equal(impossibleClaim(claim(3, 768n), walkthrough), undefined, "3 blocks of 8 bits hold 768");
  t.equal(
    impossibleClaim(claim(3, 10n ** 70n), walkthrough),
    `it claims ${10n ** 70n} work for 3 blocks, which hold 768 on this chain`,
  );
  t.equal(
    impossibleClaim(claim(3, 768n, SPEC.id), walkthrough),
    `it is on the chain ${SPEC.id}, not ours ${walkthrough.id}`,
    "naming both ids",
  );
  const least = 3n * blockWork(targetOf(SPEC.genesis));
  t.equal(impossibleClaim(claim(3, least, SPEC.id), SPEC), undefined, "3 blocks at the easiest target");
  t.match(impossibleClaim(claim(3, least - 1n, SPEC.id), SPEC), /less than the \d+ they hold at the easiest target/);
  t.equal(impossibleClaim(claim(3, 10n ** 70n, SPEC.id), SPEC), undefined, "more is only refused once read");
});

t.test("the chains the tests below choose between", async (t) => {
  t.ok(LONG.length > SHORT.length, `the long chain has ${LONG.length} blocks, the short ${SHORT.length}`);
  t.ok(workOf(LONG) < workOf(SHORT), `and less work: ${workOf(LONG)} to ${workOf(SHORT)}`);
});

t.test("resolve: a shorter chain with more work replaces a longer one with less", async (t) => {
  const { node: ours } = await node(t);
  await ours.registerNodes([LONG_PEER]);
  t.equal((await ours.resolve()).replaced, true, "first, the long chain replaces our genesis");
  t.same(ours.durableTip, tipOf(LONG));
  await ours.registerNodes([SHORT_PEER]);
  const { replaced, peers } = await ours.resolve();
  t.equal(replaced, true, "then the short one, with more work, replaces it");
  t.same(ours.durableTip, tipOf(SHORT), "our tip: its length, hash, work and our chain's id");
  t.equal(ours.chain.length, SHORT.length);
  t.equal(ours.chain.work, workOf(SHORT));
  t.match(peers, [
    {
      node: LONG_PEER,
      verdict: "not longer",
      length: LONG.length,
      reason: "not checked: it holds no more work than ours, and is not the same as ours",
    },
    { node: SHORT_PEER, verdict: "adopted", length: SHORT.length },
  ]);
  const again = await ours.resolve();
  t.equal(again.replaced, false, "the longer chain with less work does not take it back");
});

t.test("resolve: a node on the shorter chain with more work keeps it, reading nothing of the longer", async (t) => {
  const { node: ours, network } = await node(t);
  await ours.registerNodes([SHORT_PEER]);
  await ours.resolve();
  await ours.registerNodes([LONG_PEER]);
  network.calls.length = 0;
  const { replaced } = await ours.resolve();
  t.equal(replaced, false);
  t.same(ours.durableTip, tipOf(SHORT));
  t.same(network.calls.sort(), [`tip ${LONG_PEER}`, `tip ${SHORT_PEER}`], "only the tips are asked");
});

t.test("a sync from an announcer: more work is adopted, though shorter; less is not, though longer", async (t) => {
  const { node: ours } = await node(t);
  const long = { id: LONG_PEER, url: `http://${LONG_PEER}` };
  const short = { id: SHORT_PEER, url: `http://${SHORT_PEER}` };
  await ours.registerNodes([LONG_PEER, SHORT_PEER]);
  t.equal(await ours.syncFrom(long, tipOf(LONG)), "adopted");
  t.equal(await ours.syncFrom(short, tipOf(SHORT)), "adopted", "the shorter chain with more work");
  t.equal(await ours.syncFrom(long, tipOf(LONG)), "overtaken", "the longer with less: no sync");
  t.same(ours.durableTip, tipOf(SHORT));
});

t.test("a peer whose blocks hold less work than it claimed is invalid, after reading its claimed length", async (t) => {
  const { node: ours, network } = await node(t);
  const liar = { ...tipOf(LONG), work: String(workOf(SHORT) * 1000n) };
  const lying: SyncNetwork = {
    tip: async () => liar,
    locate: (peer, locator) => network.locate(peer, locator),
    page: (peer, from, limit) => network.page(peer, from, limit),
  };
  const liarNode = await ToyNode.open({ chain: SPEC, threads: 1, log, network: lying });
  t.teardown(() => liarNode.close());
  await liarNode.registerNodes([LONG_PEER]);
  const { replaced, peers } = await liarNode.resolve();
  t.equal(replaced, false);
  t.match(peers, [
    {
      node: LONG_PEER,
      verdict: "invalid",
      reason: `its blocks hold ${workOf(LONG)} work, less than the ${liar.work} it claimed`,
    },
  ]);
  t.same(
    network.calls.filter((call) => call.startsWith("page")),
    [`page ${LONG_PEER}`],
    "one page: the length it claimed",
  );
  t.equal(liarNode.chain.length, 1, "our chain is unchanged");
  t.equal(ours.chain.length, 1);
});

t.test(
  "a store keeps the work: its index entries hold the bits, and one written without them is read from its blocks",
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "toychain-work-store-"));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const network = new ArrayNetwork({ [LONG_PEER]: LONG, [SHORT_PEER]: SHORT });
    const open = () => ToyNode.open({ chain: SPEC, threads: 1, log, network, store: new LevelStore(dir) });
    const workAt = (ours: ToyNode) => LONG.map((_, i) => ours.chain.workAt(i + 1));
    const expected = LONG.map((_, i) => workOf(LONG.slice(0, i + 1)));

    const first = await open();
    await first.registerNodes([LONG_PEER]);
    t.equal((await first.resolve()).replaced, true);
    t.same(workAt(first), expected, "the work at every height, in memory");
    await first.close();

    const db = new ClassicLevel<string, { hash: string; previous_hash: string; bits?: string }>(dir, {
      valueEncoding: "json",
    });
    const entries = await db.getMany(LONG.map((_, i) => indexKey(i + 1)));
    t.same(
      entries.map((entry) => entry?.bits),
      LONG.map(bitsOf),
      "each entry holds its block's bits",
    );
    await db.close();
    const reopened = await open();
    t.same(workAt(reopened), expected, "read back from the index at start");
    t.same(reopened.durableTip, tipOf(LONG));
    await reopened.close();

    const older = new ClassicLevel<string, { hash: string; previous_hash: string; bits?: string }>(dir, {
      valueEncoding: "json",
    });
    await older.batch(
      LONG.slice(1).map((block, i) => ({
        type: "put" as const,
        key: indexKey(i + 2),
        value: { hash: blockHash(block), previous_hash: block.previous_hash },
      })),
    );
    await older.close();
    const fromBlocks = await open();
    t.teardown(() => fromBlocks.close());
    t.same(workAt(fromBlocks), expected, "a store whose entries lack the bits: its blocks are read for them");
  },
);
