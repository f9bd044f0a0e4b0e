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
  checkLocate,
  checkRegisterNodes,
  checkSignedTransaction,
  checkStoredTransaction,
  checkTip,
  checkTransaction,
  type FieldError,
  SchemaError,
} from "./validate.js";
