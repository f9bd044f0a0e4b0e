export * from "./responses.js";
export * from "./schemas.js";
export {
  type Check,
  checkBlockShape,
  checkChain,
  checkChainQuery,
  checkExactNumbers,
  checkRegisterNodes,
  checkTransaction,
  type FieldError,
  SchemaError,
} from "./validate.js";
