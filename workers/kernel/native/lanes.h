/*
 * The lane kernel, written once with GCC vector extensions: LANES nonces
 * (one per 32-bit lane) through one compression. Included by lanes_avx2.c
 * (8 lanes), lanes_avx2_16.c (16 lanes as two ymm) and lanes_avx512.c (16
 * lanes in one zmm), each compiled with its own -m flags; the instantiating
 * file defines LANES and LANES_FN.
 *
 * Per segment (struct tk_segment) rounds 0-2 and the W3-free half of round
 * 3 are done; words 4-17 are constants pre-added to K; the schedule leaves
 * out the terms of the zero words 5-14. Only the digest's first word is
 * computed in full for every lane (the compiler drops the rest); a lane
 * whose first word is at most the target's first word is checked in full
 * (all eight words against the target) by tk_meets.
 */
#include "kernel.h"

typedef uint32_t vec __attribute__((vector_size(LANES * 4)));

static inline vec splat(uint32_t x) { return (vec){0} + x; }
static inline vec rotr(vec x, int n) { return (x >> n) | (x << (32 - n)); }
static inline vec big_sigma0(vec x) { return rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22); }
static inline vec big_sigma1(vec x) { return rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25); }
static inline vec small_sigma0(vec x) { return rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3); }
static inline vec small_sigma1(vec x) { return rotr(x, 17) ^ rotr(x, 19) ^ (x >> 10); }

/* Schedule word i (18 to 63) from the earlier ones; constants from the segment. */
static inline vec schedule(vec *w, int i, const struct tk_segment *s) {
  switch (i) {
    case 18: return splat(s->c18) + small_sigma0(w[3]);
    case 19: return splat(s->c19) + w[3];
    case 20: return small_sigma1(w[18]) + splat(s->w[4]);
    case 21: return small_sigma1(w[19]);
    case 22: return small_sigma1(w[20]) + splat(s->w[15]);
    case 23: return small_sigma1(w[21]) + splat(s->w16);
    case 24: return small_sigma1(w[22]) + splat(s->w17);
    case 25: case 26: case 27: case 28: case 29: return small_sigma1(w[i - 2]) + w[i - 7];
    case 30: return small_sigma1(w[28]) + w[23] + splat(s->c30);
    case 31: return small_sigma1(w[29]) + w[24] + splat(s->c31);
    case 32: return small_sigma1(w[30]) + w[25] + splat(s->c32);
    case 33: return small_sigma1(w[31]) + w[26] + small_sigma0(w[18]) + splat(s->w17);
    default: return small_sigma1(w[i - 2]) + w[i - 7] + small_sigma0(w[i - 15]) + w[i - 16];
  }
}

int64_t LANES_FN(const struct tk_job *job, const struct tk_segment *s, uint64_t first, uint32_t count) {
  const uint32_t *st = s->state3;
  const uint32_t low = (uint32_t)(first % TK_SEGMENT);
  for (uint32_t done = 0; done < count; done += LANES) {
    vec w[64];
    __builtin_memcpy(&w[3], &TK_W3[low + done], sizeof(vec));
    vec t1 = splat(s->t1_part) + w[3];
    vec a = t1 + splat(s->a_part), b = splat(st[0]), c = splat(st[1]), d = splat(st[2]);
    vec e = splat(st[3]) + t1, f = splat(st[4]), g = splat(st[5]), h = splat(st[6]);
#pragma GCC unroll 64
    for (int i = 4; i < 64; i++) {
      vec kw;
      if (i < 18) {
        kw = splat(s->kw[i]);
      } else {
        w[i] = schedule(w, i, s);
        kw = splat(TK_K[i]) + w[i];
      }
      vec t = h + big_sigma1(e) + (g ^ (e & (f ^ g))) + kw;
      vec t2 = big_sigma0(a) + ((a & b) | (c & (a | b)));
      h = g;
      g = f;
      f = e;
      e = d + t;
      d = c;
      c = b;
      b = a;
      a = t + t2;
    }
    /*
     * The digest's first word x against the target's: `above` has its top
     * bit set in the lanes where x > bound, unsigned. It is the borrow out of
     * bound - x, in lane arithmetic, since GCC turns a 16-lane compare into
     * scalar code without AVX-512 (and AVX2 has no unsigned compare).
     */
    vec x = a + splat(job->midstate[0]), bound = splat(job->target[0]);
    vec above = (~bound & x) | (~(bound ^ x) & (bound - x));
    uint32_t all = ~0u;
    for (int l = 0; l < LANES; l++) all &= above[l];
    if (all >> 31) continue;
    for (uint32_t l = 0; l < LANES && done + l < count; l++) {
      if (!(above[l] >> 31) && tk_meets(job, first + done + l)) return (int64_t)(first + done + l);
    }
  }
  return -1;
}
