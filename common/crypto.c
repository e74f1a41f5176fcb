/* crypto.c - AEADs, KDFs and MACs through OpenSSL 3 (the one libcrypto user). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "buf.h"
#include "crypto.h"
#include "exitcode.h"

struct dmo_gcm {
	EVP_CIPHER_CTX	*ctx;
};

struct dmo_siv {
	EVP_CIPHER	*cipher;
	EVP_CIPHER_CTX	*key;		/* keyed once; copied for each use */
	EVP_CIPHER_CTX	*ctx;
};

struct dmo_hmac {
	EVP_MAC		*mac;
	EVP_MAC_CTX	*ctx;
};

/* OpenSSL's own reason, when it gave one, after what failed. */
static int
fail(struct dmo_err *err, const char *what)
{
	unsigned long e = ERR_get_error();
	char reason[160];

	if (e != 0) {
		ERR_error_string_n(e, reason, sizeof(reason));
		ERR_clear_error();
		dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "%s: %s", what, reason);
	} else
		dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "%s", what);
	return -1;
}

static int
auth_failed(struct dmo_err *err)
{
	ERR_clear_error();
	dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "authentication failed");
	return -1;
}

int
dmo_crypto_random(void *p, size_t n, struct dmo_err *err)
{
	if (n > INT_MAX || RAND_bytes(p, (int)n) != 1)
		return fail(err, "random number generator");
	return 0;
}

void
dmo_crypto_wipe(void *p, size_t n)
{
	if (p != NULL)
		OPENSSL_cleanse(p, n);
}

int
dmo_crypto_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int
dmo_crypto_hkdf(const void *ikm, size_t ikmlen, const void *salt,
    size_t saltlen, const void *info, size_t infolen, void *out, size_t outlen,
    struct dmo_err *err)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[5], *p = params;
	int ok;

	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)ikm, ikmlen);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)salt, saltlen);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)info, infolen);
	*p = OSSL_PARAM_construct_end();
	ok = ctx != NULL && EVP_KDF_derive(ctx, out, outlen, params) == 1;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok ? 0 : fail(err, "HKDF");
}

int
dmo_crypto_hmac(const void *key, size_t keylen, const void *msg,
    size_t msglen, uint8_t out[32], struct dmo_err *err)
{
	struct dmo_hmac *h = dmo_hmac_new(key, keylen, err);
	struct dmo_iov v = { msg, msglen };
	int rc;

	if (h == NULL)
		return -1;
	rc = dmo_hmac_run(h, &v, 1, out, err);
	dmo_hmac_free(h);
	return rc;
}

int
dmo_crypto_scrypt(const char *pass, size_t passlen, const void *salt,
    size_t saltlen, uint64_t n, uint64_t r, uint64_t p, void *out,
    size_t outlen, struct dmo_err *err)
{
	/* Room for what the parameters need: 128 r (N + p) bytes, and some. */
	uint64_t maxmem = 128 * r * (n + p + 2) + (1 << 20);

	if (EVP_PBE_scrypt(pass, passlen, salt, saltlen, n, r, p, maxmem, out,
	    outlen) != 1)
		return fail(err, "scrypt");
	return 0;
}

struct dmo_gcm *
dmo_gcm_new(const uint8_t key[DMO_GCM_KEY], struct dmo_err *err)
{
	struct dmo_gcm *g = dmo_xcalloc(1, sizeof(*g));

	if ((g->ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex(g->ctx, EVP_aes_256_gcm(), NULL, key, NULL, 1)
	    != 1) {
		dmo_gcm_free(g);
		fail(err, "AES-256-GCM");
		return NULL;
	}
	return g;
}

void
dmo_gcm_free(struct dmo_gcm *g)
{
	if (g == NULL)
		return;
	EVP_CIPHER_CTX_free(g->ctx);	/* cleanses the key schedule */
	free(g);
}

static int
add_aad(EVP_CIPHER_CTX *ctx, const struct dmo_iov *aad, size_t naad)
{
	size_t i;
	int len;

	for (i = 0; i < naad; i++)
		if (aad[i].len > 0 && (aad[i].len > INT_MAX ||
		    EVP_CipherUpdate(ctx, NULL, &len, aad[i].p,
		    (int)aad[i].len) != 1))
			return -1;
	return 0;
}

int
dmo_gcm_seal(struct dmo_gcm *g, const uint8_t iv[DMO_GCM_IV],
    const struct dmo_iov *aad, size_t naad, const void *pt, size_t ptlen,
    uint8_t *out, struct dmo_err *err)
{
	int len;

	if (ptlen > INT_MAX ||
	    EVP_CipherInit_ex(g->ctx, NULL, NULL, NULL, iv, 1) != 1 ||
	    add_aad(g->ctx, aad, naad) != 0 ||
	    (ptlen > 0 && EVP_CipherUpdate(g->ctx, out, &len, pt, (int)ptlen)
	    != 1) ||
	    EVP_CipherFinal_ex(g->ctx, out + ptlen, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_AEAD_GET_TAG, DMO_GCM_TAG,
	    out + ptlen) != 1)
		return fail(err, "AES-256-GCM");
	return 0;
}

int
dmo_gcm_open(struct dmo_gcm *g, const uint8_t iv[DMO_GCM_IV],
    const struct dmo_iov *aad, size_t naad, const uint8_t *ct, size_t ctlen,
    uint8_t *out, struct dmo_err *err)
{
	size_t ptlen;
	int len;

	if (ctlen < DMO_GCM_TAG || ctlen - DMO_GCM_TAG > INT_MAX)
		return auth_failed(err);
	ptlen = ctlen - DMO_GCM_TAG;
	if (EVP_CipherInit_ex(g->ctx, NULL, NULL, NULL, iv, 0) != 1 ||
	    add_aad(g->ctx, aad, naad) != 0 ||
	    (ptlen > 0 && EVP_CipherUpdate(g->ctx, out, &len, ct, (int)ptlen)
	    != 1))
		return fail(err, "AES-256-GCM");
	if (EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_AEAD_SET_TAG, DMO_GCM_TAG,
	    (void *)(ct + ptlen)) != 1 ||
	    EVP_CipherFinal_ex(g->ctx, out + ptlen, &len) != 1) {
		dmo_crypto_wipe(out, ptlen);
		return auth_failed(err);
	}
	return 0;
}

struct dmo_siv *
dmo_siv_new(const uint8_t *key, size_t keylen, struct dmo_err *err)
{
	struct dmo_siv *s = dmo_xcalloc(1, sizeof(*s));
	const char *name = keylen == 32 ? "AES-128-SIV" :
	    keylen == 48 ? "AES-192-SIV" : keylen == 64 ? "AES-256-SIV" : NULL;

	if (name == NULL) {
		free(s);
		dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "AES-SIV: bad key "
		    "length %zu", keylen);
		return NULL;
	}
	if ((s->cipher = EVP_CIPHER_fetch(NULL, name, NULL)) == NULL ||
	    (s->key = EVP_CIPHER_CTX_new()) == NULL ||
	    (s->ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex2(s->key, s->cipher, key, NULL, 1, NULL) != 1) {
		dmo_siv_free(s);
		fail(err, "AES-SIV");
		return NULL;
	}
	return s;
}

void
dmo_siv_free(struct dmo_siv *s)
{
	if (s == NULL)
		return;
	EVP_CIPHER_CTX_free(s->ctx);
	EVP_CIPHER_CTX_free(s->key);
	EVP_CIPHER_free(s->cipher);
	free(s);
}

/*
 * An SIV context cannot be restarted with the same key in OpenSSL 3.0:
 * an init without a key leaves the finished state, and the next use
 * fails; an init with the key costs twice a copy.  So each use starts
 * from a copy of the keyed context (about 1.1 us here).
 */
static int
siv_start(struct dmo_siv *s, int enc)
{
	return EVP_CIPHER_CTX_copy(s->ctx, s->key) == 1 &&
	    EVP_CipherInit_ex2(s->ctx, NULL, NULL, NULL, enc, NULL) == 1;
}

int
dmo_siv_seal(struct dmo_siv *s, const struct dmo_iov *ad, size_t nad,
    const void *pt, size_t ptlen, uint8_t *out, struct dmo_err *err)
{
	size_t i;
	int len;

	if (ptlen > INT_MAX || !siv_start(s, 1))
		return fail(err, "AES-SIV");
	for (i = 0; i < nad; i++)
		if (ad[i].len > INT_MAX || EVP_CipherUpdate(s->ctx, NULL, &len,
		    ad[i].len > 0 ? ad[i].p : (const void *)"",
		    (int)ad[i].len) != 1)
			return fail(err, "AES-SIV");
	if (EVP_CipherUpdate(s->ctx, out + DMO_SIV_TAG, &len,
	    ptlen > 0 ? pt : (const void *)"", (int)ptlen) != 1 ||
	    EVP_CipherFinal_ex(s->ctx, out + DMO_SIV_TAG + ptlen, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_GET_TAG, DMO_SIV_TAG,
	    out) != 1)
		return fail(err, "AES-SIV");
	return 0;
}

int
dmo_siv_open(struct dmo_siv *s, const struct dmo_iov *ad, size_t nad,
    const uint8_t *ct, size_t ctlen, uint8_t *out, struct dmo_err *err)
{
	size_t i, ptlen;
	int len;

	if (ctlen < DMO_SIV_TAG || ctlen - DMO_SIV_TAG > INT_MAX)
		return auth_failed(err);
	ptlen = ctlen - DMO_SIV_TAG;
	if (!siv_start(s, 0) || EVP_CIPHER_CTX_ctrl(s->ctx,
	    EVP_CTRL_AEAD_SET_TAG, DMO_SIV_TAG, (void *)ct) != 1)
		return fail(err, "AES-SIV");
	for (i = 0; i < nad; i++)
		if (ad[i].len > INT_MAX || EVP_CipherUpdate(s->ctx, NULL, &len,
		    ad[i].len > 0 ? ad[i].p : (const void *)"",
		    (int)ad[i].len) != 1)
			return fail(err, "AES-SIV");
	if (EVP_CipherUpdate(s->ctx, out, &len, ptlen > 0 ?
	    ct + DMO_SIV_TAG : (const uint8_t *)"", (int)ptlen) != 1 ||
	    EVP_CipherFinal_ex(s->ctx, out + ptlen, &len) != 1) {
		dmo_crypto_wipe(out, ptlen);
		return auth_failed(err);
	}
	return 0;
}

struct dmo_hmac *
dmo_hmac_new(const void *key, size_t keylen, struct dmo_err *err)
{
	struct dmo_hmac *h = dmo_xcalloc(1, sizeof(*h));
	OSSL_PARAM params[2];

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((h->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (h->ctx = EVP_MAC_CTX_new(h->mac)) == NULL ||
	    EVP_MAC_init(h->ctx, key, keylen, params) != 1) {
		dmo_hmac_free(h);
		fail(err, "HMAC-SHA-256");
		return NULL;
	}
	return h;
}

void
dmo_hmac_free(struct dmo_hmac *h)
{
	if (h == NULL)
		return;
	EVP_MAC_CTX_free(h->ctx);
	EVP_MAC_free(h->mac);
	free(h);
}

int
dmo_hmac_run(struct dmo_hmac *h, const struct dmo_iov *msg, size_t n,
    uint8_t out[32], struct dmo_err *err)
{
	size_t i, len;

	/* A NULL key restarts HMAC with the key already set. */
	if (EVP_MAC_init(h->ctx, NULL, 0, NULL) != 1)
		return fail(err, "HMAC-SHA-256");
	for (i = 0; i < n; i++)
		if (msg[i].len > 0 && EVP_MAC_update(h->ctx, msg[i].p,
		    msg[i].len) != 1)
			return fail(err, "HMAC-SHA-256");
	if (EVP_MAC_final(h->ctx, out, &len, 32) != 1 || len != 32)
		return fail(err, "HMAC-SHA-256");
	return 0;
}

