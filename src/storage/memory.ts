import { type Account, type Block, blockHash, canonicalJson, type HashList } from "../chain/index.js";
import type { HistoryPage, LedgerWrite, TxPlace, UndoRecord } from "../ledger/index.js";
import type { BlockRef } from "../schemas/index.js";
import type { StagedBlock } from "../sync/range/interface.js";
import { decodeBlock } from "./block-codec.js";
import type { ChainView, IndexEntry, LedgerBehind, Store, StoredState } from "./interface.js";
import { historyCursor } from "./level-keys.js";

/** A place's cursor in an address's history, as the LevelStore's keys order them. */
const cursorOf = (place: TxPlace): string => historyCursor(place.height, place.position);
/** The addresses whose history holds a place. */
const addressesOf = ({ sender, recipient }: TxPlace): string[] =>
  sender === undefined || sender === recipient ? [recipient] : [recipient, sender];

/** Blocks handed out at once by a view, as the LevelStore's. */
const READ_BATCH = 128;

/**
 * --in-memory: nothing survives the process, as in the walkthrough's node;
 * the blocks are kept here, in memory, since there is no disk.
 */
export class MemoryStore implements Store {
  readonly location = "memory";
  /** The chain; a replacement makes new arrays, so a view keeps the ones it took. */
  #blocks: Block[] = [];
  #hashes: string[] = [];
  /** Every block the chain has held, by hash, those of branches it left included (as the LevelStore keeps them). */
  readonly #byHash = new Map<string, Block>();
  /** Blocks a resolve staged, by height. */
  readonly #staged = new Map<number, { hash: string; block: Block }>();
  /** The accounts ledger (see LedgerWrite): accounts, undo data by block hash, places by id, and each address's places, oldest first. */
  readonly #accounts = new Map<string, Account>();
  readonly #undo = new Map<number, UndoRecord>();
  readonly #places = new Map<string, TxPlace>();
  readonly #history = new Map<string, TxPlace[]>();

  accounts(addresses: readonly string[]): Promise<Map<string, Account>> {
    const found = new Map<string, Account>();
    for (const address of addresses) {
      const account = this.#accounts.get(address);
      if (account !== undefined) found.set(address, account);
    }
    return Promise.resolve(found);
  }
  undoOf(height: number): Promise<UndoRecord> {
    const record = this.#undo.get(height);
    return record === undefined
      ? Promise.reject(new RangeError(`no undo data for block ${height}`))
      : Promise.resolve(record);
  }
  placeOf(id: string): Promise<TxPlace | undefined> {
    return Promise.resolve(this.#places.get(id));
  }
  history(address: string, limit: number, before?: string): Promise<HistoryPage> {
    const all = this.#history.get(address) ?? [];
    const places: TxPlace[] = [];
    let i = all.length - 1;
    while (i >= 0 && before !== undefined && cursorOf(all[i] as TxPlace) >= before) i--;
    for (; i >= 0 && places.length < limit; i--) places.push(all[i] as TxPlace);
    const last = places[places.length - 1];
    return Promise.resolve({ places, ...(i >= 0 && last !== undefined ? { next: cursorOf(last) } : {}) });
  }

  startReindex(): Promise<void> {
    for (const map of [this.#accounts, this.#undo, this.#places, this.#history]) map.clear();
    return Promise.resolve();
  }
  writeLedger(write: LedgerWrite): Promise<void> {
    this.#applyLedger(write);
    return Promise.resolve();
  }
  finishReindex(): Promise<void> {
    return Promise.resolve();
  }
  writeLedgerTo(write: LedgerWrite): Promise<void> {
    this.#applyLedger(write);
    return Promise.resolve();
  }

  #applyLedger(write: LedgerWrite | undefined): void {
    if (write === undefined) return;
    for (const [address, account] of write.accounts) {
      if (account === null) this.#accounts.delete(address);
      else this.#accounts.set(address, account);
    }
    for (const height of write.undo.del) this.#undo.delete(height);
    for (const [height, record] of write.undo.put) this.#undo.set(height, record);
    for (const place of write.places.del) {
      this.#places.delete(place.id);
      for (const address of addressesOf(place)) {
        const list = this.#history.get(address) ?? [];
        // Disconnected places are the newest.
        const at = list.findLastIndex((each) => each.id === place.id);
        if (at >= 0) list.splice(at, 1);
      }
    }
    for (const place of write.places.put) {
      this.#places.set(place.id, place);
      for (const address of addressesOf(place)) {
        const list = this.#history.get(address) ?? [];
        list.push(place);
        this.#history.set(address, list);
      }
    }
  }

  load(): Promise<StoredState | undefined> {
    return Promise.resolve(undefined);
  }
  create(_nodeId: string, _network: unknown, genesis: Block): Promise<void> {
    this.#blocks = [genesis];
    this.#hashes = [blockHash(genesis)];
    this.#byHash.set(this.#hashes[0] as string, genesis);
    return Promise.resolve();
  }
  addTransaction(): Promise<void> {
    return Promise.resolve();
  }
  evictPending(): Promise<void> {
    return Promise.resolve();
  }
  addPeers(): Promise<void> {
    return Promise.resolve();
  }
  appendBlock(block: Block, _confirmed: readonly number[], ledger?: LedgerWrite): Promise<void> {
    const hash = blockHash(block);
    this.#blocks.push(block);
    this.#hashes.push(hash);
    this.#byHash.set(hash, block);
    this.#applyLedger(ledger);
    return Promise.resolve();
  }
  stage(blocks: readonly StagedBlock[]): Promise<void> {
    for (const { height, hash, bytes } of blocks) {
      this.#staged.set(height, { hash, block: decodeBlock(Buffer.from(bytes).toString("utf8")) });
    }
    return Promise.resolve();
  }
  discard(from: number, to: number): Promise<void> {
    for (let height = from; height <= to; height++) this.#staged.delete(height);
    return Promise.resolve();
  }
  async *staged(from: number, to: number): AsyncGenerator<Block[]> {
    for (let start = from; start <= to; start += READ_BATCH) {
      const heights = Array.from({ length: Math.min(READ_BATCH, to - start + 1) }, (_, i) => start + i);
      yield heights.flatMap((height) => this.#staged.get(height)?.block ?? []);
    }
  }
  adoptStaged(
    fork: BlockRef,
    hashes: HashList,
    _bits: unknown,
    _removed: unknown,
    _pending: unknown,
    ledger?: LedgerWrite | LedgerBehind,
  ): Promise<void> {
    const blocks = [...this.#blocks.slice(0, fork.height)];
    const kept = [...this.#hashes.slice(0, fork.height)];
    for (let i = 0; i < hashes.length; i++) {
      const height = fork.height + 1 + i;
      const staged = this.#staged.get(height);
      if (staged === undefined || staged.hash !== hashes.at(i)) throw new RangeError(`block ${height} was not staged`);
      blocks.push(staged.block);
      kept.push(staged.hash);
      this.#byHash.set(staged.hash, staged.block);
      this.#staged.delete(height);
    }
    this.#blocks = blocks;
    this.#hashes = kept;
    if (ledger !== undefined && !("at" in ledger)) this.#applyLedger(ledger);
    return Promise.resolve();
  }
  blocks(at: readonly { height: number; hash: string }[]): Promise<Block[]> {
    return Promise.resolve(at.map(({ height }) => this.#blocks[height - 1] as Block));
  }
  view(): Promise<ChainView> {
    const blocks = this.#blocks;
    const hashes = this.#hashes;
    const byHash = this.#byHash;
    const length = blocks.length;
    return Promise.resolve({
      length,
      tipHash: hashes[length - 1] as string,
      hashAt: (height: number) => Promise.resolve(height >= 1 ? hashes[height - 1] : undefined),
      async *entries(from: number, to: number): AsyncGenerator<IndexEntry> {
        for (let height = from; height <= Math.min(to, length); height++) {
          const block = blocks[height - 1] as Block;
          const { previous_hash: previousHash, bits } = block;
          yield { height, hash: hashes[height - 1] as string, previousHash, ...(bits === undefined ? {} : { bits }) };
        }
      },
      async *blocks(from: number, to: number): AsyncGenerator<Block[]> {
        for (let start = from; start <= Math.min(to, length); start += READ_BATCH) {
          yield blocks.slice(start - 1, Math.min(to, length, start + READ_BATCH - 1));
        }
      },
      async *encoded(from: number, to: number): AsyncGenerator<Buffer[]> {
        for await (const batch of this.blocks(from, to)) {
          yield batch.map((block) => Buffer.from(canonicalJson(block)));
        }
      },
      blockByHash(hash: string): Promise<Block | undefined> {
        const block = byHash.get(hash);
        const held = block !== undefined && block.index <= length && hashes[block.index - 1] === hash;
        return Promise.resolve(held ? block : undefined);
      },
      close: () => Promise.resolve(),
    });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
