export { ReservedSenderError } from "./errors.js";
export { Mempool } from "./mempool.js";
export { pendingAfterReorg } from "./reconcile.js";
