/* seal.c - field values encrypted, pseudonymised and opened (dmo-keyset(5)). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "crypto.h"
#include "exitcode.h"
#include "hash.h"
#include "seal.h"
#include "value.h"

#define SALT		16
#define KID		4
#define PREFIX_LEN	6	/* "dmo1r:" */
#define INFO_RANDOM	"dmo-encrypt v1 randomised"
#define INFO_DETERM	"dmo-encrypt v1 deterministic"
#define INFO_PSEUDO	"dmo-encrypt v1 pseudonym"

/*
 * Deterministic sealing is a function of (field, type, value) for a run,
 * so its results are kept in a cache: a field that must stay joinable
 * usually repeats (customer ids, names, cities), and OpenSSL 3.0's
 * AES-SIV costs about 1 us a value.  The cache is set-associative
 * (CACHE_WAYS entries a set, the least recently used one replaced):
 * a direct-mapped table lost about 8% of lookups to two frequent values
 * sharing a slot even with a few hundred distinct values.  Values up to
 * CACHE_MAX bytes; each entry's memory only grows, so a warm cache
 * allocates nothing; it is wiped when the sealer is freed.  A hit is
 * faster than a miss, which tells a timing observer only what the
 * ciphertexts already show: that two values are equal.
 */
#define CACHE_WAYS	4
#define CACHE_SETS	1024
#define CACHE_MAX	256

struct cache_slot {
	uint64_t	 hash;
	unsigned long	 used;		/* tick of the last use; 0: empty */
	int		 type;
	size_t		 nlen;
	size_t		 vlen;
	size_t		 tlen;
	char		*mem;		/* name, value, then the "dmo1d:" text */
	size_t		 cap;
};

/* Keys derived for one key of the keyset, made when first needed. */
struct derived {
	struct dmo_siv	*siv;
	struct dmo_gcm	*gcm;		/* opening: the data key of salt */
	uint8_t		 salt[SALT];
	int		 have_salt;
};

struct dmo_sealer {
	const struct dmo_keyset	*ks;
	const struct dmo_key	*primary;
	char			*ctx;
	size_t			 ctxlen;
	struct derived		*d;		/* one per key of ks */
	/* Randomised sealing: the run's data key. */
	struct dmo_gcm		*gcm;
	uint8_t			 salt[SALT];
	struct dmo_nonce	 nonce;
	unsigned long		 gen;		/* data keys derived so far */
	/* Parallel sealing (seal.h): the parent, and the nonce window. */
	struct dmo_sealer	*parent;
	int			 window;
	uint64_t		 win_next;
	uint64_t		 win_end;
	struct dmo_hmac		*hmac;
	struct dmo_buf		 aad[2];	/* the last of each mode */
	struct dmo_buf		 bin;
	struct cache_slot	*cache;
	unsigned long		 tick;
};

void
dmo_nonce_init(struct dmo_nonce *n)
{
	n->next = 0;
}

/*
 * Nonce number c: 4 zero bytes, then c as 64 bits big-endian, as one
 * byte swap and store where the compiler has one (once a value).
 */
static void
nonce_put(uint8_t iv[12], uint64_t c)
{
	memset(iv, 0, 4);
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	c = __builtin_bswap64(c);
	memcpy(iv + 4, &c, 8);
#else
	{
		int i;

		for (i = 11; i >= 4; i--) {
			iv[i] = (uint8_t)c;
			c >>= 8;
		}
	}
#endif
}

int
dmo_nonce_next(struct dmo_nonce *n, uint8_t iv[12], struct dmo_err *err)
{
	uint64_t c = n->next;

	if (c >= DMO_NONCE_LIMIT) {
		dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "nonce counter "
		    "exhausted: a new data key is needed");
		return -1;
	}
	n->next = c + 1;
	nonce_put(iv, c);
	return 0;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* The data key of s->salt for randomised sealing. */
static int
derive(struct dmo_sealer *s, struct dmo_err *err)
{
	uint8_t dk[32];

	dmo_gcm_free(s->gcm);
	s->gcm = NULL;
	if (dmo_crypto_hkdf(s->primary->secret, DMO_KEY_SECRET, s->salt, SALT,
	    INFO_RANDOM, sizeof(INFO_RANDOM) - 1, dk, sizeof(dk), err) != 0)
		return -1;
	s->gcm = dmo_gcm_new(dk, err);
	dmo_crypto_wipe(dk, sizeof(dk));
	dmo_nonce_init(&s->nonce);
	s->gen++;
	return s->gcm != NULL ? 0 : -1;
}

/* A new salt and data key. */
static int
rekey(struct dmo_sealer *s, struct dmo_err *err)
{
	if (dmo_crypto_random(s->salt, SALT, err) != 0)
		return -1;
	return derive(s, err);
}

int
dmo_sealer_set_salt(struct dmo_sealer *s, const uint8_t salt[16],
    struct dmo_err *err)
{
	memcpy(s->salt, salt, SALT);
	return derive(s, err);
}

struct dmo_sealer *
dmo_sealer_new(const struct dmo_keyset *ks, const char *context,
    struct dmo_err *err)
{
	struct dmo_sealer *s = dmo_xcalloc(1, sizeof(*s));

	s->ks = ks;
	s->primary = dmo_keyset_primary(ks);
	s->ctx = dmo_xstrdup(context != NULL ? context : "");
	s->ctxlen = strlen(s->ctx);
	s->d = dmo_xcalloc(ks->n, sizeof(*s->d));
	(void)err;
	return s;
}

struct dmo_sealer *
dmo_sealer_helper(struct dmo_sealer *parent, struct dmo_err *err)
{
	struct dmo_sealer *s = dmo_sealer_new(parent->ks, parent->ctx, err);

	if (s != NULL)
		s->parent = parent;
	return s;
}

int
dmo_sealer_sync(struct dmo_sealer *s, struct dmo_err *err)
{
	struct dmo_sealer *p = s->parent;

	if (p == NULL || p->gcm == NULL || s->gen == p->gen)
		return 0;
	memcpy(s->salt, p->salt, SALT);
	if (derive(s, err) != 0)
		return -1;
	s->gen = p->gen;
	return 0;
}

int
dmo_sealer_reserve(struct dmo_sealer *s, uint64_t n, uint64_t *first,
    struct dmo_err *err)
{
	if (n > DMO_NONCE_LIMIT) {
		dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "too many nonces "
		    "asked for at once");
		return -1;
	}
	/* A new data key rather than a window that would cross the limit. */
	if ((s->gcm == NULL || s->nonce.next + n > DMO_NONCE_LIMIT) &&
	    rekey(s, err) != 0)
		return -1;
	*first = s->nonce.next;
	s->nonce.next += n;
	return 0;
}

void
dmo_sealer_window(struct dmo_sealer *s, uint64_t first, uint64_t n)
{
	s->window = 1;
	s->win_next = first;
	s->win_end = first + n;
}

void
dmo_sealer_no_window(struct dmo_sealer *s)
{
	s->window = 0;
}

static void
wipe_buf(struct dmo_buf *b)
{
	dmo_crypto_wipe(b->p, b->cap);
	dmo_buf_release(b);
}

void
dmo_sealer_free(struct dmo_sealer *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->ks->n; i++) {
		dmo_siv_free(s->d[i].siv);
		dmo_gcm_free(s->d[i].gcm);
	}
	free(s->d);
	dmo_gcm_free(s->gcm);
	dmo_hmac_free(s->hmac);
	wipe_buf(&s->aad[0]);
	wipe_buf(&s->aad[1]);
	wipe_buf(&s->bin);
	free(s->ctx);
	dmo_crypto_wipe(s->salt, sizeof(s->salt));
	if (s->cache != NULL)
		for (i = 0; i < CACHE_SETS * CACHE_WAYS; i++) {
			dmo_crypto_wipe(s->cache[i].mem, s->cache[i].cap);
			free(s->cache[i].mem);
		}
	free(s->cache);
	free(s);
}

static struct derived *
derived_of(struct dmo_sealer *s, const struct dmo_key *k)
{
	return &s->d[k - s->ks->keys];
}

static struct dmo_siv *
siv_of(struct dmo_sealer *s, const struct dmo_key *k, struct dmo_err *err)
{
	struct derived *d = derived_of(s, k);
	uint8_t sk[64];

	if (d->siv == NULL) {
		if (dmo_crypto_hkdf(k->secret, DMO_KEY_SECRET, "", 0,
		    INFO_DETERM, sizeof(INFO_DETERM) - 1, sk, sizeof(sk), err)
		    != 0)
			return NULL;
		d->siv = dmo_siv_new(sk, sizeof(sk), err);
		dmo_crypto_wipe(sk, sizeof(sk));
	}
	return d->siv;
}

/*
 * The associated data of a value (see seal.h).  It depends on the mode,
 * key and field only, so the last one of each mode is kept and reused
 * while they stay the same (the usual case: a field per mode): that
 * test is inline, compared without calls to memcmp, and aad_build makes
 * a new one out of line.
 */
static const struct dmo_buf * __attribute__((noinline))
aad_build(struct dmo_sealer *s, struct dmo_buf *a, int mode,
    const uint8_t kid[KID], const char *name, size_t nlen)
{
	uint8_t n4[4];

	a->len = 0;
	dmo_buf_add(a, mode == DMO_SEAL_RANDOM ? "dmo1r" : "dmo1d", 5);
	dmo_buf_add(a, kid, KID);
	put32(n4, (uint32_t)nlen);
	dmo_buf_add(a, n4, 4);
	dmo_buf_add(a, name, nlen);
	put32(n4, (uint32_t)s->ctxlen);
	dmo_buf_add(a, n4, 4);
	dmo_buf_add(a, s->ctx, s->ctxlen);
	return a;
}

static inline const struct dmo_buf *
make_aad(struct dmo_sealer *s, int mode, const uint8_t kid[KID],
    const char *name, size_t nlen)
{
	struct dmo_buf *a = &s->aad[mode == DMO_SEAL_RANDOM];

	if (a->len == 5 + KID + 4 + nlen + 4 + s->ctxlen &&
	    dmo_load32(a->p + 5) == dmo_load32(kid) &&
	    dmo_record_name_eq(a->p + 5 + KID + 4, name, nlen))
		return a;
	return aad_build(s, a, mode, kid, name, nlen);
}

static const char type_byte[] = {
	[DMO_NULL] = 'n', [DMO_FALSE] = 'f', [DMO_TRUE] = 't',
	[DMO_NUMBER] = 'N', [DMO_STRING] = 's', [DMO_ARRAY] = 'a',
	[DMO_OBJECT] = 'o'
};

/*
 * The plaintext (type byte, value) is written where its ciphertext goes
 * and encrypted in place: no second copy of it to make and to wipe.
 */
static int
seal_one(struct dmo_sealer *s, enum dmo_seal_mode mode, const char *name,
    size_t nlen, enum dmo_type t, const char *v, size_t vlen,
    struct dmo_buf *out, struct dmo_err *err)
{
	uint8_t kid[KID], *b, *pt;
	const struct dmo_buf *a;
	struct dmo_iov aad;
	size_t hdr, total, enc;
	int rc;

	if (nlen > UINT32_MAX || vlen > (size_t)1 << 40) {
		dmo_err_set(err, DMO_EXIT_DATA, NULL, "value too long");
		return -1;
	}
	put32(kid, s->primary->id);
	a = make_aad(s, mode, kid, name, nlen);
	aad.p = a->p;
	aad.len = a->len;
	hdr = mode == DMO_SEAL_RANDOM ? KID + SALT + DMO_GCM_IV : KID;
	total = hdr + DMO_GCM_TAG + 1 + vlen;
	s->bin.len = 0;
	dmo_buf_grow(&s->bin, total);
	b = (uint8_t *)s->bin.p;
	memcpy(b, kid, KID);
	/* GCM's tag follows the ciphertext, SIV's synthetic IV precedes it. */
	pt = b + hdr + (mode == DMO_SEAL_RANDOM ? 0 : DMO_SIV_TAG);
	pt[0] = (uint8_t)type_byte[t];
	if (vlen > 0)
		memcpy(pt + 1, v, vlen);
	if (mode == DMO_SEAL_RANDOM) {
		uint8_t *iv = b + KID + SALT;

		if (s->window) {
			/* Reserved by the parent: never past the window. */
			if (s->win_next >= s->win_end || s->gcm == NULL) {
				dmo_err_set(err, DMO_EXIT_CRYPTO, NULL,
				    "no nonce reserved for this value");
				rc = -1;
			} else {
				nonce_put(iv, s->win_next++);
				memcpy(b + KID, s->salt, SALT);
				rc = dmo_gcm_seal(s->gcm, iv, &aad, 1, pt,
				    1 + vlen, b + hdr, err);
			}
		} else if (s->parent != NULL) {
			dmo_err_set(err, DMO_EXIT_CRYPTO, NULL,
			    "no nonce reserved for this value");
			rc = -1;
		} else if (s->gcm == NULL && rekey(s, err) != 0)
			rc = -1;
		else if (dmo_nonce_next(&s->nonce, iv, err) != 0 &&
		    (rekey(s, err) != 0 ||
		    dmo_nonce_next(&s->nonce, iv, err) != 0))
			rc = -1;
		else {
			memcpy(b + KID, s->salt, SALT);
			rc = dmo_gcm_seal(s->gcm, iv, &aad, 1, pt, 1 + vlen,
			    b + hdr, err);
		}
	} else {
		struct dmo_siv *siv = siv_of(s, s->primary, err);

		rc = siv == NULL ? -1 : dmo_siv_seal(siv, &aad, 1, pt,
		    1 + vlen, b + hdr, err);
	}
	if (rc != 0) {
		dmo_crypto_wipe(b, total);
		return -1;
	}
	enc = dmo_b64url_len(total);
	dmo_buf_grow(out, PREFIX_LEN + enc);
	memcpy(out->p + out->len, mode == DMO_SEAL_RANDOM ?
	    DMO_SEAL_RANDOM_PREFIX : DMO_SEAL_DETERM_PREFIX, PREFIX_LEN);
	dmo_b64url_encode(b, total, out->p + out->len + PREFIX_LEN);
	out->len += PREFIX_LEN + enc;
	return 0;
}

/* Grow a cache entry's memory to hold n bytes (it never shrinks). */
static void
slot_reserve(struct cache_slot *c, size_t n)
{
	if (c->cap >= n)
		return;
	dmo_crypto_wipe(c->mem, c->cap);
	free(c->mem);
	c->cap = n < 128 ? 128 : n;
	c->mem = dmo_xmalloc(c->cap);
}

int dmo_seal_cache_collide;

/*
 * The cache lookup runs for every deterministic value, nearly always a
 * hit: dmo_hash64 (hash.h) reads the value 8 or 16 bytes a step, the
 * field name's first 8 bytes and length are mixed in (names differing
 * later only share a set), and an entry is compared by its whole 64-bit
 * hash and lengths before its bytes, inline (dmo_record_name_eq) rather
 * than by two calls to memcmp.  dmo_seal_cache_collide (the tests)
 * gives every value the same hash, so that only the bytes tell entries
 * apart.  Out of line, so that dmo_seal costs a randomised value only
 * a test and a jump.
 */
static int __attribute__((noinline))
seal_cached(struct dmo_sealer *s, const char *name, size_t nlen,
    enum dmo_type t, const char *v, size_t vlen, struct dmo_buf *out,
    struct dmo_err *err)
{
	const enum dmo_seal_mode mode = DMO_SEAL_DETERM;
	struct cache_slot *set, *c, *victim;
	size_t i, start = out->len;
	uint64_t h;

	if (s->cache == NULL)
		s->cache = dmo_xcalloc(CACHE_SETS * CACHE_WAYS,
		    sizeof(*s->cache));
	h = dmo_hash64(v, vlen) ^ dmo_hash_mum(dmo_hash_load_small(
	    (const unsigned char *)name, nlen < 8 ? nlen : 8) ^ nlen,
	    0x9e3779b97f4a7c15ULL) ^ (uint64_t)t;
	if (dmo_seal_cache_collide)
		h = 0;
	set = &s->cache[(h & (CACHE_SETS - 1)) * CACHE_WAYS];
	victim = set;
	s->tick++;
	for (i = 0; i < CACHE_WAYS; i++) {
		c = &set[i];
		if (c->hash == h && c->vlen == vlen && c->nlen == nlen &&
		    c->type == (int)t && c->used != 0 &&
		    dmo_record_name_eq(c->mem, name, nlen) &&
		    dmo_record_name_eq(c->mem + nlen, v, vlen)) {
			c->used = s->tick;
			dmo_buf_add(out, c->mem + nlen + vlen, c->tlen);
			return 0;
		}
		if (c->used < victim->used)
			victim = c;
	}
	/*
	 * The entry takes the name and value first, and they are sealed
	 * from there: v may lie in out, which sealing may move.
	 */
	c = victim;
	c->used = 0;
	slot_reserve(c, nlen + vlen + PREFIX_LEN +
	    dmo_b64url_len(KID + DMO_SIV_TAG + 1 + vlen));
	memcpy(c->mem, name, nlen);
	if (vlen > 0)
		memcpy(c->mem + nlen, v, vlen);
	if (seal_one(s, mode, c->mem, nlen, t, c->mem + nlen, vlen, out,
	    err) != 0)
		return -1;
	c->tlen = out->len - start;
	memcpy(c->mem + nlen + vlen, out->p + start, c->tlen);
	c->hash = h;
	c->nlen = nlen;
	c->vlen = vlen;
	c->type = (int)t;
	c->used = s->tick;
	return 0;
}

int
dmo_seal(struct dmo_sealer *s, enum dmo_seal_mode mode, const char *name,
    size_t nlen, enum dmo_type t, const char *v, size_t vlen,
    struct dmo_buf *out, struct dmo_err *err)
{
	if (mode == DMO_SEAL_DETERM && vlen <= CACHE_MAX && nlen <= CACHE_MAX)
		return seal_cached(s, name, nlen, t, v, vlen, out, err);
	return seal_one(s, mode, name, nlen, t, v, vlen, out, err);
}

static int
not_ours(struct dmo_err *err, const char *why)
{
	dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "%s", why);
	return -1;
}

/* The data key of a randomised value's salt, kept while salts repeat. */
static struct dmo_gcm *
gcm_of(struct dmo_sealer *s, const struct dmo_key *k, const uint8_t *salt,
    struct dmo_err *err)
{
	struct derived *d = derived_of(s, k);
	uint8_t dk[32];

	if (d->gcm != NULL && d->have_salt &&
	    memcmp(d->salt, salt, SALT) == 0)
		return d->gcm;
	dmo_gcm_free(d->gcm);
	d->gcm = NULL;
	d->have_salt = 0;
	if (dmo_crypto_hkdf(k->secret, DMO_KEY_SECRET, salt, SALT, INFO_RANDOM,
	    sizeof(INFO_RANDOM) - 1, dk, sizeof(dk), err) != 0)
		return NULL;
	d->gcm = dmo_gcm_new(dk, err);
	dmo_crypto_wipe(dk, sizeof(dk));
	if (d->gcm != NULL) {
		memcpy(d->salt, salt, SALT);
		d->have_salt = 1;
	}
	return d->gcm;
}

int
dmo_seal_open(struct dmo_sealer *s, const char *name, size_t nlen,
    const char *v, size_t vlen, enum dmo_type *t, enum dmo_seal_mode *modep,
    struct dmo_buf *out, struct dmo_err *err)
{
	const struct dmo_key *k;
	const struct dmo_buf *a;
	enum dmo_seal_mode mode;
	struct dmo_iov aad;
	uint8_t *b, *pt;
	size_t hdr, ptlen, start = out->len;
	long n;
	int rc;

	if (vlen < PREFIX_LEN || memcmp(v, "dmo1", 4) != 0 || v[5] != ':' ||
	    (v[4] != 'r' && v[4] != 'd'))
		return not_ours(err, "not a dmo-encrypt ciphertext");
	mode = (enum dmo_seal_mode)v[4];
	hdr = mode == DMO_SEAL_RANDOM ? KID + SALT + DMO_GCM_IV : KID;
	s->bin.len = 0;
	dmo_buf_grow(&s->bin, vlen);
	b = (uint8_t *)s->bin.p;
	n = dmo_b64url_decode(v + PREFIX_LEN, vlen - PREFIX_LEN, b);
	if (n < 0)
		return not_ours(err, "ciphertext is not base64url");
	if ((size_t)n < hdr + DMO_GCM_TAG + 1)
		return not_ours(err, "ciphertext too short");
	if ((k = dmo_keyset_find(s->ks, get32(b))) == NULL) {
		dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "no key '%08x' in the "
		    "keyset", (unsigned)get32(b));
		return -1;
	}
	if (k->status == DMO_KEY_DISABLED) {
		dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "key '%s' is disabled",
		    k->idhex);
		return -1;
	}
	a = make_aad(s, mode, b, name, nlen);
	aad.p = a->p;
	aad.len = a->len;
	ptlen = (size_t)n - hdr - DMO_GCM_TAG;
	dmo_buf_grow(out, ptlen);
	pt = (uint8_t *)out->p + start;
	if (mode == DMO_SEAL_RANDOM) {
		struct dmo_gcm *g = gcm_of(s, k, b + KID, err);

		rc = g == NULL ? -1 : dmo_gcm_open(g, b + KID + SALT, &aad, 1,
		    b + hdr, (size_t)n - hdr, pt, err);
	} else {
		struct dmo_siv *siv = siv_of(s, k, err);

		rc = siv == NULL ? -1 : dmo_siv_open(siv, &aad, 1, b + hdr,
		    (size_t)n - hdr, pt, err);
	}
	if (rc != 0) {
		dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "authentication "
		    "failed (wrong key, field or context, or altered)");
		return -1;
	}
	switch (pt[0]) {
	case 'n': *t = DMO_NULL; break;
	case 'f': *t = DMO_FALSE; break;
	case 't': *t = DMO_TRUE; break;
	case 'N': *t = DMO_NUMBER; break;
	case 's': *t = DMO_STRING; break;
	case 'a': *t = DMO_ARRAY; break;
	case 'o': *t = DMO_OBJECT; break;
	default: *t = DMO_NULL; rc = -1; break;
	}
	if (rc == 0 && ((*t <= DMO_TRUE && ptlen != 1) ||
	    (*t == DMO_NUMBER && !dmo_number_valid((char *)pt + 1,
	    ptlen - 1))))
		rc = -1;
	if (rc != 0) {
		dmo_crypto_wipe(pt, ptlen);
		return not_ours(err, "decrypted value has a bad type byte");
	}
	memmove(pt, pt + 1, ptlen - 1);
	pt[ptlen - 1] = 0;
	out->len = start + ptlen - 1;
	*modep = mode;
	return 0;
}

int
dmo_seal_pseudonym(struct dmo_sealer *s, enum dmo_type t, const char *v,
    size_t vlen, struct dmo_buf *out, struct dmo_err *err)
{
	uint8_t mac[32], n4[4];
	struct dmo_iov m[3];

	if (s->hmac == NULL) {
		uint8_t pk[32];

		if (dmo_crypto_hkdf(s->primary->secret, DMO_KEY_SECRET, "", 0,
		    INFO_PSEUDO, sizeof(INFO_PSEUDO) - 1, pk, sizeof(pk), err)
		    != 0)
			return -1;
		s->hmac = dmo_hmac_new(pk, sizeof(pk), err);
		dmo_crypto_wipe(pk, sizeof(pk));
		if (s->hmac == NULL)
			return -1;
	}
	if (t == DMO_TRUE) {
		v = "true";
		vlen = 4;
	} else if (t == DMO_FALSE) {
		v = "false";
		vlen = 5;
	}
	put32(n4, (uint32_t)s->ctxlen);
	m[0].p = n4;
	m[0].len = 4;
	m[1].p = s->ctx;
	m[1].len = s->ctxlen;
	m[2].p = v;
	m[2].len = vlen;
	if (dmo_hmac_run(s->hmac, m, 3, mac, err) != 0)
		return -1;
	dmo_buf_grow(out, 22);
	dmo_b64url_encode(mac, DMO_PSEUDONYM_BYTES, out->p + out->len);
	out->len += dmo_b64url_len(DMO_PSEUDONYM_BYTES);
	return 0;
}
