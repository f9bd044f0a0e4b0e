/*
 * The plain-C part of the native kernels: the tables, the per-job and
 * per-segment precomputation, the full check of a candidate through OpenSSL,
 * and the reference kernel, which is OpenSSL's SHA256_Transform (SHA-NI or
 * AVX2 assembly where the CPU has them) one nonce after another.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "kernel.h"

const uint32_t TK_K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

uint32_t TK_W3[TK_SEGMENT + 16];

void tk_init_tables(void) {
  for (uint32_t v = 0; v < TK_SEGMENT + 16; v++) {
    uint32_t x = v % TK_SEGMENT;
    TK_W3[v] = (uint32_t)('0' + x / 1000) << 24 | (uint32_t)('0' + x / 100 % 10) << 16 |
               (uint32_t)('0' + x / 10 % 10) << 8 | (uint32_t)('0' + x % 10);
  }
}

static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
static uint32_t big_sigma0(uint32_t x) { return rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22); }
static uint32_t big_sigma1(uint32_t x) { return rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25); }
static uint32_t small_sigma0(uint32_t x) { return rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3); }
static uint32_t small_sigma1(uint32_t x) { return rotr(x, 17) ^ rotr(x, 19) ^ (x >> 10); }

void tk_job_init(struct tk_job *job, const unsigned char header[64], const unsigned char target[32]) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Transform(&ctx, header);
  memcpy(job->midstate, ctx.h, sizeof job->midstate);
  for (int i = 0; i < 8; i++) {
    job->target[i] = (uint32_t)target[4 * i] << 24 | (uint32_t)target[4 * i + 1] << 16 |
                     (uint32_t)target[4 * i + 2] << 8 | target[4 * i + 3];
  }
}

/* Writes the padded tail block for `nonce`; returns its digit count. */
static int write_tail(unsigned char *tail, uint64_t nonce) {
  char digits[24];
  int length = snprintf(digits, sizeof digits, "%llu", (unsigned long long)nonce);
  memset(tail, 0, 64);
  memcpy(tail, digits, (size_t)length);
  tail[length] = 0x80;
  uint32_t bits = (uint32_t)(64 + length) * 8;
  tail[62] = (unsigned char)(bits >> 8);
  tail[63] = (unsigned char)(bits & 0xff);
  return length;
}

/* Whether the digest's words, as one big-endian number, are at most the target's. */
static int at_most_target(const uint32_t h[8], const uint32_t target[8]) {
  for (int i = 0; i < 8; i++) {
    if (h[i] != target[i]) return h[i] < target[i];
  }
  return 1;
}

int tk_meets(const struct tk_job *job, uint64_t nonce) {
  unsigned char tail[64];
  write_tail(tail, nonce);
  SHA256_CTX ctx;
  memcpy(ctx.h, job->midstate, sizeof ctx.h);
  SHA256_Transform(&ctx, tail);
  return at_most_target(ctx.h, job->target);
}

void tk_segment_init(struct tk_segment *segment, const struct tk_job *job, uint64_t first) {
  unsigned char tail[64];
  write_tail(tail, first);
  uint32_t *w = segment->w;
  for (int i = 0; i < 16; i++) {
    w[i] = (uint32_t)tail[4 * i] << 24 | (uint32_t)tail[4 * i + 1] << 16 | (uint32_t)tail[4 * i + 2] << 8 |
           tail[4 * i + 3];
  }
  segment->w16 = small_sigma0(w[1]) + w[0];
  segment->w17 = small_sigma1(w[15]) + small_sigma0(w[2]) + w[1];
  uint32_t s[8];
  memcpy(s, job->midstate, sizeof s);
  for (int i = 0; i < 4; i++) {
    uint32_t t1 = s[7] + big_sigma1(s[4]) + ((s[4] & s[5]) ^ (~s[4] & s[6])) + TK_K[i];
    uint32_t t2 = big_sigma0(s[0]) + ((s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]));
    if (i == 2) memcpy(segment->state2, s, sizeof s);
    if (i == 3) {
      memcpy(segment->state3, s, sizeof s);
      segment->t1_part = t1;
      segment->a_part = t2;
      break;
    }
    t1 += w[i];
    memmove(s + 1, s, 7 * sizeof *s);
    s[4] += t1;
    s[0] = t1 + t2;
  }
  for (int i = 0; i < 64; i++) segment->kw[i] = TK_K[i];
  for (int i = 4; i < 16; i++) segment->kw[i] += w[i];
  segment->kw[16] += segment->w16;
  segment->kw[17] += segment->w17;
  segment->c18 = small_sigma1(segment->w16) + w[2];
  segment->c19 = small_sigma1(segment->w17) + small_sigma0(w[4]);
  segment->c30 = small_sigma0(w[15]);
  segment->c31 = small_sigma0(segment->w16) + w[15];
  segment->c32 = small_sigma0(segment->w17) + segment->w16;
}

int64_t tk_search_reference(const struct tk_job *job, uint64_t start, uint64_t count) {
  SHA256_CTX ctx;
  const uint32_t bound = job->target[0];
  unsigned char tail[64];
  int length = write_tail(tail, start);
  uint64_t n = 0;
  while (n < count) {
    /* Run the last digit up to 9 (or the end), then carry into the others. */
    unsigned char *last = &tail[length - 1];
    uint64_t run = (uint64_t)('9' - *last) + 1;
    if (run > count - n) run = count - n;
#if defined(__SSE2__)
    /*
     * The digits (at most 16) live in the block's first 16 bytes. Writing them
     * with one 16-byte store, the width SHA256_Transform loads them with, lets
     * the CPU forward the store to the load; a one-byte store would stall it
     * (about 30% of the rate).
     */
    unsigned char step[16] = {0};
    step[length - 1] = 1;
    const __m128i one = _mm_loadu_si128((const __m128i *)step);
    __m128i digits = _mm_loadu_si128((const __m128i *)tail);
    for (uint64_t r = 0; r < run; r++, n++) {
      _mm_storeu_si128((__m128i *)tail, digits);
      memcpy(ctx.h, job->midstate, sizeof ctx.h);
      SHA256_Transform(&ctx, tail);
      if (ctx.h[0] <= bound && at_most_target(ctx.h, job->target)) return (int64_t)(start + n);
      digits = _mm_add_epi8(digits, one);
    }
    _mm_storeu_si128((__m128i *)tail, digits);
#else
    for (uint64_t r = 0; r < run; r++, n++, (*last)++) {
      memcpy(ctx.h, job->midstate, sizeof ctx.h);
      SHA256_Transform(&ctx, tail);
      if (ctx.h[0] <= bound && at_most_target(ctx.h, job->target)) return (int64_t)(start + n);
    }
#endif
    if (*last <= '9') break;
    int i = length - 1;
    while (i >= 0 && tail[i] >= '9') tail[i--] = '0';
    if (i < 0) length = write_tail(tail, start + n);
    else tail[i]++;
  }
  return -1;
}

int64_t tk_search(tk_segment_fn fn, const struct tk_job *job, uint64_t start, uint64_t count) {
  uint64_t end = start + count;
  if (start < TK_FAST_FIRST) {
    uint64_t slow = end < TK_FAST_FIRST ? end : TK_FAST_FIRST;
    int64_t found = tk_search_reference(job, start, slow - start);
    if (found >= 0 || slow == end) return found;
    start = slow;
  }
  struct tk_segment segment;
  while (start < end) {
    uint64_t stop = (start / TK_SEGMENT + 1) * TK_SEGMENT;
    if (stop > end) stop = end;
    tk_segment_init(&segment, job, start);
    int64_t found = fn(job, &segment, start, (uint32_t)(stop - start));
    if (found >= 0) return found;
    start = stop;
  }
  return -1;
}
