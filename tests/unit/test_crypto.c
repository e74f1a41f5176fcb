/* test_crypto.c - known-answer tests for crypto.c and the field formats. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "crypto.h"
#include "seal.h"

#include "testhelp.h"

/* Hex to bytes; spaces allowed. */
static size_t
hex(const char *s, uint8_t *out)
{
	size_t n = 0;
	int hi = -1, d;

	for (; *s != '\0'; s++) {
		if (*s == ' ')
			continue;
		d = *s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10;
		if (hi < 0)
			hi = d;
		else {
			out[n++] = (uint8_t)(hi << 4 | d);
			hi = -1;
		}
	}
	return n;
}

#define CHECK_HEX(got, glen, want, name) do { \
	uint8_t w_[512]; \
	size_t wl_ = hex((want), w_); \
	CHECK_MEM((const char *)(got), (glen), (const char *)w_, wl_, (name)); \
} while (0)

static void
test_gcm(const char *path)
{
	struct dmo_err err;
	struct dmo_gcm *g;
	uint8_t key[32], iv[12], pt[64], aad[20], out[128], back[128];
	size_t kl, pl, al;
	struct dmo_iov a;

	printf("# AES-256-GCM through %s\n", path);
	/* McGrew-Viega GCM spec (NIST) test case 13: empty everything. */
	memset(key, 0, sizeof(key));
	memset(iv, 0, sizeof(iv));
	g = dmo_gcm_new(key, &err);
	CHECK(g != NULL && dmo_gcm_seal(g, iv, NULL, 0, "", 0, out, &err) == 0,
	    "gcm: test case 13 seals");
	CHECK_HEX(out, 16, "530f8afbc74536b9a963b4f1c4cb738b",
	    "gcm: test case 13 tag");
	dmo_gcm_free(g);

	/* Test case 16: AES-256, 96-bit IV, associated data. */
	kl = hex("feffe9928665731c6d6a8f9467308308"
	    "feffe9928665731c6d6a8f9467308308", key);
	pl = hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39", pt);
	al = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2", aad);
	hex("cafebabefacedbaddecaf888", iv);
	a.p = aad;
	a.len = al;
	g = dmo_gcm_new(key, &err);
	CHECK(kl == 32 && g != NULL &&
	    dmo_gcm_seal(g, iv, &a, 1, pt, pl, out, &err) == 0,
	    "gcm: test case 16 seals");
	CHECK_HEX(out, pl + 16,
	    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
	    "76fc6ece0f4e1768cddf8853bb2d551b", "gcm: test case 16 output");
	CHECK(dmo_gcm_open(g, iv, &a, 1, out, pl + 16, back, &err) == 0 &&
	    memcmp(back, pt, pl) == 0, "gcm: test case 16 opens");
	out[3] ^= 1;
	CHECK(dmo_gcm_open(g, iv, &a, 1, out, pl + 16, back, &err) == -1 &&
	    err.code == 4, "gcm: a flipped bit fails with status 4");
	out[3] ^= 1;
	aad[0] ^= 0x80;
	CHECK(dmo_gcm_open(g, iv, &a, 1, out, pl + 16, back, &err) == -1,
	    "gcm: changed associated data fails");
	dmo_gcm_free(g);
}

/*
 * The provider's functions called directly (the default) and the EVP
 * calls agree: the same output for every length of text and associated
 * data up to 100 bytes, in place too; each opens what the other sealed
 * and refuses it altered.
 */
static void
test_gcm_paths(void)
{
	struct dmo_err err;
	struct dmo_gcm *fast, *evp;
	uint8_t key[32], iv[12], pt[100], aad[100], a[200], b[200], back[200];
	struct dmo_iov ad[2];
	size_t n, m;
	uint32_t x = 7;
	int same = 1, opens = 1, tamper = 1, inplace = 1;

	for (n = 0; n < sizeof(pt); n++) {
		x = x * 1103515245 + 12345;
		pt[n] = (uint8_t)(x >> 16);
		aad[n] = (uint8_t)(x >> 8);
		key[n % 32] = (uint8_t)(x >> 20);
	}
	fast = dmo_gcm_new(key, &err);
	dmo_crypto_evp_only = 1;
	evp = dmo_gcm_new(key, &err);
	dmo_crypto_evp_only = 0;
	if (fast == NULL || evp == NULL)
		bail("gcm: %s", err.msg);
	CHECK(dmo_gcm_direct(fast) && !dmo_gcm_direct(evp),
	    "gcm: the provider's functions are called directly by default");
	for (n = 0; n <= sizeof(pt); n++) {
		m = (n * 7) % sizeof(aad);
		memset(iv, (int)n, sizeof(iv));
		ad[0].p = aad;
		ad[0].len = m / 2;
		ad[1].p = aad + m / 2;
		ad[1].len = m - m / 2;
		if (dmo_gcm_seal(fast, iv, ad, 2, pt, n, a, &err) != 0 ||
		    dmo_gcm_seal(evp, iv, ad, 2, pt, n, b, &err) != 0 ||
		    memcmp(a, b, n + 16) != 0)
			same = 0;
		if (dmo_gcm_open(fast, iv, ad, 2, b, n + 16, back, &err) != 0 ||
		    memcmp(back, pt, n) != 0 ||
		    dmo_gcm_open(evp, iv, ad, 2, a, n + 16, back, &err) != 0 ||
		    memcmp(back, pt, n) != 0)
			opens = 0;
		a[(n * 5) % (n + 16)] ^= 0x10;
		if (dmo_gcm_open(fast, iv, ad, 2, a, n + 16, back, &err) != -1 ||
		    err.code != 4 ||
		    dmo_gcm_open(evp, iv, ad, 2, a, n + 16, back, &err) != -1 ||
		    err.code != 4)
			tamper = 0;
		memcpy(a, pt, n);
		if (dmo_gcm_seal(fast, iv, ad, 2, a, n, a, &err) != 0 ||
		    memcmp(a, b, n + 16) != 0 ||
		    dmo_gcm_open(fast, iv, ad, 2, a, n + 16, a, &err) != 0 ||
		    memcmp(a, pt, n) != 0)
			inplace = 0;
	}
	CHECK(same, "gcm: direct and EVP calls seal alike, lengths 0 to 100");
	CHECK(opens, "gcm: each opens what the other sealed");
	CHECK(tamper, "gcm: both refuse a flipped bit with status 4");
	CHECK(inplace, "gcm: sealing and opening in place agree");
	dmo_gcm_free(fast);
	dmo_gcm_free(evp);
}

static void
test_siv(void)
{
	struct dmo_err err;
	struct dmo_siv *s;
	uint8_t key[64], ad1[64], ad2[16], nonce[16], pt[64], out[128],
	    back[128];
	struct dmo_iov ad[3];
	size_t kl, pl;

	/* RFC 5297 A.1: deterministic authenticated encryption. */
	kl = hex("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0"
	    "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", key);
	ad[0].len = hex("101112131415161718191a1b1c1d1e1f2021222324252627",
	    ad1);
	ad[0].p = ad1;
	pl = hex("112233445566778899aabbccddee", pt);
	s = dmo_siv_new(key, kl, &err);
	CHECK(s != NULL && dmo_siv_seal(s, ad, 1, pt, pl, out, &err) == 0,
	    "siv: RFC 5297 A.1 seals");
	CHECK_HEX(out, pl + 16, "85632d07c6e8f37f950acd320a2ecc93"
	    "40c02b9690c4dc04daef7f6afe5c", "siv: RFC 5297 A.1 output");
	/* The same context again: the S2V state must not carry over. */
	CHECK(dmo_siv_seal(s, ad, 1, pt, pl, back, &err) == 0 &&
	    memcmp(out, back, pl + 16) == 0, "siv: a second use is the same");
	CHECK(dmo_siv_open(s, ad, 1, out, pl + 16, back, &err) == 0 &&
	    memcmp(back, pt, pl) == 0, "siv: RFC 5297 A.1 opens");
	out[pl + 15] ^= 1;
	CHECK(dmo_siv_open(s, ad, 1, out, pl + 16, back, &err) == -1 &&
	    err.code == 4, "siv: a flipped bit fails with status 4");
	out[0] ^= 1;
	out[pl + 15] ^= 1;
	CHECK(dmo_siv_open(s, ad, 1, out, pl + 16, back, &err) == -1,
	    "siv: a flipped tag bit fails");
	dmo_siv_free(s);

	/* RFC 5297 A.2: nonce-based, two AD components and the nonce. */
	kl = hex("7f7e7d7c7b7a79787776757473727170"
	    "404142434445464748494a4b4c4d4e4f", key);
	ad[0].len = hex("00112233445566778899aabbccddeeff"
	    "deaddadadeaddadaffeeddccbbaa99887766554433221100", ad1);
	ad[1].len = hex("102030405060708090a0", ad2);
	ad[1].p = ad2;
	ad[2].len = hex("09f911029d74e35bd84156c5635688c0", nonce);
	ad[2].p = nonce;
	pl = hex("7468697320697320736f6d6520706c61696e7465787420746f20656e6372"
	    "797074207573696e67205349562d414553", pt);
	s = dmo_siv_new(key, kl, &err);
	CHECK(s != NULL && dmo_siv_seal(s, ad, 3, pt, pl, out, &err) == 0,
	    "siv: RFC 5297 A.2 seals");
	CHECK_HEX(out, pl + 16, "7bdb6e3b432667eb06f4d14bff2fbd0f"
	    "cb900f2fddbe404326601965c889bf17dba77ceb094fa663b7a3f748ba8af829"
	    "ea64ad544a272e9c485b62a3fd5c0d", "siv: RFC 5297 A.2 output");
	dmo_siv_free(s);

	/* A context used for A.2 then A.1 agrees with a fresh one. */
	kl = hex("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0"
	    "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", key);
	s = dmo_siv_new(key, kl, &err);
	CHECK(s != NULL && dmo_siv_open(s, ad, 3, out, pl + 16, back, &err)
	    == -1, "siv: a used context refuses a tag of another key");
	ad[0].len = hex("101112131415161718191a1b1c1d1e1f2021222324252627",
	    ad1);
	pl = hex("112233445566778899aabbccddee", pt);
	CHECK(dmo_siv_seal(s, ad, 1, pt, pl, out, &err) == 0,
	    "siv: a used context seals");
	CHECK_HEX(out, pl + 16, "85632d07c6e8f37f950acd320a2ecc93"
	    "40c02b9690c4dc04daef7f6afe5c", "siv: a used context agrees");
	dmo_siv_free(s);

	/* AES-256-SIV (64-byte key), as dmo uses it: round trip, empty. */
	memset(key, 7, sizeof(key));
	s = dmo_siv_new(key, 64, &err);
	CHECK(s != NULL && dmo_siv_seal(s, ad, 1, "x", 1, out, &err) == 0 &&
	    dmo_siv_open(s, ad, 1, out, 17, back, &err) == 0 &&
	    back[0] == 'x', "siv: AES-256-SIV round trip");
	dmo_siv_free(s);
	CHECK(dmo_siv_new(key, 20, &err) == NULL && err.code == 4,
	    "siv: a bad key length is refused");
}

static void
test_kdf_mac(void)
{
	struct dmo_err err;
	struct dmo_hmac *h;
	struct dmo_iov m[2];
	uint8_t ikm[32], salt[16], info[16], out[64], out2[32];
	size_t il, sl, nl;

	/* RFC 5869 test case 1 (SHA-256). */
	il = hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", ikm);
	sl = hex("000102030405060708090a0b0c", salt);
	nl = hex("f0f1f2f3f4f5f6f7f8f9", info);
	CHECK(dmo_crypto_hkdf(ikm, il, salt, sl, info, nl, out, 42, &err) == 0,
	    "hkdf: RFC 5869 case 1 derives");
	CHECK_HEX(out, 42, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db0"
	    "2d56ecc4c5bf34007208d5b887185865", "hkdf: RFC 5869 case 1 output");

	/* RFC 4231 test case 2; and the reused context gives it again. */
	CHECK(dmo_crypto_hmac("Jefe", 4, S("what do ya want for nothing?"),
	    out, &err) == 0, "hmac: RFC 4231 case 2 runs");
	CHECK_HEX(out, 32, "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843", "hmac: RFC 4231 case 2 output");
	h = dmo_hmac_new("Jefe", 4, &err);
	m[0].p = "what do ya want ";
	m[0].len = 16;
	m[1].p = "for nothing?";
	m[1].len = 12;
	CHECK(h != NULL && dmo_hmac_run(h, m, 2, out2, &err) == 0 &&
	    dmo_hmac_run(h, m, 2, out2, &err) == 0 &&
	    memcmp(out, out2, 32) == 0, "hmac: a restarted context agrees");
	dmo_hmac_free(h);

	/* RFC 7914 section 12, the first two vectors. */
	CHECK(dmo_crypto_scrypt("", 0, "", 0, 16, 1, 1, out, 64, &err) == 0,
	    "scrypt: RFC 7914 vector 1 runs");
	CHECK_HEX(out, 64, "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdf"
	    "fa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35"
	    "e20c38d18906", "scrypt: RFC 7914 vector 1 output");
	CHECK(dmo_crypto_scrypt("password", 8, "NaCl", 4, 1024, 8, 16, out, 64,
	    &err) == 0, "scrypt: RFC 7914 vector 2 runs");
	CHECK_HEX(out, 64, "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e773"
	    "76634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360"
	    "cbdfa2cc0640", "scrypt: RFC 7914 vector 2 output");
}

static void
test_b64(void)
{
	char enc[16];
	uint8_t dec[16];

	dmo_b64url_encode("\xfb\xff", 2, enc);
	CHECK(dmo_b64url_len(2) == 3 && memcmp(enc, "-_8", 3) == 0,
	    "b64url: the URL alphabet, no padding");
	CHECK(dmo_b64url_decode("-_8", 3, dec) == 2 && dec[0] == 0xfb &&
	    dec[1] == 0xff, "b64url: decodes");
	CHECK(dmo_b64url_decode("-_9", 3, dec) == -1,
	    "b64url: non-canonical trailing bits are refused");
	CHECK(dmo_b64url_decode("ab=", 3, dec) == -1 &&
	    dmo_b64url_decode("abcde", 5, dec) == -1,
	    "b64url: padding and impossible lengths are refused");
}

/*
 * The nonce sequence of one run: 10 million nonces, each greater than the
 * one before as a 96-bit big-endian number, so none repeats (the order
 * proves it in constant memory); and the counter refuses to wrap.
 */
static void
test_nonces(void)
{
	struct dmo_nonce n;
	uint8_t prev[12], cur[12];
	unsigned long i, bad = 0;
	struct dmo_err err;

	dmo_nonce_init(&n);
	if (dmo_nonce_next(&n, prev, &err) != 0)
		bail("nonce: %s", err.msg);
	for (i = 1; i < 10000000; i++) {
		if (dmo_nonce_next(&n, cur, &err) != 0 ||
		    memcmp(cur, prev, 12) <= 0)
			bad++;
		memcpy(prev, cur, 12);
	}
	CHECK(bad == 0, "nonce: 10 million nonces strictly increase");
	n.next = DMO_NONCE_LIMIT - 1;
	CHECK(dmo_nonce_next(&n, cur, &err) == 0, "nonce: the last one is given");
	CHECK(dmo_nonce_next(&n, cur, &err) == -1 && err.code == 4,
	    "nonce: past the usage limit the run stops (status 4)");
}

/* Does the file hold the string?  (The examples of dmo-keyset(5).) */
static int
file_has(const char *path, const char *want)
{
	FILE *f = fopen(path, "r");
	static char text[1 << 18];
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return strstr(text, want) != NULL;
}

/*
 * The examples of dmo-keyset(5): key 01020304 with secret 00 01 .. 1f,
 * context "crm", field "email", value "a@b.c"; the randomised one with
 * the salt a0 a1 .. af (sealers draw it at random; the test sets it).
 * The page must show exactly what the code makes.
 */
static void
test_examples(const char *man)
{
	static const char ex_r[] = "dmo1r:AQIDBKChoqOkpaanqKmqq6ytrq8AAAAAAAAAAAA"
	    "AAAA57_RQmgr-EgNYjK94zPJCbXDdG0PY";
	static const char ex_d[] = "dmo1d:AQIDBOS-NXGv9XE8IoEuJ5iwobFKNJXd22Y";
	static const char ex_p[] = "9v5zmTE6PpMMDhThSevGOw";
	struct dmo_keyset ks;
	struct dmo_key k;
	struct dmo_err err;
	struct dmo_buf b = DMO_BUF_INIT;
	struct dmo_sealer *s;
	enum dmo_type t;
	enum dmo_seal_mode mode;
	uint8_t salt[16];
	int i;

	memset(&k, 0, sizeof(k));
	k.id = 0x01020304;
	strcpy(k.idhex, "01020304");
	for (i = 0; i < 32; i++)
		k.secret[i] = (uint8_t)i;
	for (i = 0; i < 16; i++)
		salt[i] = (uint8_t)(0xa0 + i);
	ks.keys = &k;
	ks.n = 1;
	ks.log2n = 0;
	s = dmo_sealer_new(&ks, "crm", &err);
	if (dmo_sealer_set_salt(s, salt, &err) != 0)
		bail("set salt: %s", err.msg);
	CHECK(dmo_seal(s, DMO_SEAL_RANDOM, S("email"), DMO_STRING, S("a@b.c"),
	    &b, &err) == 0, "example: randomised seals");
	CHECK_MEM(b.p, b.len, ex_r, sizeof(ex_r) - 1, "example: randomised text");
	b.len = 0;
	CHECK(dmo_seal(s, DMO_SEAL_DETERM, S("email"), DMO_STRING, S("a@b.c"),
	    &b, &err) == 0, "example: deterministic seals");
	CHECK_MEM(b.p, b.len, ex_d, sizeof(ex_d) - 1, "example: deterministic text");
	b.len = 0;
	CHECK(dmo_seal_pseudonym(s, DMO_STRING, S("C-1001"), &b, &err) == 0,
	    "example: pseudonym made");
	CHECK_MEM(b.p, b.len, ex_p, sizeof(ex_p) - 1, "example: pseudonym text");
	b.len = 0;
	CHECK(dmo_seal_open(s, S("email"), S(ex_r), &t, &mode, &b, &err) == 0 &&
	    t == DMO_STRING && mode == DMO_SEAL_RANDOM,
	    "example: randomised opens");
	CHECK_MEM(b.p, b.len, "a@b.c", 5, "example: randomised plaintext");
	b.len = 0;
	CHECK(dmo_seal_open(s, S("mail"), S(ex_r), &t, &mode, &b, &err) == -1 &&
	    err.code == 4, "example: another field fails");
	dmo_sealer_free(s);
	s = dmo_sealer_new(&ks, "crm2", &err);
	CHECK(dmo_seal_open(s, S("email"), S(ex_d), &t, &mode, &b, &err) == -1 &&
	    err.code == 4, "example: another context fails");
	dmo_sealer_free(s);
	dmo_buf_release(&b);
	CHECK(file_has(man, ex_r) && file_has(man, ex_d) &&
	    file_has(man, ex_p), "example: dmo-keyset(5) shows these texts");
	CHECK(file_has(man, "01020304 a0a1a2a3 a4a5a6a7 a8a9aaab acadaeaf") &&
	    file_has(man, "39eff450 9a0a") &&
	    file_has(man, "fe120358 8caf78cc f2426d70 dd1b43d8") &&
	    file_has(man, "01020304 e4be3571 aff5713c 22812e27 98b0a1b1") &&
	    file_has(man, "4a3495dd db66"),
	    "example: dmo-keyset(5) shows their bytes");
}

/*
 * Parallel sealing (seal.h): a parent and a helper with nonce windows
 * seal exactly what one sealer seals with the same salt, value by value
 * in the same order; a window is never overrun; a helper without one
 * seals nothing randomised; a reservation that would cross the nonce
 * limit draws a new salt instead.
 */
static void
test_helpers(void)
{
	struct dmo_keyset ks;
	struct dmo_key k;
	struct dmo_err err;
	struct dmo_buf one = DMO_BUF_INIT, two = DMO_BUF_INIT;
	struct dmo_sealer *serial, *parent, *helper, *s;
	uint8_t salt[16], bin[200];
	uint64_t first;
	char v[32];
	int i, same = 1;
	long n;

	memset(&k, 0, sizeof(k));
	k.id = 0x01020304;
	strcpy(k.idhex, "01020304");
	for (i = 0; i < 32; i++)
		k.secret[i] = (uint8_t)(i * 3);
	memset(salt, 0x5a, sizeof(salt));
	ks.keys = &k;
	ks.n = 1;
	ks.log2n = 0;
	serial = dmo_sealer_new(&ks, "ctx", &err);
	parent = dmo_sealer_new(&ks, "ctx", &err);
	if (dmo_sealer_set_salt(serial, salt, &err) != 0 ||
	    dmo_sealer_set_salt(parent, salt, &err) != 0 ||
	    (helper = dmo_sealer_helper(parent, &err)) == NULL ||
	    dmo_sealer_sync(helper, &err) != 0)
		bail("helpers: %s", err.msg);
	/* Values 0..99, two fields each; odd records go to the helper. */
	CHECK(dmo_sealer_reserve(parent, 100, &first, &err) == 0 &&
	    first == 0, "helpers: the first reservation starts at nonce 0");
	for (i = 0; i < 100; i++) {
		snprintf(v, sizeof(v), "value %d", i);
		one.len = two.len = 0;
		s = i % 2 ? helper : parent;
		dmo_sealer_window(s, first + (uint64_t)i, 1);
		if (dmo_seal(serial, DMO_SEAL_RANDOM, S("f"), DMO_STRING, v,
		    strlen(v), &one, &err) != 0 ||
		    dmo_seal(serial, DMO_SEAL_DETERM, S("g"), DMO_STRING, v,
		    strlen(v), &one, &err) != 0 ||
		    dmo_seal(s, DMO_SEAL_RANDOM, S("f"), DMO_STRING, v,
		    strlen(v), &two, &err) != 0 ||
		    dmo_seal(s, DMO_SEAL_DETERM, S("g"), DMO_STRING, v,
		    strlen(v), &two, &err) != 0 ||
		    one.len != two.len || memcmp(one.p, two.p, one.len) != 0)
			same = 0;
	}
	CHECK(same, "helpers: parent and helper seal what one sealer seals");
	two.len = 0;
	CHECK(dmo_seal(helper, DMO_SEAL_RANDOM, S("f"), DMO_STRING, S("x"),
	    &two, &err) == -1 && err.code == 4,
	    "helpers: a window is never overrun");
	CHECK(dmo_seal(helper, DMO_SEAL_DETERM, S("f"), DMO_STRING, S("x"),
	    &two, &err) == 0, "helpers: deterministic sealing needs no nonce");
	dmo_sealer_free(helper);
	helper = dmo_sealer_helper(parent, &err);
	CHECK(dmo_seal(helper, DMO_SEAL_RANDOM, S("f"), DMO_STRING, S("x"),
	    &two, &err) == -1 && err.code == 4,
	    "helpers: no window, nothing randomised");
	/* The rest of this data key's nonces, then one more: a new salt. */
	dmo_sealer_no_window(parent);
	CHECK(dmo_sealer_reserve(parent, DMO_NONCE_LIMIT - 100, &first,
	    &err) == 0 && first == 100 &&
	    dmo_sealer_reserve(parent, 1, &first, &err) == 0 && first == 0 &&
	    dmo_sealer_sync(helper, &err) == 0,
	    "helpers: past the limit a reservation starts a new data key");
	dmo_sealer_window(helper, first, 1);
	two.len = 0;
	CHECK(dmo_seal(helper, DMO_SEAL_RANDOM, S("f"), DMO_STRING, S("x"),
	    &two, &err) == 0 && (n = dmo_b64url_decode(two.p + 6, two.len - 6,
	    bin)) > 36 && memcmp(bin + 4, salt, 16) != 0 &&
	    memcmp(bin + 20, "\0\0\0\0\0\0\0\0\0\0\0", 12) == 0,
	    "helpers: the helper follows the new salt from nonce 0");
	dmo_sealer_free(helper);
	dmo_sealer_free(parent);
	dmo_sealer_free(serial);
	dmo_buf_release(&one);
	dmo_buf_release(&two);
}

/*
 * The deterministic cache of seal.c against sealing without it: every
 * text equals what a fresh sealer makes of that value alone.  The values
 * are more than a set holds (eviction), of one length and other bytes,
 * the same bytes under another field or type, empty, with NUL bytes,
 * and of 252 to 259 bytes (the cache keeps up to 256); each is sealed
 * three times, in two orders.
 * With collide, every value hashes alike: one set, told apart by bytes.
 */
static void
test_cache(int collide)
{
	static const char *const names[] = { "f", "g", "", "ff" };
	static const enum dmo_type types[] = { DMO_STRING, DMO_NUMBER };
	struct dmo_keyset ks;
	struct dmo_key k;
	struct dmo_err err;
	struct dmo_buf got = DMO_BUF_INIT, want = DMO_BUF_INIT;
	struct dmo_sealer *s, *fresh;
	char v[320], label[80];
	size_t vlen, nlen;
	int i, j, round, ok = 1;

	memset(&k, 0, sizeof(k));
	k.id = 0x0a0b0c0d;
	strcpy(k.idhex, "0a0b0c0d");
	for (i = 0; i < 32; i++)
		k.secret[i] = (uint8_t)(i * 7);
	ks.keys = &k;
	ks.n = 1;
	ks.log2n = 0;
	dmo_seal_cache_collide = collide;
	s = dmo_sealer_new(&ks, "ctx", &err);
	for (round = 0; round < 3; round++)
		for (j = 0; j < 48; j++) {
			i = round == 1 ? 47 - j : j;
			/*
			 * 8 short values of 6 bytes but one empty, each
			 * under 2 names and 2 types; then pairs of long
			 * ones of 252 to 259 bytes, the same length and
			 * other bytes.
			 */
			if (i < 32) {
				vlen = i % 16 / 2 == 0 ? 0 : 6;
				memcpy(v, "x\0y", 3);
				v[3] = v[5] = (char)('a' + i % 16 / 2);
				v[4] = '\0';
			} else {
				vlen = 252 + (size_t)(i - 32) / 2;
				memset(v, 'z', vlen);
				v[vlen / 2] = (char)(i % 2);
			}
			nlen = strlen(names[i / 16 % 4]);
			got.len = want.len = 0;
			fresh = dmo_sealer_new(&ks, "ctx", &err);
			if (dmo_seal(s, DMO_SEAL_DETERM, names[i / 16 % 4],
			    nlen, types[i % 2], v, vlen, &got, &err) != 0 ||
			    dmo_seal(fresh, DMO_SEAL_DETERM, names[i / 16 % 4],
			    nlen, types[i % 2], v, vlen, &want, &err) != 0 ||
			    got.len != want.len ||
			    memcmp(got.p, want.p, got.len) != 0) {
				if (ok)
					printf("# round %d value %d\n", round,
					    i);
				ok = 0;
			}
			dmo_sealer_free(fresh);
		}
	dmo_sealer_free(s);
	dmo_seal_cache_collide = 0;
	snprintf(label, sizeof(label), "cache: %s, what a fresh sealer makes",
	    collide ? "all values colliding" : "hashed");
	CHECK(ok, label);
	dmo_buf_release(&got);
	dmo_buf_release(&want);
}

/*
 * A value sealed into the buffer that holds it (seal.h allows it, and
 * dmo-encrypt seals a record's values into its own data): the buffer
 * moves as it grows, and the text must still be that of the value.
 * Each mode; deterministic on a miss and on a hit of the cache.
 */
static void
test_alias(void)
{
	struct dmo_keyset ks;
	struct dmo_key k;
	struct dmo_err err;
	struct dmo_buf in = DMO_BUF_INIT, want = DMO_BUF_INIT,
	    back = DMO_BUF_INIT;
	struct dmo_sealer *s;
	enum dmo_type t;
	enum dmo_seal_mode mode, m;
	char v[60];
	int i, round, ok = 1;

	memset(&k, 0, sizeof(k));
	k.id = 0x01010101;
	strcpy(k.idhex, "01010101");
	for (i = 0; i < 32; i++)
		k.secret[i] = (uint8_t)(i + 100);
	ks.keys = &k;
	ks.n = 1;
	ks.log2n = 0;
	s = dmo_sealer_new(&ks, "", &err);
	for (i = 0; i < (int)sizeof(v); i++)
		v[i] = (char)('A' + i % 26);
	for (round = 0; round < 3; round++) {
		mode = round == 0 ? DMO_SEAL_RANDOM : DMO_SEAL_DETERM;
		/* 60 bytes in a buffer of 64: sealing must move it. */
		dmo_buf_release(&in);
		dmo_buf_add(&in, v, sizeof(v));
		want.len = back.len = 0;
		if (dmo_seal(s, mode, S("f"), DMO_STRING, in.p, sizeof(v), &in,
		    &err) != 0 ||
		    dmo_seal_open(s, S("f"), in.p + sizeof(v),
		    in.len - sizeof(v), &t, &m, &back, &err) != 0 ||
		    m != mode || t != DMO_STRING || back.len != sizeof(v) ||
		    memcmp(back.p, v, sizeof(v)) != 0 ||
		    memcmp(in.p, v, sizeof(v)) != 0)
			ok = 0;
		if (mode == DMO_SEAL_DETERM && (dmo_seal(s, mode, S("f"),
		    DMO_STRING, v, sizeof(v), &want, &err) != 0 ||
		    want.len != in.len - sizeof(v) ||
		    memcmp(want.p, in.p + sizeof(v), want.len) != 0))
			ok = 0;
	}
	CHECK(ok, "seal: a value sealed into its own buffer, each mode");
	dmo_sealer_free(s);
	dmo_buf_release(&in);
	dmo_buf_release(&want);
	dmo_buf_release(&back);
}

int
main(int argc, char **argv)
{
	char man[4096];
	const char *slash = argc > 0 ? strrchr(argv[0], '/') : NULL;

	/* tests/unit/test_crypto -> man/dmo-keyset.5 */
	snprintf(man, sizeof(man), "%.*s/../../man/dmo-keyset.5",
	    slash != NULL ? (int)(slash - argv[0]) : 1,
	    slash != NULL ? argv[0] : ".");
	test_examples(man);
	test_gcm("the provider's functions");
	dmo_crypto_evp_only = 1;
	test_gcm("EVP");
	dmo_crypto_evp_only = 0;
	test_gcm_paths();
	test_siv();
	test_kdf_mac();
	test_b64();
	test_nonces();
	test_helpers();
	test_cache(0);
	test_cache(1);
	test_alias();
	return done();
}
