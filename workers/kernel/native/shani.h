/*
 * The SHA-NI kernel: SHANI_K nonces in flight, their compressions
 * interleaved so the SHA unit always has an independent round to start (one
 * stream waits on each sha256rnds2's latency). Included by shani.c and
 * shani4.c (SSE4.1 + SHA, 16 xmm registers: 2 and 4 streams) and shani_vl.c
 * (5 streams with AVX-512VL, 32 xmm registers, so more streams stay in
 * registers); the including file defines SHANI_K and SHANI_FN.
 *
 * Per segment, rounds 0-1 are done once (struct tk_segment's state2), words
 * 4-15 are pre-added to K, and the two msg1 terms that only involve words
 * 4-15 are computed once.
 */
#include <immintrin.h>
#include "kernel.h"

int64_t SHANI_FN(const struct tk_job *job, const struct tk_segment *s, uint64_t first, uint32_t count) {
  const uint32_t *st = s->state2;
  const __m128i abef = _mm_set_epi32((int)st[0], (int)st[1], (int)st[4], (int)st[5]);
  const __m128i cdgh = _mm_set_epi32((int)st[2], (int)st[3], (int)st[6], (int)st[7]);
  const __m128i w0 = _mm_set_epi32(0, (int)s->w[2], (int)s->w[1], (int)s->w[0]);
  const __m128i w1 = _mm_loadu_si128((const __m128i *)&s->w[4]);
  const __m128i w2 = _mm_loadu_si128((const __m128i *)&s->w[8]);
  const __m128i w3 = _mm_loadu_si128((const __m128i *)&s->w[12]);
  const __m128i kw1 = _mm_loadu_si128((const __m128i *)&s->kw[4]);
  const __m128i kw2 = _mm_loadu_si128((const __m128i *)&s->kw[8]);
  const __m128i kw3 = _mm_loadu_si128((const __m128i *)&s->kw[12]);
  const __m128i m5 = _mm_sha256msg1_epu32(w1, w2), m6 = _mm_sha256msg1_epu32(w2, w3);
  const __m128i w16_part = _mm_alignr_epi8(w3, w2, 4);
  const uint32_t k2w2 = TK_K[2] + s->w[2];
  const uint32_t low = (uint32_t)(first % TK_SEGMENT);
  const uint32_t bound = job->target[0];
  for (uint32_t done = 0; done < count; done += SHANI_K) {
    __m128i S0[SHANI_K], S1[SHANI_K], W[SHANI_K][4];
#pragma GCC unroll 8
    for (int l = 0; l < SHANI_K; l++) {
      const uint32_t word3 = TK_W3[low + done + (uint32_t)l];
      W[l][0] = _mm_insert_epi32(w0, (int)word3, 3);
      W[l][1] = w1;
      W[l][2] = w2;
      W[l][3] = w3;
      /* rounds 2-3 */
      S0[l] = _mm_sha256rnds2_epu32(cdgh, abef, _mm_set_epi32(0, 0, (int)(TK_K[3] + word3), (int)k2w2));
      S1[l] = abef;
    }
#pragma GCC unroll 16
    for (int g = 1; g < 16; g++) {
      const __m128i k = _mm_loadu_si128((const __m128i *)&TK_K[4 * g]);
#pragma GCC unroll 8
      for (int l = 0; l < SHANI_K; l++) {
        __m128i m;
        if (g < 4) {
          m = g == 1 ? kw1 : g == 2 ? kw2 : kw3;
        } else {
          __m128i msg1 = g == 5 ? m5 : g == 6 ? m6 : _mm_sha256msg1_epu32(W[l][g & 3], W[l][(g + 1) & 3]);
          __m128i shifted = g == 4 ? w16_part : _mm_alignr_epi8(W[l][(g + 3) & 3], W[l][(g + 2) & 3], 4);
          __m128i w = _mm_sha256msg2_epu32(_mm_add_epi32(msg1, shifted), W[l][(g + 3) & 3]);
          W[l][g & 3] = w;
          m = _mm_add_epi32(w, k);
        }
        S1[l] = _mm_sha256rnds2_epu32(S1[l], S0[l], m);
        S0[l] = _mm_sha256rnds2_epu32(S0[l], S1[l], _mm_shuffle_epi32(m, 0x0E));
      }
    }
#pragma GCC unroll 8
    for (int l = 0; l < SHANI_K; l++) {
      /* lane 3 of ABEF is a; the digest's first word is a + midstate[0], checked in full when at most target[0] */
      const uint32_t word = (uint32_t)_mm_extract_epi32(S0[l], 3) + job->midstate[0];
      if (word > bound) continue;
      const uint64_t nonce = first + done + (uint32_t)l;
      if (done + (uint32_t)l < count && tk_meets(job, nonce)) return (int64_t)nonce;
    }
  }
  return -1;
}
