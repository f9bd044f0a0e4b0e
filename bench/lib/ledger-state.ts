import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClassicLevel } from "classic-level";
import { type Block, blockHash, newChainSpec, specFromFile, type Transaction } from "../../src/chain/index.js";
import { encodeAddress, generateKeyPair, signer, signingMessage } from "../../src/keys/index.js";
import { Ledger } from "../../src/ledger/index.js";
import { LEDGER_PREFIXES, LevelStore } from "../../src/storage/index.js";

/** What one prefix of the ledger's records holds once the store is compacted. */
export interface PrefixSize {
  prefix: string;
  records: number;
  /** Keys' and values' bytes as written (values as JSON, as the store writes them). */
  logicalBytes: number;
  /** LevelDB's estimate of the prefix's bytes in its compressed tables. */
  diskBytes: number;
}

export interface LedgerStateReport {
  accounts: number;
  transfers: number;
  blocks: number;
  prefixes: PrefixSize[];
  /** The whole data dir (blocks, index, ledger) once compacted. */
  dataDirBytes: number;
  seconds: number;
}

const dirBytes = (dir: string): number =>
  readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);

/**
 * The accounts ledger's state on disk: a LevelStore (the node's own) takes
 * blocks, each of `perBlock` signed transfers from one funded key to fresh
 * addresses, through Ledger.write and appendBlock as a node's blocks go, until
 * `accounts` addresses have a record. Then the database is compacted and each
 * ledger prefix measured: the account records (a/, one per address), and what
 * grows with transfers instead: the undo data (u/, one per block), the
 * transfers' places (i/, one per transfer) and the addresses' histories (x/,
 * one per transfer and address it touches). Signatures are real, though the
 * ledger's write does not read them: the stored blocks are a node's.
 */
export async function measureLedgerState(accounts: number, perBlock: number): Promise<LedgerStateReport> {
  const started = performance.now();
  const spec = specFromFile(
    newChainSpec({
      name: "bench-state",
      blockTime: 10,
      hashesPerSecond: 1e6,
      now: 1_800_000_000,
      ledger: "accounts",
      reward: 1_000_000_000_000,
    }),
  );
  if (spec.ledger.kind !== "accounts") throw new Error("the bench's spec must be an accounts chain");
  const { prefix } = spec.ledger;
  const funder = generateKeyPair();
  const funderAddress = encodeAddress(prefix, funder.publicKey);
  const sign = signer(funder.secretKey);
  const dir = mkdtempSync(join(tmpdir(), "toychain-bench-state-"));
  try {
    const store = new LevelStore(dir);
    await store.load();
    await store.create("0".repeat(32), { genesisHash: spec.id, difficulty: 0, chain: spec.name }, spec.genesis);
    const ledger = new Ledger(spec, store);
    let parent: Block = spec.genesis;
    let blocks = 0;
    const append = async (transfers: Transaction[]): Promise<void> => {
      const block: Block = {
        index: parent.index + 1,
        timestamp: parent.timestamp + 10,
        transactions: [...transfers, { sender: "0", recipient: funderAddress, amount: spec.reward }],
        proof: 0,
        previous_hash: blockHash(parent),
        bits: spec.genesis.bits as string,
      };
      await store.appendBlock(block, [], await ledger.write([], [[block]]));
      parent = block;
      blocks++;
    };
    // The funder's own record is the first account; its reward pays for every transfer.
    await append([]);
    let nonce = 0;
    let made = 1;
    while (made < accounts) {
      const transfers: Transaction[] = [];
      for (let i = 0; i < perBlock && made < accounts; i++, made++) {
        nonce++;
        const unsigned = {
          sender: funderAddress,
          recipient: encodeAddress(prefix, randomBytes(32)),
          amount: 1,
          fee: 0,
          nonce,
        };
        const signature = Buffer.from(sign(signingMessage(spec.id, unsigned))).toString("hex");
        transfers.push({ ...unsigned, signature });
      }
      await append(transfers);
    }
    await store.close();
    const db = new ClassicLevel<string, string>(dir, { valueEncoding: "utf8" });
    await db.open();
    await db.compactRange("\u0000", "\uffff");
    const prefixes: PrefixSize[] = [];
    for (const prefixKey of LEDGER_PREFIXES) {
      const end = `${prefixKey.slice(0, -1)}0`;
      let records = 0;
      let logicalBytes = 0;
      for await (const [key, value] of db.iterator({ gte: prefixKey, lt: end })) {
        records++;
        logicalBytes += Buffer.byteLength(key) + Buffer.byteLength(value);
      }
      prefixes.push({ prefix: prefixKey, records, logicalBytes, diskBytes: await db.approximateSize(prefixKey, end) });
    }
    await db.close();
    return {
      accounts: made,
      transfers: nonce,
      blocks,
      prefixes,
      dataDirBytes: dirBytes(dir),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
