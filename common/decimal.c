/* decimal.c - exact decimal numbers from text: parse, compare, round, print. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"

#define EXP_LIMIT	1000000000LL

void
dmo_dec_release(struct dmo_dec *d)
{
	dmo_buf_release(&d->digits);
}

static int
isdig(int c)
{
	return c >= '0' && c <= '9';
}

int
dmo_dec_parse(struct dmo_dec *d, const char *p, size_t n)
{
	size_t i = 0, fracs = 0, nd = 0;
	long long e = 0;
	int eneg = 0;

	d->neg = 0;
	d->digits.len = 0;
	d->exp = 0;
	if (i < n && (p[i] == '+' || p[i] == '-'))
		d->neg = p[i++] == '-';
	for (; i < n && isdig(p[i]); i++, nd++)
		if (d->digits.len > 0 || p[i] != '0')
			dmo_buf_addc(&d->digits, p[i]);
	if (i < n && p[i] == '.') {
		i++;
		for (; i < n && isdig(p[i]); i++, nd++, fracs++)
			if (d->digits.len > 0 || p[i] != '0')
				dmo_buf_addc(&d->digits, p[i]);
	}
	if (nd == 0)
		return -1;
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		size_t ed = 0;

		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			eneg = p[i++] == '-';
		for (; i < n && isdig(p[i]); i++, ed++)
			if (e < EXP_LIMIT * 10)
				e = e * 10 + (p[i] - '0');
		if (ed == 0 || e > EXP_LIMIT)
			return -1;
	}
	if (i != n)
		return -1;
	d->exp = (eneg ? -e : e) - (long long)fracs;
	/*
	 * The place of the leading digit is what is bounded, so that any
	 * value read can be written with an exponent that reads back.
	 */
	if (d->digits.len > 0 &&
	    (d->exp + (long long)d->digits.len > EXP_LIMIT - 1 ||
	    d->exp + (long long)d->digits.len < -(EXP_LIMIT - 1)))
		return -1;
	dmo_buf_cstr(&d->digits);
	return 0;
}

void
dmo_dec_set_int(struct dmo_dec *d, long long v)
{
	char tmp[32];
	unsigned long long u;
	int k = 0;

	d->neg = v < 0;
	u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
	d->digits.len = 0;
	d->exp = 0;
	while (u > 0) {
		tmp[k++] = (char)('0' + u % 10);
		u /= 10;
	}
	while (k > 0)
		dmo_buf_addc(&d->digits, tmp[--k]);
	dmo_buf_cstr(&d->digits);
}

int
dmo_dec_is_zero(const struct dmo_dec *d)
{
	return d->digits.len == 0;
}

/* Significant digits without trailing zeros: length and exponent. */
static size_t
sig(const struct dmo_dec *d, long long *e)
{
	size_t n = d->digits.len;

	*e = d->exp;
	while (n > 0 && d->digits.p[n - 1] == '0') {
		n--;
		(*e)++;
	}
	return n;
}

static int
cmp_mag(const struct dmo_dec *a, const struct dmo_dec *b)
{
	long long ea, eb, ma, mb;
	size_t na = sig(a, &ea), nb = sig(b, &eb), i, len;

	if (na == 0 || nb == 0)
		return na == nb ? 0 : na == 0 ? -1 : 1;
	/* The place of the leading digit decides, then the digits. */
	ma = (long long)na + ea;
	mb = (long long)nb + eb;
	if (ma != mb)
		return ma < mb ? -1 : 1;
	len = na > nb ? na : nb;
	for (i = 0; i < len; i++) {
		int ca = i < na ? a->digits.p[i] : '0';
		int cb = i < nb ? b->digits.p[i] : '0';

		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return 0;
}

int
dmo_dec_cmp(const struct dmo_dec *a, const struct dmo_dec *b)
{
	int za = dmo_dec_is_zero(a), zb = dmo_dec_is_zero(b);
	int sa = za ? 0 : a->neg ? -1 : 1, sb = zb ? 0 : b->neg ? -1 : 1;

	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (sa == 0)
		return 0;
	return sa > 0 ? cmp_mag(a, b) : -cmp_mag(a, b);
}

int
dmo_dec_int64(const struct dmo_dec *d, long long *v)
{
	long long e;
	size_t n = sig(d, &e), i;
	unsigned long long u = 0, lim;

	*v = 0;
	if (n == 0)
		return 0;
	if (e < 0)
		return -1;
	if ((long long)n + e > 19)
		return -2;
	lim = d->neg ? 9223372036854775808ULL : 9223372036854775807ULL;
	for (i = 0; i < n + (size_t)e; i++) {
		unsigned c = i < n ? (unsigned)(d->digits.p[i] - '0') : 0;

		if (u > (lim - c) / 10)
			return -2;
		u = u * 10 + c;
	}
	*v = d->neg ? (long long)(0 - u) : (long long)u;
	return 0;
}

int
dmo_dec_round(struct dmo_dec *d, long scale)
{
	long long want = -(long long)scale;
	int inexact = 0;

	if (d->exp > want) {
		/* Add zeros: always exact. */
		if (d->digits.len > 0)
			while (d->exp > want) {
				dmo_buf_addc(&d->digits, '0');
				d->exp--;
			}
		else
			d->exp = want;
		dmo_buf_cstr(&d->digits);
		return 0;
	}
	if (d->exp < want) {
		long long drop = want - d->exp;
		size_t n = d->digits.len, keep;
		int up = 0, rest = 0, first;
		size_t i;

		if ((unsigned long long)drop > n) {
			/* Everything goes; below half of a unit. */
			inexact = n > 0;
			d->digits.len = 0;
			d->exp = want;
			dmo_buf_cstr(&d->digits);
			return inexact;
		}
		keep = n - (size_t)drop;
		first = d->digits.p[keep] - '0';
		for (i = keep + 1; i < n; i++)
			if (d->digits.p[i] != '0')
				rest = 1;
		inexact = first != 0 || rest;
		if (first > 5 || (first == 5 && rest))
			up = 1;
		else if (first == 5)
			up = keep > 0 && (d->digits.p[keep - 1] - '0') % 2 == 1;
		d->digits.len = keep;
		d->exp = want;
		if (up) {
			size_t j = keep;

			while (j > 0 && d->digits.p[j - 1] == '9')
				d->digits.p[--j] = '0';
			if (j > 0)
				d->digits.p[j - 1]++;
			else {
				/* All nines: one more digit in front. */
				dmo_buf_addc(&d->digits, '0');
				memmove(d->digits.p + 1, d->digits.p,
				    d->digits.len - 1);
				d->digits.p[0] = '1';
			}
		}
		/* No leading zeros. */
		i = 0;
		while (i < d->digits.len && d->digits.p[i] == '0')
			i++;
		if (i > 0) {
			memmove(d->digits.p, d->digits.p + i,
			    d->digits.len - i);
			d->digits.len -= i;
		}
		dmo_buf_cstr(&d->digits);
	}
	return inexact;
}

void
dmo_dec_put(const struct dmo_dec *d, struct dmo_buf *b)
{
	size_t n = d->digits.len, i;
	long long e = d->exp;

	if (d->neg)
		dmo_buf_addc(b, '-');
	if (e > 1000 || e < -1000 - (long long)n) {
		/* Keep the exponent: d.ddd e(E). */
		if (n == 0) {
			dmo_buf_adds(b, "0");
			return;
		}
		dmo_buf_addc(b, d->digits.p[0]);
		if (n > 1) {
			dmo_buf_addc(b, '.');
			dmo_buf_add(b, d->digits.p + 1, n - 1);
		}
		dmo_buf_printf(b, "e%lld", e + (long long)n - 1);
		return;
	}
	if (e >= 0) {
		if (n == 0)
			dmo_buf_addc(b, '0');
		else {
			dmo_buf_add(b, d->digits.p, n);
			for (i = 0; i < (size_t)e; i++)
				dmo_buf_addc(b, '0');
		}
		return;
	}
	{
		size_t frac = (size_t)-e;

		if (n > frac)
			dmo_buf_add(b, d->digits.p, n - frac);
		else
			dmo_buf_addc(b, '0');
		dmo_buf_addc(b, '.');
		for (i = n; i < frac; i++)
			dmo_buf_addc(b, '0');
		if (n > frac)
			dmo_buf_add(b, d->digits.p + n - frac, frac);
		else
			dmo_buf_add(b, d->digits.p, n);
	}
}

int
dmo_dec_canon(const char *p, size_t n, struct dmo_buf *out)
{
	size_t i = 0, s;
	int any = 0;

	if (i < n && (p[i] == '+' || p[i] == '-')) {
		if (p[i] == '-')
			dmo_buf_addc(out, '-');
		i++;
	}
	s = i;
	while (i < n && isdig(p[i]))
		i++;
	if (i > s) {
		size_t z = s;

		while (z + 1 < i && p[z] == '0')
			z++;
		dmo_buf_add(out, p + z, i - z);
		any = 1;
	} else
		dmo_buf_addc(out, '0');
	if (i < n && p[i] == '.') {
		size_t f = ++i;

		while (i < n && isdig(p[i]))
			i++;
		if (i > f) {
			dmo_buf_addc(out, '.');
			dmo_buf_add(out, p + f, i - f);
			any = 1;
		}
	}
	if (!any)
		return -1;
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		size_t e = i++;

		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		s = i;
		while (i < n && isdig(p[i]))
			i++;
		if (i == s)
			return -1;
		dmo_buf_add(out, p + e, i - e);
	}
	return i == n ? 0 : -1;
}

void
dmo_dec_from_double(struct dmo_dec *d, double v)
{
	char tmp[64];
	int prec;

	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	if (dmo_dec_parse(d, tmp, strlen(tmp)) != 0)
		dmo_dec_set_int(d, 0);
}
