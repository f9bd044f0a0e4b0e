export {
  type Account,
  type BlockDelta,
  checkAccountsBlock,
  connectBlock,
  EMPTY_ACCOUNT,
  feesOf,
  type SignaturePartsSink,
  type SignatureSink,
  signatureJobsOf,
  signatureRefusal,
  touchedAddresses,
  transfersOf,
} from "./accounts.js";
export {
  type AsertAnchor,
  type AsertParams,
  type AsertParent,
  calculateAsert,
  FUTURE_LIMIT_DIVISOR,
  genesisAnchor,
  nextBits,
  retargetFutureLimit,
} from "./asert.js";
export { type Adoption, Chain, type ChainState } from "./chain.js";
export { type ChainMeasure, compareChains, impossibleClaim, isBetter } from "./choice.js";
export {
  ChainSpecError,
  FutureBlockError,
  InvalidBitsError,
  InvalidChainError,
  NoCommonBlockError,
  StaleBlockError,
  UnknownBlockError,
} from "./errors.js";
export { GENESIS, MAX_BLOCK_TRANSACTIONS, MAX_PROOF, REWARD_AMOUNT, REWARD_SENDER } from "./genesis.js";
export {
  blockHash,
  canonicalJson,
  leadingZeroBits,
  meetsDifficulty,
  powHeader,
  proofHash,
  proofMeetsTarget,
  sha256Hex,
  transactionJson,
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
export {
  ADDRESS_PREFIX_PATTERN,
  bitsHex,
  type ChainParams,
  type ChainSpec,
  type ChainSpecFile,
  DEFAULT_ADDRESS_PREFIX,
  DEFAULT_HALF_LIFE_SPACINGS,
  DEFAULT_POW_LIMIT_BITS,
  initialTarget,
  LEDGER_KINDS,
  type Ledger,
  type LedgerKind,
  type NetworkRules,
  type NewChainOptions,
  type NextTarget,
  newChainSpec,
  nextTarget,
  type PowRule,
  paramsHash,
  SPEC_FORMAT,
  specFromFile,
  type TimestampRules,
  walkthroughSpec,
} from "./spec.js";
export {
  type DecodedBits,
  decodeBits,
  encodeBits,
  HASH_SPACE,
  hashValue,
  leadingZeroBitsOf,
  MAX_TARGET,
  meetsTarget,
  targetForLeadingZeroBits,
  targetFromBits,
  targetToBytes,
} from "./target.js";
export { MAX_FUTURE_SECONDS, MEDIAN_SPAN, medianTime, nextTimestamp, type TimeRules } from "./time.js";
export type { Block, BlockTemplate, NamedTransaction, Transaction } from "./types.js";
export { blockWork, chainWork, compareWork, formatWork, outworks, targetForWork } from "./work.js";
export { WorkIndex } from "./work-index.js";
