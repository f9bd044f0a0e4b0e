export {
  type AccountsLookup,
  AccountsPool,
  type Admission,
  type Confirmation,
  type Dropped,
  type NewTransfer,
  type PooledTransfer,
  type Refill,
  type Restored,
  type SenderAccount,
  type Transfer,
} from "./accounts-pool.js";
export {
  AlreadyPendingError,
  InsufficientFundsError,
  MempoolFullError,
  NonceGapError,
  NonceUsedError,
  PoolFullError,
  ReplacementFeeError,
  ReservedSenderError,
  TransferRefusedError,
} from "./errors.js";
export { compareFeeRate, type Rated } from "./fee-rate.js";
export { fitCapacity, Mempool, type PendingEntry } from "./mempool.js";
export { countConfirmed, pendingAfterReorg, transactionKey } from "./reconcile.js";
