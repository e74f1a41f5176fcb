/* crypto.c - AEADs, KDFs and MACs through OpenSSL 3 (the one libcrypto user). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include "buf.h"
#include "crypto.h"
#include "exitcode.h"

/*
 * AES-256-GCM is called through its provider's own functions when they
 * can be had.  For every value the EVP layer of OpenSSL 3.0 asks the
 * provider for the IV length (a round trip through OSSL_PARAMs) before
 * it sets an IV, and turns the tag request into OSSL_PARAMs again: some
 * 2,000 instructions a value, more than GCM itself costs on a short
 * value.  The cipher is fetched as usual, so the configured providers
 * and properties choose it; then the dispatch table of the fetching
 * provider's implementation of that name is read and called as EVP
 * would call it (encrypt_init with the IV only, update, final, the tag
 * as a parameter), without the bookkeeping.  The fetched cipher is kept
 * so that the provider stays loaded.  When no such table is found the
 * EVP calls are used; dmo_crypto_evp_only forces them (for the tests).
 */
int dmo_crypto_evp_only;

struct gcm_prov {
	OSSL_FUNC_cipher_newctx_fn		*newctx;
	OSSL_FUNC_cipher_freectx_fn		*freectx;
	OSSL_FUNC_cipher_encrypt_init_fn	*einit;
	OSSL_FUNC_cipher_decrypt_init_fn	*dinit;
	OSSL_FUNC_cipher_update_fn		*update;
	OSSL_FUNC_cipher_final_fn		*final;
	OSSL_FUNC_cipher_get_ctx_params_fn	*get_params;
	OSSL_FUNC_cipher_set_ctx_params_fn	*set_params;
};

struct dmo_gcm {
	EVP_CIPHER	*cipher;
	EVP_CIPHER_CTX	*ctx;		/* the EVP path */
	struct gcm_prov	 f;		/* or the provider's functions */
	void		*pctx;		/* and their context */
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

/* Does the ':'-separated list of names hold name? */
static int
names_have(const char *names, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = names; p != NULL; p = strchr(p, ':'), p = p ? p + 1 : p)
		if (strncasecmp(p, name, n) == 0 &&
		    (p[n] == '\0' || p[n] == ':'))
			return 1;
	return 0;
}

/* The provider's functions for g->cipher, or 0 when they are not all there. */
static int
gcm_prov_find(struct dmo_gcm *g)
{
	const OSSL_PROVIDER *prov = EVP_CIPHER_get0_provider(g->cipher);
	const OSSL_ALGORITHM *algs, *a;
	const OSSL_DISPATCH *d;
	struct gcm_prov f;
	int no_cache = 0;

	if (prov == NULL || (algs = OSSL_PROVIDER_query_operation(prov,
	    OSSL_OP_CIPHER, &no_cache)) == NULL)
		return 0;
	memset(&f, 0, sizeof(f));
	for (a = algs; a->algorithm_names != NULL; a++)
		if (names_have(a->algorithm_names, "AES-256-GCM"))
			break;
	for (d = a->implementation; d != NULL && d->function_id != 0; d++)
		switch (d->function_id) {
		case OSSL_FUNC_CIPHER_NEWCTX:
			f.newctx = OSSL_FUNC_cipher_newctx(d);
			break;
		case OSSL_FUNC_CIPHER_FREECTX:
			f.freectx = OSSL_FUNC_cipher_freectx(d);
			break;
		case OSSL_FUNC_CIPHER_ENCRYPT_INIT:
			f.einit = OSSL_FUNC_cipher_encrypt_init(d);
			break;
		case OSSL_FUNC_CIPHER_DECRYPT_INIT:
			f.dinit = OSSL_FUNC_cipher_decrypt_init(d);
			break;
		case OSSL_FUNC_CIPHER_UPDATE:
			f.update = OSSL_FUNC_cipher_update(d);
			break;
		case OSSL_FUNC_CIPHER_FINAL:
			f.final = OSSL_FUNC_cipher_final(d);
			break;
		case OSSL_FUNC_CIPHER_GET_CTX_PARAMS:
			f.get_params = OSSL_FUNC_cipher_get_ctx_params(d);
			break;
		case OSSL_FUNC_CIPHER_SET_CTX_PARAMS:
			f.set_params = OSSL_FUNC_cipher_set_ctx_params(d);
			break;
		}
	OSSL_PROVIDER_unquery_operation(prov, OSSL_OP_CIPHER, algs);
	if (f.newctx == NULL || f.freectx == NULL || f.einit == NULL ||
	    f.dinit == NULL || f.update == NULL || f.final == NULL ||
	    f.get_params == NULL || f.set_params == NULL)
		return 0;
	if ((g->pctx = f.newctx(OSSL_PROVIDER_get0_provider_ctx(prov))) ==
	    NULL)
		return 0;
	g->f = f;
	return 1;
}

struct dmo_gcm *
dmo_gcm_new(const uint8_t key[DMO_GCM_KEY], struct dmo_err *err)
{
	struct dmo_gcm *g = dmo_xcalloc(1, sizeof(*g));

	if ((g->cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL)) ==
	    NULL)
		goto fail;
	if (!dmo_crypto_evp_only && gcm_prov_find(g)) {
		/* The key schedule and H, once; each value sets its IV. */
		if (g->f.einit(g->pctx, key, DMO_GCM_KEY, NULL, 0, NULL) != 1)
			goto fail;
		return g;
	}
	if ((g->ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex(g->ctx, g->cipher, NULL, key, NULL, 1) != 1)
		goto fail;
	return g;
fail:
	dmo_gcm_free(g);
	fail(err, "AES-256-GCM");
	return NULL;
}

int
dmo_gcm_direct(const struct dmo_gcm *g)
{
	return g->pctx != NULL;
}

void
dmo_gcm_free(struct dmo_gcm *g)
{
	if (g == NULL)
		return;
	if (g->pctx != NULL)
		g->f.freectx(g->pctx);	/* cleanses the key schedule */
	EVP_CIPHER_CTX_free(g->ctx);	/* likewise */
	EVP_CIPHER_free(g->cipher);
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

/*
 * One value through the provider's functions: IV, associated data, then
 * the text; enc selects sealing (the tag is read after final) or
 * opening (the tag is set before final, which verifies it).  Inline:
 * each caller's enc is a constant, and a value pays no second call.
 */
__attribute__((always_inline)) static inline int
gcm_prov_run(struct dmo_gcm *g, int enc, const uint8_t iv[DMO_GCM_IV],
    const struct dmo_iov *aad, size_t naad, const uint8_t *in, size_t len,
    uint8_t *out, uint8_t *tag)
{
	OSSL_PARAM params[2];
	size_t i, n;

	if ((enc ? g->f.einit : g->f.dinit)(g->pctx, NULL, 0, iv, DMO_GCM_IV,
	    NULL) != 1)
		return 0;
	for (i = 0; i < naad; i++)
		if (aad[i].len > 0 && g->f.update(g->pctx, NULL, &n,
		    aad[i].len, aad[i].p, aad[i].len) != 1)
			return 0;
	if (len > 0 && g->f.update(g->pctx, out, &n, len, in, len) != 1)
		return 0;
	/* What OSSL_PARAM_construct_octet_string makes, without two calls. */
	memset(params, 0, sizeof(params));
	params[0].key = OSSL_CIPHER_PARAM_AEAD_TAG;
	params[0].data_type = OSSL_PARAM_OCTET_STRING;
	params[0].data = tag;
	params[0].data_size = DMO_GCM_TAG;
	params[0].return_size = OSSL_PARAM_UNMODIFIED;
	if (!enc && g->f.set_params(g->pctx, params) != 1)
		return 0;
	if (g->f.final(g->pctx, out + len, &n, 0) != 1)
		return -1;
	return enc ? g->f.get_params(g->pctx, params) == 1 : 1;
}

int
dmo_gcm_seal(struct dmo_gcm *g, const uint8_t iv[DMO_GCM_IV],
    const struct dmo_iov *aad, size_t naad, const void *pt, size_t ptlen,
    uint8_t *out, struct dmo_err *err)
{
	int len;

	if (g->pctx != NULL) {
		if (gcm_prov_run(g, 1, iv, aad, naad, pt, ptlen, out,
		    out + ptlen) != 1)
			return fail(err, "AES-256-GCM");
		return 0;
	}
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
	uint8_t tag[DMO_GCM_TAG];
	size_t ptlen;
	int len, rc;

	if (ctlen < DMO_GCM_TAG || ctlen - DMO_GCM_TAG > INT_MAX)
		return auth_failed(err);
	ptlen = ctlen - DMO_GCM_TAG;
	if (g->pctx != NULL) {
		/* The tag is copied first: out may overlap ct. */
		memcpy(tag, ct + ptlen, DMO_GCM_TAG);
		rc = gcm_prov_run(g, 0, iv, aad, naad, ct, ptlen, out, tag);
		if (rc == 0)
			return fail(err, "AES-256-GCM");
		if (rc < 0) {
			dmo_crypto_wipe(out, ptlen);
			return auth_failed(err);
		}
		return 0;
	}
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

