import { type Block, isBetter, isReward, type Transaction } from "../chain/index.js";
import { blockEvent } from "../events/index.js";
import type { LedgerWrite } from "../ledger/index.js";
import type { Logger } from "../log.js";
import { countConfirmed, Mempool, type PendingEntry, pendingAfterReorg, transactionKey } from "../mempool/index.js";
import type { SyncAccounts, SyncHost } from "./interface.js";
import type { StagedChain } from "./range/index.js";

/**
 * The transactions of our blocks after `fork` up to `length` (rewards
 * excluded), oldest first, at most a mempool's worth; `beyond` counts the
 * rest, which the mempool could not hold anyway. The blocks are read by
 * the hashes of our chain in memory (ourBlocks), not in a view of the
 * store: a block of ours still being written is in no view yet, but its
 * transactions already left the mempool, and they must come back.
 */
async function orphanedAfter(
  host: SyncHost,
  fork: number,
  length: number,
): Promise<{ orphaned: Transaction[]; beyond: number }> {
  const orphaned: Transaction[] = [];
  let beyond = 0;
  for await (const batch of ourBlocks(host, fork + 1, length)) {
    for (const tx of batch.flatMap((block) => block.transactions)) {
      if (isReward(tx)) continue;
      if (orphaned.length < host.mempool.capacity) orphaned.push(tx);
      else beyond++;
    }
  }
  return { orphaned, beyond };
}

/** Blocks read at once from the store when the ledger disconnects ours. */
const DISCONNECT_BATCH = 64;

/**
 * Our blocks from `from` to `to`, by the hashes of our chain in memory: a
 * block of ours still being written is read too, as its undo data is.
 */
async function* ourBlocks({ chain, store }: SyncHost, from: number, to: number): AsyncGenerator<Block[]> {
  for (let start = from; start <= to; start += DISCONNECT_BATCH) {
    const at = [];
    for (let height = start; height <= Math.min(to, start + DISCONNECT_BATCH - 1); height++) {
      at.push({ height, hash: chain.hashAt(height) as string });
    }
    yield await store.blocks(at);
  }
}

/** What a switch writes besides the chain: the mempool's changes and, on an accounts chain, the ledger's. */
interface Switch {
  removed: number[];
  added: PendingEntry[];
  ledger?: LedgerWrite;
  /** For the log: the walkthrough's transactions evicted, or the transfers dropped as no longer valid. */
  report: () => void;
}

/** The walkthrough's mempool after the switch: our dropped blocks' transactions, then ours, less those the new blocks hold. */
async function namesSwitch(
  host: SyncHost,
  mempool: Mempool,
  staged: StagedChain,
  length: number,
  log: Logger,
): Promise<() => Switch> {
  const pending = mempool.list();
  const { orphaned, beyond } = await orphanedAfter(host, staged.fork.height, length);
  const wanted = new Set([...orphaned, ...pending].map(transactionKey));
  const confirmed = new Map<string, number>();
  if (wanted.size > 0) {
    for await (const batch of host.store.staged(staged.fork.height + 1, staged.length)) {
      countConfirmed(batch, wanted, confirmed);
    }
  }
  return () => {
    // Nothing leaves the mempool but by a block of ours, which moves the tip: what came since is at its end.
    const arrived = mempool.list().slice(pending.length);
    const kept = [...pendingAfterReorg(orphaned, pending, confirmed), ...arrived];
    const { removed, added, evicted } = mempool.replaceAll(kept);
    return {
      removed,
      added,
      report: () => {
        const lost = evicted.length + beyond;
        if (lost === 0) return;
        host.metrics.pendingEvicted(lost);
        log.warn(
          { capacity: mempool.capacity, evicted, beyond },
          `the replaced chain brought back more pending transactions than --max-pending holds: the newest ${lost} were evicted`,
        );
      },
    };
  };
}

/**
 * An accounts chain's switch: the ledger disconnects our blocks after the
 * fork with their undo data and connects the staged ones by its rules (an
 * InvalidChainError when one breaks them: the chain is not adopted), and
 * the transfers of our dropped blocks and those pending are admitted again
 * against the new tip. Undefined when a transfer came in meanwhile from a
 * sender it did not read (read again).
 */
async function accountsSwitch(
  host: SyncHost,
  { ledger, mempool }: SyncAccounts,
  staged: StagedChain,
  length: number,
  log: Logger,
): Promise<() => Switch | undefined> {
  const { fork } = staged;
  const { orphaned } = await orphanedAfter(host, fork.height, length);
  const write = await ledger.write(
    ourBlocks(host, fork.height + 1, length),
    host.store.staged(fork.height + 1, staged.length),
  );
  const prepared = await mempool.prepareRefill(orphaned, write);
  return () => {
    const refill = mempool.refill(prepared);
    if (refill === undefined) return undefined;
    const gone = [...refill.removed, ...refill.refused];
    return {
      removed: refill.removed.map(({ entry }) => entry.seq),
      added: refill.added.map(({ seq, id, tx }) => ({ seq, id, tx })),
      ledger: write,
      report: () => {
        if (gone.length === 0) return;
        log.info(
          { dropped: gone.map(({ entry, reason }) => ({ id: entry.id, reason: reason.message })) },
          `the replaced chain left ${gone.length} pending transfers invalid: dropped`,
        );
      },
    };
  };
}

/**
 * Switches to a staged chain when it is still better than ours (isBetter),
 * with the mempool that matches it (see namesSwitch and accountsSwitch). The
 * switch is one atomic write. If a block of ours is mined while the dropped
 * and staged blocks are read, it starts over against the chain as it is
 * then. False when ours is as good by now, or the node is stopping; an
 * InvalidChainError when the staged chain breaks the ledger's rules.
 */
export async function adopt(host: SyncHost, staged: StagedChain, stopping: AbortSignal, log: Logger): Promise<boolean> {
  const { chain, store, events } = host;
  for (;;) {
    const { tipHash, length } = chain;
    if (!isBetter(staged, chain) || stopping.aborted) return false;
    const prepared =
      host.mempool instanceof Mempool
        ? await namesSwitch(host, host.mempool, staged, length, log)
        : await accountsSwitch(host, host.accounts as SyncAccounts, staged, length, log);
    if (chain.tipHash !== tipHash) continue;
    if (stopping.aborted) return false;
    const change = prepared();
    if (change === undefined) continue;
    const { workIndex } = staged;
    chain.adopt({
      fork: staged.fork.height,
      hashes: staged.hashes,
      work: workIndex,
      tip: staged.tip,
      recent: staged.recent,
    });
    // Read before the write: a block mined on the new tip meanwhile has its own event.
    const adoptedHash = chain.tipHash;
    const adoptedWork = chain.work;
    host.switched();
    await host.durable(() =>
      store.adoptStaged(staged.fork, staged.hashes, workIndex, change.removed, change.added, change.ledger),
    );
    host.adopted({ length: staged.length, hash: adoptedHash, work: adoptedWork, block: staged.tip }, staged.peer);
    events.emit("chain", {
      length: staged.length,
      hash: adoptedHash,
      fork: staged.fork.height,
      dropped: length - staged.fork.height,
      from: staged.peer.id,
    });
    events.emit("block", blockEvent(staged.tip, adoptedHash, "adopted"));
    log.info(
      {
        from: staged.peer.id,
        length: chain.length,
        fork: staged.fork.height,
        dropped: length - staged.fork.height,
      },
      "chain replaced",
    );
    change.report();
    return true;
  }
}
