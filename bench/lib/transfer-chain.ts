import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Block,
  blockHash,
  type ChainSpec,
  feesOf,
  MEDIAN_SPAN,
  newChainSpec,
  nextTarget,
  powHeader,
  proofMeetsTarget,
  specFromFile,
  type TipContext,
  type Transaction,
} from "../../src/chain/index.js";
import { encodeAddress, generateKeyPair, signer, signingMessage } from "../../src/keys/index.js";

/**
 * An accounts chain of signed transfers for the benches, built once and
 * kept on disk (it takes about as long as its signatures, some 50 µs each):
 * a spec with the easiest target compact bits allow (0x207fffff, about 2
 * hashes a block) and blocks 600 s apart, its genesis dated so that the
 * last is an instant ago, so that every block stays at that target. Block
 * 2 pays the reward to a bank, block 3 holds the bank's transfers to each
 * sender, then blocks of `perBlock` transfers: the senders in turn, each
 * paying 1 and a fee of 1 to the next sender. `transfers` counts them all,
 * the bank's included.
 */

export interface TransferChainOptions {
  transfers: number;
  perBlock: number;
  senders: number;
  /** Where chains are kept between runs, one directory each. */
  dir: string;
}

export interface TransferChain {
  specFile: string;
  spec: ChainSpec;
  /** Every block's JSON, the genesis first. */
  blocks: Buffer[];
  transfers: number;
  senders: number;
  /** Whether an earlier run's chain was used as it was. */
  reused: boolean;
}

const BLOCK_SECONDS = 600;
const SUBSIDY = 1_000_000_000_000;
/** Written once a chain is whole: a directory without it is built again. */
const BUILT = "built";

/** The chain these options describe, from `dir` or built there; progress goes to stderr. */
export function transferChain({ transfers, perBlock, senders, dir }: TransferChainOptions): TransferChain {
  const count = Math.max(1, Math.min(senders, transfers));
  const home = join(dir, `signed-chain-v1-${transfers}-${perBlock}-${count}`);
  const specFile = join(home, "spec.json");
  const lines = join(home, "blocks.jsonl");
  const reused = existsSync(join(home, BUILT));
  if (!reused) {
    rmSync(home, { recursive: true, force: true });
    mkdirSync(home, { recursive: true });
    build(transfers, perBlock, count, specFile, lines);
    writeFileSync(join(home, BUILT), "");
  }
  const spec = specFromFile(JSON.parse(readFileSync(specFile, "utf8")));
  const text = readFileSync(lines);
  const blocks: Buffer[] = [Buffer.from(JSON.stringify(spec.genesis))];
  for (let start = 0; start < text.length; ) {
    const end = text.indexOf(10, start);
    blocks.push(text.subarray(start, end));
    start = end + 1;
  }
  return { specFile, spec, blocks, transfers, senders: count, reused };
}

interface Account {
  address: string;
  sign: (message: Uint8Array) => Uint8Array;
  nonce: number;
}

function account(prefix: string): Account {
  const { publicKey, secretKey } = generateKeyPair();
  return { address: encodeAddress(prefix, publicKey), sign: signer(secretKey), nonce: 0 };
}

function build(transfers: number, perBlock: number, count: number, specFile: string, lines: string): void {
  const blockCount = 3 + Math.ceil((transfers - count) / perBlock);
  const file = newChainSpec({
    name: "bench-signed",
    blockTime: BLOCK_SECONDS,
    hashesPerSecond: 1e-9,
    now: Math.floor(Date.now() / 1000) - blockCount * BLOCK_SECONDS,
    ledger: "accounts",
    reward: SUBSIDY,
    powLimit: 0x207fffff,
  });
  writeFileSync(specFile, `${JSON.stringify(file, null, 2)}\n`);
  const spec = specFromFile(file);
  const prefix = spec.ledger.kind === "accounts" ? spec.ledger.prefix : "";
  const bank = account(prefix);
  const senders = Array.from({ length: count }, () => account(prefix));
  const pay = (from: Account, to: Account, amount: number, fee: number): Transaction => {
    from.nonce++;
    const tx = { sender: from.address, recipient: to.address, amount, fee, nonce: from.nonce };
    return { ...tx, signature: Buffer.from(from.sign(signingMessage(spec.id, tx))).toString("hex") };
  };
  let parent = spec.genesis;
  const append = (transactions: Transaction[]): void => {
    const { target, bits } = nextTarget(spec, parent);
    const reward = { sender: "0", recipient: bank.address, amount: SUBSIDY + Number(feesOf(transactions)) };
    const template = {
      index: parent.index + 1,
      timestamp: parent.timestamp + BLOCK_SECONDS,
      transactions: [...transactions, reward],
      previous_hash: blockHash(parent),
      bits: bits as string,
    };
    const header = powHeader(template);
    let proof = 0;
    while (!proofMeetsTarget(header, proof, target)) proof++;
    const block: Block = { ...template, proof };
    appendFileSync(lines, `${JSON.stringify(block)}\n`);
    parent = block;
  };
  const started = performance.now();
  append([]);
  append(senders.map((sender) => pay(bank, sender, Math.floor(SUBSIDY / count), 0)));
  let left = transfers - count;
  let turn = 0;
  while (left > 0) {
    const size = Math.min(perBlock, left);
    const block = Array.from({ length: size }, () => {
      const i = turn++ % count;
      return pay(senders[i] as Account, senders[(i + 1) % count] as Account, 1, 1);
    });
    append(block);
    left -= size;
    process.stderr.write(`  ${transfers - left} of ${transfers} transfers signed\r`);
  }
  process.stderr.write(
    `\nbuilt a chain of ${transfers} signed transfers from ${count} senders in ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
  );
}

const parseBlock = (chain: TransferChain, height: number): Block =>
  JSON.parse((chain.blocks[height - 1] as Buffer).toString("utf8")) as Block;

/** The context a block at `height` of `chain` extends: its parent, and the timestamps up to it. */
export function contextBefore(chain: TransferChain, height: number): TipContext {
  const recent: number[] = [];
  for (let h = Math.max(1, height - MEDIAN_SPAN); h < height; h++) recent.push(parseBlock(chain, h).timestamp);
  return { height: height - 1, hash: blockHash(parseBlock(chain, height - 1)), recent };
}
