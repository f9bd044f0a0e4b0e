/*
 * The pinned Ed25519 rule (src/keys/ed25519.ts) with libsodium's equation.
 * Steps 1 to 4 (lengths, S < L, A and R canonical and not of small order)
 * are byte comparisons here, as in src/keys/points.ts; step 5 is
 * crypto_sign_ed25519_verify_detached, which decodes A (refusing a y with no
 * x), recomputes R' = [S]B - [k]A and compares R' encoded with R: the
 * cofactorless equation, as node:crypto's. libsodium checks S, A and R's
 * small order and A's canonical y itself too, unless it was built with
 * ED25519_COMPAT: the checks here keep the rule whatever its build.
 *
 * libsodium is opened with dlopen, and self-tested on signatures whose
 * answer only the cofactorless equation gives (C2SP/CCTV's vectors 6 and 7,
 * with low-order components in A and R) besides RFC 8032's: a library that
 * answers any of them otherwise is not used.
 */
#include "ed25519.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef int (*sodium_init_fn)(void);
typedef int (*verify_detached_fn)(const unsigned char *signature, const unsigned char *message,
                                  unsigned long long message_length, const unsigned char *public_key);

static verify_detached_fn verify_detached;
static char library[256];
static const char *problem;
static char problem_text[320];

/* L, the prime subgroup's order, little-endian. */
static const uint8_t L_BYTES[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                    0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

/* The canonical encodings of the 8 points of small order (src/keys/points.ts). */
static const uint8_t SMALL_ORDER[8][32] = {
    {0},
    {[31] = 0x80},
    {0x01},
    {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
     0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
    {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
     0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x85},
    {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
     0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
    {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
     0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0xfa},
    {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
};

/* Whether a 32-byte little-endian scalar is below L (step 2). */
static int below_l(const uint8_t *s) {
  for (int i = 31; i >= 0; i--) {
    if (s[i] != L_BYTES[i]) return s[i] < L_BYTES[i];
  }
  return 0;
}

/* Whether y (the encoding less its sign bit) is 1 or p - 1, the two y whose x is 0. */
static int x_is_zero(const uint8_t *e) {
  int one = e[0] == 0x01, minus_one = e[0] == 0xec;
  for (int i = 1; i < 31; i++) {
    one &= e[i] == 0x00;
    minus_one &= e[i] == 0xff;
  }
  return (one && (e[31] & 0x7f) == 0x00) || (minus_one && (e[31] & 0x7f) == 0x7f);
}

/* Whether the pinned rule refuses a point's encoding (steps 3 and 4): not canonical, or of small order. */
static int refused_point(const uint8_t *e) {
  int all_ff = (e[31] & 0x7f) == 0x7f;
  for (int i = 1; i < 31; i++) all_ff &= e[i] == 0xff;
  if (all_ff && e[0] >= 0xed) return 1;           /* y is not below p */
  if ((e[31] & 0x80) && x_is_zero(e)) return 1; /* x = 0 with its sign bit set */
  for (int i = 0; i < 8; i++) {
    if (memcmp(e, SMALL_ORDER[i], 32) == 0) return 1;
  }
  return 0;
}

int tk_ed25519_verify(const uint8_t *public_key, size_t public_key_length, const uint8_t *signature,
                      size_t signature_length, const uint8_t *message, size_t message_length) {
  if (public_key_length != 32 || signature_length != 64) return 0;
  if (!below_l(signature + 32) || refused_point(signature) || refused_point(public_key)) return 0;
  return verify_detached(signature, message, (unsigned long long)message_length, public_key) == 0;
}

/* The self-test: RFC 8032's TEST 1 and TEST 3, TEST 3 for another message, and CCTV's 7 (accepted) and 6 (refused). */
static const struct {
  const char *name, *key, *message, *signature;
  int verifies;
} SELF_TEST[] = {
    {"RFC 8032 TEST 1", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
     1},
    {"RFC 8032 TEST 3", "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
     1},
    {"RFC 8032 TEST 3 for another message", "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af83",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
     0},
    {"CCTV 7 (low-order components that cancel)", "10eb7c3acfb2bed3e0d6ab89bf5a3d6afddd1176ce4812e38d9fd485058fdb1f",
     "65643235353139766563746f7273",
     "36684ea91032ba5b1dbab2d02f4debc74c3327f2b3802e2e4d371aa42b12b56bbbfd00bd9c259d8d222d15e67a3d8228585050dbb9b9585be20d8fadc721da03",
     1},
    {"CCTV 6 (a low-order residue)", "10eb7c3acfb2bed3e0d6ab89bf5a3d6afddd1176ce4812e38d9fd485058fdb1f",
     "65643235353139766563746f7273203130",
     "36684ea91032ba5b1dbab2d02f4debc74c3327f2b3802e2e4d371aa42b12b56bc02e2b9e63e385c058bf62b14b3a2b29ccefe8e38ddb536bc3f9865320a3d801",
     0},
};

static size_t from_hex(const char *text, uint8_t *out) {
  size_t n = strlen(text) / 2;
  for (size_t i = 0; i < n; i++) {
    unsigned int byte;
    sscanf(text + 2 * i, "%2x", &byte);
    out[i] = (uint8_t)byte;
  }
  return n;
}

static void open_libsodium(void) {
  void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    snprintf(problem_text, sizeof problem_text, "%s does not load (%s)", library, dlerror());
    problem = problem_text;
    return;
  }
  sodium_init_fn init = (sodium_init_fn)dlsym(handle, "sodium_init");
  verify_detached = (verify_detached_fn)dlsym(handle, "crypto_sign_ed25519_verify_detached");
  if (!init || !verify_detached) {
    snprintf(problem_text, sizeof problem_text, "%s lacks sodium_init or crypto_sign_ed25519_verify_detached", library);
    problem = problem_text;
    return;
  }
  if (init() < 0) {
    snprintf(problem_text, sizeof problem_text, "%s's sodium_init failed", library);
    problem = problem_text;
    return;
  }
  for (size_t i = 0; i < sizeof SELF_TEST / sizeof *SELF_TEST; i++) {
    uint8_t key[32], signature[64], message[32];
    from_hex(SELF_TEST[i].key, key);
    from_hex(SELF_TEST[i].signature, signature);
    size_t length = from_hex(SELF_TEST[i].message, message);
    if (tk_ed25519_verify(key, 32, signature, 64, message, length) != SELF_TEST[i].verifies) {
      snprintf(problem_text, sizeof problem_text, "%s failed its self-test: it %s %s", library,
               SELF_TEST[i].verifies ? "refuses" : "accepts", SELF_TEST[i].name);
      problem = problem_text;
      return;
    }
  }
  problem = NULL;
}

static pthread_mutex_t opening = PTHREAD_MUTEX_INITIALIZER;

const char *tk_ed25519_open(const char *name) {
  pthread_mutex_lock(&opening);
  if (!library[0]) {
    snprintf(library, sizeof library, "%s", name);
    open_libsodium();
  }
  pthread_mutex_unlock(&opening);
  return library;
}

const char *tk_ed25519_problem(void) {
  pthread_mutex_lock(&opening);
  const char *found = library[0] ? problem : "libsodium has not been opened";
  pthread_mutex_unlock(&opening);
  return found;
}
