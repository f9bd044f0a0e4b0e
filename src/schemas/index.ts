export * from "./responses.js";
export * from "./schemas.js";
export {
  type Check,
  checkBlockShape,
  checkChain,
  checkChainQuery,
  checkRegisterNodes,
  checkTransaction,
  type FieldError,
  SchemaError,
} from "./validate.js";
