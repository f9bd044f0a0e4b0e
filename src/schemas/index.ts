export * from "./schemas.js";
export {
  type Check,
  checkChain,
  checkRegisterNodes,
  checkTransaction,
  type FieldError,
  SchemaError,
} from "./validate.js";
