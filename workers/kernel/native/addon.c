/*
 * The native kernels' N-API face. Loading the addon (the first time in a
 * process) checks every variant that this CPU supports against OpenSSL; one
 * that fails is refused, with the reason, in variants().
 *
 *   variants() -> [{ name, usable, reason? }]
 *   search(header: Buffer(64), target: Buffer(32), start, count, variant) -> first proof or -1
 *     (the first nonce whose SHA-256(H || decimal(nonce)), big-endian, is at most the big-endian target)
 *   calibrate(variant, ms) -> nonces per second over about `ms` milliseconds
 *   idle() -> { how: "SCHED_IDLE" or "nice 19", thread, nice }: lowers the calling thread's priority (its id and
 *     its nice before are what restore takes); throws when neither works
 *   restore(thread, nice) -> true once the thread runs at its normal priority again (it may be gone), or a string:
 *     why not (leaving SCHED_IDLE, or a lower nice, needs CAP_SYS_NICE or an RLIMIT_NICE that allows it)
 *   mallocLimits(arenaMax, mmapThreshold) -> true once glibc's malloc takes both (mallopt), or a string: why not
 *   leveldbMmapLimit(binary, limit) -> true once the LevelDB built into `binary` (a file already loaded in the
 *     process: classic-level's) maps at most `limit` table files for its reads, or a string: why not. LevelDB reads
 *     the limit when its default Env is made, at the first database opened: only a call before that counts
 *   ed25519(library) -> { library, usable, reason? }: libsodium for signatures (ed25519.c), opened from the file
 *     `library` and self-tested the first time in the process; later calls report the library opened then
 *   verifyBatch(buffer, from, to, results?) -> the index of the first job in from..to (excluded) of a packed
 *     SignatureBatch (src/signatures/batch.ts) whose signature the pinned rule refuses, or -1; with `results`
 *     (a Uint8Array of to - from bytes) it goes on to the end, writing 1 or 0 for each job; without, it stops
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <node_api.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#ifdef __linux__
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include "ed25519.h"
#include "kernel.h"

struct variant {
  const char *name;
  tk_segment_fn fn; /* NULL: the reference */
  int (*supported)(void);
  const char *needs;
  const char *problem; /* why it is refused, or NULL */
};

static int always(void) { return 1; }
static int shani_vl(void) { return tk_cpu_has_shani() && tk_cpu_has_avx512vl(); }

/* binding.gyp builds the per-ISA kernels for x86-64 only; elsewhere they are listed, never supported. */
#ifdef TOYCHAIN_X86_KERNELS
#define X86(fn) fn
#else
#define X86(fn) NULL
#endif

static struct variant VARIANTS[] = {
    {"openssl", NULL, always, "", NULL},
    {"shani", X86(tk_segment_shani), tk_cpu_has_shani, "SHA-NI and SSE4.1", NULL},
    {"shani-4", X86(tk_segment_shani_4), tk_cpu_has_shani, "SHA-NI and SSE4.1", NULL},
    {"shani-vl", X86(tk_segment_shani_vl), shani_vl, "SHA-NI and AVX-512VL", NULL},
    {"avx2", X86(tk_segment_avx2_8), tk_cpu_has_avx2, "AVX2", NULL},
    {"avx2-16", X86(tk_segment_avx2_16), tk_cpu_has_avx2, "AVX2", NULL},
    {"avx512", X86(tk_segment_avx512_16), tk_cpu_has_avx512f, "AVX-512F", NULL},
};
#define VARIANT_COUNT (sizeof VARIANTS / sizeof *VARIANTS)

static int64_t run(const struct variant *v, const struct tk_job *job, uint64_t start, uint64_t count) {
  return v->fn ? tk_search(v->fn, job, start, count) : tk_search_reference(job, start, count);
}

/* Every proof in a range, searching again after each find. */
static int proofs(const struct variant *v, const struct tk_job *job, uint64_t start, uint64_t count,
                  int64_t *out, int max) {
  int n = 0;
  uint64_t end = start + count;
  while (start < end && n < max) {
    int64_t found = run(v, job, start, end - start);
    if (found < 0) break;
    out[n++] = found;
    start = (uint64_t)found + 1;
  }
  return n;
}

/* The self-check's header: 64 hex digits, as H is. */
static void check_header(unsigned char header[64]) {
  for (int i = 0; i < 64; i++) header[i] = (unsigned char)"0123456789abcdef"[(i * 7 + 3) % 16];
}

/* SHA-256(H || decimal(nonce)) through OpenSSL, the whole message at once, as 32 big-endian bytes. */
static void digest_of(const unsigned char header[64], uint64_t nonce, unsigned char digest[32]) {
  char digits[24];
  int length = snprintf(digits, sizeof digits, "%llu", (unsigned long long)nonce);
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, header, 64);
  SHA256_Update(&ctx, digits, (size_t)length);
  SHA256_Final(digest, &ctx);
}

/* Adds one to (up) or takes one from a big-endian number's 32-bit word `word` (0 the most significant), carrying. */
static void step_word(unsigned char number[32], int word, int up) {
  for (int i = 4 * word + 3; i >= 0; i--) {
    const unsigned char before = number[i];
    number[i] = (unsigned char)(up ? before + 1 : before - 1);
    if (before != (up ? 0xff : 0x00)) break;
  }
}

/* A target not of the 2^k-1 form, with about one proof in 38 nonces. */
static const unsigned char ODD_TARGET[32] = {0x06, 0xb3, 0xa1, 0xc5, 0x9e, 0x37, 0x79, 0xb9, 0x7f, 0x4a, 0x7c,
                                             0x15, 0xf3, 0x9c, 0xc0, 0x60, 0x5c, 0xed, 0xc8, 0x34, 0x10, 0x82,
                                             0x27, 0x6b, 0xf3, 0xa2, 0x72, 0x37, 0x5a, 0x9b, 0x5e, 0x21};
/* A target whose first word has its top bit set: about 7 nonces in 10 pass. */
static const unsigned char HIGH_TARGET[32] = {0xb5, 0x04, 0xf3, 0x33, 0xf9, 0xde, 0x64, 0x84, 0x59, 0x7d, 0x89,
                                              0xb3, 0x75, 0x4a, 0xbe, 0x9f, 0x1d, 0x6f, 0x60, 0xba, 0x89, 0x3b,
                                              0xa8, 0x4c, 0xed, 0x17, 0xac, 0x85, 0x83, 0x33, 0x99, 0x15};

/*
 * The self-check, against OpenSSL's SHA-256 of each whole message and a byte
 * comparison of each digest with the target: every proof over ranges that
 * cross a segment (W0-W2) change, the 15-to-16-digit change and 2^53-1, and
 * single-nonce ranges, for each of these targets:
 *   - over the whole range, 2^251-1 (5 leading zero bits, one nonce in 32)
 *     and ODD_TARGET;
 *   - over the range's smallest digest D's nonce and CHECK_WINDOW nonces
 *     either side: HIGH_TARGET, which a signed comparison of first words
 *     gets wrong; D itself, a tie on every word: D's nonce alone passes; D-1,
 *     a tie on the first seven words, then below: no nonce passes; D with its
 *     second word one less, a tie on the first word, then below: no nonce
 *     passes; and with it one more, then above: D's nonce alone passes.
 * A variant that gets the comparison's sign or direction wrong, rejects ties,
 * or judges by the first word alone fails.
 * The expected proofs are computed once (4,322 digests, about 1 ms); each
 * variant then searches about 10,000 nonces.
 */
static const struct { uint64_t start, count; } CHECK_RANGES[] = {
    {TK_FAST_FIRST - 300, 600}, {TK_FAST_FIRST + 9000, 2000}, {8999999999990000ULL, 1021}, {TK_FAST_FIRST + 7, 1},
    {TK_NONCE_LIMIT - 700, 700}};
#define CHECK_RANGE_COUNT (sizeof CHECK_RANGES / sizeof *CHECK_RANGES)
#define CHECK_RANGE_MAX 2000
#define CHECK_TARGETS 7
#define CHECK_PROOFS_MAX 256
#define CHECK_WINDOW 40

static struct check_case {
  uint64_t start, count;
  struct tk_job job;
  int proofs;
  int64_t want[CHECK_PROOFS_MAX];
} CHECK_CASES[CHECK_RANGE_COUNT * CHECK_TARGETS];

static void prepare_check(void) {
  unsigned char header[64];
  check_header(header);
  static unsigned char digests[CHECK_RANGE_MAX][32];
  for (size_t r = 0; r < CHECK_RANGE_COUNT; r++) {
    const uint64_t start = CHECK_RANGES[r].start, count = CHECK_RANGES[r].count;
    uint64_t smallest = 0;
    for (uint64_t i = 0; i < count; i++) {
      digest_of(header, start + i, digests[i]);
      if (memcmp(digests[i], digests[smallest], 32) < 0) smallest = i;
    }
    unsigned char targets[CHECK_TARGETS][32];
    memset(targets[0], 0xff, 32);
    targets[0][0] = 0x07;
    memcpy(targets[1], ODD_TARGET, 32);
    memcpy(targets[2], HIGH_TARGET, 32);
    for (int t = 3; t < CHECK_TARGETS; t++) memcpy(targets[t], digests[smallest], 32);
    step_word(targets[4], 7, 0);
    step_word(targets[5], 1, 0);
    step_word(targets[6], 1, 1);
    const uint64_t near = smallest > CHECK_WINDOW ? smallest - CHECK_WINDOW : 0;
    const uint64_t past = smallest + CHECK_WINDOW < count ? smallest + CHECK_WINDOW + 1 : count;
    for (int t = 0; t < CHECK_TARGETS; t++) {
      const uint64_t from = t < 2 ? 0 : near, to = t < 2 ? count : past;
      struct check_case *c = &CHECK_CASES[r * CHECK_TARGETS + (size_t)t];
      c->start = start + from;
      c->count = to - from;
      tk_job_init(&c->job, header, targets[t]);
      c->proofs = 0;
      for (uint64_t i = from; i < to && c->proofs < CHECK_PROOFS_MAX; i++) {
        if (memcmp(digests[i], targets[t], 32) <= 0) c->want[c->proofs++] = (int64_t)(start + i);
      }
    }
  }
}

/* NULL when the variant passes; otherwise the first case it fails, written into `reason`. */
static const char *self_check(const struct variant *v, char *reason, size_t size) {
  for (size_t i = 0; i < sizeof CHECK_CASES / sizeof *CHECK_CASES; i++) {
    const struct check_case *c = &CHECK_CASES[i];
    int64_t got[CHECK_PROOFS_MAX];
    int m = proofs(v, &c->job, c->start, c->count, got, CHECK_PROOFS_MAX);
    if (m != c->proofs || memcmp(got, c->want, (size_t)m * sizeof *got) != 0) {
      snprintf(reason, size, "its proofs in %llu..+%llu for target %d differ from OpenSSL's (%d against %d)",
               (unsigned long long)c->start, (unsigned long long)c->count, (int)(i % CHECK_TARGETS), m, c->proofs);
      return reason;
    }
  }
  return NULL;
}

/* Once per process: every worker thread that loads the addon shares the table and the verdicts. */
static pthread_once_t checked = PTHREAD_ONCE_INIT;

static void check_variants(void) {
  static char reasons[VARIANT_COUNT][160];
  tk_init_tables();
  prepare_check();
  for (size_t i = 0; i < VARIANT_COUNT; i++) {
    if (VARIANTS[i].supported()) VARIANTS[i].problem = self_check(&VARIANTS[i], reasons[i], sizeof reasons[i]);
  }
}

static double seconds_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

#define CHECK(call)                                                \
  if ((call) != napi_ok) {                                         \
    napi_throw_error(env, NULL, "toychain kernel: bad arguments"); \
    return NULL;                                                   \
  }

/* The variant argument: an index into variants() whose variant is usable. */
static const struct variant *usable_variant(napi_env env, napi_value value) {
  int32_t index;
  if (napi_get_value_int32(env, value, &index) != napi_ok || index < 0 || (size_t)index >= VARIANT_COUNT) {
    napi_throw_range_error(env, NULL, "toychain kernel: no such variant");
    return NULL;
  }
  const struct variant *v = &VARIANTS[index];
  if (!v->supported() || v->problem) {
    napi_throw_error(env, NULL, "toychain kernel: this variant is not usable here");
    return NULL;
  }
  return v;
}

static napi_value Variants(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value list;
  CHECK(napi_create_array_with_length(env, VARIANT_COUNT, &list));
  for (size_t i = 0; i < VARIANT_COUNT; i++) {
    const struct variant *v = &VARIANTS[i];
    napi_value entry, name, usable;
    CHECK(napi_create_object(env, &entry));
    CHECK(napi_create_string_utf8(env, v->name, NAPI_AUTO_LENGTH, &name));
    CHECK(napi_get_boolean(env, v->supported() && !v->problem, &usable));
    CHECK(napi_set_named_property(env, entry, "name", name));
    CHECK(napi_set_named_property(env, entry, "usable", usable));
    char text[200];
    const char *reason = NULL;
    if (!v->supported()) {
      snprintf(text, sizeof text, "this CPU lacks %s", v->needs);
      reason = text;
    } else if (v->problem) {
      snprintf(text, sizeof text, "it failed its self-check: %s", v->problem);
      reason = text;
    }
    if (reason) {
      napi_value value;
      CHECK(napi_create_string_utf8(env, reason, NAPI_AUTO_LENGTH, &value));
      CHECK(napi_set_named_property(env, entry, "reason", value));
    }
    CHECK(napi_set_element(env, list, (uint32_t)i, entry));
  }
  return list;
}

static napi_value Search(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 5) {
    napi_throw_type_error(env, NULL, "search(header, target, start, count, variant)");
    return NULL;
  }
  void *header, *target;
  size_t header_length, target_length;
  double start, count;
  CHECK(napi_get_buffer_info(env, argv[0], &header, &header_length));
  CHECK(napi_get_buffer_info(env, argv[1], &target, &target_length));
  CHECK(napi_get_value_double(env, argv[2], &start));
  CHECK(napi_get_value_double(env, argv[3], &count));
  if (header_length != 64 || target_length != 32 || start < 0 || count < 0 || count > 9007199254740992.0 - start) {
    napi_throw_range_error(env, NULL, "search: a 64-byte header, a 32-byte target, nonces within 0..2^53");
    return NULL;
  }
  const struct variant *v = usable_variant(env, argv[4]);
  if (!v) return NULL;
  struct tk_job job;
  tk_job_init(&job, header, target);
  napi_value result;
  CHECK(napi_create_double(env, (double)run(v, &job, (uint64_t)start, (uint64_t)count), &result));
  return result;
}

static napi_value Calibrate(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 2) {
    napi_throw_type_error(env, NULL, "calibrate(variant, ms)");
    return NULL;
  }
  const struct variant *v = usable_variant(env, argv[0]);
  if (!v) return NULL;
  double ms;
  CHECK(napi_get_value_double(env, argv[1], &ms));
  unsigned char header[64], target[32] = {0};
  memset(header, 'c', sizeof header);
  struct tk_job job;
  tk_job_init(&job, header, target); /* target 0: never reached */
  uint64_t nonce = TK_FAST_FIRST + 5000, done = 0;
  const double started = seconds_now();
  double elapsed;
  do {
    run(v, &job, nonce, 4096);
    nonce += 4096;
    done += 4096;
    elapsed = seconds_now() - started;
  } while (elapsed * 1000 < ms);
  napi_value result;
  CHECK(napi_create_double(env, (double)done / elapsed, &result));
  return result;
}

static napi_value Idle(napi_env env, napi_callback_info info) {
  (void)info;
  const char *how = NULL;
  char reason[200] = "thread priorities are only set on Linux";
  int64_t thread = 0;
  int32_t nice = 0;
#ifdef __linux__
  struct sched_param param = {0};
  thread = (int64_t)syscall(SYS_gettid);
  errno = 0;
  nice = getpriority(PRIO_PROCESS, (id_t)thread);
  if (nice == -1 && errno != 0) nice = 0;
  /* On Linux, pid 0 is the calling thread, not the process. */
  if (sched_setscheduler(0, SCHED_IDLE, &param) == 0) {
    how = "SCHED_IDLE";
  } else {
    int idle_error = errno;
    if (setpriority(PRIO_PROCESS, (id_t)thread, 19) == 0) {
      how = "nice 19";
    } else {
      snprintf(reason, sizeof reason, "SCHED_IDLE: %s; nice 19: %s", strerror(idle_error), strerror(errno));
    }
  }
#endif
  if (!how) {
    napi_throw_error(env, NULL, reason);
    return NULL;
  }
  napi_value result, value;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_string_utf8(env, how, NAPI_AUTO_LENGTH, &value));
  CHECK(napi_set_named_property(env, result, "how", value));
  CHECK(napi_create_int64(env, thread, &value));
  CHECK(napi_set_named_property(env, result, "thread", value));
  CHECK(napi_create_int32(env, nice, &value));
  CHECK(napi_set_named_property(env, result, "nice", value));
  return result;
}

/*
 * Called from another thread of the process (the main one, before it stops
 * the mining threads): a thread at SCHED_IDLE gets almost no CPU on a busy
 * machine, not even to exit.
 */
static napi_value Restore(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t thread = 0;
  int32_t nice = 0;
  CHECK(napi_get_value_int64(env, argv[0], &thread));
  CHECK(napi_get_value_int32(env, argv[1], &nice));
  char reason[200] = "";
#ifdef __linux__
  struct sched_param param = {0};
  int policy = sched_getscheduler((pid_t)thread);
  if (policy < 0 && errno != ESRCH) {
    snprintf(reason, sizeof reason, "thread %lld: %s", (long long)thread, strerror(errno));
  } else if (policy == SCHED_IDLE && sched_setscheduler((pid_t)thread, SCHED_OTHER, &param) != 0) {
    snprintf(reason, sizeof reason, "thread %lld: leaving SCHED_IDLE: %s", (long long)thread, strerror(errno));
  } else if (policy >= 0) {
    errno = 0;
    int now = getpriority(PRIO_PROCESS, (id_t)thread);
    if (errno == 0 && now > nice && setpriority(PRIO_PROCESS, (id_t)thread, nice) != 0) {
      snprintf(reason, sizeof reason, "thread %lld: nice %d to %d: %s", (long long)thread, now, nice, strerror(errno));
    }
  }
#endif
  napi_value result;
  if (reason[0]) {
    CHECK(napi_create_string_utf8(env, reason, NAPI_AUTO_LENGTH, &result));
  } else {
    CHECK(napi_get_boolean(env, true, &result));
  }
  return result;
}

/*
 * glibc's malloc: at most `arenaMax` arenas (threads beyond share them), and
 * blocks of `mmapThreshold` bytes or more mapped and unmapped when freed, the
 * threshold no longer rising to the size of the largest block freed. What
 * MALLOC_ARENA_MAX and MALLOC_MMAP_THRESHOLD_ set at start, for arenas made
 * after the call.
 */
static napi_value MallocLimits(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t arena_max = 0, mmap_threshold = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || napi_get_value_int32(env, argv[0], &arena_max) != napi_ok ||
      napi_get_value_int32(env, argv[1], &mmap_threshold) != napi_ok || arena_max < 1 || mmap_threshold < 1) {
    napi_throw_range_error(env, NULL, "mallocLimits: two positive whole numbers");
    return NULL;
  }
  napi_value result;
#ifdef __GLIBC__
  if (mallopt(M_ARENA_MAX, arena_max) == 1 && mallopt(M_MMAP_THRESHOLD, mmap_threshold) == 1) {
    CHECK(napi_get_boolean(env, true, &result));
  } else {
    CHECK(napi_create_string_utf8(env, "glibc's mallopt refused them", NAPI_AUTO_LENGTH, &result));
  }
#else
  CHECK(napi_create_string_utf8(env, "the C library is not glibc", NAPI_AUTO_LENGTH, &result));
#endif
  return result;
}

/* LevelDB's own hook for its limit on mapped table files (env_posix.cc), exported by classic-level's binary. */
#define SET_MMAP_LIMIT "_ZN7leveldb18EnvPosixTestHelper20SetReadOnlyMMapLimitEi"

static napi_value LeveldbMmapLimit(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char binary[4096];
  size_t length = 0;
  int32_t limit = -1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], binary, sizeof binary, &length) != napi_ok ||
      length == 0 || length >= sizeof binary - 1 || napi_get_value_int32(env, argv[1], &limit) != napi_ok || limit < 0) {
    napi_throw_range_error(env, NULL, "leveldbMmapLimit: a file's path and a whole number");
    return NULL;
  }
  const char *why = NULL;
  void *handle = dlopen(binary, RTLD_NOW | RTLD_NOLOAD);
  if (handle == NULL) {
    why = "it is not loaded in this process";
  } else {
    void (*set_limit)(int) = (void (*)(int))dlsym(handle, SET_MMAP_LIMIT);
    if (set_limit == NULL) why = "it does not export LevelDB's SetReadOnlyMMapLimit";
    else set_limit(limit);
    dlclose(handle);
  }
  napi_value result;
  if (why == NULL) {
    CHECK(napi_get_boolean(env, true, &result));
  } else {
    CHECK(napi_create_string_utf8(env, why, NAPI_AUTO_LENGTH, &result));
  }
  return result;
}

static napi_value Ed25519(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char name[256];
  size_t length;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &length) != napi_ok ||
      length == 0 || length >= sizeof name - 1) {
    napi_throw_type_error(env, NULL, "ed25519(library): a library's file name, up to 254 bytes");
    return NULL;
  }
  const char *opened = tk_ed25519_open(name);
  const char *reason = tk_ed25519_problem();
  napi_value entry, library, usable;
  CHECK(napi_create_object(env, &entry));
  CHECK(napi_create_string_utf8(env, opened, NAPI_AUTO_LENGTH, &library));
  CHECK(napi_get_boolean(env, reason == NULL, &usable));
  CHECK(napi_set_named_property(env, entry, "library", library));
  CHECK(napi_set_named_property(env, entry, "usable", usable));
  if (reason) {
    napi_value value;
    CHECK(napi_create_string_utf8(env, reason, NAPI_AUTO_LENGTH, &value));
    CHECK(napi_set_named_property(env, entry, "reason", value));
  }
  return entry;
}

/* A uint32 of the batch, as the JS side's Uint32Array wrote it (this machine's byte order). */
static uint32_t batch_word(const uint8_t *bytes, size_t index) {
  uint32_t word;
  memcpy(&word, bytes + 4 * index, 4);
  return word;
}

static napi_value VerifyBatch(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "verifyBatch(buffer, from, to, results?)");
    return NULL;
  }
  if (tk_ed25519_problem()) {
    napi_throw_error(env, NULL, "verifyBatch: libsodium is not opened, or not usable (see ed25519())");
    return NULL;
  }
  void *data;
  size_t size;
  uint32_t from, to;
  CHECK(napi_get_arraybuffer_info(env, argv[0], &data, &size));
  CHECK(napi_get_value_uint32(env, argv[1], &from));
  CHECK(napi_get_value_uint32(env, argv[2], &to));
  const uint8_t *bytes = data;
  /* The layout is checked here again, for the jobs asked: the offsets are read, never trusted. */
  const uint32_t count = size >= 4 ? batch_word(bytes, 0) : 0;
  const uint64_t header = 4 * (3 * (uint64_t)count + 2);
  if (size < 4 || header > size || from > to || to > count) {
    napi_throw_range_error(env, NULL, "verifyBatch: not a signature batch, or jobs outside it");
    return NULL;
  }
  uint8_t *results = NULL;
  napi_valuetype type = napi_undefined;
  if (argc > 3) CHECK(napi_typeof(env, argv[3], &type));
  if (type != napi_undefined) {
    napi_typedarray_type array_type;
    size_t length;
    void *array;
    CHECK(napi_get_typedarray_info(env, argv[3], &array_type, &length, &array, NULL, NULL));
    if (array_type != napi_uint8_array || length != to - from) {
      napi_throw_range_error(env, NULL, "verifyBatch: results must be a Uint8Array of to - from bytes");
      return NULL;
    }
    results = array;
  }
  int64_t first = -1;
  for (uint32_t job = from; job < to; job++) {
    const uint32_t key = batch_word(bytes, 1 + 3 * (size_t)job), signature = batch_word(bytes, 2 + 3 * (size_t)job),
                   message = batch_word(bytes, 3 + 3 * (size_t)job), end = batch_word(bytes, 4 + 3 * (size_t)job);
    if (key < header || signature < key || message < signature || end < message || end > size) {
      napi_throw_range_error(env, NULL, "verifyBatch: a job's offsets are out of order or past the batch's end");
      return NULL;
    }
    const int verifies = tk_ed25519_verify(bytes + key, signature - key, bytes + signature, message - signature,
                                           bytes + message, end - message);
    if (results) results[job - from] = (uint8_t)verifies;
    if (!verifies && first < 0) {
      first = job;
      if (!results) break;
    }
  }
  napi_value result;
  CHECK(napi_create_int64(env, first, &result));
  return result;
}

NAPI_MODULE_INIT() {
  pthread_once(&checked, check_variants);
  static const struct { const char *name; napi_callback fn; } FUNCTIONS[] = {
      {"variants", Variants}, {"search", Search}, {"calibrate", Calibrate}, {"idle", Idle}, {"restore", Restore},
      {"ed25519", Ed25519},   {"verifyBatch", VerifyBatch}, {"mallocLimits", MallocLimits},
      {"leveldbMmapLimit", LeveldbMmapLimit}};
  for (size_t i = 0; i < sizeof FUNCTIONS / sizeof *FUNCTIONS; i++) {
    napi_value fn;
    if (napi_create_function(env, FUNCTIONS[i].name, NAPI_AUTO_LENGTH, FUNCTIONS[i].fn, NULL, &fn) != napi_ok) return NULL;
    if (napi_set_named_property(env, exports, FUNCTIONS[i].name, fn) != napi_ok) return NULL;
  }
  return exports;
}
