/* stream.c - whole-stream encryption in authenticated chunks (dmo-keyset(5)). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "exitcode.h"
#include "stream.h"

static const uint8_t magic[8] = { 0x89, 'D', 'M', 'O', 'E', '\r', '\n', 0x1a };

#define VERSION		1
#define INFO_STREAM	"dmo-encrypt v1 stream"

/* Read up to n bytes, short only at end of file.  -1 on error. */
static ssize_t
read_full(int fd, const char *name, uint8_t *p, size_t n, struct dmo_err *err)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		dmo_io_before_wait();
		r = read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			dmo_err_sys(err, DMO_EXIT_IO, NULL, "%s", name);
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* Chunk i's nonce: 11 bytes big-endian counter, then the last flag. */
static void
chunk_nonce(uint64_t i, int last, uint8_t iv[DMO_GCM_IV])
{
	int k;

	memset(iv, 0, DMO_GCM_IV);
	for (k = 10; k >= 3; k--) {
		iv[k] = (uint8_t)i;
		i >>= 8;
	}
	iv[11] = last ? 1 : 0;
}

static struct dmo_gcm *
payload_key(const struct dmo_key *k, const uint8_t *salt, struct dmo_err *err)
{
	struct dmo_gcm *g;
	uint8_t pk[32];

	if (dmo_crypto_hkdf(k->secret, DMO_KEY_SECRET, salt, 16, INFO_STREAM,
	    sizeof(INFO_STREAM) - 1, pk, sizeof(pk), err) != 0)
		return NULL;
	g = dmo_gcm_new(pk, err);
	dmo_crypto_wipe(pk, sizeof(pk));
	return g;
}

int
dmo_stream_encrypt(const struct dmo_keyset *ks, int fd, const char *name,
    struct dmo_out *out, struct dmo_err *err)
{
	const struct dmo_key *k = dmo_keyset_primary(ks);
	const size_t chunk = (size_t)1 << DMO_STREAM_LOG2CHUNK;
	uint8_t hdr[DMO_STREAM_HEADER], iv[DMO_GCM_IV], *cur, *next, *sealed;
	struct dmo_iov aad = { hdr, sizeof(hdr) };
	struct dmo_gcm *g;
	ssize_t n, m;
	uint64_t i = 0;
	int rc = -1;

	memcpy(hdr, magic, 8);
	hdr[8] = VERSION;
	hdr[9] = DMO_STREAM_LOG2CHUNK;
	hdr[10] = (uint8_t)(k->id >> 24);
	hdr[11] = (uint8_t)(k->id >> 16);
	hdr[12] = (uint8_t)(k->id >> 8);
	hdr[13] = (uint8_t)k->id;
	if (dmo_crypto_random(hdr + 14, 16, err) != 0 ||
	    (g = payload_key(k, hdr + 14, err)) == NULL)
		return -1;
	cur = dmo_xmalloc(chunk);
	next = dmo_xmalloc(chunk);
	sealed = dmo_xmalloc(chunk + DMO_GCM_TAG);
	dmo_out_write(out, hdr, sizeof(hdr));
	if ((n = read_full(fd, name, cur, chunk, err)) < 0)
		goto done;
	for (;;) {
		uint8_t *t;

		/* Only a full chunk can have one after it. */
		m = (size_t)n == chunk ? read_full(fd, name, next, chunk, err) :
		    0;
		if (m < 0)
			goto done;
		chunk_nonce(i, m == 0, iv);
		if (dmo_gcm_seal(g, iv, &aad, 1, cur, (size_t)n, sealed, err)
		    != 0)
			goto done;
		dmo_out_write(out, sealed, (size_t)n + DMO_GCM_TAG);
		if (m == 0)
			break;
		i++;
		t = cur;
		cur = next;
		next = t;
		n = m;
	}
	rc = 0;
done:
	dmo_crypto_wipe(cur, chunk);
	dmo_crypto_wipe(next, chunk);
	free(cur);
	free(next);
	free(sealed);
	dmo_gcm_free(g);
	return rc;
}

int
dmo_stream_decrypt(const struct dmo_keyset *ks, int fd, const char *name,
    struct dmo_out *out, struct dmo_err *err)
{
	uint8_t hdr[DMO_STREAM_HEADER], iv[DMO_GCM_IV], *cur, *next, *plain;
	struct dmo_iov aad = { hdr, sizeof(hdr) };
	const struct dmo_key *k;
	struct dmo_gcm *g;
	size_t chunk, sealed;
	ssize_t n, m;
	uint64_t i = 0;
	uint32_t id;
	int rc = -1;

	if ((n = read_full(fd, name, hdr, sizeof(hdr), err)) < 0)
		return -1;
	if ((size_t)n < sizeof(hdr) || memcmp(hdr, magic, 8) != 0) {
		dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "%s: not a dmo-encrypt "
		    "stream%s", name, (size_t)n < sizeof(hdr) &&
		    memcmp(hdr, magic, (size_t)n < 8 ? (size_t)n : 8) == 0 ?
		    " (truncated header)" : "");
		return -1;
	}
	if (hdr[8] != VERSION || hdr[9] < 10 ||
	    hdr[9] > DMO_STREAM_MAX_LOG2CHUNK) {
		dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "%s: unsupported "
		    "stream version %u or chunk size 2^%u", name, hdr[8],
		    hdr[9]);
		return -1;
	}
	id = (uint32_t)hdr[10] << 24 | (uint32_t)hdr[11] << 16 |
	    (uint32_t)hdr[12] << 8 | hdr[13];
	if ((k = dmo_keyset_find(ks, id)) == NULL ||
	    k->status == DMO_KEY_DISABLED) {
		dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "%s: key '%08x' is %s",
		    name, (unsigned)id, k == NULL ? "not in the keyset" :
		    "disabled");
		return -1;
	}
	if ((g = payload_key(k, hdr + 14, err)) == NULL)
		return -1;
	chunk = (size_t)1 << hdr[9];
	sealed = chunk + DMO_GCM_TAG;
	cur = dmo_xmalloc(sealed);
	next = dmo_xmalloc(sealed);
	plain = dmo_xmalloc(chunk);
	if ((n = read_full(fd, name, cur, sealed, err)) < 0)
		goto done;
	for (;;) {
		uint8_t *t;

		m = (size_t)n == sealed ? read_full(fd, name, next, sealed,
		    err) : 0;
		if (m < 0)
			goto done;
		chunk_nonce(i, m == 0, iv);
		/* An empty last chunk only for an empty stream (as age). */
		if (n < DMO_GCM_TAG || (n == DMO_GCM_TAG && i > 0) ||
		    dmo_gcm_open(g, iv, &aad, 1, cur, (size_t)n, plain, err)
		    != 0) {
			dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "%s: chunk %llu: "
			    "authentication failed (truncated, reordered or "
			    "altered, or the wrong key)", name,
			    (unsigned long long)i + 1);
			goto done;
		}
		dmo_out_write(out, plain, (size_t)n - DMO_GCM_TAG);
		if (m == 0)
			break;
		i++;
		t = cur;
		cur = next;
		next = t;
		n = m;
	}
	rc = 0;
done:
	dmo_crypto_wipe(plain, chunk);
	free(cur);
	free(next);
	free(plain);
	dmo_gcm_free(g);
	return rc;
}
