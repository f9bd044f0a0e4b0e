import type { SchemaObject } from "ajv";

/**
 * Stratum's messages (src/stratum), one JSON object a line: the requests a
 * miner sends, and the answers and notifications it gets. The node checks
 * the first with these; `toychain miner` the second.
 */

/** A miner's name, as it authorizes and submits: printable, no spaces. */
export const MINER_NAME_PATTERN = "^[\\x21-\\x7e]{1,64}$";
const HEX64 = "^[0-9a-f]{64}$";
/** A job id, as the node makes them: hex. */
const JOB_ID_PATTERN = "^[0-9a-f]{1,16}$";

/** Any request: what the node reads before it looks at the method's own params. */
export interface StratumRequest {
  id: number | string | null;
  method: string;
  params: unknown[];
}

export const stratumRequestSchema: SchemaObject = {
  type: "object",
  required: ["id", "method", "params"],
  properties: {
    id: { type: ["integer", "string", "null"], maxLength: 64 },
    method: { type: "string", maxLength: 64 },
    params: { type: "array", maxItems: 8 },
  },
};

/** mining.subscribe's params: the miner's software and version, optionally. */
export type SubscribeParams = [] | [string] | [string, unknown];

export const subscribeParamsSchema: SchemaObject = {
  type: "array",
  maxItems: 2,
  items: [{ type: "string", maxLength: 128 }, {}],
};

/** mining.authorize's params: the miner's name and the node's API token (or ""). */
export type AuthorizeParams = [string, string] | [string];

export const authorizeParamsSchema: SchemaObject = {
  type: "array",
  minItems: 1,
  maxItems: 2,
  items: [
    { type: "string", pattern: MINER_NAME_PATTERN },
    { type: "string", maxLength: 256 },
  ],
};

/** mining.submit's params: the miner's name, the job and the nonce. */
export type SubmitParams = [string, string, number];

export const submitParamsSchema: SchemaObject = {
  type: "array",
  minItems: 3,
  maxItems: 3,
  items: [
    { type: "string", pattern: MINER_NAME_PATTERN },
    { type: "string", pattern: JOB_ID_PATTERN },
    { type: "integer", minimum: 0 },
  ],
};

/** What the node sends a miner: an answer to one of its requests, or a notification. */
export interface StratumAnswer {
  id: number | string | null;
  result: unknown;
  error: [number, string, null] | null;
}

export interface StratumNotification {
  id: null;
  method: string;
  params: unknown[];
}

/** mining.subscribe's result. */
export interface SubscribeResult {
  session: string;
  nonce_range: [number, number];
}

export const subscribeResultSchema: SchemaObject = {
  type: "object",
  required: ["session", "nonce_range"],
  properties: {
    session: { type: "string", maxLength: 64 },
    nonce_range: {
      type: "array",
      minItems: 2,
      maxItems: 2,
      items: [
        { type: "integer", minimum: 0 },
        { type: "integer", minimum: 0 },
      ],
    },
  },
};

/** mining.set_target's params: the share target, 64 hex digits. */
export type SetTargetParams = [string];

export const setTargetParamsSchema: SchemaObject = {
  type: "array",
  minItems: 1,
  maxItems: 1,
  items: [{ type: "string", pattern: HEX64 }],
};

/** mining.notify's params: job id, H, the block's height, the block target, whether earlier jobs are void. */
export type NotifyParams = [string, string, number, string, boolean];

export const notifyParamsSchema: SchemaObject = {
  type: "array",
  minItems: 5,
  maxItems: 5,
  items: [
    { type: "string", pattern: JOB_ID_PATTERN },
    { type: "string", pattern: HEX64 },
    { type: "integer", minimum: 1 },
    { type: "string", pattern: HEX64 },
    { type: "boolean" },
  ],
};
