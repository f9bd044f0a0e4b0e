export * from "./events.js";
export * from "./responses.js";
export * from "./schemas.js";
export {
  type Check,
  checkAnnounce,
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
  checkStoredTransaction,
  checkTip,
  checkTransaction,
  checkTransactionPath,
  type FieldError,
  SchemaError,
} from "./validate.js";
