/**
 * npm run bench:validate -- [--blocks 20000] [--transactions 10] [--threads N]
 *
 * How long checking a whole stored chain takes (--check-blocks all): validateChain on the main
 * thread against MinerPool.checkSegment, which splits a long chain into one
 * segment per worker (what the node does from PARALLEL_VALIDATION_MIN blocks).
 */
import { availableParallelism, cpus } from "node:os";
import { parseArgs } from "node:util";
import {
  type Block,
  blockHash,
  GENESIS,
  meetsDifficulty,
  type NetworkRules,
  powHeader,
  rewardFor,
  validateChain,
  walkthroughSpec,
} from "../src/chain/index.js";
import { MinerPool, PARALLEL_VALIDATION_MIN } from "../src/mining/index.js";
import { table } from "./lib/table.js";

const { values } = parseArgs({
  options: {
    blocks: { type: "string", default: "20000" },
    transactions: { type: "string", default: "10" },
    threads: { type: "string", default: String(availableParallelism()) },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log("Usage: npm run bench:validate -- [--blocks 20000] [--transactions 10] [--threads N]");
  process.exit(0);
}
const DIFFICULTY = 1;
const rules: NetworkRules = walkthroughSpec(DIFFICULTY);
const count = Number(values.blocks);
const perBlock = Number(values.transactions);
const threads = Number(values.threads);

process.stderr.write(`building a chain of ${count} blocks with ${perBlock} transactions each...\n`);
const blocks: Block[] = [GENESIS];
for (let index = 2; index <= count; index++) {
  const previous = blocks[blocks.length - 1] as Block;
  const transactions = Array.from({ length: perBlock }, (_, i) => ({
    sender: `s${i}`,
    recipient: `r${index}`,
    amount: i + 1,
  }));
  const template = {
    index,
    timestamp: 1_700_000_000 + index,
    transactions: [...transactions, rewardFor("a".repeat(32))],
    previous_hash: blockHash(previous),
  };
  const header = powHeader(template);
  let proof = 0;
  while (!meetsDifficulty(header, proof, DIFFICULTY)) proof++;
  blocks.push({ ...template, proof });
}

const time = async (run: () => unknown): Promise<number> => {
  const started = performance.now();
  await run();
  return performance.now() - started;
};
const pool = new MinerPool(threads);
await pool.warmUp();
const rows: string[][] = [];
for (let round = 1; round <= 3; round++) {
  const main = await time(() => validateChain(blocks, rules));
  const pooled = await time(() => pool.checkSegment(blocks, [], rules));
  rows.push([String(round), main.toFixed(0), pooled.toFixed(0), `${(main / pooled).toFixed(2)}x`]);
}
await pool.close();
console.log(`machine: ${cpus()[0]?.model}, ${availableParallelism()} cores, Node ${process.version}`);
console.log(
  `${count} blocks, ${perBlock + 1} transactions each; the pool is used from ${PARALLEL_VALIDATION_MIN} blocks`,
);
console.log(table(["round", "main thread ms", `pool (${threads} threads) ms`, "speedup"], rows));
