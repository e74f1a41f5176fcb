/* test_sketch.c - the sketches' errors within their stated bounds. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hll.h"
#include "kll.h"
#include "topk.h"

#include "testhelp.h"

#define N	1000000

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
test_hash(void)
{
	CHECK(dmo_hash64("a", 1) != dmo_hash64("a\0", 2), "hash: length counts");
	CHECK(dmo_hash64("", 0) != dmo_hash64("\0", 1), "hash: empty and NUL");
	CHECK(dmo_hash64("abcdefghijklmnopq", 17) !=
	    dmo_hash64("abcdefghijklmnopr", 17), "hash: the 17th byte counts");
	CHECK(dmo_hash64("x", 1) == dmo_hash64("x", 1), "hash: stable");
	/*
	 * The values themselves are kept in --state files: pin them, for
	 * every length of the short tails (read without memcpy) and the
	 * 16-byte blocks.  Figures from the first version of dmo_hash64.
	 */
	{
		unsigned char b[64];
		uint64_t acc = 0;
		size_t i, n;

		for (i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)(i * 37 + 200);
		for (n = 0; n <= 40; n++)
			acc = acc * 31 + dmo_hash64(b, n);
		CHECK(acc == 0x5a6fcc145a4c1f3cULL,
		    "hash: the same values for lengths 0 to 40");
		CHECK(dmo_hash64("hello", 5) == 0x761cd596ed6d9fa1ULL &&
		    dmo_hash64("", 0) == 0x730b160de6496655ULL,
		    "hash: the same values for \"hello\" and \"\"");
	}
}

static void
test_hll(void)
{
	static const unsigned long sizes[] = { 1, 10, 1000, 20000, 100000,
	    N };
	char t[32];
	size_t i;
	unsigned long j;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct dmo_hll *h = dmo_hll_new();
		double e, rel;
		char name[96];

		for (j = 0; j < sizes[i]; j++) {
			int n = snprintf(t, sizeof(t), "value-%lu", j);

			dmo_hll_add(h, dmo_hash64(t, (size_t)n));
			dmo_hll_add(h, dmo_hash64(t, (size_t)n)); /* again */
		}
		e = dmo_hll_estimate(h);
		rel = fabs(e - (double)sizes[i]) / (double)sizes[i];
		snprintf(name, sizeof(name), "hll: %lu distinct within 3 x %.4f "
		    "(estimate %.0f)", sizes[i], DMO_HLL_ERROR, e);
		CHECK(rel <= 3 * DMO_HLL_ERROR, name);
		dmo_hll_free(h);
	}
	{
		struct dmo_hll *a = dmo_hll_new(), *b = dmo_hll_new(),
		    *all = dmo_hll_new();

		CHECK(dmo_hll_estimate(a) == 0, "hll: empty is 0");
		for (j = 0; j < 200000; j++) {
			int n = snprintf(t, sizeof(t), "%lu", j);
			uint64_t x = dmo_hash64(t, (size_t)n);

			dmo_hll_add(j % 3 ? a : b, x);
			dmo_hll_add(all, x);
		}
		dmo_hll_merge(a, b);
		CHECK(memcmp(a->reg, all->reg, DMO_HLL_M) == 0,
		    "hll: a merge is the sketch of the union");
		dmo_hll_free(a);
		dmo_hll_free(b);
		dmo_hll_free(all);
	}
}

/* The largest rank error over the percentiles, values 0..n-1 shuffled. */
static double
kll_worst(struct dmo_kll *s, unsigned long n)
{
	double worst = 0;
	int q;

	for (q = 1; q < 100; q++) {
		double v = dmo_kll_quantile(s, q / 100.0);
		double r = (v + 1) / (double)n;	/* the true rank of v */
		double e = fabs(r - q / 100.0);

		if (e > worst)
			worst = e;
	}
	return worst;
}

static void
test_kll(void)
{
	double *v = malloc(N * sizeof(double)), w;
	struct dmo_kll *s = dmo_kll_new(DMO_KLL_K), *part[4], *m;
	unsigned long i;
	char name[128];
	size_t kept = 0;
	unsigned h;

	if (v == NULL)
		bail("out of memory");
	for (i = 0; i < N; i++)
		v[i] = (double)i;
	for (i = N - 1; i > 0; i--) {
		unsigned long j = next() % (i + 1);
		double x = v[i];

		v[i] = v[j];
		v[j] = x;
	}
	for (i = 0; i < 4; i++)
		part[i] = dmo_kll_new(DMO_KLL_K);
	for (i = 0; i < N; i++) {
		dmo_kll_add(s, v[i]);
		dmo_kll_add(part[i % 4], v[i]);
	}
	for (h = 0; h < s->nlevels; h++)
		kept += s->size[h];
	snprintf(name, sizeof(name), "kll: 1,000,000 values kept in %zu "
	    "items (at most 1000)", kept);
	CHECK(kept <= 1000, name);
	w = kll_worst(s, N);
	snprintf(name, sizeof(name), "kll: rank error %.5f within %.4f", w,
	    DMO_KLL_ERROR);
	CHECK(w <= DMO_KLL_ERROR, name);
	CHECK(dmo_kll_quantile(s, 0) == 0 && dmo_kll_quantile(s, 1) == N - 1,
	    "kll: p0 and p100 are the exact min and max");
	w = fabs(dmo_kll_rank(s, 499999) - 0.5);
	snprintf(name, sizeof(name), "kll: rank of the median %.5f off", w);
	CHECK(w <= DMO_KLL_ERROR, name);
	m = part[0];
	for (i = 1; i < 4; i++)
		dmo_kll_merge(m, part[i]);
	CHECK(m->n == N, "kll: a merge counts every value");
	w = kll_worst(m, N);
	snprintf(name, sizeof(name), "kll: merged, rank error %.5f within "
	    "%.4f", w, DMO_KLL_ERROR);
	CHECK(w <= DMO_KLL_ERROR, name);
	CHECK(isnan(dmo_kll_quantile(part[1], 0.5)) == 0,
	    "kll: a merged-from sketch still answers");
	for (i = 0; i < 4; i++)
		dmo_kll_free(part[i]);
	dmo_kll_free(s);
	free(v);
	{
		struct dmo_kll *e = dmo_kll_new(DMO_KLL_K);

		CHECK(isnan(dmo_kll_quantile(e, 0.5)), "kll: empty gives NaN");
		dmo_kll_add(e, 7);
		CHECK(dmo_kll_quantile(e, 0.5) == 7, "kll: one value");
		dmo_kll_free(e);
	}
}

/* A skewed stream: value i with weight about 1/(i+1) over 100,000. */
static unsigned long
skewed(void)
{
	double u = (double)(next() >> 11) / 9007199254740992.0;

	return (unsigned long)(pow(100001.0, u)) - 1;
}

static int
topk_bounds(const struct dmo_topk *t, const unsigned long long *truth,
    unsigned long n, size_t cap, const char *what)
{
	char name[160];
	size_t i;
	int ok = 1;
	unsigned long heavy_missing = 0;

	for (i = 0; i < t->n; i++) {
		const struct dmo_topk_item *it = &t->item[i];
		unsigned long v = strtoul(it->text, NULL, 10);

		if (it->count < truth[v] || it->count - it->error > truth[v] ||
		    it->error > n / cap)
			ok = 0;
	}
	snprintf(name, sizeof(name), "topk: %s: count - error <= true <= "
	    "count, error <= n/%zu", what, cap);
	CHECK(ok, name);
	for (i = 0; i <= 100000; i++)
		if (truth[i] > n / cap) {
			char s[24];
			int len = snprintf(s, sizeof(s), "%zu", i);
			size_t j;
			uint64_t h = dmo_hash64(s, (size_t)len);

			for (j = 0; j < t->n && t->item[j].hash != h; j++)
				;
			if (j == t->n)
				heavy_missing++;
		}
	snprintf(name, sizeof(name), "topk: %s: every value above n/%zu is "
	    "kept (%lu missing)", what, cap, heavy_missing);
	CHECK(heavy_missing == 0, name);
	return ok;
}

struct ch {
	unsigned long long	 count;
	uint64_t		 hash;
};

static int
cmp_ch(const void *a, const void *b)
{
	const struct ch *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/*
 * When a table turns approximate it keeps the capacity most counted
 * (count, then hash), in that order, and the next one's count is the
 * offset.  It selects them rather than sorting all: check the outcome
 * against a full sort, with many equal counts so that hashes decide,
 * for a few sizes around the capacity.
 */
static void
test_topk_switch(void)
{
	static const size_t limits[] = { 50, 51, 52, 53, 100, 3000 };
	size_t li, bad = 0;

	for (li = 0; li < sizeof(limits) / sizeof(limits[0]); li++) {
		size_t lim = limits[li], cap = 50, i, k;
		struct dmo_topk *t = dmo_topk_new(lim, cap);
		struct ch *want = calloc(lim + 1, sizeof(*want));
		char s[24];

		if (want == NULL)
			bail("out of memory");
		for (i = 0; i <= lim; i++) {
			int len = snprintf(s, sizeof(s), "v%zu", i);
			unsigned long long c = i == lim ? 1 : (i * 7919) % 13 + 1;
			uint64_t h = dmo_hash64(s, (size_t)len);

			want[i].count = c;
			want[i].hash = h;
			for (k = 0; k < c; k++)
				dmo_topk_add(t, h, s, (size_t)len, 0, 1, 0);
		}
		qsort(want, lim + 1, sizeof(*want), cmp_ch);
		if (t->exact || t->n != (lim + 1 > cap ? cap : lim + 1))
			bad++;
		for (i = 0; i < t->n && i < cap; i++)
			if (t->item[i].count != want[i].count ||
			    t->item[i].hash != want[i].hash)
				bad++;
		if (lim + 1 > cap && t->offset != want[cap].count)
			bad++;
		free(want);
		dmo_topk_free(t);
	}
	CHECK_EQ(bad, 0, "topk: turning approximate keeps the most counted, "
	    "in order");
}

static void
test_topk(void)
{
	unsigned long long *truth = calloc(100001, sizeof(*truth));
	struct dmo_topk *t = dmo_topk_new(1000, 100);
	struct dmo_topk *a = dmo_topk_new(1000, 100), *b = dmo_topk_new(1000,
	    100);
	struct dmo_topk *e = dmo_topk_new(10000, 100), *e2 = dmo_topk_new(10000,
	    100);
	struct dmo_topk_item **v;
	unsigned long i;
	char s[24];

	if (truth == NULL)
		bail("out of memory");
	for (i = 0; i < N; i++) {
		unsigned long x = skewed();
		int len = snprintf(s, sizeof(s), "%lu", x);
		uint64_t h = dmo_hash64(s, (size_t)len);

		truth[x]++;
		dmo_topk_add(t, h, s, (size_t)len, 0, 1, 0);
		dmo_topk_add(i < N / 3 ? a : b, h, s, (size_t)len, 0, 1, 0);
	}
	CHECK(!t->exact && t->n <= 200, "topk: past the limit, at most 200 counters");
	topk_bounds(t, truth, N, 100, "one pass");
	dmo_topk_merge(a, b);
	/* Merged summaries: error at most n/cap for each side, so 2n/cap. */
	topk_bounds(a, truth, N, 50, "merged");
	dmo_topk_sorted(t, &v);
	CHECK(strcmp(v[0]->text, "0") == 0, "topk: the most frequent first");
	free(v);
	/* Exact below the limit, and exact merges. */
	for (i = 0; i < 5000; i++) {
		int len = snprintf(s, sizeof(s), "%lu", i % 1000);

		dmo_topk_add(i % 2 ? e : e2, dmo_hash64(s, (size_t)len), s,
		    (size_t)len, 0, 1, 0);
	}
	dmo_topk_merge(e, e2);
	CHECK(e->exact && e->n == 1000, "topk: exact tables merge exactly");
	for (i = 0; i < e->n; i++)
		if (e->item[i].count != 5 || e->item[i].error != 0)
			break;
	CHECK(i == e->n, "topk: exact counts after a merge");
	dmo_topk_free(t);
	dmo_topk_free(a);
	dmo_topk_free(b);
	dmo_topk_free(e);
	dmo_topk_free(e2);
	free(truth);
}

int
main(void)
{
	test_hash();
	test_hll();
	test_kll();
	test_topk();
	test_topk_switch();
	return done();
}
