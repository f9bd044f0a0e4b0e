import type { Kernel } from "./interface.js";
import { portableKernel } from "./portable.js";

export type { Kernel, KernelName } from "./interface.js";

export function createKernel(header: string, difficulty: number): Kernel {
  return portableKernel(header, difficulty);
}
