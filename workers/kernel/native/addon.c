/*
 * The native kernels' N-API face. Loading the addon (the first time in a
 * process) checks every variant that this CPU supports against OpenSSL; one
 * that fails is refused, with the reason, in variants().
 *
 *   variants() -> [{ name, usable, reason? }]
 *   search(header: Buffer(64), difficulty, start, count, variant) -> first proof or -1
 *   calibrate(variant, ms) -> nonces per second over about `ms` milliseconds
 *   idle() -> "SCHED_IDLE" or "nice 19": lowers the calling thread's priority; throws when neither works
 */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#ifdef __linux__
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
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

/*
 * The self-check: every proof at difficulty 5 (one nonce in 32) over ranges
 * that cross a segment (W0-W2) change and the 15-to-16-digit change, and
 * single-nonce ranges, against the reference. A few thousand compressions.
 */
static const char *self_check(const struct variant *v) {
  static const struct { uint64_t start, count; } RANGES[] = {
      {TK_FAST_FIRST - 300, 600}, {TK_FAST_FIRST + 9000, 2000}, {8999999999990000ULL, 1021}, {TK_FAST_FIRST + 7, 1},
      {TK_NONCE_LIMIT - 700, 700}};
  unsigned char header[64];
  for (int i = 0; i < 64; i++) header[i] = (unsigned char)"0123456789abcdef"[(i * 7 + 3) % 16];
  struct tk_job job;
  tk_job_init(&job, header, 5);
  for (size_t r = 0; r < sizeof RANGES / sizeof *RANGES; r++) {
    int64_t want[256], got[256];
    int n = proofs(&VARIANTS[0], &job, RANGES[r].start, RANGES[r].count, want, 256);
    int m = proofs(v, &job, RANGES[r].start, RANGES[r].count, got, 256);
    if (n != m || memcmp(want, got, (size_t)n * sizeof *want) != 0) {
      static char reason[160];
      snprintf(reason, sizeof reason, "its proofs in %llu..+%llu differ from OpenSSL's (%d against %d)",
               (unsigned long long)RANGES[r].start, (unsigned long long)RANGES[r].count, m, n);
      return reason;
    }
  }
  return NULL;
}

/* Once per process: every worker thread that loads the addon shares the table and the verdicts. */
static pthread_once_t checked = PTHREAD_ONCE_INIT;

static void check_variants(void) {
  tk_init_tables();
  for (size_t i = 1; i < VARIANT_COUNT; i++) {
    if (VARIANTS[i].supported()) VARIANTS[i].problem = self_check(&VARIANTS[i]);
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
    napi_throw_type_error(env, NULL, "search(header, difficulty, start, count, variant)");
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
  const struct variant *v = usable_variant(env, argv[4]);
  if (!v) return NULL;
  struct tk_job job;
  tk_job_init(&job, header, difficulty);
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
  unsigned char header[64];
  memset(header, 'c', sizeof header);
  struct tk_job job;
  tk_job_init(&job, header, 256);
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
#ifdef __linux__
  struct sched_param param = {0};
  /* On Linux, pid 0 is the calling thread, not the process. */
  if (sched_setscheduler(0, SCHED_IDLE, &param) == 0) {
    how = "SCHED_IDLE";
  } else {
    int idle_error = errno;
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19) == 0) {
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
  napi_value result;
  CHECK(napi_create_string_utf8(env, how, NAPI_AUTO_LENGTH, &result));
  return result;
}

NAPI_MODULE_INIT() {
  pthread_once(&checked, check_variants);
  static const struct { const char *name; napi_callback fn; } FUNCTIONS[] = {
      {"variants", Variants}, {"search", Search}, {"calibrate", Calibrate}, {"idle", Idle}};
  for (size_t i = 0; i < sizeof FUNCTIONS / sizeof *FUNCTIONS; i++) {
    napi_value fn;
    if (napi_create_function(env, FUNCTIONS[i].name, NAPI_AUTO_LENGTH, FUNCTIONS[i].fn, NULL, &fn) != napi_ok) return NULL;
    if (napi_set_named_property(env, exports, FUNCTIONS[i].name, fn) != napi_ok) return NULL;
  }
  return exports;
}
