import { checkAccountsBlock, type SignatureSink } from "./accounts.js";
import { InvalidChainError } from "./errors.js";
import { MAX_PROOF, REWARD_AMOUNT, REWARD_SENDER } from "./genesis.js";
import { blockHash, type EncodedBlock, encodeBlock, powHeader, proofMeetsTarget } from "./hash.js";
import { type NetworkRules, nextTarget } from "./spec.js";
import { checkTimestamp, MEDIAN_SPAN } from "./time.js";
import type { Block, Transaction } from "./types.js";

/**
 * The network's rules as pure functions: no I/O, no state, and the clock only
 * as an argument. Every check throws an InvalidChainError that names the
 * block and the rule.
 */

/** What a block is checked against besides its predecessor. */
export interface BlockContext {
  /** The timestamps of the blocks before it, oldest first, its predecessor's last (at least that one). */
  recent: readonly number[];
  /** The receiving node's clock, in seconds since the epoch: given for a peer's blocks, not for ours. */
  now?: number | undefined;
  /** The block's H (see powHeader), when it is already known. */
  header?: string;
  /**
   * On an accounts chain, whether to verify the transfers' signatures
   * (default true); false only where they were verified already, at their
   * admission to our mempool; a sink to leave them to the signature pool, as
   * a peer's pages do (see checkAccountsBlock).
   */
  signatures?: boolean | SignatureSink;
}

const NODE_ID = /^[0-9a-f]{32}$/;

export function isReward(tx: Transaction): boolean {
  return tx.sender === REWARD_SENDER;
}

export function rewardFor(nodeId: string): Transaction {
  return { sender: REWARD_SENDER, recipient: nodeId, amount: REWARD_AMOUNT };
}

/** Checks that `block` may follow `previous` (whose hash is `previousHash`). */
export function checkBlock(
  block: Block,
  previous: Pick<Block, "index">,
  previousHash: string,
  rules: NetworkRules,
  context: BlockContext,
): void {
  const at = block.index;
  if (block.index !== previous.index + 1) {
    throw new InvalidChainError(`index ${block.index} does not follow ${previous.index}`, at);
  }
  if (block.previous_hash !== previousHash) {
    throw new InvalidChainError(`previous_hash ${block.previous_hash} is not the hash of block ${previous.index}`, at);
  }
  checkTimestamp(block, context.recent, rules, context.now);
  if (!Number.isInteger(block.proof) || block.proof < 0 || block.proof > MAX_PROOF) {
    throw new InvalidChainError(`proof ${block.proof} is not an integer from 0 to 2^53-1`, at);
  }
  const parent = { index: previous.index, timestamp: context.recent[context.recent.length - 1] as number };
  const target = requiredTarget(block, parent, rules);
  if (!proofMeetsTarget(context.header ?? powHeader(block), block.proof, target)) {
    const what =
      rules.pow.kind === "fixed" ? `${rules.pow.difficulty} leading zero bits` : `the target of bits ${block.bits}`;
    throw new InvalidChainError(`proof ${block.proof} does not reach ${what}`, at);
  }
  if (rules.ledger.kind === "accounts") checkAccountsBlock(block, rules, { signatures: context.signatures ?? true });
  else checkNamesBlock(block);
}

/**
 * The target `block`'s proof must reach: the walkthrough chain's fixed one,
 * whose blocks state none; or the one its bits state, which must be what
 * aserti3-2d sets after its parent.
 */
function requiredTarget(block: Block, parent: Pick<Block, "index" | "timestamp">, rules: NetworkRules): bigint {
  const expected = nextTarget(rules, parent);
  if (block.bits === expected.bits) return expected.target;
  if (expected.bits === undefined) {
    throw new InvalidChainError(
      `bits ${block.bits}: this chain's blocks state no target, its difficulty is fixed`,
      block.index,
    );
  }
  if (block.bits === undefined) {
    throw new InvalidChainError("it states no bits: every block of this chain states its target", block.index);
  }
  throw new InvalidChainError(
    `bits ${block.bits} are not ${expected.bits}, the target aserti3-2d sets after block ${parent.index}`,
    block.index,
  );
}

/** The walkthrough's transactions: names and amounts, then a reward of REWARD_AMOUNT to a node id. */
function checkNamesBlock(block: Block): void {
  const txs = block.transactions;
  if (txs.some((tx) => tx.fee !== undefined || tx.nonce !== undefined || tx.signature !== undefined)) {
    throw new InvalidChainError(
      "its transactions have a fee, nonce or signature: this chain's ledger is names, whose transactions have none",
      block.index,
    );
  }
  const reward = txs[txs.length - 1];
  if (reward === undefined || !isReward(reward)) {
    throw new InvalidChainError("the last transaction must be the mining reward", block.index);
  }
  if (reward.amount !== REWARD_AMOUNT || !NODE_ID.test(reward.recipient)) {
    throw new InvalidChainError(
      `the reward must pay ${REWARD_AMOUNT} to a 32-hex-digit node id, not ${reward.amount} to ${reward.recipient}`,
      block.index,
    );
  }
  if (txs.slice(0, -1).some(isReward)) {
    throw new InvalidChainError(`only the last transaction may come from sender "${REWARD_SENDER}"`, block.index);
  }
}

/**
 * Validates a whole chain: our genesis, then every link, timestamp, proof and
 * reward; `now` (a peer's chain) also refuses blocks dated too far ahead.
 * Returns the hash of every block, which callers keep instead of rehashing.
 */
export function validateChain(blocks: readonly Block[], rules: NetworkRules, now?: number): string[] {
  return [checkGenesis(blocks, rules), ...checkSegment(blocks, rules, { now })];
}

/** Checks that a chain starts with this network's genesis; returns the genesis hash. */
export function checkGenesis(blocks: readonly Block[], rules: NetworkRules): string {
  const [first] = blocks;
  if (first === undefined) throw new InvalidChainError("the chain is empty");
  const hash = blockHash(first);
  if (hash !== blockHash(rules.genesis)) {
    throw new InvalidChainError("the genesis block differs from this network's", first.index);
  }
  return hash;
}

/** Where a segment sits in its chain. */
export interface SegmentContext {
  /** The timestamps of up to MEDIAN_SPAN - 1 blocks before the segment's first, oldest first. */
  before?: readonly number[];
  now?: number | undefined;
}

/**
 * Checks every block of `blocks` but the first against its predecessor; the
 * first is taken as already checked. Returns the hashes of the checked blocks.
 * Independent segments of one chain can be checked in parallel this way.
 */
export function checkSegment(
  blocks: readonly Block[],
  rules: NetworkRules,
  { before = [], now }: SegmentContext = {},
): string[] {
  const hashes: string[] = [];
  const first = blocks[0];
  if (first === undefined) return hashes;
  const recent = [...before.slice(1 - MEDIAN_SPAN), first.timestamp];
  let previousHash = blocks.length > 1 ? blockHash(first) : "";
  for (let i = 1; i < blocks.length; i++) {
    const block = blocks[i] as Block;
    checkBlock(block, blocks[i - 1] as Block, previousHash, rules, { recent, now });
    previousHash = blockHash(block);
    hashes.push(previousHash);
    recent.push(block.timestamp);
    if (recent.length > MEDIAN_SPAN) recent.shift();
  }
  return hashes;
}

/** The block a run of blocks extends: its height, its hash, and the timestamps up to it. */
export interface TipContext {
  height: number;
  hash: string;
  /** The timestamps of up to MEDIAN_SPAN blocks up to it, oldest first, its own last. */
  recent: readonly number[];
}

/**
 * Checks that `blocks` extend the block `tip` describes, one after another,
 * against every rule, the transfers' signatures given to `signatures`
 * instead when it is a sink; `now` refuses blocks dated too far ahead.
 * Returns each block's canonical JSON (in parts) and hash, and the context
 * of the last one, for the run that follows it.
 */
export function checkExtension(
  blocks: readonly Block[],
  tip: TipContext,
  rules: NetworkRules,
  now: number | undefined,
  signatures: boolean | SignatureSink = true,
): { encoded: EncodedBlock[]; tip: TipContext } {
  const encoded: EncodedBlock[] = [];
  const recent = tip.recent.slice(-MEDIAN_SPAN);
  let previous: Pick<Block, "index"> = { index: tip.height };
  let previousHash = tip.hash;
  for (const block of blocks) {
    const encoding = encodeBlock(block);
    checkBlock(block, previous, previousHash, rules, { recent, now, header: encoding.header, signatures });
    encoded.push(encoding);
    previousHash = encoding.hash;
    previous = block;
    recent.push(block.timestamp);
    if (recent.length > MEDIAN_SPAN) recent.shift();
  }
  return { encoded, tip: { height: previous.index, hash: previousHash, recent } };
}

/** Block hashes by position: an array, or a HashIndex. */
export interface HashList {
  readonly length: number;
  at(position: number): string | undefined;
}
