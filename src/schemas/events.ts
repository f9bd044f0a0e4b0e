import type { JSONSchemaType, SchemaObject } from "ajv";
import { PEER_VERDICTS } from "../consensus/index.js";
import type { ChainEvent, EventKind, JobEvent, MiningEvent, PeerEvent, TransactionEvent } from "../events/index.js";
import { blockTransactionSchema } from "./schemas.js";

/**
 * The data of each event of GET /events, one JSON object per message: the
 * OpenAPI document shows them, and the events test checks real messages
 * against them.
 */

const hash = { type: "string", pattern: "^[0-9a-f]{64}$" } as const;

/** Typed loosely, as statsSchema is: JSONSchemaType cannot say "required, and may be null" (miner). */
export const blockEventSchema: SchemaObject = {
  $id: "BlockEvent",
  type: "object",
  description: "A block appended to the chain: forged here, or the tip of a chain adopted from a peer",
  required: ["index", "hash", "timestamp", "transactions", "miner", "origin"],
  additionalProperties: false,
  properties: {
    index: { type: "integer", minimum: 1 },
    hash,
    timestamp: { type: "number" },
    transactions: { type: "integer", minimum: 0, description: "Its transactions, the reward included" },
    miner: { type: "string", nullable: true, description: "The recipient of the block's reward" },
    origin: { type: "string", enum: ["mined", "adopted"] },
  },
};

export const chainEventSchema: JSONSchemaType<ChainEvent> = {
  $id: "ChainEvent",
  type: "object",
  description: "The chain switched to a peer's better one, with more work (a resolve, or a sync from an announcer)",
  required: ["length", "hash", "fork", "dropped", "from"],
  additionalProperties: false,
  properties: {
    length: { type: "integer", minimum: 1 },
    hash,
    fork: { type: "integer", minimum: 1, description: "The last block both chains hold" },
    dropped: { type: "integer", minimum: 0, description: "Our blocks after the fork, now gone" },
    from: { type: "string", description: "The peer the chain came from" },
  },
};

export const transactionEventSchema: JSONSchemaType<TransactionEvent> = {
  $id: "TransactionEvent",
  type: "object",
  description: "A transaction queued for a block",
  required: ["transaction", "index", "pending"],
  additionalProperties: false,
  properties: {
    transaction: blockTransactionSchema,
    index: { type: "integer", minimum: 2, description: "The block meant to hold it" },
    pending: { type: "integer", minimum: 1, description: "Pending transactions, this one included" },
  },
};

export const miningEventSchema: JSONSchemaType<MiningEvent> = {
  $id: "MiningEvent",
  type: "object",
  description: "A running mining job's progress, four times a second",
  required: ["index", "hashes", "elapsed_seconds", "hashes_per_second"],
  additionalProperties: false,
  properties: {
    index: { type: "integer", minimum: 2 },
    hashes: { type: "number", minimum: 0 },
    elapsed_seconds: { type: "number", minimum: 0 },
    hashes_per_second: { type: "number", minimum: 0 },
  },
};

export const jobEventSchema: JSONSchemaType<JobEvent> = {
  $id: "JobEvent",
  type: "object",
  description: "A mining job that ended: its block forged, or restarted on a new tip",
  required: ["index", "forged", "hashes", "seconds", "hashes_per_second"],
  additionalProperties: false,
  properties: {
    index: { type: "integer", minimum: 2 },
    forged: { type: "boolean" },
    hashes: { type: "number", minimum: 0 },
    seconds: { type: "number", minimum: 0 },
    hashes_per_second: { type: "number", minimum: 0 },
  },
};

export const peerEventSchema: JSONSchemaType<PeerEvent> = {
  $id: "PeerEvent",
  type: "object",
  description:
    "What a resolve found of a peer (its verdict, as in the resolve's report), or how a sync from an announcer ended (adopted or failed)",
  required: ["source", "node", "verdict"],
  additionalProperties: false,
  properties: {
    source: { type: "string", enum: ["resolve", "sync"] },
    node: { type: "string" },
    reached: { type: "boolean", nullable: true, description: "Whether it answered (a resolve's report says)" },
    verdict: { type: "string", enum: [...PEER_VERDICTS, "failed"] },
    length: { type: "integer", nullable: true, description: "The length its tip claimed" },
    reason: { type: "string", nullable: true },
    failures: { type: "integer", nullable: true, description: "Failures in a row" },
    retry_at: { type: "string", nullable: true, description: "When a peer backing off will be asked again" },
  },
};

/** The data schema of each kind of event. */
export const eventSchemas = {
  block: blockEventSchema,
  chain: chainEventSchema,
  transaction: transactionEventSchema,
  mining: miningEventSchema,
  job: jobEventSchema,
  peer: peerEventSchema,
} as const satisfies Record<EventKind, object>;
