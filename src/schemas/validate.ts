import { Ajv, type ErrorObject, type JSONSchemaType, type ValidateFunction } from "ajv";
import { blockSchema, chainQuerySchema, chainSchema, registerNodesSchema, transactionSchema } from "./schemas.js";

/** One problem found in a payload: where (a field path) and what. */
export interface FieldError {
  field: string;
  message: string;
}

/** A payload that does not match its schema. */
export class SchemaError extends Error {
  override readonly name = "SchemaError";
  constructor(
    readonly what: string,
    readonly errors: FieldError[],
  ) {
    super(`Invalid ${what}: ${errors.map((e) => `${e.field} ${e.message}`).join("; ")}`);
  }
}

const ajv = new Ajv({ allErrors: true, strict: true, strictNumbers: true });
ajv.addSchema([transactionSchema, blockSchema]);
/** Query strings are text: this instance turns "5" into 5 where the schema wants a number. */
const queryAjv = new Ajv({ allErrors: true, strict: true, strictNumbers: true, coerceTypes: true });

function toFieldError(error: ErrorObject): FieldError {
  const path = error.instancePath.slice(1).replaceAll("/", ".");
  const { params } = error;
  if (error.keyword === "required") {
    const field = [path, params.missingProperty].filter(Boolean).join(".");
    return { field, message: "is required" };
  }
  if (error.keyword === "additionalProperties") {
    const field = [path, params.additionalProperty].filter(Boolean).join(".");
    return { field, message: "is not an allowed field" };
  }
  return { field: path || "(body)", message: error.message ?? "is invalid" };
}

/** A validator that returns the typed value or throws a SchemaError naming every bad field. */
export type Check<T> = (value: unknown) => T;

function checker<T>(schema: JSONSchemaType<T>, what: string, compiler: Ajv = ajv): Check<T> {
  const validate: ValidateFunction<T> = compiler.compile(schema);
  return (value) => {
    if (validate(value)) return value;
    throw new SchemaError(what, (validate.errors ?? []).map(toFieldError));
  };
}

export const checkTransaction = checker(transactionSchema, "transaction");
export const checkRegisterNodes = checker(registerNodesSchema, "node list");
export const checkChain = checker(chainSchema, "chain");
export const checkBlockShape = checker(blockSchema, "block");
export const checkChainQuery = checker(chainQuerySchema, "query", queryAjv);
