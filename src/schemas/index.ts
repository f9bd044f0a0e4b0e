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
  checkTip,
  checkTransaction,
  type FieldError,
  SchemaError,
} from "./validate.js";
