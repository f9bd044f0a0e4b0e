import type { Block } from "../chain/index.js";
import { checkBlockShape, SchemaError } from "../schemas/index.js";
import { DamagedStoreError, StoreUnavailableError } from "./errors.js";
import type { StoredTip, StoreMigration } from "./interface.js";
import { blockOps, type Db, type Op, pad, STORE_FORMAT, writeBatch } from "./level-keys.js";

/**
 * The migration of a format-1 store (toychain before issue 12) to format 2,
 * in place. Format 1 keys a block by its index: `b/<index>` (16 digits) holds
 * the block as JSON, `m/length` the chain's length, and there is no
 * `m/format`. The other records (`m/node-id`, `m/network`, `t/`, `p/`) are
 * the same in both formats, and an old key never equals a `b/<hash>` (64 hex).
 *
 * A crash may cut it short at any point:
 *
 *   1. the old chain is read through and checked; a damaged one is refused
 *      before anything is written;
 *   2. it is read again and each block written under its format-2 keys,
 *      `b/<hash>` and `h/<height>`; the old keys are untouched, so a store cut
 *      short here is still format 1, and its migration starts over;
 *   3. one batch writes `m/tip` and `m/format` 2: from here on it is format 2;
 *   4. the old `b/<index>` keys are deleted, then `m/length`: a format-2 store
 *      that still has `m/length` was cut short here, and finishMigration
 *      resumes the deletion.
 *
 * The chain is streamed: memory holds one batch of blocks at a time. Every
 * batch is synced, as every other write of the store.
 */

/** Blocks per LevelDB batch, read or written. */
const BATCH = 256;
const OLD_BLOCK_KEY = /^b\/\d{16}$/;
const oldBlockKey = (index: number) => `b/${pad(index)}`;

const isLength = (value: unknown): value is number => Number.isSafeInteger(value) && Number(value) >= 1;
const elapsed = (started: number) => Number((performance.now() - started).toFixed(1));

/**
 * The old chain's blocks in order, a batch at a time, each checked: its shape,
 * its index (its position), its link to the block before, the genesis its
 * network record names, and `length` blocks in all. Yields each batch's
 * format-2 writes and the chain's tip so far.
 */
async function* oldBlocks(
  db: Db,
  location: string,
  length: number,
  genesisHash: string,
): AsyncGenerator<{ ops: Op[]; tip: StoredTip }> {
  const damaged = (height: number, problem: string) =>
    new DamagedStoreError(location, `format-1 block ${height} ${problem}; the store was not migrated`);
  const iterator = db.iterator<string, string>({
    gte: oldBlockKey(1),
    lte: oldBlockKey(length),
    valueEncoding: "utf8",
  });
  let tip: StoredTip = { height: 0, hash: "" };
  try {
    for (let entries = await iterator.nextv(BATCH); entries.length > 0; entries = await iterator.nextv(BATCH)) {
      const ops: Op[] = [];
      // A b/<hash> written by a migration cut short may sort among the old keys: it is not one of them.
      for (const [key, value] of entries.filter(([key]) => OLD_BLOCK_KEY.test(key))) {
        const height = tip.height + 1;
        if (key !== oldBlockKey(height)) throw damaged(height, "is missing");
        let block: Block;
        try {
          block = checkBlockShape(JSON.parse(value));
        } catch (error) {
          if (error instanceof SchemaError || error instanceof SyntaxError) {
            throw damaged(height, `is malformed: ${error.message}`);
          }
          throw error;
        }
        if (block.index !== height) throw damaged(height, `has index ${block.index}`);
        if (height > 1 && block.previous_hash !== tip.hash) {
          throw damaged(
            height,
            `names previous_hash ${block.previous_hash}, not ${tip.hash}, the hash of block ${height - 1}`,
          );
        }
        const written = blockOps(block);
        if (height === 1 && written.hash !== genesisHash) {
          throw damaged(height, "is not the genesis block its network record names");
        }
        ops.push(...written.ops);
        tip = { height, hash: written.hash };
      }
      yield { ops, tip };
    }
  } finally {
    await iterator.close();
  }
  if (tip.height < length) throw damaged(tip.height + 1, `is missing: m/length gives ${length} blocks`);
}

/** One synced batch of the migration; a failed one (disk full) refuses the start, and the next start resumes. */
async function write(db: Db, location: string, ops: Op[]): Promise<void> {
  try {
    await writeBatch(db, ops, { sync: true });
  } catch (error) {
    throw new StoreUnavailableError(
      location,
      `migrating it from format 1 to ${STORE_FORMAT} failed (${(error as Error).message}); the next start resumes the migration`,
    );
  }
}

/** Step 4: the old block keys deleted, then m/length, the mark of a clean-up still to do. */
async function deleteOldKeys(db: Db, location: string, length: number): Promise<void> {
  const iterator = db.keys({ gte: oldBlockKey(1), lte: oldBlockKey(length) });
  try {
    for (let keys = await iterator.nextv(BATCH); keys.length > 0; keys = await iterator.nextv(BATCH)) {
      const ops = keys.filter((key) => OLD_BLOCK_KEY.test(key)).map((key): Op => ({ type: "del", key }));
      await write(db, location, ops);
    }
  } finally {
    await iterator.close();
  }
  await write(db, location, [{ type: "del", key: "m/length" }]);
}

/** Migrates a format-1 store to format 2 (see above), or refuses it, unchanged, with a DamagedStoreError. */
export async function migrateFormat1(db: Db, location: string, genesisHash: string): Promise<StoreMigration> {
  const started = performance.now();
  const length = await db.get("m/length");
  if (!isLength(length)) {
    throw new DamagedStoreError(location, "its chain length (m/length) is missing or malformed; it was not migrated");
  }
  let tip: StoredTip | undefined;
  // Step 1, checking: nothing is written until the whole chain has passed.
  for await (const batch of oldBlocks(db, location, length, genesisHash)) tip = batch.tip;
  // Step 2.
  for await (const { ops } of oldBlocks(db, location, length, genesisHash)) await write(db, location, ops);
  // Step 3, the switch.
  await write(db, location, [
    { type: "put", key: "m/tip", value: tip as StoredTip },
    { type: "put", key: "m/format", value: STORE_FORMAT },
  ]);
  await deleteOldKeys(db, location, length);
  return { from: 1, to: STORE_FORMAT, blocks: length, ms: elapsed(started), resumed: false };
}

/** Resumes the clean-up of a migration cut short after its switch to format 2, when there is one. */
export async function finishMigration(db: Db, location: string): Promise<StoreMigration | undefined> {
  const started = performance.now();
  const length = await db.get("m/length");
  if (length === undefined) return undefined;
  if (!isLength(length)) {
    throw new DamagedStoreError(location, "the chain length (m/length) an interrupted migration left is malformed");
  }
  await deleteOldKeys(db, location, length);
  return { from: 1, to: STORE_FORMAT, blocks: length, ms: elapsed(started), resumed: true };
}
