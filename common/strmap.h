/* strmap.h - a hash table from byte strings to dense indexes. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_STRMAP_H
#define DMO_STRMAP_H

#include <stddef.h>

#include "buf.h"

/*
 * Keys are copied into one arena and numbered 0, 1, 2, ... in the order
 * they were added, so a caller keeps its values in a plain array indexed
 * by that number (lookup rows, aggregate groups, distinct values).  Keys
 * are compared byte for byte; NUL bytes are data.
 */
struct dmo_strmap_ent {
	size_t		 off;		/* into keys */
	size_t		 len;
	size_t		 hash;
};

struct dmo_strmap {
	struct dmo_buf		 keys;
	struct dmo_strmap_ent	*ent;
	size_t			 n;
	size_t			 entcap;
	size_t			*slot;		/* index + 1, 0 empty */
	size_t			 mask;		/* slots - 1 */
};

void	 dmo_strmap_init(struct dmo_strmap *);
void	 dmo_strmap_release(struct dmo_strmap *);

/* The index of key p[0..n), or -1. */
long	 dmo_strmap_find(const struct dmo_strmap *, const char *p, size_t n);

/*
 * The index of key p[0..n), added when missing (*added is then 1).
 */
size_t	 dmo_strmap_intern(struct dmo_strmap *, const char *p, size_t n,
	    int *added);

/* Key i's bytes. */
static inline const char *
dmo_strmap_key(const struct dmo_strmap *m, size_t i, size_t *len)
{
	*len = m->ent[i].len;
	return m->keys.p + m->ent[i].off;
}

/* Bytes held: keys, entries and slots. */
size_t	 dmo_strmap_bytes(const struct dmo_strmap *);

#endif
