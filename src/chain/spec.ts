import { type AsertAnchor, type AsertParams, genesisAnchor, nextBits, retargetFutureLimit } from "./asert.js";
import { ChainSpecError } from "./errors.js";
import { GENESIS, REWARD_AMOUNT } from "./genesis.js";
import { blockHash, sha256Hex } from "./hash.js";
import { encodeBits, HASH_SPACE, targetForLeadingZeroBits, targetFromBits } from "./target.js";
import { MAX_FUTURE_SECONDS } from "./time.js";
import type { Block } from "./types.js";

/**
 * A chain spec: everything the nodes of one network must share. Two kinds:
 *
 * - fixed: the walkthrough's chain, the seed's genesis and a target of d
 *   leading zero bits that never changes (`--difficulty`);
 * - asert: a chain of its own, made by `toychain chain new`, whose genesis
 *   states the initial target and whose every block states the target that
 *   aserti3-2d computes from the genesis (the anchor) and the block's parent.
 *
 * An asert chain's genesis commits to every parameter: its previous_hash is
 * the SHA-256 of the parameters' canonical JSON, so the genesis hash, the
 * chain's id, changes with any of them.
 */

/** The spec file's format, which a file names so that a later one can be told apart. */
export const SPEC_FORMAT = "toychain-chain/1";

/** The easiest target an asert chain allows: compact 0x1f00ffff, about 2^240 (2^16 hashes a block). */
export const DEFAULT_POW_LIMIT_BITS = 0x1f00ffff;
/** The half-life, in spacings, when `chain new` is not given one: 10 minutes for 10-second blocks. */
export const DEFAULT_HALF_LIFE_SPACINGS = 60;

/**
 * What a chain's transactions are:
 *
 * - names: the walkthrough's, a sender and a recipient named by anyone, with
 *   nothing checked of who pays or what they hold;
 * - accounts: transfers between bech32m addresses of Ed25519 keys, signed
 *   by the sender, with a fee and the sender's nonce; balances never go below
 *   zero, and a block's reward is its subsidy plus its fees.
 */
export const LEDGER_KINDS = ["names", "accounts"] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

/** The human-readable part of an accounts chain's addresses, when `chain new` is not given one: toy1... */
export const DEFAULT_ADDRESS_PREFIX = "toy";
/** A bech32 prefix as we allow it: lowercase letters, short enough to leave the address readable. */
export const ADDRESS_PREFIX_PATTERN = "^[a-z]{1,16}$";

/** A chain's ledger as the node applies it. */
export type Ledger = { kind: "names" } | { kind: "accounts"; prefix: string };

/** What a spec file holds besides its genesis: the parameters the genesis commits to. */
export interface ChainParams {
  format: typeof SPEC_FORMAT;
  name: string;
  /** The target spacing between blocks, in whole seconds. */
  blockTime: number;
  /** The seconds behind (ahead of) schedule that double (halve) the target. */
  halfLife: number;
  /** The easiest target, as compact bits in 8 hex digits. */
  powLimit: string;
  /** Coins the block's reward creates (on an accounts chain, its subsidy: the block's fees come on top), in the smallest unit. */
  reward: number;
  timestamps: TimestampRules;
  /** The ledger (absent in specs made before ledgers: names). */
  ledger?: LedgerKind;
  /** The prefix of an accounts chain's addresses; absent on a names chain. */
  addressPrefix?: string;
}

/** The timestamp rules of an asert chain. */
export interface TimestampRules {
  /** A block is later than the median of this many blocks before it: always 11, Bitcoin's rule. */
  medianOf: number;
  /** How far ahead of a receiving node's clock a block may be dated. */
  maxFutureSeconds: number;
  /** Timestamps are whole seconds, as ASERT reads them. */
  wholeSeconds: boolean;
}

/** A spec file: its parameters and the genesis that commits to them. */
export interface ChainSpecFile extends ChainParams {
  genesis: Block;
}

/** How the target of each block is set. */
export type PowRule =
  | { kind: "fixed"; difficulty: number; target: bigint }
  | { kind: "asert"; params: AsertParams; anchor: AsertAnchor };

/** A chain's rules as the node applies them. */
export interface ChainSpec {
  name: string;
  /** The genesis hash, which names the chain. */
  id: string;
  genesis: Block;
  pow: PowRule;
  reward: number;
  ledger: Ledger;
  /** How far ahead of the receiving node's clock a peer's block may be dated. */
  maxFutureSeconds: number;
  /** Timestamps must be whole seconds. */
  wholeSeconds: boolean;
  /** The spec file it came from, for a chain that has one. */
  file?: ChainSpecFile;
}

/** The parameters every node of one network shares: its chain spec. */
export type NetworkRules = ChainSpec;

/** The walkthrough's chain: the seed's genesis at a fixed difficulty. */
export function walkthroughSpec(difficulty: number): ChainSpec {
  return {
    name: "walkthrough",
    id: blockHash(GENESIS),
    genesis: GENESIS,
    pow: { kind: "fixed", difficulty, target: targetForLeadingZeroBits(difficulty) },
    reward: REWARD_AMOUNT,
    ledger: { kind: "names" },
    maxFutureSeconds: MAX_FUTURE_SECONDS,
    wholeSeconds: false,
  };
}

/** RFC 8785 JSON of the parameters: sorted keys; their values are integers, booleans and well-formed strings. */
function canonicalParams(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalParams(item)}`).join(",")}}`;
}

/** The previous_hash an asert chain's genesis must name: the hash of its parameters. */
export function paramsHash(file: ChainParams): string {
  const { format, name, blockTime, halfLife, powLimit, reward, timestamps, ledger, addressPrefix } = file;
  return sha256Hex(
    canonicalParams({
      format,
      name,
      blockTime,
      halfLife,
      powLimit,
      reward,
      timestamps,
      // Absent, not null: a spec made before ledgers keeps its id.
      ...(ledger === undefined ? {} : { ledger }),
      ...(addressPrefix === undefined ? {} : { addressPrefix }),
    }),
  );
}

export const bitsHex = (bits: number): string => bits.toString(16).padStart(8, "0");

/** What `chain new` is given. */
export interface NewChainOptions {
  name: string;
  blockTime: number;
  halfLife?: number;
  /** The hash rate the initial target is set for: one block every blockTime seconds at this rate. */
  hashesPerSecond: number;
  /** Seconds since the epoch: the genesis' date. */
  now: number;
  /**
   * The easiest target, as compact bits (default DEFAULT_POW_LIMIT_BITS), or
   * "initial": the initial target itself, so that the chain never gets easier
   * than it starts. That suits a spec kept for long (devnet): ASERT's schedule
   * counts from the genesis, so a chain first mined long after its genesis is
   * far behind schedule and would mine at its easiest target, as fast as the
   * median rule lets whole-second timestamps go (about 6 blocks a second),
   * until it caught up.
   */
  powLimit?: number | "initial";
  /**
   * The ledger (default names, as a spec file without one; `toychain chain
   * new` asks for accounts unless told --ledger names) and, for accounts,
   * the addresses' prefix (default DEFAULT_ADDRESS_PREFIX).
   */
  ledger?: LedgerKind;
  addressPrefix?: string;
  /** Coins a block's reward creates (default REWARD_AMOUNT). */
  reward?: number;
}

/**
 * The initial target: one block every `blockTime` seconds at `hashesPerSecond`
 * (2^256 / (rate x time) - 1), within 1..powLimit. Not consensus: the rate is
 * a measurement; once written into the genesis, the target is.
 */
export function initialTarget(hashesPerSecond: number, blockTime: number, powLimit: bigint): bigint {
  const hashes = BigInt(Math.max(1, Math.round(hashesPerSecond * blockTime)));
  const target = HASH_SPACE / hashes - 1n;
  return target < 1n ? 1n : target > powLimit ? powLimit : target;
}

/** A new asert chain's spec file, with its genesis dated `now`. */
export function newChainSpec(options: NewChainOptions): ChainSpecFile {
  const halfLife = options.halfLife ?? options.blockTime * DEFAULT_HALF_LIFE_SPACINGS;
  const limitBits = typeof options.powLimit === "number" ? options.powLimit : DEFAULT_POW_LIMIT_BITS;
  const target = initialTarget(options.hashesPerSecond, options.blockTime, targetFromBits(limitBits));
  const bits = bitsHex(encodeBits(target));
  const params: ChainParams = {
    format: SPEC_FORMAT,
    name: options.name,
    blockTime: options.blockTime,
    halfLife,
    powLimit: options.powLimit === "initial" ? bits : bitsHex(limitBits),
    reward: options.reward ?? REWARD_AMOUNT,
    timestamps: {
      medianOf: 11,
      maxFutureSeconds: Number(retargetFutureLimit(BigInt(halfLife))),
      wholeSeconds: true,
    },
    ...(options.ledger === "accounts"
      ? { ledger: "accounts", addressPrefix: options.addressPrefix ?? DEFAULT_ADDRESS_PREFIX }
      : { ledger: "names" }),
  };
  const genesis: Block = {
    index: 1,
    timestamp: Math.floor(options.now),
    transactions: [],
    proof: 0,
    previous_hash: paramsHash(params),
    bits,
  };
  return { ...params, genesis };
}

/**
 * The rules of a spec file whose shape the schema has checked: its genesis
 * must commit to its parameters, and its numbers must make a chain.
 */
export function specFromFile(file: ChainSpecFile): ChainSpec {
  const fail = (why: string): never => {
    throw new ChainSpecError(file.name, why);
  };
  const { genesis, timestamps } = file;
  if (genesis.index !== 1 || genesis.transactions.length > 0 || genesis.bits === undefined) {
    fail("its genesis must be block 1, with no transactions, stating its bits");
  }
  if (genesis.previous_hash !== paramsHash(file)) {
    fail(
      `its genesis names previous_hash ${genesis.previous_hash}, not ${paramsHash(file)}, the hash of its parameters`,
    );
  }
  if (timestamps.medianOf !== 11 || !timestamps.wholeSeconds) {
    fail("its timestamps must be whole seconds, later than the median of the 11 blocks before");
  }
  if (timestamps.maxFutureSeconds > retargetFutureLimit(BigInt(file.halfLife))) {
    fail(
      `timestamps.maxFutureSeconds ${timestamps.maxFutureSeconds} is past a 24th of the half-life (${retargetFutureLimit(BigInt(file.halfLife))})`,
    );
  }
  const ledger: Ledger =
    file.ledger === "accounts"
      ? { kind: "accounts", prefix: file.addressPrefix ?? fail("an accounts ledger needs its addressPrefix") }
      : { kind: "names" };
  if (ledger.kind === "names" && file.addressPrefix !== undefined) {
    fail("addressPrefix is for an accounts ledger: a names ledger has no addresses");
  }
  if (!Number.isInteger(genesis.timestamp)) fail(`its genesis timestamp ${genesis.timestamp} is not whole seconds`);
  const decode = (what: string, bits: string): bigint => {
    try {
      return targetFromBits(Number.parseInt(bits, 16));
    } catch (error) {
      return fail(`its ${what}: ${(error as Error).message}`);
    }
  };
  const powLimit = decode("powLimit", file.powLimit);
  const target = decode("genesis bits", String(genesis.bits));
  if (target > powLimit) fail(`its genesis bits ${genesis.bits} are easier than its powLimit ${file.powLimit}`);
  return {
    name: file.name,
    id: blockHash(genesis),
    genesis,
    pow: {
      kind: "asert",
      params: { spacing: BigInt(file.blockTime), halfLife: BigInt(file.halfLife), powLimit },
      anchor: genesisAnchor({ height: BigInt(genesis.index), time: BigInt(genesis.timestamp), target }),
    },
    reward: file.reward,
    ledger,
    maxFutureSeconds: timestamps.maxFutureSeconds,
    wholeSeconds: true,
    file,
  };
}

/** What the block after `parent` must reach: its target, and the bits it states (none on a fixed chain). */
export interface NextTarget {
  target: bigint;
  bits?: string;
}

/** The target of the block after `parent`: the fixed one, or the one aserti3-2d sets from the genesis and `parent`. */
export function nextTarget(spec: ChainSpec, parent: Pick<Block, "index" | "timestamp">): NextTarget {
  if (spec.pow.kind === "fixed") return { target: spec.pow.target };
  const bits = nextBits(spec.pow.params, spec.pow.anchor, {
    height: BigInt(parent.index),
    time: BigInt(parent.timestamp),
  });
  return { target: targetFromBits(bits), bits: bitsHex(bits) };
}
