/* topk.c - exact value counts that turn into Misra-Gries past a limit. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "topk.h"

struct dmo_topk *
dmo_topk_new(size_t exact_limit, size_t capacity)
{
	struct dmo_topk *t = dmo_xcalloc(1, sizeof(*t));

	t->exact_limit = exact_limit;
	t->capacity = capacity < 1 ? 1 : capacity;
	t->exact = 1;
	t->mask = 15;
	t->index = dmo_xcalloc(t->mask + 1, sizeof(uint64_t));
	return t;
}

/*
 * Texts of an exact table live in blocks that each start with a link to
 * the one before: one malloc per block rather than per value, and one
 * walk frees them all when the table turns approximate.  Blocks double
 * from 1 KiB to 64 KiB, so that small tables stay small.
 */
#define BLK_LINK	sizeof(char *)
#define BLK_MIN		1024
#define BLK_MAX		65536

static char *
blk_text(struct dmo_topk *t, size_t n)
{
	char *p;

	if (t->blk == NULL || t->blk_size - t->blk_used < n) {
		size_t size = t->blk_size < BLK_MIN ? BLK_MIN :
		    t->blk_size < BLK_MAX ? 2 * t->blk_size : BLK_MAX;
		char *b;

		if (size < BLK_LINK + n)
			size = BLK_LINK + n;
		b = dmo_xmalloc(size);
		memcpy(b, &t->blk, BLK_LINK);
		t->blk = b;
		t->blk_used = BLK_LINK;
		t->blk_size = size;
	}
	p = t->blk + t->blk_used;
	t->blk_used += n;
	return p;
}

static void
blk_free(struct dmo_topk *t)
{
	while (t->blk != NULL) {
		char *prev;

		memcpy(&prev, t->blk, BLK_LINK);
		free(t->blk);
		t->blk = prev;
	}
	t->blk_used = t->blk_size = 0;
}

void
dmo_topk_free(struct dmo_topk *t)
{
	if (t == NULL)
		return;
	blk_free(t);
	free(t->slab);
	free(t->chunks);
	free(t->low);
	free(t->item);
	free(t->index);
	free(t);
}

/* An index entry: the hash's high half, to skip most item reads. */
static inline uint64_t
slot(uint64_t h, size_t item)
{
	return (h & 0xffffffff00000000ULL) | (uint64_t)(item + 1);
}

static size_t
find_slot(const struct dmo_topk *t, uint64_t h)
{
	size_t i = (size_t)h & t->mask;

	while (t->index[i] != 0 && (((t->index[i] ^ h) >> 32) != 0 ||
	    t->item[(uint32_t)t->index[i] - 1].hash != h))
		i = (i + 1) & t->mask;
	return i;
}

static void
rehash(struct dmo_topk *t, size_t size)
{
	size_t i;

	/* A purge rebuilds an index of the same size: clear it in place. */
	if (size == t->mask + 1)
		memset(t->index, 0, size * sizeof(uint64_t));
	else {
		free(t->index);
		t->mask = size - 1;
		t->index = dmo_xcalloc(size, sizeof(uint64_t));
	}
	for (i = 0; i < t->n; i++)
		t->index[find_slot(t, t->item[i].hash)] = slot(t->item[i].hash,
		    i);
}

static int
cmp_ptr(const void *a, const void *b)
{
	const struct dmo_topk_item *x = *(const struct dmo_topk_item *const *)a;
	const struct dmo_topk_item *y = *(const struct dmo_topk_item *const *)b;
	size_t m;
	int d;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	m = x->len < y->len ? x->len : y->len;
	d = memcmp(x->text, y->text, m);
	if (d != 0)
		return d;
	return (x->len > y->len) - (x->len < y->len);
}

static int
cmp_count(const void *a, const void *b)
{
	const struct dmo_topk_item *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/* The k-th smallest of v[0..n) (0-based), reordering v. */
static unsigned long long
select_kth(unsigned long long *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		unsigned long long piv = v[lo + (hi - lo) / 2], x;
		size_t i = lo, j = hi;

		while (i <= j) {
			while (v[i] < piv)
				i++;
			while (v[j] > piv)
				j--;
			if (i <= j) {
				x = v[i];
				v[i] = v[j];
				v[j] = x;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return v[k];
	}
	return v[k];
}

/*
 * Misra-Gries with a batched decrement: take the median of the lower
 * bounds (count - error) from every value, drop those left at zero.
 * At least half go; the total of the lower bounds falls by at least
 * median x size / 2, so the offset stays below n / capacity.
 */
static void
purge(struct dmo_topk *t)
{
	unsigned long long *low, m;
	size_t i, k = 0, size;

	if (t->n == 0)
		return;
	/* The scratch array is kept: a purge comes every capacity values. */
	if (t->lowcap < t->n) {
		t->lowcap = t->n;
		t->low = dmo_xreallocarray(t->low, t->lowcap, sizeof(*low));
	}
	low = t->low;
	for (i = 0; i < t->n; i++)
		low[i] = t->item[i].count - t->item[i].error;
	m = select_kth(low, t->n, t->n / 2);
	if (m == 0)
		m = 1;
	t->offset += m;
	for (i = 0; i < t->n; i++) {
		struct dmo_topk_item *it = &t->item[i];

		it->error += m;
		if (it->count <= it->error) {
			t->chunks[t->nchunks++] = it->text;
			continue;
		}
		t->item[k++] = *it;
	}
	t->n = k;
	for (size = 16; size < 4 * t->capacity + 2; size *= 2)
		;
	rehash(t, size);
}

/* Does x come before y in cmp_count's order (a total order: hashes
   differ within a table)? */
static inline int
before(const struct dmo_topk_item *x, const struct dmo_topk_item *y)
{
	if (x->count != y->count)
		return x->count > y->count;
	return x->hash < y->hash;
}

static inline void
swap_items(struct dmo_topk_item *a, struct dmo_topk_item *b)
{
	struct dmo_topk_item x = *a;

	*a = *b;
	*b = x;
}

/*
 * Put the k items that come first in cmp_count's order in v[0..k), in
 * some order (quickselect, the middle item as pivot): to_sketch keeps
 * only capacity of maybe millions, and sorting those few is what it
 * needs.  Returns -1 when the partitions go badly (hostile counts), and
 * the caller sorts everything instead.
 */
static int
select_first(struct dmo_topk_item *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n, budget = 64, m;

	for (m = n; m > 1; m /= 2)
		budget += 2;
	/* Invariant: lo <= k <= hi; v[0..lo) come before v[lo..n), and
	   v[0..hi) before v[hi..n). */
	while (hi - lo > 1) {
		size_t i = lo, j;

		if (budget-- == 0)
			return -1;
		swap_items(&v[lo + (hi - lo) / 2], &v[hi - 1]);
		for (j = lo; j < hi - 1; j++)
			if (before(&v[j], &v[hi - 1]))
				swap_items(&v[i++], &v[j]);
		swap_items(&v[i], &v[hi - 1]);
		if (i == k)
			break;
		if (i < k)
			lo = i + 1;
		else
			hi = i;
	}
	return 0;
}

/* Keep the capacity most counted and turn approximate. */
static void
to_sketch(struct dmo_topk *t)
{
	size_t i, size;

	if (t->spill != NULL)
		for (i = 0; i < t->n; i++)
			t->spill(t->spill_ctx, t->item[i].hash);
	/*
	 * Only the capacity first in order are kept, and the next one gives
	 * the offset: select those, then sort them, which leaves the table
	 * as a full sort would.
	 */
	if (t->n > t->capacity + 1 &&
	    select_first(t->item, t->n, t->capacity + 1) == 0)
		qsort(t->item, t->capacity + 1, sizeof(*t->item), cmp_count);
	else if (t->n > 0)
		qsort(t->item, t->n, sizeof(*t->item), cmp_count);
	if (t->n > t->capacity) {
		/*
		 * Keep the most counted half of the room; a value dropped
		 * was counted at most as often as the most counted one
		 * dropped, which becomes the bound for absent values.
		 */
		if (t->item[t->capacity].count > t->offset)
			t->offset = t->item[t->capacity].count;
		t->n = t->capacity;
	}
	/* Texts move to fixed chunks: no malloc per value from here on. */
	t->slab = dmo_xreallocarray(NULL, 2 * t->capacity, DMO_TOPK_TEXT + 1);
	t->chunks = dmo_xreallocarray(NULL, 2 * t->capacity, sizeof(char *));
	t->nchunks = 0;
	for (i = 2 * t->capacity; i-- > t->n;)
		t->chunks[t->nchunks++] = t->slab + i * (DMO_TOPK_TEXT + 1);
	for (i = 0; i < t->n; i++) {
		char *c = t->slab + i * (DMO_TOPK_TEXT + 1);

		memcpy(c, t->item[i].text, t->item[i].len + 1);
		t->item[i].text = c;
	}
	blk_free(t);
	t->bytes = 0;
	t->exact = 0;
	for (size = 16; size < 4 * t->capacity + 2; size *= 2)
		;
	rehash(t, size);
}

unsigned long long
dmo_topk_floor(const struct dmo_topk *t)
{
	size_t i;
	unsigned long long m;

	if (t->exact)
		return 0;
	(void)i;
	(void)m;
	return t->offset;
}

static void
set_text(struct dmo_topk *t, struct dmo_topk_item *it, const char *text,
    size_t len, int cut)
{
	if (len > DMO_TOPK_TEXT) {
		len = DMO_TOPK_TEXT;
		cut = 1;
	}
	if (t->exact) {
		it->text = blk_text(t, len + 1);
		if (len > 0)
			memcpy(it->text, text, len);
		it->text[len] = '\0';
	} else {
		char *d = it->text = t->chunks[--t->nchunks];

		/* Most values are short: copy them without a call. */
		if (len >= 8 && len <= 16) {
			memcpy(d, text, 8);
			memcpy(d + len - 8, text + len - 8, 8);
		} else if (len >= 4 && len < 8) {
			memcpy(d, text, 4);
			memcpy(d + len - 4, text + len - 4, 4);
		} else if (len < 4) {
			if (len > 0) {
				d[0] = text[0];
				d[len / 2] = text[len / 2];
				d[len - 1] = text[len - 1];
			}
		} else
			memcpy(d, text, len);
		d[len] = '\0';
	}
	it->len = len;
	it->cut = cut;
}

int
dmo_topk_add(struct dmo_topk *t, uint64_t h, const char *text, size_t len,
    int cut, unsigned long long count, unsigned long long error)
{
	size_t s = find_slot(t, h);
	struct dmo_topk_item *it;

	if (t->index[s] != 0) {
		it = &t->item[(uint32_t)t->index[s] - 1];
		it->count += count;
		it->error += error;
		return 0;
	}
	if (!t->exact && t->n >= 2 * t->capacity) {
		purge(t);
		s = find_slot(t, h);
	}
	{
		if (t->n == t->itemcap) {
			t->itemcap = t->itemcap ? 2 * t->itemcap : 16;
			t->item = dmo_xreallocarray(t->item, t->itemcap,
			    sizeof(*t->item));
		}
		it = &t->item[t->n];
		memset(it, 0, sizeof(*it));
		it->hash = h;
		/* Absent so far: it may have had up to offset already. */
		it->count = count + t->offset;
		it->error = error + t->offset;
		set_text(t, it, text, len, cut);
		t->n++;
		t->index[s] = slot(h, t->n - 1);
		t->bytes += it->len + sizeof(*it) + 2 * sizeof(uint32_t);
		if (t->exact && (t->n > t->exact_limit ||
		    t->bytes > DMO_TOPK_EXACT_BYTES))
			to_sketch(t);
		else if (2 * t->n > t->mask)
			rehash(t, 2 * (t->mask + 1));
		return 1;
	}
}

void
dmo_topk_merge(struct dmo_topk *dst, const struct dmo_topk *src)
{
	unsigned long long fs;
	size_t i;

	if (!src->exact && dst->exact)
		to_sketch(dst);
	fs = dmo_topk_floor(src);
	/*
	 * A value missing from an approximate table may have been counted
	 * there up to its offset: the values only dst has get that much
	 * more count and error; those only src has get dst's offset (in
	 * dmo_topk_add).
	 */
	if (fs > 0)
		for (i = 0; i < dst->n; i++)
			if (src->index[find_slot(src, dst->item[i].hash)] == 0) {
				dst->item[i].count += fs;
				dst->item[i].error += fs;
			}
	for (i = 0; i < src->n; i++) {
		const struct dmo_topk_item *it = &src->item[i];

		dmo_topk_add(dst, it->hash, it->text, it->len, it->cut,
		    it->count, it->error);
	}
	dst->offset += fs;
}

size_t
dmo_topk_sorted(const struct dmo_topk *t, struct dmo_topk_item ***out)
{
	struct dmo_topk_item **v;
	size_t i;

	v = dmo_xreallocarray(NULL, t->n ? t->n : 1, sizeof(*v));
	for (i = 0; i < t->n; i++)
		v[i] = &t->item[i];
	qsort(v, t->n, sizeof(*v), cmp_ptr);
	*out = v;
	return t->n;
}

void
dmo_topk_approximate(struct dmo_topk *t)
{
	void (*spill)(void *, uint64_t) = t->spill;

	if (!t->exact)
		return;
	t->spill = NULL;
	to_sketch(t);
	t->spill = spill;
}

struct dmo_topk_item *
dmo_topk_find(const struct dmo_topk *t, uint64_t h)
{
	size_t s = find_slot(t, h);

	return t->index[s] != 0 ? &t->item[(uint32_t)t->index[s] - 1] : NULL;
}
