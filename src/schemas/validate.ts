import { Ajv, type ErrorObject, type JSONSchemaType, type SchemaObject, type ValidateFunction } from "ajv";
import { isLosslessNumber, isSafeNumber, parse } from "lossless-json";
import { plainlyExact } from "./exact-numbers.js";
import { hexAwareRegExp } from "./hex-pattern.js";
import {
  type AccountBody,
  accountSchema,
  type StatsChainBody,
  statsChainAnswerSchema,
  type TransactionAddedBody,
  type TransactionConfirmedBody,
  type TransactionPendingBody,
  transactionAddedSchema,
  transactionStatusSchema,
} from "./responses.js";
import {
  announceSchema,
  blockPathSchema,
  blockRefSchema,
  blockSchema,
  blockTransactionSchema,
  chainQuerySchema,
  chainSchema,
  chainSpecSchema,
  historyQuerySchema,
  locateSchema,
  registerNodesSchema,
  signedTransactionSchema,
  tipSchema,
  transactionPathSchema,
  transactionSchema,
  WELL_FORMED,
} from "./schemas.js";
import {
  type AuthorizeParams,
  authorizeParamsSchema,
  type NotifyParams,
  notifyParamsSchema,
  type SetTargetParams,
  type StratumRequest,
  type SubmitParams,
  type SubscribeParams,
  type SubscribeResult,
  setTargetParamsSchema,
  stratumRequestSchema,
  submitParamsSchema,
  subscribeParamsSchema,
  subscribeResultSchema,
} from "./stratum.js";

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

/** A lone surrogate is a code point of the Surrogate category only when it is unpaired. */
const UNPAIRED_SURROGATE = /\p{Cs}/u;

/** What every instance below is: every error reported, unknown keywords refused, hex patterns tested without RegExp. */
const BASE_OPTIONS = { allErrors: true, strict: true, code: { regExp: hexAwareRegExp } } as const;

const ajv = new Ajv({ ...BASE_OPTIONS, strictNumbers: true });
ajv.addFormat(WELL_FORMED, { type: "string", validate: (text: string) => !UNPAIRED_SURROGATE.test(text) });
ajv.addSchema([transactionSchema, blockTransactionSchema, blockSchema, blockRefSchema]);

const FORMAT_MESSAGES: Record<string, string> = {
  [WELL_FORMED]: "must be well-formed Unicode: it holds an unpaired UTF-16 surrogate",
};
/** Query strings are text: this instance turns "5" into 5 where the schema wants a number. */
const queryAjv = new Ajv({ ...BASE_OPTIONS, strictNumbers: true, coerceTypes: true });
/** A node's answers, as a client reads them; /stats' fields that may be null are typed ["string", "null"]. */
const answerAjv = new Ajv({ ...BASE_OPTIONS, strictNumbers: true, allowUnionTypes: true });
answerAjv.addFormat(WELL_FORMED, { type: "string", validate: (text: string) => !UNPAIRED_SURROGATE.test(text) });

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
  if (error.keyword === "format") {
    const message = FORMAT_MESSAGES[String(params.format)];
    if (message) return { field: path || "(body)", message };
  }
  return { field: path || "(body)", message: error.message ?? "is invalid" };
}

/** A validator that returns the typed value or throws a SchemaError naming every bad field. */
export interface Check<T> {
  (value: unknown): T;
  /** What it checks, for messages: "transaction", "node list"... */
  readonly what: string;
  /** Compiles the schema now, so that the first value checked does not wait for it. */
  prepare(): void;
}

/** Compiled on first use: compiling every schema at import cost each process (and worker) about 0.2 s at start. */
function checker<T>(schema: JSONSchemaType<T> | SchemaObject, what: string, compiler: Ajv = ajv): Check<T> {
  let validate: ValidateFunction<T> | undefined;
  const prepare = (): ValidateFunction<T> => {
    validate ??= compiler.compile(schema);
    return validate;
  };
  const check = (value: unknown): T => {
    const compiled = prepare();
    if (compiled(value)) return value;
    throw new SchemaError(what, (compiled.errors ?? []).map(toFieldError));
  };
  return Object.assign(check, { what, prepare });
}

export const checkTransaction = checker(transactionSchema, "transaction");
export const checkSignedTransaction = checker(signedTransactionSchema, "transaction");
/** A pending transaction as the store keeps it: the walkthrough's, or a signed transfer. */
export const checkStoredTransaction = checker(blockTransactionSchema, "transaction");
export const checkRegisterNodes = checker(registerNodesSchema, "node list");
export const checkChain = checker(chainSchema, "chain");
export const checkBlockShape = checker(blockSchema, "block");
export const checkChainQuery = checker(chainQuerySchema, "query", queryAjv);
export const checkLocate = checker(locateSchema, "block locator");
export const checkTip = checker(tipSchema, "tip");
export const checkBlockRef = checker(blockRefSchema, "block");
export const checkAnnounce = checker(announceSchema, "announcement");
export const checkChainSpecFile = checker(chainSpecSchema, "chain spec");
export const checkTransactionPath = checker(transactionPathSchema, "transaction id");
export const checkBlockPath = checker(blockPathSchema, "block hash");
export const checkHistoryQuery = checker(historyQuerySchema, "query", queryAjv);
/** A node's answers, as the wallet reads them: the schemas the docs test holds the node to. */
export const checkStatsChain = checker<StatsChainBody>(statsChainAnswerSchema, "/stats", answerAjv);
export const checkAccountAnswer = checker<AccountBody>(accountSchema, "account", answerAjv);
export const checkTransactionAdded = checker<TransactionAddedBody>(transactionAddedSchema, "answer", answerAjv);
export const checkTransactionStatus = checker<TransactionPendingBody | TransactionConfirmedBody>(
  transactionStatusSchema,
  "transaction",
  answerAjv,
);

/** Every number of a parsed lossless-json tree that a double would change, with its field path. */
function inexactNumbers(value: unknown, path: string[], found: FieldError[]): FieldError[] {
  if (isLosslessNumber(value)) {
    if (!isSafeNumber(value.value)) {
      found.push({
        field: path.join(".") || "(body)",
        message: `${value.value} cannot be held exactly (it would become ${String(Number(value.value))}): give at most 2^53-1, with no more significant digits than a double keeps`,
      });
    }
  } else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) inexactNumbers(item, [...path, String(i)], found);
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) inexactNumbers(item, [...path, key], found);
  }
  return found;
}

/**
 * Refuses a JSON body (its text, already known to parse) holding a number that
 * parsing would silently change: an integer past 2^53-1, or more significant
 * digits than a double keeps. JSON.parse rounds them; this reads the literals.
 * A key given twice is refused too (JSON.parse keeps the last). A text that
 * plainlyExact clears, as nearly every request's is, is not parsed again.
 */
export function checkExactNumbers(text: string, what: string): void {
  if (plainlyExact(text)) return;
  let tree: unknown;
  try {
    tree = parse(text);
  } catch (error) {
    // JSON.parse took it, so only what it forgives is left: a key given twice.
    throw new SchemaError(what, [{ field: "(body)", message: (error as Error).message }]);
  }
  const errors = inexactNumbers(tree, [], []);
  if (errors.length > 0) throw new SchemaError(what, errors);
}
/** Stratum's messages: tuples of params, some of which may be left off at their end (strictTuples would refuse them). */
const stratumAjv = new Ajv({ ...BASE_OPTIONS, strictTuples: false, allowUnionTypes: true });
export const checkStratumRequest = checker<StratumRequest>(stratumRequestSchema, "request", stratumAjv);
export const checkSubscribeParams = checker<SubscribeParams>(subscribeParamsSchema, "params", stratumAjv);
export const checkAuthorizeParams = checker<AuthorizeParams>(authorizeParamsSchema, "params", stratumAjv);
export const checkSubmitParams = checker<SubmitParams>(submitParamsSchema, "params", stratumAjv);
export const checkSubscribeResult = checker<SubscribeResult>(subscribeResultSchema, "subscribe result", stratumAjv);
export const checkSetTargetParams = checker<SetTargetParams>(setTargetParamsSchema, "params", stratumAjv);
export const checkNotifyParams = checker<NotifyParams>(notifyParamsSchema, "params", stratumAjv);
