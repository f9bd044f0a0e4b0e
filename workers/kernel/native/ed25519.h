/*
 * Ed25519 verification by the pinned rule (src/keys/ed25519.ts) through the
 * system's libsodium, opened at run time: no header and no link-time
 * dependency, so the addon builds and loads where libsodium is absent, and
 * the node then verifies with node:crypto.
 */
#ifndef TOYCHAIN_ED25519_H
#define TOYCHAIN_ED25519_H
#include <stddef.h>
#include <stdint.h>

/*
 * Opens libsodium from the file `name` (dlopen's search: libsodium.so.23 is
 * the system's) and self-tests it, the first time in the process; later
 * calls, from any thread, open nothing. The name of the file opened (or
 * tried): the first caller's.
 */
const char *tk_ed25519_open(const char *name);

/* NULL when the library opened is usable; otherwise why not, in words. */
const char *tk_ed25519_problem(void);

/*
 * Whether `signature` is `public_key`'s over `message` by the pinned rule:
 * lengths, S < L, A and R canonical and not of small order, then libsodium's
 * cofactorless equation comparing R's encoding. Only once
 * tk_ed25519_problem() has returned NULL.
 */
int tk_ed25519_verify(const uint8_t *public_key, size_t public_key_length, const uint8_t *signature,
                      size_t signature_length, const uint8_t *message, size_t message_length);

#endif
