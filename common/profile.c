/* profile.c - one-pass, bounded, mergeable profiles of record streams. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "datetime.h"
#include "decimal.h"
#include "exitcode.h"
#include "hll.h"
#include "json.h"
#include "kll.h"
#include "profile.h"
#include "topk.h"
#include "unicode.h"
#include "value.h"

#define PATTERN_MAX	32	/* characters of a pattern before "..." */
#define PATTERN_LIMIT	1000	/* distinct patterns counted exactly */
#define PATTERN_CAP	64
#define HIST_BINS	10
#define MAX_FIELD_SETS	100
#define MAX_INPUTS	1000

/*
 * Date formats are numbered: a date layout (DL_*) times 13, plus 0 for a
 * date alone or 1 + the time layout: separator (T or space) * 6 +
 * precision (minutes, seconds, fraction) * 2 + zone (none, %z).
 */
enum { DL_YMD_DASH, DL_YMD_SLASH, DL_DMY_SLASH, DL_MDY_SLASH, DL_DMY_DOT,
	DL_COUNT };
#define NDFMT	(DL_COUNT * 13)

static char pclass[256];	/* pattern classes of bytes, see pattern_of */
static void pclass_init(void);

static const char *const date_layout[DL_COUNT] = {
	"%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y"
};

struct pfield {
	char			*name;
	size_t			 nlen;
	unsigned long long	 count, nulls, empties;
	unsigned long long	 types[DMO_PT_COUNT];
	unsigned long long	 ntrue, nfalse, narray, nobject;
	struct dmo_topk		*values;	/* distinct and top values */
	struct dmo_hll		*hll;		/* once values is approximate */
	struct dmo_topk		*patterns;
	/* numbers */
	unsigned long long	 nnum;		/* finite, in the moments */
	double			 sum, comp;	/* Neumaier: sum + comp */
	double			 m2;
	double			 nmin, nmax;
	struct dmo_buf		 nmin_lex, nmax_lex;
	int			 has_num;
	struct dmo_kll		*kll;
	/* text, dates (as ISO 8601 keys) */
	struct dmo_buf		 smin, smax, dmin, dmax;
	int			 has_str, has_date;
	/* lengths in characters of text values */
	unsigned long long	 nlen_vals, lsum;
	size_t			 lmin, lmax;
	unsigned long long	 leading_zeros;
	unsigned long long	 dfmt[NDFMT];
	size_t			 hnext;		/* name hash chain */
};

struct pinput {
	char			*source;
	unsigned long long	 records, bytes;
};

struct fset {
	unsigned long long	 from;
	char			*source;
	size_t			*fields;	/* field numbers */
	size_t			 n;
};

struct dmo_profile {
	struct dmo_profile_opts	 opts;
	unsigned long long	 records, bytes;
	unsigned long long	 fields_dropped, field_set_changes;
	unsigned long long	 inputs_dropped;
	unsigned long long	 cur_bytes;	/* of the input being read */
	struct pfield		*f;
	size_t			 nf, fcap;
	size_t			*hash;		/* 1 + field, by name */
	size_t			 hmask;
	struct pinput		*in;
	size_t			 nin, incap;
	struct fset		*sets;
	size_t			 nsets;
	/* the current shape: record field i is field map[i] (or -1) */
	unsigned long		 shape;
	long			*map;
	size_t			 nmap, mapcap;
	size_t			*last;		/* the last field set's fields */
	size_t			 nlast;
	int			 have_last;
};

const char *
dmo_ptype_name(enum dmo_ptype t)
{
	static const char *const names[] = { "integer", "decimal", "float",
	    "boolean", "date", "timestamp", "string", "nested", "null" };

	return names[t <= DMO_PT_COUNT ? t : DMO_PT_COUNT];
}

struct dmo_profile *
dmo_profile_new(const struct dmo_profile_opts *opts)
{
	struct dmo_profile *p = dmo_xcalloc(1, sizeof(*p));

	if (opts != NULL)
		p->opts = *opts;
	if (p->opts.exact_limit == 0)
		p->opts.exact_limit = DMO_PROFILE_EXACT_LIMIT;
	if (p->opts.top == 0)
		p->opts.top = DMO_PROFILE_TOP;
	if (p->opts.max_fields == 0)
		p->opts.max_fields = DMO_PROFILE_MAX_FIELDS;
	p->hmask = 63;
	p->hash = dmo_xcalloc(p->hmask + 1, sizeof(size_t));
	if (pclass['0'] == 0)
		pclass_init();
	return p;
}

static void
field_release(struct pfield *f)
{
	free(f->name);
	dmo_topk_free(f->values);
	dmo_topk_free(f->patterns);
	dmo_hll_free(f->hll);
	dmo_kll_free(f->kll);
	dmo_buf_release(&f->nmin_lex);
	dmo_buf_release(&f->nmax_lex);
	dmo_buf_release(&f->smin);
	dmo_buf_release(&f->smax);
	dmo_buf_release(&f->dmin);
	dmo_buf_release(&f->dmax);
}

void
dmo_profile_free(struct dmo_profile *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nf; i++)
		field_release(&p->f[i]);
	for (i = 0; i < p->nin; i++)
		free(p->in[i].source);
	for (i = 0; i < p->nsets; i++) {
		free(p->sets[i].source);
		free(p->sets[i].fields);
	}
	free(p->f);
	free(p->hash);
	free(p->in);
	free(p->sets);
	free(p->map);
	free(p->last);
	free(p);
}

unsigned long long
dmo_profile_records(const struct dmo_profile *p)
{
	return p->records;
}

/* Inputs. */

static void
add_input(struct dmo_profile *p, const char *source, unsigned long long recs,
    unsigned long long bytes)
{
	if (p->nin == MAX_INPUTS) {
		p->inputs_dropped++;
		p->in[p->nin - 1].records += recs;
		p->in[p->nin - 1].bytes += bytes;
		return;
	}
	if (p->nin == p->incap) {
		p->incap = p->incap ? 2 * p->incap : 4;
		p->in = dmo_xreallocarray(p->in, p->incap, sizeof(*p->in));
	}
	p->in[p->nin].source = dmo_xstrdup(source != NULL ? source : "<stdin>");
	p->in[p->nin].records = recs;
	p->in[p->nin].bytes = bytes;
	p->nin++;
}

void
dmo_profile_begin_input(struct dmo_profile *p, const char *source)
{
	add_input(p, source, 0, 0);
	p->cur_bytes = 0;
	p->shape = 0;	/* a new source: look at its field set */
}

void
dmo_profile_end_input(struct dmo_profile *p, unsigned long long bytes)
{
	if (p->nin == 0 || bytes < p->cur_bytes)
		return;
	/* Inputs past MAX_INPUTS share the last entry: add what is new. */
	p->in[p->nin - 1].bytes += bytes - p->cur_bytes;
	p->bytes += bytes - p->cur_bytes;
	p->cur_bytes = bytes;
}

/* Fields by name. */

static void
field_spill(void *ctx, uint64_t h)
{
	struct pfield *f = ctx;

	if (f->hll == NULL)
		f->hll = dmo_hll_new();
	dmo_hll_add(f->hll, h);
}

static long
find_field(const struct dmo_profile *p, const char *name, size_t nlen)
{
	size_t i = dmo_hash(name, nlen) & p->hmask;

	while (p->hash[i] != 0) {
		const struct pfield *f = &p->f[p->hash[i] - 1];

		if (f->nlen == nlen && memcmp(f->name, name, nlen) == 0)
			return (long)(p->hash[i] - 1);
		i = (i + 1) & p->hmask;
	}
	return -1;
}

static void
index_field(struct dmo_profile *p, size_t k)
{
	size_t i = dmo_hash(p->f[k].name, p->f[k].nlen) & p->hmask;

	while (p->hash[i] != 0)
		i = (i + 1) & p->hmask;
	p->hash[i] = k + 1;
}

static long
new_field(struct dmo_profile *p, const char *name, size_t nlen)
{
	struct pfield *f;
	size_t i;

	if (p->nf >= p->opts.max_fields)
		return -1;
	if (p->nf == p->fcap) {
		p->fcap = p->fcap ? 2 * p->fcap : 16;
		p->f = dmo_xreallocarray(p->f, p->fcap, sizeof(*p->f));
		/* The spill callbacks point into the array: renew them. */
		for (i = 0; i < p->nf; i++)
			p->f[i].values->spill_ctx = &p->f[i];
	}
	f = &p->f[p->nf];
	memset(f, 0, sizeof(*f));
	f->name = dmo_xmemdup(name, nlen);
	f->nlen = nlen;
	f->values = dmo_topk_new(p->opts.exact_limit,
	    p->opts.top * 10 > 100 ? p->opts.top * 10 : 100);
	f->values->spill = field_spill;
	f->values->spill_ctx = f;
	f->patterns = dmo_topk_new(PATTERN_LIMIT, PATTERN_CAP);
	f->nmin = INFINITY;
	f->nmax = -INFINITY;
	f->lmin = SIZE_MAX;
	p->nf++;
	if (2 * p->nf > p->hmask) {
		free(p->hash);
		p->hmask = 2 * p->hmask + 1;
		p->hash = dmo_xcalloc(p->hmask + 1, sizeof(size_t));
		for (i = 0; i < p->nf; i++)
			index_field(p, i);
	} else
		index_field(p, p->nf - 1);
	return (long)(p->nf - 1);
}

static long
field_for(struct dmo_profile *p, const char *name, size_t nlen)
{
	long k = find_field(p, name, nlen);

	return k >= 0 ? k : new_field(p, name, nlen);
}

static void
add_field_set(struct dmo_profile *p, unsigned long long from,
    const char *source, const size_t *fields, size_t n)
{
	struct fset *s;

	p->field_set_changes++;
	if (p->nsets == MAX_FIELD_SETS)
		return;
	p->sets = dmo_xreallocarray(p->sets, p->nsets + 1, sizeof(*p->sets));
	s = &p->sets[p->nsets++];
	s->from = from;
	s->source = dmo_xstrdup(source != NULL ? source : "<stdin>");
	s->fields = dmo_xreallocarray(NULL, n ? n : 1, sizeof(size_t));
	if (n > 0)
		memcpy(s->fields, fields, n * sizeof(size_t));
	s->n = n;
}

/* A record of a new shape: map its fields, note a new field set. */
static void
remap(struct dmo_profile *p, const struct dmo_record *r)
{
	size_t i, n = r->n, k = 0;
	int same;

	if (n > p->mapcap) {
		p->mapcap = n;
		p->map = dmo_xreallocarray(p->map, n, sizeof(long));
		p->last = dmo_xreallocarray(p->last, n, sizeof(size_t));
	}
	same = p->have_last;
	for (i = 0; i < n; i++) {
		size_t len;
		const char *name = dmo_record_name(r, i, &len);

		p->map[i] = field_for(p, name, len);
		if (p->map[i] < 0) {
			p->fields_dropped++;
			continue;
		}
		if (k >= p->nlast || p->last[k] != (size_t)p->map[i])
			same = 0;
		p->last[k++] = (size_t)p->map[i];
	}
	if (k != p->nlast)
		same = 0;
	p->nlast = k;
	p->nmap = n;
	p->shape = r->shape;
	if (!same) {
		p->have_last = 1;
		add_field_set(p, p->records + 1, r->loc.file, p->last, k);
	}
}

/* Values. */

/*
 * The class of each byte in a pattern: '9' digits, 'A' letters (any
 * character past ASCII counts as a letter: its lead byte gives the 'A',
 * continuation bytes give nothing), '?' control bytes, the rest as is.
 */
static void
pclass_init(void)
{
	int c;

	for (c = 0; c < 256; c++) {
		if (c >= '0' && c <= '9')
			pclass[c] = '9';
		else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    c >= 0xc0)
			pclass[c] = 'A';
		else if (c >= 0x80)
			pclass[c] = 0;
		else if (c < 0x20 || c == 0x7f)
			pclass[c] = '?';
		else
			pclass[c] = (char)c;
	}
}

/*
 * "AAA-999": the pattern of s, cut after PATTERN_MAX characters with
 * "..."; returns its length, and the length of s in characters.
 */
static size_t
pattern_of(const char *s, size_t n, char *out, size_t *chars)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, c = 0;

	/*
	 * Eight ASCII bytes give eight pattern characters (no ASCII byte
	 * has class 0): map them without a test each.  A word with a byte
	 * past ASCII goes to the loop below, which does the same byte by
	 * byte and stops at PATTERN_MAX characters.
	 */
	while (n - i >= 8 && o + 8 <= PATTERN_MAX) {
		uint64_t w;

		memcpy(&w, u + i, 8);
		if (w & 0x8080808080808080ULL)
			break;
		out[o] = pclass[u[i]];
		out[o + 1] = pclass[u[i + 1]];
		out[o + 2] = pclass[u[i + 2]];
		out[o + 3] = pclass[u[i + 3]];
		out[o + 4] = pclass[u[i + 4]];
		out[o + 5] = pclass[u[i + 5]];
		out[o + 6] = pclass[u[i + 6]];
		out[o + 7] = pclass[u[i + 7]];
		o += 8;
		i += 8;
	}
	for (; i < n && o < PATTERN_MAX; i++) {
		char k = pclass[u[i]];

		if (k != 0)
			out[o++] = k;
	}
	c = o;
	if (i < n) {
		for (; i < n; i++)
			c += (u[i] & 0xc0) != 0x80;
		if (c > o) {
			memcpy(out + o, "...", 3);
			o += 3;
		}
	}
	*chars = c;
	return o;
}

#define DIG(c)	((unsigned)((c) - '0') < 10)
#define D2(p)	(((p)[0] - '0') * 10 + ((p)[1] - '0'))

/* Up to 2 digits, a number from 1 or 2 of them; the end, or NULL. */
static inline const char *
digits(const char *p, const char *e, int min, int max, int *v)
{
	int n = 0;

	*v = 0;
	while (p < e && n < max && *p >= '0' && *p <= '9') {
		*v = *v * 10 + (*p++ - '0');
		n++;
	}
	if (n < min || (p < e && *p >= '0' && *p <= '9'))
		return NULL;
	return p;
}

static void
put_digits(char *out, int v, int n)
{
	while (n-- > 0) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/*
 * Which date formats does the text have?  Fills ids (up to 2: 01/02/2024
 * may be either day or month first) and the ISO 8601 form used to order
 * dates; returns how many, 0 when it is no date.  This only recognises
 * layouts, fast, for the profile; the calendar is datetime.h's, and
 * dmo-clean reads the dates themselves (dmo_dt_parse_fmt).
 */
static int
detect_date(const char *s, size_t n, int ids[2], char *iso, size_t *isolen,
    int *has_time)
{
	const char *p = s, *e = s + n;
	int a, b, c, y, m, d, layouts[2], nl = 0, sep = 0, prec = 0, zone = 0;
	int hh = 0, mi = 0, ss = 0, i;
	const char *frac = NULL, *zstart = e;
	const char *ymd = NULL, *hms = NULL;	/* read at fixed places */
	size_t fraclen = 0;
	char ch;

	if (n < 8 || n > 40)
		return 0;
	/*
	 * "YYYY-MM-DD" read at fixed places, the layout most dates have;
	 * anything else goes the general way below, which reads the same
	 * numbers from these bytes.
	 */
	if (n >= 10 && s[4] == '-' && s[7] == '-' && DIG(s[0]) &&
	    DIG(s[1]) && DIG(s[2]) && DIG(s[3]) && DIG(s[5]) && DIG(s[6]) &&
	    DIG(s[8]) && DIG(s[9])) {
		p = s + 10;
		if (p < e && DIG(*p))
			return 0;
		ymd = s;
		y = D2(s) * 100 + D2(s + 2);
		m = D2(s + 5);
		d = D2(s + 8);
		layouts[nl++] = DL_YMD_DASH;
		goto checked;
	}
	if ((p = digits(s, e, 1, 4, &a)) == NULL || p == e)
		return 0;
	ch = *p;
	if (ch != '-' && ch != '/' && ch != '.')
		return 0;
	if (p - s == 4) {
		if (ch == '.')
			return 0;
		y = a;
		if ((p = digits(p + 1, e, 1, 2, &m)) == NULL || p == e ||
		    *p != ch || (p = digits(p + 1, e, 1, 2, &d)) == NULL)
			return 0;
		layouts[nl++] = ch == '-' ? DL_YMD_DASH : DL_YMD_SLASH;
	} else {
		if (ch == '-')
			return 0;
		if ((p = digits(p + 1, e, 1, 2, &b)) == NULL || p == e ||
		    *p != ch)
			return 0;
		{
			const char *q = p + 1;

			if ((p = digits(q, e, 4, 4, &c)) == NULL)
				return 0;
		}
		y = c;
		if (ch == '.') {
			d = a;
			m = b;
			layouts[nl++] = DL_DMY_DOT;
		} else if (a > 12) {
			d = a;
			m = b;
			layouts[nl++] = DL_DMY_SLASH;
		} else if (b > 12) {
			m = a;
			d = b;
			layouts[nl++] = DL_MDY_SLASH;
		} else {
			/* Either way round: count both, order as day first. */
			d = a;
			m = b;
			layouts[nl++] = DL_DMY_SLASH;
			layouts[nl++] = DL_MDY_SLASH;
			if (a != b && (b < 1 || b > 12 || a < 1 || a > 12))
				return 0;
		}
	}
checked:
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > dmo_dt_mdays(y, m))
		return 0;
	*has_time = 0;
	if (p < e) {
		if (*p != 'T' && *p != ' ')
			return 0;
		sep = *p == ' ';
		/* "THH:MM:SS" at fixed places first, as the date above. */
		if (e - p >= 9 && p[3] == ':' && p[6] == ':' && DIG(p[1]) &&
		    DIG(p[2]) && DIG(p[4]) && DIG(p[5]) && DIG(p[7]) &&
		    DIG(p[8]) && (e - p == 9 || !DIG(p[9]))) {
			hms = p + 1;
			hh = D2(p + 1);
			mi = D2(p + 4);
			ss = D2(p + 7);
			p += 9;
			prec = 1;
		} else {
			if ((p = digits(p + 1, e, 2, 2, &hh)) == NULL ||
			    p == e || *p != ':' ||
			    (p = digits(p + 1, e, 2, 2, &mi)) == NULL)
				return 0;
			if (p < e && *p == ':') {
				if ((p = digits(p + 1, e, 2, 2, &ss)) == NULL)
					return 0;
				prec = 1;
			}
		}
		if (prec == 1) {
			if (p < e && *p == '.') {
				frac = ++p;
				while (p < e && *p >= '0' && *p <= '9')
					p++;
				fraclen = (size_t)(p - frac);
				if (fraclen == 0 || fraclen > 9)
					return 0;
				prec = 2;
			}
		}
		zstart = p;
		if (p < e) {
			int oh, om = 0;

			zone = 1;
			if (*p == 'Z' && p + 1 == e)
				p++;
			else if (*p == '+' || *p == '-') {
				if ((p = digits(p + 1, e, 2, 2, &oh)) == NULL)
					return 0;
				if (p < e && *p == ':')
					p++;
				if (p < e && (p = digits(p, e, 2, 2, &om)) ==
				    NULL)
					return 0;
				if (oh > 23 || om > 59)
					return 0;
			} else
				return 0;
			if (p != e)
				return 0;
		}
		if (hh > 23 || mi > 59 || ss > 59)
			return 0;
		*has_time = 1;
	}
	for (i = 0; i < nl; i++)
		ids[i] = layouts[i] * 13 + (*has_time ? 1 + sep * 6 + prec * 2 +
		    zone : 0);
	/* What was read at fixed places is in ISO form already. */
	if (ymd != NULL)
		memcpy(iso, ymd, 10);
	else {
		put_digits(iso, y, 4);
		iso[4] = '-';
		put_digits(iso + 5, m, 2);
		iso[7] = '-';
		put_digits(iso + 8, d, 2);
	}
	*isolen = 10;
	if (*has_time) {
		size_t k = 10;

		iso[k++] = 'T';
		if (hms != NULL)
			memcpy(iso + k, hms, 8);
		else {
			put_digits(iso + k, hh, 2);
			iso[k + 2] = ':';
			put_digits(iso + k + 3, mi, 2);
			iso[k + 5] = ':';
			put_digits(iso + k + 6, ss, 2);
		}
		k += 8;
		if (frac != NULL) {
			iso[k++] = '.';
			memcpy(iso + k, frac, fraclen);
			k += fraclen;
		}
		/* The zone as written (wall times are what is ordered). */
		if (zone) {
			memcpy(iso + k, zstart, (size_t)(e - zstart));
			k += (size_t)(e - zstart);
		}
		*isolen = k;
	}
	return nl;
}

/* The format string of a date format number. */
static void
dfmt_name(int id, char *out, size_t len)
{
	int t = id % 13, sep, prec, zone;

	if (t == 0) {
		snprintf(out, len, "%s", date_layout[id / 13]);
		return;
	}
	t--;
	sep = t / 6;
	prec = (t % 6) / 2;
	zone = t % 2;
	snprintf(out, len, "%s%s%s%s%s", date_layout[id / 13],
	    sep ? " " : "T", prec == 0 ? "%H:%M" : "%H:%M:%S",
	    prec == 2 ? ".%f" : "", zone ? "%z" : "");
}

static const double pow10tab[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
	1e20, 1e21, 1e22 };

/*
 * The double of a JSON number lexeme (NUL-terminated after n).  Short
 * plain decimals go the exact fast way (mantissa below 2^53 divided by
 * an exact power of ten is correctly rounded); the rest through strtod.
 */
static double
number_value(const char *s, size_t n)
{
	const char *p = s, *e = s + n;
	uint64_t m = 0;
	int neg = 0, digs = 0, fr = 0, dot = 0;

	if (p < e && *p == '-') {
		neg = 1;
		p++;
	}
	for (; p < e; p++) {
		if (*p >= '0' && *p <= '9') {
			m = m * 10 + (uint64_t)(*p - '0');
			digs++;
			fr += dot;
		} else if (*p == '.' && !dot)
			dot = 1;
		else
			return strtod(s, NULL);
	}
	if (digs > 15)
		return strtod(s, NULL);
	{
		double v = (double)m / pow10tab[fr];

		return neg ? -v : v;
	}
}

/*
 * The common number in one pass: [-]digits[.digits], at most 15 digits,
 * no leading zero.  Returns its type (DMO_PT_INTEGER or DMO_PT_DECIMAL)
 * and sets *x as number_value would; NUMBER_NOT for what cannot be a
 * number at all (no digit, a leading zero, a bare '.', a stray byte),
 * NUMBER_SLOW for the rest (an exponent, many digits), which the general
 * path (dmo_number_valid, number_kind, number_value) decides.  The
 * grammar is JSON's (dmo_number_scan), so the answers are the same, and
 * the double is computed as number_value computes it.
 */
#define NUMBER_SLOW	(-1)
#define NUMBER_NOT	(-2)

static inline int
number_fast(const char *s, size_t n, double *x)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	const unsigned char *d0, *dot = NULL;
	uint64_t m = 0;
	int neg = 0;
	size_t digs, fr = 0;
	double v;

	if (p < e && *p == '-') {
		neg = 1;
		p++;
	}
	d0 = p;
	while (p < e && (unsigned)(*p - '0') < 10)
		m = m * 10 + (uint64_t)(*p++ - '0');
	digs = (size_t)(p - d0);
	if (digs == 0 || (*d0 == '0' && digs > 1))
		return NUMBER_NOT;
	if (p < e && *p == '.') {
		dot = ++p;
		while (p < e && (unsigned)(*p - '0') < 10)
			m = m * 10 + (uint64_t)(*p++ - '0');
		fr = (size_t)(p - dot);
		if (fr == 0)
			return NUMBER_NOT;
	}
	if (p != e)
		return *p == 'e' || *p == 'E' ? NUMBER_SLOW : NUMBER_NOT;
	if (digs + fr > 15)
		return NUMBER_SLOW;
	v = (double)m / pow10tab[fr];
	*x = neg ? -v : v;
	return dot != NULL ? DMO_PT_DECIMAL : DMO_PT_INTEGER;
}

static int
buf_cmp(const struct dmo_buf *b, const char *s, size_t n)
{
	size_t m = b->len < n ? b->len : n;
	int d;

	/* Most orders are settled by the first byte: no call for those. */
	if (m > 0 && b->p[0] != s[0])
		return (unsigned char)b->p[0] - (unsigned char)s[0];
	d = m ? memcmp(b->p, s, m) : 0;

	if (d != 0)
		return d;
	return (b->len > n) - (b->len < n);
}

static void
buf_set(struct dmo_buf *b, const char *s, size_t n)
{
	b->len = 0;
	dmo_buf_add(b, s, n);
}

/*
 * -1, 0 or 1 as the number lexeme a is below, equal to or above the one
 * in b, exactly: for two numbers whose doubles are equal, which happens
 * past 17 significant digits ("1.00000000000000000001") and past the
 * double range ("1e999").  0 when either is not a decimal.
 */
static __attribute__((noinline)) int
lexeme_cmp(const char *a, size_t an, const struct dmo_buf *b)
{
	struct dmo_dec da = DMO_DEC_INIT, db = DMO_DEC_INIT;
	int c = 0;

	if (an == b->len && memcmp(a, b->p, an) == 0)
		return 0;
	if (dmo_dec_parse(&da, a, an) == 0 &&
	    dmo_dec_parse(&db, b->p, b->len) == 0)
		c = dmo_dec_cmp(&da, &db);
	dmo_dec_release(&da);
	dmo_dec_release(&db);
	return c;
}

/* The number lexeme s, of double x, as a candidate for min and max. */
static inline void
offer_minmax(struct pfield *f, const char *s, size_t n, double x)
{
	if (!f->has_num || x < f->nmin ||
	    (x == f->nmin && lexeme_cmp(s, n, &f->nmin_lex) < 0)) {
		f->nmin = x;
		buf_set(&f->nmin_lex, s, n);
	}
	if (!f->has_num || x > f->nmax ||
	    (x == f->nmax && lexeme_cmp(s, n, &f->nmax_lex) > 0)) {
		f->nmax = x;
		buf_set(&f->nmax_lex, s, n);
	}
	f->has_num = 1;
}

/* A number lexeme s and its double x (number_value). */
static void
add_number(struct pfield *f, const char *s, size_t n, double x)
{
	offer_minmax(f, s, n, x);
	if (!isfinite(x))
		return;
	if (f->nnum > 0) {
		/* Welford's update of the sum of squared deviations. */
		double mean0 = (f->sum + f->comp) / (double)f->nnum;
		double mean1, t;

		t = f->sum + x;
		if (fabs(f->sum) >= fabs(x))
			f->comp += (f->sum - t) + x;
		else
			f->comp += (x - t) + f->sum;
		f->sum = t;
		f->nnum++;
		mean1 = (f->sum + f->comp) / (double)f->nnum;
		f->m2 += (x - mean0) * (x - mean1);
	} else {
		f->sum = x;
		f->comp = 0;
		f->nnum = 1;
		f->m2 = 0;
	}
	if (f->kll == NULL)
		f->kll = dmo_kll_new(DMO_KLL_K);
	dmo_kll_add(f->kll, x);
}

static void
add_text(struct pfield *f, const char *s, size_t n, uint64_t *phash,
    size_t *pchars)
{
	char pat[PATTERN_MAX + 8];
	size_t plen, chars;

	plen = pattern_of(s, n, pat, &chars);
	if (chars < f->lmin)
		f->lmin = chars;
	if (chars > f->lmax)
		f->lmax = chars;
	f->lsum += chars;
	f->nlen_vals++;
	*phash = dmo_hash64(pat, plen);
	*pchars = chars;
	dmo_topk_add(f->patterns, *phash, pat, plen, 0, 1, 0);
	if (!f->has_str || buf_cmp(&f->smin, s, n) > 0)
		buf_set(&f->smin, s, n);
	if (!f->has_str || buf_cmp(&f->smax, s, n) < 0)
		buf_set(&f->smax, s, n);
	f->has_str = 1;
}

static void
count_value(struct pfield *f, const char *s, size_t n)
{
	uint64_t h = dmo_hash64(s, n);

	dmo_topk_add(f->values, h, s, n, 0, 1, 0);
	if (f->hll != NULL)
		dmo_hll_add(f->hll, h);
}

static enum dmo_ptype
number_kind(const char *s, size_t n)
{
	size_t i;
	enum dmo_ptype t = DMO_PT_INTEGER;

	for (i = 0; i < n; i++)
		if (s[i] == 'e' || s[i] == 'E')
			return DMO_PT_FLOAT;
		else if (s[i] == '.')
			t = DMO_PT_DECIMAL;
	return t;
}

static int
add_string(struct pfield *f, const char *s, size_t n, uint64_t *phash,
    size_t *pchars)
{
	unsigned char c = (unsigned char)s[0];
	char iso[64];
	size_t isolen;
	int ids[2], nd, has_time, i;

	if ((c >= '0' && c <= '9') || c == '-') {
		double x;
		int kind = number_fast(s, n, &x);

		if (kind >= 0) {
			f->types[kind]++;
			add_number(f, s, n, x);
			return 0;
		}
		if (kind == NUMBER_SLOW && dmo_number_valid(s, n)) {
			f->types[number_kind(s, n)]++;
			add_number(f, s, n, number_value(s, n));
			return 0;
		}
		if (c != '-' && (nd = detect_date(s, n, ids, iso, &isolen,
		    &has_time)) > 0) {
			f->types[has_time ? DMO_PT_TIMESTAMP : DMO_PT_DATE]++;
			for (i = 0; i < nd; i++)
				f->dfmt[ids[i]]++;
			if (!f->has_date || buf_cmp(&f->dmin, iso, isolen) > 0)
				buf_set(&f->dmin, iso, isolen);
			if (!f->has_date || buf_cmp(&f->dmax, iso, isolen) < 0)
				buf_set(&f->dmax, iso, isolen);
			f->has_date = 1;
			return 0;
		}
		if (c == '0' && n > 1) {
			size_t k;

			for (k = 1; k < n && s[k] >= '0' && s[k] <= '9'; k++)
				;
			if (k == n)
				f->leading_zeros++;
		}
	} else if (n <= 5 && (c == 't' || c == 'f' || c == 'T' || c == 'F')) {
		enum dmo_type b = dmo_infer(s, n);

		if (b == DMO_TRUE || b == DMO_FALSE) {
			f->types[DMO_PT_BOOLEAN]++;
			if (b == DMO_TRUE)
				f->ntrue++;
			else
				f->nfalse++;
			return 0;
		}
	}
	f->types[DMO_PT_STRING]++;
	add_text(f, s, n, phash, pchars);
	return 1;
}

/*
 * A text value.  A string seen before, while the value table is exact,
 * has the same type, length and pattern and cannot move min or max: its
 * item remembers the pattern's hash, the length and whether it has a
 * leading zero (memo, memo2), and the work is a count of each.
 */
#define MEMO_LZ		0x80000000u
#define MEMO_CHARS	0x7fffffffu

static void
add_text_value(struct pfield *f, const char *s, size_t n)
{
	uint64_t h = dmo_hash64(s, n), phash = 0;
	struct dmo_topk_item *it, *pt;
	unsigned long long lz;
	size_t chars = 0;

	/*
	 * it, when found, stays valid below: only the pattern table takes
	 * an add before it is counted, so one look-up serves both.
	 */
	it = f->values->exact ? dmo_topk_find(f->values, h) : NULL;
	if (it != NULL && it->memo2 != 0 && (pt = dmo_topk_find(f->patterns,
	    it->memo)) != NULL) {
		it->count++;
		pt->count++;
		f->types[DMO_PT_STRING]++;
		f->lsum += (it->memo2 & MEMO_CHARS) - 1;
		f->nlen_vals++;
		if (it->memo2 & MEMO_LZ)
			f->leading_zeros++;
		return;
	}
	lz = f->leading_zeros;
	if (add_string(f, s, n, &phash, &chars)) {
		if (it != NULL)
			it->count++;
		else if (dmo_topk_add(f->values, h, s, n, 0, 1, 0) &&
		    f->values->exact)
			it = dmo_topk_find(f->values, h);
		if (f->hll != NULL)
			dmo_hll_add(f->hll, h);
		if (it != NULL && chars < MEMO_CHARS) {
			it->memo = phash;
			it->memo2 = (uint32_t)chars + 1;
			if (f->leading_zeros != lz)
				it->memo2 |= MEMO_LZ;
		}
		return;
	}
	if (it != NULL)
		it->count++;
	else
		dmo_topk_add(f->values, h, s, n, 0, 1, 0);
	if (f->hll != NULL)
		dmo_hll_add(f->hll, h);
}

static void
add_value(struct pfield *f, enum dmo_type t, const char *s, size_t n)
{
	f->count++;
	switch (t) {
	case DMO_NULL:
		f->nulls++;
		return;
	case DMO_FALSE:
	case DMO_TRUE:
		f->types[DMO_PT_BOOLEAN]++;
		if (t == DMO_TRUE) {
			f->ntrue++;
			count_value(f, "true", 4);
		} else {
			f->nfalse++;
			count_value(f, "false", 5);
		}
		return;
	case DMO_NUMBER: {
		double x;
		int k = number_fast(s, n, &x);

		if (k < 0) {
			k = (int)number_kind(s, n);
			x = number_value(s, n);
		}
		f->types[k]++;
		add_number(f, s, n, x);
		break;
	}
	case DMO_STRING:
		if (n == 0) {
			f->empties++;
			count_value(f, "", 0);
			return;
		}
		add_text_value(f, s, n);
		return;
	case DMO_ARRAY:
	case DMO_OBJECT:
		f->types[DMO_PT_NESTED]++;
		if (t == DMO_ARRAY)
			f->narray++;
		else
			f->nobject++;
		count_value(f, s, n);
		return;
	}
	count_value(f, s, n);
}

void
dmo_profile_add(struct dmo_profile *p, const struct dmo_record *r)
{
	size_t i;

	if (r->shape != p->shape || r->shape == 0 || r->n != p->nmap)
		remap(p, r);
	p->records++;
	if (p->nin > 0)
		p->in[p->nin - 1].records++;
	for (i = 0; i < r->n; i++) {
		size_t len;
		const char *v;

		if (p->map[i] < 0)
			continue;
		v = dmo_record_value(r, i, &len);
		add_value(&p->f[p->map[i]], dmo_record_type(r, i), v, len);
	}
}

/* Merging. */

static void
merge_field(struct pfield *d, const struct pfield *s)
{
	size_t i;

	d->count += s->count;
	d->nulls += s->nulls;
	d->empties += s->empties;
	for (i = 0; i < DMO_PT_COUNT; i++)
		d->types[i] += s->types[i];
	d->ntrue += s->ntrue;
	d->nfalse += s->nfalse;
	d->narray += s->narray;
	d->nobject += s->nobject;
	/* Values: the table, then the distinct count of what it dropped. */
	dmo_topk_merge(d->values, s->values);
	if (!d->values->exact) {
		if (d->hll == NULL)
			d->hll = dmo_hll_new();
		if (s->hll != NULL)
			dmo_hll_merge(d->hll, s->hll);
		for (i = 0; i < s->values->n; i++)
			dmo_hll_add(d->hll, s->values->item[i].hash);
	}
	dmo_topk_merge(d->patterns, s->patterns);
	if (s->has_num) {
		offer_minmax(d, s->nmin_lex.p, s->nmin_lex.len, s->nmin);
		offer_minmax(d, s->nmax_lex.p, s->nmax_lex.len, s->nmax);
	}
	if (s->nnum > 0) {
		/* Chan et al.: the pairwise update of the moments. */
		double na = (double)d->nnum, nb = (double)s->nnum;
		double ma = d->nnum ? (d->sum + d->comp) / na : 0;
		double mb = (s->sum + s->comp) / nb;
		double delta = mb - ma, t;

		d->m2 += s->m2 + delta * delta * na * nb / (na + nb);
		t = d->sum + s->sum;
		if (fabs(d->sum) >= fabs(s->sum))
			d->comp += (d->sum - t) + s->sum;
		else
			d->comp += (s->sum - t) + d->sum;
		d->comp += s->comp;
		d->sum = t;
		d->nnum += s->nnum;
	}
	if (s->kll != NULL) {
		if (d->kll == NULL)
			d->kll = dmo_kll_new(DMO_KLL_K);
		dmo_kll_merge(d->kll, s->kll);
	}
	if (s->has_str) {
		if (!d->has_str || buf_cmp(&d->smin, s->smin.p, s->smin.len) > 0)
			buf_set(&d->smin, s->smin.p, s->smin.len);
		if (!d->has_str || buf_cmp(&d->smax, s->smax.p, s->smax.len) < 0)
			buf_set(&d->smax, s->smax.p, s->smax.len);
		d->has_str = 1;
	}
	if (s->has_date) {
		if (!d->has_date || buf_cmp(&d->dmin, s->dmin.p, s->dmin.len) > 0)
			buf_set(&d->dmin, s->dmin.p, s->dmin.len);
		if (!d->has_date || buf_cmp(&d->dmax, s->dmax.p, s->dmax.len) < 0)
			buf_set(&d->dmax, s->dmax.p, s->dmax.len);
		d->has_date = 1;
	}
	if (s->nlen_vals > 0) {
		if (s->lmin < d->lmin)
			d->lmin = s->lmin;
		if (s->lmax > d->lmax)
			d->lmax = s->lmax;
		d->lsum += s->lsum;
		d->nlen_vals += s->nlen_vals;
	}
	d->leading_zeros += s->leading_zeros;
	for (i = 0; i < NDFMT; i++)
		d->dfmt[i] += s->dfmt[i];
}

int
dmo_profile_merge(struct dmo_profile *d, const struct dmo_profile *s,
    struct dmo_err *err)
{
	size_t i, j;

	if (d->opts.exact_limit != s->opts.exact_limit ||
	    d->opts.top != s->opts.top) {
		dmo_err_set(err, DMO_EXIT_USAGE, NULL, "profiles made with "
		    "different --exact-limit or --top do not merge");
		return -1;
	}
	for (i = 0; i < s->nin; i++)
		add_input(d, s->in[i].source, s->in[i].records, s->in[i].bytes);
	d->inputs_dropped += s->inputs_dropped;
	for (i = 0; i < s->nsets; i++) {
		const struct fset *fs = &s->sets[i];
		size_t *map = dmo_xreallocarray(NULL, fs->n ? fs->n : 1,
		    sizeof(size_t));
		size_t k = 0;

		for (j = 0; j < fs->n; j++) {
			const struct pfield *sf = &s->f[fs->fields[j]];
			long f = field_for(d, sf->name, sf->nlen);

			if (f >= 0)
				map[k++] = (size_t)f;
		}
		/* The same fields as before: no change at the seam. */
		if (i > 0 || !d->have_last || k != d->nlast ||
		    memcmp(map, d->last, k * sizeof(size_t)) != 0)
			add_field_set(d, d->records + fs->from, fs->source, map,
			    k);
		d->last = dmo_xreallocarray(d->last, k ? k : 1, sizeof(size_t));
		memcpy(d->last, map, k * sizeof(size_t));
		d->nlast = k;
		d->mapcap = 0;
		d->have_last = 1;
		free(map);
	}
	/* Changes past the listed ones count without a listing. */
	d->field_set_changes += s->field_set_changes - s->nsets;
	d->shape = 0;
	for (i = 0; i < s->nf; i++) {
		long f = field_for(d, s->f[i].name, s->f[i].nlen);

		if (f < 0) {
			d->fields_dropped++;
			continue;
		}
		merge_field(&d->f[f], &s->f[i]);
	}
	d->fields_dropped += s->fields_dropped;
	d->records += s->records;
	d->bytes += s->bytes;
	return 0;
}

/* A small JSON writer: numbers go out as lexemes, not through jansson. */

struct jw {
	struct dmo_buf	*b;
	int		 pretty;
	int		 depth;
	int		 first;		/* nothing yet in this container */
	int		 keyed;		/* a key was just written */
};

static void
jw_newline(struct jw *w)
{
	int i;

	if (!w->pretty)
		return;
	dmo_buf_addc(w->b, '\n');
	for (i = 0; i < w->depth; i++)
		dmo_buf_add(w->b, "  ", 2);
}

static void
jw_sep(struct jw *w)
{
	if (w->keyed) {
		w->keyed = 0;
		return;
	}
	if (w->depth == 0)
		return;
	if (!w->first)
		dmo_buf_addc(w->b, ',');
	w->first = 0;
	jw_newline(w);
}

static void
jw_open(struct jw *w, int c)
{
	jw_sep(w);
	dmo_buf_addc(w->b, c);
	w->depth++;
	w->first = 1;
}

static void
jw_close(struct jw *w, int c)
{
	w->depth--;
	if (!w->first)
		jw_newline(w);
	dmo_buf_addc(w->b, c);
	w->first = 0;
}

static void
jw_key(struct jw *w, const char *k)
{
	jw_sep(w);
	dmo_json_buf_string(w->b, k, strlen(k));
	dmo_buf_add(w->b, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
	w->keyed = 1;
}

static void
jw_raw(struct jw *w, const char *s, size_t n)
{
	jw_sep(w);
	dmo_buf_add(w->b, s, n);
}

static void
jw_str(struct jw *w, const char *s, size_t n)
{
	jw_sep(w);
	dmo_json_buf_string(w->b, s, n);
}

static void
jw_ull(struct jw *w, unsigned long long v)
{
	char t[32];

	jw_raw(w, t, (size_t)snprintf(t, sizeof(t), "%llu", v));
}

/* The shortest text that reads back as the same double; null if none. */
static size_t
fmt_double(char *t, size_t len, double v)
{
	int prec;

	if (!isfinite(v))
		return (size_t)snprintf(t, len, "null");
	if (v == 0)
		return (size_t)snprintf(t, len, signbit(v) ? "-0" : "0");
	for (prec = 1; prec < 17; prec++) {
		snprintf(t, len, "%.*g", prec, v);
		if (strtod(t, NULL) == v)
			break;
	}
	return (size_t)snprintf(t, len, "%.*g", prec, v);
}

static void
jw_dbl(struct jw *w, double v)
{
	char t[40];

	jw_raw(w, t, fmt_double(t, sizeof(t), v));
}

/* Exactly, for states: 17 digits always read back the same. */
static void
jw_dbl17(struct jw *w, double v)
{
	char t[40];

	if (!isfinite(v))
		jw_raw(w, t, (size_t)snprintf(t, sizeof(t), "%s", v > 0 ?
		    "1e999" : v < 0 ? "-1e999" : "null"));
	else
		jw_raw(w, t, (size_t)snprintf(t, sizeof(t), "%.17g", v));
}

/*
 * A number as written when JSON tools read it back as a number (a double
 * that is finite, an integer within 64 bits: jansson refuses others);
 * else its double, or the lexeme as a string when that is not finite.
 */
static void
jw_num(struct jw *w, const char *lex, size_t len, double v)
{
	size_t i, digits = 0;
	int plain = 1;

	for (i = 0; i < len; i++)
		if (lex[i] == '.' || lex[i] == 'e' || lex[i] == 'E')
			plain = 0;
		else if (lex[i] >= '0' && lex[i] <= '9')
			digits++;
	if (isfinite(v) && (!plain || digits < 19 || (digits == 19 &&
	    fabs(v) < 9.2e18)))
		jw_raw(w, lex, len);
	else if (isfinite(v))
		jw_dbl(w, v);
	else
		jw_str(w, lex, len);
}

static void
jw_null(struct jw *w)
{
	jw_raw(w, "null", 4);
}

static void
jw_kull(struct jw *w, const char *k, unsigned long long v)
{
	jw_key(w, k);
	jw_ull(w, v);
}

/* The figures that output derives from a field. */

static enum dmo_ptype
dominant(const struct pfield *f)
{
	unsigned long long num = f->types[DMO_PT_INTEGER] +
	    f->types[DMO_PT_DECIMAL] + f->types[DMO_PT_FLOAT];
	unsigned long long dates = f->types[DMO_PT_DATE] +
	    f->types[DMO_PT_TIMESTAMP];
	unsigned long long all = 0, best = 0;
	enum dmo_ptype t = DMO_PT_COUNT;
	int i;

	for (i = 0; i < DMO_PT_COUNT; i++) {
		all += f->types[i];
		if (f->types[i] > best) {
			best = f->types[i];
			t = (enum dmo_ptype)i;
		}
	}
	if (all == 0)
		return DMO_PT_COUNT;
	/* Numbers of several kinds are numbers of the widest kind. */
	if (num == all)
		return f->types[DMO_PT_FLOAT] ? DMO_PT_FLOAT :
		    f->types[DMO_PT_DECIMAL] ? DMO_PT_DECIMAL : DMO_PT_INTEGER;
	if (dates == all)
		return f->types[DMO_PT_TIMESTAMP] ? DMO_PT_TIMESTAMP :
		    DMO_PT_DATE;
	return t;
}

static int
is_numeric(enum dmo_ptype t)
{
	return t == DMO_PT_INTEGER || t == DMO_PT_DECIMAL || t == DMO_PT_FLOAT;
}

struct numval {
	double			 v;
	const char		*lex;
	size_t			 len;
	unsigned long long	 count;
};

static int
cmp_numval(const void *a, const void *b)
{
	const struct numval *x = a, *y = b;

	return (x->v > y->v) - (x->v < y->v);
}

/*
 * The numbers of an exact value table, sorted, with their counts: exact
 * quantiles and histograms.  NULL when the table is not exact.
 */
static struct numval *
exact_numbers(const struct pfield *f, size_t *n, unsigned long long *total)
{
	struct numval *v;
	size_t i, k = 0;

	*total = 0;
	if (!f->values->exact)
		return NULL;
	v = dmo_xreallocarray(NULL, f->values->n + 1, sizeof(*v));
	for (i = 0; i < f->values->n; i++) {
		const struct dmo_topk_item *it = &f->values->item[i];
		double x;

		if (it->cut || !dmo_number_valid(it->text, it->len))
			continue;
		x = number_value(it->text, it->len);
		if (!isfinite(x))
			continue;
		v[k].v = x;
		v[k].lex = it->text;
		v[k].len = it->len;
		v[k].count = it->count;
		*total += it->count;
		k++;
	}
	qsort(v, k, sizeof(*v), cmp_numval);
	*n = k;
	return v;
}

static const struct {
	const char	*key;
	double		 q;
} quantiles[] = {
	{ "p0", 0 }, { "p1", 0.01 }, { "p5", 0.05 }, { "p25", 0.25 },
	{ "p50", 0.5 }, { "p75", 0.75 }, { "p95", 0.95 }, { "p99", 0.99 },
	{ "p100", 1 }
};

static void
put_quantiles(struct jw *w, const struct pfield *f, const struct numval *ex,
    size_t nex, unsigned long long total)
{
	size_t i, j;

	jw_open(w, '{');
	for (i = 0; i < sizeof(quantiles) / sizeof(quantiles[0]); i++) {
		double q = quantiles[i].q;

		jw_key(w, quantiles[i].key);
		if (ex != NULL) {
			/* The nearest rank: the first value whose count
			 * reaches ceil(q * n), at least 1. */
			unsigned long long want = (unsigned long long)ceil(q *
			    (double)total), c = 0;

			if (want == 0)
				want = 1;
			for (j = 0; j < nex; j++) {
				c += ex[j].count;
				if (c >= want)
					break;
			}
			if (j == nex)
				j = nex - 1;
			jw_num(w, ex[j].lex, ex[j].len, ex[j].v);
		} else if (q == 0)
			jw_num(w, f->nmin_lex.p, f->nmin_lex.len, f->nmin);
		else if (q == 1)
			jw_num(w, f->nmax_lex.p, f->nmax_lex.len, f->nmax);
		else
			jw_dbl(w, dmo_kll_quantile(f->kll, q));
	}
	jw_key(w, "error");
	jw_dbl(w, ex != NULL ? 0 : DMO_KLL_ERROR);
	jw_close(w, '}');
}

static void
put_histogram(struct jw *w, const struct pfield *f, const struct numval *ex,
    size_t nex, unsigned long long total)
{
	/* The finite range: the sketch sees only finite values. */
	double lo = f->kll->min, hi = f->kll->max;
	unsigned long long counts[HIST_BINS] = { 0 }, done = 0;
	size_t i, bins = HIST_BINS;

	if (lo == hi)
		bins = 1;
	if (ex != NULL) {
		for (i = 0; i < nex; i++) {
			size_t b = bins == 1 ? 0 : (size_t)((ex[i].v - lo) *
			    (double)bins / (hi - lo));

			counts[b < bins ? b : bins - 1] += ex[i].count;
		}
	} else {
		/* From the sketch's ranks, rounded so that they add up. */
		for (i = 0; i < bins; i++) {
			double edge = lo + (hi - lo) * (double)(i + 1) /
			    (double)bins;
			double r = i + 1 == bins ? 1 : dmo_kll_rank(f->kll, edge);
			unsigned long long upto = (unsigned long long)llround(r *
			    (double)f->kll->n);

			if (i + 1 < bins && upto > 0 && edge >= hi)
				upto = f->kll->n;
			counts[i] = upto > done ? upto - done : 0;
			done += counts[i];
		}
	}
	(void)total;
	jw_open(w, '{');
	jw_key(w, "edges");
	jw_open(w, '[');
	for (i = 0; i <= bins; i++)
		jw_dbl(w, i == bins ? hi : lo + (hi - lo) * (double)i /
		    (double)bins);
	jw_close(w, ']');
	jw_key(w, "counts");
	jw_open(w, '[');
	for (i = 0; i < bins; i++)
		jw_ull(w, counts[i]);
	jw_close(w, ']');
	jw_key(w, "exact");
	jw_raw(w, ex != NULL ? "true" : "false", ex != NULL ? 4 : 5);
	jw_close(w, '}');
}

static void
put_top(struct jw *w, const struct dmo_topk *t, size_t top, const char *key)
{
	struct dmo_topk_item **v;
	size_t n = dmo_topk_sorted(t, &v), i;

	jw_open(w, '[');
	for (i = 0; i < n && i < top; i++) {
		jw_open(w, '{');
		jw_key(w, key);
		jw_str(w, v[i]->text, v[i]->len);
		jw_kull(w, "count", v[i]->count);
		jw_kull(w, "error", v[i]->error);
		if (v[i]->cut) {
			jw_key(w, "cut");
			jw_raw(w, "true", 4);
		}
		jw_close(w, '}');
	}
	jw_close(w, ']');
	free(v);
}

struct dfcount {
	int			 id;
	unsigned long long	 count;
};

static int
cmp_dfcount(const void *a, const void *b)
{
	const struct dfcount *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->id - y->id;
}

static size_t
date_formats(const struct pfield *f, struct dfcount *out)
{
	size_t i, n = 0;

	for (i = 0; i < NDFMT; i++)
		if (f->dfmt[i] > 0) {
			out[n].id = (int)i;
			out[n++].count = f->dfmt[i];
		}
	qsort(out, n, sizeof(*out), cmp_dfcount);
	return n;
}

static double
distinct_value(const struct pfield *f, int *exact)
{
	*exact = f->values->exact;
	if (*exact)
		return (double)f->values->n;
	return f->hll != NULL ? round(dmo_hll_estimate(f->hll)) : 0;
}

static void
put_minmax(struct jw *w, const struct pfield *f, enum dmo_ptype t, int max)
{
	if (is_numeric(t) && f->has_num) {
		const struct dmo_buf *b = max ? &f->nmax_lex : &f->nmin_lex;

		jw_num(w, b->p, b->len, max ? f->nmax : f->nmin);
	} else if ((t == DMO_PT_DATE || t == DMO_PT_TIMESTAMP) && f->has_date) {
		const struct dmo_buf *b = max ? &f->dmax : &f->dmin;

		jw_str(w, b->p, b->len);
	} else if (t == DMO_PT_BOOLEAN) {
		int v = max ? f->ntrue > 0 : f->nfalse == 0;

		jw_raw(w, v ? "true" : "false", v ? 4 : 5);
	} else if (t == DMO_PT_STRING && f->has_str) {
		const struct dmo_buf *b = max ? &f->smax : &f->smin;

		jw_str(w, b->p, b->len);
	} else
		jw_null(w);
}

static void
put_field(struct jw *w, const struct dmo_profile *p, const struct pfield *f)
{
	enum dmo_ptype t = dominant(f);
	struct dfcount df[NDFMT];
	struct numval *ex = NULL;
	unsigned long long total = 0;
	size_t nex = 0, i, ndf;
	int exact;
	double dv;

	jw_open(w, '{');
	jw_key(w, "name");
	jw_str(w, f->name, f->nlen);
	jw_kull(w, "count", f->count);
	jw_kull(w, "nulls", f->nulls);
	jw_kull(w, "empties", f->empties);
	jw_key(w, "types");
	jw_open(w, '{');
	for (i = 0; i < DMO_PT_COUNT; i++)
		jw_kull(w, dmo_ptype_name((enum dmo_ptype)i), f->types[i]);
	jw_close(w, '}');
	jw_key(w, "type");
	jw_str(w, dmo_ptype_name(t), strlen(dmo_ptype_name(t)));
	jw_key(w, "distinct");
	dv = distinct_value(f, &exact);
	jw_open(w, '{');
	jw_key(w, "value");
	jw_dbl(w, dv);
	jw_key(w, "exact");
	jw_raw(w, exact ? "true" : "false", exact ? 4 : 5);
	jw_key(w, "error");
	jw_dbl(w, exact ? 0 : DMO_HLL_ERROR);
	jw_close(w, '}');
	jw_key(w, "min");
	put_minmax(w, f, t, 0);
	jw_key(w, "max");
	put_minmax(w, f, t, 1);
	if (is_numeric(t) && f->nnum > 0) {
		ex = exact_numbers(f, &nex, &total);
		if (ex != NULL && nex == 0) {
			free(ex);
			ex = NULL;
		}
	}
	jw_key(w, "mean");
	if (is_numeric(t) && f->nnum > 0)
		jw_dbl(w, (f->sum + f->comp) / (double)f->nnum);
	else
		jw_null(w);
	jw_key(w, "stddev");
	if (is_numeric(t) && f->nnum > 1)
		jw_dbl(w, sqrt(f->m2 / (double)(f->nnum - 1)));
	else
		jw_null(w);
	jw_key(w, "quantiles");
	if (is_numeric(t) && f->nnum > 0 && f->kll != NULL)
		put_quantiles(w, f, ex, nex, total);
	else
		jw_null(w);
	jw_key(w, "histogram");
	if (is_numeric(t) && f->nnum > 0 && f->kll != NULL)
		put_histogram(w, f, ex, nex, total);
	else
		jw_null(w);
	free(ex);
	jw_key(w, "top");
	put_top(w, f->values, p->opts.top, "value");
	jw_key(w, "length");
	if (f->nlen_vals > 0) {
		jw_open(w, '{');
		jw_kull(w, "min", f->lmin);
		jw_kull(w, "max", f->lmax);
		jw_key(w, "mean");
		jw_dbl(w, (double)f->lsum / (double)f->nlen_vals);
		jw_close(w, '}');
	} else
		jw_null(w);
	jw_key(w, "patterns");
	put_top(w, f->patterns, p->opts.top, "pattern");
	jw_kull(w, "leading_zeros", f->leading_zeros);
	jw_key(w, "date_formats");
	ndf = date_formats(f, df);
	jw_open(w, '[');
	for (i = 0; i < ndf; i++) {
		char name[64];

		dfmt_name(df[i].id, name, sizeof(name));
		jw_open(w, '{');
		jw_key(w, "format");
		jw_str(w, name, strlen(name));
		jw_kull(w, "count", df[i].count);
		jw_close(w, '}');
	}
	jw_close(w, ']');
	jw_close(w, '}');
}

static void
put_names(struct jw *w, const struct dmo_profile *p, const size_t *fields,
    size_t n)
{
	size_t i;

	jw_open(w, '[');
	for (i = 0; i < n; i++)
		jw_str(w, p->f[fields[i]].name, p->f[fields[i]].nlen);
	jw_close(w, ']');
}

void
dmo_profile_json(const struct dmo_profile *p, struct dmo_buf *out, int pretty)
{
	struct jw w = { out, pretty, 0, 1, 0 };
	size_t i;

	jw_open(&w, '{');
	jw_kull(&w, "records", p->records);
	jw_kull(&w, "bytes", p->bytes);
	jw_key(&w, "inputs");
	jw_open(&w, '[');
	for (i = 0; i < p->nin; i++) {
		jw_open(&w, '{');
		jw_key(&w, "source");
		jw_str(&w, p->in[i].source, strlen(p->in[i].source));
		jw_kull(&w, "records", p->in[i].records);
		jw_kull(&w, "bytes", p->in[i].bytes);
		jw_close(&w, '}');
	}
	jw_close(&w, ']');
	jw_key(&w, "field_sets");
	jw_open(&w, '[');
	for (i = 0; i < p->nsets; i++) {
		jw_open(&w, '{');
		jw_kull(&w, "from_record", p->sets[i].from);
		jw_key(&w, "source");
		jw_str(&w, p->sets[i].source, strlen(p->sets[i].source));
		jw_key(&w, "fields");
		put_names(&w, p, p->sets[i].fields, p->sets[i].n);
		jw_close(&w, '}');
	}
	jw_close(&w, ']');
	jw_kull(&w, "field_set_changes", p->field_set_changes);
	jw_kull(&w, "fields_dropped", p->fields_dropped);
	jw_key(&w, "fields");
	jw_open(&w, '[');
	for (i = 0; i < p->nf; i++)
		put_field(&w, p, &p->f[i]);
	jw_close(&w, ']');
	jw_close(&w, '}');
	if (pretty)
		dmo_buf_addc(out, '\n');
}

struct dmo_doc *
dmo_profile_doc(const struct dmo_profile *p)
{
	struct dmo_buf b = DMO_BUF_INIT;
	struct dmo_doc *d;
	struct dmo_err err;

	dmo_profile_json(p, &b, 0);
	d = dmo_doc_parse(b.p, b.len, "profile", &err);
	dmo_buf_release(&b);
	return d;
}

/* States: everything a merge needs, one JSON line. */

#define STATE_VERSION	1

static void
put_hash(struct jw *w, uint64_t h)
{
	char t[24];

	jw_str(w, t, (size_t)snprintf(t, sizeof(t), "%016llx",
	    (unsigned long long)h));
}

static void
state_topk(struct jw *w, const struct dmo_topk *t)
{
	size_t i;

	jw_open(w, '{');
	jw_key(w, "exact");
	jw_raw(w, t->exact ? "true" : "false", t->exact ? 4 : 5);
	jw_kull(w, "offset", t->offset);
	jw_key(w, "items");
	jw_open(w, '[');
	for (i = 0; i < t->n; i++) {
		const struct dmo_topk_item *it = &t->item[i];

		jw_open(w, '[');
		put_hash(w, it->hash);
		jw_ull(w, it->count);
		jw_ull(w, it->error);
		jw_str(w, it->text, it->len);
		jw_ull(w, (unsigned long long)it->cut);
		jw_close(w, ']');
	}
	jw_close(w, ']');
	jw_close(w, '}');
}

static void
state_buf(struct jw *w, const char *key, const struct dmo_buf *b, int have)
{
	jw_key(w, key);
	if (have)
		jw_str(w, b->p != NULL ? b->p : "", b->len);
	else
		jw_null(w);
}

static void
state_field(struct jw *w, const struct pfield *f)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;
	unsigned h;

	jw_open(w, '{');
	jw_key(w, "name");
	jw_str(w, f->name, f->nlen);
	jw_kull(w, "count", f->count);
	jw_kull(w, "nulls", f->nulls);
	jw_kull(w, "empties", f->empties);
	jw_key(w, "types");
	jw_open(w, '[');
	for (i = 0; i < DMO_PT_COUNT; i++)
		jw_ull(w, f->types[i]);
	jw_close(w, ']');
	jw_key(w, "bools");
	jw_open(w, '[');
	jw_ull(w, f->nfalse);
	jw_ull(w, f->ntrue);
	jw_ull(w, f->narray);
	jw_ull(w, f->nobject);
	jw_close(w, ']');
	jw_key(w, "values");
	state_topk(w, f->values);
	jw_key(w, "hll");
	if (f->hll != NULL) {
		struct dmo_buf b = DMO_BUF_INIT;

		for (i = 0; i < DMO_HLL_M; i++) {
			dmo_buf_addc(&b, hex[f->hll->reg[i] >> 4]);
			dmo_buf_addc(&b, hex[f->hll->reg[i] & 15]);
		}
		jw_str(w, b.p, b.len);
		dmo_buf_release(&b);
	} else
		jw_null(w);
	jw_key(w, "patterns");
	state_topk(w, f->patterns);
	jw_key(w, "num");
	if (f->has_num) {
		jw_open(w, '{');
		jw_kull(w, "n", f->nnum);
		jw_key(w, "sum");
		jw_dbl17(w, f->sum);
		jw_key(w, "comp");
		jw_dbl17(w, f->comp);
		jw_key(w, "m2");
		jw_dbl17(w, f->m2);
		jw_key(w, "min");
		jw_str(w, f->nmin_lex.p, f->nmin_lex.len);
		jw_key(w, "max");
		jw_str(w, f->nmax_lex.p, f->nmax_lex.len);
		jw_close(w, '}');
	} else
		jw_null(w);
	jw_key(w, "kll");
	if (f->kll != NULL) {
		jw_open(w, '{');
		jw_kull(w, "n", f->kll->n);
		jw_key(w, "min");
		jw_dbl17(w, f->kll->min);
		jw_key(w, "max");
		jw_dbl17(w, f->kll->max);
		jw_key(w, "levels");
		jw_open(w, '[');
		for (h = 0; h < f->kll->nlevels; h++) {
			jw_open(w, '[');
			for (i = 0; i < f->kll->size[h]; i++)
				jw_dbl17(w, f->kll->level[h][i]);
			jw_close(w, ']');
		}
		jw_close(w, ']');
		jw_close(w, '}');
	} else
		jw_null(w);
	state_buf(w, "smin", &f->smin, f->has_str);
	state_buf(w, "smax", &f->smax, f->has_str);
	state_buf(w, "dmin", &f->dmin, f->has_date);
	state_buf(w, "dmax", &f->dmax, f->has_date);
	jw_key(w, "len");
	jw_open(w, '[');
	jw_ull(w, f->nlen_vals);
	jw_ull(w, f->lsum);
	jw_ull(w, f->nlen_vals ? f->lmin : 0);
	jw_ull(w, f->lmax);
	jw_close(w, ']');
	jw_kull(w, "leading_zeros", f->leading_zeros);
	jw_key(w, "dfmt");
	jw_open(w, '[');
	for (i = 0; i < NDFMT; i++)
		if (f->dfmt[i] > 0) {
			jw_open(w, '[');
			jw_ull(w, i);
			jw_ull(w, f->dfmt[i]);
			jw_close(w, ']');
		}
	jw_close(w, ']');
	jw_close(w, '}');
}

void
dmo_profile_state(const struct dmo_profile *p, struct dmo_buf *out)
{
	struct jw w = { out, 0, 0, 1, 0 };
	size_t i;

	jw_open(&w, '{');
	jw_kull(&w, "dmo_profile_state", STATE_VERSION);
	jw_kull(&w, "exact_limit", p->opts.exact_limit);
	jw_kull(&w, "top", p->opts.top);
	jw_kull(&w, "max_fields", p->opts.max_fields);
	jw_kull(&w, "records", p->records);
	jw_kull(&w, "bytes", p->bytes);
	jw_kull(&w, "field_set_changes", p->field_set_changes);
	jw_kull(&w, "fields_dropped", p->fields_dropped);
	jw_kull(&w, "inputs_dropped", p->inputs_dropped);
	jw_key(&w, "inputs");
	jw_open(&w, '[');
	for (i = 0; i < p->nin; i++) {
		jw_open(&w, '[');
		jw_str(&w, p->in[i].source, strlen(p->in[i].source));
		jw_ull(&w, p->in[i].records);
		jw_ull(&w, p->in[i].bytes);
		jw_close(&w, ']');
	}
	jw_close(&w, ']');
	jw_key(&w, "field_sets");
	jw_open(&w, '[');
	for (i = 0; i < p->nsets; i++) {
		jw_open(&w, '{');
		jw_kull(&w, "from", p->sets[i].from);
		jw_key(&w, "source");
		jw_str(&w, p->sets[i].source, strlen(p->sets[i].source));
		jw_key(&w, "fields");
		put_names(&w, p, p->sets[i].fields, p->sets[i].n);
		jw_close(&w, '}');
	}
	jw_close(&w, ']');
	jw_key(&w, "fields");
	jw_open(&w, '[');
	for (i = 0; i < p->nf; i++)
		state_field(&w, &p->f[i]);
	jw_close(&w, ']');
	jw_close(&w, '}');
	dmo_buf_addc(out, '\n');
}

/* Reading a state back: every key checked, so a bad file is named. */

struct rd {
	const char	*name;
	struct dmo_err	*err;
	int		 bad;
};

static void
rd_fail(struct rd *r, const char *what)
{
	if (!r->bad)
		dmo_err_set(r->err, DMO_EXIT_USAGE, NULL, "%s: not a dmo-profile "
		    "state: %s", r->name, what);
	r->bad = 1;
}

static const struct dmo_doc *
rd_get(struct rd *r, const struct dmo_doc *o, const char *key,
    enum dmo_doc_type want)
{
	const struct dmo_doc *v = o != NULL ? dmo_doc_get(o, key) : NULL;
	enum dmo_doc_type t;

	if (v == NULL) {
		char m[96];

		snprintf(m, sizeof(m), "'%s' missing", key);
		rd_fail(r, m);
		return NULL;
	}
	t = dmo_doc_type(v);
	if (t == want || (want == DMO_DOC_REAL && t == DMO_DOC_INT) ||
	    want == DMO_DOC_NULL)
		return v;
	{
		char m[96];

		snprintf(m, sizeof(m), "'%s' is a %s", key,
		    dmo_doc_type_name(v));
		rd_fail(r, m);
	}
	return NULL;
}

static unsigned long long
rd_ull_of(struct rd *r, const struct dmo_doc *v, const char *what)
{
	long long x;

	if (v == NULL || dmo_doc_type(v) != DMO_DOC_INT ||
	    (x = dmo_doc_integer(v)) < 0) {
		char m[96];

		snprintf(m, sizeof(m), "'%s' is not a count", what);
		rd_fail(r, m);
		return 0;
	}
	return (unsigned long long)x;
}

static unsigned long long
rd_ull(struct rd *r, const struct dmo_doc *o, const char *key)
{
	const struct dmo_doc *v = rd_get(r, o, key, DMO_DOC_INT);

	return v != NULL ? rd_ull_of(r, v, key) : 0;
}

static double
rd_real(struct rd *r, const struct dmo_doc *o, const char *key)
{
	const struct dmo_doc *v = rd_get(r, o, key, DMO_DOC_REAL);

	return v != NULL ? dmo_doc_number(v) : 0;
}

static const char *
rd_str(struct rd *r, const struct dmo_doc *v, size_t *len, const char *what)
{
	const char *s;

	if (v == NULL || (s = dmo_doc_string(v, len)) == NULL) {
		char m[96];

		snprintf(m, sizeof(m), "'%s' is not a string", what);
		rd_fail(r, m);
		*len = 0;
		return "";
	}
	return s;
}

static void
rd_buf(struct rd *r, const struct dmo_doc *o, const char *key,
    struct dmo_buf *b, int *have)
{
	const struct dmo_doc *v = rd_get(r, o, key, DMO_DOC_NULL);
	size_t len;
	const char *s;

	if (v == NULL || dmo_doc_type(v) == DMO_DOC_NULL)
		return;
	s = rd_str(r, v, &len, key);
	buf_set(b, s, len);
	*have = 1;
}

static void
rd_topk(struct rd *r, const struct dmo_doc *v, struct dmo_topk *t,
    const char *what)
{
	const struct dmo_doc *items, *ex;
	size_t i, n;

	if (v == NULL || dmo_doc_type(v) != DMO_DOC_OBJECT) {
		rd_fail(r, what);
		return;
	}
	ex = rd_get(r, v, "exact", DMO_DOC_NULL);
	items = rd_get(r, v, "items", DMO_DOC_ARRAY);
	if (ex == NULL || items == NULL)
		return;
	if (dmo_doc_type(ex) == DMO_DOC_FALSE)
		dmo_topk_approximate(t);
	n = dmo_doc_size(items);
	if (!t->exact && n > 2 * t->capacity) {
		rd_fail(r, "a value table is larger than its capacity");
		return;
	}
	for (i = 0; i < n && !r->bad; i++) {
		const struct dmo_doc *it = dmo_doc_index(items, i);
		const char *hs, *text;
		size_t hl, tl;
		unsigned long long h;
		char *end;

		if (dmo_doc_type(it) != DMO_DOC_ARRAY || dmo_doc_size(it) != 5) {
			rd_fail(r, "a value is not [hash, count, error, text, "
			    "cut]");
			return;
		}
		hs = rd_str(r, dmo_doc_index(it, 0), &hl, "hash");
		text = rd_str(r, dmo_doc_index(it, 3), &tl, "text");
		h = strtoull(hs, &end, 16);
		if (hl != 16 || *end != '\0') {
			rd_fail(r, "a hash is not 16 hex digits");
			return;
		}
		{
			unsigned long long c = rd_ull_of(r,
			    dmo_doc_index(it, 1), "count");
			unsigned long long e = rd_ull_of(r,
			    dmo_doc_index(it, 2), "error");

			if (e > c) {
				rd_fail(r, "a value's error exceeds its count");
				return;
			}
			if (dmo_topk_add(t, (uint64_t)h, text, tl, rd_ull_of(r,
			    dmo_doc_index(it, 4), "cut") != 0, c, e) == 0) {
				rd_fail(r, "a value is listed twice");
				return;
			}
		}
	}
	/* Set last: dmo_topk_add counts it in for new values. */
	t->offset = rd_ull(r, v, "offset");
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void
rd_field(struct rd *r, struct dmo_profile *p, const struct dmo_doc *o)
{
	const struct dmo_doc *v, *a;
	const char *name;
	struct pfield *f;
	size_t len, i, j;
	long k;

	name = rd_str(r, rd_get(r, o, "name", DMO_DOC_STRING), &len, "name");
	if (r->bad)
		return;
	if (find_field(p, name, len) >= 0) {
		rd_fail(r, "a field is listed twice");
		return;
	}
	if ((k = new_field(p, name, len)) < 0) {
		rd_fail(r, "more fields than --max-fields");
		return;
	}
	f = &p->f[k];
	f->count = rd_ull(r, o, "count");
	f->nulls = rd_ull(r, o, "nulls");
	f->empties = rd_ull(r, o, "empties");
	if ((a = rd_get(r, o, "types", DMO_DOC_ARRAY)) != NULL) {
		if (dmo_doc_size(a) != DMO_PT_COUNT)
			rd_fail(r, "'types' has not 8 counts");
		for (i = 0; i < DMO_PT_COUNT && !r->bad; i++)
			f->types[i] = rd_ull_of(r, dmo_doc_index(a, i), "types");
	}
	if ((a = rd_get(r, o, "bools", DMO_DOC_ARRAY)) != NULL) {
		if (dmo_doc_size(a) != 4)
			rd_fail(r, "'bools' has not 4 counts");
		f->nfalse = rd_ull_of(r, dmo_doc_index(a, 0), "bools");
		f->ntrue = rd_ull_of(r, dmo_doc_index(a, 1), "bools");
		f->narray = rd_ull_of(r, dmo_doc_index(a, 2), "bools");
		f->nobject = rd_ull_of(r, dmo_doc_index(a, 3), "bools");
	}
	if (r->bad)
		return;
	/* The spill must not run while the table is read back. */
	f->values->spill = NULL;
	rd_topk(r, rd_get(r, o, "values", DMO_DOC_OBJECT), f->values, "values");
	f->values->spill = field_spill;
	f->values->spill_ctx = f;
	v = rd_get(r, o, "hll", DMO_DOC_NULL);
	if (v != NULL && dmo_doc_type(v) != DMO_DOC_NULL) {
		const char *s = rd_str(r, v, &len, "hll");

		if (len != 2 * DMO_HLL_M) {
			rd_fail(r, "'hll' has not 32768 hex digits");
			return;
		}
		f->hll = dmo_hll_new();
		for (i = 0; i < DMO_HLL_M; i++) {
			int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

			if (hi < 0 || lo < 0 || hi * 16 + lo > 64 - DMO_HLL_P + 1) {
				rd_fail(r, "'hll' has a bad register");
				return;
			}
			f->hll->reg[i] = (uint8_t)(hi * 16 + lo);
		}
	}
	if (!f->values->exact && f->hll == NULL) {
		rd_fail(r, "an approximate value table without 'hll'");
		return;
	}
	rd_topk(r, rd_get(r, o, "patterns", DMO_DOC_OBJECT), f->patterns,
	    "patterns");
	v = rd_get(r, o, "num", DMO_DOC_NULL);
	if (v != NULL && dmo_doc_type(v) == DMO_DOC_OBJECT) {
		const char *s;

		f->nnum = rd_ull(r, v, "n");
		f->sum = rd_real(r, v, "sum");
		f->comp = rd_real(r, v, "comp");
		f->m2 = rd_real(r, v, "m2");
		s = rd_str(r, rd_get(r, v, "min", DMO_DOC_STRING), &len, "min");
		if (!r->bad && !dmo_number_valid(s, len))
			rd_fail(r, "'min' is not a number");
		buf_set(&f->nmin_lex, s, len);
		f->nmin = number_value(dmo_buf_cstr(&f->nmin_lex), len);
		s = rd_str(r, rd_get(r, v, "max", DMO_DOC_STRING), &len, "max");
		if (!r->bad && !dmo_number_valid(s, len))
			rd_fail(r, "'max' is not a number");
		buf_set(&f->nmax_lex, s, len);
		f->nmax = number_value(dmo_buf_cstr(&f->nmax_lex), len);
		f->has_num = 1;
	}
	v = rd_get(r, o, "kll", DMO_DOC_NULL);
	if (v != NULL && dmo_doc_type(v) == DMO_DOC_OBJECT) {
		const struct dmo_doc *lv = rd_get(r, v, "levels", DMO_DOC_ARRAY);
		unsigned long long n = rd_ull(r, v, "n"), w = 0;

		f->kll = dmo_kll_new(DMO_KLL_K);
		f->kll->min = rd_real(r, v, "min");
		f->kll->max = rd_real(r, v, "max");
		if (lv != NULL && dmo_doc_size(lv) > 60)
			rd_fail(r, "'kll' has too many levels");
		for (i = 0; lv != NULL && i < dmo_doc_size(lv) && !r->bad; i++) {
			const struct dmo_doc *l = dmo_doc_index(lv, i);

			if (dmo_doc_type(l) != DMO_DOC_ARRAY) {
				rd_fail(r, "a 'kll' level is not an array");
				break;
			}
			for (j = 0; j < dmo_doc_size(l); j++) {
				const struct dmo_doc *x = dmo_doc_index(l, j);

				if (dmo_doc_type(x) != DMO_DOC_INT &&
				    dmo_doc_type(x) != DMO_DOC_REAL) {
					rd_fail(r, "a 'kll' item is not a number");
					break;
				}
				dmo_kll_add_weighted(f->kll, dmo_doc_number(x),
				    (unsigned)i);
				w += (unsigned long long)1 << i;
			}
		}
		if (!r->bad && w != n)
			rd_fail(r, "'kll' weights do not add up to 'n'");
		f->kll->n = n;
	}
	rd_buf(r, o, "smin", &f->smin, &f->has_str);
	rd_buf(r, o, "smax", &f->smax, &f->has_str);
	rd_buf(r, o, "dmin", &f->dmin, &f->has_date);
	rd_buf(r, o, "dmax", &f->dmax, &f->has_date);
	if ((a = rd_get(r, o, "len", DMO_DOC_ARRAY)) != NULL) {
		if (dmo_doc_size(a) != 4) {
			rd_fail(r, "'len' has not 4 numbers");
			return;
		}
		f->nlen_vals = rd_ull_of(r, dmo_doc_index(a, 0), "len");
		f->lsum = rd_ull_of(r, dmo_doc_index(a, 1), "len");
		f->lmin = (size_t)rd_ull_of(r, dmo_doc_index(a, 2), "len");
		f->lmax = (size_t)rd_ull_of(r, dmo_doc_index(a, 3), "len");
		if (f->nlen_vals == 0)
			f->lmin = SIZE_MAX;
	}
	f->leading_zeros = rd_ull(r, o, "leading_zeros");
	if ((a = rd_get(r, o, "dfmt", DMO_DOC_ARRAY)) != NULL)
		for (i = 0; i < dmo_doc_size(a) && !r->bad; i++) {
			const struct dmo_doc *e = dmo_doc_index(a, i);
			unsigned long long id;

			if (dmo_doc_type(e) != DMO_DOC_ARRAY ||
			    dmo_doc_size(e) != 2) {
				rd_fail(r, "a 'dfmt' entry is not [id, count]");
				return;
			}
			id = rd_ull_of(r, dmo_doc_index(e, 0), "dfmt");
			if (id >= NDFMT) {
				rd_fail(r, "a 'dfmt' id is out of range");
				return;
			}
			f->dfmt[id] = rd_ull_of(r, dmo_doc_index(e, 1), "dfmt");
		}
}

struct dmo_profile *
dmo_profile_from_state(const struct dmo_doc *d, const char *name,
    struct dmo_err *err)
{
	struct rd r = { name, err, 0 };
	struct dmo_profile_opts o;
	struct dmo_profile *p;
	const struct dmo_doc *a;
	size_t i, j;

	dmo_err_clear(err);
	if (dmo_doc_type(d) != DMO_DOC_OBJECT) {
		rd_fail(&r, "not an object");
		return NULL;
	}
	if (rd_ull(&r, d, "dmo_profile_state") != STATE_VERSION) {
		rd_fail(&r, "version is not 1");
		return NULL;
	}
	memset(&o, 0, sizeof(o));
	o.exact_limit = (size_t)rd_ull(&r, d, "exact_limit");
	o.top = (size_t)rd_ull(&r, d, "top");
	o.max_fields = (size_t)rd_ull(&r, d, "max_fields");
	if (r.bad)
		return NULL;
	if (o.exact_limit == 0 || o.top == 0 || o.top > 1000 ||
	    o.max_fields == 0) {
		rd_fail(&r, "bad options");
		return NULL;
	}
	p = dmo_profile_new(&o);
	p->records = rd_ull(&r, d, "records");
	p->bytes = rd_ull(&r, d, "bytes");
	p->field_set_changes = rd_ull(&r, d, "field_set_changes");
	p->fields_dropped = rd_ull(&r, d, "fields_dropped");
	p->inputs_dropped = rd_ull(&r, d, "inputs_dropped");
	if ((a = rd_get(&r, d, "fields", DMO_DOC_ARRAY)) != NULL)
		for (i = 0; i < dmo_doc_size(a) && !r.bad; i++)
			rd_field(&r, p, dmo_doc_index(a, i));
	if ((a = rd_get(&r, d, "inputs", DMO_DOC_ARRAY)) != NULL)
		for (i = 0; i < dmo_doc_size(a) && !r.bad; i++) {
			const struct dmo_doc *e = dmo_doc_index(a, i);
			const char *s;
			size_t len;

			if (dmo_doc_type(e) != DMO_DOC_ARRAY ||
			    dmo_doc_size(e) != 3) {
				rd_fail(&r, "an input is not [source, records, "
				    "bytes]");
				break;
			}
			s = rd_str(&r, dmo_doc_index(e, 0), &len, "source");
			add_input(p, s, rd_ull_of(&r, dmo_doc_index(e, 1),
			    "records"), rd_ull_of(&r, dmo_doc_index(e, 2),
			    "bytes"));
		}
	if ((a = rd_get(&r, d, "field_sets", DMO_DOC_ARRAY)) != NULL)
		for (i = 0; i < dmo_doc_size(a) && !r.bad; i++) {
			const struct dmo_doc *e = dmo_doc_index(a, i), *names;
			const char *src;
			size_t len, *fl, n = 0;

			src = rd_str(&r, rd_get(&r, e, "source", DMO_DOC_STRING),
			    &len, "source");
			names = rd_get(&r, e, "fields", DMO_DOC_ARRAY);
			if (r.bad)
				break;
			fl = dmo_xreallocarray(NULL, dmo_doc_size(names) + 1,
			    sizeof(size_t));
			for (j = 0; j < dmo_doc_size(names); j++) {
				const char *nm = rd_str(&r,
				    dmo_doc_index(names, j), &len, "fields");
				long k = find_field(p, nm, len);

				if (k < 0 && !r.bad)
					rd_fail(&r, "a field set names an "
					    "unknown field");
				if (k >= 0)
					fl[n++] = (size_t)k;
			}
			if (!r.bad) {
				size_t changes = p->field_set_changes;

				add_field_set(p, rd_ull(&r, e, "from"), src, fl,
				    n);
				p->field_set_changes = changes;
				p->last = dmo_xreallocarray(p->last, n + 1,
				    sizeof(size_t));
				memcpy(p->last, fl, n * sizeof(size_t));
				p->nlast = n;
				p->have_last = 1;
				p->mapcap = 0;
			}
			free(fl);
		}
	if (r.bad) {
		dmo_profile_free(p);
		return NULL;
	}
	return p;
}

/* The schema for dmo-clean (dmo-schema(5)). */

/* Does a numeric lexeme fit in 64 signed bits as an integer? */
static int
fits_int64(const struct dmo_buf *b)
{
	const char *s = b->p;
	size_t n = b->len, i = 0;

	if (n > 0 && s[0] == '-')
		i = 1;
	if (n - i > 19)
		return 0;
	if (n - i < 19)
		return 1;
	return memcmp(s + i, i ? "9223372036854775808" :
	    "9223372036854775807", 19) <= 0;
}

void
dmo_profile_schema(const struct dmo_profile *p, struct dmo_buf *out)
{
	struct jw w = { out, 1, 0, 1, 0 };
	size_t i, nreq = 0;

	jw_open(&w, '{');
	jw_key(&w, "$schema");
	jw_str(&w, "https://json-schema.org/draft/2020-12/schema", 44);
	jw_key(&w, "type");
	jw_str(&w, "object", 6);
	jw_key(&w, "properties");
	jw_open(&w, '{');
	for (i = 0; i < p->nf; i++) {
		const struct pfield *f = &p->f[i];
		enum dmo_ptype t = dominant(f);
		const char *type = NULL, *format = NULL;
		int nullable = f->nulls > 0 || f->count < p->records;
		struct dfcount df[NDFMT];
		size_t ndf = 0, k;
		int exact;

		switch (t) {
		case DMO_PT_INTEGER:
			type = fits_int64(&f->nmin_lex) &&
			    fits_int64(&f->nmax_lex) ? "integer" : "number";
			break;
		case DMO_PT_DECIMAL:
		case DMO_PT_FLOAT:
			type = "number";
			break;
		case DMO_PT_BOOLEAN:
			type = "boolean";
			break;
		case DMO_PT_DATE:
			type = "string";
			format = "date";
			break;
		case DMO_PT_TIMESTAMP:
			type = "string";
			format = "date-time";
			break;
		case DMO_PT_STRING:
			type = "string";
			break;
		default:
			break;
		}
		/* An empty text in a field of another type is a null. */
		if (t != DMO_PT_STRING && f->empties > 0)
			nullable = 1;
		jw_key(&w, f->name);
		jw_open(&w, '{');
		if (t == DMO_PT_NESTED) {
			jw_key(&w, "type");
			jw_open(&w, '[');
			if (f->narray)
				jw_str(&w, "array", 5);
			if (f->nobject)
				jw_str(&w, "object", 6);
			if (nullable)
				jw_str(&w, "null", 4);
			jw_close(&w, ']');
		} else if (type != NULL) {
			jw_key(&w, "type");
			if (nullable) {
				jw_open(&w, '[');
				jw_str(&w, type, strlen(type));
				jw_str(&w, "null", 4);
				jw_close(&w, ']');
			} else
				jw_str(&w, type, strlen(type));
		}
		if (format != NULL) {
			jw_key(&w, "format");
			jw_str(&w, format, strlen(format));
			ndf = date_formats(f, df);
			/* ISO 8601 dates need no input formats. */
			for (k = 0; k < ndf; k++)
				if (df[k].id / 13 != DL_YMD_DASH)
					break;
			if (k < ndf) {
				jw_key(&w, "x-dmo-formats");
				jw_open(&w, '[');
				for (k = 0; k < ndf; k++) {
					char name[64];

					dfmt_name(df[k].id, name, sizeof(name));
					jw_str(&w, name, strlen(name));
				}
				jw_close(&w, ']');
			}
		}
		/* What was seen, as an annotation: bounds are for people. */
		jw_key(&w, "x-dmo-profile");
		jw_open(&w, '{');
		jw_kull(&w, "count", f->count);
		jw_kull(&w, "nulls", f->nulls + (t != DMO_PT_STRING ?
		    f->empties : 0));
		jw_key(&w, "distinct");
		jw_dbl(&w, distinct_value(f, &exact));
		jw_key(&w, "min");
		put_minmax(&w, f, t, 0);
		jw_key(&w, "max");
		put_minmax(&w, f, t, 1);
		if (f->nlen_vals > 0) {
			jw_kull(&w, "min_length", f->lmin);
			jw_kull(&w, "max_length", f->lmax);
		}
		if (f->leading_zeros > 0)
			jw_kull(&w, "leading_zeros", f->leading_zeros);
		jw_close(&w, '}');
		jw_close(&w, '}');
		if (!nullable && t != DMO_PT_COUNT)
			nreq++;
	}
	jw_close(&w, '}');
	if (nreq > 0) {
		jw_key(&w, "required");
		jw_open(&w, '[');
		for (i = 0; i < p->nf; i++) {
			const struct pfield *f = &p->f[i];
			enum dmo_ptype t = dominant(f);

			if (f->nulls == 0 && f->count == p->records &&
			    (t == DMO_PT_STRING || f->empties == 0) &&
			    t != DMO_PT_COUNT)
				jw_str(&w, f->name, f->nlen);
		}
		jw_close(&w, ']');
	}
	jw_close(&w, '}');
	dmo_buf_addc(out, '\n');
}

/* Tables for people. */

/* Text for a cell: control bytes shown as '?', cut to width characters. */
static void
cell(struct dmo_buf *b, const char *s, size_t n, size_t width, int md)
{
	size_t i, chars = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c & 0xc0) != 0x80) {
			if (chars == width) {
				/* Cut: a "~" says there was more. */
				dmo_buf_adds(b, "~");
				return;
			}
			chars++;
		}
		if (c < 0x20 || c == 0x7f)
			dmo_buf_addc(b, '?');
		else if (md && (c == '|' || c == '\\' || c == '`' || c == '*' ||
		    c == '_'))
			dmo_buf_addc(b, '\\'), dmo_buf_addc(b, (char)c);
		else
			dmo_buf_addc(b, (char)c);
	}
}

struct row {
	char	*col[11];
};

static const char *const heads[] = { "field", "type", "count", "nulls",
	"empty", "distinct", "min", "max", "mean", "stddev", "top" };
#define NCOLS	11

static char *
fmt_cell(const char *s, size_t n, size_t width, int md)
{
	struct dmo_buf b = DMO_BUF_INIT;

	cell(&b, s, n, width, md);
	dmo_buf_cstr(&b);
	return b.p;
}

static char *
minmax_text(const struct pfield *f, enum dmo_ptype t, int max)
{
	struct dmo_buf b = DMO_BUF_INIT;
	struct jw w = { &b, 0, 0, 1, 0 };
	const struct dmo_buf *src = NULL;
	char *r;

	if (is_numeric(t) && f->has_num)
		src = max ? &f->nmax_lex : &f->nmin_lex;
	else if ((t == DMO_PT_DATE || t == DMO_PT_TIMESTAMP) && f->has_date)
		src = max ? &f->dmax : &f->dmin;
	else if (t == DMO_PT_STRING && f->has_str)
		src = max ? &f->smax : &f->smin;
	if (src != NULL) {
		r = dmo_xmemdup(src->p != NULL ? src->p : "", src->len);
		dmo_buf_release(&b);
		return r;
	}
	if (t == DMO_PT_BOOLEAN) {
		put_minmax(&w, f, t, max);
		r = dmo_xstrdup(dmo_buf_cstr(&b));
	} else
		r = dmo_xstrdup("");
	dmo_buf_release(&b);
	return r;
}

/* Columns on a terminal: a CJK character takes two. */
static size_t
text_width(const char *s)
{
	return dmo_uni_width(s, strlen(s));
}

void
dmo_profile_table(const struct dmo_profile *p, struct dmo_buf *out, int md)
{
	struct row *rows = dmo_xreallocarray(NULL, p->nf + 1, sizeof(*rows));
	size_t width[NCOLS], i, c;
	char t[64];

	dmo_buf_printf(out, md ? "**%llu record%s**, %llu bytes, %zu field%s\n\n"
	    : "%llu record%s, %llu bytes, %zu field%s\n\n", p->records,
	    p->records == 1 ? "" : "s", p->bytes, p->nf, p->nf == 1 ? "" : "s");
	for (c = 0; c < NCOLS; c++)
		width[c] = strlen(heads[c]);
	for (i = 0; i < p->nf; i++) {
		const struct pfield *f = &p->f[i];
		enum dmo_ptype ty = dominant(f);
		struct dmo_topk_item **v;
		size_t nv;
		int exact;
		double dv = distinct_value(f, &exact);
		char *s;

		rows[i].col[0] = fmt_cell(f->name, f->nlen, 24, md);
		rows[i].col[1] = dmo_xstrdup(dmo_ptype_name(ty));
		snprintf(t, sizeof(t), "%llu", f->count);
		rows[i].col[2] = dmo_xstrdup(t);
		snprintf(t, sizeof(t), "%llu", f->nulls);
		rows[i].col[3] = dmo_xstrdup(t);
		snprintf(t, sizeof(t), "%llu", f->empties);
		rows[i].col[4] = dmo_xstrdup(t);
		snprintf(t, sizeof(t), "%s%.0f", exact ? "" : "~", dv);
		rows[i].col[5] = dmo_xstrdup(t);
		s = minmax_text(f, ty, 0);
		rows[i].col[6] = fmt_cell(s, strlen(s), 20, md);
		free(s);
		s = minmax_text(f, ty, 1);
		rows[i].col[7] = fmt_cell(s, strlen(s), 20, md);
		free(s);
		t[0] = '\0';
		if (is_numeric(ty) && f->nnum > 0)
			snprintf(t, sizeof(t), "%.6g", (f->sum + f->comp) /
			    (double)f->nnum);
		rows[i].col[8] = dmo_xstrdup(t);
		t[0] = '\0';
		if (is_numeric(ty) && f->nnum > 1)
			snprintf(t, sizeof(t), "%.6g", sqrt(f->m2 /
			    (double)(f->nnum - 1)));
		rows[i].col[9] = dmo_xstrdup(t);
		nv = dmo_topk_sorted(f->values, &v);
		if (nv > 0) {
			struct dmo_buf b = DMO_BUF_INIT;

			if (v[0]->len == 0)
				dmo_buf_adds(&b, "\"\"");
			cell(&b, v[0]->text, v[0]->len, 20, md);
			dmo_buf_printf(&b, " (%s%llu)", v[0]->error ? "~" : "",
			    v[0]->count);
			rows[i].col[10] = dmo_xstrdup(dmo_buf_cstr(&b));
			dmo_buf_release(&b);
		} else
			rows[i].col[10] = dmo_xstrdup("");
		free(v);
		for (c = 0; c < NCOLS; c++)
			if (text_width(rows[i].col[c]) > width[c])
				width[c] = text_width(rows[i].col[c]);
	}
	if (md) {
		for (c = 0; c < NCOLS; c++)
			dmo_buf_printf(out, "| %s ", heads[c]);
		dmo_buf_adds(out, "|\n");
		for (c = 0; c < NCOLS; c++)
			dmo_buf_adds(out, c >= 2 && c <= 5 ? "| ---: " :
			    "| --- ");
		dmo_buf_adds(out, "|\n");
	} else {
		for (c = 0; c + 1 < NCOLS; c++)
			dmo_buf_printf(out, "%-*s  ", (int)width[c], heads[c]);
		dmo_buf_printf(out, "%s\n", heads[c]);
	}
	for (i = 0; i < p->nf; i++) {
		for (c = 0; c < NCOLS; c++) {
			const char *s = rows[i].col[c];
			size_t pad = width[c] - text_width(s), k;
			int right = c >= 2 && c <= 5;

			if (md) {
				dmo_buf_printf(out, "| %s ", s);
				continue;
			}
			if (right)
				for (k = 0; k < pad; k++)
					dmo_buf_addc(out, ' ');
			dmo_buf_adds(out, s);
			if (c + 1 < NCOLS) {
				if (!right)
					for (k = 0; k < pad; k++)
						dmo_buf_addc(out, ' ');
				dmo_buf_adds(out, "  ");
			}
			free(rows[i].col[c]);
		}
		if (md) {
			for (c = 0; c < NCOLS; c++)
				free(rows[i].col[c]);
			dmo_buf_adds(out, "|");
		}
		/* Trailing blanks of the last column are not written. */
		while (!md && out->len > 0 && out->p[out->len - 1] == ' ')
			out->len--;
		dmo_buf_addc(out, '\n');
	}
	free(rows);
}
