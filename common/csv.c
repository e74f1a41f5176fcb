/* csv.c - read CSV and TSV through libcsv, with line numbers; sniffing. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <csv.h>

#include "exitcode.h"
#include "formatimpl.h"
#include "utf8fast.h"
#include "value.h"

/*
 * How it works.  libcsv knows nothing of lines, so we read one physical
 * line at a time (dmo_in_line) and feed it to csv_parse; the line where
 * a record's first byte is read is its line.  libcsv ends a row at CR as
 * well as at LF, so a line is fed in segments that end after each CR:
 * then no csv_parse call ever completes more than one row, and next()
 * returns each record as soon as its last byte is read, without looking
 * ahead (a followed file or a pipe shows each record at once).
 *
 * Field bytes go straight into the caller's record (the values of a
 * name list set once per header): no allocation per field or row.  The
 * text of a record that spans lines is kept (pend) so that a bad record
 * can be handed back whole, and so that an unterminated quote at the end
 * of the input can be re-parsed from the line after it (resync) instead
 * of swallowing the rest of the file.
 *
 * Speed: libcsv costs some 40 instructions a byte.  A row starts on a
 * fast path (scan) that splits unquoted fields itself and hands the rest
 * of the row to libcsv at the first field with a quote in it, so libcsv
 * still parses every quoted field and reports every quoting error.  The
 * fuzzer and the unit tests check the fast path against libcsv alone
 * (dmo_csv_libcsv_only).  UTF-8 is checked once a line, and per field
 * only when a line is not valid.
 *
 * Spaces are data: libcsv's default of trimming blanks around fields is
 * turned off, so " a " stays " a " (RFC 4180, section 2.4).
 */

/* libcsv's parser states (libcsv.c); the struct is public. */
#define PS_ROW_NOT_BEGUN	0
#define PS_FIELD_BEGUN		2
#define PS_MIGHT_HAVE_ENDED	3

#define SNIFF_BYTES	(64 * 1024)
#define SNIFF_LINES	500
#define RAW_TOOLONG_MAX	(64 * 1024)	/* kept of an overlong record */
#define BLK_MIN		1024

enum phase {
	PH_HEADER,	/* the first row is the header */
	PH_FIRST,	/* no header: the first row sets the field count */
	PH_BODY
};

/* A field of a collected row (the header, or the first row). */
struct cfield {
	size_t	off;
	size_t	len;
	int	null;
};

struct csv {
	struct csv_parser p;
	struct dmo_reader *r;
	struct dmo_record *rec;		/* the record being filled */
	struct dmo_err	*err;

	int		 delim;
	int		 quote;		/* -1: none */
	int		 infer;
	enum dmo_utf8	 utf8;
	enum dmo_ragged	 ragged;
	enum dmo_dup	 dup;
	size_t		 max;		/* bytes in a record */
	enum phase	 phase;
	int		 final;		/* EOF or FATAL once reached */
	struct dmo_err	 fatal;

	/* The line being fed: line[0..len), fed up to off. */
	const char	*line;
	size_t		 len;
	size_t		 off;
	unsigned long	 lineno;
	int		 eof;		/* dmo_in said end of file */
	struct dmo_buf	 replay;	/* lines to parse again (resync) */
	size_t		 replay_off;

	/* The record in progress. */
	struct dmo_buf	 pend;		/* its text on earlier lines */
	size_t		 pend_first;	/* how much of pend is its first line */
	unsigned long	 start;		/* the line where it starts */
	size_t		 roff;		/* where it starts in this line */
	int		 here;		/* it starts in the current line */
	size_t		 nf;		/* fields so far */
	int		 line_ok;	/* the current line is valid UTF-8 */
	int		 rec_ok;	/* so are all the record's lines */
	int		 done;		/* the row has ended */
	int		 bad;		/* err says what is wrong with it */
	int		 toolong;	/* over max: read on, keep nothing */

	/* Columns: colslot[k] is column k's field (-1: dropped duplicate). */
	size_t		 ncols;
	long		*colslot;
	size_t		*slotcol;	/* a field's first column */
	size_t		 nslots;
	struct dmo_buf	 names;		/* the fields' names, NUL after each */
	struct dmo_span	*spans;
	int		 hasdups;
	unsigned long	 shape;		/* rec->shape after our names */

	/* The row collected in PH_HEADER and PH_FIRST. */
	struct dmo_buf	 cbuf;
	struct cfield	*cf;
	size_t		 cfcap;

	struct dmo_buf	 tmp;
	unsigned long long recno;
};

/*
 * Set by tests and the fuzzer: parse with libcsv alone, to check the fast
 * path (scan) against it.
 */
int	dmo_csv_libcsv_only;

/*
 * Bytes put into the replay buffer, over the life of the process: tests
 * and the fuzzer check that a resync reads no line again more than once.
 */
unsigned long long	dmo_csv_replayed;

/* "s" after a count other than 1. */
static const char *
plural(size_t n)
{
	return n == 1 ? "" : "s";
}

/* Blanks are data, not padding. */
static int
no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static void
parser_init(struct csv *s)
{
	csv_init(&s->p, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL);
	csv_set_delim(&s->p, (unsigned char)s->delim);
	csv_set_quote(&s->p, (unsigned char)(s->quote < 0 ? '"' : s->quote));
	csv_set_space_func(&s->p, no_space);
	csv_set_realloc_func(&s->p, dmo_xrealloc);
	csv_set_blk_size(&s->p, BLK_MIN);
}

/* Forget the row in progress (after an error). */
static void
parser_reset(struct csv *s)
{
	if (s->quote < 0)
		return;
	csv_free(&s->p);
	parser_init(s);
}

static int
row_pending(const struct csv *s)
{
	return s->quote >= 0 && s->p.pstate != PS_ROW_NOT_BEGUN;
}

/*
 * Start a new record: the caller's record gets our names.  Its values are
 * all set before it is handed out (missing ones by finish_row), so they
 * need no clearing here.
 */
static void
begin_row(struct csv *s)
{
	struct dmo_record *rec = s->rec;

	s->nf = 0;
	s->done = 0;
	s->bad = 0;
	s->toolong = 0;
	if (s->phase != PH_BODY) {
		s->cbuf.len = 0;
		return;
	}
	if (rec->shape == 0 || rec->shape != s->shape ||
	    rec->nnames != s->nslots) {
		/* Our names are unique, so this cannot fail. */
		(void)dmo_record_set_names(rec, &s->names, s->spans, s->nslots,
		    s->err);
		s->shape = rec->shape;
	}
	rec->n = s->nslots;
	rec->data.len = 0;
}

/*
 * Value slot = v[0..len), appended to the record's bytes with the NUL
 * that record.h promises: what dmo_record_set does, without the call.
 */
static inline void
put(struct dmo_record *rec, size_t slot, enum dmo_type t, const char *v,
    size_t len)
{
	struct dmo_buf *d = &rec->data;
	struct dmo_val *x = &rec->val[slot];

	dmo_buf_grow(d, len + 1);
	if (len > 0)
		memcpy(d->p + d->len, v, len);
	d->p[d->len + len] = '\0';
	x->type = t;
	x->off = d->len;
	x->len = len;
	d->len += len + 1;
}

static void
mark_bad(struct csv *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
mark_bad(struct csv *s, const char *fmt, ...)
{
	va_list ap;

	if (s->bad)
		return;
	s->bad = 1;
	va_start(ap, fmt);
	dmo_err_vset(s->err, DMO_EXIT_DATA, NULL, fmt, ap);
	va_end(ap);
}

/* Store field k of a data row into its place in the record. */
static inline void
store(struct csv *s, size_t k, const char *v, size_t len, int null)
{
	long slot = s->colslot[k];
	enum dmo_type t;
	size_t ok;

	if (slot < 0)
		return;
	if (null) {
		put(s->rec, (size_t)slot, s->infer ? DMO_NULL : DMO_STRING,
		    "", 0);
		return;
	}
	/* The whole record's text is known to be valid, most of the time. */
	if (!s->rec_ok && s->utf8 != DMO_UTF8_KEEP &&
	    (ok = dmo_utf8_check(v, len)) < len) {
		if (s->utf8 == DMO_UTF8_REJECT) {
			mark_bad(s, "field '%s': invalid UTF-8 at byte %zu",
			    s->names.p + s->spans[slot].off, ok + 1);
			return;
		}
		s->tmp.len = 0;
		dmo_utf8_replace(&s->tmp, v, len);
		v = s->tmp.p;
		len = s->tmp.len;
	}
	t = s->infer ? dmo_infer(v, len) : DMO_STRING;
	/* record.h: null, false and true hold no bytes. */
	if (t <= DMO_TRUE)
		len = 0;
	put(s->rec, (size_t)slot, t, v, len);
}

static void
collect(struct csv *s, const char *v, size_t len)
{
	struct cfield *f;

	if (s->nf > s->cfcap) {
		s->cfcap = s->cfcap == 0 ? 64 : s->cfcap * 2;
		s->cf = dmo_xreallocarray(s->cf, s->cfcap, sizeof(*s->cf));
	}
	f = &s->cf[s->nf - 1];
	f->off = s->cbuf.len;
	f->len = len;
	f->null = v == NULL;
	dmo_buf_add(&s->cbuf, v == NULL ? "" : v, len);
}

static inline void
field(struct csv *s, const char *v, size_t len)
{
	size_t k = s->nf++;

	if (s->toolong)
		return;
	if (s->phase != PH_BODY) {
		collect(s, v, len);
		return;
	}
	if (s->bad || k >= s->ncols)
		return;
	store(s, k, v, len, v == NULL);
}

/* libcsv's field callback. */
static void
on_field(void *v, size_t len, void *ctx)
{
	field(ctx, v, len);
}

/* libcsv's row callback. */
static void
on_row(int c, void *ctx)
{
	struct csv *s = ctx;

	(void)c;
	s->done = 1;
}

#define ONES	UINT64_C(0x0101010101010101)
#define HIGHS	UINT64_C(0x8080808080808080)

/* Nonzero when a byte of v is 0; its lowest set bit marks the first. */
static inline uint64_t
zero_byte(uint64_t v)
{
	return (v - ONES) & ~v & HIGHS;
}

/*
 * Stop masks: bit i set when p[i] is the delimiter or the quote, for up
 * to 64 bytes at a time, so that finding the next field costs a count of
 * trailing zeros.  SSE2 is part of x86-64; elsewhere a byte loop.  The
 * mask never looks past p + n: a short tail is loaded so that it ends at
 * p + n (from at most 15 bytes before p, within the segment, when from
 * is that far back) or copied out.
 */
#if defined(__SSE2__)
#include <emmintrin.h>

struct stopper {
	__m128i	d;
	__m128i	q;
};

static inline void
stopper_init(struct stopper *st, int delim, int quote)
{
	st->d = _mm_set1_epi8((char)delim);
	st->q = _mm_set1_epi8((char)(quote >= 0 ? quote : delim));
}

static inline uint64_t
stop16(const struct stopper *st, const unsigned char *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);

	return (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(
	    _mm_cmpeq_epi8(v, st->d), _mm_cmpeq_epi8(v, st->q)));
}

/* The mask of p[0..n), 0 < n <= 64; p - from bytes before p are ours. */
static inline uint64_t
stop_mask(const struct stopper *st, const unsigned char *p, size_t n,
    size_t from)
{
	uint64_t m = 0;
	size_t i;

	for (i = 0; i + 16 <= n; i += 16)
		m |= stop16(st, p + i) << i;
	if (i < n) {
		size_t r = n - i;

		if (i + from >= 16 - r)
			m |= stop16(st, p + n - 16) >> (16 - r) << i;
		else {
			unsigned char t[16];

			memset(t, 0, sizeof(t));
			memcpy(t, p + i, r);
			m |= (stop16(st, t) & ((1u << r) - 1)) << i;
		}
	}
	return m;
}
#else
struct stopper {
	unsigned char	d;
	unsigned char	q;
};

static inline void
stopper_init(struct stopper *st, int delim, int quote)
{
	st->d = (unsigned char)delim;
	st->q = (unsigned char)(quote >= 0 ? quote : delim);
}

static inline uint64_t
stop_mask(const struct stopper *st, const unsigned char *p, size_t n,
    size_t from)
{
	uint64_t m = 0;
	size_t i;

	(void)from;
	for (i = 0; i < n; i++)
		if (p[i] == st->d || p[i] == st->q)
			m |= UINT64_C(1) << i;
	return m;
}
#endif

/* The first delimiter or quote in q[0..e-q), or e. */
static inline const unsigned char *
find_stop(const struct csv *s, const unsigned char *q,
    const unsigned char *e)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t d8 = ONES * (unsigned char)s->delim;
	uint64_t q8 = s->quote >= 0 ? ONES * (unsigned char)s->quote : d8;

	while (e - q >= 8) {
		uint64_t v, m;

		memcpy(&v, q, 8);
		m = zero_byte(v ^ d8) | zero_byte(v ^ q8);
		if (m != 0)
			return q + (__builtin_ctzll(m) >> 3);
		q += 8;
	}
#endif
	while (q < e && *q != (unsigned char)s->delim && (int)*q != s->quote)
		q++;
	return q;
}

/*
 * Field k of a data row, p[0..len), whose copy is at data[off..off+len)
 * with a NUL after it (scan_body): the value points at the copy, no
 * bytes move.  What store() does, less the copy; a value that must
 * change (invalid UTF-8 replaced) goes through store().
 */
static inline void
store_at(struct csv *s, size_t k, const char *v, size_t len, size_t off)
{
	long slot = s->colslot[k];
	struct dmo_val *x;
	enum dmo_type t;

	if (slot < 0)
		return;
	x = &s->rec->val[slot];
	if (len == 0) {
		x->type = s->infer ? DMO_NULL : DMO_STRING;
		x->off = off;
		x->len = 0;
		return;
	}
	if (!s->rec_ok && s->utf8 != DMO_UTF8_KEEP &&
	    dmo_utf8_check(v, len) < len) {
		store(s, k, v, len, 0);
		return;
	}
	t = s->infer ? dmo_infer(v, len) : DMO_STRING;
	x->type = t;
	/* record.h: null, false and true hold no bytes: point at the NUL. */
	if (t <= DMO_TRUE) {
		x->off = off + len;
		x->len = 0;
	} else {
		x->off = off;
		x->len = len;
	}
}

/*
 * scan() for a data row.  The segment is copied into the record's bytes
 * once, and each unquoted field becomes a slice of the copy, the byte
 * after it (delimiter or line end) turned into its NUL: one memcpy a
 * row instead of one a field.  Fields from libcsv, if the row gets
 * there, are appended after the copy as before.
 */
static size_t
scan_body(struct csv *s, const char *p, size_t n, const unsigned char *e)
{
	struct dmo_buf *d = &s->rec->data;
	struct dmo_val *val = s->rec->val, *x;
	const long *colslot = s->colslot;
	const unsigned char *u = (const unsigned char *)p;
	size_t fo = 0, qo, eo = (size_t)(e - u), wo = 0;
	size_t base, nf = s->nf, ncols = s->ncols, len;
	/* Most fields are stored as they are: no check, no inference. */
	int plain = !s->infer && (s->rec_ok || s->utf8 == DMO_UTF8_KEEP);
	/* Without duplicate names, column k is value k. */
	int direct = !s->hasdups;
	int quote = s->quote;
	struct stopper st;
	char *dp;
	uint64_t m;
	long slot;

	dmo_buf_grow(d, n + 1);
	base = d->len;
	dp = d->p + base;
	memcpy(dp, p, n);
	d->len = base + n + 1;
	stopper_init(&st, s->delim, quote);
	m = stop_mask(&st, u, eo < 64 ? eo : 64, 0);
	for (;;) {
		while (m == 0) {
			wo += 64;
			if (wo >= eo)
				break;
			m = stop_mask(&st, u + wo, eo - wo < 64 ? eo - wo : 64,
			    wo);
		}
		if (m != 0) {
			qo = wo + (size_t)__builtin_ctzll(m);
			m &= m - 1;
			if (u[qo] == quote) {
				s->nf = nf;
				return fo;
			}
		} else
			qo = eo;
		/* The delimiter or the line end becomes the NUL. */
		dp[qo] = '\0';
		len = qo - fo;
		if (plain && len > 0 && direct && nf < ncols) {
			x = &val[nf];
			x->type = DMO_STRING;
			x->off = base + fo;
			x->len = len;
		} else if (nf < ncols && (slot = colslot[nf]) >= 0) {
			if (plain && len > 0) {
				x = &val[slot];
				x->type = DMO_STRING;
				x->off = base + fo;
				x->len = len;
			} else if (!s->bad) {
				/* store() may append to d: find it again. */
				store_at(s, nf, p + fo, len, base + fo);
				dp = d->p + base;
			}
		}
		nf++;
		if (qo == eo)
			break;
		fo = qo + 1;
	}
	s->nf = nf;
	on_row(0, s);
	return n;
}

/*
 * The fast path, at the start of a row.  Fields without quotes are split
 * here, as libcsv would split them (at the delimiter, the row ending at
 * the segment's CR or LF, an empty field null), and the rest of the row
 * goes to libcsv from the first field that has a quote in it: libcsv
 * parses every quoted field and finds every quoting error.  Reading a
 * typical row gets about three times cheaper.  Returns how much of
 * p[0..n) it used: n when it saw the row (or a blank segment) through.
 * With quoting off, this is the parser.
 */
static size_t
scan(struct csv *s, const char *p, size_t n)
{
	const unsigned char *f = (const unsigned char *)p;
	const unsigned char *e = f + n;

	if (n == 0 || *f == '\r' || *f == '\n')
		return n;	/* a blank line, or the LF of a CRLF */
	/* CR and LF can only end a segment. */
	while (e[-1] == '\n' || e[-1] == '\r')
		e--;
	if (s->phase == PH_BODY)
		return scan_body(s, p, n, e);
	for (;;) {
		const unsigned char *q = find_stop(s, f, e);

		if (q < e && (int)*q == s->quote)
			return (size_t)(f - (const unsigned char *)p);
		field(s, q == f ? NULL : (const char *)f, (size_t)(q - f));
		if (q == e)
			break;
		f = q + 1;
	}
	on_row(0, s);
	return n;
}

/* Drop the line ends at the end of b. */
static void
chop_eol(struct dmo_buf *b)
{
	while (b->len > 0 && (b->p[b->len - 1] == '\n' ||
	    b->p[b->len - 1] == '\r'))
		b->len--;
}

/* r->raw = the record's text: pend and the current line up to end. */
static void
set_raw(struct csv *s, size_t end, size_t cap)
{
	struct dmo_buf *raw = &s->r->raw;
	size_t from = s->here ? s->roff : 0;
	size_t i = 0;

	raw->len = 0;
	dmo_buf_add(raw, s->pend.p, s->pend.len);
	/* An overlong record: its beginning only, as kept. */
	if (s->line != NULL && end > from && !s->toolong)
		dmo_buf_add(raw, s->line + from, end - from);
	if (cap > 0 && raw->len > cap)
		raw->len = cap;
	chop_eol(raw);
	while (i < raw->len && (raw->p[i] == '\n' || raw->p[i] == '\r'))
		i++;
	if (i > 0) {
		memmove(raw->p, raw->p + i, raw->len - i);
		raw->len -= i;
	}
}

static void
end_record(struct csv *s)
{
	s->pend.len = 0;
	s->pend_first = 0;
	s->here = 0;
}

static int
fatal(struct csv *s)
{
	s->final = DMO_READ_FATAL;
	s->fatal = *s->err;
	return DMO_READ_FATAL;
}

/* The record that starts at s->start is rejected: say where in err. */
static int
reject(struct csv *s)
{
	struct dmo_loc loc = { s->r->source, s->start, 0 };

	s->err->loc = loc;
	s->err->code = DMO_EXIT_DATA;
	if (s->phase == PH_BODY)
		dmo_record_reset_values(s->rec);
	s->rec->loc = loc;
	s->rec->recno = ++s->recno;
	return DMO_READ_BAD;
}

static int
bad(struct csv *s, size_t end, size_t cap)
{
	set_raw(s, end, cap);
	end_record(s);
	return reject(s);
}

static int
header_fatal(struct csv *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A problem with the header: the source cannot be read. */
static int
header_fatal(struct csv *s, const char *fmt, ...)
{
	struct dmo_loc loc = { s->r->source, s->start, 0 };
	va_list ap;

	va_start(ap, fmt);
	dmo_err_vset(s->err, DMO_EXIT_DATA, &loc, fmt, ap);
	va_end(ap);
	return fatal(s);
}

static void
add_name(struct csv *s, size_t i, const char *p, size_t n)
{
	s->spans[i].off = s->names.len;
	s->spans[i].len = n;
	dmo_buf_add(&s->names, p, n);
	dmo_buf_addc(&s->names, '\0');
}

/*
 * The collected row gives the columns: their names (header) or their
 * number (first row).  Returns 0, or -1 with err set.
 */
static int
set_columns(struct csv *s)
{
	size_t n = s->nf, i, j, cap, *seen;
	struct dmo_buf nm = DMO_BUF_INIT;
	struct dmo_span *sp;
	char gen[32];

	sp = dmo_xreallocarray(NULL, n, sizeof(*sp));
	for (i = 0; i < n; i++) {
		const char *p = s->cbuf.p + s->cf[i].off;
		size_t len = s->cf[i].len, ok;

		sp[i].off = nm.len;
		if (s->phase == PH_FIRST || len == 0) {
			len = (size_t)snprintf(gen, sizeof(gen), "field%zu",
			    i + 1);
			dmo_buf_add(&nm, gen, len);
		} else if ((ok = dmo_utf8_check(p, len)) < len) {
			if (s->utf8 == DMO_UTF8_REJECT) {
				struct dmo_loc loc = { s->r->source, s->start,
				    0 };

				dmo_err_set(s->err, DMO_EXIT_DATA, &loc,
				    "header field %zu: invalid UTF-8 at byte "
				    "%zu", i + 1, ok + 1);
				free(sp);
				dmo_buf_release(&nm);
				return -1;
			}
			dmo_utf8_replace(&nm, p, len);
		} else
			dmo_buf_add(&nm, p, len);
		sp[i].len = nm.len - sp[i].off;
		dmo_buf_addc(&nm, '\0');
	}

	s->ncols = n;
	s->colslot = dmo_xreallocarray(s->colslot, n, sizeof(*s->colslot));
	s->slotcol = dmo_xreallocarray(s->slotcol, n, sizeof(*s->slotcol));
	s->spans = dmo_xreallocarray(s->spans, n, sizeof(*s->spans));
	s->names.len = 0;
	s->nslots = 0;
	s->hasdups = 0;
	/* Names seen, hashed (column + 1; 0 empty): a wide header is cheap. */
	for (cap = 32; cap < n * 2; cap *= 2)
		continue;
	seen = dmo_xcalloc(cap, sizeof(*seen));
	for (i = 0; i < n; i++) {
		const char *name = nm.p + sp[i].off;
		size_t h = dmo_hash(name, sp[i].len) & (cap - 1);

		while ((j = seen[h]) != 0 && !(sp[j - 1].len == sp[i].len &&
		    memcmp(nm.p + sp[j - 1].off, name, sp[i].len) == 0))
			h = (h + 1) & (cap - 1);
		if (j == 0) {
			seen[h] = i + 1;
			s->colslot[i] = (long)s->nslots;
			s->slotcol[s->nslots] = i;
			add_name(s, s->nslots++, name, sp[i].len);
			continue;
		}
		j--;
		if (s->dup == DMO_DUP_REJECT) {
			struct dmo_loc loc = { s->r->source, s->start, 0 };

			dmo_err_set(s->err, DMO_EXIT_DATA, &loc,
			    "duplicate field name '%s' in header", name);
			free(seen);
			free(sp);
			dmo_buf_release(&nm);
			return -1;
		}
		s->hasdups = 1;
		/* first: later columns dropped; last: they overwrite. */
		s->colslot[i] = s->dup == DMO_DUP_FIRST ? -1 : s->colslot[j];
	}
	free(seen);
	free(sp);
	dmo_buf_release(&nm);
	s->shape = 0;
	s->phase = PH_BODY;
	return 0;
}

/*
 * The row has ended: check it and hand it out.  end is how far the
 * current line has been fed.
 */
static int
finish_row(struct csv *s, size_t end)
{
	struct dmo_record *rec = s->rec;
	size_t i;

	if (s->toolong) {
		if (s->phase == PH_HEADER)
			return header_fatal(s, "header too long: more than "
			    "%zu byte%s", s->max, plural(s->max));
		dmo_err_set(s->err, DMO_EXIT_DATA, NULL,
		    "record too long: more than %zu byte%s", s->max,
		    plural(s->max));
		return bad(s, end, RAW_TOOLONG_MAX);
	}
	if (s->phase == PH_HEADER) {
		if (set_columns(s) != 0)
			return fatal(s);
		end_record(s);
		return DMO_READ_CONTROL;	/* internal: go on */
	}
	if (s->phase == PH_FIRST) {
		if (set_columns(s) != 0)
			return fatal(s);
		i = s->nf;
		begin_row(s);
		for (s->nf = 0; s->nf < i; s->nf++)
			store(s, s->nf, s->cbuf.p + s->cf[s->nf].off,
			    s->cf[s->nf].len, s->cf[s->nf].null);
	}
	if (s->nf != s->ncols) {
		if (s->ragged == DMO_RAGGED_REJECT ||
		    (s->ragged == DMO_RAGGED_PAD && s->nf > s->ncols)) {
			s->bad = 0;
			mark_bad(s, "ragged row: %zu field%s, expected %zu",
			    s->nf, plural(s->nf), s->ncols);
		} else if (s->nf < s->ncols)
			for (i = 0; i < s->nslots; i++)
				if (s->slotcol[i] >= s->nf)
					put(rec, i, s->infer ? DMO_NULL :
					    DMO_STRING, "", 0);
	}
	if (s->bad)
		return bad(s, end, 0);
	rec->loc.file = s->r->source;
	rec->loc.line = s->start;
	rec->loc.col = 0;
	rec->recno = ++s->recno;
	end_record(s);
	return DMO_READ_RECORD;
}

/* The next physical line: from the replay buffer, then from the input. */
static const char *
get_line(struct csv *s, size_t *len, struct dmo_err *err)
{
	const char *p;

	if (s->replay_off < s->replay.len) {
		const char *nl;
		size_t rest = s->replay.len - s->replay_off;

		p = s->replay.p + s->replay_off;
		nl = memchr(p, '\n', rest);
		*len = nl != NULL ? (size_t)(nl + 1 - p) : rest;
		s->replay_off += *len;
		return p;
	}
	s->replay.len = s->replay_off = 0;
	err->code = 0;
	if (s->eof)
		return NULL;
	p = dmo_in_line(s->r->in, len, err);
	if (p == NULL && err->code == 0)
		s->eof = 1;
	return p;
}

/*
 * The current line has been fed to its end and the record goes on: keep
 * its text.  Past the size limit the record is read to its end but kept
 * no more.
 */
static void
keep_line(struct csv *s)
{
	size_t from = s->here ? s->roff : 0;
	size_t n = s->len - from;

	if (s->toolong)
		return;
	if (s->pend.len + n > s->max) {
		s->toolong = 1;
		if (s->pend.len < RAW_TOOLONG_MAX)
			dmo_buf_add(&s->pend, s->line + from,
			    RAW_TOOLONG_MAX - s->pend.len < n ?
			    RAW_TOOLONG_MAX - s->pend.len : n);
		return;
	}
	if (s->pend.len == 0)
		s->pend_first = n;
	dmo_buf_add(&s->pend, s->line + from, n);
}

/*
 * A record that began on an earlier line cannot be read as it stands: a
 * quote opened a field that the end of the input leaves open, or that a
 * quote on a later line closes with text after it (libcsv: malformed).
 * Either way the quote may be a stray one, so the record is rejected
 * with its first line alone as its raw text, and the lines after that
 * line are parsed again: one stray quote does not take other lines with
 * it, and none is lost or handed out twice.  pend holds the record's
 * text up to where it went wrong, current line included; err is set.
 *
 * The lines parsed again cannot start another record that spans them
 * (inside the first parse's quotes, every line end is outside quotes
 * the second time round), so a line is put into the replay at most once
 * and the input is parsed at most twice over: no stray quote makes this
 * quadratic.  The fuzzer checks this with dmo_csv_replayed.
 */
static int
resync(struct csv *s)
{
	struct dmo_buf *raw = &s->r->raw;
	struct dmo_buf t;

	/* Lines still to be replayed come after the record's. */
	if (s->replay_off < s->replay.len)
		dmo_buf_add(&s->pend, s->replay.p + s->replay_off,
		    s->replay.len - s->replay_off);
	raw->len = 0;
	dmo_buf_add(raw, s->pend.p, s->pend_first);
	chop_eol(raw);
	dmo_csv_replayed += s->pend.len - s->pend_first;
	t = s->replay;
	s->replay = s->pend;
	s->replay_off = s->pend_first;
	s->pend = t;
	s->pend.len = 0;
	s->pend_first = 0;
	s->lineno = s->start;
	s->line = NULL;
	s->len = s->off = 0;
	s->here = 0;
	return reject(s);
}

/* End of input, perhaps with a quoted field left open. */
static int
at_eof(struct csv *s)
{
	s->line = NULL;
	s->here = 0;
	if (s->quote < 0 || !row_pending(s)) {
		s->final = DMO_READ_EOF;
		return DMO_READ_EOF;
	}
	if (s->toolong) {
		parser_reset(s);
		return finish_row(s, 0);
	}
	if (csv_fini(&s->p, on_field, on_row, s) == 0) {
		if (s->phase == PH_HEADER && s->done)
			return finish_row(s, 0);
		return s->done ? finish_row(s, 0) : DMO_READ_EOF;
	}
	parser_reset(s);
	if (s->phase == PH_HEADER)
		return header_fatal(s,
		    "unterminated quoted field in header");
	dmo_err_set(s->err, DMO_EXIT_DATA, NULL, "unterminated quoted field");
	return resync(s);
}

/* A line over the limit, skipped by dmo_in_line or here. */
static int
line_too_long(struct csv *s)
{
	int pending = row_pending(s);

	s->line = NULL;
	s->len = s->off = 0;
	s->here = 0;
	if (pending) {
		/* The record in progress loses a line: it ends here. */
		parser_reset(s);
	} else
		s->start = s->lineno;
	if (s->phase == PH_HEADER)
		return header_fatal(s, "header too long: more than %zu byte%s",
		    s->max, plural(s->max));
	s->toolong = 1;
	return finish_row(s, 0);
}

/*
 * Feed lines to the parser until a row ends.  Returns a DMO_READ_* code;
 * DMO_READ_CONTROL means the header was read (go on).
 */
static int
parse_row(struct csv *s)
{
	struct dmo_err *err = s->err;

	for (;;) {
		size_t seg, lim, n, h;
		const char *cr;

		if (s->off == s->len) {
			if (s->line != NULL && row_pending(s))
				keep_line(s);
			s->line = get_line(s, &s->len, err);
			s->off = 0;
			s->here = 0;
			if (s->line == NULL) {
				s->len = 0;
				if (err->code == DMO_EXIT_DATA) {
					s->lineno++;
					return line_too_long(s);
				}
				if (err->code != 0)
					return fatal(s);
				return at_eof(s);
			}
			s->lineno++;
			if (s->len > s->max)
				return line_too_long(s);
			s->line_ok = dmo_utf8_check_fast(s->line, s->len) == s->len;
			if (row_pending(s))
				s->rec_ok &= s->line_ok;
		}

		/* The segment: up to a CR that is not the line's end. */
		lim = s->len;
		if (lim > s->off && s->line[lim - 1] == '\n')
			lim--;
		if (lim > s->off && s->line[lim - 1] == '\r')
			lim--;
		cr = lim > s->off ? memchr(s->line + s->off, '\r',
		    lim - s->off) : NULL;
		seg = cr != NULL ? (size_t)(cr + 1 - s->line) - s->off :
		    s->len - s->off;

		h = 0;
		if (!row_pending(s)) {
			s->start = s->lineno;
			s->roff = s->off;
			s->here = 1;
			s->rec_ok = s->line_ok;
			if (!dmo_csv_libcsv_only || s->quote < 0)
				h = scan(s, s->line + s->off, seg);
		}
		if (h < seg) {
			const char *from = s->line + s->off + h;
			size_t k = seg - h;
			size_t want = s->p.entry_size > k ? s->p.entry_size : k;

			/* Grow libcsv's buffer by doubling, not by blocks. */
			if (want > s->p.blk_size)
				s->p.blk_size = want;
			n = csv_parse(&s->p, from, k, on_field, on_row, s);
			if (n < k) {
				if (csv_error(&s->p) != CSV_EPARSE) {
					struct dmo_loc loc = { s->r->source,
					    s->lineno, 0 };

					dmo_err_set(err, DMO_EXIT_IO, &loc,
					    "%s", csv_strerror(
					    csv_error(&s->p)));
					return fatal(s);
				}
				parser_reset(s);
				if (s->phase == PH_HEADER)
					return header_fatal(s,
					    "malformed quoting in header");
				if (!s->toolong && !s->here) {
					/* Its opening quote was stray. */
					dmo_buf_add(&s->pend, s->line, s->len);
					dmo_err_set(err, DMO_EXIT_DATA, NULL,
					    "unterminated quoted field");
					return resync(s);
				}
				/* Resume at the next line. */
				s->off = s->len;
				if (s->toolong)
					return finish_row(s, s->len);
				s->bad = 0;
				mark_bad(s, "malformed quoting");
				return bad(s, s->len, 0);
			}
			if (s->toolong) {
				/* Keep libcsv's buffer small meanwhile. */
				if (s->p.pstate == PS_FIELD_BEGUN)
					s->p.entry_pos = 0;
				else if (s->p.pstate == PS_MIGHT_HAVE_ENDED)
					s->p.entry_pos = 1;
			}
		}
		s->off += seg;
		if (s->done)
			return finish_row(s, s->off);
	}
}

static int
csv_next(struct dmo_reader *r, struct dmo_record *rec, struct dmo_err *err)
{
	struct csv *s = r->state;
	int rc;

	if (s->final != 0) {
		if (s->final == DMO_READ_FATAL)
			*err = s->fatal;
		return s->final;
	}
	s->rec = rec;
	s->err = err;
	do {
		begin_row(s);
		rc = parse_row(s);
	} while (rc == DMO_READ_CONTROL);
	return rc;
}

static int
readable(int fd)
{
	struct pollfd pfd = { fd, POLLIN, 0 };

	return poll(&pfd, 1, 0) > 0;
}

/*
 * Bytes to sniff at in->buf + in->pos: up to SNIFF_BYTES or SNIFF_LINES
 * lines, fewer at the end of the input, or when the source would make us
 * wait (a pipe or a followed file: sniff what has come).  It waits for
 * two whole lines all the same, since the header is told from the rows
 * under it: one line alone would always look like a header.  Nothing can
 * be handed out before the header is known, so the wait delays nothing.
 * -1 on error.
 */
static ssize_t
sniff_window(struct dmo_in *in, struct dmo_err *err)
{
	size_t scanned = 0, bol = 0, lines = 0, full = 0;

	for (;;) {
		size_t have = in->end - in->pos;
		const char *p = in->buf + in->pos;

		while (scanned < have) {
			const char *nl = memchr(p + scanned, '\n',
			    have - scanned);

			if (nl == NULL) {
				scanned = have;
				break;
			}
			scanned = (size_t)(nl + 1 - p);
			/* Blank lines are no rows to judge by. */
			if (scanned - bol > 2 || (scanned - bol == 2 &&
			    p[bol] != '\r'))
				full++;
			bol = scanned;
			if (++lines == SNIFF_LINES)
				return (ssize_t)(scanned < SNIFF_BYTES ?
				    scanned : SNIFF_BYTES);
		}
		if (have >= SNIFF_BYTES)
			return SNIFF_BYTES;
		if (in->eof)
			return (ssize_t)have;
		if (full >= 2 && (in->follow ||
		    (in->fd >= 0 && in->may_block && !readable(in->fd))))
			return (ssize_t)have;
		switch (dmo_in_fill(in, err)) {
		case -1:
			return -1;
		case 0:
			return (ssize_t)(in->end - in->pos);
		default:
			break;
		}
	}
}

static int
csv_init_source(struct dmo_reader *r, struct dmo_err *err)
{
	struct csv *s = dmo_xcalloc(1, sizeof(*s));
	struct dmo_in *in = r->in;
	int header = r->opts.header;
	ssize_t n;

	s->r = r;
	s->err = err;
	s->delim = r->format == DMO_FMT_TSV ? '\t' : r->opts.delim;
	s->quote = r->opts.quote;
	s->infer = r->opts.infer;
	s->utf8 = r->opts.utf8;
	s->ragged = r->opts.ragged;
	s->dup = r->opts.dup;
	s->max = r->opts.max_record != 0 ? r->opts.max_record :
	    DMO_MAX_RECORD_DEFAULT;
	r->state = s;
	in->max_line = s->max;

	/* A byte order mark at the very start is not data. */
	if ((n = dmo_in_peek_some(in, 3, err)) < 0)
		return -1;
	if (n > 0 && n < 3 && (unsigned char)in->buf[in->pos] == 0xef &&
	    (n = dmo_in_peek(in, 3, err)) < 0)
		return -1;
	if (n >= 3 && memcmp(in->buf + in->pos, "\xef\xbb\xbf", 3) == 0)
		in->pos += 3;

	/* The quote is not sniffed: it need not wait for lines. */
	if (s->delim == 0 || header < 0) {
		if ((n = sniff_window(in, err)) < 0)
			return -1;
		dmo_csv_sniff(in->buf + in->pos, (size_t)n, &s->delim,
		    &s->quote, &header);
	}
	if (s->delim == 0)
		s->delim = ',';
	if (s->quote == 0)
		s->quote = '"';
	s->phase = header != 0 ? PH_HEADER : PH_FIRST;
	parser_init(s);
	return 0;
}

static void
csv_fini_source(struct dmo_reader *r)
{
	struct csv *s = r->state;

	if (s == NULL)
		return;
	csv_free(&s->p);
	dmo_buf_release(&s->replay);
	dmo_buf_release(&s->pend);
	dmo_buf_release(&s->names);
	dmo_buf_release(&s->cbuf);
	dmo_buf_release(&s->tmp);
	free(s->colslot);
	free(s->slotcol);
	free(s->spans);
	free(s->cf);
	free(s);
	r->state = NULL;
}

const struct dmo_reader_ops dmo_csv_reader_ops = {
	csv_init_source,
	csv_next,
	csv_fini_source
};

/*
 * Sniffing.  Records are cut as a lenient CSV reader would (quotes only
 * at the start of a field, doubled quotes inside), so that delimiters in
 * quoted text do not count.
 */

enum kind { K_EMPTY, K_NUMBER, K_BOOL, K_DATE, K_TEXT, K_NKINDS };

/* Number-like, loosely: 12, -3.5, +7, 007, .5, 1e3 all count. */
static int
numberish(const char *p, size_t n)
{
	size_t i = 0, digits = 0;

	if (i < n && (p[i] == '+' || p[i] == '-'))
		i++;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++, digits++;
	if (i < n && p[i] == '.')
		for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++)
			digits++;
	if (digits == 0)
		return 0;
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		size_t d = 0;

		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++, d++;
		if (d == 0)
			return 0;
	}
	return i == n;
}

/* 2024-01-31, 31/01/2024, 10:30, 2024-01-31T10:30:00Z and the like. */
static int
dateish(const char *p, size_t n)
{
	size_t i, seps = 0;

	if (n < 3 || p[0] < '0' || p[0] > '9')
		return 0;
	for (i = 0; i < n; i++) {
		char c = p[i];

		if (c == '-' || c == '/' || c == ':')
			seps++;
		else if (!((c >= '0' && c <= '9') || c == '.' || c == 'T' ||
		    c == 'Z' || c == ' ' || c == '+'))
			return 0;
	}
	return seps > 0;
}

static enum kind
kind(const char *p, size_t n)
{
	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0)
		return K_EMPTY;
	if (numberish(p, n))
		return K_NUMBER;
	if ((n == 4 && strncasecmp(p, "true", 4) == 0) ||
	    (n == 5 && strncasecmp(p, "false", 5) == 0))
		return K_BOOL;
	if (dateish(p, n))
		return K_DATE;
	return K_TEXT;
}

/*
 * One record of the sample from *pos.  Counts its fields in *nf and
 * notes the kind of the first max of them.  Returns 1 for a record, 0 at
 * the end of the sample; a record cut short by the end counts only when
 * last is set.
 */
static int
sniff_record(const char *p, size_t n, size_t *pos, int d, int q, int last,
    unsigned char *kinds, size_t max, size_t *nf)
{
	size_t i = *pos;

	while (i < n && (p[i] == '\r' || p[i] == '\n'))
		i++;
	if (i >= n)
		return 0;
	*nf = 0;
	for (;;) {
		size_t fs, fe;

		if (q >= 0 && i < n && (unsigned char)p[i] == q) {
			fs = ++i;
			for (;;) {
				if (i >= n)
					return 0;	/* cut short */
				if ((unsigned char)p[i] == q) {
					if (i + 1 < n &&
					    (unsigned char)p[i + 1] == q) {
						i += 2;
						continue;
					}
					break;
				}
				i++;
			}
			fe = i++;
			while (i < n && p[i] != d && p[i] != '\r' &&
			    p[i] != '\n')
				i++;
		} else {
			fs = i;
			while (i < n && p[i] != d && p[i] != '\r' &&
			    p[i] != '\n')
				i++;
			fe = i;
		}
		if (*nf < max)
			kinds[*nf] = (unsigned char)kind(p + fs, fe - fs);
		(*nf)++;
		if (i < n && p[i] == d) {
			i++;
			continue;
		}
		*pos = i;
		return i < n || last;
	}
}

/* Field counts of up to SNIFF_LINES records; returns how many. */
static size_t
sniff_counts(const char *p, size_t n, int d, int q, size_t *counts)
{
	size_t pos = 0, r = 0, nf;
	int last;

	for (last = 0; last < 2 && r == 0; last++) {
		pos = 0;
		while (r < SNIFF_LINES &&
		    sniff_record(p, n, &pos, d, q, last, NULL, 0, &nf))
			counts[r++] = nf;
	}
	return r;
}

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

static int
sniff_delim(const char *p, size_t n, int q)
{
	static const char cands[] = ",\t;|";
	size_t counts[SNIFF_LINES];
	size_t best_k = 0, best_r = 1, best_m = 0;
	int best = ',';
	size_t c;

	for (c = 0; c < sizeof(cands) - 1; c++) {
		size_t r = sniff_counts(p, n, cands[c], q, counts);
		size_t i, j, m = 0, k = 0;

		/*
		 * The most frequent field count (the larger on ties): runs
		 * of the sorted counts, not a count of each against all.
		 */
		qsort(counts, r, sizeof(counts[0]), cmp_size);
		for (i = 0; i < r; i = j) {
			for (j = i + 1; j < r && counts[j] == counts[i]; j++)
				continue;
			if (j - i >= k) {
				k = j - i;
				m = counts[i];
			}
		}
		if (m < 2)
			continue;
		/* More consistent wins, then more fields, then list order. */
		if (k * best_r > best_k * r ||
		    (k * best_r == best_k * r && m > best_m)) {
			best = cands[c];
			best_k = k;
			best_r = r;
			best_m = m;
		}
	}
	return best;
}

/*
 * Is the first record a header?  A column speaks for a header when the
 * first row has text over values that are all numbers, booleans or
 * dates; it speaks for data when the first row's value is of the same
 * kind as all the others (numbers over numbers, empty among empties).
 * No header only when some column says data and none says header: a
 * header is the safe guess (its names show, nothing is lost).
 */
static int
sniff_header(const char *p, size_t n, int d, int q)
{
	size_t (*tally)[K_NKINDS] = NULL;
	unsigned char *first = NULL, *kinds = NULL;
	size_t pos = 0, nf = 0, ncols, rows = 0, i;
	int hdr = 0, data = 0, last;

	for (last = 0; last < 2; last++) {
		pos = 0;
		if (sniff_record(p, n, &pos, d, q, last, NULL, 0, &nf))
			break;
	}
	if (last == 2 || nf == 0)
		return 1;
	ncols = nf;
	first = dmo_xmalloc(ncols);
	kinds = dmo_xmalloc(ncols);
	tally = dmo_xcalloc(ncols, sizeof(*tally));
	pos = 0;
	(void)sniff_record(p, n, &pos, d, q, last, first, ncols, &nf);
	while (rows < SNIFF_LINES &&
	    sniff_record(p, n, &pos, d, q, last, kinds, ncols, &nf)) {
		for (i = 0; i < nf && i < ncols; i++)
			tally[i][kinds[i]]++;
		rows++;
	}
	for (i = 0; rows > 0 && i < ncols; i++) {
		size_t *t = tally[i];
		size_t filled = t[K_NUMBER] + t[K_BOOL] + t[K_DATE] + t[K_TEXT];

		switch (first[i]) {
		case K_TEXT:
			if (filled > 0 && t[K_TEXT] == 0)
				hdr++;
			break;
		case K_EMPTY:
			if (t[K_EMPTY] > 0)
				data++;
			break;
		default:
			if (filled > 0 && t[first[i]] == filled)
				data++;
			break;
		}
	}
	free(first);
	free(kinds);
	free(tally);
	return hdr > 0 || data == 0;
}

void
dmo_csv_sniff(const char *p, size_t n, int *delim, int *quote, int *header)
{
	size_t lines = 0, i;
	int q;

	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		n -= 3;
	}
	if (n > SNIFF_BYTES)
		n = SNIFF_BYTES;
	for (i = 0; i < n; i++)
		if (p[i] == '\n' && ++lines == SNIFF_LINES) {
			n = i + 1;
			break;
		}
	if (*quote == 0)
		*quote = '"';
	q = *quote < 0 ? -1 : *quote;
	if (*delim == 0)
		*delim = sniff_delim(p, n, q);
	if (*header < 0)
		*header = sniff_header(p, n, *delim, q);
}
