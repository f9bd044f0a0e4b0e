import type { Kernel, KernelName } from "./interface.js";
import { loadNativeAddon, nativeKernel } from "./native.js";
import { portableKernel } from "./portable.js";

export type { Kernel, KernelName } from "./interface.js";

export type KernelChoice = KernelName | "auto";
export const KERNEL_CHOICES: readonly KernelChoice[] = ["auto", "native", "portable"];

/** The native kernel was asked for but cannot be loaded. */
export class KernelUnavailableError extends Error {
  override readonly name = "KernelUnavailableError";
}

export interface ResolvedKernel {
  name: KernelName;
  /** Why the native kernel is not used, when it is not. */
  fallback?: string;
}

/** Picks the kernel: native when it loads (or was asked for), portable otherwise. */
export function resolveKernel(choice: KernelChoice): ResolvedKernel {
  if (choice === "portable") return { name: "portable" };
  try {
    loadNativeAddon();
    return { name: "native" };
  } catch (error) {
    const reason = `the native kernel does not load (${(error as Error).message.split("\n")[0]})`;
    if (choice === "native") throw new KernelUnavailableError(reason);
    return { name: "portable", fallback: reason };
  }
}

const FACTORIES: Record<KernelName, (header: string, difficulty: number) => Kernel> = {
  native: nativeKernel,
  portable: portableKernel,
};

export function createKernel(name: KernelName, header: string, difficulty: number): Kernel {
  return FACTORIES[name](header, difficulty);
}
