export * from "./responses.js";
export * from "./schemas.js";
export {
  type Check,
  checkChain,
  checkChainQuery,
  checkRegisterNodes,
  checkTransaction,
  type FieldError,
  SchemaError,
} from "./validate.js";
