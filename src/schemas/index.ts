export * from "./events.js";
export * from "./responses.js";
export * from "./schemas.js";
export {
  type Check,
  checkAccountAnswer,
  checkAnnounce,
  checkBlockPath,
  checkBlockRef,
  checkBlockShape,
  checkChain,
  checkChainQuery,
  checkChainSpecFile,
  checkExactNumbers,
  checkHistoryQuery,
  checkLocate,
  checkRegisterNodes,
  checkSignedTransaction,
  checkStatsChain,
  checkStoredTransaction,
  checkTip,
  checkTransaction,
  checkTransactionAdded,
  checkTransactionPath,
  checkTransactionStatus,
  type FieldError,
  SchemaError,
} from "./validate.js";
