import { ClassicLevel } from "classic-level";
import type { Block } from "../chain/index.js";
import type { Peer } from "../peers/index.js";
import { checkBlockShape, checkTransaction } from "../schemas/index.js";
import { DamagedStoreError, StoreUnavailableError } from "./errors.js";
import { GroupCommit } from "./group-commit.js";
import type { NetworkId, PendingEntry, Store, StoredState } from "./interface.js";

/**
 * The store on disk: LevelDB through classic-level. Keys:
 *
 *   m/node-id   m/network   m/length     the node's identity, network, chain length
 *   b/<index>   a block (index zero-padded, so keys sort by index)
 *   t/<seq>     a pending transaction (seq zero-padded: arrival order)
 *   p/<id>      a registered peer
 *
 * Every write is one atomic batch, synced before it resolves.
 */

type Value = string | number | Block | PendingEntry["tx"] | Peer | NetworkId;
type Op = { type: "put"; key: string; value: Value } | { type: "del"; key: string };

const NODE_ID = /^[0-9a-f]{32}$/;

function isNetworkId(value: unknown): value is NetworkId {
  const network = value as Partial<NetworkId> | undefined;
  return typeof network?.genesisHash === "string" && Number.isInteger(network.difficulty);
}

const pad = (n: number): string => String(n).padStart(16, "0");
const blockKey = (index: number) => `b/${pad(index)}`;
const txKey = (seq: number) => `t/${pad(seq)}`;

export class LevelStore implements Store {
  readonly #db: ClassicLevel<string, Value>;
  readonly #writer: GroupCommit<Op>;

  constructor(readonly location: string) {
    this.#db = new ClassicLevel<string, Value>(location, { valueEncoding: "json" });
    this.#writer = new GroupCommit((ops) => this.#db.batch(ops, { sync: true }));
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
      if (error instanceof DamagedStoreError) throw error;
      throw new DamagedStoreError(this.location, (error as Error).message);
    }
  }

  /** Reads everything back, checking each value's shape: any surprise means damage. */
  async #read(): Promise<StoredState | undefined> {
    const damaged = (reason: string) => new DamagedStoreError(this.location, reason);
    const nodeId = await this.#db.get("m/node-id");
    if (nodeId === undefined) {
      if ((await this.#db.keys({ limit: 1 }).all()).length === 0) return undefined;
      throw damaged("its node id is missing");
    }
    if (typeof nodeId !== "string" || !NODE_ID.test(nodeId)) throw damaged("its node id is not 32 hex digits");
    const network = await this.#db.get("m/network");
    if (!isNetworkId(network)) throw damaged("its network record is missing or malformed");
    const length = await this.#db.get("m/length");
    if (typeof length !== "number" || !Number.isSafeInteger(length) || length < 1) {
      throw damaged("its chain length is missing or malformed");
    }
    const blocks = await this.#db.values({ gte: blockKey(1), lte: blockKey(length) }).all();
    if (blocks.length !== length) throw damaged(`it should hold ${length} blocks but holds ${blocks.length}`);
    const pending: PendingEntry[] = [];
    for await (const [key, tx] of this.#db.iterator({ gte: "t/", lt: "t0" })) {
      pending.push({ seq: Number(key.slice(2)), tx: checkTransaction(tx) });
    }
    const peers = (await this.#db.values({ gte: "p/", lt: "p0" }).all()).map((value) => {
      const { id, url } = value as Partial<Peer>;
      if (typeof id !== "string" || typeof url !== "string") throw damaged("a peer record is malformed");
      return { id, url };
    });
    return { nodeId, network, blocks: blocks.map(checkBlockShape), pending, peers };
  }

  create(nodeId: string, network: NetworkId, genesis: Block): Promise<void> {
    return this.#writer.write([
      { type: "put", key: "m/node-id", value: nodeId },
      { type: "put", key: "m/network", value: network },
      { type: "put", key: blockKey(genesis.index), value: genesis },
      { type: "put", key: "m/length", value: 1 },
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

  appendBlock(block: Block, confirmed: readonly number[]): Promise<void> {
    return this.#writer.write([
      { type: "put", key: blockKey(block.index), value: block },
      { type: "put", key: "m/length", value: block.index },
      ...confirmed.map((seq): Op => ({ type: "del", key: txKey(seq) })),
    ]);
  }

  replaceChain(added: readonly Block[], removed: readonly number[], pending: readonly PendingEntry[]): Promise<void> {
    const tip = added[added.length - 1];
    if (tip === undefined) throw new RangeError("a replacement brings at least one block");
    return this.#writer.write([
      ...added.map((block): Op => ({ type: "put", key: blockKey(block.index), value: block })),
      { type: "put", key: "m/length", value: tip.index },
      ...removed.map((seq): Op => ({ type: "del", key: txKey(seq) })),
      ...pending.map(({ seq, tx }): Op => ({ type: "put", key: txKey(seq), value: tx })),
    ]);
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}
