/* topk.h - value counts: exact up to a limit, then frequent items. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_TOPK_H
#define DMO_TOPK_H

#include <stddef.h>
#include <stdint.h>

/*
 * A table of values and their counts.  It counts every distinct value
 * exactly until it has more than exact_limit of them (or holds more than
 * DMO_TOPK_EXACT_BYTES of text); then it keeps at most 2 x capacity
 * values as a Misra-Gries summary with batched decrements (the
 * "frequent items" sketch of Apache DataSketches; Agarwal et al.,
 * Mergeable summaries, 2012): when the table is full, the median of the
 * lower bounds is taken from every value and the values left at zero
 * go.  Each item has an upper bound (count) and the amount it may
 * exceed the truth by (error): count - error <= true count <= count.
 * The error is at most n / capacity, and any value more frequent than
 * that is in the table.  Values are known by their dmo_hash64; their
 * text is kept up to DMO_TOPK_TEXT bytes for display.  When the table
 * turns approximate, spill (if set) is called with the hash of every
 * value it held, so that a distinct count can go on from there (hll.h).
 */
#define DMO_TOPK_TEXT		256
#define DMO_TOPK_EXACT_BYTES	((size_t)4 << 20)

struct dmo_topk_item {
	uint64_t		 hash;
	unsigned long long	 count;
	unsigned long long	 error;
	char			*text;
	size_t			 len;		/* of text, at most DMO_TOPK_TEXT */
	int			 cut;		/* the value was longer */
	uint64_t		 memo;		/* the caller's, 0 when new */
	uint32_t		 memo2;
};

struct dmo_topk {
	struct dmo_topk_item	*item;
	size_t			 n;
	size_t			 itemcap;
	uint64_t		*index;		/* hash tag | 1 + item, 0 empty */
	size_t			 mask;
	size_t			 exact_limit;
	size_t			 capacity;
	size_t			 bytes;
	int			 exact;
	unsigned long long	 offset;	/* decrements so far: the bound
						   for values not in the table */
	char			*slab;		/* approximate: text chunks, */
	char			**chunks;	/* the free ones */
	size_t			 nchunks;
	char			*blk;		/* exact: texts, in blocks */
	size_t			 blk_used, blk_size;
	unsigned long long	*low;		/* purge's scratch, lowcap */
	size_t			 lowcap;
	void			(*spill)(void *, uint64_t);
	void			*spill_ctx;
};

struct dmo_topk *dmo_topk_new(size_t exact_limit, size_t capacity);
void	 dmo_topk_free(struct dmo_topk *);

/*
 * Count a value count times with the given error (1 and 0 for one
 * value seen; other figures when merging).  Returns 1 when the value was
 * not in the table.
 */
int	 dmo_topk_add(struct dmo_topk *, uint64_t hash, const char *text,
	    size_t len, int cut, unsigned long long count,
	    unsigned long long error);

/* Turn approximate now, without spilling (for reading a state back). */
void	 dmo_topk_approximate(struct dmo_topk *);

/* The item of a value, or NULL; valid until the next add or merge. */
struct dmo_topk_item *dmo_topk_find(const struct dmo_topk *, uint64_t hash);

/* Fold src into dst (as the mergeable summaries of Agarwal et al.). */
void	 dmo_topk_merge(struct dmo_topk *dst, const struct dmo_topk *src);

/* The least count in a full approximate table (the error bound), or 0. */
unsigned long long dmo_topk_floor(const struct dmo_topk *);

/*
 * The items in order: count descending, then text.  *out is allocated
 * (the caller frees the array, not the items); valid until the next add.
 */
size_t	 dmo_topk_sorted(const struct dmo_topk *, struct dmo_topk_item ***out);

#endif
