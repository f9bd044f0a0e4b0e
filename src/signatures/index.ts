export type { SignatureJob, SignatureVerifier } from "./interface.js";
export { LocalVerifier } from "./local.js";
