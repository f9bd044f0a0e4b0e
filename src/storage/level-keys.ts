import type { ClassicLevel } from "classic-level";
import type { Block } from "../chain/index.js";
import type { Peer } from "../peers/index.js";
import { encodeBlock } from "./block-codec.js";
import type { NetworkId, PendingEntry, StoredTip } from "./interface.js";

/** The keys and values of the store's current format (see level.ts), shared by the store and the migration to it. */

export const STORE_FORMAT = 2;

export interface StoredEntry {
  hash: string;
  previous_hash: string;
  /** The bits the block states: on a retargeting chain, so that start-up sums the work without reading blocks. */
  bits?: string;
}

export type Value = string | number | Uint8Array | PendingEntry["tx"] | Peer | NetworkId | StoredTip | StoredEntry;
export type Op =
  | { type: "put"; key: string; value: Value; valueEncoding?: "utf8" | "view" }
  | { type: "del"; key: string };
export type Db = ClassicLevel<string, Value>;

export const pad = (n: number): string => String(n).padStart(16, "0");
export const indexKey = (height: number) => `h/${pad(height)}`;
export const blockKey = (hash: string) => `b/${hash}`;

/** The writes that put `block` in the store, at its height. */
export function blockOps(block: Block): { hash: string; ops: Op[] } {
  const { hash, bytes } = encodeBlock(block);
  const entry: StoredEntry = {
    hash,
    previous_hash: block.previous_hash,
    ...(block.bits === undefined ? {} : { bits: block.bits }),
  };
  return {
    hash,
    ops: [
      { type: "put", key: blockKey(hash), value: bytes, valueEncoding: "utf8" },
      { type: "put", key: indexKey(block.index), value: entry },
    ],
  };
}
