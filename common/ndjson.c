/* ndjson.c - NDJSON and JSON documents: a hand-written reader and writer. */
/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Records are read with a parser of our own rather than jansson, because
 * the fidelity rules need what jansson cannot give: number lexemes kept
 * as written ("12.30", "1e400"), strings with NUL bytes, nesting of any
 * depth without recursion, and a few hundred nanoseconds per record.
 * jansson (json.c) serves documents: summaries, configs, schemas.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "formatimpl.h"
#include "jsonesc.h"
#include "utf8fast.h"
#include "value.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Characters that end the fast scan of a string: '"', '\\', controls. */
static const unsigned char str_stop[256] = {
	1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
	1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
	0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
	0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
	2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
	2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
	2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
	2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
	2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
	2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
	2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
	2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
};

/*
 * The reader finds the end of a string's plain run with the escaper's
 * tests (jsonesc.h): the first byte that needs a look (a control byte,
 * '"', '\\' or one past ASCII), sixteen or eight bytes at a time.
 */

/* The first byte at or after p (before end) that str_stop flags. */
static inline const char *
scan_plain(const char *p, const char *end)
{
#ifdef __SSE2__
	while (end - p >= 16) {
		unsigned m = dmo_json_stop16(_mm_loadu_si128((const __m128i *)
		    (const void *)p));

		if (m != 0)
			return p + __builtin_ctz(m);
		p += 16;
	}
#endif
	while (end - p >= 8) {
		uint64_t m = dmo_json_stop_mask(dmo_load64(p));

		if (m != 0)
			return p + dmo_json_first_stop(p, m);
		p += 8;
	}
	while (p < end && str_stop[(unsigned char)*p] == 0)
		p++;
	return p;
}

/*
 * scan_plain that also copies the plain bytes to o, a word at a time; o
 * must have room for end - p bytes (up to 16 past the copy are written).
 * Returns the stop, and the end of the copy in *op.
 */
static inline const char *
copy_plain(const char *p, const char *end, char **op)
{
	char *o = *op;

#ifdef __SSE2__
	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned m = dmo_json_stop16(v);

		_mm_storeu_si128((__m128i *)(void *)o, v);
		if (m != 0) {
			size_t k = (size_t)__builtin_ctz(m);

			*op = o + k;
			return p + k;
		}
		p += 16;
		o += 16;
	}
#endif
	while (end - p >= 8) {
		uint64_t v = dmo_load64(p), m = dmo_json_stop_mask(v);

		memcpy(o, &v, 8);
		if (m != 0) {
			size_t k = dmo_json_first_stop(p, m);

			*op = o + k;
			return p + k;
		}
		p += 8;
		o += 8;
	}
	while (p < end && str_stop[(unsigned char)*p] == 0)
		*o++ = *p++;
	*op = o;
	return p;
}

/* ---------------------------------------------------------------- out */

static const char hexdig[] = "0123456789abcdef";

/* The one-letter escapes of JSON strings, decoded. */
static const char unescape[256] = {
	['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b', ['f'] = '\f',
	['n'] = '\n', ['r'] = '\r', ['t'] = '\t',
};

/*
 * The byte c at p[i], which needs a look: write its escape, or the UTF-8
 * sequence it starts, at *op.  Returns the number of input bytes done,
 * or 0 (strict only) at invalid UTF-8.
 */
static inline size_t
escape_one(char **op, const char *p, size_t i, size_t n, unsigned char c,
    int strict)
{
	char *o = *op;

	if (c >= 0x80) {
		long cl = dmo_utf8_seq((const unsigned char *)p + i, n - i);

		if (cl > 0) {
			/* Byte by byte: cheaper than memcpy of 2 to 4. */
			o[0] = p[i];
			o[1] = p[i + 1];
			if (cl > 2)
				o[2] = p[i + 2];
			if (cl > 3)
				o[3] = p[i + 3];
			*op = o + cl;
			return (size_t)cl;
		}
		if (strict)
			return 0;
		/* Invalid: U+FFFD keeps the output JSON. */
		o[0] = (char)0xef;
		o[1] = (char)0xbf;
		o[2] = (char)0xbd;
		*op = o + 3;
		return 1;
	}
	o[0] = '\\';
	switch (c) {
	case '"':
	case '\\':
		o[1] = (char)c;
		break;
	case '\n':
		o[1] = 'n';
		break;
	case '\r':
		o[1] = 'r';
		break;
	case '\t':
		o[1] = 't';
		break;
	case '\b':
		o[1] = 'b';
		break;
	case '\f':
		o[1] = 'f';
		break;
	default:
		o[1] = 'u';
		o[2] = '0';
		o[3] = '0';
		o[4] = hexdig[c >> 4];
		o[5] = hexdig[c & 15];
		*op = o + 6;
		return 1;
	}
	*op = o + 2;
	return 1;
}

/*
 * jsonesc.h: escape p[0..n) into o from byte i on (bytes before i are
 * done and o points past them), o having room for 6(n - i) + 16 bytes:
 * the general loop.  Plain bytes are copied a block at a time; a block
 * that needs a look is copied too, up to its first byte that does (the
 * rest is written again).  Invalid UTF-8 becomes U+FFFD, one per bad byte, so the output
 * is always JSON; with strict set, the first bad byte returns NULL.
 */
#ifdef __SSE2__
char *
dmo_json_escape_slow(char *o, const char *p, size_t i, size_t n, int strict)
{
	char tail[32];

	while (i < n) {
		__m128i v;
		unsigned m;
		size_t k;

		if (n - i < 16 && p != tail) {
			/*
			 * The last bytes: go on in a copy padded with
			 * spaces, so that a block can always be read whole.
			 */
			k = n - i;
			memcpy(tail, p + i, k);
			memset(tail + k, ' ', 16);
			p = tail;
			n = k;
			i = 0;
		}
		v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		_mm_storeu_si128((__m128i *)(void *)o, v);
		if ((m = dmo_json_stop16(v)) == 0) {
			k = n - i < 16 ? n - i : 16;
			o += k;
			i += k;
			continue;
		}
		k = (size_t)__builtin_ctz(m);	/* the padding never stops */
		o += k;
		i += k;
		if ((k = escape_one(&o, p, i, n, (unsigned char)p[i],
		    strict)) == 0)
			return NULL;
		i += k;
	}
	return o;
}
#else
char *
dmo_json_escape_slow(char *o, const char *p, size_t i, size_t n, int strict)
{
	while (i < n) {
		unsigned char c;
		size_t k;

		if (n - i >= 8) {
			uint64_t v = dmo_load64(p + i), m = dmo_json_stop_mask(v);

			memcpy(o, &v, 8);
			if (m == 0) {
				o += 8;
				i += 8;
				continue;
			}
			k = dmo_json_first_stop(p + i, m);
			o += k;
			i += k;
			c = (unsigned char)p[i];
		} else if (str_stop[c = (unsigned char)p[i]] == 0) {
			*o++ = (char)c;
			i++;
			continue;
		}
		if ((k = escape_one(&o, p, i, n, c, strict)) == 0)
			return NULL;
		i += k;
	}
	return o;
}

#endif

char *
dmo_json_escape(char *o, const char *p, size_t n)
{
	return dmo_json_escape_inline(o, p, n, 0);
}

char *
dmo_json_escape_strict(char *o, const char *p, size_t n)
{
	return dmo_json_escape_inline(o, p, n, 1);
}

void
dmo_json_put_string(struct dmo_out *out, const char *p, size_t n)
{
	/* Worst case: every byte becomes \u00XX (6 bytes) or U+FFFD (3). */
	char *o = dmo_out_reserve(out, DMO_JSON_ESCAPE_ROOM(n) + 2);

	o[0] = '"';
	o = dmo_json_escape_inline(o + 1, p, n, 0);
	*o++ = '"';
	out->len = (size_t)(o - out->buf);
}

void
dmo_json_buf_string(struct dmo_buf *b, const char *p, size_t n)
{
	char *o;

	dmo_buf_grow(b, DMO_JSON_ESCAPE_ROOM(n) + 2);
	o = b->p + b->len;
	*o++ = '"';
	o = dmo_json_escape_inline(o, p, n, 0);
	*o++ = '"';
	b->len = (size_t)(o - b->p);
}

void
dmo_json_buf_value(struct dmo_buf *b, enum dmo_type t, const char *p,
    size_t n)
{
	switch (t) {
	case DMO_NULL:
		dmo_buf_add(b, "null", 4);
		break;
	case DMO_FALSE:
		dmo_buf_add(b, "false", 5);
		break;
	case DMO_TRUE:
		dmo_buf_add(b, "true", 4);
		break;
	case DMO_STRING:
		dmo_json_buf_string(b, p, n);
		break;
	default:		/* numbers and nested values: their text */
		dmo_buf_add(b, p, n);
	}
}

void
dmo_json_buf_record(struct dmo_buf *b, const struct dmo_record *r)
{
	size_t i, nl, vl;
	const char *v;

	dmo_buf_addc(b, '{');
	for (i = 0; i < r->n; i++) {
		if (i > 0)
			dmo_buf_addc(b, ',');
		v = dmo_record_name(r, i, &nl);
		dmo_json_buf_string(b, v, nl);
		dmo_buf_addc(b, ':');
		v = dmo_record_value(r, i, &vl);
		dmo_json_buf_value(b, r->val[i].type, v, vl);
	}
	dmo_buf_addc(b, '}');
}

void
dmo_json_put_value(struct dmo_out *out, const struct dmo_record *r, size_t i)
{
	size_t len;
	const char *v = dmo_record_value(r, i, &len);

	switch (r->val[i].type) {
	case DMO_NULL:
		dmo_out_write(out, "null", 4);
		break;
	case DMO_FALSE:
		dmo_out_write(out, "false", 5);
		break;
	case DMO_TRUE:
		dmo_out_write(out, "true", 4);
		break;
	case DMO_STRING:
		dmo_json_put_string(out, v, len);
		break;
	case DMO_NUMBER:
	case DMO_ARRAY:
	case DMO_OBJECT:
		dmo_out_write(out, v, len);
		break;
	}
}

void
dmo_json_put_record(struct dmo_out *out, const struct dmo_record *r)
{
	size_t i;

	dmo_out_putc(out, '{');
	for (i = 0; i < r->n; i++) {
		size_t nl;
		const char *nm = dmo_record_name(r, i, &nl);

		if (i > 0)
			dmo_out_putc(out, ',');
		dmo_json_put_string(out, nm, nl);
		dmo_out_putc(out, ':');
		dmo_json_put_value(out, r, i);
	}
	dmo_out_putc(out, '}');
}

/*
 * The writer keeps the escaped keys of the current shape, each with its
 * separator and colon ("{\"id\":", ",\"name\":"), so a record whose names
 * did not change costs no key escaping.
 */
struct ndjson_writer {
	unsigned long	 shape;
	struct dmo_buf	 keys;
	size_t		*off;	/* off[i]..off[i+1]: key i */
	size_t		 cap;
};

static void
cache_keys(struct ndjson_writer *nw, const struct dmo_record *r)
{
	size_t i;

	nw->keys.len = 0;
	if (nw->cap < r->n + 1) {
		nw->cap = r->n + 1;
		nw->off = dmo_xreallocarray(nw->off, nw->cap, sizeof(*nw->off));
	}
	for (i = 0; i < r->n; i++) {
		size_t nl;
		const char *nm = dmo_record_name(r, i, &nl);

		nw->off[i] = nw->keys.len;
		dmo_buf_addc(&nw->keys, i == 0 ? '{' : ',');
		dmo_json_buf_string(&nw->keys, nm, nl);
		dmo_buf_addc(&nw->keys, ':');
	}
	nw->off[r->n] = nw->keys.len;
	nw->shape = r->shape;
}

static int
ndjson_write(struct dmo_writer *w, const struct dmo_record *r,
    struct dmo_err *err)
{
	struct ndjson_writer *nw = w->state;
	size_t i;

	(void)err;
	if (nw == NULL)
		nw = w->state = dmo_xcalloc(1, sizeof(*nw));
	if (r->shape != nw->shape || r->shape == 0)
		cache_keys(nw, r);
	if (r->n == 0)
		dmo_out_putc(w->out, '{');
	for (i = 0; i < r->n; i++) {
		dmo_out_write(w->out, nw->keys.p + nw->off[i],
		    nw->off[i + 1] - nw->off[i]);
		dmo_json_put_value(w->out, r, i);
	}
	dmo_out_write(w->out, "}\n", 2);
	return 0;
}

static void
ndjson_fini(struct dmo_writer *w)
{
	struct ndjson_writer *nw = w->state;

	if (nw == NULL)
		return;
	dmo_buf_release(&nw->keys);
	free(nw->off);
	free(nw);
	w->state = NULL;
}

const struct dmo_writer_ops dmo_ndjson_writer_ops = {
	NULL, ndjson_write, NULL, NULL, ndjson_fini
};

/* ---------------------------------------------------------------- in */

struct parser {
	const char		*p;	/* next byte */
	const char		*end;
	const char		*line;	/* start of the span, for columns */
	unsigned long		 col0;	/* column of line[0] in its line */
	struct dmo_reader	*r;
	struct dmo_record	*rec;
	struct dmo_err		*err;
	struct dmo_buf		 stack;	/* open brackets of nested values */
	struct dmo_buf		 key;	/* an escaped key, decoded */
};

static int
fail(struct parser *ps, const char *at, const char *fmt, const char *what)
{
	struct dmo_loc loc = ps->rec->loc;
	const char *nl;

	/* Columns count from the start of the physical line of the error. */
	for (nl = at; nl > ps->line && nl[-1] != '\n'; nl--)
		continue;
	if (nl > ps->line) {
		const char *q;

		for (q = ps->line; q < nl; q++)
			if (*q == '\n')
				loc.line++;
	}
	loc.col = (unsigned long)(at - nl) + 1;
	if (nl == ps->line)
		loc.col += ps->col0;
	dmo_err_set(ps->err, DMO_EXIT_DATA, &loc, fmt, what);
	return -1;
}

static const char *
tokname(const struct parser *ps, const char *at)
{
	static char buf[8];
	unsigned char c;

	if (at >= ps->end)
		return "end of line";
	c = (unsigned char)*at;
	if (c == '\n' || c == '\r')
		return "end of line";
	if (c < 0x20 || c >= 0x7f)
		snprintf(buf, sizeof(buf), "\\x%02x", c);
	else
		snprintf(buf, sizeof(buf), "'%c'", c);
	return buf;
}

static inline const char *
skip_ws(const char *p, const char *end)
{
	/* Most calls find no blank at all: one test says so. */
	if (p < end && (unsigned char)*p > ' ')
		return p;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

static int
hex4(const char *p, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		unsigned char c = (unsigned char)p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			*v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			*v |= c - 'A' + 10;
		else
			return -1;
	}
	return 0;
}

static void
put_utf8(struct dmo_buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	dmo_buf_add(b, u, n);
}

/*
 * A string body after its opening quote.  With out set, the decoded bytes
 * are appended there; otherwise (a nested value) the text is appended as
 * written.  Returns a pointer past the closing quote, or NULL (error set).
 * field names the field for UTF-8 messages.
 */
static const char *
parse_string(struct parser *ps, const char *p, struct dmo_buf *out,
    int decode, const char *field, size_t flen)
{
	const char *end = ps->end;
	const char *open = p - 1;

	for (;;) {
		unsigned char c;
		char *o;

		/* Room for the rest of the line: plain bytes copy unchecked. */
		dmo_buf_grow(out, (size_t)(end - p) + 8);
		o = out->p + out->len;
		p = copy_plain(p, end, &o);
		out->len = (size_t)(o - out->p);
		if (p >= end) {
			fail(ps, open, "invalid JSON: unterminated string%s", "");
			return NULL;
		}
		c = (unsigned char)*p;
		if (c == '"') {
			if (!decode)
				dmo_buf_addc(out, '"');
			return p + 1;
		}
		if (c >= 0x80) {
			size_t cl = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
			size_t have = (size_t)(end - p) < cl ? (size_t)(end - p) :
			    cl;
			size_t k;

			if (dmo_utf8_check(p, have) == cl) {
				dmo_buf_add(out, p, cl);
				p += cl;
				continue;
			}
			/* The bad bytes: up to the next ASCII or lead byte. */
			for (k = 1; k < 4 && p + k < end &&
			    ((unsigned char)p[k] & 0xc0) == 0x80; k++)
				continue;
			if (ps->r->opts.utf8 == DMO_UTF8_KEEP &&
			    field != NULL) {
				dmo_buf_add(out, p, k);
				p += k;
				continue;
			}
			if (ps->r->opts.utf8 != DMO_UTF8_REJECT) {
				dmo_utf8_replace(out, p, k);
				p += k;
				continue;
			}
			if (field != NULL) {
				char what[300];

				snprintf(what, sizeof(what),
				    "field '%.*s': invalid UTF-8",
				    (int)(flen > 200 ? 200 : flen), field);
				fail(ps, p, "%s", what);
			} else
				fail(ps, p, "invalid UTF-8%s", "");
			return NULL;
		}
		if (c < 0x20) {
			fail(ps, p, "invalid JSON: control character %s in "
			    "string", tokname(ps, p));
			return NULL;
		}
		/* A backslash escape. */
		if (p + 1 >= end) {
			fail(ps, open, "invalid JSON: unterminated string%s", "");
			return NULL;
		}
		if (!decode) {
			unsigned v;

			if (p[1] == 'u') {
				if (p + 6 > end || hex4(p + 2, &v) != 0) {
					fail(ps, p, "invalid JSON: bad \\u escape%s",
					    "");
					return NULL;
				}
				dmo_buf_add(out, p, 6);
				p += 6;
				continue;
			}
			if (strchr("\"\\/bfnrt", p[1]) == NULL || p[1] == 0) {
				fail(ps, p, "invalid JSON: bad escape%s", "");
				return NULL;
			}
			dmo_buf_add(out, p, 2);
			p += 2;
			continue;
		}
		if (unescape[(unsigned char)p[1]] != 0) {
			dmo_buf_addc(out, unescape[(unsigned char)p[1]]);
			p += 2;
			continue;
		}
		switch (p[1]) {
		case 'u': {
			unsigned v, lo;
			const char *esc = p;

			if (p + 6 > end || hex4(p + 2, &v) != 0) {
				fail(ps, p, "invalid JSON: bad \\u escape%s", "");
				return NULL;
			}
			p += 6;
			if (v >= 0xd800 && v < 0xdc00 && p + 6 <= end &&
			    p[0] == '\\' && p[1] == 'u' && hex4(p + 2, &lo) == 0
			    && lo >= 0xdc00 && lo < 0xe000) {
				v = 0x10000 + ((v - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			} else if (v >= 0xd800 && v < 0xe000) {
				/* A lone surrogate is not a character. */
				if (ps->r->opts.utf8 != DMO_UTF8_REJECT)
					v = 0xfffd;
				else {
					fail(ps, esc, "invalid JSON: lone "
					    "surrogate in \\u escape%s", "");
					return NULL;
				}
			}
			put_utf8(out, v);
			break;
		}
		default:
			fail(ps, p, "invalid JSON: bad escape %s",
			    tokname(ps, p + 1));
			return NULL;
		}
	}
}

/* A number lexeme at p; returns its end, or NULL. */
static const char *
scan_number(struct parser *ps, const char *p)
{
	const char *s = p, *end = ps->end;
	size_t n;

	if (p < end && *p == '-')
		p++;
	if (p < end && (*p == 'I' || *p == 'N')) {
		fail(ps, s, "invalid JSON: %s is not a JSON number",
		    *p == 'I' ? "Infinity" : "NaN");
		return NULL;
	}
	n = dmo_number_scan(s, (size_t)(end - s));
	p = s + n;
	/* "01", "1.", "1e+" are not numbers followed by something else. */
	if (n == 0 || (p < end && ((*p >= '0' && *p <= '9') || *p == '.' ||
	    *p == 'e' || *p == 'E'))) {
		fail(ps, s, "invalid JSON: bad number%s", "");
		return NULL;
	}
	return p;
}

static const char *
scan_word(struct parser *ps, const char *p, const char *w, size_t n)
{
	if ((size_t)(ps->end - p) >= n && memcmp(p, w, n) == 0)
		return p + n;
	if (*p == 'N' || (*p == 'I'))
		return scan_number(ps, p);
	fail(ps, p, "invalid JSON: unexpected %s", tokname(ps, p));
	return NULL;
}

/*
 * A nested array or object at p (p[0] is '[' or '{'), appended compact
 * to rec->data.  Iterative, with the open brackets on a heap stack, so
 * depth is limited by memory only.
 */
static const char *
parse_nested(struct parser *ps, const char *p)
{
	struct dmo_buf *out = &ps->rec->data;
	struct dmo_buf *st = &ps->stack;
	const char *end = ps->end;
	int want_value = 1;

	st->len = 0;
	for (;;) {
		p = skip_ws(p, end);
		if (p >= end)
			goto eof;
		if (want_value) {
			char c = *p;

			if (c == '[' || c == '{') {
				dmo_buf_addc(st, c);
				dmo_buf_addc(out, c);
				p = skip_ws(p + 1, end);
				if (p < end && *p == (c == '[' ? ']' : '}')) {
					dmo_buf_addc(out, *p);
					st->len--;
					p++;
					want_value = 0;
					if (st->len == 0)
						return p;
					continue;
				}
				if (c == '{') {
					if (p >= end)
						goto eof;
					if (*p != '"') {
						fail(ps, p, "invalid JSON: "
						    "expected a name, found %s",
						    tokname(ps, p));
						return NULL;
					}
					dmo_buf_addc(out, '"');
					p = parse_string(ps, p + 1, out, 0, NULL, 0);
					if (p == NULL)
						return NULL;
					p = skip_ws(p, end);
					if (p >= end || *p != ':') {
						fail(ps, p, "invalid JSON: "
						    "expected ':', found %s",
						    tokname(ps, p));
						return NULL;
					}
					dmo_buf_addc(out, ':');
					p++;
				}
				continue;
			}
			if (c == '"') {
				dmo_buf_addc(out, '"');
				p = parse_string(ps, p + 1, out, 0, NULL, 0);
			} else if (c == '-' || (c >= '0' && c <= '9')) {
				const char *s = p;

				p = scan_number(ps, p);
				if (p != NULL)
					dmo_buf_add(out, s, (size_t)(p - s));
			} else if (c == 't') {
				p = scan_word(ps, p, "true", 4);
				if (p != NULL)
					dmo_buf_add(out, "true", 4);
			} else if (c == 'f') {
				p = scan_word(ps, p, "false", 5);
				if (p != NULL)
					dmo_buf_add(out, "false", 5);
			} else if (c == 'n') {
				p = scan_word(ps, p, "null", 4);
				if (p != NULL)
					dmo_buf_add(out, "null", 4);
			} else {
				if (c == 'N' || c == 'I')
					(void)scan_number(ps, p);
				else
					fail(ps, p, "invalid JSON: unexpected "
					    "%s", tokname(ps, p));
				return NULL;
			}
			if (p == NULL)
				return NULL;
			want_value = 0;
			continue;
		}
		/* After a value: ',' or the closing bracket. */
		{
			char open = st->p[st->len - 1];
			char close = open == '[' ? ']' : '}';

			if (*p == close) {
				dmo_buf_addc(out, close);
				p++;
				if (--st->len == 0)
					return p;
				continue;
			}
			if (*p != ',') {
				fail(ps, p, open == '[' ? "invalid JSON: "
				    "expected ',' or ']', found %s" :
				    "invalid JSON: expected ',' or '}', found %s",
				    tokname(ps, p));
				return NULL;
			}
			dmo_buf_addc(out, ',');
			p = skip_ws(p + 1, end);
			if (open == '{') {
				if (p >= end)
					goto eof;
				if (*p != '"') {
					fail(ps, p, "invalid JSON: expected a "
					    "name, found %s", tokname(ps, p));
					return NULL;
				}
				dmo_buf_addc(out, '"');
				p = parse_string(ps, p + 1, out, 0, NULL, 0);
				if (p == NULL)
					return NULL;
				p = skip_ws(p, end);
				if (p >= end || *p != ':') {
					fail(ps, p, "invalid JSON: expected ':', "
					    "found %s", tokname(ps, p));
					return NULL;
				}
				dmo_buf_addc(out, ':');
				p++;
			}
			want_value = 1;
		}
	}
eof:
	fail(ps, end, "invalid JSON: unexpected %s", "end of input");
	return NULL;
}

/*
 * One record: the object at ps->p.  Returns the end of the object, or
 * NULL (error set).
 */
static const char *
parse_object(struct parser *ps)
{
	struct dmo_record *rec = ps->rec;
	const char *p = ps->p, *end = ps->end;

	dmo_record_reset(rec);
	if (p >= end || *p != '{') {
		fail(ps, p, "not a JSON object: found %s", tokname(ps, p));
		return NULL;
	}
	p = skip_ws(p + 1, end);
	if (p < end && *p == '}')
		return p + 1;
	for (;;) {
		const char *name, *q;
		size_t nlen, off;

		if (p >= end)
			goto eof;
		if (*p != '"') {
			fail(ps, p, "invalid JSON: expected a name, found %s",
			    tokname(ps, p));
			return NULL;
		}
		/* Plain names point into the line; others are decoded. */
		name = p + 1;
		q = scan_plain(name, end);
		if (q < end && *q == '"') {
			nlen = (size_t)(q - name);
			p = q + 1;
		} else {
			ps->key.len = 0;
			p = parse_string(ps, name, &ps->key, 1, NULL, 0);
			if (p == NULL)
				return NULL;
			name = ps->key.p;
			nlen = ps->key.len;
		}
		/* Compact text has no blanks: test for them only then. */
		if (p >= end || *p != ':') {
			p = skip_ws(p, end);
			if (p >= end || *p != ':') {
				fail(ps, p, "invalid JSON: expected ':', "
				    "found %s", tokname(ps, p));
				return NULL;
			}
		}
		p = skip_ws(p + 1, end);
		if (p >= end)
			goto eof;
		off = rec->data.len;
		switch (*p) {
		case '"': {
			/*
			 * Most values are plain text and valid UTF-8: copied
			 * here, with no call.  Anything else (an escape, bad
			 * UTF-8, a control byte, the end of the line) starts
			 * over in parse_string, which decides it.
			 */
			char *o;
			long k;

			dmo_buf_grow(&rec->data, (size_t)(end - p) + 8);
			o = rec->data.p + off;
			q = copy_plain(p + 1, end, &o);
			while (q < end && (unsigned char)*q >= 0x80 &&
			    (k = dmo_utf8_seq((const unsigned char *)q,
			    (size_t)(end - q))) > 0) {
				do
					*o++ = *q++;
				while (--k > 0);
				q = copy_plain(q, end, &o);
			}
			if (q < end && *q == '"') {
				rec->data.len = (size_t)(o - rec->data.p);
				p = q + 1;
			} else if ((p = parse_string(ps, p + 1, &rec->data, 1,
			    name, nlen)) == NULL)
				return NULL;
			dmo_record_push(rec, name, nlen, DMO_STRING, off);
			break;
		}
		case '{':
		case '[': {
			char c = *p;

			p = parse_nested(ps, p);
			if (p == NULL)
				return NULL;
			dmo_record_push(rec, name, nlen,
			    c == '{' ? DMO_OBJECT : DMO_ARRAY, off);
			break;
		}
		case 't':
			if ((p = scan_word(ps, p, "true", 4)) == NULL)
				return NULL;
			dmo_record_push(rec, name, nlen, DMO_TRUE, off);
			break;
		case 'f':
			if ((p = scan_word(ps, p, "false", 5)) == NULL)
				return NULL;
			dmo_record_push(rec, name, nlen, DMO_FALSE, off);
			break;
		case 'n':
			if ((p = scan_word(ps, p, "null", 4)) == NULL)
				return NULL;
			dmo_record_push(rec, name, nlen, DMO_NULL, off);
			break;
		default: {
			const char *s = p;

			if (*p != '-' && (*p < '0' || *p > '9') && *p != 'N' &&
			    *p != 'I') {
				fail(ps, p, "invalid JSON: unexpected %s",
				    tokname(ps, p));
				return NULL;
			}
			if ((p = scan_number(ps, p)) == NULL)
				return NULL;
			dmo_buf_add(&rec->data, s, (size_t)(p - s));
			dmo_record_push(rec, name, nlen, DMO_NUMBER, off);
		}
		}
		if (p < end && *p == ',') {
			p = skip_ws(p + 1, end);
			continue;
		}
		p = skip_ws(p, end);
		if (p >= end)
			goto eof;
		if (*p == '}')
			return p + 1;
		if (*p != ',') {
			fail(ps, p, "invalid JSON: expected ',' or '}', found %s",
			    tokname(ps, p));
			return NULL;
		}
		p = skip_ws(p + 1, end);
	}
eof:
	fail(ps, end, "invalid JSON: unexpected %s", "end of input");
	return NULL;
}

/*
 * A JSON document walked down to its records (--records data.items) and
 * to the values kept for the caller (next-page links, cursors).  Paths
 * are object keys, matched as they are written in the document.  Target
 * 0 is the records array, 1.. the captures.  Each open object on the way
 * keeps the set of targets whose path it is on, as a bit mask.
 */
#define JPATH_MAX_DEPTH		32
#define JPATH_TARGETS		(1 + DMO_MAX_CAPTURES)

struct jpath {
	struct {
		const char	*key[JPATH_MAX_DEPTH];
		size_t		 klen[JPATH_MAX_DEPTH];
		size_t		 n;
	} t[JPATH_TARGETS];
	size_t		 nt;
	unsigned	 mask[JPATH_MAX_DEPTH + 1];	/* per open object */
	int		 after[JPATH_MAX_DEPTH + 1];	/* a member was read */
	size_t		 depth;		/* open objects */
	int		 started;	/* the top-level '{' was read */
	int		 in_records;	/* inside the records array */
	int		 found;		/* the records path was seen */
	int		 comma;		/* records: a ',' wants a value */
	int		 first;		/* records: no element yet */
};

struct json_state {
	struct parser	 ps;
	unsigned long	 line;		/* lines consumed before pos */
	unsigned long	 col;		/* JSON: column (0-based) of pos */
	int		 in_array;	/* JSON: inside the top-level [ ] */
	int		 done;		/* JSON: the top-level array closed */
	int		 bom_checked;
	struct jpath	*path;		/* JSON: --records, captures */
};

/* Split "a.b.c" into target t; -1 (err set) when it is malformed. */
static int
jpath_split(struct jpath *jp, size_t t, const char *path, struct dmo_err *err)
{
	const char *p = path, *dot;

	jp->t[t].n = 0;
	for (;;) {
		size_t len;

		dot = strchr(p, '.');
		len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (len == 0 || jp->t[t].n == JPATH_MAX_DEPTH) {
			dmo_err_set(err, DMO_EXIT_USAGE, NULL, "%s: %s",
			    len == 0 ? "empty key in JSON path" :
			    "JSON path too deep", dmo_quote(path, strlen(path)));
			return -1;
		}
		jp->t[t].key[jp->t[t].n] = p;
		jp->t[t].klen[jp->t[t].n++] = len;
		if (dot == NULL)
			return 0;
		p = dot + 1;
	}
}

static int
jpath_init(struct dmo_reader *r, struct json_state *st, struct dmo_err *err)
{
	struct jpath *jp = dmo_xcalloc(1, sizeof(*jp));
	size_t i;

	st->path = jp;
	jp->nt = 1;
	if (r->opts.records_path != NULL &&
	    jpath_split(jp, 0, r->opts.records_path, err) != 0)
		return -1;
	for (i = 0; r->opts.captures != NULL && r->opts.captures[i] != NULL &&
	    i < DMO_MAX_CAPTURES; i++)
		if (jpath_split(jp, jp->nt++, r->opts.captures[i], err) != 0)
			return -1;
	/* Every target is on the path of the top-level object. */
	jp->mask[0] = (1u << jp->nt) - 1;
	if (r->opts.records_path == NULL)
		jp->mask[0] &= ~1u;
	return 0;
}

static void json_fini(struct dmo_reader *);

static int
json_init(struct dmo_reader *r, struct dmo_err *err)
{
	struct json_state *st = dmo_xcalloc(1, sizeof(*st));
	size_t max = r->opts.max_record ? r->opts.max_record :
	    DMO_MAX_RECORD_DEFAULT;

	st->ps.r = r;
	r->in->max_line = max;
	r->state = st;
	if (r->format == DMO_FMT_JSON && (r->opts.records_path != NULL ||
	    r->opts.captures != NULL) && jpath_init(r, st, err) != 0) {
		json_fini(r);
		return -1;
	}
	return 0;
}

static void
json_fini(struct dmo_reader *r)
{
	struct json_state *st = r->state;

	if (st == NULL)
		return;
	dmo_buf_release(&st->ps.stack);
	dmo_buf_release(&st->ps.key);
	free(st->path);
	free(st);
	r->state = NULL;
}

static void
skip_bom(struct dmo_reader *r, struct json_state *st, struct dmo_err *err)
{
	struct dmo_in *in = r->in;

	if (st->bom_checked)
		return;
	st->bom_checked = 1;
	ssize_t n = dmo_in_peek_some(in, 3, err);

	/* Wait for all three bytes only when they may be a BOM. */
	if (n > 0 && n < 3 && (unsigned char)in->buf[in->pos] == 0xef)
		n = dmo_in_peek(in, 3, err);
	if (n >= 3 && memcmp(in->buf + in->pos, "\xef\xbb\xbf", 3) == 0)
		in->pos += 3;
}

static int
ndjson_next(struct dmo_reader *r, struct dmo_record *rec, struct dmo_err *err)
{
	struct json_state *st = r->state;
	struct parser *ps = &st->ps;

	skip_bom(r, st, err);
	for (;;) {
		size_t len;
		const char *line = dmo_in_line(r->in, &len, err), *p, *end;

		if (line == NULL) {
			if (err->code == 0)
				return DMO_READ_EOF;
			st->line++;
			if (err->code == DMO_EXIT_DATA) {
				struct dmo_loc loc = { r->source, st->line, 0 };

				err->loc = loc;
				r->raw.len = 0;
				return DMO_READ_BAD;
			}
			err->loc.file = r->source;
			return DMO_READ_FATAL;
		}
		st->line++;
		end = line + len;
		/* The line end is not part of the record. */
		if (end > line && end[-1] == '\n')
			end--;
		if (end > line && end[-1] == '\r')
			end--;
		p = skip_ws(line, end);
		if (p == end)
			continue;	/* blank lines are not records */
		rec->loc.file = r->source;
		rec->loc.line = st->line;
		rec->loc.col = 0;
		rec->recno = ++r->recno;
		ps->p = p;
		ps->end = end;
		ps->line = line;
		ps->col0 = 0;
		ps->rec = rec;
		ps->err = err;
		p = parse_object(ps);
		if (p != NULL) {
			p = skip_ws(p, end);
			if (p != end) {
				fail(ps, p, "invalid JSON: unexpected %s after "
				    "the object", tokname(ps, p));
				p = NULL;
			}
		}
		if (p == NULL || dmo_record_finish(rec, r->opts.dup, err) != 0) {
			r->raw.len = 0;
			dmo_buf_add(&r->raw, line, len);
			while (r->raw.len > 0 &&
			    (r->raw.p[r->raw.len - 1] == '\n' ||
			    r->raw.p[r->raw.len - 1] == '\r'))
				r->raw.len--;
			return DMO_READ_BAD;
		}
		return DMO_READ_RECORD;
	}
}

const struct dmo_reader_ops dmo_ndjson_reader_ops = {
	json_init, ndjson_next, json_fini
};

/*
 * JSON documents: a top-level array of objects, or objects one after
 * another (pretty-printed or not).  The extent of each object is found
 * first (brackets balanced outside strings), so the object can be parsed
 * from one contiguous span and the document is never held whole.
 */
static size_t
count_lines(const char *p, size_t n)
{
	size_t c = 0;
	const char *e = p + n;

	while ((p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		c++;
		p++;
	}
	return c;
}

/* Skip white space, refilling; returns the next byte or -1 at EOF. */
static int
doc_peek(struct dmo_reader *r, struct json_state *st, struct dmo_err *err)
{
	struct dmo_in *in = r->in;

	for (;;) {
		while (in->pos < in->end) {
			char c = in->buf[in->pos];

			if (c == '\n') {
				st->line++;
				st->col = 0;
			} else if (c != ' ' && c != '\t' && c != '\r')
				return (unsigned char)c;
			else
				st->col++;
			in->pos++;
		}
		if (dmo_in_fill(in, err) <= 0)
			return err->code ? -2 : -1;
	}
}

/* Length of the object at in->pos, reading more as needed; 0 if cut. */
static size_t
doc_extent(struct dmo_reader *r, struct dmo_err *err, size_t max)
{
	struct dmo_in *in = r->in;
	size_t i = 0;
	long depth = 0;
	int instr = 0, esc = 0;

	for (;;) {
		while (in->pos + i < in->end) {
			char c = in->buf[in->pos + i++];

			if (instr) {
				if (esc)
					esc = 0;
				else if (c == '\\')
					esc = 1;
				else if (c == '"')
					instr = 0;
			} else if (c == '"')
				instr = 1;
			else if (c == '{' || c == '[')
				depth++;
			else if (c == '}' || c == ']') {
				if (--depth == 0)
					return i;
			}
		}
		if (i > max) {
			dmo_err_set(err, DMO_EXIT_DATA, NULL,
			    "record too long: more than %zu bytes", max);
			return 0;
		}
		if (dmo_in_fill(in, err) <= 0)
			return 0;
	}
}

static int doc_object(struct dmo_reader *, struct json_state *,
    struct dmo_record *, struct dmo_err *, int, const struct dmo_loc *);
static int path_next(struct dmo_reader *, struct json_state *,
    struct dmo_record *, struct dmo_err *);

static int
json_next(struct dmo_reader *r, struct dmo_record *rec, struct dmo_err *err)
{
	struct json_state *st = r->state;
	struct dmo_in *in = r->in;
	struct dmo_loc loc;
	int c;

	skip_bom(r, st, err);
	if (st->path != NULL)
		return path_next(r, st, rec, err);
	if (st->line == 0)
		st->line = 1;
	for (;;) {
		c = doc_peek(r, st, err);
		loc.file = r->source;
		loc.line = st->line;
		loc.col = 0;
		if (c == -2) {
			err->loc.file = r->source;
			return DMO_READ_FATAL;
		}
		if (c == -1) {
			if (st->in_array) {
				dmo_err_set(err, DMO_EXIT_DATA, &loc,
				    "invalid JSON: unexpected end of input "
				    "in the top-level array");
				st->in_array = 0;
				return DMO_READ_FATAL;
			}
			return DMO_READ_EOF;
		}
		if (st->in_array && st->done == 0 && c == ',') {
			st->done = 2;	/* a value must follow */
			in->pos++;
			st->col++;
			continue;
		}
		if (st->in_array && c == ']') {
			if (st->done == 2) {
				dmo_err_set(err, DMO_EXIT_DATA, &loc,
				    "invalid JSON: ',' before ']'");
				return DMO_READ_FATAL;
			}
			st->in_array = 0;
			st->done = 0;
			in->pos++;
			st->col++;
			continue;
		}
		if (!st->in_array && c == '[') {
			st->in_array = 1;
			st->done = 1;	/* no ',' before the first */
			in->pos++;
			st->col++;
			continue;
		}
		if (st->in_array && st->done == 0) {
			dmo_err_set(err, DMO_EXIT_DATA, &loc,
			    "invalid JSON: expected ',' or ']', found '%c'", c);
			return DMO_READ_FATAL;
		}
		break;
	}
	return doc_object(r, st, rec, err, c, &loc);
}

/* The object at in->pos (c is its first byte) as a record. */
static int
doc_object(struct dmo_reader *r, struct json_state *st, struct dmo_record *rec,
    struct dmo_err *err, int c, const struct dmo_loc *locp)
{
	struct parser *ps = &st->ps;
	struct dmo_in *in = r->in;
	struct dmo_loc loc = *locp;
	const char *p;
	size_t n;

	if (c != '{') {
		dmo_err_set(err, DMO_EXIT_DATA, &loc,
		    "not a JSON object: found '%c'", c);
		return DMO_READ_FATAL;
	}
	n = doc_extent(r, err, in->max_line);
	if (n == 0) {
		if (err->code == 0)
			dmo_err_set(err, DMO_EXIT_DATA, &loc,
			    "invalid JSON: unexpected end of input");
		else
			err->loc = loc;
		return DMO_READ_FATAL;
	}
	p = in->buf + in->pos;
	in->pos += n;
	if (st->in_array)
		st->done = 0;
	rec->loc = loc;
	rec->recno = ++r->recno;
	ps->p = p;
	ps->end = p + n;
	ps->line = p;
	ps->col0 = st->col;
	ps->rec = rec;
	ps->err = err;
	{
		size_t lines = count_lines(p, n);
		const char *lastnl;

		st->line += lines;
		if (lines == 0)
			st->col += n;
		else {
			for (lastnl = p + n - 1; *lastnl != '\n'; lastnl--)
				continue;
			st->col = (unsigned long)(p + n - lastnl - 1);
		}
	}
	if (parse_object(ps) == NULL ||
	    dmo_record_finish(rec, r->opts.dup, err) != 0) {
		r->raw.len = 0;
		dmo_buf_add(&r->raw, p, n);
		return DMO_READ_BAD;
	}
	return DMO_READ_RECORD;
}

/* Advance in->pos by n bytes, counting lines and columns. */
static void
consume(struct json_state *st, struct dmo_in *in, size_t n)
{
	const char *p = in->buf + in->pos;
	size_t lines = count_lines(p, n);

	if (lines == 0)
		st->col += n;
	else {
		const char *lastnl = p + n - 1;

		while (*lastnl != '\n')
			lastnl--;
		st->line += lines;
		st->col = (unsigned long)(p + n - lastnl - 1);
	}
	in->pos += n;
}

/*
 * Length of the value at in->pos (whole in the buffer after the call):
 * a string, an array or object, or a scalar up to its delimiter.  0 when
 * cut short (err->code set on a read error or an overlong value).
 */
static size_t
value_extent(struct dmo_reader *r, struct dmo_err *err)
{
	struct dmo_in *in = r->in;
	size_t i = 1;
	char c = in->buf[in->pos];

	if (c == '{' || c == '[')
		return doc_extent(r, err, in->max_line);
	for (;;) {
		while (in->pos + i < in->end) {
			char d = in->buf[in->pos + i];

			if (c == '"') {
				i++;
				if (d == '\\')
					i++;
				else if (d == '"')
					return i;
			} else if (d == ',' || d == '}' || d == ']' ||
			    d == ' ' || d == '\t' || d == '\r' || d == '\n')
				return i;
			else
				i++;
		}
		if (i > in->max_line) {
			dmo_err_set(err, DMO_EXIT_DATA, NULL,
			    "value too long: more than %zu bytes",
			    in->max_line);
			return 0;
		}
		if (dmo_in_fill(in, err) <= 0)
			return c == '"' || err->code != 0 ? 0 :
			    in->end - in->pos;
	}
}

static int
path_fail(struct dmo_reader *r, struct json_state *st, struct dmo_err *err,
    const char *fmt, const char *what)
{
	struct dmo_loc loc = { r->source, st->line, st->col + 1 };

	if (err->code != 0 && err->code != DMO_EXIT_DATA) {
		err->loc.file = r->source;
		return DMO_READ_FATAL;
	}
	dmo_err_set(err, DMO_EXIT_DATA, &loc, fmt, what);
	return DMO_READ_FATAL;
}

static const char *
tokchar(int c)
{
	static char buf[16];

	if (c < 0)
		return "end of input";
	if (c < 0x20 || c >= 0x7f)
		snprintf(buf, sizeof(buf), "\\x%02x", (unsigned)c & 0xff);
	else
		snprintf(buf, sizeof(buf), "'%c'", c);
	return buf;
}

/*
 * The document walked to its records: a record, or EOF once the whole
 * document has been read (so a cut document is an error, not a short
 * success), or a fatal error.
 */
static int
path_next(struct dmo_reader *r, struct json_state *st, struct dmo_record *rec,
    struct dmo_err *err)
{
	struct jpath *jp = st->path;
	struct dmo_in *in = r->in;
	int c;

	if (st->line == 0)
		st->line = 1;
	for (;;) {
		const char *key;
		size_t klen, n, t, d;
		unsigned mask = 0;
		int target = -1;

		c = doc_peek(r, st, err);
		if (c == -2)
			return path_fail(r, st, err, "%s", "");
		if (jp->in_records) {
			struct dmo_loc loc = { r->source, st->line, 0 };

			if (c == -1)
				return path_fail(r, st, err, "invalid JSON: "
				    "unexpected %s in the records array",
				    "end of input");
			if (c == ']' && !jp->comma) {
				jp->in_records = 0;
				jp->after[jp->depth] = 1;
				consume(st, in, 1);
				continue;
			}
			if (c == ',' && !jp->first && !jp->comma) {
				jp->comma = 1;
				consume(st, in, 1);
				continue;
			}
			if (!jp->first && !jp->comma)
				return path_fail(r, st, err, "invalid JSON: "
				    "expected ',' or ']', found %s",
				    tokchar(c));
			jp->first = 0;
			jp->comma = 0;
			return doc_object(r, st, rec, err, c, &loc);
		}
		if (!jp->started) {
			if (c == -1)
				return path_fail(r, st, err, "invalid JSON: "
				    "unexpected %s", "end of input");
			if (c != '{')
				return path_fail(r, st, err, "not a JSON "
				    "object at the top level: found %s",
				    tokchar(c));
			jp->started = 1;
			jp->depth = 1;
			jp->after[1] = 0;
			jp->mask[1] = jp->mask[0];
			consume(st, in, 1);
			continue;
		}
		if (jp->depth == 0) {
			/* The document is whole: only white space may follow. */
			if (c != -1)
				return path_fail(r, st, err, "invalid JSON: "
				    "unexpected %s after the document",
				    tokchar(c));
			if (r->opts.records_path != NULL && !jp->found) {
				struct dmo_loc loc = { r->source, 0, 0 };

				dmo_err_set(err, DMO_EXIT_DATA, &loc, "records "
				    "path not found: %s", dmo_quote(
				    r->opts.records_path,
				    strlen(r->opts.records_path)));
				return DMO_READ_FATAL;
			}
			return DMO_READ_EOF;
		}
		if (c == -1)
			return path_fail(r, st, err, "invalid JSON: unexpected "
			    "%s", "end of input");
		d = jp->depth;
		if (c == '}' && jp->after[d] != 2) {
			jp->depth--;
			jp->after[jp->depth] = 1;
			consume(st, in, 1);
			continue;
		}
		if (jp->after[d] == 1) {
			if (c != ',')
				return path_fail(r, st, err, "invalid JSON: "
				    "expected ',' or '}', found %s", tokchar(c));
			jp->after[d] = 2;
			consume(st, in, 1);
			continue;
		}
		/* A member: "key" : value. */
		if (c != '"')
			return path_fail(r, st, err, "invalid JSON: expected "
			    "a name, found %s", tokchar(c));
		if ((n = value_extent(r, err)) == 0)
			return path_fail(r, st, err, "invalid JSON: %s",
			    "unterminated string");
		key = in->buf + in->pos + 1;
		klen = n - 2;
		for (t = 0; t < jp->nt; t++) {
			if (!(jp->mask[d] & (1u << t)) ||
			    jp->t[t].klen[d - 1] != klen ||
			    memcmp(jp->t[t].key[d - 1], key, klen) != 0)
				continue;
			if (jp->t[t].n == d)
				target = (int)t;
			else
				mask |= 1u << t;
		}
		consume(st, in, n);
		c = doc_peek(r, st, err);
		if (c != ':')
			return c == -2 ? path_fail(r, st, err, "%s", "") :
			    path_fail(r, st, err, "invalid JSON: expected ':', "
			    "found %s", tokchar(c));
		consume(st, in, 1);
		c = doc_peek(r, st, err);
		if (c < 0)
			return c == -2 ? path_fail(r, st, err, "%s", "") :
			    path_fail(r, st, err, "invalid JSON: unexpected "
			    "%s", "end of input");
		jp->after[d] = 1;
		if (target == 0) {
			jp->found = 1;
			if (c == '[') {
				jp->in_records = 1;
				jp->first = 1;
				jp->comma = 0;
				consume(st, in, 1);
				continue;
			}
			if (c != 'n')
				return path_fail(r, st, err, "records path: not "
				    "an array: found %s", tokchar(c));
		}
		if (c == '{' && mask != 0 && d < JPATH_MAX_DEPTH) {
			jp->depth++;
			jp->mask[jp->depth] = mask;
			jp->after[jp->depth] = 0;
			consume(st, in, 1);
			continue;
		}
		if ((n = value_extent(r, err)) == 0)
			return path_fail(r, st, err, "invalid JSON: unexpected "
			    "%s", "end of input");
		if (target > 0) {
			struct dmo_buf *b = &r->capture[target - 1];

			b->len = 0;
			dmo_buf_add(b, in->buf + in->pos, n);
			dmo_buf_cstr(b);
			r->captured[target - 1] = 1;
		}
		consume(st, in, n);
	}
}

const struct dmo_reader_ops dmo_json_reader_ops = {
	json_init, json_next, json_fini
};
