/* fuzz_seal.c - libFuzzer target: ciphertexts, keysets, streams, policies. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include "fuzzhelp.h"

#include <fcntl.h>

#include "keyset.h"
#include "policy.h"
#include "seal.h"
#include "stream.h"

/*
 * Input: one byte that chooses what the rest is, then the bytes.
 *   0  a field value to decrypt (field 'email', context 'crm'), under
 *      the key of dmo-keyset(5)'s examples: it must fail cleanly with
 *      status 4, or open to a value that seals and opens again to itself;
 *   1  a keyset file (without a passphrase: no scrypt runs);
 *   2  an encrypted stream, decrypted to /dev/null;
 *   3  a policy file, for the role 'analyst', asked about a few fields.
 * The corpus holds a valid input of each kind.
 */

static void
one_key(struct dmo_keyset *ks, struct dmo_key *k)
{
	int i;

	memset(k, 0, sizeof(*k));
	k->id = 0x01020304;
	strcpy(k->idhex, "01020304");
	for (i = 0; i < 32; i++)
		k->secret[i] = (uint8_t)i;
	ks->keys = k;
	ks->n = 1;
	ks->log2n = 0;
}

static void
value(struct dmo_keyset *ks, const uint8_t *p, size_t n)
{
	struct dmo_sealer *s = dmo_sealer_new(ks, "crm", NULL);
	struct dmo_buf a = DMO_BUF_INIT, b = DMO_BUF_INIT, c = DMO_BUF_INIT;
	struct dmo_err err;
	enum dmo_type t, t2;
	enum dmo_seal_mode m, m2;

	if (dmo_seal_open(s, "email", 5, (const char *)p, n, &t, &m, &a, &err)
	    == 0) {
		ASSERT(t <= DMO_OBJECT);
		ASSERT(dmo_seal(s, m, "email", 5, t, a.p, a.len, &b, &err) == 0);
		ASSERT(dmo_seal_open(s, "email", 5, b.p, b.len, &t2, &m2, &c,
		    &err) == 0);
		ASSERT(t2 == t && m2 == m && c.len == a.len &&
		    memcmp(c.p, a.p, a.len) == 0);
	} else
		ASSERT(err.code == DMO_EXIT_CRYPTO);
	dmo_buf_release(&a);
	dmo_buf_release(&b);
	dmo_buf_release(&c);
	dmo_sealer_free(s);
}

static void
keyset(const uint8_t *p, size_t n)
{
	struct dmo_keyset *ks;
	struct dmo_err err;
	struct dmo_buf b = DMO_BUF_INIT;

	ks = dmo_keyset_parse((const char *)p, n, "fuzz", NULL, 0, &err);
	if (ks == NULL) {
		ASSERT(err.code == DMO_EXIT_USAGE ||
		    err.code == DMO_EXIT_CRYPTO);
		return;
	}
	ASSERT(dmo_keyset_primary(ks) != NULL);
	ASSERT(dmo_keyset_format(ks, NULL, 0, 0, &b, &err) == 0);
	dmo_buf_release(&b);
	dmo_keyset_free(ks);
}

static void
stream(struct dmo_keyset *ks, const uint8_t *p, size_t n)
{
	int fd = fz_memfd(p, n), null = open("/dev/null", O_WRONLY);
	struct dmo_out *out;
	struct dmo_err err;

	ASSERT(null >= 0);
	out = dmo_out_new(null, "/dev/null");
	if (dmo_stream_decrypt(ks, fd, "fuzz", out, &err) != 0)
		ASSERT(err.code == DMO_EXIT_CRYPTO || err.code == DMO_EXIT_IO);
	dmo_out_close(out, &err);
	close(null);
	close(fd);
}

static void
policy(const uint8_t *p, size_t n)
{
	static const char *const fields[] = { "email", "name", "x", "" };
	int fd = fz_memfd(p, n);
	struct dmo_policy *pol;
	struct dmo_err err;
	char path[64];
	size_t i;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((pol = dmo_policy_load(path, "analyst", &err)) != NULL) {
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			const char *c = dmo_policy_class(pol, fields[i]);

			ASSERT(c != NULL);
			ASSERT((int)dmo_policy_action(pol, c) >= 0);
			(void)dmo_policy_may_decrypt(pol, c);
		}
		dmo_policy_free(pol);
	} else
		ASSERT(err.code == DMO_EXIT_USAGE || err.code == DMO_EXIT_IO);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmo_keyset ks;
	struct dmo_key k;

	if (size == 0)
		return 0;
	one_key(&ks, &k);
	switch (data[0] & 3) {
	case 0:
		value(&ks, data + 1, size - 1);
		break;
	case 1:
		keyset(data + 1, size - 1);
		break;
	case 2:
		stream(&ks, data + 1, size - 1);
		break;
	default:
		policy(data + 1, size - 1);
		break;
	}
	return 0;
}
