/** A proof-of-work search over one header for one target. */
export interface Kernel {
  readonly name: KernelName;
  /** Nonces per call to search: a fraction of a millisecond, the delay before a stop is seen. */
  readonly batch: number;
  /**
   * Tries nonces start, start+1, ... start+count-1 and returns the first whose
   * SHA-256(H || decimal(nonce)), read as a 256-bit big-endian number, is at
   * most the target, or -1.
   */
  search(start: number, count: number): number;
}

/**
 * The native addon's variants, in its order (workers/kernel/native/addon.c):
 * OpenSSL's SHA256_Transform (the reference), SHA-NI with interleaved streams
 * (2 or 4 in 16 registers; shani-vl, 5, built for AVX-512VL's 32 registers:
 * the calibration at start picks the number), and SHA-256 in vector lanes
 * (8 in AVX2, 16 as two AVX2 registers, 16 in AVX-512).
 */
export const NATIVE_VARIANTS = ["openssl", "shani", "shani-4", "shani-vl", "avx2", "avx2-16", "avx512"] as const;
export type NativeVariant = (typeof NATIVE_VARIANTS)[number];

export type KernelName = NativeVariant | "portable";

/** A kernel's rate as a short calibration measured it on this machine. */
export interface KernelRate {
  name: KernelName;
  hashesPerSecond: number;
}

/** The pool's choice after calibrating: the kernel it mines with and every candidate's rate. */
export interface KernelCalibration {
  kernel: KernelName;
  rates: KernelRate[];
}

/** A mining thread's lowered priority: how ("SCHED_IDLE" or "nice 19"), and what restoring it takes: its id and its nice before. */
export interface LoweredPriority {
  how: string;
  thread: number;
  nice: number;
}

/** How a mining thread yields, or why its priority could not be lowered. */
export type ThreadPriority = { lowered: LoweredPriority } | { failed: string };
