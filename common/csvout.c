/* csvout.c - write records as CSV or TSV (RFC 4180 quoting, LF line ends). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "formatimpl.h"
#include "value.h"

/*
 * Quoting: a cell is quoted only when it must be, i.e. when it holds the
 * delimiter, a double quote, CR or LF; quotes inside are doubled.  Plain
 * values, and values with leading or trailing blanks, are written as they
 * are: RFC 4180 says spaces are part of a field, dmo's reader keeps them,
 * and so do Python's csv module and Miller, so minimal quoting is what
 * reads back byte for byte.  The one exception is a record of a single
 * empty cell, written "" because an empty line is no record to a reader.
 *
 * TSV is the same dialect with a tab as the delimiter (dmo's reader
 * reads quotes in TSV as in CSV), so a tab or newline in a value is kept.
 *
 * The header comes from the first record.  A later record with the same
 * shape (record.h) is written straight out; one with another shape is
 * mapped onto the header once per shape: fields in another order are
 * put in header order, missing ones are empty, and a field the header
 * does not have makes the record unwritable (the caller rejects it).
 */

struct csvw {
	int		 delim;
	int		 started;
	size_t		 ncols;
	struct dmo_buf	 names;		/* header names, NUL after each */
	struct dmo_span	*spans;
	unsigned long	 shape;		/* the header record's shape */
	unsigned long	 mshape;	/* the shape map[] was made for */
	long		*map;		/* column -> record field, or -1 */
	long		*hash;		/* open addressing: column + 1, or 0 */
	size_t		 hmask;
	unsigned char	 special[256];	/* bytes that force quoting */
	uint64_t	 delim8;	/* the delimiter in every byte */
};

#define ONES	UINT64_C(0x0101010101010101)
#define HIGHS	UINT64_C(0x8080808080808080)

/* Nonzero when a byte of v is 0; its lowest set bit marks the first. */
static inline uint64_t
zero_byte(uint64_t v)
{
	return (v - ONES) & ~v & HIGHS;
}

/* Where the first byte that forces quoting is in v[0..n), or n. */
static inline size_t
find_special(const struct csvw *s, const char *v, size_t n)
{
	size_t i = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; n - i >= 8; i += 8) {
		uint64_t w, m;

		memcpy(&w, v + i, 8);
		m = zero_byte(w ^ s->delim8) | zero_byte(w ^ (ONES * '"')) |
		    zero_byte(w ^ (ONES * '\r')) | zero_byte(w ^ (ONES * '\n'));
		if (m != 0)
			return i + (size_t)(__builtin_ctzll(m) >> 3);
	}
#endif
	for (; i < n; i++)
		if (s->special[(unsigned char)v[i]])
			break;
	return i;
}

static size_t
hash_name(const char *p, size_t n)
{
	size_t h = 2166136261u;

	while (n-- > 0)
		h = (h ^ (unsigned char)*p++) * 16777619u;
	return h;
}

static long
lookup(const struct csvw *s, const char *p, size_t n)
{
	size_t h = hash_name(p, n) & s->hmask;

	for (;; h = (h + 1) & s->hmask) {
		long c = s->hash[h] - 1;

		if (c < 0)
			return -1;
		if (s->spans[c].len == n &&
		    memcmp(s->names.p + s->spans[c].off, p, n) == 0)
			return c;
	}
}

/* A cell of an untyped text or a name: escape formulas when asked. */
static int
formula(const struct dmo_writer *w, const char *v, size_t n)
{
	if (!w->opts.formula_escape || n == 0)
		return 0;
	switch (v[0]) {
	case '=':
	case '+':
	case '-':
	case '@':
	case '\t':
	case '\r':
		/* -12.5 is a number, not a formula. */
		return !dmo_number_valid(v, n);
	default:
		return 0;
	}
}

/* Append one cell: v[0..n), quoted if it must be, "'" first if esc. */
static void
put_cell(struct dmo_out *o, const struct csvw *s, const char *v, size_t n,
    int esc)
{
	char *d;
	size_t i;

	i = find_special(s, v, n);
	if (i == n && !esc) {
		dmo_out_write(o, v, n);
		return;
	}
	d = dmo_out_reserve(o, 2 * n + 3);
	if (i == n) {
		*d++ = '\'';
		memcpy(d, v, n);
		o->len += n + 1;
		return;
	}
	{
		char *start = d;

		*d++ = '"';
		if (esc)
			*d++ = '\'';
		memcpy(d, v, i);
		d += i;
		for (; i < n; i++) {
			if (v[i] == '"')
				*d++ = '"';
			*d++ = v[i];
		}
		*d++ = '"';
		o->len += (size_t)(d - start);
	}
}

static void
put_value(struct dmo_writer *w, const struct csvw *s,
    const struct dmo_record *rec, size_t i)
{
	struct dmo_out *o = w->out;
	size_t n;
	const char *v;

	switch (dmo_record_type(rec, i)) {
	case DMO_NULL:
		break;
	case DMO_FALSE:
		dmo_out_write(o, "false", 5);
		break;
	case DMO_TRUE:
		dmo_out_write(o, "true", 4);
		break;
	case DMO_STRING:
		v = dmo_record_value(rec, i, &n);
		put_cell(o, s, v, n, formula(w, v, n));
		break;
	case DMO_NUMBER:
	case DMO_ARRAY:
	case DMO_OBJECT:
		v = dmo_record_value(rec, i, &n);
		put_cell(o, s, v, n, 0);
		break;
	}
}

/* Is value i empty when written (null, or an empty text)? */
static int
empty(const struct dmo_record *rec, long i)
{
	size_t n;

	if (i < 0 || dmo_record_type(rec, (size_t)i) == DMO_NULL)
		return 1;
	if (dmo_record_type(rec, (size_t)i) != DMO_STRING)
		return 0;
	(void)dmo_record_value(rec, (size_t)i, &n);
	return n == 0;
}

static void
set_header(struct csvw *s, const struct dmo_record *rec)
{
	size_t i, cap;

	s->ncols = rec->n;
	s->spans = dmo_xreallocarray(NULL, s->ncols, sizeof(*s->spans));
	s->map = dmo_xreallocarray(NULL, s->ncols, sizeof(*s->map));
	for (cap = 8; cap < 2 * s->ncols; cap *= 2)
		continue;
	s->hash = dmo_xcalloc(cap, sizeof(*s->hash));
	s->hmask = cap - 1;
	for (i = 0; i < s->ncols; i++) {
		size_t n, h;
		const char *p = dmo_record_name(rec, i, &n);

		s->spans[i].off = s->names.len;
		s->spans[i].len = n;
		dmo_buf_add(&s->names, p, n);
		dmo_buf_addc(&s->names, '\0');
		for (h = hash_name(p, n) & s->hmask; s->hash[h] != 0;
		    h = (h + 1) & s->hmask)
			continue;
		s->hash[h] = (long)i + 1;
	}
	s->shape = rec->shape;
	s->started = 1;
}

static void
put_header(struct dmo_writer *w, struct csvw *s)
{
	size_t i;

	if (s->ncols == 1 && s->spans[0].len == 0) {
		dmo_out_write(w->out, "\"\"\n", 3);
		return;
	}
	for (i = 0; i < s->ncols; i++) {
		const char *p = s->names.p + s->spans[i].off;

		if (i > 0)
			dmo_out_putc(w->out, s->delim);
		put_cell(w->out, s, p, s->spans[i].len,
		    formula(w, p, s->spans[i].len));
	}
	dmo_out_putc(w->out, '\n');
}

/* Map the header's columns to rec's fields; -1 if rec has a stranger. */
static int
make_map(struct csvw *s, const struct dmo_record *rec, struct dmo_err *err)
{
	size_t i;

	for (i = 0; i < s->ncols; i++)
		s->map[i] = -1;
	for (i = 0; i < rec->n; i++) {
		size_t n;
		const char *p = dmo_record_name(rec, i, &n);
		long c = lookup(s, p, n);

		if (c < 0) {
			s->mshape = 0;
			dmo_err_set(err, DMO_EXIT_DATA, &rec->loc,
			    "field '%s' is not in the CSV header", p);
			return -1;
		}
		s->map[c] = (long)i;
	}
	s->mshape = rec->shape;
	return 0;
}

static int
csvw_write(struct dmo_writer *w, const struct dmo_record *rec,
    struct dmo_err *err)
{
	struct csvw *s = w->state;
	struct dmo_out *o = w->out;
	size_t i;

	if (!s->started) {
		if (rec->n == 0) {
			dmo_err_set(err, DMO_EXIT_DATA, &rec->loc,
			    "record has no fields, which CSV cannot hold");
			return -1;
		}
		set_header(s, rec);
		if (w->opts.header != 0)
			put_header(w, s);
	}
	if (rec->shape != 0 && rec->shape == s->shape && rec->n == s->ncols) {
		/* The common case: the header's own names in its order. */
		if (s->ncols == 1 && empty(rec, 0)) {
			dmo_out_write(o, "\"\"\n", 3);
			return 0;
		}
		for (i = 0; i < s->ncols; i++) {
			if (i > 0)
				dmo_out_putc(o, s->delim);
			put_value(w, s, rec, i);
		}
		dmo_out_putc(o, '\n');
		return 0;
	}
	if ((rec->shape == 0 || rec->shape != s->mshape) &&
	    make_map(s, rec, err) != 0)
		return -1;
	if (s->ncols == 1 && empty(rec, s->map[0])) {
		dmo_out_write(o, "\"\"\n", 3);
		return 0;
	}
	for (i = 0; i < s->ncols; i++) {
		if (i > 0)
			dmo_out_putc(o, s->delim);
		if (s->map[i] >= 0)
			put_value(w, s, rec, (size_t)s->map[i]);
	}
	dmo_out_putc(o, '\n');
	return 0;
}

static int
csvw_init(struct dmo_writer *w, struct dmo_err *err)
{
	struct csvw *s = dmo_xcalloc(1, sizeof(*s));

	(void)err;
	s->delim = w->opts.format == DMO_FMT_TSV ? '\t' :
	    w->opts.delim != 0 ? w->opts.delim : ',';
	s->special[(unsigned char)s->delim] = 1;
	s->delim8 = ONES * (unsigned char)s->delim;
	s->special['"'] = 1;
	s->special['\r'] = 1;
	s->special['\n'] = 1;
	w->state = s;
	return 0;
}

static void
csvw_fini(struct dmo_writer *w)
{
	struct csvw *s = w->state;

	if (s == NULL)
		return;
	dmo_buf_release(&s->names);
	free(s->spans);
	free(s->map);
	free(s->hash);
	free(s);
	w->state = NULL;
}

const struct dmo_writer_ops dmo_csv_writer_ops = {
	csvw_init,
	csvw_write,
	NULL,
	NULL,
	csvw_fini
};
