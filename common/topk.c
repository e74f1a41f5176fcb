/* topk.c - exact value counts that turn into Space-Saving past a limit. */
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

void
dmo_topk_free(struct dmo_topk *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->item[i].text);
	free(t->item);
	free(t->index);
	free(t->heap);
	free(t->hpos);
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

	free(t->index);
	t->mask = size - 1;
	t->index = dmo_xcalloc(size, sizeof(uint64_t));
	for (i = 0; i < t->n; i++)
		t->index[find_slot(t, t->item[i].hash)] = slot(t->item[i].hash,
		    i);
}

/* Remove slot i from the linear-probing index (backward shift). */
static void
unindex(struct dmo_topk *t, size_t i)
{
	size_t j = i, k;

	t->index[i] = 0;
	for (;;) {
		j = (j + 1) & t->mask;
		if (t->index[j] == 0)
			return;
		k = (size_t)t->item[(uint32_t)t->index[j] - 1].hash & t->mask;
		/* Move j back to i unless its home lies in (i, j]. */
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			t->index[i] = t->index[j];
			t->index[j] = 0;
			i = j;
		}
	}
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

static void
sift_down(struct dmo_topk *t, size_t i)
{
	struct dmo_topk_heap *h = t->heap, x = h[i];
	size_t n = t->n;

	for (;;) {
		size_t l = 2 * i + 1, m;

		if (l >= n)
			break;
		m = l + 1 < n && h[l + 1].count < h[l].count ? l + 1 : l;
		if (h[m].count >= x.count)
			break;
		h[i] = h[m];
		t->hpos[h[i].item] = i;
		i = m;
	}
	h[i] = x;
	t->hpos[x.item] = i;
}

static void
sift_up(struct dmo_topk *t, size_t i)
{
	struct dmo_topk_heap *h = t->heap, x = h[i];

	while (i > 0) {
		size_t up = (i - 1) / 2;

		if (h[up].count <= x.count)
			break;
		h[i] = h[up];
		t->hpos[h[i].item] = i;
		i = up;
	}
	h[i] = x;
	t->hpos[x.item] = i;
}

static void
heap_build(struct dmo_topk *t)
{
	size_t i;

	t->heap = dmo_xreallocarray(t->heap, t->capacity, sizeof(*t->heap));
	t->hpos = dmo_xreallocarray(t->hpos, t->capacity, sizeof(size_t));
	for (i = 0; i < t->n; i++) {
		t->heap[i].count = t->item[i].count;
		t->heap[i].item = i;
		t->hpos[i] = i;
	}
	for (i = t->n / 2; i-- > 0;)
		sift_down(t, i);
}

/* Keep the capacity most counted and turn approximate. */
static void
to_sketch(struct dmo_topk *t)
{
	size_t i, size;

	if (t->spill != NULL)
		for (i = 0; i < t->n; i++)
			t->spill(t->spill_ctx, t->item[i].hash);
	if (t->n > 0)
		qsort(t->item, t->n, sizeof(*t->item), cmp_count);
	for (i = t->capacity; i < t->n; i++)
		free(t->item[i].text);
	if (t->n > t->capacity) {
		/*
		 * A value dropped was counted at most as often as the least
		 * one kept: that least count is the error of any newcomer,
		 * which Space-Saving gives anyway.
		 */
		t->n = t->capacity;
	}
	t->bytes = 0;
	t->exact = 0;
	for (size = 16; size < 2 * t->capacity + 2; size *= 2)
		;
	rehash(t, size);
	heap_build(t);
}

unsigned long long
dmo_topk_floor(const struct dmo_topk *t)
{
	size_t i;
	unsigned long long m;

	if (t->exact || t->n < t->capacity || t->n == 0)
		return 0;
	m = t->heap[0].count;
	(void)i;
	return m;
}

static void
set_text(struct dmo_topk_item *it, const char *text, size_t len, int cut)
{
	if (len > DMO_TOPK_TEXT) {
		len = DMO_TOPK_TEXT;
		cut = 1;
	}
	free(it->text);
	it->text = dmo_xmemdup(text, len);
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
		if (!t->exact) {
			size_t hp = t->hpos[it - t->item];

			t->heap[hp].count = it->count;
			sift_down(t, hp);
		}
		return 0;
	}
	if (t->exact || t->n < t->capacity) {
		if (t->n == t->itemcap) {
			t->itemcap = t->itemcap ? 2 * t->itemcap : 16;
			t->item = dmo_xreallocarray(t->item, t->itemcap,
			    sizeof(*t->item));
		}
		it = &t->item[t->n];
		memset(it, 0, sizeof(*it));
		it->hash = h;
		it->count = count;
		it->error = error;
		set_text(it, text, len, cut);
		t->n++;
		t->index[s] = slot(h, t->n - 1);
		t->bytes += it->len + sizeof(*it) + 2 * sizeof(uint32_t);
		if (!t->exact) {
			t->heap[t->n - 1].count = it->count;
			t->heap[t->n - 1].item = t->n - 1;
			sift_up(t, t->n - 1);
		} else if (t->exact && (t->n > t->exact_limit ||
		    t->bytes > DMO_TOPK_EXACT_BYTES))
			to_sketch(t);
		else if (2 * t->n > t->mask)
			rehash(t, 2 * (t->mask + 1));
		return 1;
	}
	/* Space-Saving: the newcomer replaces the least counted. */
	it = &t->item[t->heap[0].item];
	unindex(t, find_slot(t, it->hash));
	it->hash = h;
	it->error = it->count + error;
	it->count += count;
	set_text(it, text, len, cut);
	t->index[find_slot(t, h)] = slot(h, t->heap[0].item);
	t->heap[0].count = it->count;
	sift_down(t, 0);
	return 1;
}

void
dmo_topk_merge(struct dmo_topk *dst, const struct dmo_topk *src)
{
	unsigned long long fd = dmo_topk_floor(dst), fs = dmo_topk_floor(src);
	size_t i;

	/*
	 * A value missing from a full approximate table may have been
	 * counted there up to its floor: add that much to both the count
	 * and the error of the values only the other table has.
	 */
	if (fs > 0)
		for (i = 0; i < dst->n; i++)
			if (src->index[find_slot(src, dst->item[i].hash)] == 0) {
				dst->item[i].count += fs;
				dst->item[i].error += fs;
			}
	if (!dst->exact)
		heap_build(dst);
	if (!dst->exact)
		heap_build(dst);
	for (i = 0; i < src->n; i++) {
		const struct dmo_topk_item *it = &src->item[i];
		size_t s = find_slot(dst, it->hash);

		if (dst->index[s] == 0 && fd > 0)
			dmo_topk_add(dst, it->hash, it->text, it->len, it->cut,
			    it->count + fd, it->error + fd);
		else
			dmo_topk_add(dst, it->hash, it->text, it->len, it->cut,
			    it->count, it->error);
	}
	if (!src->exact && dst->exact)
		to_sketch(dst);
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
