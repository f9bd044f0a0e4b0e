import type { Kernel, KernelName } from "./interface.js";
import { loadNativeAddon, nativeKernel } from "./native.js";
import { portableKernel, readPortableModule } from "./portable.js";

export type { Kernel, KernelName } from "./interface.js";

export type KernelChoice = KernelName | "auto";
export const KERNEL_CHOICES: readonly KernelChoice[] = ["auto", "native", "portable"];

/** The kernel asked for (or, with auto, either kernel) cannot be loaded. */
export class KernelUnavailableError extends Error {
  override readonly name = "KernelUnavailableError";
}

export interface ResolvedKernel {
  name: KernelName;
  /** Why the native kernel is not used, when it is not. */
  fallback?: string;
  /** Why the portable kernel could not be used, when its module is missing but the native kernel is used. */
  portableMissing?: string;
}

/** Why the portable kernel cannot run (its module, read here once, is missing), or undefined when it can. */
function portableProblem(): string | undefined {
  try {
    readPortableModule();
    return undefined;
  } catch (error) {
    return `the portable kernel is not built: ${(error as Error).message}`;
  }
}

/**
 * Picks the kernel: native when it loads (or was asked for), portable
 * otherwise; either way checks, once, that the portable kernel's module is there.
 */
export function resolveKernel(choice: KernelChoice): ResolvedKernel {
  const portableMissing = portableProblem();
  if (choice === "portable") {
    if (portableMissing) throw new KernelUnavailableError(`--kernel portable: ${portableMissing}`);
    return { name: "portable" };
  }
  try {
    loadNativeAddon();
  } catch (error) {
    const reason = `the native kernel does not load (${(error as Error).message.split("\n")[0]})`;
    if (choice === "native") throw new KernelUnavailableError(`--kernel native: ${reason}`);
    if (portableMissing) throw new KernelUnavailableError(`no kernel can mine: ${reason}, and ${portableMissing}`);
    return { name: "portable", fallback: reason };
  }
  return portableMissing ? { name: "native", portableMissing } : { name: "native" };
}

const FACTORIES: Record<KernelName, (header: string, difficulty: number) => Kernel> = {
  native: nativeKernel,
  portable: portableKernel,
};

export function createKernel(name: KernelName, header: string, difficulty: number): Kernel {
  return FACTORIES[name](header, difficulty);
}
