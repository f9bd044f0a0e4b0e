import { requireAddon } from "../../workers/kernel/addon.js";
import { verify } from "../keys/index.js";
import type { SignatureBatch } from "./batch.js";

/**
 * What verifies a packed batch's signatures by the pinned rule
 * (src/keys/ed25519.ts), chosen when the node starts (--verifier), as the
 * mining kernels are:
 *
 * - libsodium: the system's libsodium (Debian's libsodium23), which the
 *   native addon opens at run time and self-tests (workers/kernel/native/
 *   ed25519.c), verifying a whole batch in one call: about twice
 *   node:crypto's rate (README, Signatures).
 * - node:crypto: src/keys' verify, signature after signature: where the
 *   addon was not built, libsodium is absent or failed its self-test, or
 *   --verifier node:crypto asks for it.
 *
 * Both answer alike on every vector of C2SP/CCTV and Wycheproof, and on
 * random and mutated signatures (test/ed25519.test.ts).
 */
export const VERIFY_BACKENDS = ["libsodium", "node:crypto"] as const;
export type VerifyBackendName = (typeof VERIFY_BACKENDS)[number];

/** auto: libsodium when it is usable here, else node:crypto; or one backend by name. */
export const VERIFIER_CHOICES = ["auto", ...VERIFY_BACKENDS] as const;
export type VerifierChoice = (typeof VERIFIER_CHOICES)[number];

/** The system's libsodium, as dlopen finds it. */
export const LIBSODIUM = "libsodium.so.23";

/** --verifier libsodium, where libsodium cannot verify. */
export class VerifierUnavailableError extends Error {
  override readonly name = "VerifierUnavailableError";
}

export interface VerifyBackend {
  readonly name: VerifyBackendName;
  /**
   * The index of the first job of `from` to `to` (excluded) whose signature
   * the pinned rule refuses, or -1. With `results` (to - from bytes) every
   * job's verdict, 1 or 0, is written there; without, it stops at the first
   * failure.
   */
  verifyRange(batch: SignatureBatch, from: number, to: number, results?: Uint8Array): number;
}

export const nodeCryptoBackend: VerifyBackend = {
  name: "node:crypto",
  verifyRange(batch, from, to, results) {
    let first = -1;
    for (let i = from; i < to; i++) {
      const verifies = verify(batch.publicKey(i), batch.message(i), batch.signature(i));
      if (results !== undefined) results[i - from] = verifies ? 1 : 0;
      if (!verifies && first < 0) {
        first = i;
        if (results === undefined) break;
      }
    }
    return first;
  },
};

/** libsodium as the native addon found it (workers/kernel/native/ed25519.c): opened and self-tested, or why not. */
export interface LibsodiumStatus {
  /** The file opened: the first one asked for in the process. */
  library: string;
  usable: boolean;
  reason?: string;
}

/** The native addon's signature functions (workers/kernel/native/addon.c). */
interface SignatureAddon {
  ed25519(library: string): LibsodiumStatus;
  /** VerifyBackend's verifyRange over a packed SignatureBatch's buffer; only once ed25519() is usable. */
  verifyBatch(buffer: ArrayBuffer, from: number, to: number, results?: Uint8Array): number;
}

/** This thread's answer, once asked: the process opens one library, once. */
let libsodium: VerifyBackend | string | undefined;

/**
 * The libsodium backend, or why it cannot verify here. The first call in the
 * process opens and self-tests `library` (a test's stand-in; the system's by
 * default), and every later one, on any thread, answers for that library.
 */
export function libsodiumBackend(library = LIBSODIUM): VerifyBackend | string {
  libsodium ??= openLibsodium(library);
  return libsodium;
}

function openLibsodium(library: string): VerifyBackend | string {
  let addon: SignatureAddon;
  try {
    addon = requireAddon<SignatureAddon>();
  } catch (error) {
    return `the native addon does not load (${(error as Error).message.split("\n")[0]})`;
  }
  if (typeof addon.ed25519 !== "function") return "the native addon predates its libsodium verification: rebuild it";
  const status = addon.ed25519(library);
  if (!status.usable) return status.reason ?? `${status.library} cannot be used`;
  const { verifyBatch } = addon;
  return {
    name: "libsodium",
    verifyRange: (batch, from, to, results) => verifyBatch(batch.buffer, from, to, results),
  };
}

export interface ChosenBackend {
  backend: VerifyBackend;
  /** Why auto did not choose libsodium, when it did not. */
  fallback?: string;
}

/** The backend a choice gives here; VerifierUnavailableError for libsodium where it cannot verify. */
export function chooseBackend(choice: VerifierChoice): ChosenBackend {
  if (choice === "node:crypto") return { backend: nodeCryptoBackend };
  const found = libsodiumBackend();
  if (typeof found !== "string") return { backend: found };
  if (choice === "libsodium") throw new VerifierUnavailableError(`--verifier libsodium: ${found}`);
  return { backend: nodeCryptoBackend, fallback: found };
}

/** A backend by name, on a thread told to use it (a signature worker): libsodium must be usable. */
export function backendNamed(name: VerifyBackendName): VerifyBackend {
  if (name === "node:crypto") return nodeCryptoBackend;
  const found = libsodiumBackend();
  if (typeof found === "string") throw new VerifierUnavailableError(`libsodium on this thread: ${found}`);
  return found;
}
