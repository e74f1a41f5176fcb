/* hll.c - HyperLogLog with Ertl's improved estimator. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hll.h"

static inline uint64_t
fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

/* The 128-bit product folded to 64 bits (as wyhash): every bit mixed. */
__extension__ typedef unsigned __int128 u128;

static inline uint64_t
mum(uint64_t a, uint64_t b)
{
	u128 r = (u128)a * b;

	return (uint64_t)(r >> 64) ^ (uint64_t)r;
}

/*
 * The n <= 8 bytes at s as memcpy(&a, s, n) into a zeroed word gives
 * them, without calling memcpy for a length it cannot know: two loads
 * that overlap (the bytes both hold are the same), or three single
 * bytes below four.  Other byte orders keep memcpy.
 */
static inline uint64_t
load_small(const unsigned char *s, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint32_t lo, hi;

	if (n >= 4) {
		memcpy(&lo, s, 4);
		memcpy(&hi, s + n - 4, 4);
		return (uint64_t)lo | (uint64_t)hi << (8 * (n - 4));
	}
	if (n == 0)
		return 0;
	return (uint64_t)s[0] | (uint64_t)s[n / 2] << (8 * (n / 2)) |
	    (uint64_t)s[n - 1] << (8 * (n - 1));
#else
	uint64_t a = 0;

	memcpy(&a, s, n);
	return a;
#endif
}

uint64_t
dmo_hash64(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xa0761d6478bd642fULL ^ n, a, b;

	while (n > 16) {
		memcpy(&a, s, 8);
		memcpy(&b, s + 8, 8);
		h = mum(a ^ 0xe7037ed1a0b428dbULL, b ^ h);
		s += 16;
		n -= 16;
	}
	b = 0;
	if (n > 8) {
		memcpy(&a, s, 8);
		b = load_small(s + 8, n - 8);
	} else
		a = load_small(s, n);
	h = mum(a ^ 0xe7037ed1a0b428dbULL, b ^ h ^ 0x8ebc6af09c88c6e3ULL);
	return fmix64(h ^ (uint64_t)n);
}

struct dmo_hll *
dmo_hll_new(void)
{
	return dmo_xcalloc(1, sizeof(struct dmo_hll));
}

void
dmo_hll_free(struct dmo_hll *h)
{
	free(h);
}

void
dmo_hll_merge(struct dmo_hll *dst, const struct dmo_hll *src)
{
	size_t i;

	for (i = 0; i < DMO_HLL_M; i++)
		if (src->reg[i] > dst->reg[i])
			dst->reg[i] = src->reg[i];
}

static double
sigma(double x)
{
	double y = 1, z = x, zp;

	if (x == 1)
		return INFINITY;
	do {
		x *= x;
		zp = z;
		z += x * y;
		y += y;
	} while (z != zp);
	return z;
}

static double
tau(double x)
{
	double y = 1, z, zp;

	if (x == 0 || x == 1)
		return 0;
	z = 1 - x;
	do {
		x = sqrt(x);
		zp = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != zp);
	return z / 3;
}

double
dmo_hll_estimate(const struct dmo_hll *h)
{
	enum { Q = 64 - DMO_HLL_P };
	unsigned long c[Q + 2] = { 0 };
	double m = DMO_HLL_M, z;
	size_t i;
	int k;

	for (i = 0; i < DMO_HLL_M; i++)
		c[h->reg[i]]++;
	if (c[0] == DMO_HLL_M)
		return 0;
	z = m * tau(1 - (double)c[Q + 1] / m);
	for (k = Q; k >= 1; k--)
		z = 0.5 * (z + (double)c[k]);
	z += m * sigma((double)c[0] / m);
	return m * m / (2 * log(2)) / z;
}
