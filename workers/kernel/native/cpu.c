/*
 * Run-time detection: cpuid says what the CPU has, xgetbv whether the OS
 * saves the registers (YMM for AVX2, and opmask/ZMM for AVX-512) on a switch.
 * The build targets every x86-64 CPU; other architectures report nothing.
 */
#include "kernel.h"
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static void leaf7(unsigned *ebx, unsigned *ecx) {
  unsigned eax = 0, edx = 0;
  *ebx = *ecx = 0;
  if (__get_cpuid_max(0, 0) >= 7) __cpuid_count(7, 0, eax, *ebx, *ecx, edx);
}

/* XCR0: which register states the OS saves; 0 when there is no OSXSAVE. */
static uint64_t xcr0(void) {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE)) return 0;
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((uint64_t)hi << 32) | lo;
}

static int sse41(void) {
  unsigned eax, ebx, ecx, edx;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_SSE4_1) && (ecx & bit_SSSE3);
}

static int ymm_saved(void) { return (xcr0() & 0x6) == 0x6; }
static int zmm_saved(void) { return (xcr0() & 0xe6) == 0xe6; }

int tk_cpu_has_shani(void) {
  unsigned ebx, ecx;
  leaf7(&ebx, &ecx);
  return sse41() && (ebx & bit_SHA) != 0;
}
int tk_cpu_has_avx2(void) {
  unsigned ebx, ecx;
  leaf7(&ebx, &ecx);
  return ymm_saved() && (ebx & bit_AVX2) != 0;
}
int tk_cpu_has_avx512f(void) {
  unsigned ebx, ecx;
  leaf7(&ebx, &ecx);
  return zmm_saved() && (ebx & bit_AVX512F) != 0;
}
int tk_cpu_has_avx512vl(void) {
  unsigned ebx, ecx;
  leaf7(&ebx, &ecx);
  return tk_cpu_has_avx512f() && (ebx & bit_AVX512VL) != 0;
}
#else
int tk_cpu_has_shani(void) { return 0; }
int tk_cpu_has_avx2(void) { return 0; }
int tk_cpu_has_avx512f(void) { return 0; }
int tk_cpu_has_avx512vl(void) { return 0; }
#endif
