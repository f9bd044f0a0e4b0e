import type { JSONSchemaType, SchemaObject } from "ajv";
import { NATIVE_VARIANTS } from "../../workers/kernel/interface.js";
import type { Block, Transaction } from "../chain/types.js";
import { PEER_VERDICTS, type PeerReport } from "../consensus/index.js";
import { ANNOUNCE_OUTCOMES, type AnnounceAnswer } from "../gossip/interface.js";
import { FAILURES_BEFORE_BACKOFF } from "../peers/index.js";
import {
  blockSchema,
  blockTransactionSchema,
  optional,
  type SignedTransactionBody,
  signedTransactionSchema,
  transactionIdField,
} from "./schemas.js";
import type { FieldError } from "./validate.js";

/**
 * The schemas of the API's answers, beside those of its requests: the OpenAPI
 * document shows them, and the docs test checks the node's real answers
 * against them.
 */

export interface MessageBody {
  message: string;
}

export const messageSchema: JSONSchemaType<MessageBody> = {
  $id: "Message",
  type: "object",
  required: ["message"],
  additionalProperties: false,
  properties: { message: { type: "string" } },
};

/** Every error answer's body: a sentence, and for a body that breaks its schema, each field at fault. */
export interface ErrorBody {
  message: string;
  errors?: FieldError[];
}

export const errorSchema: JSONSchemaType<ErrorBody> = {
  $id: "Error",
  type: "object",
  required: ["message"],
  additionalProperties: false,
  properties: {
    message: { type: "string", description: "What went wrong, in a sentence" },
    errors: {
      type: "array",
      nullable: true,
      description: "Each field that breaks the schema (400 only)",
      items: {
        type: "object",
        required: ["field", "message"],
        additionalProperties: false,
        properties: {
          field: { type: "string", description: 'A path such as "amount" or "nodes.0"' },
          message: { type: "string" },
        },
      },
    },
  },
};

/** POST /transactions/new's answer: on an accounts chain, with the transfer's id. */
export interface TransactionAddedBody {
  message: string;
  id?: string;
}

export const transactionAddedSchema: JSONSchemaType<TransactionAddedBody> = {
  $id: "TransactionAdded",
  type: "object",
  required: ["message"],
  additionalProperties: false,
  properties: {
    message: { type: "string" },
    id: optional(transactionIdField("On an accounts chain only: the transfer's id, for GET /transactions/{id}")),
  },
};

export interface PendingBody {
  transactions: Transaction[];
  length: number;
}

export const pendingSchema: JSONSchemaType<PendingBody> = {
  $id: "Pending",
  type: "object",
  required: ["transactions", "length"],
  additionalProperties: false,
  properties: {
    transactions: { type: "array", items: blockTransactionSchema, description: "In arrival order" },
    length: { type: "integer", minimum: 0 },
  },
};

export interface MinedBody {
  message: string;
  index: number;
  transactions: Transaction[];
  proof: number;
  previous_hash: string;
}

export const minedSchema: JSONSchemaType<MinedBody> = {
  $id: "Mined",
  type: "object",
  required: ["message", "index", "transactions", "proof", "previous_hash"],
  additionalProperties: false,
  properties: {
    message: { type: "string", const: "New Block Forged" },
    index: { type: "integer", minimum: 2 },
    transactions: {
      type: "array",
      minItems: 1,
      items: blockTransactionSchema,
      description: "The pending ones, then the reward",
    },
    proof: { type: "integer", minimum: 0 },
    previous_hash: { type: "string" },
    bits: {
      type: "string",
      pattern: "^[0-9a-f]{8}$",
      description: "The target the block states, as compact bits: on a retargeting chain only",
    },
  },
};

export interface ChainPageBody {
  chain: Block[];
  length: number;
}

export const chainPageSchema: JSONSchemaType<ChainPageBody> = {
  $id: "ChainPage",
  type: "object",
  required: ["chain", "length"],
  additionalProperties: false,
  properties: {
    chain: {
      type: "array",
      items: blockSchema,
      description: "Every block, or those that from and limit select (none past the tip)",
    },
    length: { type: "integer", minimum: 1, description: "Blocks in the whole chain" },
  },
};

/** GET /blocks/{hash}: a block of this node's chain, where it is, and how deep. */
export interface BlockFoundBody {
  hash: string;
  height: number;
  confirmations: number;
  block: Block;
}

export const blockFoundSchema: JSONSchemaType<BlockFoundBody> = {
  $id: "BlockFound",
  type: "object",
  required: ["hash", "height", "confirmations", "block"],
  additionalProperties: false,
  properties: {
    hash: { type: "string", pattern: "^[0-9a-f]{64}$", description: "The block's hash, as asked" },
    height: {
      type: "integer",
      minimum: 1,
      description: "Its height in this node's chain: its index, 1 for the genesis",
    },
    confirmations: {
      type: "integer",
      minimum: 1,
      description: "1 while it is the tip, one more for each block on top of it",
    },
    block: blockSchema,
  },
};

export interface RegisteredBody {
  message: string;
  total_nodes: string[];
}

export const registeredSchema: JSONSchemaType<RegisteredBody> = {
  $id: "Registered",
  type: "object",
  required: ["message", "total_nodes"],
  additionalProperties: false,
  properties: {
    message: { type: "string" },
    total_nodes: { type: "array", items: { type: "string" }, description: "Every peer, as host:port" },
  },
  examples: [{ message: "1 new nodes have been successfully added", total_nodes: ["127.0.0.1:5001"] }],
};

export const announcedSchema: JSONSchemaType<AnnounceAnswer> = {
  $id: "Announced",
  type: "object",
  required: ["outcome", "message"],
  additionalProperties: false,
  properties: {
    outcome: {
      type: "string",
      enum: [...ANNOUNCE_OUTCOMES],
      description:
        "queued: a sync from the announcer will run; ignored: gossip is off here; otherwise why it was dropped: known (this node holds that block), not longer (this node's chain has at least as much work: on the walkthrough's chain, is at least as long), backing off (the announcer failed repeatedly), duplicate (a sync to that tip is on its way)",
    },
    message: { type: "string" },
  },
  examples: [
    { outcome: "queued", message: "Announcement queued: syncing from 127.0.0.1:5001, whose chain has 3 blocks" },
  ],
};

/** A peer's failure record as /stats shows it. */
const peerHealthSchema = (what: string) => ({
  type: "object",
  required: ["node", "failures", "last_error", "retry_at"],
  additionalProperties: false,
  properties: {
    node: { type: "string" },
    failures: { type: "integer", minimum: 0, description: `${what} failed in a row` },
    last_error: { type: "string", nullable: true },
    retry_at: {
      type: "string",
      nullable: true,
      description: "While the peer is skipped after repeated failures: when it will be asked again",
    },
  },
});

const count = (description: string) => ({ type: "integer", minimum: 0, description }) as const;

const peerReportSchema: JSONSchemaType<PeerReport> = {
  $id: "PeerReport",
  type: "object",
  required: ["node", "reached", "verdict"],
  additionalProperties: false,
  properties: {
    node: { type: "string" },
    reached: { type: "boolean" },
    verdict: { type: "string", enum: [...PEER_VERDICTS] },
    length: { type: "integer", nullable: true },
    reason: { type: "string", nullable: true },
    failures: {
      type: "integer",
      nullable: true,
      description: `Resolves failed in a row; from ${FAILURES_BEFORE_BACKOFF}, the peer is skipped for a while`,
    },
    retry_at: { type: "string", nullable: true, description: "When a peer backing off will be asked again" },
  },
};

export interface ReplacedBody {
  message: string;
  new_chain: Block[];
  peers: PeerReport[];
}

export const replacedSchema: JSONSchemaType<ReplacedBody> = {
  $id: "Replaced",
  type: "object",
  required: ["message", "new_chain", "peers"],
  additionalProperties: false,
  properties: {
    message: { type: "string", const: "Our chain was replaced" },
    new_chain: { type: "array", minItems: 1, items: blockSchema },
    peers: { type: "array", items: peerReportSchema },
  },
};

export interface AuthoritativeBody {
  message: string;
  chain: Block[];
  peers: PeerReport[];
}

export const authoritativeSchema: JSONSchemaType<AuthoritativeBody> = {
  $id: "Authoritative",
  type: "object",
  required: ["message", "chain", "peers"],
  additionalProperties: false,
  properties: {
    message: { type: "string", const: "Our chain is authoritative" },
    chain: { type: "array", minItems: 1, items: blockSchema },
    peers: { type: "array", items: peerReportSchema },
  },
};

/** /stats' `chain`: the chain the node is on, which a client (the wallet) reads to sign for it. */
const statsChainSchema = {
  type: "object",
  required: ["name", "id", "retarget", "block_time", "ledger", "address_prefix", "reward_address"],
  additionalProperties: false,
  description: "The chain the node is on (its --chain)",
  properties: {
    name: { type: "string", description: "walkthrough, devnet, or the name in its spec file" },
    id: { type: "string", pattern: "^[0-9a-f]{64}$", description: "The chain's id: its genesis hash" },
    retarget: {
      type: "string",
      enum: ["fixed", "aserti3-2d"],
      description: "fixed: the walkthrough's --difficulty; aserti3-2d: each block's target follows the hash rate",
    },
    block_time: {
      type: ["integer", "null"],
      description: "The target spacing between blocks, in seconds; null on a fixed chain",
    },
    ledger: {
      type: "string",
      enum: ["names", "accounts"],
      description:
        "names: the walkthrough's transactions between any names; accounts: signed transfers between addresses",
    },
    address_prefix: {
      type: ["string", "null"],
      description: "An accounts chain's address prefix (toy for toy1...); null on a names chain",
    },
    reward_address: {
      type: ["string", "null"],
      description: "On an accounts chain, where this node's rewards go; null on a names chain",
    },
  },
} as const;

/** One remote miner, as /stats shows it (src/stratum's MinerView). */
const minerSchema = {
  type: "object",
  required: [
    "session",
    "name",
    "address",
    "work",
    "hashes_per_second",
    "share_hashes",
    "shares",
    "blocks",
    "last_share",
    "connected_at",
  ],
  additionalProperties: false,
  properties: {
    session: { type: "string", pattern: "^[0-9a-f]{16}$" },
    name: { type: "string", nullable: true, description: "The name it authorized as" },
    address: { type: "string", description: "Its IP address and port, as the node sees them" },
    work: {
      type: "string",
      pattern: "^[0-9]+$",
      description: "The work of its accepted shares since it authorized, each 2^256 / (share target + 1), in decimal",
    },
    hashes_per_second: { type: "number", description: "That work over the seconds since it authorized" },
    share_hashes: { type: "number", description: "The hashes a share takes at its share target now" },
    shares: {
      type: "object",
      required: ["accepted", "stale", "refused"],
      additionalProperties: false,
      properties: { accepted: { type: "integer" }, stale: { type: "integer" }, refused: { type: "integer" } },
    },
    blocks: { type: "integer", minimum: 0, description: "Its shares that were blocks this node forged" },
    last_share: { type: "string", nullable: true, format: "date-time" },
    connected_at: { type: "string", format: "date-time" },
  },
} as const;

/**
 * Typed loosely: ajv's JSONSchemaType cannot express a required property that
 * may be null (job, winner), so the docs test checks real answers against it.
 */
export const statsSchema: SchemaObject = {
  $id: "Stats",
  type: "object",
  required: [
    "node_id",
    "chain_length",
    "chain",
    "difficulty",
    "next_target",
    "threads",
    "kernel",
    "mining",
    "pending_transactions",
    "peers",
    "peer_health",
    "job",
    "hashes_per_second",
    "recent_jobs",
    "gossip",
    "stratum",
  ],
  additionalProperties: false,
  properties: {
    node_id: { type: "string", pattern: "^[0-9a-f]{32}$" },
    chain_length: { type: "integer", minimum: 1 },
    chain: statsChainSchema,
    difficulty: {
      type: "integer",
      minimum: 0,
      description:
        "Leading zero bits of a valid proof hash: the fixed difficulty, or on a retargeting chain those the next block's target requires",
    },
    next_target: {
      type: "object",
      required: ["bits", "expected_hashes"],
      additionalProperties: false,
      description: "The target of the block mined next",
      properties: {
        bits: {
          type: ["string", "null"],
          pattern: "^[0-9a-f]{8}$",
          description: "As compact bits, as the block states it; null on a fixed chain, whose blocks state none",
        },
        expected_hashes: {
          type: "string",
          pattern: "^[0-9]+$",
          description: "The hashes a proof takes on average, 2^256 / (target + 1), in decimal",
        },
      },
    },
    threads: {
      type: "integer",
      minimum: 0,
      description: "The node's own mining threads (0: its Stratum miners alone mine)",
    },
    kernel: {
      type: "string",
      enum: [...NATIVE_VARIANTS, "portable"],
      description:
        "The proof-of-work kernel the miners use: a native variant (chosen by calibration at start) or portable",
    },
    mining: {
      type: "string",
      enum: ["continuous", "on request"],
      description:
        "continuous: the node mines block after block by itself (--mine), and GET /mine waits for its next block; on request: it mines one block per GET /mine",
    },
    pending_transactions: { type: "integer", minimum: 0 },
    peers: { type: "array", items: { type: "string" } },
    peer_health: {
      type: "array",
      description: "How each peer has been answering resolves and syncs",
      items: peerHealthSchema("Resolves and syncs"),
    },
    job: {
      type: "object",
      nullable: true,
      description: "The mining job running now, if any",
      required: ["index", "hashes", "elapsed_seconds"],
      additionalProperties: false,
      properties: {
        index: { type: "integer" },
        hashes: { type: "number" },
        elapsed_seconds: { type: "number" },
      },
    },
    hashes_per_second: { type: "number", description: "Over the recent jobs" },
    recent_jobs: {
      type: "array",
      items: {
        type: "object",
        required: ["index", "forged", "hashes", "seconds", "hashes_per_second", "winner", "finished_at"],
        additionalProperties: false,
        properties: {
          index: { type: "integer" },
          forged: {
            type: "boolean",
            description:
              "false when the job restarted: on a new tip, or (--mine) to take in the transactions that arrived",
          },
          hashes: { type: "number" },
          seconds: { type: "number" },
          hashes_per_second: { type: "number" },
          winner: { type: "integer", nullable: true, description: "The worker thread that found the proof" },
          finished_at: { type: "string", description: "When the job ended (ISO 8601)" },
        },
      },
    },
    gossip: {
      type: "object",
      description: "Announcements of new tips to and from peers (--gossip), counted since the start",
      required: [
        "enabled",
        "public_url",
        "announcements_sent",
        "announcements_failed",
        "announcements_skipped",
        "announcements_received",
        "announcements_dropped",
        "syncs",
        "syncs_adopted",
        "syncs_failed",
        "failing_peers",
      ],
      additionalProperties: false,
      properties: {
        enabled: { type: "boolean" },
        public_url: { type: "string", nullable: true, description: "The URL our announcements carry (--public-url)" },
        announcements_sent: count("Announcements of our tip that a peer took"),
        announcements_failed: count("Announcements of our tip that failed (unreachable, too slow, another status)"),
        announcements_skipped: count("Announcements not sent: the peer backing off after failing repeatedly"),
        announcements_received: count("Announcements received from peers"),
        announcements_dropped: count(
          "Announcements received that led to no sync: their tip known or not longer than ours, the announcer backing off, or superseded by a newer one",
        ),
        syncs: count("Syncs from announcers that read their chain"),
        syncs_adopted: count("Syncs whose chain was adopted"),
        syncs_failed: count("Syncs whose chain could not be had or broke a rule"),
        failing_peers: {
          type: "array",
          description: "The peers whose announcements have been failing",
          items: peerHealthSchema("Announcements"),
        },
      },
    },
    stratum: {
      type: "object",
      nullable: true,
      description:
        "The Stratum endpoint for remote miners (--stratum-port) and every miner connected to it; null without one",
      required: ["port", "sessions", "shares", "turned_away", "bans", "hashes_per_second", "miners"],
      additionalProperties: false,
      properties: {
        port: { type: "integer", minimum: 0, maximum: 65535 },
        sessions: count("Connections open, authorized or not"),
        shares: {
          type: "object",
          description: "Shares since the start: accepted, stale (for a job replaced meanwhile) and refused",
          required: ["accepted", "stale", "refused"],
          additionalProperties: false,
          properties: {
            accepted: count("Shares accepted"),
            stale: count("Shares for a job no longer live (error 21)"),
            refused: count("Requests refused for any other reason (errors 20, 22, 23, 24, 25)"),
          },
        },
        turned_away: count("Connections closed at once: the address banned, or every session taken"),
        bans: count("Addresses banned now"),
        hashes_per_second: { type: "number", description: "The miners' rates, summed" },
        miners: { type: "array", items: minerSchema },
      },
    },
  },
};

const whole = (description: string) =>
  ({ type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description }) as const;

/** A transfer waiting for a block. */
export interface PendingTransferBody {
  id: string;
  transaction: SignedTransactionBody;
}

const pendingTransferSchema: JSONSchemaType<PendingTransferBody> = {
  $id: "PendingTransfer",
  type: "object",
  required: ["id", "transaction"],
  additionalProperties: false,
  properties: { id: transactionIdField("Its id"), transaction: signedTransactionSchema },
};

/** GET /accounts/{address}. */
export interface AccountBody {
  address: string;
  balance: number;
  nonce: number;
  next_nonce: number;
  pending: { from: PendingTransferBody[]; to: PendingTransferBody[] };
}

/** A SchemaObject: JSONSchemaType takes no `$ref` for an array's items (see `to`). */
export const accountSchema: SchemaObject = {
  $id: "Account",
  type: "object",
  required: ["address", "balance", "nonce", "next_nonce", "pending"],
  additionalProperties: false,
  properties: {
    address: { type: "string" },
    balance: whole("What the chain's blocks leave it, in the smallest unit: confirmed coins only"),
    nonce: whole("The nonce of its last confirmed transfer; 0 while it has sent none"),
    next_nonce: {
      type: "integer",
      minimum: 1,
      description: "The nonce its next transfer takes: nonce, plus its transfers pending, plus one",
    },
    pending: {
      type: "object",
      required: ["from", "to"],
      additionalProperties: false,
      description: "Transfers this node holds for the next blocks",
      properties: {
        from: {
          type: "array",
          items: pendingTransferSchema,
          description:
            "Its own, in nonce order: their amounts and fees together fit its balance, and a new transfer must fit what they leave",
        },
        to: {
          type: "array",
          // By reference: ajv refuses a schema that embeds one $id twice.
          items: { $ref: "PendingTransfer" },
          description: "Those paying it, in arrival order: not spendable until a block confirms them",
        },
      },
    },
  },
  examples: [
    {
      address: "toy1qy352euf40x77qfrg4ncn27dauqjx3t83x4ummcpydzk0zdtehhsmn0fsz",
      balance: 3000,
      nonce: 0,
      next_nonce: 1,
      pending: { from: [], to: [] },
    },
  ],
};

/** A transaction of a block of the node's chain. */
export interface ConfirmedTransactionBody {
  id: string;
  block: number;
  position: number;
  confirmations: number;
  transaction: Transaction;
}

const confirmedProperties = {
  block: { type: "integer", minimum: 2, description: "The height (index) of the block that holds it" },
  position: { type: "integer", minimum: 0, description: "Its place in the block: 0 first, the reward last" },
  confirmations: {
    type: "integer",
    minimum: 1,
    description: "1 while its block is the tip, one more for each block on top of it",
  },
  transaction: blockTransactionSchema,
} as const;

const confirmedTransactionSchema: JSONSchemaType<ConfirmedTransactionBody> = {
  $id: "ConfirmedTransaction",
  type: "object",
  required: ["id", "block", "position", "confirmations", "transaction"],
  additionalProperties: false,
  properties: { id: transactionIdField("Its id"), ...confirmedProperties },
};

/** GET /accounts/{address}/transactions. */
export interface AccountTransactionsBody {
  address: string;
  transactions: ConfirmedTransactionBody[];
  next: string | null;
}

/** A SchemaObject for the reason statsSchema gives: `next` is required and may be null. */
export const accountTransactionsSchema: SchemaObject = {
  $id: "AccountTransactions",
  type: "object",
  required: ["address", "transactions", "next"],
  additionalProperties: false,
  properties: {
    address: { type: "string" },
    transactions: {
      type: "array",
      items: confirmedTransactionSchema,
      description: "The transactions that pay it or that it sent (its rewards too), newest first",
    },
    next: {
      type: ["string", "null"],
      description: "Give it as `before` for the next, older page; null on the last page",
    },
  },
};

/** GET /transactions/{id} of a transfer waiting for a block. */
export interface TransactionPendingBody {
  id: string;
  status: "pending";
  transaction: SignedTransactionBody;
}

export const transactionPendingSchema: JSONSchemaType<TransactionPendingBody> = {
  $id: "TransactionPending",
  type: "object",
  required: ["id", "status", "transaction"],
  additionalProperties: false,
  properties: {
    id: transactionIdField("Its id"),
    status: { type: "string", const: "pending", description: "This node holds it for a coming block" },
    transaction: signedTransactionSchema,
  },
};

/** GET /transactions/{id} of a transaction in a block. */
export interface TransactionConfirmedBody extends ConfirmedTransactionBody {
  status: "confirmed";
}

export const transactionConfirmedSchema: JSONSchemaType<TransactionConfirmedBody> = {
  $id: "TransactionConfirmed",
  type: "object",
  required: ["id", "status", "block", "position", "confirmations", "transaction"],
  additionalProperties: false,
  properties: {
    id: transactionIdField("Its id"),
    status: { type: "string", const: "confirmed", description: "A block of this node's chain holds it" },
    ...confirmedProperties,
  },
};

/** GET /transactions/{id}'s 404: an id neither pending nor confirmed here. */
export interface TransactionUnknownBody {
  id: string;
  status: "unknown";
  message: string;
}

export const transactionUnknownSchema: JSONSchemaType<TransactionUnknownBody> = {
  $id: "TransactionUnknown",
  type: "object",
  required: ["id", "status", "message"],
  additionalProperties: false,
  properties: {
    id: transactionIdField("The id asked"),
    status: { type: "string", const: "unknown" },
    message: { type: "string" },
  },
};

/** What a client (the wallet) reads of /stats: the chain the node is on. */
export interface StatsChainBody {
  chain: { name: string; id: string; ledger: "names" | "accounts"; address_prefix: string | null };
}

/** /stats as a client checks it: its `chain` only, whatever else it holds. */
export const statsChainAnswerSchema: SchemaObject = {
  type: "object",
  required: ["chain"],
  properties: { chain: statsChainSchema },
};

/** GET /transactions/{id}'s 200, as a client checks it. */
export const transactionStatusSchema: SchemaObject = {
  oneOf: [transactionPendingSchema, transactionConfirmedSchema],
};
