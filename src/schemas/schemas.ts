import type { JSONSchemaType } from "ajv";
import { MAX_BLOCK_TRANSACTIONS } from "../chain/genesis.js";
import { ADDRESS_PREFIX_PATTERN, type ChainSpecFile, LEDGER_KINDS, SPEC_FORMAT } from "../chain/spec.js";
import type { Block, NamedTransaction, Transaction } from "../chain/types.js";
import type { SignedTransaction } from "../keys/index.js";
import { HISTORY_CURSOR_PATTERN } from "../ledger/interface.js";

/**
 * Every payload's schema, in one place: the API validates requests with them,
 * consensus checks peers' data with them, and the OpenAPI document is built
 * from them.
 */

export const MAX_NAME_LENGTH = 256;
export const MAX_NODES_PER_REQUEST = 100;
/** 9999-12-31T23:59:59Z: a block's timestamp is a date a person could write. */
const LAST_TIMESTAMP = 253_402_300_799;
/**
 * The format of every string a request or a peer brings: well-formed Unicode,
 * with no unpaired UTF-16 surrogate, which RFC 8785 cannot canonicalize
 * (section 3.2.2.2), so that every implementation hashes the same bytes.
 */
export const WELL_FORMED = "well-formed";

const name = (what: string) =>
  ({
    type: "string",
    minLength: 1,
    maxLength: MAX_NAME_LENGTH,
    format: WELL_FORMED,
    description: what,
  }) as const;

/**
 * An optional field's schema as JSONSchemaType types it: it wants `nullable`
 * on optional fields, which would let a null through where the field must be
 * absent or a value (see chainQuerySchema).
 */
export const optional = <T extends object>(schema: T) => schema as T & { nullable: true };

/** The walkthrough's three fields, which every transaction has. */
const namedProperties = {
  sender: name('Who pays; "0" is reserved for mining rewards'),
  recipient: name("Who is paid"),
  amount: {
    type: "number",
    exclusiveMinimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    description:
      "How much: above 0, at most 2^53-1, and written with no more significant digits than a double keeps (it is refused, not rounded)",
  },
} as const;

export const transactionSchema: JSONSchemaType<NamedTransaction> = {
  $id: "Transaction",
  type: "object",
  required: ["sender", "recipient", "amount"],
  additionalProperties: false,
  properties: namedProperties,
  examples: [{ sender: "Lea", recipient: "Mark", amount: 10 }],
};

/** A transfer's signature: Ed25519, 64 bytes in 128 lowercase hex digits. */
export const SIGNATURE_PATTERN = "^[0-9a-f]{128}$";

const fee = {
  type: "integer",
  minimum: 0,
  maximum: Number.MAX_SAFE_INTEGER,
  description: "What the sender pays the block's miner, in the smallest unit, on top of the amount",
} as const;
const nonce = {
  type: "integer",
  minimum: 1,
  maximum: Number.MAX_SAFE_INTEGER,
  description: "The sender's count of sent transactions, this one included: its last nonce plus one",
} as const;
const signature = {
  type: "string",
  pattern: SIGNATURE_PATTERN,
  description:
    "The sender's Ed25519 signature of the transfer and the chain's id, in 128 hex digits (see the README's Accounts)",
} as const;

/**
 * A transaction as blocks hold it, on either ledger: the walkthrough's three
 * fields, and on an accounts chain a transfer's fee, nonce and signature.
 * Which fields a chain's blocks must have, its ledger's rules say.
 */
export const blockTransactionSchema: JSONSchemaType<Transaction> = {
  $id: "BlockTransaction",
  type: "object",
  required: ["sender", "recipient", "amount"],
  additionalProperties: false,
  properties: {
    ...namedProperties,
    fee: optional(fee),
    nonce: optional(nonce),
    signature: optional(signature),
  },
};

/** A transfer as a client posts it to an accounts chain: every field, signed (src/keys). */
export type SignedTransactionBody = SignedTransaction;

const address = (what: string) =>
  ({
    type: "string",
    minLength: 1,
    maxLength: 128,
    format: WELL_FORMED,
    description: `${what}: an address of this chain (bech32m of an Ed25519 public key, e.g. toy1...)`,
  }) as const;

export const signedTransactionSchema: JSONSchemaType<SignedTransactionBody> = {
  $id: "SignedTransaction",
  type: "object",
  required: ["sender", "recipient", "amount", "fee", "nonce", "signature"],
  additionalProperties: false,
  properties: {
    sender: address("Who pays, and signs"),
    recipient: address("Who is paid"),
    amount: {
      type: "integer",
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      description: "How much, a whole number of the smallest unit",
    },
    fee,
    nonce,
    signature,
  },
  examples: [
    {
      sender: "toy1qy352euf40x77qfrg4ncn27dauqjx3t83x4ummcpydzk0zdtehhsmn0fsz",
      recipient: "toy1jdd34uy0mh5m3mwmx0ja7qvg5elenqzwzsxeaqaz7ylyxkn28awq6spxk4",
      amount: 250,
      fee: 2,
      nonce: 1,
      signature: "0".repeat(128),
    },
  ],
};

export interface RegisterNodesBody {
  nodes: string[];
}

export const registerNodesSchema: JSONSchemaType<RegisterNodesBody> = {
  $id: "RegisterNodes",
  type: "object",
  required: ["nodes"],
  additionalProperties: false,
  properties: {
    nodes: {
      type: "array",
      minItems: 1,
      maxItems: MAX_NODES_PER_REQUEST,
      items: {
        type: "string",
        minLength: 1,
        maxLength: 2048,
        format: WELL_FORMED,
        description: "http://host:port, https://host:port or host:port",
      },
    },
  },
  examples: [{ nodes: ["http://127.0.0.1:5001"] }],
};

export const blockSchema: JSONSchemaType<Block> = {
  $id: "Block",
  type: "object",
  required: ["index", "timestamp", "transactions", "proof", "previous_hash"],
  additionalProperties: false,
  properties: {
    index: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    timestamp: { type: "number", minimum: 0, maximum: LAST_TIMESTAMP, description: "Seconds since the Unix epoch" },
    transactions: {
      type: "array",
      maxItems: MAX_BLOCK_TRANSACTIONS + 1,
      items: blockTransactionSchema,
      description: `At most ${MAX_BLOCK_TRANSACTIONS} transactions, then the mining reward`,
    },
    proof: { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    previous_hash: { type: "string", maxLength: 64, format: WELL_FORMED },
    bits: optional({
      type: "string",
      pattern: "^[0-9a-f]{8}$",
      description:
        "The target the proof reaches, as compact bits (Bitcoin's nBits) in 8 hex digits: every block of a retargeting chain states it, the walkthrough chain's blocks never do",
    }),
  },
};

/**
 * The most bytes a block's JSON can take: its most transactions, each of two
 * names of MAX_NAME_LENGTH characters written as 6-byte escapes and the
 * longest number, plus its other fields. A page of one block may be this large.
 */
export const MAX_BLOCK_BYTES = (MAX_BLOCK_TRANSACTIONS + 1) * (2 * 6 * MAX_NAME_LENGTH + 64) + 1024;

export interface ChainBody {
  chain: Block[];
  length: number;
}

export const chainSchema: JSONSchemaType<ChainBody> = {
  $id: "Chain",
  type: "object",
  required: ["chain", "length"],
  additionalProperties: false,
  properties: {
    chain: { type: "array", minItems: 1, items: blockSchema },
    length: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
  },
};

export interface ChainQuery {
  from?: number;
  limit?: number;
  max_bytes?: number;
}

export const MAX_PAGE = 10_000;

/**
 * Both fields are optional. Written without `nullable` (which JSONSchemaType
 * wants for optional fields) on purpose: with it, ajv's coercion would turn
 * an empty `?limit=` into null and let it through; without it, "" becomes 0
 * and fails the minimum, a 400.
 */
export const chainQuerySchema = {
  $id: "ChainQuery",
  type: "object",
  additionalProperties: false,
  properties: {
    from: {
      type: "integer",
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      description: "Index of the first block (default 1)",
    },
    limit: {
      type: "integer",
      minimum: 1,
      maximum: MAX_PAGE,
      description: `Blocks at most (1-${MAX_PAGE}; default: to the tip)`,
    },
    max_bytes: {
      type: "integer",
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      description:
        "Bytes of blocks at most: the page stops before the block that would pass it, but holds one block at least (default: no bound). Syncing nodes read pages this way",
    },
  },
} as unknown as JSONSchemaType<ChainQuery>;

const hash = (what: string) => ({ type: "string", pattern: "^[0-9a-f]{64}$", description: what }) as const;
const height = (what: string) =>
  ({ type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: what }) as const;

/**
 * Digits of a chain's work at most: work stays below 2^256 (78 digits), so a
 * peer's claim of more is refused by the schema.
 */
export const MAX_WORK_DIGITS = 78;

const work = (what: string) =>
  ({
    type: "string",
    pattern: `^(0|[1-9][0-9]{0,${MAX_WORK_DIGITS - 1}})$`,
    description: `${what}: the sum over its blocks, the genesis included, of 2^256 / (target + 1), the hashes each is expected to take; a decimal string of at most ${MAX_WORK_DIGITS} digits. Nodes choose the chain with the most work`,
  }) as const;

/** A chain's last block: what a syncing node asks a peer first, since it costs the peer nothing. */
export interface TipBody {
  length: number;
  hash: string;
  /** The chain's work, as a decimal string. */
  work: string;
  /** The chain's id: its genesis hash. */
  chain: string;
}

export const tipSchema: JSONSchemaType<TipBody> = {
  $id: "Tip",
  type: "object",
  required: ["length", "hash", "work", "chain"],
  additionalProperties: false,
  properties: {
    length: height("Blocks in the chain, the genesis included: the tip's index"),
    hash: hash("The tip's hash, which the next block names as its previous_hash"),
    work: work("The chain's work"),
    chain: hash("The chain's id, the hash of its genesis block: a peer on another chain is refused"),
  },
};

/** What a gossiping node tells its peers when its chain grows: its tip, and where its blocks can be read. */
export interface AnnounceBody extends TipBody {
  url: string;
}

export const announceSchema: JSONSchemaType<AnnounceBody> = {
  $id: "Announce",
  type: "object",
  required: ["length", "hash", "work", "chain", "url"],
  additionalProperties: false,
  properties: {
    length: height("Blocks in the announcer's chain, the genesis included: its tip's index"),
    hash: hash("The hash of the announcer's tip"),
    work: work("The announcer's chain's work"),
    chain: hash(
      "The announcer's chain's id, the hash of its genesis block: an announcement from another chain is refused",
    ),
    url: {
      type: "string",
      minLength: 1,
      maxLength: 2048,
      format: WELL_FORMED,
      description:
        "Where the announcer's API answers (its --public-url): http://host:port or https://host:port, read with the rules of /nodes/register",
    },
  },
  examples: [
    {
      length: 3,
      hash: "5e5e00d2a0c1f13d8ba2b1a7f0c6f1e0b54a3c1e0f2d3c4b5a69788796a5b4c3",
      work: "196608",
      chain: "3359bdb5a0bba889b9fe4387a3d400715eddc65be81661733aa502880c47e6e7",
      url: "http://127.0.0.1:5001",
    },
  ],
};

/** A block named by its height and hash. */
export interface BlockRef {
  height: number;
  hash: string;
}

export const blockRefSchema: JSONSchemaType<BlockRef> = {
  $id: "BlockRef",
  type: "object",
  required: ["height", "hash"],
  additionalProperties: false,
  properties: { height: height("The block's index"), hash: hash("The block's hash") },
};

/** Entries of a block locator at most: about 10 + log2 of the chain's length are sent. */
export const MAX_LOCATOR = 128;

/** A block locator, as Bitcoin's getheaders sends: the blocks of the asker's chain, from its tip back, ever further apart. */
export interface LocateBody {
  locator: BlockRef[];
}

export const locateSchema: JSONSchemaType<LocateBody> = {
  $id: "Locate",
  type: "object",
  required: ["locator"],
  additionalProperties: false,
  properties: {
    locator: {
      type: "array",
      minItems: 1,
      maxItems: MAX_LOCATOR,
      items: blockRefSchema,
      description:
        "Blocks of the asker's chain, from its tip back to its genesis, the first ten one apart and then twice as far each time",
    },
  },
  examples: [{ locator: [{ height: 1, hash: "3359bdb5a0bba889b9fe4387a3d400715eddc65be81661733aa502880c47e6e7" }] }],
};

/** A chain's name: lowercase letters, digits and dashes, as a file name or a URL keeps it. */
export const CHAIN_NAME_PATTERN = "^[a-z0-9][a-z0-9-]{0,63}$";

const seconds = (what: string, maximum: number) =>
  ({ type: "integer", minimum: 1, maximum, description: `${what}, in whole seconds` }) as const;
const compactBits = (what: string) =>
  ({ type: "string", pattern: "^[0-9a-f]{8}$", description: `${what}, as compact bits in 8 hex digits` }) as const;

/** A chain spec file, as `toychain chain new` writes it and `--chain FILE` reads it. */
export const chainSpecSchema: JSONSchemaType<ChainSpecFile> = {
  $id: "ChainSpec",
  type: "object",
  required: ["format", "name", "blockTime", "halfLife", "powLimit", "reward", "timestamps", "genesis"],
  additionalProperties: false,
  properties: {
    format: { type: "string", const: SPEC_FORMAT, description: "The spec file's format" },
    name: {
      type: "string",
      pattern: CHAIN_NAME_PATTERN,
      description: "The chain's name: lowercase letters, digits and dashes",
    },
    blockTime: seconds("The target spacing between blocks", 86_400),
    halfLife: seconds("The time behind (ahead of) schedule that doubles (halves) the target", 100_000_000),
    powLimit: compactBits("The easiest target a block may state"),
    reward: {
      type: "integer",
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      description: "Coins a block's reward creates",
    },
    timestamps: {
      type: "object",
      required: ["medianOf", "maxFutureSeconds", "wholeSeconds"],
      additionalProperties: false,
      properties: {
        medianOf: {
          type: "integer",
          const: 11,
          description: "A block is later than the median of this many before it",
        },
        maxFutureSeconds: seconds("How far ahead of a receiving node's clock a block may be dated", 7_200),
        wholeSeconds: { type: "boolean", const: true, description: "Timestamps are whole seconds" },
      },
    },
    ledger: optional({
      type: "string",
      enum: LEDGER_KINDS,
      description:
        "names: the walkthrough's transactions, between any names; accounts: signed transfers between addresses, with balances, fees and nonces (absent: names)",
    }),
    addressPrefix: optional({
      type: "string",
      pattern: ADDRESS_PREFIX_PATTERN,
      description: "An accounts chain's address prefix (bech32m's human-readable part), e.g. toy for toy1...",
    }),
    genesis: { $ref: "Block" },
  },
};

/** A transaction's id, as GET /transactions/{id} and the answers name it. */
export const transactionIdField = (what: string) =>
  hash(
    `${what}: the SHA-256 of the message its sender signed, in 64 hex digits (a reward's: of its chain, height, recipient and amount); it does not change with the signature`,
  );

/** GET /transactions/{id}'s path. */
export interface TransactionPath {
  id: string;
}

export const transactionPathSchema: JSONSchemaType<TransactionPath> = {
  $id: "TransactionPath",
  type: "object",
  required: ["id"],
  additionalProperties: false,
  properties: { id: transactionIdField("The transaction's id") },
};

/** GET /blocks/{hash}'s path. */
export interface BlockPath {
  hash: string;
}

export const blockPathSchema: JSONSchemaType<BlockPath> = {
  $id: "BlockPath",
  type: "object",
  required: ["hash"],
  additionalProperties: false,
  properties: { hash: hash("The block's hash: the SHA-256 of its canonical JSON, in 64 hex digits") },
};

/** GET /accounts/{address}'s path; the address is checked as a transfer's are, its checksum included. */
export interface AccountPath {
  address: string;
}

export const accountPathSchema: JSONSchemaType<AccountPath> = {
  $id: "AccountPath",
  type: "object",
  required: ["address"],
  additionalProperties: false,
  properties: { address: address("The account") },
};

/** Transactions in a page of an account's history at most, and by default. */
export const MAX_HISTORY_PAGE = 100;
export const DEFAULT_HISTORY_PAGE = 20;

export interface HistoryQuery {
  limit?: number;
  before?: string;
}

/** Both fields are optional, and written without `nullable` for the reason chainQuerySchema gives. */
export const historyQuerySchema = {
  $id: "HistoryQuery",
  type: "object",
  additionalProperties: false,
  properties: {
    limit: {
      type: "integer",
      minimum: 1,
      maximum: MAX_HISTORY_PAGE,
      description: `Transactions at most (1-${MAX_HISTORY_PAGE}; default ${DEFAULT_HISTORY_PAGE})`,
    },
    before: {
      type: "string",
      pattern: HISTORY_CURSOR_PATTERN,
      description:
        "The `next` of the page before: this page starts with the transaction after its last (default: the newest)",
    },
  },
} as unknown as JSONSchemaType<HistoryQuery>;
