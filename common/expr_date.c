/* expr_date.c - date and time functions of the language, on common/datetime.c. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datetime.h"
#include "exitcode.h"
#include "exprimpl.h"

#define U	__attribute__((unused))
#define ARGS	struct xctx *cx U, struct xnode *n U, struct xval *a U, \
		size_t na U, struct xval *r U

/*
 * A time zone argument: opened once when it is a literal (at compile
 * time, so an unknown zone is a syntax error), else when its name changes.
 */
struct tzcache {
	struct dmo_tz	*tz;
	char		 name[128];
	int		 literal;
};

/* Is one of the first k arguments (the required ones) null? */
static int
null_arg(const struct xval *a, size_t na, size_t k)
{
	size_t i;

	for (i = 0; i < k && i < na; i++)
		if (a[i].t == XV_NULL)
			return 1;
	return 0;
}

static int
null(struct xval *r)
{
	memset(r, 0, sizeof(*r));
	return 0;
}

static int
set_text(struct xctx *cx, struct xval *r, const struct dmo_buf *b)
{
	memset(r, 0, sizeof(*r));
	r->t = XV_STR;
	r->p = xarena_dup(cx->arena, b->p != NULL ? b->p : "", b->len);
	r->n = b->len;
	return 0;
}

static int
text(struct xctx *cx, struct xnode *n, const struct xval *v, const char **p,
    size_t *len)
{
	if (v->t == XV_ARR || v->t == XV_OBJ || v->t == XV_BOOL)
		return xerr(cx, n, "%s: not a string: %s", n->fn->name,
		    xval_type_name(v));
	return xval_text(cx, v, p, len);
}

/* The zone of argument i: UTC when it is absent or null. */
static int
zone(struct xctx *cx, struct xnode *n, struct xval *a, size_t na, size_t i,
    const struct dmo_tz **tz)
{
	static struct dmo_tz *utc;
	struct tzcache *c = n->aux;
	struct dmo_err err;
	const char *p;
	size_t len;

	if (i >= na || a[i].t == XV_NULL) {
		if (utc == NULL && (utc = dmo_tz_open("UTC", &err)) == NULL)
			return xerr(cx, n, "%s: %s", n->fn->name, err.msg);
		*tz = utc;
		return 0;
	}
	if (c != NULL && c->literal) {
		*tz = c->tz;
		return 0;
	}
	if (text(cx, n, &a[i], &p, &len) != 0)
		return -1;
	if (c == NULL) {
		c = n->aux = dmo_xcalloc(1, sizeof(*c));
	}
	if (c->tz != NULL && strlen(c->name) == len &&
	    memcmp(c->name, p, len) == 0) {
		*tz = c->tz;
		return 0;
	}
	if (len >= sizeof(c->name))
		return xerr(cx, n, "%s: unknown time zone: %s", n->fn->name,
		    dmo_quote(p, len));
	dmo_tz_free(c->tz);
	memcpy(c->name, p, len);
	c->name[len] = '\0';
	if ((c->tz = dmo_tz_open(c->name, &err)) == NULL)
		return xerr(cx, n, "%s: %s", n->fn->name, err.msg);
	*tz = c->tz;
	return 0;
}

int
xdate_check_aux(struct xnode *n, struct dmo_err *err)
{
	struct xnode *lit;
	struct tzcache *c;

	if (n->fn->tz_arg < 0 || (size_t)n->fn->tz_arg >= n->nargs)
		return 0;
	lit = n->args[n->fn->tz_arg];
	if (lit->op != N_LIT || lit->lit.t != XV_STR)
		return 0;
	c = dmo_xcalloc(1, sizeof(*c));
	c->literal = 1;
	snprintf(c->name, sizeof(c->name), "%.*s", (int)(lit->lit.n < 127 ?
	    lit->lit.n : 127), lit->lit.p);
	if ((c->tz = dmo_tz_open(c->name, err)) == NULL) {
		free(c);
		err->loc.line = lit->line;
		err->loc.col = lit->col;
		err->code = DMO_EXIT_USAGE;
		return -1;
	}
	n->aux = c;
	return 0;
}

void
xdate_free_aux(struct xnode *n)
{
	struct tzcache *c = n->aux;

	if (c != NULL)
		dmo_tz_free(c->tz);
	free(c);
}

/*
 * Read a date: ISO 8601 (fmt NULL) or by a format.  A date without an
 * offset is a wall time in tz.  Gives the instant (secs, nsec) and the
 * broken-down time.
 */
static int
get_date(struct xctx *cx, struct xnode *n, const struct xval *v,
    const char *fmt, const struct dmo_tz *tz, long long *secs,
    struct dmo_datetime *dt)
{
	const char *p, *why = "not a date";
	size_t len;
	int rc, off;

	if (v->t == XV_INT || v->t == XV_NUM || v->t == XV_DEC) {
		/* A number is seconds since the epoch. */
		struct xval x;

		if (xnum_get(v, &x) != 0 || x.t != XV_INT)
			return xerr(cx, n, "%s: not whole seconds: %s",
			    n->fn->name, v->t == XV_NUM ?
			    dmo_quote(v->p, v->n) : "a decimal");
		*secs = x.i;
		dmo_dt_from_epoch(x.i, 0, 0, dt);
		dt->has_date = dt->has_time = dt->has_offset = 1;
		return 0;
	}
	if (text(cx, n, v, &p, &len) != 0)
		return -1;
	memset(dt, 0, sizeof(*dt));
	rc = fmt == NULL ? dmo_dt_parse_iso(p, len, 1, dt, &why) :
	    dmo_dt_parse_fmt(p, len, fmt, dt, &why);
	if (rc != 0)
		return xerr(cx, n, "%s: bad date (%s): %s", n->fn->name, why,
		    dmo_quote(p, len));
	if (!dt->has_offset) {
		long long utc;

		if (dmo_tz_resolve(tz, dmo_dt_local_secs(dt), DMO_TZ_COMPAT,
		    &utc, &off) < 0)
			return xerr(cx, n, "%s: no such local time: %s",
			    n->fn->name, dmo_quote(p, len));
		int had_time = dt->has_time, frac = dt->frac;

		*secs = utc;
		/* A wall time in a gap moves on with the clocks. */
		dmo_dt_from_epoch(utc, dt->nsec, off, dt);
		dt->has_date = dt->has_offset = 1;
		dt->has_time = had_time;
		dt->frac = frac;
		return 0;
	}
	*secs = dmo_dt_epoch(dt);
	return 0;
}

/* The wall time of an instant in tz, with its offset. */
static void
in_zone(long long secs, long nsec, int frac, const struct dmo_tz *tz,
    struct dmo_datetime *dt)
{
	int off = dmo_tz_offset(tz, secs, NULL, NULL);

	dmo_dt_from_epoch(secs, nsec, off, dt);
	dt->frac = frac;
	dt->has_date = dt->has_time = dt->has_offset = 1;
}

static int
put_iso(struct xctx *cx, struct xnode *n, struct dmo_datetime *dt,
    struct xval *r)
{
	struct dmo_buf *b = &cx->prog->tmp;

	if (dt->year < 1 || dt->year > 9999)
		return xerr(cx, n, "%s: year out of range: %d", n->fn->name,
		    dt->year);
	b->len = 0;
	/* A date stays a date (no time, no offset) unless a time was added. */
	dmo_dt_put_iso(dt, dt->has_time ? 'T' : 'd', b);
	return set_text(cx, r, b);
}

/* A literal format argument, as a C string (formats have no NUL). */
static const char *
fmt_arg(struct xctx *cx, struct xnode *n, const struct xval *v)
{
	const char *p;
	size_t len;

	if (v->t == XV_NULL)
		return NULL;
	if (text(cx, n, v, &p, &len) != 0)
		return (const char *)-1;
	return xarena_dup(cx->arena, p, len);
}

#define BADFMT	((const char *)-1)

/* to_epoch(date[, format[, zone]]): seconds since 1970-01-01T00:00:00Z. */
static int
f_to_epoch(ARGS)
{
	const struct dmo_tz *tz;
	struct dmo_datetime dt;
	const char *fmt = na > 1 ? fmt_arg(cx, n, &a[1]) : NULL;
	long long s;

	if (null_arg(a, na, 1))
		return null(r);

	if (fmt == BADFMT || zone(cx, n, a, na, 2, &tz) != 0 ||
	    get_date(cx, n, &a[0], fmt, tz, &s, &dt) != 0)
		return -1;
	memset(r, 0, sizeof(*r));
	r->t = XV_INT;
	r->i = s;
	return 0;
}

/* from_epoch(seconds[, zone]): ISO 8601 text in the zone. */
static int
f_from_epoch(ARGS)
{
	const struct dmo_tz *tz;
	struct dmo_datetime dt;
	struct xval x;

	if (null_arg(a, na, 1))
		return null(r);

	if (zone(cx, n, a, na, 1, &tz) != 0)
		return -1;
	if (xnum_get(&a[0], &x) != 0 || x.t != XV_INT)
		return xerr(cx, n, "from_epoch: not whole seconds: %s",
		    a[0].t == XV_STR || a[0].t == XV_NUM ?
		    dmo_quote(a[0].p, a[0].n) : xval_type_name(&a[0]));
	if (x.i < -62135596800LL || x.i > 253402300799LL)
		return xerr(cx, n, "from_epoch: out of range: %lld",
		    (long long)x.i);
	in_zone(x.i, 0, 0, tz, &dt);
	return put_iso(cx, n, &dt, r);
}

/* parse_date(text, format[, zone]): ISO 8601 text, with its offset. */
static int
f_parse_date(ARGS)
{
	const struct dmo_tz *tz;
	struct dmo_datetime dt;
	const char *fmt = fmt_arg(cx, n, &a[1]);
	long long s;

	if (null_arg(a, na, 2))
		return null(r);

	if (fmt == BADFMT || zone(cx, n, a, na, 2, &tz) != 0 ||
	    get_date(cx, n, &a[0], fmt, tz, &s, &dt) != 0)
		return -1;
	return put_iso(cx, n, &dt, r);
}

/* to_tz(date, zone): the same instant as wall time in the zone. */
static int
f_to_tz(ARGS)
{
	const struct dmo_tz *tz, *utc;
	struct dmo_datetime dt;
	long long s;

	if (null_arg(a, na, 1))
		return null(r);

	if (zone(cx, n, a, 0, 0, &utc) != 0 || zone(cx, n, a, na, 1, &tz) != 0 ||
	    get_date(cx, n, &a[0], NULL, utc, &s, &dt) != 0)
		return -1;
	in_zone(s, dt.nsec, dt.frac, tz, &dt);
	return put_iso(cx, n, &dt, r);
}

/* format_date(date, format[, zone]): strftime-like text. */
static int
f_format_date(ARGS)
{
	struct dmo_buf *b = &cx->prog->tmp;
	const struct dmo_tz *tz, *utc;
	struct dmo_datetime dt;
	const char *fmt = fmt_arg(cx, n, &a[1]);
	long long s;

	if (null_arg(a, na, 2))
		return null(r);

	if (fmt == BADFMT || zone(cx, n, a, 0, 0, &utc) != 0 ||
	    get_date(cx, n, &a[0], NULL, utc, &s, &dt) != 0)
		return -1;
	if (na > 2 && a[2].t != XV_NULL) {
		if (zone(cx, n, a, na, 2, &tz) != 0)
			return -1;
		in_zone(s, dt.nsec, dt.frac, tz, &dt);
	}
	b->len = 0;
	dmo_dt_format(&dt, fmt, b);
	return set_text(cx, r, b);
}

static const char *const parts[] = {
	"year", "month", "day", "hour", "minute", "second", "weekday",
	"yday", "offset", NULL
};

/* date_part(date, part[, zone]) */
static int
f_date_part(ARGS)
{
	const struct dmo_tz *tz, *utc;
	struct dmo_datetime dt;
	const char *p;
	size_t len, i;
	long long s, v;

	if (null_arg(a, na, 2))
		return null(r);

	if (text(cx, n, &a[1], &p, &len) != 0 ||
	    zone(cx, n, a, 0, 0, &utc) != 0 ||
	    get_date(cx, n, &a[0], NULL, utc, &s, &dt) != 0)
		return -1;
	if (na > 2 && a[2].t != XV_NULL) {
		if (zone(cx, n, a, na, 2, &tz) != 0)
			return -1;
		in_zone(s, dt.nsec, dt.frac, tz, &dt);
	}
	for (i = 0; parts[i] != NULL; i++)
		if (strlen(parts[i]) == len && memcmp(parts[i], p, len) == 0)
			break;
	switch (i) {
	case 0: v = dt.year; break;
	case 1: v = dt.mon; break;
	case 2: v = dt.day; break;
	case 3: v = dt.hour; break;
	case 4: v = dt.min; break;
	case 5: v = dt.sec; break;
	case 6: v = dmo_dt_weekday(&dt); break;
	case 7: v = dmo_dt_yday(&dt); break;
	case 8: v = dt.offset; break;
	default:
		return xerr(cx, n, "date_part: unknown part (year, month, "
		    "day, hour, minute, second, weekday, yday, offset): %s",
		    dmo_quote(p, len));
	}
	memset(r, 0, sizeof(*r));
	r->t = XV_INT;
	r->i = v;
	return 0;
}

static const struct {
	const char	*name;
	long long	 secs;	/* 0: calendar months */
	long long	 months;
} units[] = {
	{ "second", 1, 0 }, { "seconds", 1, 0 },
	{ "minute", 60, 0 }, { "minutes", 60, 0 },
	{ "hour", 3600, 0 }, { "hours", 3600, 0 },
	{ "day", 86400, 0 }, { "days", 86400, 0 },
	{ "week", 604800, 0 }, { "weeks", 604800, 0 },
	{ "month", 0, 1 }, { "months", 0, 1 },
	{ "year", 0, 12 }, { "years", 0, 12 },
};

static int
unit(struct xctx *cx, struct xnode *n, const struct xval *v, size_t *u)
{
	const char *p;
	size_t len, i;

	if (text(cx, n, v, &p, &len) != 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == len &&
		    memcmp(units[i].name, p, len) == 0) {
			*u = i;
			return 0;
		}
	return xerr(cx, n, "%s: unknown unit (seconds, minutes, hours, days, "
	    "weeks, months, years): %s", n->fn->name, dmo_quote(p, len));
}

/*
 * date_add(date, count, unit[, zone]): seconds, minutes and hours move
 * the instant; days, weeks, months and years move the wall time in the
 * zone (the date's own offset when no zone is given), so a day across a
 * DST change is 23 or 25 hours.
 */
static int
f_date_add(ARGS)
{
	const struct dmo_tz *tz = NULL, *utc;
	struct dmo_datetime dt;
	struct xval x;
	size_t u;
	long long s, utcs;
	int off, rc;

	if (null_arg(a, na, 3))
		return null(r);

	if (zone(cx, n, a, 0, 0, &utc) != 0 || unit(cx, n, &a[2], &u) != 0 ||
	    get_date(cx, n, &a[0], NULL, utc, &s, &dt) != 0)
		return -1;
	if (xnum_get(&a[1], &x) != 0 || x.t != XV_INT)
		return xerr(cx, n, "date_add: not a whole count: %s",
		    xval_type_name(&a[1]));
	if (na > 3 && a[3].t != XV_NULL) {
		if (zone(cx, n, a, na, 3, &tz) != 0)
			return -1;
		in_zone(s, dt.nsec, dt.frac, tz, &dt);
	}
	if (units[u].secs > 0 && units[u].secs < 86400) {
		long long d;

		if (__builtin_mul_overflow(x.i, units[u].secs, &d) ||
		    d > 400000000000LL || d < -400000000000LL)
			return xerr(cx, n, "date_add: out of range");
		s += d;
		dt.has_time = 1;
		if (tz != NULL)
			in_zone(s, dt.nsec, dt.frac, tz, &dt);
		else {
			off = dt.offset;
			dmo_dt_from_epoch(s, dt.nsec, off, &dt);
			dt.has_date = dt.has_time = dt.has_offset = 1;
		}
		return put_iso(cx, n, &dt, r);
	}
	if (x.i > 200000 || x.i < -200000)
		return xerr(cx, n, "date_add: out of range");
	rc = units[u].secs > 0 ?
	    dmo_dt_add_seconds(&dt, x.i * units[u].secs) :
	    dmo_dt_add_months(&dt, x.i * units[u].months);
	if (rc != 0)
		return xerr(cx, n, "date_add: year out of range");
	if (tz != NULL) {
		/* The new wall time in the zone; a gap moves on. */
		dmo_tz_resolve(tz, dmo_dt_local_secs(&dt), DMO_TZ_COMPAT, &utcs,
		    &off);
		in_zone(utcs, dt.nsec, dt.frac, tz, &dt);
	}
	return put_iso(cx, n, &dt, r);
}

/* date_diff(a, b[, unit]): a - b, whole units toward zero (seconds). */
static int
f_date_diff(ARGS)
{
	const struct dmo_tz *utc;
	struct dmo_datetime x, y;
	long long s, t, d;
	size_t u = 0;

	if (null_arg(a, na, 2))
		return null(r);

	if (zone(cx, n, a, 0, 0, &utc) != 0 ||
	    get_date(cx, n, &a[0], NULL, utc, &s, &x) != 0 ||
	    get_date(cx, n, &a[1], NULL, utc, &t, &y) != 0 ||
	    (na > 2 && unit(cx, n, &a[2], &u) != 0))
		return -1;
	if (units[u].secs > 0)
		d = (s - t) / units[u].secs;
	else {
		/* Calendar months between the wall times, as people count. */
		long long m = (x.year - y.year) * 12LL + (x.mon - y.mon);
		struct dmo_datetime z = y;

		if (dmo_dt_add_months(&z, m) == 0) {
			long long back = dmo_dt_diff(&x, &z);

			if (m > 0 && back < 0)
				m--;
			else if (m < 0 && back > 0)
				m++;
		}
		d = m / units[u].months;
	}
	memset(r, 0, sizeof(*r));
	r->t = XV_INT;
	r->i = d;
	return 0;
}

/*
 * Not XF_NULLS: a null format or zone means the default (ISO 8601, UTC);
 * a null date gives null (NULLDATE).
 */
#define F(name, min, max, tz) \
	{ #name, min, max, 0, f_##name, -1, tz }

static const struct xfunc funcs[] = {
	F(date_add, 3, 4, 3),
	F(date_diff, 2, 3, -1),
	F(date_part, 2, 3, 2),
	F(format_date, 2, 3, 2),
	F(from_epoch, 1, 2, 1),
	F(parse_date, 2, 3, 2),
	F(to_epoch, 1, 3, 2),
	F(to_tz, 2, 2, 1),
};

const struct xfunc *
xdate_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
		if (strlen(funcs[i].name) == len &&
		    memcmp(funcs[i].name, name, len) == 0)
			return &funcs[i];
	return NULL;
}

const char *
xdate_name(size_t i)
{
	return i < sizeof(funcs) / sizeof(funcs[0]) ? funcs[i].name : NULL;
}
