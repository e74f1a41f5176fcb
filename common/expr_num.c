/* expr_num.c - exact integers and decimals, floats otherwise: read, compute, print. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exprimpl.h"

#define MAX_SCALE	18

/* 128-bit intermediates make decimal division and comparison exact. */
__extension__ typedef __int128 i128;

static const int64_t pow10_64[19] = {
	1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL,
	100000000LL, 1000000000LL, 10000000000LL, 100000000000LL,
	1000000000000LL, 10000000000000LL, 100000000000000LL,
	1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
	1000000000000000000LL
};

static double
lexeme_double(const char *p, size_t n)
{
	char buf[128], *s = buf;
	double d;

	if (n >= sizeof(buf))
		s = dmo_xmalloc(n + 1);
	memcpy(s, p, n);
	s[n] = '\0';
	d = strtod(s, NULL);
	if (s != buf)
		free(s);
	return d;
}

/*
 * Read number text: -?digits(.digits)?([eE][+-]?digits)?; leading zeros
 * are allowed (CSV's "007" is 7).  Integers that fit in 64 bits are
 * INT, decimals of at most 18 significant digits DEC, the rest FLOAT.
 */
int
xnum_lexeme(const char *p, size_t n, struct xval *out)
{
	const char *s = p, *end = p + n;
	int neg = 0, digits = 0, scale = 0, exp = 0, over = 0;
	int64_t m = 0;

	if (s < end && *s == '-') {
		neg = 1;
		s++;
	}
	if (s >= end || *s < '0' || *s > '9')
		return -1;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (m == 0 && *s == '0')
			continue;
		if (++digits > MAX_SCALE ||
		    __builtin_mul_overflow(m, 10, &m) ||
		    __builtin_add_overflow(m, *s - '0', &m))
			over = 1;
	}
	if (s < end && *s == '.') {
		s++;
		if (s >= end || *s < '0' || *s > '9')
			return -1;
		for (; s < end && *s >= '0' && *s <= '9'; s++) {
			scale++;
			if (m != 0 || *s != '0')
				digits++;
			if (digits > MAX_SCALE || scale > MAX_SCALE)
				over = 1;
			else
				m = m * 10 + (*s - '0');
		}
	}
	if (s < end && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < end && (*s == '+' || *s == '-'))
			s++;
		if (s >= end || *s < '0' || *s > '9')
			return -1;
		while (s < end && *s >= '0' && *s <= '9')
			s++;
		exp = 1;
	}
	if (s != end)
		return -1;
	memset(out, 0, sizeof(*out));
	if (exp || over) {
		/* Integers past 64 bits and long decimals are floats. */
		if (scale == 0 && !exp && digits <= 19 && n < 32) {
			/* 19 digits may still fit in 64 bits */
			char *e;
			long long v;
			char buf[32];

			memcpy(buf, p, n);
			buf[n] = '\0';
			errno = 0;
			v = strtoll(buf, &e, 10);
			if (*e == '\0' && errno == 0) {
				out->t = XV_INT;
				out->i = v;
				return 0;
			}
		}
		out->t = XV_FLOAT;
		out->f = lexeme_double(p, n);
		return 0;
	}
	out->t = scale == 0 ? XV_INT : XV_DEC;
	out->i = neg ? -m : m;
	out->scale = scale;
	return 0;
}

int
xnum_is_numeric_text(const char *p, size_t n)
{
	struct xval v;

	return n > 0 && xnum_lexeme(p, n, &v) == 0;
}

int
xnum_get(const struct xval *v, struct xval *out)
{
	switch (v->t) {
	case XV_INT:
	case XV_DEC:
	case XV_FLOAT:
		*out = *v;
		return 0;
	case XV_NUM:
	case XV_STR:
		return xnum_lexeme(v->p, v->n, out);
	default:
		return -1;
	}
}

double
xnum_double(const struct xval *v)
{
	switch (v->t) {
	case XV_INT:
		return (double)v->i;
	case XV_DEC:
		return (double)v->i / (double)pow10_64[v->scale];
	case XV_FLOAT:
		return v->f;
	default:
		return 0;
	}
}

/* m * 10^k, checked. */
static int
scale_up(int64_t m, int k, int64_t *out)
{
	if (k > MAX_SCALE)
		return m == 0 ? (*out = 0, 0) : -1;
	return __builtin_mul_overflow(m, pow10_64[k], out) ? -1 : 0;
}

static int
finite_or_err(struct xctx *cx, struct xnode *n, struct xval *r)
{
	if (!isfinite(r->f))
		return xerr(cx, n, "not a finite number");
	return 0;
}

static int
int_or_dec(struct xval *r, int64_t m, int scale)
{
	r->t = scale == 0 ? XV_INT : XV_DEC;
	r->i = m;
	r->scale = scale;
	return 0;
}

/*
 * a / b exactly when the quotient has at most 18 decimal places and fits;
 * 1 done, 0 not exact.
 */
static int
dec_div(int64_t a, int sa, int64_t b, int sb, struct xval *r)
{
	int s;

	for (s = 0; s <= MAX_SCALE; s++) {
		int e = s + sb - sa;
		i128 num = a, den = b, q;

		if (e >= 0) {
			if (e > 36)
				return 0;
			while (e-- > 0) {
				/* Past 2^122 another digit could overflow. */
				if (num > ((i128)1 << 122) ||
				    num < -((i128)1 << 122))
					return 0;
				num *= 10;
			}
		} else {
			while (e++ < 0)
				den *= 10;
		}
		if (num % den != 0)
			continue;
		q = num / den;
		if (q > INT64_MAX || q < INT64_MIN)
			return 0;
		int_or_dec(r, (int64_t)q, s);
		return 1;
	}
	return 0;
}

static const char *
opname(int op)
{
	switch (op) {
	case N_ADD: return "+";
	case N_SUB: return "-";
	case N_MUL: return "*";
	case N_DIV: return "/";
	case N_IDIV: return "//";
	default: return "%";
	}
}

static int
overflow(struct xctx *cx, struct xnode *n, int op, const struct xval *a,
    const struct xval *b, const char *what)
{
	char x[64], y[64];

	xnum_format(a, x, sizeof(x));
	xnum_format(b, y, sizeof(y));
	return xerr(cx, n, "%s overflow: %s %s %s", what, x, opname(op), y);
}

int
xnum_arith(struct xctx *cx, struct xnode *n, int op, const struct xval *a,
    const struct xval *b, struct xval *r)
{
	memset(r, 0, sizeof(*r));
	if (a->t == XV_FLOAT || b->t == XV_FLOAT) {
		double x = xnum_double(a), y = xnum_double(b);

		r->t = XV_FLOAT;
		switch (op) {
		case N_ADD: r->f = x + y; break;
		case N_SUB: r->f = x - y; break;
		case N_MUL: r->f = x * y; break;
		case N_DIV:
		case N_IDIV:
		case N_MOD:
			if (y == 0)
				return xerr(cx, n, "division by zero");
			if (op == N_DIV)
				r->f = x / y;
			else if (op == N_IDIV)
				r->f = floor(x / y);
			else {
				r->f = fmod(x, y);
				if (r->f != 0 && ((r->f < 0) != (y < 0)))
					r->f += y;
			}
			break;
		}
		return finite_or_err(cx, n, r);
	}
	if (a->t == XV_INT && b->t == XV_INT) {
		int64_t x = a->i, y = b->i;

		r->t = XV_INT;
		switch (op) {
		case N_ADD:
			if (__builtin_add_overflow(x, y, &r->i))
				return overflow(cx, n, op, a, b, "integer");
			return 0;
		case N_SUB:
			if (__builtin_sub_overflow(x, y, &r->i))
				return overflow(cx, n, op, a, b, "integer");
			return 0;
		case N_MUL:
			if (__builtin_mul_overflow(x, y, &r->i))
				return overflow(cx, n, op, a, b, "integer");
			return 0;
		default:
			break;
		}
		if (y == 0)
			return xerr(cx, n, "division by zero");
		if (x == INT64_MIN && y == -1)
			return overflow(cx, n, op, a, b, "integer");
		if (op == N_IDIV) {
			r->i = x / y;
			if ((x % y != 0) && ((x < 0) != (y < 0)))
				r->i--;
			return 0;
		}
		if (op == N_MOD) {
			r->i = x % y;
			if (r->i != 0 && ((r->i < 0) != (y < 0)))
				r->i += y;
			return 0;
		}
		if (dec_div(x, 0, y, 0, r))
			return 0;
		r->t = XV_FLOAT;
		r->f = (double)x / (double)y;
		return 0;
	}
	/* Decimals (an integer is a decimal of scale 0). */
	{
		int sa = a->t == XV_DEC ? a->scale : 0;
		int sb = b->t == XV_DEC ? b->scale : 0;
		int s = sa > sb ? sa : sb;
		int64_t x, y;

		if (op == N_MUL) {
			if (__builtin_mul_overflow(a->i, b->i, &x))
				return overflow(cx, n, op, a, b, "decimal");
			s = sa + sb;
			while (s > MAX_SCALE && x % 10 == 0) {
				x /= 10;
				s--;
			}
			if (s > MAX_SCALE)
				return overflow(cx, n, op, a, b, "decimal");
			return int_or_dec(r, x, s);
		}
		if (op == N_DIV) {
			if (b->i == 0)
				return xerr(cx, n, "division by zero");
			if (dec_div(a->i, sa, b->i, sb, r))
				return 0;
			r->t = XV_FLOAT;
			r->f = xnum_double(a) / xnum_double(b);
			return finite_or_err(cx, n, r);
		}
		if (scale_up(a->i, s - sa, &x) != 0 ||
		    scale_up(b->i, s - sb, &y) != 0)
			return overflow(cx, n, op, a, b, "decimal");
		switch (op) {
		case N_ADD:
			if (__builtin_add_overflow(x, y, &x))
				return overflow(cx, n, op, a, b, "decimal");
			return int_or_dec(r, x, s);
		case N_SUB:
			if (__builtin_sub_overflow(x, y, &x))
				return overflow(cx, n, op, a, b, "decimal");
			return int_or_dec(r, x, s);
		default:
			break;
		}
		if (y == 0)
			return xerr(cx, n, "division by zero");
		if (op == N_IDIV) {
			int64_t q = x / y;

			if ((x % y != 0) && ((x < 0) != (y < 0)))
				q--;
			return int_or_dec(r, q, 0);
		}
		x = x % y;
		if (x != 0 && ((x < 0) != (y < 0)))
			x += y;
		return int_or_dec(r, x, s);
	}
}

int
xnum_cmp(const struct xval *a, const struct xval *b)
{
	if (a->t == XV_FLOAT || b->t == XV_FLOAT) {
		double x = xnum_double(a), y = xnum_double(b);

		return x < y ? -1 : x > y;
	} else {
		int sa = a->t == XV_DEC ? a->scale : 0;
		int sb = b->t == XV_DEC ? b->scale : 0;
		i128 x = a->i, y = b->i;
		int k;

		for (k = sa; k < sb; k++)
			x *= 10;
		for (k = sb; k < sa; k++)
			y *= 10;
		return x < y ? -1 : x > y;
	}
}

size_t
xnum_format(const struct xval *v, char *buf, size_t cap)
{
	int len, prec;

	switch (v->t) {
	case XV_INT:
		return (size_t)snprintf(buf, cap, "%lld", (long long)v->i);
	case XV_DEC: {
		uint64_t m = v->i < 0 ? -(uint64_t)v->i : (uint64_t)v->i;
		char digits[32];
		int nd, o = 0, i;

		nd = snprintf(digits, sizeof(digits), "%llu",
		    (unsigned long long)m);
		if (v->i < 0)
			buf[o++] = '-';
		if (nd <= v->scale) {
			buf[o++] = '0';
			buf[o++] = '.';
			for (i = nd; i < v->scale; i++)
				buf[o++] = '0';
			memcpy(buf + o, digits, (size_t)nd);
			o += nd;
		} else {
			memcpy(buf + o, digits, (size_t)(nd - v->scale));
			o += nd - v->scale;
			buf[o++] = '.';
			memcpy(buf + o, digits + nd - v->scale,
			    (size_t)v->scale);
			o += v->scale;
		}
		buf[o] = '\0';
		return (size_t)o;
	}
	case XV_FLOAT:
		/* The shortest text that reads back as the same double. */
		for (prec = 1; prec <= 17; prec++) {
			len = snprintf(buf, cap, "%.*e", prec - 1, v->f);
			if (strtod(buf, NULL) == v->f)
				break;
		}
		{
			/* Plain notation from 1e-7 to 1e21, as JavaScript. */
			const char *e = strchr(buf, 'e');
			int x = e != NULL ? atoi(e + 1) : 0;

			if (x > -7 && x < 21) {
				int dec = prec - 1 - x;

				len = snprintf(buf, cap, "%.*f", dec > 0 ? dec : 0,
				    v->f);
			} else if (e != NULL) {
				/* 1.5e+30 -> 1.5e30, 1e-07 -> 1e-7 */
				char mant[32];
				size_t m = (size_t)(e - buf);

				memcpy(mant, buf, m);
				mant[m] = '\0';
				len = snprintf(buf, cap, "%se%d", mant, x);
			}
		}
		return (size_t)len;
	case XV_NUM:
		len = snprintf(buf, cap, "%.*s", (int)v->n, v->p);
		return (size_t)len < cap ? (size_t)len : cap - 1;
	default:
		buf[0] = '\0';
		return 0;
	}
}
