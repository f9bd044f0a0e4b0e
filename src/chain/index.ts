export { type Adoption, Chain, type ChainState } from "./chain.js";
export { type ChainMeasure, compareChains, isBetter } from "./choice.js";
export { FutureBlockError, InvalidChainError, NoCommonBlockError, StaleBlockError } from "./errors.js";
export { GENESIS, MAX_BLOCK_TRANSACTIONS, MAX_PROOF, REWARD_AMOUNT, REWARD_SENDER } from "./genesis.js";
export {
  blockHash,
  canonicalJson,
  leadingZeroBits,
  meetsDifficulty,
  powHeader,
  proofHash,
  sha256Hex,
} from "./hash.js";
export { HashIndex } from "./hash-index.js";
export {
  type BlockContext,
  checkBlock,
  checkExtension,
  checkGenesis,
  checkSegment,
  type HashList,
  isReward,
  rewardFor,
  type SegmentContext,
  type TipContext,
  validateChain,
} from "./rules.js";
export { MAX_FUTURE_SECONDS, MEDIAN_SPAN, medianTime, nextTimestamp } from "./time.js";
export type { Block, BlockTemplate, NetworkRules, Transaction } from "./types.js";
