/* kll.c - the KLL quantile sketch. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "kll.h"

#define KLL_MIN_CAP	8

struct dmo_kll *
dmo_kll_new(unsigned k)
{
	struct dmo_kll *s = dmo_xcalloc(1, sizeof(*s));

	s->k = k;
	s->rng = 0x853c49e6748fea9bULL;
	s->min = INFINITY;
	s->max = -INFINITY;
	return s;
}

void
dmo_kll_free(struct dmo_kll *s)
{
	unsigned h;

	if (s == NULL)
		return;
	for (h = 0; h < s->nlevels; h++)
		free(s->level[h]);
	free(s->level);
	free(s->size);
	free(s->cap);
	free(s->sorted);
	free(s->cum);
	free(s);
}

static unsigned
rnd_bit(struct dmo_kll *s)
{
	/* xorshift64*: enough for a coin, and reproducible. */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return (unsigned)((s->rng * 0x2545f4914f6cdd1dULL) >> 63);
}

/* Capacity of level h: k * (2/3)^(depth), at least 8. */
static size_t
capacity(const struct dmo_kll *s, unsigned h)
{
	static double scale[64];
	unsigned depth = s->nlevels - 1 - h;
	double c;
	size_t r;

	if (scale[0] == 0) {
		unsigned i;

		scale[0] = 1;
		for (i = 1; i < 64; i++)
			scale[i] = scale[i - 1] * (2.0 / 3.0);
	}
	c = s->k * scale[depth < 64 ? depth : 63];
	r = (size_t)ceil(c);

	return r < KLL_MIN_CAP ? KLL_MIN_CAP : r;
}

static void
add_level(struct dmo_kll *s)
{
	s->level = dmo_xreallocarray(s->level, s->nlevels + 1,
	    sizeof(*s->level));
	s->size = dmo_xreallocarray(s->size, s->nlevels + 1, sizeof(size_t));
	s->cap = dmo_xreallocarray(s->cap, s->nlevels + 1, sizeof(size_t));
	s->level[s->nlevels] = NULL;
	s->size[s->nlevels] = 0;
	s->cap[s->nlevels] = 0;
	s->nlevels++;
}

static void
push(struct dmo_kll *s, unsigned h, double v)
{
	while (h >= s->nlevels)
		add_level(s);
	if (s->size[h] == s->cap[h]) {
		s->cap[h] = s->cap[h] == 0 ? 16 : s->cap[h] * 2;
		s->level[h] = dmo_xreallocarray(s->level[h], s->cap[h],
		    sizeof(double));
	}
	s->level[h][s->size[h]++] = v;
}

/* Sort doubles: quicksort, insertion sort below 16 (no NaN comes here). */
static void
sort_doubles(double *v, size_t n)
{
	while (n > 16) {
		double piv = v[n / 2], t;
		size_t i = 0, j = n - 1;

		for (;;) {
			while (v[i] < piv)
				i++;
			while (v[j] > piv)
				j--;
			if (i >= j)
				break;
			t = v[i];
			v[i] = v[j];
			v[j] = t;
			i++;
			j--;
		}
		/* Recurse into the smaller side, loop on the larger. */
		if (j + 1 < n - j - 1) {
			sort_doubles(v, j + 1);
			v += j + 1;
			n -= j + 1;
		} else {
			sort_doubles(v + j + 1, n - j - 1);
			n = j + 1;
		}
	}
	{
		size_t i, j;

		for (i = 1; i < n; i++) {
			double x = v[i];

			for (j = i; j > 0 && v[j - 1] > x; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
	}
}

static size_t
retained(const struct dmo_kll *s)
{
	size_t n = 0;
	unsigned h;

	for (h = 0; h < s->nlevels; h++)
		n += s->size[h];
	return n;
}

static size_t
total_capacity(const struct dmo_kll *s)
{
	static size_t memo[64];
	size_t n = 0;
	unsigned h;

	/* It depends on the number of levels only (k is the same). */
	if (s->k == DMO_KLL_K && s->nlevels < 64 && memo[s->nlevels] != 0)
		return memo[s->nlevels];
	for (h = 0; h < s->nlevels; h++)
		n += capacity(s, h);
	if (s->k == DMO_KLL_K && s->nlevels < 64)
		memo[s->nlevels] = n;
	return n;
}

static unsigned
pick_level(const struct dmo_kll *s)
{
	unsigned h, best = 0;

	for (h = 0; h < s->nlevels; h++)
		if (s->size[h] >= capacity(s, h))
			return h;
	for (h = 1; h < s->nlevels; h++)
		if (s->size[h] > s->size[best])
			best = h;
	return best;
}

/* Compact the lowest level that is over its capacity. */
static void
compress(struct dmo_kll *s)
{
	unsigned h;

	while (retained(s) >= total_capacity(s)) {
		h = pick_level(s);
		if (s->size[h] < 2)
			break;
		{
			double *L = s->level[h];
			size_t n = s->size[h], i, keep = 0;
			unsigned off;

			if (h + 1 >= s->nlevels)
				add_level(s);
			L = s->level[h];
			sort_doubles(L, n);
			/* An odd item stays behind, unsorted order is fine. */
			if (n % 2 == 1) {
				keep = 1;
				n--;
			}
			off = rnd_bit(s);
			/* Room for all that move up first, then no call each. */
			{
				size_t *c = &s->cap[h + 1], need = s->size[h + 1] +
				    n / 2 + 1;
				double *up;

				if (*c < need) {
					while (*c < need)
						*c = *c == 0 ? 16 : *c * 2;
					s->level[h + 1] = dmo_xreallocarray(
					    s->level[h + 1], *c, sizeof(double));
				}
				up = s->level[h + 1] + s->size[h + 1];
				for (i = keep + off; i < keep + n; i += 2)
					*up++ = L[i];
				s->size[h + 1] = (size_t)(up - s->level[h + 1]);
			}
			s->size[h] = keep;
		}
	}
	s->dirty = 1;
}

void
dmo_kll_add_weighted(struct dmo_kll *s, double v, unsigned level)
{
	push(s, level, v);
	s->dirty = 1;
}

void
dmo_kll_add(struct dmo_kll *s, double v)
{
	if (s->nlevels == 0)
		add_level(s);
	s->n++;
	if (v < s->min)
		s->min = v;
	if (v > s->max)
		s->max = v;
	/* Level 0 has room nearly always: store without the call. */
	if (s->size[0] < s->cap[0])
		s->level[0][s->size[0]++] = v;
	else
		push(s, 0, v);
	s->dirty = 1;
	if (s->size[0] >= s->cap0) {
		size_t r, t;

		compress(s);
		/* Compact again when the whole sketch is full, not before. */
		r = retained(s);
		t = total_capacity(s);
		s->cap0 = s->size[0] + (t > r ? t - r : 1);
	}
}

void
dmo_kll_merge(struct dmo_kll *dst, const struct dmo_kll *src)
{
	unsigned h;
	size_t i;

	if (src->n == 0)
		return;
	if (dst->nlevels == 0)
		add_level(dst);
	for (h = 0; h < src->nlevels; h++)
		for (i = 0; i < src->size[h]; i++)
			push(dst, h, src->level[h][i]);
	dst->n += src->n;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	compress(dst);
	dst->cap0 = 0;
}

struct witem {
	double		v;
	uint64_t	w;
};

static int
cmp_witem(const void *a, const void *b)
{
	const struct witem *x = a, *y = b;

	return (x->v > y->v) - (x->v < y->v);
}

static void
prepare(struct dmo_kll *s)
{
	struct witem *it;
	size_t n = retained(s), j = 0, i;
	uint64_t c = 0;
	unsigned h;

	if (!s->dirty && s->sorted != NULL)
		return;
	it = dmo_xreallocarray(NULL, n ? n : 1, sizeof(*it));
	for (h = 0; h < s->nlevels; h++)
		for (i = 0; i < s->size[h]; i++) {
			it[j].v = s->level[h][i];
			it[j++].w = (uint64_t)1 << h;
		}
	qsort(it, n, sizeof(*it), cmp_witem);
	s->sorted = dmo_xreallocarray(s->sorted, n ? n : 1, sizeof(double));
	s->cum = dmo_xreallocarray(s->cum, n ? n : 1, sizeof(uint64_t));
	for (i = 0; i < n; i++) {
		c += it[i].w;
		s->sorted[i] = it[i].v;
		s->cum[i] = c;
	}
	s->nsorted = n;
	free(it);
	s->dirty = 0;
}

double
dmo_kll_quantile(struct dmo_kll *s, double q)
{
	uint64_t total, want;
	size_t lo, hi;

	if (s->n == 0)
		return NAN;
	if (q <= 0)
		return s->min;
	if (q >= 1)
		return s->max;
	prepare(s);
	total = s->cum[s->nsorted - 1];
	want = (uint64_t)ceil(q * (double)total);
	if (want == 0)
		want = 1;
	/* The first item whose cumulative weight reaches want. */
	lo = 0;
	hi = s->nsorted - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->cum[mid] >= want)
			hi = mid;
		else
			lo = mid + 1;
	}
	return s->sorted[lo];
}

double
dmo_kll_rank(struct dmo_kll *s, double x)
{
	size_t lo, hi;

	if (s->n == 0)
		return 0;
	prepare(s);
	/* The number of items <= x. */
	lo = 0;
	hi = s->nsorted;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->sorted[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	return (double)s->cum[lo - 1] / (double)s->cum[s->nsorted - 1];
}
