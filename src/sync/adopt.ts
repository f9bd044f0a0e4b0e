import { isBetter, isReward, type Transaction } from "../chain/index.js";
import { blockEvent } from "../events/index.js";
import type { Logger } from "../log.js";
import { countConfirmed, pendingAfterReorg, transactionKey } from "../mempool/index.js";
import type { SyncHost } from "./interface.js";
import type { StagedChain } from "./range/index.js";

/**
 * The transactions of our blocks after `fork` up to `length` (rewards
 * excluded), oldest first, at most a mempool's worth; `beyond` counts the
 * rest, which the mempool could not hold anyway.
 */
async function orphanedAfter(
  { store, mempool }: SyncHost,
  fork: number,
  length: number,
): Promise<{ orphaned: Transaction[]; beyond: number }> {
  const orphaned: Transaction[] = [];
  let beyond = 0;
  if (fork >= length) return { orphaned, beyond };
  const view = await store.view();
  try {
    for await (const batch of view.blocks(fork + 1, Math.min(length, view.length))) {
      for (const tx of batch.flatMap((block) => block.transactions)) {
        if (isReward(tx)) continue;
        if (orphaned.length < mempool.capacity) orphaned.push(tx);
        else beyond++;
      }
    }
  } finally {
    await view.close();
  }
  return { orphaned, beyond };
}

/**
 * Switches to a staged chain when it is still better than ours (isBetter),
 * with the mempool that matches it: our dropped blocks' transactions, then
 * ours, less those the new blocks hold. The switch is one atomic write. If
 * a block of ours is mined while the dropped and staged blocks are read, it
 * starts over against the chain as it is then. False when ours is as good
 * by now, or the node is stopping.
 */
export async function adopt(host: SyncHost, staged: StagedChain, stopping: AbortSignal, log: Logger): Promise<boolean> {
  const { chain, mempool, store, events } = host;
  for (;;) {
    const { tipHash, length } = chain;
    if (!isBetter(staged, chain) || stopping.aborted) return false;
    const pending = mempool.list();
    const { orphaned, beyond } = await orphanedAfter(host, staged.fork.height, length);
    const wanted = new Set([...orphaned, ...pending].map(transactionKey));
    const confirmed = new Map<string, number>();
    if (wanted.size > 0) {
      for await (const batch of store.staged(staged.fork.height + 1, staged.length)) {
        countConfirmed(batch, wanted, confirmed);
      }
    }
    if (chain.tipHash !== tipHash) continue;
    if (stopping.aborted) return false;
    // Nothing leaves the mempool but by a block of ours, which moves the tip: what came since is at its end.
    const arrived = mempool.list().slice(pending.length);
    const kept = [...pendingAfterReorg(orphaned, pending, confirmed), ...arrived];
    const { removed, added, evicted } = mempool.replaceAll(kept);
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
    await host.durable(() => store.adoptStaged(staged.fork, staged.hashes, workIndex, removed, added));
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
    const lost = evicted.length + beyond;
    if (lost > 0) {
      host.metrics.pendingEvicted(lost);
      log.warn(
        { capacity: mempool.capacity, evicted, beyond },
        `the replaced chain brought back more pending transactions than --max-pending holds: the newest ${lost} were evicted`,
      );
    }
    return true;
  }
}
