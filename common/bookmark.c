/* bookmark.c - incremental runs: the bookmark, its state file, checkpoints. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "bookmark.h"
#include "exitcode.h"
#include "io.h"
#include "json.h"
#include "value.h"

#define STATE_VERSION	1
#define EXP_LIMIT	(LLONG_MAX / 4)	/* exponents are clamped here */

/*
 * A JSON number as 0.DDD x 10^exp: D the significant digits (leading and
 * trailing zeros gone), read from the integer part and then the fraction.
 */
struct num {
	int		 neg;
	const char	*ip;	/* integer digits, leading zeros gone */
	size_t		 il;
	const char	*fp;	/* fraction digits */
	size_t		 fl;
	long long	 exp;
};

static void
num_parse(const char *p, size_t n, struct num *v)
{
	const char *end = p + n;
	long long e = 0;
	int eneg = 0;

	memset(v, 0, sizeof(*v));
	if (p < end && *p == '-') {
		v->neg = 1;
		p++;
	}
	while (p < end && *p == '0')
		p++;
	v->ip = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	v->il = (size_t)(p - v->ip);
	if (p < end && *p == '.') {
		v->fp = ++p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		v->fl = (size_t)(p - v->fp);
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		for (; p < end; p++)
			e = e < EXP_LIMIT / 10 ? e * 10 + (*p - '0') :
			    EXP_LIMIT;
	}
	v->exp = (eneg ? -e : e) + (long long)v->il;
	if (v->il == 0) {
		/* 0.00123: the fraction's leading zeros lower the exponent. */
		while (v->fl > 0 && *v->fp == '0') {
			v->fp++;
			v->fl--;
			v->exp--;
		}
	}
	while (v->fl > 0 && v->fp[v->fl - 1] == '0')
		v->fl--;
	if (v->fl == 0)
		while (v->il > 0 && v->ip[v->il - 1] == '0')
			v->il--;
}

static inline int
num_digit(const struct num *v, size_t i)
{
	return i < v->il ? v->ip[i] : v->fp[i - v->il];
}

/* Compare two numbers' magnitudes (both not zero). */
static int
num_cmp_abs(const struct num *a, const struct num *b)
{
	size_t na = a->il + a->fl, nb = b->il + b->fl, i;

	if (a->exp != b->exp)
		return a->exp < b->exp ? -1 : 1;
	for (i = 0; i < na && i < nb; i++)
		if (num_digit(a, i) != num_digit(b, i))
			return num_digit(a, i) < num_digit(b, i) ? -1 : 1;
	return na == nb ? 0 : na < nb ? -1 : 1;
}

static int
num_cmp(const struct num *a, const struct num *b)
{
	int za = a->il + a->fl == 0, zb = b->il + b->fl == 0, c;

	if (za && zb)
		return 0;
	if (za)
		return b->neg ? 1 : -1;
	if (zb)
		return a->neg ? -1 : 1;
	if (a->neg != b->neg)
		return a->neg ? -1 : 1;
	c = num_cmp_abs(a, b);
	return a->neg ? -c : c;
}

static int
bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c < 0 ? -1 : 1;
	return alen == blen ? 0 : alen < blen ? -1 : 1;
}

int
dmo_bookmark_compare(const char *a, size_t alen, const char *b, size_t blen)
{
	struct num x, y;

	if (dmo_number_valid(a, alen) && dmo_number_valid(b, blen)) {
		num_parse(a, alen, &x);
		num_parse(b, blen, &y);
		return num_cmp(&x, &y);
	}
	return bytes_cmp(a, alen, b, blen);
}

char *
dmo_state_path(const char *arg, struct dmo_err *err)
{
	struct dmo_loc loc = { arg, 0, 0 };
	const char *slash = strrchr(arg, '/'), *base;
	char *dir, *real, *abs;
	size_t n;

	base = slash != NULL ? slash + 1 : arg;
	if (*base == '\0' || strcmp(base, ".") == 0 ||
	    strcmp(base, "..") == 0) {
		dmo_err_set(err, DMO_EXIT_USAGE, &loc, "not a file name");
		return NULL;
	}
	if (slash == NULL)
		dir = dmo_xstrdup(".");
	else if (slash == arg)
		dir = dmo_xstrdup("/");
	else
		dir = dmo_xmemdup(arg, (size_t)(slash - arg));
	if ((real = realpath(dir, NULL)) == NULL) {
		dmo_err_sys(err, DMO_EXIT_USAGE, &loc, "directory '%s'", dir);
		free(dir);
		return NULL;
	}
	free(dir);
	n = strlen(real) + strlen(base) + 2;
	abs = dmo_xmalloc(n);
	snprintf(abs, n, "%s%s%s", real, strcmp(real, "/") == 0 ? "" : "/",
	    base);
	free(real);
	return abs;
}

int
dmo_state_save(const struct dmo_checkpoint *cp, struct dmo_err *err)
{
	struct dmo_doc *d = dmo_doc_object();
	struct dmo_atomic *a;
	struct dmo_out *o;
	char *path, *text, when[32];
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	dmo_doc_set_int(d, "dmo_state", STATE_VERSION);
	dmo_doc_set(d, "field", dmo_doc_strn(cp->field, cp->fieldlen));
	dmo_doc_set(d, "bookmark", cp->bookmark != NULL ?
	    dmo_doc_strn(cp->bookmark, cp->bookmarklen) : dmo_doc_null());
	dmo_doc_set_int(d, "records", (long long)cp->records);
	if (gmtime_r(&now, &tm) != NULL &&
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
		dmo_doc_set_str(d, "saved", when);
	text = dmo_doc_dump_pretty(d);
	dmo_doc_free(d);
	path = dmo_xmemdup(cp->state, cp->statelen);
	if ((a = dmo_atomic_open(path, err)) == NULL) {
		free(text);
		free(path);
		return -1;
	}
	o = dmo_atomic_out(a);
	dmo_out_write(o, text, strlen(text));
	rc = dmo_atomic_commit(a, err);
	free(text);
	free(path);
	return rc;
}

/* A state file that is not one: code 2, a message naming the file. */
static int
bad_state(struct dmo_err *err, const char *arg, const char *fmt,
    const char *a, const char *b)
{
	struct dmo_loc loc = { arg, 0, 0 };
	char why[256];

	snprintf(why, sizeof(why), fmt, a, b);
	dmo_err_set(err, DMO_EXIT_USAGE, &loc, "not a valid state file: %s",
	    why);
	return -1;
}

static int
read_state(struct dmo_bookmark *bm, const char *arg, struct dmo_err *err)
{
	struct dmo_doc *d, *v;
	const char *s;
	size_t len;
	int rc = -1;

	/* Bad JSON is code 2 ("state.json:1:3: not valid JSON: ..."). */
	if ((d = dmo_doc_load(arg, err)) == NULL)
		return -1;
	if (dmo_doc_type(d) != DMO_DOC_OBJECT) {
		bad_state(err, arg, "%s%s, not an object",
		    dmo_doc_type_name(d), "");
		goto out;
	}
	v = dmo_doc_get(d, "dmo_state");
	if (v == NULL) {
		bad_state(err, arg, "no '%s' member%s", "dmo_state", "");
		goto out;
	}
	if (dmo_doc_type(v) != DMO_DOC_INT || dmo_doc_integer(v) < 1) {
		bad_state(err, arg, "'%s' is not a version number%s",
		    "dmo_state", "");
		goto out;
	}
	if (dmo_doc_integer(v) != STATE_VERSION) {
		struct dmo_loc loc = { arg, 0, 0 };

		dmo_err_set(err, DMO_EXIT_USAGE, &loc, "state file version "
		    "%lld is not supported (this is version %d)",
		    dmo_doc_integer(v), STATE_VERSION);
		goto out;
	}
	v = dmo_doc_get(d, "field");
	if (v == NULL || dmo_doc_type(v) != DMO_DOC_STRING) {
		bad_state(err, arg, "'%s' is %s, not a string", "field",
		    v == NULL ? "missing" : dmo_doc_type_name(v));
		goto out;
	}
	s = dmo_doc_string(v, &len);
	if (len != bm->flen || memcmp(s, bm->field, len) != 0) {
		struct dmo_loc loc = { arg, 0, 0 };

		dmo_err_set(err, DMO_EXIT_USAGE, &loc, "the bookmark is on "
		    "field %s, not on '%s' as option '--since-field' says",
		    dmo_quote(s, len), bm->field);
		goto out;
	}
	v = dmo_doc_get(d, "bookmark");
	if (v == NULL || (dmo_doc_type(v) != DMO_DOC_STRING &&
	    dmo_doc_type(v) != DMO_DOC_NULL)) {
		bad_state(err, arg, "'%s' is %s, not a string or null",
		    "bookmark", v == NULL ? "missing" : dmo_doc_type_name(v));
		goto out;
	}
	if (dmo_doc_type(v) == DMO_DOC_STRING) {
		s = dmo_doc_string(v, &len);
		dmo_buf_add(&bm->from, s, len);
		dmo_buf_cstr(&bm->from);
		bm->have_from = 1;
		bm->from_num = dmo_number_valid(s, len);
	}
	rc = 0;
out:
	dmo_doc_free(d);
	return rc;
}

int
dmo_bookmark_open(struct dmo_bookmark *bm, const char *field,
    const char *state_arg, struct dmo_err *err)
{
	struct stat st;

	memset(bm, 0, sizeof(*bm));
	bm->field = dmo_xstrdup(field);
	bm->flen = strlen(field);
	bm->idx = -1;
	bm->cur = -1;
	clock_gettime(CLOCK_MONOTONIC, &bm->last);
	if ((bm->state = dmo_state_path(state_arg, err)) == NULL)
		return -1;
	if (stat(state_arg, &st) != 0 && errno == ENOENT)
		return 0;	/* the first run: from the beginning */
	return read_state(bm, state_arg, err);
}

void
dmo_bookmark_release(struct dmo_bookmark *bm)
{
	free(bm->field);
	free(bm->state);
	dmo_buf_release(&bm->from);
	dmo_buf_release(&bm->max);
	dmo_buf_release(&bm->payload);
	memset(bm, 0, sizeof(*bm));
}

/* The field's index in rec, cached by the record's shape. */
static long
field_index(struct dmo_bookmark *bm, const struct dmo_record *rec)
{
	if (rec->shape != bm->shape || bm->shape == 0) {
		bm->idx = dmo_record_find(rec, bm->field, bm->flen);
		bm->shape = rec->shape;
	}
	return bm->idx;
}

int
dmo_bookmark_test(struct dmo_bookmark *bm, const struct dmo_record *rec,
    struct dmo_err *err)
{
	long i = field_index(bm, rec);
	const char *v;
	size_t len;
	enum dmo_type t;

	bm->cur = i;
	if (i < 0) {
		dmo_err_set(err, DMO_EXIT_DATA, &rec->loc, "field '%s': "
		    "missing: the record cannot be placed against the "
		    "bookmark", bm->field);
		return -1;
	}
	t = dmo_record_type(rec, (size_t)i);
	if (t != DMO_NUMBER && t != DMO_STRING) {
		dmo_err_set(err, DMO_EXIT_DATA, &rec->loc, "field '%s': "
		    "%s: the record cannot be placed against the bookmark",
		    bm->field, t == DMO_NULL ? "null" : dmo_type_name(t));
		return -1;
	}
	if (!bm->have_from)
		return 1;
	v = dmo_record_value(rec, (size_t)i, &len);
	if (dmo_bookmark_compare(v, len, bm->from.p, bm->from.len) >= 0)
		return 1;
	bm->skipped++;
	return 0;
}

int
dmo_bookmark_sent(struct dmo_bookmark *bm, const struct dmo_record *rec,
    struct dmo_err *err)
{
	/*
	 * The index dmo_bookmark_test found: fields a program adds go at
	 * the end (dmo-extract -s), and would change the shape.
	 */
	long i = bm->cur;
	const char *v;
	size_t len;
	int c;

	bm->sent++;
	bm->pending++;
	if (i < 0 || (size_t)i >= dmo_record_count(rec))
		return 0;	/* not through dmo_bookmark_test */
	v = dmo_record_value(rec, (size_t)i, &len);
	if (!bm->have_max) {
		dmo_buf_add(&bm->max, v, len);
		bm->have_max = 1;
		return 0;
	}
	c = dmo_bookmark_compare(v, len, bm->max.p, bm->max.len);
	if (c > 0) {
		bm->max.len = 0;
		dmo_buf_add(&bm->max, v, len);
	} else if (c < 0 && !bm->disordered) {
		bm->disordered = 1;
		if (bm->every > 0 || bm->interval > 0) {
			dmo_err_set(err, DMO_EXIT_DATA, &rec->loc, "field "
			    "'%s': records are not in order: %s comes after "
			    "%s; no checkpoint until the end of the input",
			    bm->field, dmo_quote(v, len),
			    dmo_quote(bm->max.p, bm->max.len));
			return 1;
		}
	}
	return 0;
}

static double
since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	    (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

int
dmo_bookmark_due(struct dmo_bookmark *bm, int waiting)
{
	if (bm->stopped || bm->disordered || bm->pending == 0)
		return 0;
	if (bm->every > 0 && bm->pending >= bm->every)
		return 1;
	if (bm->interval <= 0)
		return 0;
	/* Look at the clock every 256 records, and before any wait. */
	if (!waiting && (bm->pending & 255) != 0)
		return 0;
	return since(&bm->last) >= bm->interval;
}

const struct dmo_control *
dmo_bookmark_checkpoint(struct dmo_bookmark *bm)
{
	static struct dmo_control ctl;
	struct dmo_checkpoint cp;

	memset(&cp, 0, sizeof(cp));
	cp.state = bm->state;
	cp.statelen = strlen(bm->state);
	cp.field = bm->field;
	cp.fieldlen = bm->flen;
	if (bm->have_max) {
		cp.bookmark = bm->max.p;
		cp.bookmarklen = bm->max.len;
	} else if (bm->have_from) {
		cp.bookmark = bm->from.p;
		cp.bookmarklen = bm->from.len;
	}
	cp.records = bm->sent;
	bm->payload.len = 0;
	dmo_checkpoint_encode(&cp, &bm->payload);
	bm->pending = 0;
	bm->checkpoints++;
	clock_gettime(CLOCK_MONOTONIC, &bm->last);
	ctl.type = DMO_CONTROL_CHECKPOINT;
	ctl.payload = bm->payload.p;
	ctl.len = bm->payload.len;
	return &ctl;
}
