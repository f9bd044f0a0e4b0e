import {
  type Block,
  blockHash,
  type ChainSpec,
  chainWork,
  nextTarget,
  powHeader,
  proofMeetsTarget,
  rewardFor,
  type Transaction,
  targetFromBits,
} from "../../src/chain/index.js";

/**
 * Blocks of a retargeting chain, made in a test: mined by brute force on a
 * spec whose targets are easy, so that a test can build the chains its peers
 * serve, honest or not.
 */

/** The target that compact bits in 8 hex digits state. */
export const targetOfBits = (bits: string): bigint => targetFromBits(Number.parseInt(bits, 16));

/** A chain's work, from the bits its blocks state (each must state them). */
export const workOf = (chain: readonly Block[]): bigint =>
  chainWork(chain.map((block) => targetOfBits(block.bits as string)));

/** `template` with the first proof whose hash reaches `target`. */
export function withProof(template: Omit<Block, "proof">, target: bigint): Block {
  const header = powHeader(template);
  let proof = 0;
  while (!proofMeetsTarget(header, proof, target)) proof++;
  return { ...template, proof };
}

/** A block on `parent` holding `transactions`, dated `step` seconds after it, mined at the target `spec` sets. */
export function mineOn(spec: ChainSpec, parent: Block, transactions: Transaction[], step: number): Block {
  const { target, bits } = nextTarget(spec, parent);
  const template = {
    index: parent.index + 1,
    timestamp: parent.timestamp + step,
    transactions,
    previous_hash: blockHash(parent),
    bits: bits as string,
  };
  return withProof(template, target);
}

/** `chain` and `count` blocks mined on its last, each dated `step` seconds after its parent, at the targets `spec` sets, paying `miner`. */
export function extendChain(
  spec: ChainSpec,
  chain: readonly Block[],
  count: number,
  step: number,
  miner: string,
): Block[] {
  const blocks = [...chain];
  for (let i = 0; i < count; i++)
    blocks.push(mineOn(spec, blocks[blocks.length - 1] as Block, [rewardFor(miner)], step));
  return blocks;
}
