export { MempoolFullError, ReservedSenderError } from "./errors.js";
export { fitCapacity, Mempool, type PendingEntry } from "./mempool.js";
export { pendingAfterReorg } from "./reconcile.js";
