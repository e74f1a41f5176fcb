/* hll.c - HyperLogLog with Ertl's improved estimator. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hll.h"

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
