/* crypto.h - the cryptographic primitives dmo uses, all from OpenSSL 3. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_CRYPTO_H
#define DMO_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/*
 * Only crypto.c includes OpenSSL headers: the rest of dmo sees these
 * functions.  Nothing here is home-made cryptography: AES-256-GCM,
 * AES-SIV (RFC 5297), HKDF-SHA-256 (RFC 5869), HMAC-SHA-256 (RFC 2104),
 * scrypt (RFC 7914), the CSPRNG, cleansing and constant-time comparison
 * are OpenSSL's.  Functions return 0 or -1 with err set (code
 * DMO_EXIT_CRYPTO); the *_open functions return -1 when the tag does not
 * verify, with err saying "authentication failed".
 */

#define DMO_GCM_KEY	32
#define DMO_GCM_IV	12
#define DMO_GCM_TAG	16
#define DMO_SIV_TAG	16

/* Associated data as a list of byte strings (SIV takes them apart). */
struct dmo_iov {
	const void	*p;
	size_t		 len;
};

int	 dmo_crypto_random(void *, size_t, struct dmo_err *);
/* Overwrite n bytes in a way the compiler cannot drop (OPENSSL_cleanse). */
void	 dmo_crypto_wipe(void *, size_t);
/* 1 when equal; time independent of the contents. */
int	 dmo_crypto_equal(const void *, const void *, size_t);

int	 dmo_crypto_hkdf(const void *ikm, size_t ikmlen, const void *salt,
	    size_t saltlen, const void *info, size_t infolen, void *out,
	    size_t outlen, struct dmo_err *);
int	 dmo_crypto_hmac(const void *key, size_t keylen, const void *msg,
	    size_t msglen, uint8_t out[32], struct dmo_err *);
int	 dmo_crypto_scrypt(const char *pass, size_t passlen, const void *salt,
	    size_t saltlen, uint64_t n, uint64_t r, uint64_t p, void *out,
	    size_t outlen, struct dmo_err *);

/*
 * AES-256-GCM with a fixed key: the key schedule is computed once, each
 * call sets a new 96-bit IV.  seal writes ptlen bytes of ciphertext and
 * the 16-byte tag after them; open takes the same and writes ptlen bytes.
 * The text may be encrypted in place (pt == out, ct == out).
 */
struct dmo_gcm;
struct dmo_gcm *dmo_gcm_new(const uint8_t key[DMO_GCM_KEY], struct dmo_err *);
void	 dmo_gcm_free(struct dmo_gcm *);
/*
 * 1 when g calls the provider's functions directly, 0 when it goes
 * through EVP (see crypto.c); tests set dmo_crypto_evp_only to check
 * that both agree.
 */
int	 dmo_gcm_direct(const struct dmo_gcm *);
extern int dmo_crypto_evp_only;
int	 dmo_gcm_seal(struct dmo_gcm *, const uint8_t iv[DMO_GCM_IV],
	    const struct dmo_iov *aad, size_t naad, const void *pt, size_t ptlen,
	    uint8_t *out, struct dmo_err *);
int	 dmo_gcm_open(struct dmo_gcm *, const uint8_t iv[DMO_GCM_IV],
	    const struct dmo_iov *aad, size_t naad, const uint8_t *ct,
	    size_t ctlen, uint8_t *out, struct dmo_err *);

/*
 * AES-SIV (RFC 5297): keylen 32 (AES-128-SIV), 48 or 64 (AES-256-SIV).
 * Each associated data string is one component of the S2V vector.
 * seal writes the 16-byte synthetic IV, then ptlen bytes; open takes the
 * same (ctlen >= 16) and writes ctlen - 16 bytes.  seal may encrypt in
 * place (pt == out + 16).
 */
struct dmo_siv;
struct dmo_siv *dmo_siv_new(const uint8_t *key, size_t keylen,
	    struct dmo_err *);
void	 dmo_siv_free(struct dmo_siv *);
int	 dmo_siv_seal(struct dmo_siv *, const struct dmo_iov *ad, size_t nad,
	    const void *pt, size_t ptlen, uint8_t *out, struct dmo_err *);
int	 dmo_siv_open(struct dmo_siv *, const struct dmo_iov *ad, size_t nad,
	    const uint8_t *ct, size_t ctlen, uint8_t *out, struct dmo_err *);

/* HMAC-SHA-256 with a fixed key, for many short messages. */
struct dmo_hmac;
struct dmo_hmac *dmo_hmac_new(const void *key, size_t keylen,
	    struct dmo_err *);
void	 dmo_hmac_free(struct dmo_hmac *);
int	 dmo_hmac_run(struct dmo_hmac *, const struct dmo_iov *msg, size_t n,
	    uint8_t out[32], struct dmo_err *);


#endif
