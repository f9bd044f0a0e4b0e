import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import {
  type Block,
  blockHash,
  checkExtension,
  feesOf,
  InvalidChainError,
  newChainSpec,
  nextTarget,
  powHeader,
  proofMeetsTarget,
  specFromFile,
  type TipContext,
  type Transaction,
} from "../src/chain/index.js";
import { CheckThreads } from "../src/checks/index.js";
import { sign, signingMessage } from "../src/keys/index.js";
import { SignaturePool } from "../src/signatures/index.js";
import { checkPage, PagePool, verifyPageSignatures } from "../src/sync/index.js";
import { type NodeProcess, request, startNode } from "./helpers/node-process.js";
import { withProof, workOf } from "./helpers/spec-chain.js";
import { recordingPeer, sendJson, servesChain } from "./helpers/sync-peer.js";
import { newWallet, type TestWallet, transfer } from "./helpers/wallets.js";

/**
 * A peer's pages on an accounts chain: the page worker checks every rule
 * but the signatures, which the signature pool verifies on every core; a
 * page is refused with the very reason the blocks' check one signature
 * after another gives (block N: transaction M: signature does not verify
 * for sender ...), whichever rules its blocks break and however the
 * signatures are chunked, and whether they are verified after the page
 * worker's check or while it runs (PagePool). Then a real node: a peer whose chain holds a
 * forged signature is refused with that reason, page after page of one
 * block each, and the chain without it is adopted.
 */

type Test = Parameters<Parameters<typeof t.test>[0]>[0];

const SUBSIDY = 1_000_000;
const dir = mkdtempSync(join(tmpdir(), "toychain-sync-signatures-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const FILE = join(dir, "sigtest.json");
// Dated a day ago, with the easiest target the compact bits allow (0x207fffff, about 2 hashes a block).
const SPEC_FILE = newChainSpec({
  name: "sigtest",
  blockTime: 600,
  hashesPerSecond: 1,
  now: Date.now() / 1000 - 86_400,
  ledger: "accounts",
  reward: SUBSIDY,
  powLimit: 0x207fffff,
});
writeFileSync(FILE, JSON.stringify(SPEC_FILE));
const SPEC = specFromFile(SPEC_FILE);
const prefix = SPEC.ledger.kind === "accounts" ? SPEC.ledger.prefix : "";
const [lea, mark] = [newWallet(prefix), newWallet(prefix)] as [TestWallet, TestWallet];
/** Transfers a block holds, 2 to 4: enough for several chunks of the pool's. */
const PER_BLOCK = 12;

/** What to do to the honest chain's block at a height: its transfers changed, its reward or its proof wrong. */
interface Change {
  transfers?: (transfers: Transaction[]) => Transaction[];
  reward?: number;
  badProof?: true;
}

/** Lea's transfer with Mark's key's signature over it: well formed, but not hers. */
const forged = (tx: Transaction): Transaction => ({
  ...tx,
  signature: Buffer.from(
    sign(mark.secretKey, signingMessage(SPEC.id, { ...tx, fee: tx.fee as number, nonce: tx.nonce as number })),
  ).toString("hex"),
});
/** The transfer to a mistyped address: its checksum fails. */
const mistyped = (tx: Transaction): Transaction => ({
  ...tx,
  recipient: `${tx.recipient.slice(0, -1)}${tx.recipient.endsWith("q") ? "p" : "q"}`,
});
const forge =
  (...numbers: number[]) =>
  (transfers: Transaction[]): Transaction[] =>
    transfers.map((tx, i) => (numbers.includes(i + 1) ? forged(tx) : tx));

/**
 * The genesis, block 2 paying Lea the reward, blocks 3 and 4 each holding
 * PER_BLOCK transfers of 1 from Lea to Mark, and block 5 with none; each
 * mined, after the changes given.
 */
function chain(changes: Record<number, Change> = {}): Block[] {
  const blocks: Block[] = [SPEC.genesis];
  let nonce = 0;
  for (let height = 2; height <= 5; height++) {
    const parent = blocks[blocks.length - 1] as Block;
    const change = changes[height] ?? {};
    const honest =
      height === 3 || height === 4
        ? Array.from({ length: PER_BLOCK }, () => transfer(SPEC.id, lea, mark.address, { amount: 1, nonce: ++nonce }))
        : [];
    const transfers = change.transfers?.(honest) ?? honest;
    const reward = {
      sender: "0",
      recipient: lea.address,
      amount: change.reward ?? SUBSIDY + Number(feesOf(transfers)),
    };
    const { target, bits } = nextTarget(SPEC, parent);
    const template = {
      index: height,
      timestamp: parent.timestamp + 60,
      transactions: [...transfers, reward],
      previous_hash: blockHash(parent),
      bits: bits as string,
    };
    const block = withProof(template, target);
    if (change.badProof) {
      while (proofMeetsTarget(powHeader(block), block.proof, target)) block.proof++;
    }
    blocks.push(block);
  }
  return blocks;
}

const AFTER_GENESIS: TipContext = { height: 1, hash: SPEC.id, recent: [SPEC.genesis.timestamp] };
const now = (): number => Date.now() / 1000;

/** The reason the blocks after the genesis are refused when checked one signature after another, as every page was. */
function serialReason(blocks: readonly Block[]): string | undefined {
  try {
    checkExtension(blocks.slice(1), AFTER_GENESIS, SPEC, now());
    return undefined;
  } catch (error) {
    if (error instanceof InvalidChainError) return error.message;
    throw error;
  }
}

const pool = new SignaturePool({ threads: 3, threshold: 2 });
t.teardown(() => pool.close());

/** The reason they are refused by the page worker's check and the pool's, as a page of them all. */
async function pooledReason(t: Test, blocks: readonly Block[]): Promise<string | undefined> {
  const bytes = new TextEncoder().encode(JSON.stringify({ chain: blocks.slice(1), length: blocks.length }));
  const outcome = checkPage({ bytes, from: 2, limit: 10, after: AFTER_GENESIS, rules: SPEC, now: now() });
  if ("invalid" in outcome) {
    t.notOk(outcome.unlinked, "the page links to the block before it");
    return (await verifyPageSignatures(outcome.signatures, 2, SPEC, pool)) ?? outcome.invalid;
  }
  t.same(outcome.valid.signatures?.perBlock, [0, PER_BLOCK, PER_BLOCK], "each block's signatures are counted");
  return verifyPageSignatures(outcome.valid.signatures, 2, SPEC, pool);
}

const pages = new PagePool();
t.teardown(() => pages.close());
/** A page's 24 signatures sent ahead in 5 pieces, the last of 4, across the blocks' bounds. */
const pagesInPieces = new PagePool({ aheadPiece: 5 });
t.teardown(() => pagesInPieces.close());

/**
 * As a node has them, a page pool and a signature pool on the same threads
 * (CheckThreads): one, which checks the page before it verifies what the
 * page sent ahead, or two, and pieces of 5.
 */
const oneThread = new CheckThreads({ threads: 1 });
const twoThreads = new CheckThreads({ threads: 2 });
t.teardown(() => Promise.all([oneThread.close(), twoThreads.close()]));
const sharing = (checks: CheckThreads) => ({
  pages: new PagePool({ checks, aheadPiece: 5 }),
  pool: new SignaturePool({ checks, threshold: 2 }),
});
const onOneThread = sharing(oneThread);
const onTwoThreads = sharing(twoThreads);

/**
 * The same, the pool verifying the signatures the page's check sends ahead
 * while it checks the rest (PagePool): in one piece, or in pieces of 5.
 */
async function aheadReason(
  t: Test,
  blocks: readonly Block[],
  { pages: on, pool: verifier }: { pages: PagePool; pool: SignaturePool } = { pages, pool },
): Promise<string | undefined> {
  const bytes = new TextEncoder().encode(JSON.stringify({ chain: blocks.slice(1), length: blocks.length }));
  const rules = { bytes, from: 2, limit: 10, after: AFTER_GENESIS, rules: SPEC, now: now() };
  const outcome = await on.check(rules, verifier);
  if ("invalid" in outcome) {
    t.notOk(outcome.unlinked, "the page links to the block before it");
    return (await verifyPageSignatures(outcome.signatures, 2, SPEC, verifier)) ?? outcome.invalid;
  }
  t.ok(outcome.valid.signatures?.verdict, "they are verified from those the page's check sent ahead");
  t.same(outcome.valid.signatures?.perBlock, [0, PER_BLOCK, PER_BLOCK], "each block's signatures are counted");
  return verifyPageSignatures(outcome.valid.signatures, 2, SPEC, verifier);
}

const badSignature = (block: number, number: number): string =>
  `block ${block}: transaction ${number}: signature does not verify for sender ${lea.address}`;

t.test("a page's reason is the one its blocks checked one signature after another give", async (t) => {
  const cases: [string, Record<number, Change>, string | RegExp | undefined][] = [
    ["an honest page", {}, undefined],
    ["a forged signature", { 3: { transfers: forge(5) } }, badSignature(3, 5)],
    ["two, in two blocks: the first", { 3: { transfers: forge(5) }, 4: { transfers: forge(2) } }, badSignature(3, 5)],
    ["two in one block, far apart", { 3: { transfers: forge(11, 2) } }, badSignature(3, 2)],
    ["the first of several in the last chunks", { 4: { transfers: forge(12, 9, 10) } }, badSignature(4, 9)],
    [
      "a block's wrong reward before a forged signature in the next block",
      { 3: { reward: 5 }, 4: { transfers: forge(3) } },
      /^block 3: the reward must be the subsidy 1000000 plus the block's fees 0, 1000000, not 5$/,
    ],
    [
      "a forged signature before its own block's wrong reward",
      { 3: { transfers: forge(7), reward: 5 } },
      badSignature(3, 7),
    ],
    [
      "a forged signature before a malformed transfer in its block",
      { 3: { transfers: (txs) => forge(4)(txs).map((tx, i) => (i === 7 ? mistyped(tx) : tx)) } },
      badSignature(3, 4),
    ],
    [
      "a malformed transfer before a forged signature in its block",
      { 3: { transfers: (txs) => forge(8)(txs).map((tx, i) => (i === 3 ? mistyped(tx) : tx)) } },
      /^block 3: transaction 4: recipient "toy1\w+" is not a toy address: its checksum fails$/,
    ],
    [
      "a forged signature in a block whose proof fails",
      { 4: { transfers: forge(1), badProof: true } },
      /^block 4: proof \d+ does not reach the target of bits /,
    ],
    [
      "a forged signature in the block after",
      { 3: { transfers: forge(12) }, 4: { badProof: true } },
      badSignature(3, 12),
    ],
  ];
  for (const [name, changes, expected] of cases) {
    const blocks = chain(changes);
    const serial = serialReason(blocks);
    if (expected === undefined) t.equal(serial, undefined, `${name}: valid`);
    else t.match(serial, expected, `${name}: ${serial}`);
    t.equal(await pooledReason(t, blocks), serial, `${name}: the same through the pool`);
    t.equal(await aheadReason(t, blocks), serial, `${name}: the same verified during the page's check`);
    t.equal(await aheadReason(t, blocks, { pages: pagesInPieces, pool }), serial, `${name}: sent ahead in pieces of 5`);
    t.equal(await aheadReason(t, blocks, onOneThread), serial, `${name}: the same, page and pieces on one thread`);
    t.equal(await aheadReason(t, blocks, onTwoThreads), serial, `${name}: the same, page and pieces on two threads`);
  }
});

/** A peer serving `blocks` one block a page, whatever the limit asked, with the tip's true work. */
async function peerOf(t: { teardown(fn: () => unknown): void }, blocks: readonly Block[]) {
  const tip = {
    length: blocks.length,
    hash: blockHash(blocks.at(-1) as Block),
    work: String(workOf(blocks)),
    chain: SPEC.id,
  };
  return recordingPeer(
    t,
    servesChain(blocks, 0, (step, req, res) => {
      if (step === "tip") sendJson(res, tip);
      if (step !== "page") return step === "tip";
      const from = Number(new URL(req.url ?? "/", "http://peer").searchParams.get("from"));
      sendJson(res, { chain: blocks.slice(from - 1, from), length: blocks.length });
      return true;
    }),
  );
}

interface Resolved {
  message: string;
  peers: { node: string; verdict: string; reason?: string }[];
}
const resolve = async (node: NodeProcess) =>
  (await request<Resolved>(`${node.url}/nodes/resolve`, { timeoutMs: 60_000 })).body;

t.test(
  "a real node refuses a peer's chain with a forged signature for that reason, and adopts it honest",
  async (t) => {
    const node = await startNode(["--chain", FILE, "--threads", "2"], { t });
    const before = (await request(`${node.url}/chain/tip`)).body;
    const liar = await peerOf(t, chain({ 3: { transfers: forge(5, 9) }, 4: { transfers: forge(1) } }));
    await request(`${node.url}/nodes/register`, { body: { nodes: [liar.url] } });
    const refused = await resolve(node);
    t.equal(refused.message, "Our chain is authoritative", "the forged chain is not adopted");
    t.match(refused.peers, [{ node: new URL(liar.url).host, verdict: "invalid" }]);
    t.equal(refused.peers[0]?.reason, badSignature(3, 5), "named by its first forged signature");
    t.same((await request(`${node.url}/chain/tip`)).body, before, "our chain is unchanged");
    const pages = liar.requests.filter((line) => line.startsWith("GET /chain?"));
    t.match(
      pages.slice(0, 2),
      [/^GET \/chain\?from=2&limit=4&/, /^GET \/chain\?from=3&limit=3&/],
      "read a block a page",
    );

    const honestChain = chain();
    const honest = await peerOf(t, honestChain);
    await request(`${node.url}/nodes/register`, { body: { nodes: [honest.url] } });
    const adopted = await resolve(node);
    t.equal(adopted.message, "Our chain was replaced");
    t.equal((await request<{ length: number }>(`${node.url}/chain/tip`)).body.length, 5);
    t.match(
      (await request(`${node.url}/accounts/${mark.address}`)).body,
      { balance: 2 * PER_BLOCK, nonce: 0 },
      "Mark holds the transfers",
    );
    t.match((await request(`${node.url}/accounts/${lea.address}`)).body, {
      balance: 4 * SUBSIDY - 2 * PER_BLOCK,
      nonce: 2 * PER_BLOCK,
    });
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    t.match(
      metrics,
      /^toychain_signatures_total\{on="workers"\} [1-9]/m,
      "/metrics counts the signatures the pool verified",
    );
  },
);

t.test("an announced chain with a forged signature is refused for that reason", async (t) => {
  const node = await startNode(["--chain", FILE, "--threads", "2", "--gossip"], { t });
  const blocks = chain({ 4: { transfers: forge(10) } });
  const liar = await peerOf(t, blocks);
  const tip = { length: blocks.length, hash: blockHash(blocks.at(-1) as Block), work: String(workOf(blocks)) };
  const announced = await request<{ outcome: string }>(`${node.url}/nodes/announce`, {
    body: { ...tip, chain: SPEC.id, url: liar.url },
  });
  t.equal(announced.body.outcome, "queued", "the announcement is queued for a sync");
  const failed = await node.waitForLog((line) => line.msg === "announced chain not usable", 60_000);
  t.equal(failed.reason, badSignature(4, 10), "the sync fails, naming the forged signature");
  t.equal((await request<{ length: number }>(`${node.url}/chain/tip`)).body.length, 1, "our chain is unchanged");
});

t.test("a node on the walkthrough's chain syncs without a signature batch", async (t) => {
  const [a, b] = await Promise.all([startNode(["--threads", "1"], { t }), startNode(["--threads", "1"], { t })]);
  for (let i = 0; i < 2; i++) await request(`${a.url}/mine`, { timeoutMs: 60_000 });
  await request(`${b.url}/nodes/register`, { body: { nodes: [a.url] } });
  t.equal((await resolve(b)).message, "Our chain was replaced", "b adopts a's chain");
  const metrics = await (await fetch(`${b.url}/metrics`)).text();
  const batches = metrics.split("\n").filter((line) => line.startsWith("toychain_signature_batches_total{"));
  t.same(batches, [
    'toychain_signature_batches_total{on="workers"} 0',
    'toychain_signature_batches_total{on="caller"} 0',
  ]);
});
