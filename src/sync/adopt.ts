import { type Block, isBetter, isReward, type Transaction } from "../chain/index.js";
import { blockEvent } from "../events/index.js";
import { connectFrom, disconnectDown, type LedgerWrite } from "../ledger/index.js";
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

/**
 * What a switch writes besides the chain: the mempool's changes and, on an
 * accounts chain, the ledger's, in the chain's batch, or in pieces when it
 * moves more transactions than a piece (see writeInPieces).
 */
interface Switch {
  removed: number[];
  added: PendingEntry[];
  ledger?: LedgerWrite | "pieces";
  /** For the log: the walkthrough's transactions evicted, or the transfers dropped as no longer valid. */
  report: () => void;
}

/** A switch read and checked, to be made (change: undefined when it must be read again); inPieces when its ledger is written in pieces. */
interface Prepared {
  inPieces: boolean;
  change: () => Switch | undefined;
}

/** The walkthrough's mempool after the switch: our dropped blocks' transactions, then ours, less those the new blocks hold. */
async function namesSwitch(
  host: SyncHost,
  mempool: Mempool,
  staged: StagedChain,
  length: number,
  log: Logger,
): Promise<Prepared> {
  const pending = mempool.list();
  const { orphaned, beyond } = await orphanedAfter(host, staged.fork.height, length);
  const wanted = new Set([...orphaned, ...pending].map(transactionKey));
  const confirmed = new Map<string, number>();
  if (wanted.size > 0) {
    for await (const batch of host.store.staged(staged.fork.height + 1, staged.length)) {
      countConfirmed(batch, wanted, confirmed);
    }
  }
  const change = () => {
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
  return { inPieces: false, change };
}

/**
 * An accounts chain's switch: the ledger disconnects our blocks after the
 * fork with their undo data and connects the staged ones by its rules (an
 * InvalidChainError when one breaks them: the chain is not adopted), and
 * the transfers of our dropped blocks and those pending are admitted again
 * against the new tip. Undefined when a transfer came in meanwhile from a
 * sender it did not read (read again).
 *
 * A switch moving at most `switchPiece` transactions is one write, in the
 * chain's batch. A larger one is only checked here (Ledger.check: every
 * rule, and the accounts it leaves, which the refill reads), its records
 * kept nowhere: writeInPieces writes them.
 */
async function accountsSwitch(
  host: SyncHost,
  { ledger, mempool, switchPiece }: SyncAccounts,
  staged: StagedChain,
  length: number,
  log: Logger,
): Promise<Prepared> {
  const { fork } = staged;
  const { orphaned, beyond } = await orphanedAfter(host, fork.height, length);
  const dropped = () => ourBlocks(host, fork.height + 1, length);
  const added = () => host.store.staged(fork.height + 1, staged.length);
  const write = await ledger.writeUpTo(dropped(), added(), switchPiece);
  const after = write ?? (await ledger.check(dropped(), added()));
  const prepared = await mempool.prepareRefill(orphaned, after);
  const change = (): Switch | undefined => {
    const refill = mempool.refill(prepared);
    if (refill === undefined) return undefined;
    const gone = [...refill.removed, ...refill.refused];
    return {
      removed: refill.removed.map(({ entry }) => entry.seq),
      added: refill.added.map(({ seq, id, tx }) => ({ seq, id, tx })),
      ledger: write ?? "pieces",
      report: () => {
        if (beyond > 0) {
          host.metrics.pendingEvicted(beyond);
          log.warn(
            { capacity: mempool.capacity, beyond },
            `the replaced chain's dropped blocks held more transfers than --max-pending holds: the newest ${beyond} were not taken back`,
          );
        }
        if (gone.length === 0) return;
        log.info(
          { dropped: gone.map(({ entry, reason }) => ({ id: entry.id, reason: reason.message })) },
          `the replaced chain left ${gone.length} pending transfers invalid: dropped`,
        );
      },
    };
  };
  return { inPieces: write === undefined, change };
}

/**
 * A switch too large for one batch, written in pieces of about
 * `switchPiece` transactions, each one atomic batch with a note of the
 * height the ledger is at (m/ledger-at): our blocks after the fork are
 * disconnected, from the tip down, under our chain's index; then the
 * adopted chain's index, the mempool's changes and the note that the
 * ledger is at the fork are one batch; then its blocks are connected, the
 * last piece deleting the note. A crash anywhere leaves a chain whose
 * ledger is behind it, which the next start connects before serving
 * (connectFrom). `ours` are the hashes of our dropped blocks. Returns the
 * pieces written.
 */
async function writeInPieces(
  host: SyncHost,
  { ledger, switchPiece }: SyncAccounts,
  staged: StagedChain,
  ours: readonly string[],
  change: Switch,
  log: Logger,
): Promise<number> {
  const { store } = host;
  const fork = staged.fork.height;
  const read = async (height: number) =>
    (await store.blocks([{ height, hash: ours[height - fork - 1] as string }]))[0] as Block;
  let pieces = await disconnectDown(ledger, store, read, fork, fork + ours.length, switchPiece, (at) =>
    log.debug({ at, fork }, "the switch's ledger: a piece of our blocks disconnected"),
  );
  await store.adoptStaged(staged.fork, staged.hashes, staged.workIndex, change.removed, change.added, { at: fork });
  const view = await store.view();
  try {
    pieces += await connectFrom(ledger, store, view, fork, switchPiece, (at) =>
      log.debug({ at, tip: staged.length }, "the switch's ledger: a piece of the adopted blocks connected"),
    );
  } finally {
    await view.close();
  }
  return pieces;
}

/**
 * Switches to a staged chain when it is still better than ours (isBetter),
 * with the mempool that matches it (see namesSwitch and accountsSwitch). The
 * switch is one atomic write, or on an accounts chain, when it moves more
 * transactions than a piece, written in pieces (writeInPieces) while the
 * ledger's readers wait (LedgerGate.hold). If a block of ours is mined
 * while the dropped and staged blocks are read, it starts over against the
 * chain as it is then. False when ours is as good by now, or the node is
 * stopping; an InvalidChainError when the staged chain breaks the ledger's
 * rules.
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
    const commit = async (): Promise<{ change: Switch; pieces: number } | undefined> => {
      // Holding the ledger waits for its reads: a block of ours may have come meanwhile.
      if (chain.tipHash !== tipHash) return undefined;
      const change = prepared.change();
      if (change === undefined) return undefined;
      const ours = Array.from(
        { length: change.ledger === "pieces" ? length - staged.fork.height : 0 },
        (_, i) => chain.hashAt(staged.fork.height + 1 + i) as string,
      );
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
      let pieces = 1;
      await host.durable(async () => {
        if (change.ledger === "pieces") {
          pieces = await writeInPieces(host, host.accounts as SyncAccounts, staged, ours, change, log);
        } else {
          await store.adoptStaged(staged.fork, staged.hashes, workIndex, change.removed, change.added, change.ledger);
        }
      });
      host.adopted({ length: staged.length, hash: adoptedHash, work: adoptedWork, block: staged.tip }, staged.peer);
      events.emit("chain", {
        length: staged.length,
        hash: adoptedHash,
        fork: staged.fork.height,
        dropped: length - staged.fork.height,
        from: staged.peer.id,
      });
      events.emit("block", blockEvent(staged.tip, adoptedHash, "adopted"));
      return { change, pieces };
    };
    const { inPieces } = prepared;
    const done = inPieces ? await (host.accounts as SyncAccounts).gate.hold(commit) : await commit();
    if (done === undefined) continue;
    log.info(
      {
        from: staged.peer.id,
        length: chain.length,
        fork: staged.fork.height,
        dropped: length - staged.fork.height,
        ...(inPieces ? { pieces: done.pieces } : {}),
      },
      inPieces ? `chain replaced, its ledger written in ${done.pieces} pieces` : "chain replaced",
    );
    done.change.report();
    return true;
  }
}
