/**
 * npm run bench:page-steps -- [--transfers 10000] [--senders 1000] [--rounds 14] [--builds dir]
 *
 * The page worker's check of a peer's block, step by step, on this thread:
 * the steps of checkPage's early path (src/sync/range/page.ts) on the
 * block bench:ledger's block section checks (the same chain, kept under
 * --builds): UTF-8, JSON, the chain schema, the signatures' jobs written
 * in place (signatureJobsOf into a SignatureBatchBuilder), their batch
 * built, and the other rules (checkExtension, the signatures counted). The
 * median of each step over the rounds, after one to warm up. What it says
 * is where the worker's time goes: the block check's 2-versus-1 ratio is
 * bounded by it (README, "The accounts ledger's figures").
 */
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { checkExtension, MAX_BLOCK_TRANSACTIONS, signatureJobsOf } from "../src/chain/index.js";
import { checkChain } from "../src/schemas/validate.js";
import { SignatureBatchBuilder } from "../src/signatures/index.js";
import { DEFAULT_BUILDS, describeCheckout } from "./lib/commit-build.js";
import { table } from "./lib/table.js";
import { contextBefore, transferChain } from "./lib/transfer-chain.js";

const { values } = parseArgs({
  options: {
    transfers: { type: "string", default: String(MAX_BLOCK_TRANSACTIONS) },
    senders: { type: "string", default: "1000" },
    rounds: { type: "string", default: "14" },
    builds: { type: "string", default: DEFAULT_BUILDS },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log("Usage: npm run bench:page-steps -- [--transfers 10000] [--senders 1000] [--rounds 14] [--builds dir]");
  process.exit(0);
}
const transfers = Number(values.transfers);
const senders = Number(values.senders);
const rounds = Number(values.rounds);
if (![transfers, senders, rounds].every((n) => Number.isInteger(n) && n > 0) || transfers > MAX_BLOCK_TRANSACTIONS) {
  console.error(`--transfers (at most ${MAX_BLOCK_TRANSACTIONS}), --senders and --rounds take positive integers`);
  process.exit(2);
}

// The block section's chain: as many transfers again as senders fund, then the block.
const chain = transferChain({
  transfers: Math.min(senders, transfers) + transfers,
  perBlock: transfers,
  senders,
  dir: values.builds,
});
const height = chain.blocks.length;
const after = contextBefore(chain, height);
const bytes = Buffer.from(`{"chain":[${chain.blocks[height - 1]}],"length":${height}}`);
const decoder = new TextDecoder("utf-8", { fatal: true });
const builder = new SignatureBatchBuilder();

const STEPS = ["UTF-8", "JSON", "schema", "jobs", "batch", "other rules"] as const;
const times: number[][] = STEPS.map(() => []);
for (let round = 0; round <= rounds; round++) {
  const at = [performance.now()];
  const text = decoder.decode(bytes);
  at.push(performance.now());
  const body: unknown = JSON.parse(text);
  at.push(performance.now());
  const blocks = checkChain(body).chain;
  at.push(performance.now());
  signatureJobsOf(blocks, chain.spec, (publicKey, signature, message) => builder.add(publicKey, signature, message));
  at.push(performance.now());
  builder.build();
  at.push(performance.now());
  checkExtension(blocks, after, chain.spec, Date.now() / 1000, () => undefined);
  at.push(performance.now());
  // Round 0 warms the code up.
  if (round > 0) for (const [i, list] of times.entries()) list.push((at[i + 1] as number) - (at[i] as number));
}

const median = (list: readonly number[]): number => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};
console.log(
  `the page worker's steps on a block of ${transfers} signed transfers (${bytes.length} bytes), on this thread, medians of ${rounds} rounds`,
);
console.log(
  table(
    ["step", "ms"],
    [
      ...STEPS.map((step, i) => [step, median(times[i] as number[]).toFixed(1)]),
      [
        "the steps' medians, summed",
        times
          .map(median)
          .reduce((a, b) => a + b, 0)
          .toFixed(1),
      ],
    ],
  ),
);
console.log(`machine: ${cpus()[0]?.model ?? "unknown"}, Node ${process.version}; this build: ${describeCheckout()}`);
