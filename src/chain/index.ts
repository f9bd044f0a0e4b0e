export { Chain, type Reorg } from "./chain.js";
export { InvalidChainError, StaleBlockError } from "./errors.js";
export { GENESIS, MAX_PROOF, REWARD_AMOUNT, REWARD_SENDER } from "./genesis.js";
export { blockHash, canonicalJson, leadingZeroBits, meetsDifficulty, powHeader, proofHash, sha256Hex } from "./hash.js";
export { checkBlock, checkGenesis, checkSegment, forkPoint, isReward, rewardFor, validateChain } from "./rules.js";
export type { Block, BlockTemplate, NetworkRules, Transaction } from "./types.js";
