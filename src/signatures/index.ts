export { type Settle, SignatureBatcher, type Verdict } from "./batcher.js";
export { SignatureCheckError } from "./errors.js";
export type { SignatureJob, SignatureVerifier } from "./interface.js";
export { LocalVerifier } from "./local.js";
