export { MempoolFullError, ReservedSenderError } from "./errors.js";
export { Mempool, type PendingEntry } from "./mempool.js";
export { pendingAfterReorg } from "./reconcile.js";
