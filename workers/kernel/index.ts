import { type Kernel, type KernelName, NATIVE_VARIANTS, type NativeVariant } from "./interface.js";
import { calibrateNative, loadNativeAddon, nativeKernel, nativeVariants } from "./native.js";
import { portableKernel, readPortableModule } from "./portable.js";

export type {
  Kernel,
  KernelCalibration,
  KernelName,
  KernelRate,
  LoweredPriority,
  NativeVariant,
  ThreadPriority,
} from "./interface.js";
export { NATIVE_VARIANTS } from "./interface.js";
export { restoreThreadPriority } from "./native.js";

/** auto: the fastest kernel here; native: the fastest native variant; or one kernel by name. */
export type KernelChoice = KernelName | "auto" | "native";
export const KERNEL_CHOICES: readonly KernelChoice[] = ["auto", "native", "portable", ...NATIVE_VARIANTS];
export const KERNEL_NAMES: readonly KernelName[] = [...NATIVE_VARIANTS, "portable"];

/** The kernel asked for (or, with auto, any kernel) cannot be loaded. */
export class KernelUnavailableError extends Error {
  override readonly name = "KernelUnavailableError";
}

export interface ResolvedKernel {
  /** The kernels to choose from by calibration (one when forced), best guess first. */
  candidates: KernelName[];
  /** Why the native kernels are not used, when they are not. */
  fallback?: string;
  /** Why the portable kernel could not be used, when its module is missing but a native kernel is used. */
  portableMissing?: string;
  /** Native variants this CPU supports that failed their self-check against OpenSSL, with the reason. */
  refused: string[];
}

/** Without a calibration, the likely fastest first: the vector kernels the CPU has, the reference last. */
const PREFERENCE: readonly NativeVariant[] = ["shani-vl", "shani", "shani-4", "avx512", "avx2-16", "avx2", "openssl"];

/** Why the portable kernel cannot run (its module, read here once, is missing), or undefined when it can. */
function portableProblem(): string | undefined {
  try {
    readPortableModule();
    return undefined;
  } catch (error) {
    return `the portable kernel is not built: ${(error as Error).message}`;
  }
}

const isNative = (name: KernelName): name is NativeVariant => name !== "portable";

/**
 * The kernels a choice allows: native variants when the addon loads (the
 * fastest one is then picked by calibrating them), portable otherwise;
 * either way checks, once, that the portable kernel's module is there.
 */
export function resolveKernel(choice: KernelChoice): ResolvedKernel {
  const portableMissing = portableProblem();
  if (choice === "portable") {
    if (portableMissing) throw new KernelUnavailableError(`--kernel portable: ${portableMissing}`);
    return { candidates: ["portable"], refused: [] };
  }
  try {
    loadNativeAddon();
  } catch (error) {
    const reason = `the native kernel does not load (${(error as Error).message.split("\n")[0]})`;
    if (choice !== "auto") throw new KernelUnavailableError(`--kernel ${choice}: ${reason}`);
    if (portableMissing) throw new KernelUnavailableError(`no kernel can mine: ${reason}, and ${portableMissing}`);
    return { candidates: ["portable"], fallback: reason, refused: [] };
  }
  const variants = nativeVariants();
  const refused = variants
    .filter((variant) => variant.reason?.startsWith("it failed"))
    .map((variant) => `${variant.name}: ${variant.reason}`);
  const extra = portableMissing ? { portableMissing } : {};
  if (choice !== "auto" && choice !== "native") {
    const status = variants.find((variant) => variant.name === choice);
    if (!status?.usable) throw new KernelUnavailableError(`--kernel ${choice}: it cannot run here: ${status?.reason}`);
    return { candidates: [choice], refused, ...extra };
  }
  const usable = new Set(variants.filter((variant) => variant.usable).map((variant) => variant.name));
  return { candidates: PREFERENCE.filter((name) => usable.has(name)), refused, ...extra };
}

export function createKernel(name: KernelName, header: string, target: bigint): Kernel {
  return isNative(name) ? nativeKernel(name, header, target) : portableKernel(header, target);
}

/** The kernel's rate on this thread over about `ms` milliseconds, in nonces per second, for the target 0 (never reached). */
export function measureKernel(name: KernelName, ms: number): number {
  if (isNative(name)) return calibrateNative(name, ms);
  const kernel = portableKernel("c".repeat(64), 0n);
  const started = performance.now();
  let nonce = 10 ** 15;
  let elapsed = 0;
  do {
    kernel.search(nonce, kernel.batch);
    nonce += kernel.batch;
    elapsed = performance.now() - started;
  } while (elapsed < ms);
  return ((nonce - 10 ** 15) / elapsed) * 1000;
}
