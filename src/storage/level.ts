import { ClassicLevel } from "classic-level";
import type { Account, Block, HashList } from "../chain/index.js";
import type { HistoryPage, LedgerWrite, TxPlace, UndoRecord } from "../ledger/index.js";
import type { Peer } from "../peers/index.js";
import type { BlockRef } from "../schemas/index.js";
import { checkStoredTransaction } from "../schemas/index.js";
import type { StagedBlock } from "../sync/range/interface.js";
import { decodeBlock, matchesHash } from "./block-codec.js";
import {
  DamagedBlockError,
  DamagedStoreError,
  StoreClosedError,
  StoreFormatError,
  StoreUnavailableError,
} from "./errors.js";
import { GroupCommit } from "./group-commit.js";
import type {
  BitsList,
  ChainView,
  IndexEntry,
  LedgerBehind,
  NetworkId,
  PendingEntry,
  Store,
  StoredState,
  StoredTip,
} from "./interface.js";
import {
  accountKey,
  blockKey,
  blockOps,
  type Db,
  historyRange,
  indexKey,
  LEDGER_PREFIXES,
  ledgerOps,
  type Op,
  pad,
  placeKey,
  STORE_FORMAT,
  type StoredEntry,
  type StoredPlace,
  undoKey,
  type Value,
  writeBatch,
} from "./level-keys.js";
import { finishMigration, migrateFormat1 } from "./migrate.js";

/**
 * The store on disk: LevelDB through classic-level. Keys (format 2):
 *
 *   m/format  m/node-id  m/network  m/tip    layout version, identity, network, the tip's height and hash
 *   h/<height>   the index: the block's hash and its previous_hash (height zero-padded: keys sort by height)
 *   b/<hash>     a block, as its canonical JSON: its bytes hash to its key
 *   s/<height>   a block a resolve staged: its hash and previous_hash, as h/ has them
 *   t/<seq>      a pending transaction (seq zero-padded: arrival order)
 *   p/<id>       a registered peer
 *
 * and on an accounts chain its ledger (see LedgerWrite), written in the batch of the blocks that change it:
 *
 *   a/<address>                     an account: {balance, nonce}
 *   u/<height>                      a block's undo data: the accounts it touched, as they were before it
 *   i/<id>                          where a confirmed transaction is: height, position, sender, recipient
 *   x/<address>/<height>/<position> an address's history (its value the transaction's id): newest last
 *   m/reindex                       set while --reindex rebuilds the ledger
 *   m/ledger-at                     set while a switch too large for one batch writes the ledger in pieces:
 *                                   the height of the index the ledger is at (a start connects the rest)
 *
 * Every write is one atomic batch, synced before it resolves, but staging:
 * a staged block is written with its s/ entry and not synced (a crash may
 * lose it: it is read again), and start-up deletes whatever staging is left.
 * Adopting staged blocks writes their h/ entries and m/tip in one synced
 * batch, then drops their s/ entries. Blocks a replacement dropped stay
 * under b/ (no index entry names them), as Bitcoin Core keeps stale blocks.
 * A switch whose ledger is too large for one batch is written in pieces
 * (see adoptStaged and writeLedgerTo), m/ledger-at saying how far it got.
 * A store of format 1 is migrated to format 2 as it loads (see migrate.ts).
 */

/** Bytes of blocks read from the store at once, about: a read batch is sized by the blocks before it. */
const READ_BATCH_BYTES = 1024 * 1024;
/** Blocks read at once, at most; and in the first batch, whose sizes are not known yet, one (the next double at most). */
const MAX_READ_BATCH = 512;
const FIRST_READ_BATCH = 1;

/**
 * The blocks to read in the next batch, after one of `count` blocks: as
 * many of the largest block read so far as READ_BATCH_BYTES holds, and at
 * most twice as many as the last batch. Sized by the last batch's average,
 * a chain whose blocks grow at once (a small block, then blocks of 10,000
 * transfers, 3 MB each) read 512 of the large ones in one batch: a sync's
 * whole chain, 100 MB of bytes, held at once by the switch.
 */
function nextReadBatch(count: number, largest: number): number {
  return Math.max(1, Math.min(MAX_READ_BATCH, 2 * count, Math.floor(READ_BATCH_BYTES / Math.max(1, largest))));
}

/** The size of the largest of `values`, or `largest` if larger. */
const largestOf = (values: readonly (Buffer | undefined)[], largest: number): number =>
  values.reduce((most, value) => Math.max(most, value?.length ?? 0), largest);
const NODE_ID = /^[0-9a-f]{32}$/;
const HASH = /^[0-9a-f]{64}$/;
const BITS = /^[0-9a-f]{8}$/;

function isNetworkId(value: unknown): value is NetworkId {
  const network = value as Partial<NetworkId> | undefined;
  return (
    typeof network?.genesisHash === "string" &&
    Number.isInteger(network.difficulty) &&
    (network.chain === undefined || typeof network.chain === "string")
  );
}

function isTip(value: unknown): value is StoredTip {
  const tip = value as Partial<StoredTip> | undefined;
  return Number.isSafeInteger(tip?.height) && (tip?.height ?? 0) >= 1 && HASH.test(String(tip?.hash));
}

const stagedKey = (height: number) => `s/${pad(height)}`;
/** Set while the ledger is rebuilt from the blocks (--reindex): a start that finds it rebuilds again. */
const REINDEX_KEY = "m/reindex";
/** Set while the ledger is behind the chain's index, at this height: a switch written in pieces (see LedgerBehind). */
const LEDGER_AT_KEY = "m/ledger-at";
const txKey = (seq: number) => `t/${pad(seq)}`;

type Snapshot = ReturnType<Db["snapshot"]>;

/** The chain in one LevelDB snapshot. */
class LevelChainView implements ChainView {
  constructor(
    readonly location: string,
    readonly length: number,
    readonly tipHash: string,
    private readonly db: Db,
    private readonly snapshot: Snapshot,
  ) {}

  async hashAt(height: number): Promise<string | undefined> {
    if (!Number.isSafeInteger(height) || height < 1 || height > this.length) return undefined;
    for await (const entry of this.entries(height, height)) return entry.hash;
    return undefined;
  }

  async *entries(from: number, to: number): AsyncGenerator<IndexEntry> {
    if (from > to) return;
    let height = from;
    const range = { gte: indexKey(from), lte: indexKey(to), snapshot: this.snapshot };
    for await (const [key, value] of this.db.iterator(range)) {
      const entry = value as Partial<StoredEntry>;
      if (key !== indexKey(height)) {
        throw new DamagedStoreError(this.location, `its index has no entry for height ${height}`);
      }
      if (!HASH.test(String(entry.hash)) || typeof entry.previous_hash !== "string") {
        throw new DamagedStoreError(this.location, `its index entry for height ${height} is malformed`);
      }
      if (entry.bits !== undefined && !BITS.test(String(entry.bits))) {
        throw new DamagedStoreError(this.location, `its index entry for height ${height} is malformed`);
      }
      yield {
        height,
        hash: entry.hash as string,
        previousHash: entry.previous_hash,
        ...(entry.bits === undefined ? {} : { bits: entry.bits }),
      };
      height++;
    }
    if (height <= to) throw new DamagedStoreError(this.location, `its index has no entry for height ${height}`);
  }

  /** The index entries from `from` to `to` in batches of READ_BATCH_BYTES of blocks or so (see nextReadBatch), then their stored bytes. */
  async *#batches(from: number, to: number): AsyncGenerator<{ entries: IndexEntry[]; values: (Buffer | undefined)[] }> {
    let batch: IndexEntry[] = [];
    let size = FIRST_READ_BATCH;
    let largest = 0;
    for await (const entry of this.entries(from, to)) {
      batch.push(entry);
      if (batch.length < size) continue;
      const values = await this.#read(batch);
      largest = largestOf(values, largest);
      size = nextReadBatch(batch.length, largest);
      yield { entries: batch, values };
      batch = [];
    }
    if (batch.length > 0) yield { entries: batch, values: await this.#read(batch) };
  }

  #read(entries: readonly IndexEntry[]): Promise<(Buffer | undefined)[]> {
    return this.db.getMany<string, Buffer>(
      entries.map((entry) => blockKey(entry.hash)),
      { snapshot: this.snapshot, valueEncoding: "buffer" },
    );
  }

  async *encoded(from: number, to: number): AsyncGenerator<Buffer[]> {
    for await (const { entries, values } of this.#batches(from, to)) {
      yield entries.map((entry, i) => checkedBytes(this.location, entry, values[i]));
    }
  }

  async *blocks(from: number, to: number): AsyncGenerator<Block[]> {
    for await (const { entries, values } of this.#batches(from, to)) {
      yield entries.map((entry, i) => {
        const block = checkedBlock(this.location, entry, checkedBytes(this.location, entry, values[i]));
        if (block.previous_hash !== entry.previousHash) {
          throw new DamagedBlockError(
            this.location,
            entry.height,
            entry.hash,
            "does not name the previous hash its index entry gives",
          );
        }
        if (entry.bits !== undefined && block.bits !== entry.bits) {
          throw new DamagedBlockError(
            this.location,
            entry.height,
            entry.hash,
            "does not state the bits its index entry gives",
          );
        }
        return block;
      });
    }
  }

  async blockByHash(hash: string): Promise<Block | undefined> {
    const bytes = await this.db.get<string, Buffer>(blockKey(hash), {
      snapshot: this.snapshot,
      valueEncoding: "buffer",
    });
    if (bytes === undefined) return undefined;
    if (!matchesHash(bytes, hash)) {
      throw new DamagedStoreError(this.location, `its block ${hash} was altered: its bytes no longer hash to its key`);
    }
    const block = decodeBlock(bytes.toString("utf8"));
    return (await this.hashAt(block.index)) === hash ? block : undefined;
  }

  close(): Promise<void> {
    return this.snapshot.close();
  }
}

/** A block's stored bytes, after checking they hash to its key. */
function checkedBytes(location: string, at: { height: number; hash: string }, bytes: Buffer | undefined): Buffer {
  if (bytes === undefined) throw new DamagedBlockError(location, at.height, at.hash, "is missing");
  if (!matchesHash(bytes, at.hash)) {
    throw new DamagedBlockError(
      location,
      at.height,
      at.hash,
      "was altered: its stored bytes no longer hash to its key",
    );
  }
  return bytes;
}

/** The block of checked bytes, after checking it sits at its height. */
function checkedBlock(location: string, at: { height: number; hash: string }, bytes: Buffer): Block {
  const block = decodeBlock(bytes.toString("utf8"));
  if (block.index !== at.height) {
    throw new DamagedBlockError(
      location,
      at.height,
      at.hash,
      `is stored at height ${at.height} but has index ${block.index}`,
    );
  }
  return block;
}

export class LevelStore implements Store {
  readonly #db: Db;
  readonly #writer: GroupCommit<Op>;
  /** Blocks written but not yet durable, by hash: blocks() reads them too. */
  readonly #unsynced = new Map<string, Block>();
  /**
   * Accounts, undo records and transactions' places written but not yet
   * durable, by key (a value of undefined: deleted), each with the write
   * that made it: the ledger reads the state as of every write issued, as
   * the chain in memory is, and so does GET /transactions/{id}, which would
   * otherwise find a transfer neither pending (a block took it) nor placed
   * while that block is synced.
   */
  readonly #unsyncedLedger = new Map<string, { value: Value | undefined; write: number }>();
  #writes = 0;

  constructor(readonly location: string) {
    this.#db = new ClassicLevel<string, Value>(location, { valueEncoding: "json" });
    this.#writer = new GroupCommit((ops) => writeBatch(this.#db, ops, { sync: true }));
  }

  async load(): Promise<StoredState | undefined> {
    try {
      await this.#db.open();
    } catch (error) {
      const cause = (error as Error & { cause?: Error & { code?: string } }).cause;
      if (cause?.code === "LEVEL_CORRUPTION") throw new DamagedStoreError(this.location, cause.message);
      const reason =
        cause?.code === "LEVEL_LOCKED" ? "another toychain process is using it" : (cause ?? (error as Error)).message;
      throw new StoreUnavailableError(this.location, reason);
    }
    try {
      return await this.#read();
    } catch (error) {
      if (
        error instanceof DamagedStoreError ||
        error instanceof StoreFormatError ||
        error instanceof StoreUnavailableError
      ) {
        throw error;
      }
      throw new DamagedStoreError(this.location, (error as Error).message);
    }
  }

  /**
   * Reads the small records back, checking each value's shape: any surprise
   * means damage. A format-1 store is migrated once they have passed, and a
   * migration cut short during its clean-up is finished.
   */
  async #read(): Promise<StoredState | undefined> {
    const damaged = (reason: string) => new DamagedStoreError(this.location, reason);
    const nodeId = await this.#db.get("m/node-id");
    if (nodeId === undefined) {
      if ((await this.#db.keys({ limit: 1 }).all()).length === 0) return undefined;
      throw damaged("its node id is missing");
    }
    const format = (await this.#db.get("m/format")) ?? 1;
    if (format !== 1 && format !== STORE_FORMAT) {
      throw new StoreFormatError(this.location, Number(format), STORE_FORMAT);
    }
    if (typeof nodeId !== "string" || !NODE_ID.test(nodeId)) throw damaged("its node id is not 32 hex digits");
    const network = await this.#db.get("m/network");
    if (!isNetworkId(network)) throw damaged("its network record is missing or malformed");
    const pending: PendingEntry[] = [];
    for await (const [key, tx] of this.#db.iterator({ gte: "t/", lt: "t0" })) {
      pending.push({ seq: Number(key.slice(2)), tx: checkStoredTransaction(tx) });
    }
    const peers = (await this.#db.values({ gte: "p/", lt: "p0" }).all()).map((value) => {
      const { id, url } = value as Partial<Peer>;
      if (typeof id !== "string" || typeof url !== "string") throw damaged("a peer record is malformed");
      return { id, url };
    });
    const migration =
      format === 1
        ? await migrateFormat1(this.#db, this.location, network.genesisHash)
        : await finishMigration(this.#db, this.location);
    if (!isTip(await this.#db.get("m/tip"))) throw damaged("its tip record is missing or malformed");
    const discardedStaged = await this.#discardStaged({ gte: "s/", lt: "s0" });
    const reindexing = (await this.#db.get(REINDEX_KEY)) !== undefined;
    const ledgerAt = await this.#db.get(LEDGER_AT_KEY);
    if (ledgerAt !== undefined && (!Number.isSafeInteger(ledgerAt) || (ledgerAt as number) < 1)) {
      throw damaged("its note of the ledger's height is malformed");
    }
    return {
      nodeId,
      network,
      pending,
      peers,
      discardedStaged,
      ...(reindexing ? { reindexing } : {}),
      ...(ledgerAt === undefined ? {} : { ledgerAt: ledgerAt as number }),
      ...(migration === undefined ? {} : { migration }),
    };
  }

  /**
   * Deletes the staged entries in `range`, and their blocks unless the index
   * names them (they were adopted), in batches. Returns how many blocks went.
   */
  async #discardStaged(range: { gte: string; lt?: string; lte?: string }): Promise<number> {
    let discarded = 0;
    let ops: Op[] = [];
    const flush = async (): Promise<void> => {
      if (ops.length > 0) await writeBatch(this.#db, ops, { sync: false });
      ops = [];
    };
    for await (const [key, value] of this.#db.iterator(range)) {
      const staged = value as Partial<StoredEntry>;
      const indexed = (await this.#db.get(indexKey(Number(key.slice(2))))) as Partial<StoredEntry> | undefined;
      ops.push({ type: "del", key });
      if (typeof staged.hash === "string" && indexed?.hash !== staged.hash) {
        ops.push({ type: "del", key: blockKey(staged.hash) });
        discarded++;
      }
      if (ops.length >= 512) await flush();
    }
    await flush();
    return discarded;
  }

  async view(): Promise<ChainView> {
    const snapshot = this.#db.snapshot();
    const tip = await this.#db.get("m/tip", { snapshot }).catch(async (error: unknown) => {
      await snapshot.close();
      throw error;
    });
    if (!isTip(tip)) {
      await snapshot.close();
      throw new DamagedStoreError(this.location, "its tip record is missing or malformed");
    }
    return new LevelChainView(this.location, tip.height, tip.hash, this.#db, snapshot);
  }

  async blocks(at: readonly { height: number; hash: string }[]): Promise<Block[]> {
    // Taken before reading: a block leaves #unsynced only once it is durable.
    const unsynced = at.map((entry) => this.#unsynced.get(entry.hash));
    const values = await this.#db.getMany<string, Buffer>(
      at.map((entry) => blockKey(entry.hash)),
      { valueEncoding: "buffer" },
    );
    return at.map(
      (entry, i) => unsynced[i] ?? checkedBlock(this.location, entry, checkedBytes(this.location, entry, values[i])),
    );
  }

  /**
   * Writes `ops` with the blocks among them readable by blocks(), and the
   * accounts, undo records and places of `ledger` by accounts(), undoOf()
   * and placeOf(), until they are durable.
   */
  async #writeBlocks(
    blocks: readonly { hash: string; block: Block }[],
    ops: Op[],
    ledger?: LedgerWrite,
  ): Promise<void> {
    const write = ++this.#writes;
    const ledgerWrites = ledger === undefined ? [] : ledgerOps(ledger);
    const readable = ledgerWrites.filter((op) => /^[aui]\//.test(op.key));
    for (const { hash, block } of blocks) this.#unsynced.set(hash, block);
    for (const op of readable) {
      this.#unsyncedLedger.set(op.key, { value: op.type === "put" ? op.value : undefined, write });
    }
    try {
      await this.#writer.write(ledgerWrites.length === 0 ? ops : [...ops, ...ledgerWrites]);
    } finally {
      for (const { hash } of blocks) this.#unsynced.delete(hash);
      for (const { key } of readable) {
        if (this.#unsyncedLedger.get(key)?.write === write) this.#unsyncedLedger.delete(key);
      }
    }
  }

  async accounts(addresses: readonly string[]): Promise<Map<string, Account>> {
    const found = new Map<string, Account>();
    const unread: string[] = [];
    for (const address of addresses) {
      const unsynced = this.#unsyncedLedger.get(accountKey(address));
      if (unsynced === undefined) unread.push(address);
      else if (unsynced.value !== undefined) found.set(address, unsynced.value as Account);
    }
    if (unread.length === 0) return found;
    const values = await this.#db.getMany(unread.map(accountKey));
    for (const [i, value] of values.entries()) {
      if (value === undefined) continue;
      const account = value as Partial<Account>;
      if (!Number.isSafeInteger(account.balance) || !Number.isSafeInteger(account.nonce)) {
        throw new DamagedStoreError(this.location, `the account record of ${unread[i]} is malformed`);
      }
      found.set(unread[i] as string, value as Account);
    }
    return found;
  }

  async undoOf(height: number): Promise<UndoRecord> {
    const unsynced = this.#unsyncedLedger.get(undoKey(height));
    const value = unsynced === undefined ? await this.#db.get(undoKey(height)) : unsynced.value;
    if (!Array.isArray(value))
      throw new DamagedStoreError(this.location, `the undo data of block ${height} is missing`);
    return value as UndoRecord;
  }

  async placeOf(id: string): Promise<TxPlace | undefined> {
    const unsynced = this.#unsyncedLedger.get(placeKey(id));
    const value = (unsynced === undefined ? await this.#db.get(placeKey(id)) : unsynced.value) as
      | StoredPlace
      | undefined;
    return value === undefined ? undefined : { id, ...value };
  }

  async history(address: string, limit: number, before?: string): Promise<HistoryPage> {
    const range = historyRange(address);
    const ids: string[] = [];
    const cursors: string[] = [];
    const options = {
      gte: range.gte,
      lt: before === undefined ? range.lt : `${range.gte}${before}`,
      reverse: true,
      limit: limit + 1,
    };
    for await (const [key, id] of this.#db.iterator(options)) {
      ids.push(id as string);
      cursors.push(key.slice(range.gte.length));
    }
    const more = ids.length > limit;
    const places = await Promise.all(ids.slice(0, limit).map((id) => this.placeOf(id)));
    return {
      places: places.filter((place): place is TxPlace => place !== undefined),
      ...(more ? { next: cursors[limit - 1] } : {}),
    };
  }

  create(nodeId: string, network: NetworkId, genesis: Block): Promise<void> {
    const { hash, ops } = blockOps(genesis);
    return this.#writer.write([
      { type: "put", key: "m/format", value: STORE_FORMAT },
      { type: "put", key: "m/node-id", value: nodeId },
      { type: "put", key: "m/network", value: network },
      ...ops,
      { type: "put", key: "m/tip", value: { height: genesis.index, hash } },
    ]);
  }

  addTransaction({ seq, tx }: PendingEntry): Promise<void> {
    return this.#writer.write([{ type: "put", key: txKey(seq), value: tx }]);
  }

  evictPending(seqs: readonly number[]): Promise<void> {
    return this.#writer.write(seqs.map((seq): Op => ({ type: "del", key: txKey(seq) })));
  }

  addPeers(peers: readonly Peer[]): Promise<void> {
    return this.#writer.write(peers.map((peer) => ({ type: "put", key: `p/${peer.id}`, value: peer })));
  }

  appendBlock(block: Block, confirmed: readonly number[], ledger?: LedgerWrite): Promise<void> {
    const { hash, ops } = blockOps(block);
    return this.#writeBlocks(
      [{ hash, block }],
      [
        ...ops,
        { type: "put", key: "m/tip", value: { height: block.index, hash } },
        ...confirmed.map((seq): Op => ({ type: "del", key: txKey(seq) })),
      ],
      ledger,
    );
  }

  async stage(blocks: readonly StagedBlock[]): Promise<void> {
    await writeBatch(
      this.#db,
      blocks.flatMap(({ height, hash, previousHash, bytes }): Op[] => [
        { type: "put", key: blockKey(hash), value: bytes, valueEncoding: "view" },
        { type: "put", key: stagedKey(height), value: { hash, previous_hash: previousHash } },
      ]),
      { sync: false },
    );
  }

  async discard(from: number, to: number): Promise<void> {
    await this.#discardStaged({ gte: stagedKey(from), lte: stagedKey(to) });
  }

  /** The staged blocks, in batches sized as a view's (see nextReadBatch): a switch reads them all, and holds a batch at once. */
  async *staged(from: number, to: number): AsyncGenerator<Block[]> {
    let batch: IndexEntry[] = [];
    let size = FIRST_READ_BATCH;
    let largest = 0;
    const read = async (): Promise<Block[]> => {
      const values = await this.#db.getMany<string, Buffer>(
        batch.map((entry) => blockKey(entry.hash)),
        { valueEncoding: "buffer" },
      );
      largest = largestOf(values, largest);
      size = nextReadBatch(batch.length, largest);
      return batch.map((entry, i) => checkedBlock(this.location, entry, checkedBytes(this.location, entry, values[i])));
    };
    for await (const [key, value] of this.#db.iterator({ gte: stagedKey(from), lte: stagedKey(to) })) {
      const { hash, previous_hash } = value as StoredEntry;
      batch.push({ height: Number(key.slice(2)), hash, previousHash: previous_hash });
      if (batch.length >= size) {
        yield await read();
        batch = [];
      }
    }
    if (batch.length > 0) yield await read();
  }

  async adoptStaged(
    fork: BlockRef,
    hashes: HashList,
    bits: BitsList,
    removed: readonly number[],
    pending: readonly PendingEntry[],
    ledger?: LedgerWrite | LedgerBehind,
  ): Promise<void> {
    const tip = { height: fork.height + hashes.length, hash: hashes.at(hashes.length - 1) as string };
    const ops: Op[] = [];
    let previous = fork.hash;
    for (let i = 0; i < hashes.length; i++) {
      const hash = hashes.at(i) as string;
      const stated = bits.bitsAt(i);
      const entry: StoredEntry = { hash, previous_hash: previous, ...(stated === undefined ? {} : { bits: stated }) };
      ops.push({ type: "put", key: indexKey(fork.height + 1 + i), value: entry });
      previous = hash;
    }
    await this.#writeBlocks(
      [],
      [
        ...ops,
        { type: "put", key: "m/tip", value: tip },
        ...removed.map((seq): Op => ({ type: "del", key: txKey(seq) })),
        ...pending.map(({ seq, tx }): Op => ({ type: "put", key: txKey(seq), value: tx })),
        ...(ledger !== undefined && "at" in ledger
          ? [{ type: "put", key: LEDGER_AT_KEY, value: ledger.at } as Op]
          : []),
      ],
      ledger !== undefined && "at" in ledger ? undefined : ledger,
    );
    // Their blocks are ours now; a crash before this leaves the entries to start-up, which keeps those blocks.
    await this.#db.clear({ gte: stagedKey(fork.height + 1), lte: stagedKey(tip.height) });
  }

  async startReindex(): Promise<void> {
    await this.#writer.write([{ type: "put", key: REINDEX_KEY, value: 1 }]);
    for (const prefix of LEDGER_PREFIXES) await this.#db.clear({ gte: prefix, lt: `${prefix[0]}0` });
  }

  async writeLedger(write: LedgerWrite): Promise<void> {
    await this.#writer.write(ledgerOps(write));
  }

  async finishReindex(): Promise<void> {
    await this.#writer.write([
      { type: "del", key: REINDEX_KEY },
      { type: "del", key: LEDGER_AT_KEY },
    ]);
  }

  async writeLedgerTo(write: LedgerWrite, at: number | undefined): Promise<void> {
    await this.#writer.write([
      ...ledgerOps(write),
      at === undefined ? { type: "del", key: LEDGER_AT_KEY } : { type: "put", key: LEDGER_AT_KEY, value: at },
    ]);
  }

  /** Closes the store once the writes it took are on disk; a write after this is refused (StoreClosedError). */
  async close(): Promise<void> {
    await this.#writer.close(new StoreClosedError(this.location));
    await this.#db.close();
  }
}
