export { MempoolFullError, ReservedSenderError } from "./errors.js";
export { fitCapacity, Mempool, type PendingEntry } from "./mempool.js";
export { countConfirmed, pendingAfterReorg, transactionKey } from "./reconcile.js";
