import type { ClassicLevel } from "classic-level";
import type { Account, Block } from "../chain/index.js";
import type { LedgerWrite, TxPlace, UndoRecord } from "../ledger/index.js";
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

/** Where a confirmed transaction is, under its id (i/). */
export type StoredPlace = Omit<TxPlace, "id">;

export type Value =
  | string
  | number
  | Uint8Array
  | PendingEntry["tx"]
  | Peer
  | NetworkId
  | StoredTip
  | StoredEntry
  | Account
  | UndoRecord
  | StoredPlace;
export type Op =
  | { type: "put"; key: string; value: Value; valueEncoding?: "utf8" | "view" }
  | { type: "del"; key: string };
export type Db = ClassicLevel<string, Value>;

/**
 * Writes `ops` as one atomic LevelDB batch (synced with `sync: true`), through
 * a chained batch: a put or del each, handing LevelDB each key and value.
 * classic-level's array batch (`db.batch(ops)`) copies every operation and
 * has its native side read the copies' properties back, which cost the main
 * thread about 4 times as much an operation (bench:batch: 10.8 µs against
 * 2.9 for synced batches of 25 transactions, a group commit's under load),
 * paid by every POST /transactions/new.
 */
export async function writeBatch(db: Db, ops: readonly Op[], options: { sync: boolean }): Promise<void> {
  const batch = db.batch();
  try {
    for (const op of ops) {
      if (op.type === "del") batch.del(op.key);
      else if (op.valueEncoding === undefined) batch.put(op.key, op.value);
      else batch.put(op.key, op.value, { valueEncoding: op.valueEncoding });
    }
  } catch (error) {
    await batch.close();
    throw error;
  }
  await batch.write(options);
}

export const pad = (n: number): string => String(n).padStart(16, "0");
export const indexKey = (height: number) => `h/${pad(height)}`;
export const blockKey = (hash: string) => `b/${hash}`;
/** The ledger's records: accounts, undo data, places by id, and each address's history. */
export const LEDGER_PREFIXES = ["a/", "u/", "i/", "x/"] as const;
export const accountKey = (address: string) => `a/${address}`;
export const undoKey = (height: number) => `u/${pad(height)}`;
export const placeKey = (id: string) => `i/${id}`;
/** The first key of an address's history, and the key past its last (x/<address>0: "0" sorts right after "/"). */
export const historyRange = (address: string) => ({ gte: `x/${address}/`, lt: `x/${address}0` });
/** A place in an address's history (HISTORY_CURSOR_PATTERN): its keys sort by height, then position, so a reverse read is newest first. */
export const historyCursor = (height: number, position: number) =>
  `${pad(height)}/${String(position).padStart(5, "0")}`;
export const historyKey = (address: string, height: number, position: number) =>
  `x/${address}/${historyCursor(height, position)}`;

/** The history keys of a transaction: its sender's and its recipient's (one, when they are the same). */
function historyKeys({ sender, recipient, height, position }: TxPlace): string[] {
  const keys = [historyKey(recipient, height, position)];
  if (sender !== undefined && sender !== recipient) keys.push(historyKey(sender, height, position));
  return keys;
}

/** The writes of a ledger write (see LedgerWrite), to go in the same batch as the blocks' index. */
export function ledgerOps({ accounts, undo, places }: LedgerWrite): Op[] {
  const ops: Op[] = [];
  for (const [address, account] of accounts) {
    ops.push(
      account === null
        ? { type: "del", key: accountKey(address) }
        : { type: "put", key: accountKey(address), value: account },
    );
  }
  for (const height of undo.del) ops.push({ type: "del", key: undoKey(height) });
  for (const [height, record] of undo.put) ops.push({ type: "put", key: undoKey(height), value: record });
  for (const place of places.del) {
    ops.push({ type: "del", key: placeKey(place.id) });
    for (const key of historyKeys(place)) ops.push({ type: "del", key });
  }
  for (const { id, ...place } of places.put) {
    ops.push({ type: "put", key: placeKey(id), value: place });
    for (const key of historyKeys({ id, ...place })) ops.push({ type: "put", key, value: id });
  }
  return ops;
}

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
