import { targetToBytes } from "../../src/chain/target.js";
import { requireAddon } from "./addon.js";
import { type Kernel, type LoweredPriority, NATIVE_VARIANTS, type NativeVariant } from "./interface.js";

/** One of the addon's variants, as it reports it after its self-check against OpenSSL. */
export interface NativeVariantStatus {
  name: string;
  usable: boolean;
  /** Why it cannot run here: the CPU lacks its instructions, or it failed its self-check. */
  reason?: string;
}

/** What workers/kernel/native/addon.c exports. */
interface NativeAddon {
  variants(): NativeVariantStatus[];
  /** `target`: 32 bytes, big-endian. */
  search(header: Buffer, target: Buffer, start: number, count: number, variant: number): number;
  calibrate(variant: number, ms: number): number;
  idle(): LoweredPriority;
  restore(thread: number, nice: number): true | string;
}

let addon: NativeAddon | undefined;

/** Loads the addon once; throws with the reason when it was not built or does not load. */
export function loadNativeAddon(): NativeAddon {
  if (addon) return addon;
  const loaded = requireAddon<NativeAddon>();
  const names = loaded.variants().map((variant) => variant.name);
  if (names.join() !== NATIVE_VARIANTS.join()) {
    throw new Error(`the addon's variants (${names.join(", ")}) are not ${NATIVE_VARIANTS.join(", ")}: rebuild it`);
  }
  addon = loaded;
  return addon;
}

/** Every native variant, usable or not (with the reason). */
export function nativeVariants(): NativeVariantStatus[] {
  return loadNativeAddon().variants();
}

const index = (variant: NativeVariant): number => NATIVE_VARIANTS.indexOf(variant);

/** A native kernel variant, which must be usable here (see nativeVariants). */
export function nativeKernel(variant: NativeVariant, header: string, target: bigint): Kernel {
  const { search } = loadNativeAddon();
  const bytes = Buffer.from(header, "latin1");
  const targetBytes = Buffer.from(targetToBytes(target));
  const at = index(variant);
  return {
    name: variant,
    batch: 8192,
    search: (start, count) => search(bytes, targetBytes, start, count, at),
  };
}

/** The variant's rate on this thread over about `ms` milliseconds, in nonces per second. */
export function calibrateNative(variant: NativeVariant, ms: number): number {
  return loadNativeAddon().calibrate(index(variant), ms);
}

/** Puts the calling thread at the lowest priority, "SCHED_IDLE" or "nice 19"; throws with why neither works. */
export function lowerThreadPriority(): LoweredPriority {
  return loadNativeAddon().idle();
}

/**
 * Gives a thread that lowerThreadPriority lowered its priority back, from
 * another thread: true (or the thread is gone), or why the system refused
 * (leaving SCHED_IDLE needs CAP_SYS_NICE, or an RLIMIT_NICE that allows it).
 */
export function restoreThreadPriority({ thread, nice }: LoweredPriority): true | string {
  return loadNativeAddon().restore(thread, nice);
}
