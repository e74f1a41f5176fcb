/* strmap.c - a hash table from byte strings to dense indexes. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "strmap.h"

/*
 * A 64-bit multiply-and-mix hash over 8 bytes at a time: the keys are
 * short (a city, an id) and hashed once per record, where FNV's byte loop
 * showed in the group-by profile.  The last bytes are read as words too,
 * overlapping what came before (or, under 8 bytes, two overlapping
 * halves), not with a memcpy of variable length.
 */
static size_t
hash(const char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n, w;
	size_t i;

	if (n >= 8) {
		for (i = 0; i + 8 <= n; i += 8)
			h = (h ^ dmo_load64(p + i)) * 0xff51afd7ed558ccdULL,
			h ^= h >> 32;
		w = i < n ? dmo_load64(p + n - 8) : 0;
	} else if (n >= 4)
		w = (uint64_t)dmo_load32(p) |
		    (uint64_t)dmo_load32(p + n - 4) << 32;
	else if (n > 0)
		w = (uint64_t)(unsigned char)p[0] |
		    (uint64_t)(unsigned char)p[n / 2] << 8 |
		    (uint64_t)(unsigned char)p[n - 1] << 16;
	else
		w = 0;
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	return (size_t)h;
}

void
dmo_strmap_init(struct dmo_strmap *m)
{
	memset(m, 0, sizeof(*m));
}

void
dmo_strmap_release(struct dmo_strmap *m)
{
	dmo_buf_release(&m->keys);
	free(m->ent);
	free(m->slot);
	memset(m, 0, sizeof(*m));
}

static inline long
probe(const struct dmo_strmap *m, const char *p, size_t n, size_t h,
    size_t *at)
{
	size_t i = h & m->mask, k;
	const struct dmo_strmap_ent *e;

	for (;; i = (i + 1) & m->mask) {
		if ((k = m->slot[i]) == 0) {
			*at = i;
			return -1;
		}
		e = &m->ent[k - 1];
		if (e->hash == h && e->len == n &&
		    (n == 0 || memcmp(m->keys.p + e->off, p, n) == 0))
			return (long)(k - 1);
	}
}

long
dmo_strmap_find(const struct dmo_strmap *m, const char *p, size_t n)
{
	size_t at;

	if (m->slot == NULL)
		return -1;
	return probe(m, p, n, hash(p, n), &at);
}

static void
rehash(struct dmo_strmap *m)
{
	size_t nslots = m->slot == NULL ? 16 : (m->mask + 1) * 2, i, j;

	free(m->slot);
	m->slot = dmo_xcalloc(nslots, sizeof(*m->slot));
	m->mask = nslots - 1;
	for (i = 0; i < m->n; i++) {
		for (j = m->ent[i].hash & m->mask; m->slot[j] != 0;
		    j = (j + 1) & m->mask)
			;
		m->slot[j] = i + 1;
	}
}

size_t
dmo_strmap_intern(struct dmo_strmap *m, const char *p, size_t n, int *added)
{
	size_t h = hash(p, n), at = 0;
	long k;

	*added = 0;
	if (m->slot == NULL)
		rehash(m);
	if ((k = probe(m, p, n, h, &at)) >= 0)
		return (size_t)k;
	/* Keep the load at most one half: probes stay short. */
	if ((m->n + 1) * 2 > m->mask + 1) {
		rehash(m);
		(void)probe(m, p, n, h, &at);
	}
	if (m->n == m->entcap) {
		m->entcap = m->entcap == 0 ? 16 : m->entcap * 2;
		m->ent = dmo_xreallocarray(m->ent, m->entcap, sizeof(*m->ent));
	}
	m->ent[m->n].off = m->keys.len;
	m->ent[m->n].len = n;
	m->ent[m->n].hash = h;
	dmo_buf_add(&m->keys, p, n);
	m->slot[at] = ++m->n;
	*added = 1;
	return m->n - 1;
}

size_t
dmo_strmap_bytes(const struct dmo_strmap *m)
{
	return m->keys.cap + m->entcap * sizeof(*m->ent) +
	    (m->slot == NULL ? 0 : (m->mask + 1) * sizeof(*m->slot));
}
