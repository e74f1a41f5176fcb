/* seal.h - field values encrypted, pseudonymised and opened (dmo-keyset(5)). */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_SEAL_H
#define DMO_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "keyset.h"
#include "record.h"

/*
 * The formats are specified in dmo-keyset(5).  In short:
 *
 *   randomised     "dmo1r:" base64url(kid[4] salt[16] nonce[12] ct tag[16])
 *   deterministic  "dmo1d:" base64url(kid[4] siv[16] ct)
 *   pseudonym      base64url(HMAC-SHA-256(kp, len32(ctx) ctx text)[0..16))
 *
 * The plaintext is one type byte ('n' null, 'f' false, 't' true,
 * 'N' number, 's' string, 'a' array, 'o' object) and the value's bytes
 * (a number's lexeme, a string's bytes, a nested value's compact JSON),
 * so that opening restores the value exactly.  The associated data is
 * "dmo1r" or "dmo1d", the key id, then the field name and the context,
 * each after its length as 4 bytes big-endian.
 */

#define DMO_SEAL_RANDOM_PREFIX	"dmo1r:"
#define DMO_SEAL_DETERM_PREFIX	"dmo1d:"
#define DMO_PSEUDONYM_BYTES	16

/*
 * The nonces of one data key: 4 zero bytes, then a 64-bit big-endian
 * counter from 0.  At DMO_NONCE_LIMIT the sealer derives a new data key
 * from a new salt, so no (key, nonce) pair is ever used twice.
 */
#define DMO_NONCE_LIMIT		((uint64_t)1 << 32)

struct dmo_nonce {
	uint64_t	next;
};

void	 dmo_nonce_init(struct dmo_nonce *);
/* The next nonce, or -1 (code DMO_EXIT_CRYPTO) past the limit. */
int	 dmo_nonce_next(struct dmo_nonce *, uint8_t iv[12], struct dmo_err *);

struct dmo_sealer;

/*
 * A sealer for one run: keys from ks (which must outlive it), the
 * context (NULL or "" for none).  Randomised encryption draws one salt
 * per run (per 2^32 values) and derives the data key with HKDF.
 */
struct dmo_sealer *dmo_sealer_new(const struct dmo_keyset *ks,
	    const char *context, struct dmo_err *);
void	 dmo_sealer_free(struct dmo_sealer *);
/* For known-answer tests only: the salt of the next data key. */
int	 dmo_sealer_set_salt(struct dmo_sealer *, const uint8_t salt[16],
	    struct dmo_err *);

/*
 * Parallel sealing.  A helper shares its parent's keyset, context and
 * current data key (the same salt) and has its own OpenSSL contexts,
 * buffers and cache, so that another thread may use it while the parent
 * is used by its own.  Nonces stay those of one counter: the parent
 * hands them out in order with dmo_sealer_reserve (n of the current
 * data key, the first returned; a new salt and data key are drawn first
 * when fewer than n remain), and a sealer given a window takes the
 * nonces of its randomised values from [first, first + n) only, failing
 * (DMO_EXIT_CRYPTO) past it.  A helper without a window seals nothing
 * randomised.  dmo_sealer_sync makes a helper adopt the parent's data
 * key after the parent drew a new one; call it (and reserve) while no
 * other thread uses either sealer.  The parent must outlive its helpers.
 */
struct dmo_sealer *dmo_sealer_helper(struct dmo_sealer *parent,
	    struct dmo_err *);
int	 dmo_sealer_sync(struct dmo_sealer *, struct dmo_err *);
int	 dmo_sealer_reserve(struct dmo_sealer *, uint64_t n, uint64_t *first,
	    struct dmo_err *);
void	 dmo_sealer_window(struct dmo_sealer *, uint64_t first, uint64_t n);
/* Back to the parent's own counter (the parent only). */
void	 dmo_sealer_no_window(struct dmo_sealer *);

enum dmo_seal_mode {
	DMO_SEAL_RANDOM = 'r',
	DMO_SEAL_DETERM = 'd'
};

/* Encrypt a value for field name under the primary key; the text is
 * appended to out.  0 or -1.  v may lie in out's bytes (a record's
 * value sealed into its own data). */
int	 dmo_seal(struct dmo_sealer *, enum dmo_seal_mode, const char *name,
	    size_t nlen, enum dmo_type, const char *v, size_t vlen,
	    struct dmo_buf *out, struct dmo_err *);

/* For the tests: every deterministic value hashes alike in the cache. */
extern int dmo_seal_cache_collide;

/*
 * Decrypt a ciphertext text of either mode made for field name: the
 * value's bytes are appended to out, its type and mode returned.  -1
 * (code DMO_EXIT_CRYPTO) when it is not a ciphertext, names an unknown or
 * disabled key, or does not authenticate.  out is wiped on failure.
 */
int	 dmo_seal_open(struct dmo_sealer *, const char *name, size_t nlen,
	    const char *v, size_t vlen, enum dmo_type *, enum dmo_seal_mode *,
	    struct dmo_buf *out, struct dmo_err *);

/* The pseudonym of a (non-null) value, appended to out (22 bytes). */
int	 dmo_seal_pseudonym(struct dmo_sealer *, enum dmo_type, const char *v,
	    size_t vlen, struct dmo_buf *out, struct dmo_err *);

#endif
