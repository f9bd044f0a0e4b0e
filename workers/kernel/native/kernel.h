/*
 * What every native kernel variant shares. A variant searches one range of
 * nonces for the first whose SHA-256(H || decimal(nonce)), read as a 256-bit
 * big-endian number, is at most the target. Each per-instruction-set file
 * (lanes_*.c, shani*.c) is compiled with its own flags and only called when
 * cpu.c says the CPU and the OS support them; this header and reference.c
 * are plain x86-64 (or any) C.
 *
 * The fast paths cover 16-digit nonces, 10^15 to 2^53-1, the pool's layout:
 * the second block is then 16 digits, the 0x80 pad and the bit length 640,
 * so message words W0-W2 (the first 12 digits) change once in 10^4 nonces,
 * W3 (the last four digits) every nonce, and W4-W15 never. A range is cut
 * into segments of one W0-W2 prefix each; per segment the rounds 0-2 and
 * the constant parts of round 3 are computed once (struct tk_segment), and
 * the constant words W4-W17 are pre-added to the round constants.
 * Any other nonce goes through the reference (OpenSSL) loop.
 */
#ifndef TOYCHAIN_KERNEL_H
#define TOYCHAIN_KERNEL_H
#include <stdint.h>

#define TK_FAST_FIRST 1000000000000000ULL /* 10^15, the first 16-digit nonce */
#define TK_NONCE_LIMIT 9007199254740992ULL /* 2^53 */
#define TK_SEGMENT 10000u                  /* nonces per W0-W2 prefix */

/* One search: H's midstate and the target. */
struct tk_job {
  uint32_t midstate[8];
  /*
   * The target's words, most significant first, as the digest's: a digest
   * passes when its words, compared in this order, are at most these. A
   * variant rejects on the first word (above target[0]), the common case, and
   * hands the rest to tk_meets.
   */
  uint32_t target[8];
};

/* The nonce-independent work of one segment (one W0-W2 prefix). */
struct tk_segment {
  uint32_t w[16];      /* the block's words, W3 as of the segment's first nonce */
  uint32_t state2[8];  /* a..h after rounds 0-1 (SHA-NI works in pairs of rounds) */
  uint32_t state3[8];  /* a..h after rounds 0-2 */
  uint32_t t1_part;    /* round 3's h + S1(e) + Ch(e,f,g) + K3: t1 without W3 */
  uint32_t a_part;     /* round 3's S0(a) + Maj(a,b,c) */
  uint32_t kw[64];     /* K[i] + W[i] for the constant words 4-17, K[i] elsewhere */
  uint32_t w16, w17;   /* the constant schedule words */
  /* The constant parts of schedule words 18, 19, 30, 31 and 32 (the zero words' terms left out). */
  uint32_t c18, c19, c30, c31, c32;
};

extern const uint32_t TK_K[64];
/* TK_W3[v]: message word 3 for the last four digits v (0-9999), big-endian ASCII; padded by 16. */
extern uint32_t TK_W3[TK_SEGMENT + 16];

void tk_init_tables(void);
/* `target`: 32 bytes, big-endian. */
void tk_job_init(struct tk_job *job, const unsigned char header[64], const unsigned char target[32]);
/* Fills a segment for the 16-digit nonce `first` (its W0-W2 prefix). */
void tk_segment_init(struct tk_segment *segment, const struct tk_job *job, uint64_t first);
/* The full check of one nonce's digest against the target, through OpenSSL. */
int tk_meets(const struct tk_job *job, uint64_t nonce);
/* Today's kernel: OpenSSL's SHA256_Transform, one nonce after another, any nonces. */
int64_t tk_search_reference(const struct tk_job *job, uint64_t start, uint64_t count);

/*
 * A variant's inner search: nonces first .. first+count-1, all in one
 * segment; returns the first proof or -1. tk_search cuts a range into
 * segments and hands what is not 16 digits to the reference.
 */
typedef int64_t (*tk_segment_fn)(const struct tk_job *job, const struct tk_segment *segment, uint64_t first,
                                 uint32_t count);
int64_t tk_search(tk_segment_fn fn, const struct tk_job *job, uint64_t start, uint64_t count);

int64_t tk_segment_avx2_8(const struct tk_job *, const struct tk_segment *, uint64_t, uint32_t);
int64_t tk_segment_avx2_16(const struct tk_job *, const struct tk_segment *, uint64_t, uint32_t);
int64_t tk_segment_avx512_16(const struct tk_job *, const struct tk_segment *, uint64_t, uint32_t);
int64_t tk_segment_shani(const struct tk_job *, const struct tk_segment *, uint64_t, uint32_t);
int64_t tk_segment_shani_4(const struct tk_job *, const struct tk_segment *, uint64_t, uint32_t);
int64_t tk_segment_shani_vl(const struct tk_job *, const struct tk_segment *, uint64_t, uint32_t);

/* cpu.c: what this CPU and OS can run. */
int tk_cpu_has_shani(void);
int tk_cpu_has_avx2(void);
int tk_cpu_has_avx512f(void);
int tk_cpu_has_avx512vl(void);

#endif
