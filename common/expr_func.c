/* expr_func.c - the language's functions: strings, regexes, numbers, hashes, types, JSON. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exprimpl.h"
#include "unicode.h"
#include "value.h"

#define U	__attribute__((unused))
#define ARGS	struct xctx *cx U, struct xnode *n U, struct xval *a U, \
		size_t na U, struct xval *r U

static int
set_str(struct xval *r, const char *p, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->t = XV_STR;
	r->p = p;
	r->n = len;
	return 0;
}

static int
set_bool(struct xval *r, int b)
{
	memset(r, 0, sizeof(*r));
	r->t = XV_BOOL;
	r->i = b != 0;
	return 0;
}

static int
set_int(struct xval *r, int64_t i)
{
	memset(r, 0, sizeof(*r));
	r->t = XV_INT;
	r->i = i;
	return 0;
}

/* Text of a scalar argument; arrays and objects are a type error. */
static int
text(struct xctx *cx, struct xnode *n, const struct xval *v, const char **p,
    size_t *len)
{
	if (v->t == XV_ARR || v->t == XV_OBJ)
		return xerr(cx, n, "%s: not a string: %s", n->fn->name,
		    xval_type_name(v));
	return xval_text(cx, v, p, len);
}

static int
integer(struct xctx *cx, struct xnode *n, const struct xval *v, int64_t *out)
{
	struct xval x;

	if (xnum_get(v, &x) != 0 || x.t != XV_INT)
		return xerr(cx, n, "%s: not an integer: %s", n->fn->name,
		    v->t == XV_STR ? dmo_quote(v->p, v->n) :
		    xval_type_name(v));
	*out = x.i;
	return 0;
}

static int
number(struct xctx *cx, struct xnode *n, const struct xval *v, struct xval *out)
{
	if (xnum_get(v, out) != 0)
		return xerr(cx, n, "%s: not a number: %s", n->fn->name,
		    v->t == XV_STR ? dmo_quote(v->p, v->n) :
		    xval_type_name(v));
	return 0;
}

/* The byte offset of code point k in p/len (len when past the end). */
static size_t
cp_offset(const char *p, size_t len, size_t k)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((unsigned char)p[i] & 0xc0) != 0x80 && k-- == 0)
			return i;
	return len;
}

static size_t
cp_count(const char *p, size_t len)
{
	size_t i, c = 0;

	for (i = 0; i < len; i++)
		c += ((unsigned char)p[i] & 0xc0) != 0x80;
	return c;
}

static int
f_length(ARGS)
{
	const char *p;
	size_t len, pos = 0;
	int64_t c = 0;
	struct xval el;

	(void)na;
	if (a[0].t == XV_ARR) {
		while (xjson_next(a[0].p, a[0].n, &pos, &el, cx->arena))
			c++;
		return set_int(r, c);
	}
	if (a[0].t == XV_OBJ) {
		const char *s = a[0].p + 1, *end = a[0].p + a[0].n - 1;

		/* Members: count the values at depth 1 by their keys. */
		while (s < end) {
			size_t k = xjson_skip(s, end);	/* key */

			if (k == 0)
				break;
			s += k + 1;	/* ':' */
			k = xjson_skip(s, end);
			if (k == 0)
				break;
			s += k;
			c++;
			if (s < end && *s == ',')
				s++;
		}
		return set_int(r, c);
	}
	if (text(cx, n, &a[0], &p, &len) != 0)
		return -1;
	return set_int(r, (int64_t)cp_count(p, len));
}

/* Case mapping, the Unicode way (unicode.c, through utf8proc). */
static int
xcase(int upper, const char *p, size_t n, struct dmo_buf *out)
{
	return upper ? dmo_uni_upper(p, n, out) : dmo_uni_lower(p, n, out);
}

static int
f_case(ARGS, int upper)
{
	struct dmo_buf *b = &cx->prog->tmp;
	const char *p;
	size_t len;

	(void)na;
	if (text(cx, n, &a[0], &p, &len) != 0)
		return -1;
	b->len = 0;
	if (xcase(upper, p, len, b) < 0)
		return xerr(cx, n, "%s: not UTF-8: %s", n->fn->name,
		    dmo_quote(p, len));
	return set_str(r, xarena_dup(cx->arena, b->p, b->len), b->len);
}

static int f_upper(ARGS) { return f_case(cx, n, a, na, r, 1); }
static int f_lower(ARGS) { return f_case(cx, n, a, na, r, 0); }

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

static int
f_trim_side(ARGS, int left, int right)
{
	const char *p;
	size_t len;

	(void)na;
	if (text(cx, n, &a[0], &p, &len) != 0)
		return -1;
	while (left && len > 0 && is_space((unsigned char)*p)) {
		p++;
		len--;
	}
	while (right && len > 0 && is_space((unsigned char)p[len - 1]))
		len--;
	return set_str(r, p, len);
}

static int f_trim(ARGS) { return f_trim_side(cx, n, a, na, r, 1, 1); }
static int f_ltrim(ARGS) { return f_trim_side(cx, n, a, na, r, 1, 0); }
static int f_rtrim(ARGS) { return f_trim_side(cx, n, a, na, r, 0, 1); }

/* substr(s, start[, count]): 1-based code points; start < 0 from the end. */
static int
f_substr(ARGS)
{
	const char *p;
	size_t len, total, b, e;
	int64_t start, count = INT64_MAX;

	if (text(cx, n, &a[0], &p, &len) != 0 ||
	    integer(cx, n, &a[1], &start) != 0 ||
	    (na > 2 && integer(cx, n, &a[2], &count) != 0))
		return -1;
	if (count < 0)
		return xerr(cx, n, "substr: negative count: %lld",
		    (long long)count);
	total = cp_count(p, len);
	if (start < 0)
		start = (int64_t)total + start + 1;
	if (start < 1) {
		if (count != INT64_MAX)
			count = count + start - 1 < 0 ? 0 : count + start - 1;
		start = 1;
	}
	b = cp_offset(p, len, (size_t)start - 1);
	e = count == INT64_MAX || (uint64_t)count > total ? len :
	    cp_offset(p + b, len - b, (size_t)count) + b;
	return set_str(r, p + b, e - b);
}

static int
f_split(ARGS)
{
	struct dmo_buf *b = &cx->prog->tmp;
	const char *p, *s, *end, *q;
	size_t len, slen;

	(void)na;
	if (text(cx, n, &a[0], &p, &len) != 0 ||
	    text(cx, n, &a[1], &s, &slen) != 0)
		return -1;
	b->len = 0;
	dmo_buf_addc(b, '[');
	end = p + len;
	if (slen == 0) {
		/* Into characters. */
		while (p < end) {
			size_t k = 1;

			while (p + k < end && ((unsigned char)p[k] & 0xc0) == 0x80)
				k++;
			if (b->len > 1)
				dmo_buf_addc(b, ',');
			dmo_json_buf_string(b, p, k);
			p += k;
		}
	} else {
		for (;;) {
			q = p;
			while (q + slen <= end && memcmp(q, s, slen) != 0)
				q++;
			if (q + slen > end)
				q = end;
			if (b->len > 1)
				dmo_buf_addc(b, ',');
			dmo_json_buf_string(b, p, (size_t)(q - p));
			if (q == end)
				break;
			p = q + slen;
		}
	}
	dmo_buf_addc(b, ']');
	memset(r, 0, sizeof(*r));
	r->t = XV_ARR;
	r->p = xarena_dup(cx->arena, b->p, b->len);
	r->n = b->len;
	return 0;
}

static int
f_join(ARGS)
{
	struct dmo_buf *b = &cx->prog->tmp;
	const char *s, *p;
	size_t slen, pos = 0, len;
	struct xval el;
	int first = 1;

	(void)na;
	if (a[0].t != XV_ARR)
		return xerr(cx, n, "join: not an array: %s",
		    xval_type_name(&a[0]));
	if (text(cx, n, &a[1], &s, &slen) != 0)
		return -1;
	b->len = 0;
	while (xjson_next(a[0].p, a[0].n, &pos, &el, cx->arena)) {
		if (el.t == XV_NULL)
			continue;
		if (!first)
			dmo_buf_add(b, s, slen);
		first = 0;
		xval_text(cx, &el, &p, &len);
		dmo_buf_add(b, p, len);
	}
	return set_str(r, xarena_dup(cx->arena, b->p, b->len), b->len);
}

static int
f_replace(ARGS)
{
	struct dmo_buf *b = &cx->prog->tmp;
	const char *p, *f, *t, *end, *q;
	size_t len, flen, tlen;

	(void)na;
	if (text(cx, n, &a[0], &p, &len) != 0 ||
	    text(cx, n, &a[1], &f, &flen) != 0 ||
	    text(cx, n, &a[2], &t, &tlen) != 0)
		return -1;
	if (flen == 0)
		return set_str(r, p, len);
	b->len = 0;
	end = p + len;
	for (q = p; q + flen <= end;) {
		if (memcmp(q, f, flen) == 0) {
			dmo_buf_add(b, p, (size_t)(q - p));
			dmo_buf_add(b, t, tlen);
			p = q = q + flen;
		} else
			q++;
	}
	dmo_buf_add(b, p, (size_t)(end - p));
	return set_str(r, xarena_dup(cx->arena, b->p, b->len), b->len);
}

static int
f_pad(ARGS, int left)
{
	struct dmo_buf *b = &cx->prog->tmp;
	const char *p, *pad = " ";
	size_t len, plen = 1, have, i;
	int64_t width;

	if (text(cx, n, &a[0], &p, &len) != 0 ||
	    integer(cx, n, &a[1], &width) != 0 ||
	    (na > 2 && text(cx, n, &a[2], &pad, &plen) != 0))
		return -1;
	if (cp_count(pad, plen) != 1)
		return xerr(cx, n, "%s: the padding is not one character: %s",
		    n->fn->name, dmo_quote(pad, plen));
	if (width > 1000000)
		return xerr(cx, n, "%s: width too large: %lld", n->fn->name,
		    (long long)width);
	have = cp_count(p, len);
	if (width <= 0 || have >= (size_t)width)
		return set_str(r, p, len);
	b->len = 0;
	if (!left)
		dmo_buf_add(b, p, len);
	for (i = have; i < (size_t)width; i++)
		dmo_buf_add(b, pad, plen);
	if (left)
		dmo_buf_add(b, p, len);
	return set_str(r, xarena_dup(cx->arena, b->p, b->len), b->len);
}

static int f_lpad(ARGS) { return f_pad(cx, n, a, na, r, 1); }
static int f_rpad(ARGS) { return f_pad(cx, n, a, na, r, 0); }

/* format("{} has {}", a, b): {} takes the next argument; {{ and }} are braces. */
static int
f_format(ARGS)
{
	struct dmo_buf *b = &cx->prog->tmp;
	const char *f, *end, *p;
	size_t flen, len, k = 1;

	if (a[0].t == XV_NULL) {
		memset(r, 0, sizeof(*r));
		return 0;
	}
	if (text(cx, n, &a[0], &f, &flen) != 0)
		return -1;
	b->len = 0;
	for (end = f + flen; f < end; f++) {
		if (*f == '{' && f + 1 < end && f[1] == '{') {
			dmo_buf_addc(b, '{');
			f++;
		} else if (*f == '}' && f + 1 < end && f[1] == '}') {
			dmo_buf_addc(b, '}');
			f++;
		} else if (*f == '{' && f + 1 < end && f[1] == '}') {
			if (k >= na)
				return xerr(cx, n, "format: more {} than "
				    "arguments");
			if (a[k].t == XV_STR || a[k].t != XV_NULL) {
				xval_text(cx, &a[k], &p, &len);
				dmo_buf_add(b, p, len);
			}
			k++;
			f++;
		} else
			dmo_buf_addc(b, *f);
	}
	if (k < na)
		return xerr(cx, n, "format: %zu argument%s but %zu {}",
		    na - 1, na == 2 ? "" : "s", k - 1);
	return set_str(r, xarena_dup(cx->arena, b->p, b->len), b->len);
}

static int
f_concat(ARGS)
{
	struct dmo_buf *b = &cx->prog->tmp;
	const char *p;
	size_t i, len;

	b->len = 0;
	for (i = 0; i < na; i++) {
		if (a[i].t == XV_NULL)
			continue;
		xval_text(cx, &a[i], &p, &len);
		dmo_buf_add(b, p, len);
	}
	return set_str(r, xarena_dup(cx->arena, b->p ? b->p : "", b->len),
	    b->len);
}

static int
f_find(ARGS, int how)
{
	const char *p, *s;
	size_t len, slen, i;

	(void)na;
	if (text(cx, n, &a[0], &p, &len) != 0 ||
	    text(cx, n, &a[1], &s, &slen) != 0)
		return -1;
	if (slen > len)
		return set_bool(r, 0);
	if (how == 1)
		return set_bool(r, memcmp(p, s, slen) == 0);
	if (how == 2)
		return set_bool(r, memcmp(p + len - slen, s, slen) == 0);
	for (i = 0; i + slen <= len; i++)
		if (memcmp(p + i, s, slen) == 0)
			return set_bool(r, 1);
	return set_bool(r, 0);
}

static int f_contains(ARGS) { return f_find(cx, n, a, na, r, 0); }
static int f_starts_with(ARGS) { return f_find(cx, n, a, na, r, 1); }
static int f_ends_with(ARGS) { return f_find(cx, n, a, na, r, 2); }

/* Regular expressions: literal patterns were compiled with the program. */
static void *
pattern(struct xctx *cx, struct xnode *n, const struct xval *v)
{
	const char *p;
	size_t len, off;
	char why[120];
	void *re;

	if (n->re != NULL)
		return n->re;
	if (text(cx, n, v, &p, &len) != 0)
		return NULL;
	/* A computed pattern: compiled per call, and freed with the node. */
	if ((re = xre_compile(p, len, &off, why, sizeof(why))) == NULL) {
		xerr(cx, n, "%s: bad regular expression at offset %zu: %s: %s",
		    n->fn->name, off, why, dmo_quote(p, len));
		return NULL;
	}
	if (n->aux != NULL)
		xre_free(n->aux);
	n->aux = re;
	return re;
}

static int
f_match(ARGS)
{
	const char *p;
	size_t len, ov[2], ng;
	void *re;
	int m;

	(void)na;
	if (text(cx, n, &a[0], &p, &len) != 0 ||
	    (re = pattern(cx, n, &a[1])) == NULL)
		return -1;
	if ((m = xre_match(re, p, len, ov, 2, &ng)) < 0)
		return xerr(cx, n, "match: the match failed (too complex)");
	return set_bool(r, m);
}

static int
f_extract(ARGS)
{
	const char *p;
	size_t len, ov[40], ng;
	int64_t g = na > 2 ? 0 : -1;
	void *re;
	int m;

	if (text(cx, n, &a[0], &p, &len) != 0 ||
	    (re = pattern(cx, n, &a[1])) == NULL ||
	    (na > 2 && integer(cx, n, &a[2], &g) != 0))
		return -1;
	if ((m = xre_match(re, p, len, ov, 40, &ng)) < 0)
		return xerr(cx, n, "extract: the match failed (too complex)");
	memset(r, 0, sizeof(*r));
	if (m == 0)
		return 0;
	if (g < 0)	/* default: the first group, or the whole match */
		g = ng > 1 ? 1 : 0;
	if (g >= 20)
		return xerr(cx, n, "extract: group %lld out of range",
		    (long long)g);
	if ((size_t)g >= ng || ov[2 * g] == (size_t)-1)
		return 0;
	return set_str(r, p + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
}

static int
f_re_replace(ARGS)
{
	struct dmo_buf *b = &cx->prog->tmp;
	const char *p, *t;
	size_t len, tlen;
	char why[120];
	void *re;

	(void)na;
	if (text(cx, n, &a[0], &p, &len) != 0 ||
	    (re = pattern(cx, n, &a[1])) == NULL ||
	    text(cx, n, &a[2], &t, &tlen) != 0)
		return -1;
	b->len = 0;
	if (xre_replace(re, p, len, t, tlen, b, why, sizeof(why)) != 0)
		return xerr(cx, n, "re_replace: %s", why);
	return set_str(r, xarena_dup(cx->arena, b->p ? b->p : "", b->len),
	    b->len);
}

/* Numbers. */
static const int64_t p10[19] = {
	1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL,
	100000000LL, 1000000000LL, 10000000000LL, 100000000000LL,
	1000000000000LL, 10000000000000LL, 100000000000000LL,
	1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
	1000000000000000000LL
};

/* round(x[, digits]): half away from zero; exact for integers and decimals. */
static int
f_round(ARGS)
{
	struct xval x;
	int64_t d = 0;

	if (number(cx, n, &a[0], &x) != 0 ||
	    (na > 1 && integer(cx, n, &a[1], &d) != 0))
		return -1;
	if (d < -18 || d > 18)
		return xerr(cx, n, "round: digits out of range: %lld",
		    (long long)d);
	if (x.t == XV_FLOAT) {
		double m = pow(10, (double)d);

		memset(r, 0, sizeof(*r));
		r->t = XV_FLOAT;
		r->f = round(x.f * m) / m;
		if (!isfinite(r->f))
			r->f = x.f;
		if (d <= 0 && fabs(r->f) < 9e18)
			return set_int(r, (int64_t)r->f);
		return 0;
	}
	{
		int s = x.t == XV_DEC ? x.scale : 0;
		int64_t m = x.i, q, rem, unit;
		int drop = s - (int)d;	/* digits to drop */

		if (drop <= 0) {
			*r = x;
			return 0;
		}
		if (drop > 18)
			return set_int(r, 0);
		unit = p10[drop];
		q = m / unit;
		rem = m % unit;
		if (rem >= unit / 2 + (unit % 2))
			q++;
		else if (-rem >= unit / 2 + (unit % 2))
			q--;
		else if (rem * 2 == unit)
			q++;
		else if (-rem * 2 == unit)
			q--;
		memset(r, 0, sizeof(*r));
		if (d < 0) {
			if (__builtin_mul_overflow(q, p10[-d], &q))
				return xerr(cx, n, "round: integer overflow");
			return set_int(r, q);
		}
		r->t = d == 0 ? XV_INT : XV_DEC;
		r->i = q;
		r->scale = (int)d;
		return 0;
	}
}

static int
f_floorceil(ARGS, int ceil_)
{
	struct xval x;

	(void)na;
	if (number(cx, n, &a[0], &x) != 0)
		return -1;
	if (x.t == XV_INT) {
		*r = x;
		return 0;
	}
	if (x.t == XV_DEC) {
		int64_t unit = p10[x.scale], q = x.i / unit, rem = x.i % unit;

		if (ceil_ && rem > 0)
			q++;
		if (!ceil_ && rem < 0)
			q--;
		return set_int(r, q);
	}
	x.f = ceil_ ? ceil(x.f) : floor(x.f);
	if (fabs(x.f) < 9e18)
		return set_int(r, (int64_t)x.f);
	*r = x;
	return 0;
}

static int f_floor(ARGS) { return f_floorceil(cx, n, a, na, r, 0); }
static int f_ceil(ARGS) { return f_floorceil(cx, n, a, na, r, 1); }

static int
f_abs(ARGS)
{
	struct xval x;

	(void)na;
	if (number(cx, n, &a[0], &x) != 0)
		return -1;
	*r = x;
	if (x.t == XV_FLOAT)
		r->f = fabs(x.f);
	else if (x.i < 0) {
		if (x.i == INT64_MIN)
			return xerr(cx, n, "abs: integer overflow");
		r->i = -x.i;
	}
	return 0;
}

/* min/max of numbers, or of strings; nulls are skipped. */
static int
f_minmax(ARGS, int max)
{
	size_t i;
	struct xval best, x;
	int have = 0, strs = -1;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < na; i++) {
		if (a[i].t == XV_NULL)
			continue;
		if (strs < 0)
			strs = a[i].t == XV_STR && !(a[i].field &&
			    xnum_is_numeric_text(a[i].p, a[i].n));
		if (strs) {
			size_t m;
			int c;

			if (a[i].t != XV_STR)
				return xerr(cx, n, "%s: mixes strings and "
				    "%ss", n->fn->name, xval_type_name(&a[i]));
			if (!have) {
				*r = a[i];
				have = 1;
				continue;
			}
			m = a[i].n < r->n ? a[i].n : r->n;
			c = memcmp(a[i].p, r->p, m);
			if (c == 0)
				c = a[i].n < r->n ? -1 : a[i].n > r->n;
			if (max ? c > 0 : c < 0)
				*r = a[i];
			continue;
		}
		if (number(cx, n, &a[i], &x) != 0)
			return -1;
		if (!have || (max ? xnum_cmp(&x, &best) > 0 :
		    xnum_cmp(&x, &best) < 0)) {
			best = x;
			/* A number keeps its lexeme; numeric text becomes one. */
			*r = a[i].t == XV_NUM ? a[i] : x;
		}
		have = 1;
	}
	r->field = 0;
	return 0;
}

static int f_min(ARGS) { return f_minmax(cx, n, a, na, r, 0); }
static int f_max(ARGS) { return f_minmax(cx, n, a, na, r, 1); }

/* Hashes: hex digests of the text. */
static int
f_digest(ARGS, const char *alg)
{
	const char *p;
	size_t len;
	char hex[2 * 64 + 1];

	(void)na;
	if (text(cx, n, &a[0], &p, &len) != 0)
		return -1;
	if (xdigest_hex(alg, p, len, hex) != 0)
		return xerr(cx, n, "%s: the digest failed", alg);
	return set_str(r, xarena_dup(cx->arena, hex, strlen(hex)),
	    strlen(hex));
}

static int f_sha256(ARGS) { return f_digest(cx, n, a, na, r, "sha256"); }
static int f_md5(ARGS) { return f_digest(cx, n, a, na, r, "md5"); }

static int
f_xxh64(ARGS)
{
	const char *p;
	size_t len;
	char hex[17];

	(void)na;
	if (text(cx, n, &a[0], &p, &len) != 0)
		return -1;
	snprintf(hex, sizeof(hex), "%016llx",
	    (unsigned long long)xxh64(p, len, 0));
	return set_str(r, xarena_dup(cx->arena, hex, 16), 16);
}

/* Types and casts. */
static int
f_type(ARGS)
{
	const char *t = xval_type_name(&a[0]);

	(void)cx; (void)n; (void)na;
	return set_str(r, t, strlen(t));
}

static int
f_is(ARGS, int what)
{
	(void)cx; (void)n; (void)na;
	switch (what) {
	case 0: return set_bool(r, a[0].t == XV_NULL);
	case 1: return set_bool(r, a[0].t == XV_INT || a[0].t == XV_DEC ||
		    a[0].t == XV_FLOAT || a[0].t == XV_NUM);
	case 2: return set_bool(r, a[0].t == XV_STR);
	case 3: return set_bool(r, a[0].t == XV_BOOL);
	case 4: return set_bool(r, a[0].t == XV_ARR);
	case 5: return set_bool(r, a[0].t == XV_OBJ);
	default: {
		struct xval x;

		return set_bool(r, a[0].t != XV_BOOL &&
		    xnum_get(&a[0], &x) == 0);
	}
	}
}

static int f_is_null(ARGS) { return f_is(cx, n, a, na, r, 0); }
static int f_is_number(ARGS) { return f_is(cx, n, a, na, r, 1); }
static int f_is_string(ARGS) { return f_is(cx, n, a, na, r, 2); }
static int f_is_bool(ARGS) { return f_is(cx, n, a, na, r, 3); }
static int f_is_array(ARGS) { return f_is(cx, n, a, na, r, 4); }
static int f_is_object(ARGS) { return f_is(cx, n, a, na, r, 5); }
static int f_is_numeric(ARGS) { return f_is(cx, n, a, na, r, 6); }

static int
cannot(struct xctx *cx, struct xnode *n, const struct xval *v)
{
	if (v->t == XV_STR)
		return xerr(cx, n, "%s: cannot convert %s", n->fn->name,
		    dmo_quote(v->p, v->n));
	return xerr(cx, n, "%s: cannot convert %s %s", n->fn->name,
	    v->t == XV_ARR || v->t == XV_OBJ ? "an" : "a", xval_type_name(v));
}

/* int(x): toward zero; true/false are 1/0. */
static int
f_int(ARGS)
{
	struct xval x;

	(void)na;
	if (a[0].t == XV_BOOL)
		return set_int(r, a[0].i);
	if (xnum_get(&a[0], &x) != 0)
		return cannot(cx, n, &a[0]);
	if (x.t == XV_INT)
		return set_int(r, x.i);
	if (x.t == XV_DEC)
		return set_int(r, x.i / p10[x.scale]);
	if (!(x.f > -9.3e18 && x.f < 9.3e18))
		return xerr(cx, n, "int: out of range: %.17g", x.f);
	return set_int(r, (int64_t)x.f);
}

static int
f_float(ARGS)
{
	struct xval x;

	(void)na;
	if (a[0].t == XV_BOOL) {
		x.t = XV_INT;
		x.i = a[0].i;
	} else if (xnum_get(&a[0], &x) != 0)
		return cannot(cx, n, &a[0]);
	memset(r, 0, sizeof(*r));
	r->t = XV_FLOAT;
	r->f = xnum_double(&x);
	if (!isfinite(r->f))
		return xerr(cx, n, "float: not a finite number");
	return 0;
}

static int
f_number(ARGS)
{
	struct xval x;

	(void)na;
	if (xnum_get(&a[0], &x) != 0)
		return cannot(cx, n, &a[0]);
	if (x.t == XV_FLOAT && !isfinite(x.f))
		return xerr(cx, n, "number: not a finite number");
	if (a[0].t == XV_NUM || (a[0].t == XV_STR &&
	    dmo_number_valid(a[0].p, a[0].n))) {
		/* Keep the lexeme: "12.30" stays 12.30. */
		*r = a[0];
		r->t = XV_NUM;
		r->field = 0;
		return 0;
	}
	*r = x;
	return 0;
}

static int
f_string(ARGS)
{
	const char *p;
	size_t len;

	(void)n; (void)na;
	xval_text(cx, &a[0], &p, &len);
	return set_str(r, p, len);
}

static int
f_bool(ARGS)
{
	struct xval x;

	(void)na;
	if (a[0].t == XV_BOOL) {
		*r = a[0];
		return 0;
	}
	if (a[0].t == XV_STR) {
		static const char *const yes[] = { "true", "True", "TRUE",
		    "yes", "1" }, *const no[] = { "false", "False", "FALSE",
		    "no", "0" };
		size_t i;

		for (i = 0; i < 5; i++) {
			if (a[0].n == strlen(yes[i]) &&
			    memcmp(a[0].p, yes[i], a[0].n) == 0)
				return set_bool(r, 1);
			if (a[0].n == strlen(no[i]) &&
			    memcmp(a[0].p, no[i], a[0].n) == 0)
				return set_bool(r, 0);
		}
		return cannot(cx, n, &a[0]);
	}
	if (xnum_get(&a[0], &x) == 0)
		return set_bool(r, x.t == XV_FLOAT ? x.f != 0 : x.i != 0);
	return cannot(cx, n, &a[0]);
}

static int
f_coalesce(ARGS)
{
	size_t i;

	(void)a;
	for (i = 0; i < na; i++) {
		if (xeval(cx, n->args[i], r) != 0)
			return -1;
		if (r->t != XV_NULL)
			return 0;
	}
	return 0;
}

static int
f_to_json(ARGS)
{
	struct dmo_buf *b = &cx->prog->tmp;

	(void)n; (void)na;
	b->len = 0;
	xjson_put(b, &a[0]);
	return set_str(r, xarena_dup(cx->arena, b->p, b->len), b->len);
}

static int
f_parse_json(ARGS)
{
	const char *p;
	size_t len;

	(void)na;
	if (text(cx, n, &a[0], &p, &len) != 0)
		return -1;
	if (xjson_parse(p, len, r, cx->arena) != 0)
		return xerr(cx, n, "parse_json: not JSON: %s",
		    dmo_quote(p, len));
	return 0;
}

static int
f_keys(ARGS)
{
	struct dmo_buf *b = &cx->prog->tmp;
	const char *s, *end;

	(void)na;
	if (a[0].t != XV_OBJ)
		return xerr(cx, n, "keys: not an object: %s",
		    xval_type_name(&a[0]));
	b->len = 0;
	dmo_buf_addc(b, '[');
	s = a[0].p + 1;
	end = a[0].p + a[0].n - 1;
	while (s < end) {
		size_t k = xjson_skip(s, end);

		if (k == 0)
			break;
		if (b->len > 1)
			dmo_buf_addc(b, ',');
		dmo_buf_add(b, s, k);
		s += k + 1;
		if ((k = xjson_skip(s, end)) == 0)
			break;
		s += k;
		if (s < end && *s == ',')
			s++;
	}
	dmo_buf_addc(b, ']');
	memset(r, 0, sizeof(*r));
	r->t = XV_ARR;
	r->p = xarena_dup(cx->arena, b->p, b->len);
	r->n = b->len;
	return 0;
}

int
xfunc_check_aux(struct xnode *n, struct dmo_err *err)
{
	return xdate_check_aux(n, err);
}

void
xfunc_free_aux(struct xnode *n)
{
	if (n->fn->re_arg >= 0)
		xre_free(n->aux);
	else
		xdate_free_aux(n);
	n->aux = NULL;
}

#define F(name, min, max, flags, re) \
	{ #name, min, max, flags, f_##name, re, -1 }

static const struct xfunc funcs[] = {
	F(abs, 1, 1, XF_NULLS, -1),
	F(bool, 1, 1, XF_NULLS, -1),
	F(ceil, 1, 1, XF_NULLS, -1),
	F(coalesce, 1, -1, XF_LAZY, -1),
	F(concat, 1, -1, 0, -1),
	F(contains, 2, 2, XF_NULLS, -1),
	F(ends_with, 2, 2, XF_NULLS, -1),
	F(extract, 2, 3, XF_NULLS, 1),
	F(float, 1, 1, XF_NULLS, -1),
	F(floor, 1, 1, XF_NULLS, -1),
	F(format, 1, -1, 0, -1),
	F(int, 1, 1, XF_NULLS, -1),
	F(is_array, 1, 1, 0, -1),
	F(is_bool, 1, 1, 0, -1),
	F(is_null, 1, 1, 0, -1),
	F(is_number, 1, 1, 0, -1),
	F(is_numeric, 1, 1, 0, -1),
	F(is_object, 1, 1, 0, -1),
	F(is_string, 1, 1, 0, -1),
	F(join, 2, 2, XF_NULLS, -1),
	F(keys, 1, 1, XF_NULLS, -1),
	F(length, 1, 1, XF_NULLS, -1),
	F(lower, 1, 1, XF_NULLS, -1),
	F(lpad, 2, 3, XF_NULLS, -1),
	F(ltrim, 1, 1, XF_NULLS, -1),
	F(match, 2, 2, XF_NULLS, 1),
	F(max, 1, -1, 0, -1),
	F(md5, 1, 1, XF_NULLS, -1),
	F(min, 1, -1, 0, -1),
	F(number, 1, 1, XF_NULLS, -1),
	F(parse_json, 1, 1, XF_NULLS, -1),
	F(re_replace, 3, 3, XF_NULLS, 1),
	F(replace, 3, 3, XF_NULLS, -1),
	F(round, 1, 2, XF_NULLS, -1),
	F(rpad, 2, 3, XF_NULLS, -1),
	F(rtrim, 1, 1, XF_NULLS, -1),
	F(sha256, 1, 1, XF_NULLS, -1),
	F(split, 2, 2, XF_NULLS, -1),
	F(starts_with, 2, 2, XF_NULLS, -1),
	F(string, 1, 1, XF_NULLS, -1),
	F(substr, 2, 3, XF_NULLS, -1),
	F(to_json, 1, 1, 0, -1),
	F(trim, 1, 1, XF_NULLS, -1),
	F(type, 1, 1, 0, -1),
	F(upper, 1, 1, XF_NULLS, -1),
	F(xxh64, 1, 1, XF_NULLS, -1),
};

const struct xfunc *
xfunc_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
		if (strlen(funcs[i].name) == len &&
		    memcmp(funcs[i].name, name, len) == 0)
			return &funcs[i];
	return xdate_find(name, len);
}

/* The names of all functions, for the manual's test. */
const char *
xfunc_name(size_t i)
{
	if (i < sizeof(funcs) / sizeof(funcs[0]))
		return funcs[i].name;
	return xdate_name(i - sizeof(funcs) / sizeof(funcs[0]));
}

const char *
dmo_expr_function(size_t i)
{
	return xfunc_name(i);
}
