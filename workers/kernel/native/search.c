/*
 * The native proof-of-work kernel: SHA-256(H || decimal(nonce)) through the
 * SHA256_Transform that Node's own OpenSSL exports (SHA-NI or AVX2 assembly
 * where the CPU has them). H is one 64-byte block: its compression, the
 * midstate, is done once per call; each nonce then costs one compression of
 * the second block, whose decimal digits are incremented in place.
 *
 * search(header: Buffer(64), difficulty, start, count) -> first nonce in
 * [start, start + count) whose hash has `difficulty` leading zero bits, or -1.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <node_api.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static int has_leading_zeros(const uint32_t *h, int bits) {
  for (int i = 0; i < 8 && bits > 0; i++, bits -= 32) {
    if (bits < 32) return (h[i] >> (32 - bits)) == 0;
    if (h[i] != 0) return 0;
  }
  return 1;
}

/* The first state word's bits that must be zero: a one-instruction pre-check. */
static uint32_t first_word_mask(int bits) {
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffffu;
  return ~(0xffffffffu >> bits);
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

static double search(const unsigned char *header, int difficulty, uint64_t start, uint64_t count) {
  SHA256_CTX midstate, ctx;
  SHA256_Init(&midstate);
  SHA256_Update(&midstate, header, 64);
  const uint32_t mask = first_word_mask(difficulty);
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
      memcpy(ctx.h, midstate.h, sizeof ctx.h);
      SHA256_Transform(&ctx, tail);
      if ((ctx.h[0] & mask) == 0 && has_leading_zeros(ctx.h, difficulty)) return (double)(start + n);
      digits = _mm_add_epi8(digits, one);
    }
    _mm_storeu_si128((__m128i *)tail, digits);
#else
    for (uint64_t r = 0; r < run; r++, n++, (*last)++) {
      memcpy(ctx.h, midstate.h, sizeof ctx.h);
      SHA256_Transform(&ctx, tail);
      if ((ctx.h[0] & mask) == 0 && has_leading_zeros(ctx.h, difficulty)) return (double)(start + n);
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

#define CHECK(call)                                                      \
  if ((call) != napi_ok) {                                               \
    napi_throw_error(env, NULL, "toychain kernel: bad arguments");       \
    return NULL;                                                         \
  }

static napi_value Search(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 4) {
    napi_throw_type_error(env, NULL, "search(header, difficulty, start, count)");
    return NULL;
  }
  void *header;
  size_t header_length;
  int32_t difficulty;
  double start, count;
  CHECK(napi_get_buffer_info(env, argv[0], &header, &header_length));
  CHECK(napi_get_value_int32(env, argv[1], &difficulty));
  CHECK(napi_get_value_double(env, argv[2], &start));
  CHECK(napi_get_value_double(env, argv[3], &count));
  if (header_length != 64 || difficulty < 0 || difficulty > 256 || start < 0 || count < 0 ||
      count > 9007199254740992.0 - start) {
    napi_throw_range_error(env, NULL, "search: a 64-byte header, difficulty 0-256, nonces within 0..2^53");
    return NULL;
  }
  napi_value result;
  CHECK(napi_create_double(env, search(header, difficulty, (uint64_t)start, (uint64_t)count), &result));
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "search", NAPI_AUTO_LENGTH, Search, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "search", fn) != napi_ok) return NULL;
  return exports;
}
