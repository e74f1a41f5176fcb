/* aggregate.c - group records and aggregate them, in batch or event-time windows. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "buf.h"
#include "exitcode.h"
#include "strmap.h"
#include "value.h"

/* Exact decimal sums: 38 digits, enough for any money column. */
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

#define MAX_DIGITS	36	/* a lexeme with more goes to the float sum */

enum fn {
	F_COUNT,		/* records */
	F_COUNTF,		/* non-null values of a field */
	F_SUM,
	F_MEAN,
	F_MIN,
	F_MAX,
	F_STDDEV,
	F_VAR,
	F_DISTINCT,
	F_FIRST,
	F_LAST,
	F_QUANTILE
};

struct def {
	enum fn		 fn;
	char		*field;		/* NULL for count */
	size_t		 flen;
	char		*name;		/* the output field */
	double		 q;		/* quantile, 0..100 */
	long		 idx;		/* field index in the current shape */
};

struct sumacc {
	i128		 v;		/* exact: value * 10^scale */
	int		 scale;
	int		 inexact;	/* a lexeme was not plain decimal */
	long double	 f;		/* the sum once inexact */
};

struct valacc {
	enum dmo_type	 type;
	int		 isnum;
	double		 num;
	char		*p;
	size_t		 len;
	size_t		 cap;
};

struct qent {
	double		 d;
	size_t		 off;		/* the lexeme, in qacc.lex */
	size_t		 len;
};

struct qacc {
	struct qent	*e;
	size_t		 n;
	size_t		 cap;
	struct dmo_buf	 lex;
};

struct acc {
	unsigned long long n;
	union {
		struct sumacc	 s;
		struct {
			double	 k;	/* the first value: a shift */
			double	 mean;	/* of value - k */
			double	 m2;
		}		 w;
		struct valacc	 v;
		struct dmo_strmap *set;
		struct qacc	*q;
	} u;
};

/* One window (or the whole batch): its groups and their accumulators. */
struct win {
	long long	 start;
	struct dmo_strmap groups;
	unsigned char	*types;		/* ngroup types per group */
	struct acc	*acc;		/* ndef per group */
	size_t		 cap;		/* groups allocated */
};

/* A number read from a value. */
struct num {
	const char	*p;
	size_t		 n;
	int		 dec;		/* plain decimal: m and scale hold it */
	i128		 m;
	int		 scale;
	int		 hasd;
	double		 d;
};

struct dmo_agg {
	char		**gname;	/* group fields */
	size_t		*glen;
	long		*gidx;
	size_t		 ngroup;
	struct def	*def;
	size_t		 ndef;
	char		*tname;		/* time field, or NULL */
	size_t		 tlen;
	long		 tidx;
	long long	 window, slide, lateness;
	unsigned long	 shape;		/* the shape the indexes are for */
	struct win	**w;		/* open windows, by start */
	size_t		 nw;
	size_t		 wcap;
	int		 seen;		/* an event time was seen */
	long long	 maxt;
	int		 iso;		/* event times are text: -1 unknown */
	unsigned long long late;
	struct dmo_buf	 key;
	struct num	*nums;		/* ndef */
	struct dmo_record out;
	struct dmo_buf	 tmp;
};

/* --- the spec ----------------------------------------------------------- */

static char *
trimdup(const char *p, size_t n)
{
	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return dmo_xmemdup(p, n);
}

static int
parse_quantile(const char *s, double *q)
{
	char *end;

	if (strcmp(s, "median") == 0) {
		*q = 50;
		return 0;
	}
	if (s[0] != 'p' || s[1] < '0' || s[1] > '9')
		return -1;
	errno = 0;
	*q = strtod(s + 1, &end);
	return *end != '\0' || errno != 0 || *q > 100 ? -1 : 0;
}

static const struct {
	const char	*name;
	enum fn		 fn;
} fns[] = {
	{ "count", F_COUNT }, { "sum", F_SUM }, { "mean", F_MEAN },
	{ "avg", F_MEAN }, { "min", F_MIN }, { "max", F_MAX },
	{ "stddev", F_STDDEV }, { "var", F_VAR }, { "distinct", F_DISTINCT },
	{ "first", F_FIRST }, { "last", F_LAST },
};

/* One item of the spec: [name=]fn[(field)]. */
static int
parse_item(struct def *d, const char *p, size_t n, struct dmo_err *err)
{
	char *item = trimdup(p, n), *s = item, *eq, *open, *fname;
	size_t i;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	d->idx = -1;
	if ((eq = strchr(s, '=')) != NULL && (open = strchr(s, '(')) != NULL &&
	    open < eq)
		eq = NULL;
	if (eq != NULL) {
		d->name = trimdup(s, (size_t)(eq - s));
		s = eq + 1;
		while (*s == ' ')
			s++;
	}
	if ((open = strchr(s, '(')) != NULL) {
		size_t len = strlen(open);

		if (len < 2 || open[len - 1] != ')') {
			dmo_err_set(err, DMO_EXIT_USAGE, NULL,
			    "aggregate: missing ')': \"%s\"", item);
			goto out;
		}
		d->field = trimdup(open + 1, len - 2);
		d->flen = strlen(d->field);
		fname = trimdup(s, (size_t)(open - s));
	} else
		fname = dmo_xstrdup(s);
	d->fn = (enum fn)-1;
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		if (strcmp(fname, fns[i].name) == 0)
			d->fn = fns[i].fn;
	if (d->fn == (enum fn)-1 && parse_quantile(fname, &d->q) == 0)
		d->fn = F_QUANTILE;
	if (d->fn == (enum fn)-1) {
		dmo_err_set(err, DMO_EXIT_USAGE, NULL,
		    "unknown aggregate: %s", dmo_quote(item, strlen(item)));
	} else if (d->field != NULL && d->flen == 0) {
		dmo_err_set(err, DMO_EXIT_USAGE, NULL,
		    "aggregate '%s': empty field name: %s", fname,
		    dmo_quote(item, strlen(item)));
	} else if (d->field == NULL && d->fn != F_COUNT) {
		dmo_err_set(err, DMO_EXIT_USAGE, NULL,
		    "aggregate '%s': needs a field, as in %s(amount): %s",
		    fname, fname, dmo_quote(item, strlen(item)));
	} else {
		if (d->fn == F_COUNT && d->field != NULL)
			d->fn = F_COUNTF;
		if (d->name == NULL) {
			struct dmo_buf b = DMO_BUF_INIT;

			dmo_buf_adds(&b, fname);
			if (d->field != NULL) {
				dmo_buf_addc(&b, '_');
				dmo_buf_adds(&b, d->field);
			}
			d->name = dmo_xstrdup(dmo_buf_cstr(&b));
			dmo_buf_release(&b);
		}
		if (*d->name == '\0')
			dmo_err_set(err, DMO_EXIT_USAGE, NULL,
			    "aggregate: empty output name: %s",
			    dmo_quote(item, strlen(item)));
		else
			rc = 0;
	}
	free(fname);
out:
	free(item);
	return rc;
}

/* Split s at commas outside parentheses; call fn on each piece. */
static int
split_spec(struct dmo_agg *a, const char *s, struct dmo_err *err)
{
	const char *p = s, *start = s;
	int depth = 0;

	for (;; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		else if ((*p == ',' && depth == 0) || *p == '\0') {
			a->def = dmo_xreallocarray(a->def, a->ndef + 1,
			    sizeof(*a->def));
			if (p == start) {
				dmo_err_set(err, DMO_EXIT_USAGE, NULL,
				    "aggregate: empty item in %s",
				    dmo_quote(s, strlen(s)));
				return -1;
			}
			if (parse_item(&a->def[a->ndef], start,
			    (size_t)(p - start), err) != 0) {
				free(a->def[a->ndef].name);
				free(a->def[a->ndef].field);
				return -1;
			}
			a->ndef++;
			if (*p == '\0')
				return 0;
			start = p + 1;
		}
	}
}

static int
split_groups(struct dmo_agg *a, const char *s, struct dmo_err *err)
{
	const char *p = s, *start = s;

	for (;; p++) {
		if (*p != ',' && *p != '\0')
			continue;
		if (p == start) {
			dmo_err_set(err, DMO_EXIT_USAGE, NULL,
			    "group-by: empty field name in %s",
			    dmo_quote(s, strlen(s)));
			return -1;
		}
		a->gname = dmo_xreallocarray(a->gname, a->ngroup + 1,
		    sizeof(*a->gname));
		a->glen = dmo_xreallocarray(a->glen, a->ngroup + 1,
		    sizeof(*a->glen));
		a->gname[a->ngroup] = dmo_xmemdup(start, (size_t)(p - start));
		a->glen[a->ngroup] = (size_t)(p - start);
		a->ngroup++;
		if (*p == '\0')
			return 0;
		start = p + 1;
	}
}

/* Output names must be unique: they become one record. */
static int
check_names(struct dmo_agg *a, struct dmo_err *err)
{
	const char **names;
	size_t n = 0, i, j;
	int rc = 0;

	names = dmo_xcalloc(a->ngroup + a->ndef + 2, sizeof(*names));
	for (i = 0; i < a->ngroup; i++)
		names[n++] = a->gname[i];
	if (a->tname != NULL) {
		names[n++] = "window_start";
		names[n++] = "window_end";
	}
	for (i = 0; i < a->ndef; i++)
		names[n++] = a->def[i].name;
	for (i = 1; i < n && rc == 0; i++)
		for (j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0) {
				dmo_err_set(err, DMO_EXIT_USAGE, NULL,
				    "aggregate: output field '%s' named twice "
				    "(name one with NAME=fn(field))", names[i]);
				rc = -1;
				break;
			}
	free(names);
	return rc;
}

struct dmo_agg *
dmo_agg_new(const struct dmo_agg_opts *o, struct dmo_err *err)
{
	struct dmo_agg *a = dmo_xcalloc(1, sizeof(*a));

	dmo_err_clear(err);
	a->iso = -1;
	a->tidx = -1;
	dmo_record_init(&a->out);
	if (o->group_by != NULL && split_groups(a, o->group_by, err) != 0)
		goto fail;
	if (split_spec(a, o->spec != NULL ? o->spec : "count", err) != 0)
		goto fail;
	if (o->time_field != NULL) {
		if (*o->time_field == '\0') {
			dmo_err_set(err, DMO_EXIT_USAGE, NULL,
			    "time field: empty name");
			goto fail;
		}
		if (o->window_us <= 0) {
			dmo_err_set(err, DMO_EXIT_USAGE, NULL,
			    "a time field needs a window length");
			goto fail;
		}
		if (o->slide_us < 0 || o->slide_us > o->window_us) {
			dmo_err_set(err, DMO_EXIT_USAGE, NULL,
			    "the slide must be positive and at most the "
			    "window length");
			goto fail;
		}
		/* Each record goes to window/slide windows: keep that sane. */
		if (o->slide_us > 0 && o->window_us / o->slide_us > 10000) {
			dmo_err_set(err, DMO_EXIT_USAGE, NULL,
			    "a record would count in %lld windows (at most "
			    "10000): make the slide longer",
			    o->window_us / o->slide_us);
			goto fail;
		}
		a->tname = dmo_xstrdup(o->time_field);
		a->tlen = strlen(a->tname);
		a->window = o->window_us;
		a->slide = o->slide_us > 0 ? o->slide_us : o->window_us;
		a->lateness = o->lateness_us;
	}
	if (check_names(a, err) != 0)
		goto fail;
	a->gidx = dmo_xcalloc(a->ngroup + 1, sizeof(*a->gidx));
	a->nums = dmo_xcalloc(a->ndef, sizeof(*a->nums));
	return a;
fail:
	dmo_agg_free(a);
	return NULL;
}

/* --- windows and groups ------------------------------------------------- */

static void
acc_release(const struct def *d, struct acc *c)
{
	switch (d->fn) {
	case F_MIN:
	case F_MAX:
	case F_FIRST:
	case F_LAST:
		free(c->u.v.p);
		break;
	case F_DISTINCT:
		if (c->u.set != NULL)
			dmo_strmap_release(c->u.set);
		free(c->u.set);
		break;
	case F_QUANTILE:
		if (c->u.q != NULL) {
			free(c->u.q->e);
			dmo_buf_release(&c->u.q->lex);
		}
		free(c->u.q);
		break;
	default:
		break;
	}
}

static void
win_free(struct dmo_agg *a, struct win *w)
{
	size_t g, j;

	if (w == NULL)
		return;
	for (g = 0; g < w->groups.n; g++)
		for (j = 0; j < a->ndef; j++)
			acc_release(&a->def[j], &w->acc[g * a->ndef + j]);
	dmo_strmap_release(&w->groups);
	free(w->types);
	free(w->acc);
	free(w);
}

void
dmo_agg_free(struct dmo_agg *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nw; i++)
		win_free(a, a->w[i]);
	free(a->w);
	for (i = 0; i < a->ngroup; i++)
		free(a->gname[i]);
	free(a->gname);
	free(a->glen);
	free(a->gidx);
	for (i = 0; i < a->ndef; i++) {
		free(a->def[i].field);
		free(a->def[i].name);
	}
	free(a->def);
	free(a->nums);
	free(a->tname);
	dmo_buf_release(&a->key);
	dmo_buf_release(&a->tmp);
	dmo_record_release(&a->out);
	free(a);
}

/* The window that starts at start, created when missing. */
static struct win *
win_get(struct dmo_agg *a, long long start)
{
	size_t lo = 0, hi = a->nw, mid;
	struct win *w;

	/* Windows open in time order: the last is the usual answer. */
	if (a->nw > 0 && a->w[a->nw - 1]->start == start)
		return a->w[a->nw - 1];
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (a->w[mid]->start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < a->nw && a->w[lo]->start == start)
		return a->w[lo];
	if (a->nw == a->wcap) {
		a->wcap = a->wcap == 0 ? 8 : a->wcap * 2;
		a->w = dmo_xreallocarray(a->w, a->wcap, sizeof(*a->w));
	}
	if (lo < a->nw)
		memmove(&a->w[lo + 1], &a->w[lo],
		    (a->nw - lo) * sizeof(*a->w));
	w = dmo_xcalloc(1, sizeof(*w));
	w->start = start;
	dmo_strmap_init(&w->groups);
	a->w[lo] = w;
	a->nw++;
	return w;
}

/* The group of the key in a->key; types are the record's group values. */
static struct acc *
group_get(struct dmo_agg *a, struct win *w, const unsigned char *types)
{
	int added;
	size_t g = dmo_strmap_intern(&w->groups, a->key.p, a->key.len, &added);

	if (added) {
		if (g == w->cap) {
			size_t old = w->cap;

			w->cap = w->cap == 0 ? 8 : w->cap * 2;
			w->acc = dmo_xreallocarray(w->acc, w->cap,
			    a->ndef * sizeof(*w->acc));
			memset(w->acc + old * a->ndef, 0,
			    (w->cap - old) * a->ndef * sizeof(*w->acc));
			w->types = dmo_xreallocarray(w->types, w->cap,
			    a->ngroup + 1);
		}
		memcpy(w->types + g * (a->ngroup + 1), types, a->ngroup + 1);
	}
	return w->acc + g * a->ndef;
}

/* --- numbers ------------------------------------------------------------ */

/*
 * Read a number: a JSON number, or numeric text as awk reads it (a sign,
 * digits, a point, an exponent).  Plain decimals of up to MAX_DIGITS
 * digits are kept exactly.  0, or -1 when it is not a number.
 */
static int
num_parse(const char *p, size_t n, struct num *x)
{
	size_t i = 0, digits = 0;
	int neg = 0, point = 0, other = 0;
	i128 m = 0;
	uint64_t u = 0;

	x->p = p;
	x->n = n;
	x->hasd = 0;
	x->scale = 0;
	/*
	 * The usual lexeme ("143.29", "-7"): up to 18 digits add up in 64
	 * bits, with no 128-bit multiply a digit.  Anything else is read
	 * again below, from the start.
	 */
	{
		const unsigned char *s = (const unsigned char *)p, *e = s + n;
		const unsigned char *d0;
		int scale = 0;

		if (s < e && (*s == '-' || *s == '+'))
			neg = *s++ == '-';
		for (d0 = s; s < e && (unsigned)(*s - '0') <= 9; s++)
			u = u * 10 + (unsigned)(*s - '0');
		digits = (size_t)(s - d0);
		if (s < e && *s == '.') {
			for (d0 = ++s; s < e && (unsigned)(*s - '0') <= 9; s++)
				u = u * 10 + (unsigned)(*s - '0');
			scale = (int)(s - d0);
			digits += (size_t)scale;
			point = scale == 0;	/* "1." is not plain */
		}
		if (s == e && digits > 0 && digits <= 18 && !point) {
			x->dec = 1;
			x->scale = scale;
			x->m = neg ? -(i128)u : (i128)u;
			return 0;
		}
	}
	i = digits = 0;
	neg = point = 0;
	x->scale = 0;
	if (i < n && (p[i] == '-' || p[i] == '+'))
		neg = p[i++] == '-';
	for (; i < n; i++) {
		if (p[i] >= '0' && p[i] <= '9') {
			if (++digits <= MAX_DIGITS)
				m = m * 10 + (p[i] - '0');
			if (point)
				x->scale++;
		} else if (p[i] == '.' && !point)
			point = 1;
		else {
			other = 1;
			break;
		}
	}
	if (!other && digits > 0 && digits <= MAX_DIGITS &&
	    (!point || x->scale > 0)) {
		x->dec = 1;
		x->m = neg ? -m : m;
		return 0;
	}
	/* Exponents, long lexemes: strtod, which needs the value's NUL. */
	x->dec = 0;
	for (i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || p[i] == '.' ||
		    p[i] == 'e' || p[i] == 'E' || p[i] == '-' || p[i] == '+'))
			return -1;
	if (n == 0 || p[n] != '\0')
		return -1;
	{
		char *end;

		x->d = strtod(p, &end);
		if (end != p + n || isnan(x->d))
			return -1;
		x->hasd = 1;
	}
	return 0;
}

static double
num_double(struct num *x)
{
	if (!x->hasd) {
		x->d = strtod(x->p, NULL);
		x->hasd = 1;
	}
	return x->d;
}

/* The text of value i: booleans hold no bytes, so spell them. */
static inline const char *
text(const struct dmo_record *r, size_t i, size_t *n)
{
	switch (dmo_record_type(r, i)) {
	case DMO_TRUE:
		*n = 4;
		return "true";
	case DMO_FALSE:
		*n = 5;
		return "false";
	default:
		return dmo_record_value(r, i, n);
	}
}

/* Is value i skipped by the aggregates (missing, null, empty text)? */
static int
absent(const struct dmo_record *r, long i)
{
	return i < 0 || dmo_record_type(r, (size_t)i) == DMO_NULL ||
	    (dmo_record_type(r, (size_t)i) == DMO_STRING &&
	    r->val[i].len == 0);
}

static int
needs_number(enum fn fn)
{
	return fn == F_SUM || fn == F_MEAN || fn == F_STDDEV ||
	    fn == F_VAR || fn == F_QUANTILE;
}

static int
scale_up(i128 *v, int k)
{
	while (k-- > 0)
		if (__builtin_mul_overflow(*v, 10, v))
			return -1;
	return 0;
}

static long double
dec_ld(i128 v, int scale)
{
	long double f = (long double)v;

	while (scale-- > 0)
		f /= 10;
	return f;
}

static void
sum_add(struct sumacc *s, struct num *x)
{
	i128 m = x->m, v = s->v;

	/* Money in a column keeps one scale: one checked add. */
	if (!s->inexact && x->dec && x->scale == s->scale &&
	    !__builtin_add_overflow(v, m, &v)) {
		s->v = v;
		return;
	}
	v = s->v;
	if (!s->inexact && x->dec) {
		if (x->scale > s->scale) {
			if (scale_up(&v, x->scale - s->scale) == 0 &&
			    !__builtin_add_overflow(v, m, &v)) {
				s->v = v;
				s->scale = x->scale;
				return;
			}
		} else if (scale_up(&m, s->scale - x->scale) == 0 &&
		    !__builtin_add_overflow(v, m, &v)) {
			s->v = v;
			return;
		}
	}
	if (!s->inexact) {
		s->f = dec_ld(s->v, s->scale);
		s->inexact = 1;
	}
	s->f += x->dec ? dec_ld(x->m, x->scale) : (long double)num_double(x);
}

static void
val_set(struct valacc *v, enum dmo_type t, const char *p, size_t n,
    int isnum, double d)
{
	if (v->cap < n + 1) {
		v->cap = n + 1;
		v->p = dmo_xrealloc(v->p, v->cap);
	}
	memcpy(v->p, p, n);
	v->p[n] = '\0';
	v->len = n;
	v->type = t;
	v->isnum = isnum;
	v->num = d;
}

/* Numbers before text; numbers by value, text by bytes. */
static int
val_cmp(int an, double ad, const char *ap, size_t al, const struct valacc *b)
{
	int c;

	if (an && b->isnum)
		return ad < b->num ? -1 : ad > b->num;
	if (an != b->isnum)
		return an ? -1 : 1;
	c = memcmp(ap, b->p, al < b->len ? al : b->len);
	return c != 0 ? c : (al > b->len) - (al < b->len);
}

static void
acc_add(const struct def *d, struct acc *c, const struct dmo_record *r,
    struct num *x)
{
	const char *p;
	size_t n;
	enum dmo_type t;
	double v, delta;
	int added;

	if (d->fn == F_COUNT) {
		c->n++;
		return;
	}
	if (absent(r, d->idx))
		return;
	c->n++;
	if (d->fn == F_COUNTF)
		return;
	if (d->fn == F_SUM || d->fn == F_MEAN) {
		/* x holds the number, read when the record was checked. */
		sum_add(&c->u.s, x);
		return;
	}
	t = dmo_record_type(r, (size_t)d->idx);
	p = text(r, (size_t)d->idx, &n);
	switch (d->fn) {
	case F_STDDEV:
	case F_VAR:
		/*
		 * Welford, on values shifted by the first: no catastrophic
		 * cancellation, and a large mean (1e9 + 0.1) costs no digits.
		 */
		v = num_double(x);
		if (c->n == 1)
			c->u.w.k = v;
		v -= c->u.w.k;
		delta = v - c->u.w.mean;
		c->u.w.mean += delta / (double)c->n;
		c->u.w.m2 += delta * (v - c->u.w.mean);
		break;
	case F_MIN:
	case F_MAX: {
		struct num y;
		int isnum = (t == DMO_NUMBER || t == DMO_STRING) &&
		    num_parse(p, n, &y) == 0;
		double dv = isnum ? num_double(&y) : 0;
		int cmp;

		if (c->n == 1)
			cmp = d->fn == F_MIN ? -1 : 1;
		else
			cmp = val_cmp(isnum, dv, p, n, &c->u.v);
		if ((d->fn == F_MIN && cmp < 0) || (d->fn == F_MAX && cmp > 0))
			val_set(&c->u.v, t, p, n, isnum, dv);
		break;
	}
	case F_FIRST:
		if (c->n == 1)
			val_set(&c->u.v, t, p, n, 0, 0);
		break;
	case F_LAST:
		val_set(&c->u.v, t, p, n, 0, 0);
		break;
	case F_DISTINCT:
		if (c->u.set == NULL) {
			c->u.set = dmo_xmalloc(sizeof(*c->u.set));
			dmo_strmap_init(c->u.set);
		}
		(void)dmo_strmap_intern(c->u.set, p, n, &added);
		break;
	case F_QUANTILE: {
		struct qacc *q = c->u.q;

		if (q == NULL) {
			q = c->u.q = dmo_xcalloc(1, sizeof(*q));
		}
		if (q->n == q->cap) {
			q->cap = q->cap == 0 ? 16 : q->cap * 2;
			q->e = dmo_xreallocarray(q->e, q->cap, sizeof(*q->e));
		}
		q->e[q->n].d = num_double(x);
		q->e[q->n].off = q->lex.len;
		q->e[q->n].len = n;
		dmo_buf_add(&q->lex, p, n);
		q->n++;
		break;
	}
	default:
		break;
	}
}

/* --- time --------------------------------------------------------------- */

static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static void
civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
	long long era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = (long long)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y += *m <= 2;
}

static int
digits(const char *p, size_t n, size_t at, size_t k, int *v)
{
	size_t i;

	if (at + k > n)
		return -1;
	*v = 0;
	for (i = 0; i < k; i++) {
		if (p[at + i] < '0' || p[at + i] > '9')
			return -1;
		*v = *v * 10 + (p[at + i] - '0');
	}
	return 0;
}

static int
parse_iso(const char *p, size_t n, long long *us)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, mo, d, h = 0, mi = 0, s = 0, oh = 0, om = 0, sign;
	long long frac = 0, fscale = 1000000;
	size_t i = 10;

	if (digits(p, n, 0, 4, &y) || n < 10 || p[4] != '-' ||
	    digits(p, n, 5, 2, &mo) || p[7] != '-' || digits(p, n, 8, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0))))
		return -1;
	if (i < n && (p[i] == 'T' || p[i] == 't' || p[i] == ' ')) {
		if (digits(p, n, i + 1, 2, &h) || i + 3 >= n ||
		    p[i + 3] != ':' || digits(p, n, i + 4, 2, &mi))
			return -1;
		i += 6;
		if (i < n && p[i] == ':') {
			if (digits(p, n, i + 1, 2, &s))
				return -1;
			i += 3;
			if (i < n && (p[i] == '.' || p[i] == ',')) {
				i++;
				if (i >= n || p[i] < '0' || p[i] > '9')
					return -1;
				for (; i < n && p[i] >= '0' && p[i] <= '9';
				    i++)
					if (fscale > 1) {
						fscale /= 10;
						frac += (p[i] - '0') * fscale;
					}
			}
		}
		if (h > 23 || mi > 59 || s > 59)
			return -1;
		if (i < n && (p[i] == 'Z' || p[i] == 'z'))
			i++;
		else if (i < n && (p[i] == '+' || p[i] == '-')) {
			sign = p[i] == '-' ? -1 : 1;
			if (digits(p, n, i + 1, 2, &oh))
				return -1;
			i += 3;
			if (i < n && p[i] == ':')
				i++;
			if (digits(p, n, i, 2, &om))
				return -1;
			i += 2;
			if (oh > 23 || om > 59)
				return -1;
			oh *= sign;
			om *= sign;
		}
	}
	if (i != n)
		return -1;
	*us = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + s - oh * 3600 - om * 60) * 1000000) + frac;
	return 0;
}

int
dmo_agg_parse_time(enum dmo_type t, const char *p, size_t n, long long *us,
    int *iso)
{
	struct num x;
	long double f;

	if (t != DMO_NUMBER && t != DMO_STRING)
		return -1;
	if (parse_iso(p, n, us) == 0) {
		*iso = 1;
		return 0;
	}
	if (num_parse(p, n, &x) != 0)
		return -1;
	f = x.dec ? dec_ld(x.m, x.scale) : (long double)num_double(&x);
	f *= 1000000;
	/* Nine thousand years either way of 1970. */
	if (!(f > -3e17L && f < 3e17L))
		return -1;
	*us = llroundl(f);
	*iso = 0;
	return 0;
}

/* A time for output: ISO text in UTC, or seconds since the epoch. */
static enum dmo_type
fmt_time(struct dmo_buf *b, long long us, int iso)
{
	long long secs = us / 1000000, frac = us % 1000000, days, y;
	unsigned m, d;
	int k;

	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	b->len = 0;
	if (iso) {
		days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
		secs -= days * 86400;
		civil_from_days(days, &y, &m, &d);
		dmo_buf_printf(b, "%04lld-%02u-%02uT%02lld:%02lld:%02lld", y,
		    m, d, secs / 3600, secs / 60 % 60, secs % 60);
	} else if (us < 0 && frac != 0)
		dmo_buf_printf(b, "-%lld", -(secs + 1));
	else
		dmo_buf_printf(b, "%lld", secs);
	if (frac != 0) {
		if (!iso && us < 0)
			frac = 1000000 - frac;
		dmo_buf_printf(b, ".%06lld", frac);
		for (k = 0; k < 5 && b->p[b->len - 1] == '0'; k++)
			b->len--;
	}
	if (iso)
		dmo_buf_addc(b, 'Z');
	dmo_buf_cstr(b);
	return iso ? DMO_STRING : DMO_NUMBER;
}

/* --- output ------------------------------------------------------------- */

/* The shortest text that reads back as d; null for infinities. */
static int
fmt_double(struct dmo_buf *b, double d)
{
	int prec;

	b->len = 0;
	if (!isfinite(d))
		return -1;
	for (prec = 15; prec <= 17; prec++) {
		b->len = 0;
		dmo_buf_printf(b, "%.*g", prec, d);
		if (strtod(dmo_buf_cstr(b), NULL) == d)
			break;
	}
	return 0;
}

static void
fmt_dec(struct dmo_buf *b, i128 v, int scale)
{
	char digs[64];
	int n = 0, neg = v < 0;
	u128 u = neg ? -(u128)v : (u128)v;
	do {
		digs[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u != 0);
	while (n <= scale)
		digs[n++] = '0';
	b->len = 0;
	if (neg)
		dmo_buf_addc(b, '-');
	while (n > 0) {
		if (n == scale)
			dmo_buf_addc(b, '.');
		dmo_buf_addc(b, digs[--n]);
	}
	dmo_buf_cstr(b);
}

static int
qent_cmp(const void *pa, const void *pb)
{
	const struct qent *a = pa, *b = pb;

	if (a->d != b->d)
		return a->d < b->d ? -1 : 1;
	return (a->off > b->off) - (a->off < b->off);
}

/* Booleans were kept as text; in a record they hold no bytes. */
static size_t
bytes_of(enum dmo_type t, size_t len)
{
	return t == DMO_TRUE || t == DMO_FALSE ? 0 : len;
}

/* Add the aggregate's value to a->out. */
static void
put_acc(struct dmo_agg *a, const struct def *d, struct acc *c)
{
	struct dmo_record *o = &a->out;
	struct dmo_buf *b = &a->tmp;
	size_t nl = strlen(d->name);
	long double f;

	switch (d->fn) {
	case F_COUNT:
	case F_COUNTF:
		b->len = 0;
		dmo_buf_printf(b, "%llu", c->n);
		dmo_record_add(o, d->name, nl, DMO_NUMBER, b->p, b->len);
		return;
	case F_DISTINCT:
		b->len = 0;
		dmo_buf_printf(b, "%zu", c->u.set == NULL ? (size_t)0 :
		    c->u.set->n);
		dmo_record_add(o, d->name, nl, DMO_NUMBER, b->p, b->len);
		return;
	default:
		break;
	}
	if (c->n == 0)
		goto null;
	switch (d->fn) {
	case F_SUM:
		if (!c->u.s.inexact)
			fmt_dec(b, c->u.s.v, c->u.s.scale);
		else if (fmt_double(b, (double)c->u.s.f) != 0)
			goto null;
		break;
	case F_MEAN:
		f = c->u.s.inexact ? c->u.s.f : dec_ld(c->u.s.v, c->u.s.scale);
		if (fmt_double(b, (double)(f / (long double)c->n)) != 0)
			goto null;
		break;
	case F_STDDEV:
	case F_VAR:
		if (c->n < 2)
			goto null;
		f = c->u.w.m2 / (double)(c->n - 1);
		if (d->fn == F_STDDEV)
			f = sqrtl(f);
		if (fmt_double(b, (double)f) != 0)
			goto null;
		break;
	case F_MIN:
	case F_MAX:
		if (!c->u.v.isnum)
			goto asis;
		if (dmo_number_valid(c->u.v.p, c->u.v.len)) {
			dmo_record_add(o, d->name, nl, DMO_NUMBER, c->u.v.p,
			    c->u.v.len);
			return;
		}
		if (fmt_double(b, c->u.v.num) != 0)
			goto null;
		break;
	case F_FIRST:
	case F_LAST:
	asis:
		dmo_record_add(o, d->name, nl, c->u.v.type, c->u.v.p,
		    bytes_of(c->u.v.type, c->u.v.len));
		return;
	case F_QUANTILE: {
		struct qacc *q = c->u.q;
		size_t k;
		const struct qent *e;

		/* Nearest rank: the smallest value with q% at or below. */
		qsort(q->e, q->n, sizeof(*q->e), qent_cmp);
		k = (size_t)ceil(d->q * (double)q->n / 100.0 - 1e-9);
		if (k < 1)
			k = 1;
		if (k > q->n)
			k = q->n;
		e = &q->e[k - 1];
		if (dmo_number_valid(q->lex.p + e->off, e->len)) {
			dmo_record_add(o, d->name, nl, DMO_NUMBER,
			    q->lex.p + e->off, e->len);
			return;
		}
		if (fmt_double(b, e->d) != 0)
			goto null;
		break;
	}
	default:
		break;
	}
	dmo_record_add(o, d->name, nl, DMO_NUMBER, b->p, b->len);
	return;
null:
	dmo_record_add(o, d->name, nl, DMO_NULL, "", 0);
}

static int
emit_win(struct dmo_agg *a, struct win *w, dmo_agg_emit_fn emit, void *ctx,
    struct dmo_err *err)
{
	size_t g, i, klen, off, len;
	const char *k;
	uint32_t l32;
	enum dmo_type t;

	for (g = 0; g < w->groups.n; g++) {
		dmo_record_reset(&a->out);
		k = dmo_strmap_key(&w->groups, g, &klen);
		for (i = 0, off = 0; i < a->ngroup; i++) {
			if (k[off++] == 0) {
				dmo_record_add(&a->out, a->gname[i],
				    a->glen[i], DMO_NULL, "", 0);
				continue;
			}
			memcpy(&l32, k + off, 4);
			len = l32;
			off += 4;
			t = (enum dmo_type)w->types[g * (a->ngroup + 1) + i];
			dmo_record_add(&a->out, a->gname[i], a->glen[i], t,
			    k + off, bytes_of(t, len));
			off += len;
		}
		if (a->tname != NULL) {
			t = fmt_time(&a->tmp, w->start, a->iso == 1);
			dmo_record_add(&a->out, "window_start", 12, t,
			    a->tmp.p, a->tmp.len);
			t = fmt_time(&a->tmp, w->start + a->window,
			    a->iso == 1);
			dmo_record_add(&a->out, "window_end", 10, t, a->tmp.p,
			    a->tmp.len);
		}
		for (i = 0; i < a->ndef; i++)
			put_acc(a, &a->def[i], &w->acc[g * a->ndef + i]);
		if (dmo_record_finish(&a->out, DMO_DUP_REJECT, err) != 0 ||
		    emit(ctx, &a->out, err) != 0)
			return -2;
	}
	return 0;
}

/* Emit and drop every window that ends at or before the watermark. */
static int
close_windows(struct dmo_agg *a, int all, dmo_agg_emit_fn emit, void *ctx,
    struct dmo_err *err)
{
	long long wm = a->maxt - a->lateness;
	size_t k = 0;
	int rc = 0;

	while (k < a->nw && (all || a->w[k]->start + a->window <= wm)) {
		rc = emit_win(a, a->w[k], emit, ctx, err);
		win_free(a, a->w[k]);
		k++;
		if (rc != 0)
			break;
	}
	if (k > 0) {
		memmove(a->w, a->w + k, (a->nw - k) * sizeof(*a->w));
		a->nw -= k;
	}
	return rc;
}

/* --- records ------------------------------------------------------------ */

static void
resolve(struct dmo_agg *a, const struct dmo_record *r)
{
	size_t i;

	for (i = 0; i < a->ngroup; i++)
		a->gidx[i] = dmo_record_find(r, a->gname[i], a->glen[i]);
	for (i = 0; i < a->ndef; i++)
		a->def[i].idx = a->def[i].field == NULL ? -1 :
		    dmo_record_find(r, a->def[i].field, a->def[i].flen);
	if (a->tname != NULL)
		a->tidx = dmo_record_find(r, a->tname, a->tlen);
	a->shape = r->shape;
}

static long long
floordiv(long long x, long long y)
{
	long long q = x / y;

	return (x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q;
}

int
dmo_agg_add(struct dmo_agg *a, const struct dmo_record *r,
    dmo_agg_emit_fn emit, void *ctx, struct dmo_err *err)
{
	unsigned char types[64], *tp = types;
	size_t i, n;
	const char *p, *tv = "";
	size_t tn = 0;
	long long t = 0, first, last, s, wm;
	int iso = 0, rc = 0;
	struct acc *acc;
	uint32_t l32;
	char *kp;

	if (r->shape != a->shape || a->shape == 0)
		resolve(a, r);
	/* Check every value first: a rejected record counts nowhere. */
	for (i = 0; i < a->ndef; i++) {
		const struct def *d = &a->def[i];

		if (!needs_number(d->fn) || absent(r, d->idx))
			continue;
		p = text(r, (size_t)d->idx, &n);
		if ((dmo_record_type(r, (size_t)d->idx) != DMO_NUMBER &&
		    dmo_record_type(r, (size_t)d->idx) != DMO_STRING) ||
		    num_parse(p, n, &a->nums[i]) != 0) {
			dmo_err_set(err, DMO_EXIT_DATA, &r->loc,
			    "field '%s': not a number: %s", d->field,
			    dmo_quote(p, n));
			return -1;
		}
	}
	if (a->tname != NULL) {
		if (a->tidx < 0) {
			dmo_err_set(err, DMO_EXIT_DATA, &r->loc,
			    "field '%s': missing", a->tname);
			return -1;
		}
		p = tv = text(r, (size_t)a->tidx, &tn);
		n = tn;
		if (dmo_record_type(r, (size_t)a->tidx) == DMO_NULL) {
			dmo_err_set(err, DMO_EXIT_DATA, &r->loc,
			    "field '%s': null event time", a->tname);
			return -1;
		}
		if (dmo_agg_parse_time(dmo_record_type(r, (size_t)a->tidx), p,
		    n, &t, &iso) != 0) {
			dmo_err_set(err, DMO_EXIT_DATA, &r->loc,
			    "field '%s': not a time: %s", a->tname,
			    dmo_quote(p, n));
			return -1;
		}
		if (a->iso < 0)
			a->iso = iso;
	}
	/* The group key: for each field, 0 (absent) or 1, length, bytes. */
	if (a->ngroup + 1 > sizeof(types))
		tp = dmo_xmalloc(a->ngroup + 1);
	a->key.len = 0;
	for (i = 0; i < a->ngroup; i++) {
		long gi = a->gidx[i];

		if (gi < 0 || dmo_record_type(r, (size_t)gi) == DMO_NULL) {
			dmo_buf_addc(&a->key, 0);
			tp[i] = DMO_NULL;
			continue;
		}
		p = text(r, (size_t)gi, &n);
		l32 = (uint32_t)n;
		dmo_buf_grow(&a->key, 5 + n);
		kp = a->key.p + a->key.len;
		kp[0] = 1;
		memcpy(kp + 1, &l32, 4);
		memcpy(kp + 5, p, n);
		a->key.len += 5 + n;
		tp[i] = (unsigned char)dmo_record_type(r, (size_t)gi);
	}
	tp[a->ngroup] = 0;
	if (a->tname == NULL) {
		acc = group_get(a, win_get(a, 0), tp);
		for (i = 0; i < a->ndef; i++)
			acc_add(&a->def[i], &acc[i], r, &a->nums[i]);
		goto out;
	}
	/* The windows of t: starts in (t - window, t], multiples of slide. */
	last = floordiv(t, a->slide) * a->slide;
	first = floordiv(t - a->window, a->slide) * a->slide + a->slide;
	wm = a->maxt - a->lateness;
	if (a->seen && last + a->window <= wm) {
		char tb[64];

		a->late++;
		fmt_time(&a->tmp, wm, a->iso == 1);
		snprintf(tb, sizeof(tb), "%s", a->tmp.p);
		dmo_err_set(err, DMO_EXIT_DATA, &r->loc,
		    "field '%s': late, watermark %s: %s", a->tname, tb,
		    dmo_quote(tv, tn));
		rc = -1;
		goto out;
	}
	for (s = first; s <= last; s += a->slide) {
		/* A window already emitted gets nothing more. */
		if (a->seen && s + a->window <= wm)
			continue;
		acc = group_get(a, win_get(a, s), tp);
		for (i = 0; i < a->ndef; i++)
			acc_add(&a->def[i], &acc[i], r, &a->nums[i]);
	}
	if (!a->seen || t > a->maxt)
		a->maxt = t;
	a->seen = 1;
	if (close_windows(a, 0, emit, ctx, err) != 0)
		rc = -2;
out:
	if (tp != types)
		free(tp);
	return rc;
}

int
dmo_agg_finish(struct dmo_agg *a, dmo_agg_emit_fn emit, void *ctx,
    struct dmo_err *err)
{
	unsigned char types[1] = { 0 };

	/* No input, no groups: one record of zero counts, as SQL does. */
	if (a->tname == NULL && a->ngroup == 0 && a->nw == 0) {
		a->key.len = 0;
		(void)group_get(a, win_get(a, 0), types);
	}
	return close_windows(a, 1, emit, ctx, err);
}

unsigned long long
dmo_agg_late(const struct dmo_agg *a)
{
	return a->late;
}

size_t
dmo_agg_open_windows(const struct dmo_agg *a)
{
	return a->tname == NULL ? 0 : a->nw;
}

size_t
dmo_agg_bytes(const struct dmo_agg *a)
{
	size_t b = 0, i, g, j;
	const struct win *w;
	const struct acc *c;

	for (i = 0; i < a->nw; i++) {
		w = a->w[i];
		b += sizeof(*w) + dmo_strmap_bytes(&w->groups) +
		    w->cap * (a->ngroup + 1 + a->ndef * sizeof(*w->acc));
		for (g = 0; g < w->groups.n; g++)
			for (j = 0; j < a->ndef; j++) {
				c = &w->acc[g * a->ndef + j];
				switch (a->def[j].fn) {
				case F_MIN:
				case F_MAX:
				case F_FIRST:
				case F_LAST:
					b += c->u.v.cap;
					break;
				case F_DISTINCT:
					if (c->u.set != NULL)
						b += dmo_strmap_bytes(c->u.set);
					break;
				case F_QUANTILE:
					if (c->u.q != NULL)
						b += c->u.q->cap *
						    sizeof(*c->u.q->e) +
						    c->u.q->lex.cap;
					break;
				default:
					break;
				}
			}
	}
	return b;
}
