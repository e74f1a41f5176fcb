/* frame.c - the binary wire format between dmo programs (dmo-frame(5)). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "exitcode.h"
#include "format.h"
#include "formatimpl.h"
#include "io.h"
#include "record.h"
#include "utf8fast.h"
#include "value.h"

/*
 * A stream is the magic, a version byte and a flags byte, then frames:
 * a type byte, a 4-byte little-endian payload length, the payload.
 * Value tags in record frames are the enum dmo_type numbers.
 */
#define FRAME_VERSION	1
#define STREAM_HDR	(DMO_FRAME_MAGIC_LEN + 2)
#define FRAME_HDR	5
#define FRAME_MAXLEN	0xffffffffUL
#define VARINT_MAX	10

#define T_SCHEMA	'S'
#define T_RECORD	'R'
#define T_END		'E'

_Static_assert(DMO_NULL == 0 && DMO_FALSE == 1 && DMO_TRUE == 2 &&
    DMO_NUMBER == 3 && DMO_STRING == 4 && DMO_ARRAY == 5 &&
    DMO_OBJECT == 6, "value tags are the dmo_type numbers");

static const unsigned char magic[DMO_FRAME_MAGIC_LEN] = DMO_FRAME_MAGIC;

/* Field names as a schema frame gives them (reader) or as last sent. */
struct names {
	struct dmo_buf	 bytes;		/* names, NUL-terminated */
	struct dmo_span	*span;
	size_t		 n;
	size_t		 cap;
};

static void
names_reset(struct names *nm)
{
	nm->bytes.len = 0;
	nm->n = 0;
}

static void
names_add(struct names *nm, const char *p, size_t len)
{
	if (nm->n == nm->cap) {
		nm->cap = nm->cap == 0 ? 16 : nm->cap * 2;
		nm->span = dmo_xreallocarray(nm->span, nm->cap,
		    sizeof(*nm->span));
	}
	nm->span[nm->n].off = nm->bytes.len;
	nm->span[nm->n].len = len;
	nm->n++;
	dmo_buf_add(&nm->bytes, p, len);
	dmo_buf_addc(&nm->bytes, '\0');
}

static void
names_release(struct names *nm)
{
	dmo_buf_release(&nm->bytes);
	free(nm->span);
	memset(nm, 0, sizeof(*nm));
}

static inline const char *
names_get(const struct names *nm, size_t i, size_t *len)
{
	*len = nm->span[i].len;
	return nm->bytes.p + nm->span[i].off;
}

/*
 * A field name for a message: names in binary streams may hold any byte,
 * but a message is one line, so control bytes are escaped and long
 * names cut.  Two rotating buffers.
 */
static const char *
showname(const char *p, size_t len)
{
	static char bufs[2][4 * 64 + 4];
	static int next;
	char *out = bufs[next++ & 1], *o = out;
	size_t i;

	for (i = 0; i < len && i < 64; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c == 0x7f || c == '\'')
			o += sprintf(o, "\\x%02x", c);
		else
			*o++ = (char)c;
	}
	if (i < len) {
		/* Cut at a character boundary. */
		while (i > 0 && ((unsigned char)p[i] & 0xc0) == 0x80) {
			i--;
			o--;
		}
		memcpy(o, "...", 3);
		o += 3;
	}
	*o = '\0';
	return out;
}

/* Varints: unsigned LEB128, at most 10 bytes. */
#define VARINT_OK	0
#define VARINT_SHORT	(-1)	/* runs past the end */
#define VARINT_OVERFLOW	(-2)	/* more than 64 bits */

static inline int
varint_get(const unsigned char **pp, const unsigned char *end, uint64_t *v)
{
	const unsigned char *p = *pp;
	uint64_t x = 0;
	int i;

	if (p < end && *p < 0x80) {
		*v = *p;
		*pp = p + 1;
		return VARINT_OK;
	}
	for (i = 0; i < VARINT_MAX; i++) {
		if (p == end)
			return VARINT_SHORT;
		if (i == VARINT_MAX - 1 && *p > 1)
			return VARINT_OVERFLOW;
		x |= (uint64_t)(*p & 0x7f) << (7 * i);
		if (*p++ < 0x80) {
			*v = x;
			*pp = p;
			return VARINT_OK;
		}
	}
	return VARINT_OVERFLOW;
}

static inline size_t
varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static inline unsigned char *
varint_put(unsigned char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

static inline uint32_t
le32_get(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline void
le32_put(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/*
 * Copy a value.  Most are short: two overlapping words move them without
 * a call.
 */
static inline void
copy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	uint64_t a, b;
	uint32_t x, y;

	if (n > 16)
		memcpy(d, s, n);
	else if (n >= 8) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4) {
		memcpy(&x, s, 4);
		memcpy(&y, s + n - 4, 4);
		memcpy(d, &x, 4);
		memcpy(d + n - 4, &y, 4);
	} else
		while (n-- > 0)
			*d++ = *s++;
}

/*
 * Nested values.  Arrays and objects travel as compact JSON text; a
 * reader cannot trust a stream more than a file, so the text is checked:
 * RFC 8259 syntax, no whitespace outside strings, escapes well formed
 * (surrogates paired), the value of the kind the tag says.  The bytes are
 * valid UTF-8 already.  Containers nest without recursion; stack holds
 * the open brackets.  Returns 0, or -1 with *where the offset of the
 * first bad byte (n when the text is cut short).
 */
enum { J_VALUE, J_VALUE_OR_CLOSE, J_KEY, J_KEY_OR_CLOSE, J_COLON,
    J_COMMA_OR_CLOSE };

static int
hex4(const unsigned char *p, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		unsigned c = p[i];

		if (c >= '0' && c <= '9')
			c -= '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			c = (c | 0x20) - 'a' + 10;
		else
			return -1;
		*v = *v << 4 | c;
	}
	return 0;
}

/* A string starting at p[i] == '"'; returns the offset after it, or -1. */
static long
json_string(const unsigned char *p, size_t n, size_t i, size_t *where)
{
	unsigned u, u2;

	for (i++; i < n; i++) {
		unsigned char c = p[i];

		if (c == '"')
			return (long)(i + 1);
		if (c < 0x20)
			break;
		if (c != '\\')
			continue;
		if (++i == n)
			break;
		switch (p[i]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			continue;
		case 'u':
			if (n - i < 5 || hex4(p + i + 1, &u) < 0)
				break;
			i += 4;
			if (u >= 0xdc00 && u <= 0xdfff)
				break;
			if (u < 0xd800 || u > 0xdbff)
				continue;
			if (n - i < 7 || p[i + 1] != '\\' || p[i + 2] != 'u' ||
			    hex4(p + i + 3, &u2) < 0 || u2 < 0xdc00 ||
			    u2 > 0xdfff) {
				i++;
				break;
			}
			i += 6;
			continue;
		}
		break;
	}
	*where = i < n ? i : n;
	return -1;
}

/* Can the byte be part of a number lexeme? */
static inline int
numch(unsigned char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
	    c == 'e' || c == 'E';
}

static int
json_check(struct dmo_buf *stack, const char *text, size_t n, int open,
    size_t *where)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0, depth = 0, j;
	int expect = J_VALUE;
	long e;

	if (n == 0 || p[0] != open) {
		*where = 0;
		return -1;
	}
	stack->len = 0;
	while (i < n) {
		unsigned char c = p[i];

		switch (expect) {
		case J_VALUE_OR_CLOSE:
			if (c == ']')
				goto close;
			/* FALLTHROUGH */
		case J_VALUE:
			switch (c) {
			case '[':
			case '{':
				dmo_buf_addc(stack, c);
				depth++;
				i++;
				expect = c == '[' ? J_VALUE_OR_CLOSE :
				    J_KEY_OR_CLOSE;
				continue;
			case '"':
				if ((e = json_string(p, n, i, where)) < 0)
					return -1;
				i = (size_t)e;
				break;
			case 't':
				if (n - i < 4 || memcmp(p + i, "true", 4) != 0)
					goto bad;
				i += 4;
				break;
			case 'f':
				if (n - i < 5 || memcmp(p + i, "false", 5) != 0)
					goto bad;
				i += 5;
				break;
			case 'n':
				if (n - i < 4 || memcmp(p + i, "null", 4) != 0)
					goto bad;
				i += 4;
				break;
			default:
				for (j = i; j < n && numch(p[j]); j++)
					;
				if (j == i ||
				    !dmo_number_valid(text + i, j - i))
					goto bad;
				i = j;
				break;
			}
			expect = J_COMMA_OR_CLOSE;
			break;
		case J_KEY_OR_CLOSE:
			if (c == '}')
				goto close;
			/* FALLTHROUGH */
		case J_KEY:
			if (c != '"')
				goto bad;
			if ((e = json_string(p, n, i, where)) < 0)
				return -1;
			i = (size_t)e;
			expect = J_COLON;
			break;
		case J_COLON:
			if (c != ':')
				goto bad;
			i++;
			expect = J_VALUE;
			break;
		case J_COMMA_OR_CLOSE:
			if (c == ',') {
				i++;
				expect = stack->p[depth - 1] == '[' ? J_VALUE :
				    J_KEY;
				break;
			}
			if (c != (stack->p[depth - 1] == '[' ? ']' : '}'))
				goto bad;
close:
			depth--;
			stack->len--;
			i++;
			expect = J_COMMA_OR_CLOSE;
			if (depth == 0) {
				if (i == n)
					return 0;
				goto bad;
			}
			break;
		}
	}
	*where = n;
	return -1;
bad:
	*where = i;
	return -1;
}

/*
 * The reader.  off is the stream offset of in->buf[in->pos]: every
 * message names a byte offset, since a binary stream has no lines.
 */
enum { PH_HEADER, PH_FRAMES, PH_AFTER, PH_DEAD };

struct frame_reader {
	unsigned long long off;
	unsigned long long nstream;	/* record frames in this stream */
	unsigned long long nrec;	/* record frames in this source */
	size_t		 max;		/* largest payload */
	int		 phase;
	int		 have_schema;
	struct names	 schema;
	struct dmo_buf	 stack;		/* json_check's brackets */
	const struct dmo_record *built;	/* the last record read ... */
	unsigned long	 built_shape;	/* ... and its shape then */
	uint32_t	*hash;		/* duplicate-name check */
	size_t		 hashcap;
	struct dmo_err	 dead;		/* the fatal error, again */
	struct dmo_record schema_rec;	/* dmo_reader_schema */
	int		 told;		/* dead, said by dmo_reader_decode_frame */
};

static int
frame_reader_init(struct dmo_reader *r, struct dmo_err *err)
{
	struct frame_reader *st = dmo_xcalloc(1, sizeof(*st));

	(void)err;
	st->max = r->opts.max_record != 0 ? r->opts.max_record :
	    DMO_MAX_RECORD_DEFAULT;
	if (st->max > FRAME_MAXLEN)
		st->max = FRAME_MAXLEN;
	st->phase = PH_HEADER;
	r->state = st;
	r->complete = 0;
	return 0;
}

static void
frame_reader_fini(struct dmo_reader *r)
{
	struct frame_reader *st = r->state;

	if (st == NULL)
		return;
	names_release(&st->schema);
	dmo_buf_release(&st->stack);
	dmo_record_release(&st->schema_rec);
	free(st->hash);
	free(st);
	r->state = NULL;
}

/* Structural damage: the stream cannot be read further. */
static int
fatal(struct dmo_reader *r, struct dmo_err *err, int code, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static int
fatal(struct dmo_reader *r, struct dmo_err *err, int code, const char *fmt,
    ...)
{
	struct frame_reader *st = r->state;
	struct dmo_loc loc = { r->source, 0, 0 };
	va_list ap;

	va_start(ap, fmt);
	dmo_err_vset(err, code, &loc, fmt, ap);
	va_end(ap);
	st->dead = *err;
	st->phase = PH_DEAD;
	return DMO_READ_FATAL;
}

/* An I/O error from dmo_in: err is set already. */
static int
io_fatal(struct dmo_reader *r, struct dmo_err *err)
{
	struct frame_reader *st = r->state;

	if (err->code == 0)
		err->code = DMO_EXIT_IO;
	st->dead = *err;
	st->phase = PH_DEAD;
	return DMO_READ_FATAL;
}

/* Make n bytes available at in->buf + in->pos: 1, 0 (short) or -1. */
static inline int
need(struct dmo_in *in, size_t n, size_t *avail, struct dmo_err *err)
{
	ssize_t got;

	if (in->end - in->pos >= n) {
		*avail = in->end - in->pos;
		return 1;
	}
	if ((got = dmo_in_peek(in, n, err)) < 0)
		return -1;
	*avail = (size_t)got;
	return *avail >= n;
}

/* What text-mode damage turns the magic into p[0..n). */
static const char *
magic_hint(const unsigned char *p, size_t n)
{
	static const struct {
		const char	*bytes;
		size_t		 len;
		const char	*hint;
	} hints[] = {
		{ "\x89" "DMO\n\x1a\n", 7, " (CR LF converted to LF?)" },
		{ "\x89" "DMO\r\r\n\x1a\r\n", 9, " (LF converted to CR LF?)" },
		{ "\x09" "DMO\r\n\x1a\n", 8, " (high bit stripped?)" },
		{ "\xc2\x89" "DMO", 5, " (re-encoded as UTF-8?)" },
		{ "\xef\xbf\xbd" "DMO", 6, " (decoded as text?)" },
		{ "\x89" "DMO\r\n\n", 7, " (end-of-file byte removed?)" },
		{ "?DMO", 4, " (decoded as text?)" },
	};
	size_t i;

	for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (n >= hints[i].len &&
		    memcmp(p, hints[i].bytes, hints[i].len) == 0)
			return hints[i].hint;
	return "";
}

/* The stream header; 1 when read, else a DMO_READ_* code. */
static int
read_header(struct dmo_reader *r, struct frame_reader *st,
    struct dmo_err *err)
{
	struct dmo_in *in = r->in;
	const unsigned char *p;
	size_t avail, m;
	int rc;

	if ((rc = need(in, STREAM_HDR, &avail, err)) < 0)
		return io_fatal(r, err);
	p = (const unsigned char *)in->buf + in->pos;
	if (avail == 0 && st->phase == PH_AFTER) {
		r->complete = 1;
		return DMO_READ_EOF;
	}
	m = avail < DMO_FRAME_MAGIC_LEN ? avail : DMO_FRAME_MAGIC_LEN;
	if (memcmp(p, magic, m) != 0) {
		if (st->phase == PH_AFTER)
			return fatal(r, err, DMO_EXIT_DATA,
			    "unexpected data after end-of-stream trailer "
			    "at byte %llu: %s", st->off,
			    dmo_quote((const char *)p, m));
		return fatal(r, err, DMO_EXIT_DATA,
		    "bad binary stream magic at byte %llu%s: %s", st->off,
		    magic_hint(p, avail), dmo_quote((const char *)p,
		    avail < 12 ? avail : 12));
	}
	if (rc == 0)
		return fatal(r, err, DMO_EXIT_DATA,
		    "truncated binary stream: stream header cut short at "
		    "byte %llu", st->off + avail);
	if (p[DMO_FRAME_MAGIC_LEN] != FRAME_VERSION)
		return fatal(r, err, DMO_EXIT_DATA,
		    "unsupported binary stream version %u at byte %llu",
		    p[DMO_FRAME_MAGIC_LEN], st->off + DMO_FRAME_MAGIC_LEN);
	if (p[DMO_FRAME_MAGIC_LEN + 1] != 0)
		return fatal(r, err, DMO_EXIT_DATA,
		    "unsupported binary stream flags 0x%02x at byte %llu",
		    p[DMO_FRAME_MAGIC_LEN + 1],
		    st->off + DMO_FRAME_MAGIC_LEN + 1);
	in->pos += STREAM_HDR;
	st->off += STREAM_HDR;
	st->phase = PH_FRAMES;
	st->have_schema = 0;
	st->built = NULL;
	st->nstream = 0;
	r->complete = 0;
	return 1;
}

static inline uint32_t
name_hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0)
		h = (h ^ (unsigned char)*p++) * 16777619u;
	return h;
}

/* Index of a name that repeats an earlier one, or -1. */
static long
schema_dup(struct frame_reader *st)
{
	const struct names *nm = &st->schema;
	size_t i, j, mask, len, l2;
	const char *s;

	if (nm->n < 2)
		return -1;
	if (st->hashcap < nm->n * 2) {
		for (st->hashcap = 16; st->hashcap < nm->n * 2;)
			st->hashcap *= 2;
		free(st->hash);
		st->hash = dmo_xreallocarray(NULL, st->hashcap,
		    sizeof(*st->hash));
	}
	mask = st->hashcap - 1;
	memset(st->hash, 0xff, st->hashcap * sizeof(*st->hash));
	for (i = 0; i < nm->n; i++) {
		s = names_get(nm, i, &len);
		for (j = name_hash(s, len) & mask; st->hash[j] != UINT32_MAX;
		    j = (j + 1) & mask) {
			const char *t = names_get(nm, st->hash[j], &l2);

			if (l2 == len && memcmp(s, t, len) == 0)
				return (long)i;
		}
		st->hash[j] = (uint32_t)i;
	}
	return -1;
}

/*
 * The schema as a record of nulls (dmo_reader_schema): the same names
 * again keep its shape.
 */
static void
schema_record(struct frame_reader *st)
{
	struct dmo_err e;
	size_t i, nlen;
	const char *name;

	dmo_record_reset(&st->schema_rec);
	for (i = 0; i < st->schema.n; i++) {
		name = names_get(&st->schema, i, &nlen);
		dmo_record_add(&st->schema_rec, name, nlen, DMO_NULL, "", 0);
	}
	(void)dmo_record_finish(&st->schema_rec, DMO_DUP_FIRST, &e);
}

/* The stream offset of a byte in the payload of the frame at foff. */
#define AT(x)	(foff + FRAME_HDR + (unsigned long long)((x) - payload))

static int
read_schema(struct dmo_reader *r, struct frame_reader *st,
    const unsigned char *payload, size_t len, unsigned long long foff,
    struct dmo_err *err)
{
	const unsigned char *q = payload, *end = payload + len, *v;
	unsigned long long at;
	uint64_t count, i, nlen;
	size_t ok;
	long d;
	int rc;

	if ((rc = varint_get(&q, end, &count)) != VARINT_OK)
		goto varint;
	if (count > (uint64_t)(end - q))
		return fatal(r, err, DMO_EXIT_DATA,
		    "schema frame at byte %llu: field count %llu exceeds "
		    "the frame", foff, (unsigned long long)count);
	names_reset(&st->schema);
	st->have_schema = 0;
	st->built = NULL;
	for (i = 0; i < count; i++) {
		at = AT(q);
		if ((rc = varint_get(&q, end, &nlen)) != VARINT_OK)
			goto varint;
		if (nlen > (uint64_t)(end - q))
			return fatal(r, err, DMO_EXIT_DATA,
			    "schema frame at byte %llu: field name %llu runs "
			    "past the end of the frame at byte %llu", foff,
			    (unsigned long long)i + 1, at);
		v = q;
		q += nlen;
		ok = dmo_utf8_check((const char *)v, nlen);
		if (ok == nlen)
			names_add(&st->schema, (const char *)v, nlen);
		else if (r->opts.utf8 != DMO_UTF8_REJECT) {
			struct dmo_buf b = DMO_BUF_INIT;

			dmo_utf8_replace(&b, (const char *)v, nlen);
			names_add(&st->schema, b.p, b.len);
			dmo_buf_release(&b);
		} else
			return fatal(r, err, DMO_EXIT_DATA,
			    "schema frame at byte %llu: field name %llu: "
			    "invalid UTF-8 at byte %llu: %s", foff,
			    (unsigned long long)i + 1, AT(v + ok),
			    dmo_quote((const char *)v, nlen));
	}
	if (q != end)
		return fatal(r, err, DMO_EXIT_DATA,
		    "schema frame at byte %llu: %zu byte%s left over at "
		    "byte %llu", foff, (size_t)(end - q),
		    end - q == 1 ? "" : "s", AT(q));
	if ((d = schema_dup(st)) >= 0) {
		size_t dl;
		const char *dn = names_get(&st->schema, (size_t)d, &dl);

		return fatal(r, err, DMO_EXIT_DATA,
		    "schema frame at byte %llu: duplicate field name '%s'",
		    foff, showname(dn, dl));
	}
	st->have_schema = 1;
	schema_record(st);
	return 0;
varint:
	if (rc == VARINT_SHORT)
		return fatal(r, err, DMO_EXIT_DATA,
		    "schema frame at byte %llu: varint runs past the end of "
		    "the frame at byte %llu", foff, AT(q));
	return fatal(r, err, DMO_EXIT_DATA,
	    "schema frame at byte %llu: varint overflow at byte %llu", foff,
	    AT(q));
}

/* A bad value: the first one makes the record bad; reading goes on. */
static void
bad_value(const struct dmo_record *rec, int *bad, struct dmo_err *err,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
bad_value(const struct dmo_record *rec, int *bad, struct dmo_err *err,
    const char *fmt, ...)
{
	va_list ap;

	if (*bad)
		return;
	*bad = 1;
	va_start(ap, fmt);
	dmo_err_vset(err, DMO_EXIT_DATA, &rec->loc, fmt, ap);
	va_end(ap);
}

static const char *const kind[] = {
	"null", "false", "true", "number", "string", "array", "object"
};

/* The length of the longest UTF-8 prefix of p[0..n). */
static inline size_t
utf8_ok(const unsigned char *p, size_t n)
{
	return dmo_utf8_check_fast((const char *)p, n);
}

/*
 * Settle value i of rec, whose bytes are data[off..data.len).  When rec
 * already holds the schema's names (fast), the value goes into its slot
 * without comparing names and room for its NUL is there already; else
 * dmo_record_push settles the name.
 */
static inline void
put_value(struct dmo_record *rec, int fast, const struct names *nm,
    size_t i, int type, size_t off)
{
	struct dmo_val *val;
	size_t nlen;
	const char *name;

	if (!fast) {
		name = names_get(nm, i, &nlen);
		dmo_record_push(rec, name, nlen, (enum dmo_type)type, off);
		return;
	}
	val = &rec->val[rec->n++];
	val->type = (enum dmo_type)type;
	val->off = off;
	val->len = rec->data.len - off;
	rec->data.p[rec->data.len++] = '\0';
}

/* Field i's name for a message. */
static const char *
fieldname(const struct frame_reader *st, size_t i)
{
	size_t nlen;
	const char *name = names_get(&st->schema, i, &nlen);

	return showname(name, nlen);
}

/*
 * The common case, kept tight: rec already holds the schema's names and
 * every value is good.  The payload is copied into rec's bytes whole and
 * decoded in place: each value is a slice of the copy, and the tag byte
 * after it (or one byte past the end) becomes its NUL; a null or a
 * boolean points at its own tag byte, zeroed.  One memcpy a record, not
 * one a value.
 *
 * UTF-8 is checked once over the whole payload: every value sits between
 * ASCII bytes (the last byte of its length varint before it, the next
 * tag or the end after it), and a valid UTF-8 text cut at ASCII bytes
 * gives valid pieces, so when the payload is valid every value is.  When
 * it is not (a bad value, or a long value's varint), each value is
 * checked as before.  Numbers are checked one by one in any case.
 *
 * Returns 0, or -1 at anything else (a bad or invalid UTF-8 value,
 * damage), for the general code to go over the frame again and say
 * what is wrong.  Inlined in both its callers: a call per record costs
 * the reader a few percent.
 */
static inline __attribute__((always_inline)) int
decode_fast(size_t nf, struct dmo_buf *stack, struct dmo_record *rec,
    const unsigned char *payload, const unsigned char *end)
{
	struct dmo_val *val = rec->val;
	struct dmo_val *vend = nf > 0 ? val + nf : val;
	size_t len = (size_t)(end - payload), where;
	unsigned char *dp = (unsigned char *)rec->data.p, *q, *e;
	int allok;
	uint64_t vlen;
	int tag;

	memcpy(dp, payload, len);
	allok = utf8_ok(payload, len) == len;
	q = dp;
	e = dp + len;
	/* Most values: short strings in a valid payload. */
	if (allok)
		for (; val < vend && e - q >= 2 && q[0] == DMO_STRING &&
		    q[1] < 0x80 && q[1] <= e - q - 2; val++) {
			vlen = q[1];
			*q = '\0';	/* the previous value's NUL */
			val->type = DMO_STRING;
			val->off = (size_t)(q + 2 - dp);
			val->len = vlen;
			q += 2 + vlen;
		}
	for (; val < vend; val++) {
		if (q == e)
			return -1;
		tag = *q;
		*q++ = '\0';	/* the previous value's NUL */
		val->type = (enum dmo_type)tag;
		if (tag <= DMO_TRUE) {
			val->off = (size_t)(q - 1 - dp);
			val->len = 0;
			continue;
		}
		if (tag > DMO_OBJECT)
			return -1;
		if (q < e && *q < 0x80)
			vlen = *q++;
		else {
			const unsigned char *c = q;

			if (varint_get(&c, e, &vlen) != VARINT_OK)
				return -1;
			q = dp + (c - dp);
		}
		if (vlen > (uint64_t)(e - q))
			return -1;
		if (tag == DMO_NUMBER) {
			if (!dmo_number_valid((const char *)q, vlen))
				return -1;
		} else if (!allok && utf8_ok(q, vlen) != vlen)
			return -1;
		if (tag >= DMO_ARRAY && json_check(stack,
		    (const char *)q, vlen, tag == DMO_ARRAY ? '[' : '{',
		    &where) < 0)
			return -1;
		val->off = (size_t)(q - dp);
		val->len = vlen;
		q += vlen;
	}
	if (q != e)
		return -1;
	*e = '\0';
	rec->data.len = len + 1;
	rec->n = nf;
	return 0;
}

/*
 * Decode the record frame at foff, record number recno of its source
 * (counted already), into rec.  Inlined in both its callers, as
 * decode_fast.
 */
static inline __attribute__((always_inline)) int
decode_record(struct dmo_reader *r, struct frame_reader *st,
    struct dmo_record *rec, const unsigned char *payload, size_t len,
    unsigned long long foff, unsigned long long recno, struct dmo_err *err)
{
	const unsigned char *q = payload, *end = payload + len, *v, *lenat;
	size_t i, nf = st->schema.n, ok, off, where;
	uint64_t vlen;
	int bad = 0, fast, rc, tag;

	/*
	 * A shape number stands for one list of names (record.h): if rec
	 * still has the shape it got from this schema, its names are the
	 * schema's.
	 */
	fast = rec == st->built && rec->shape == st->built_shape &&
	    !rec->changed && rec->nnames == nf;
	dmo_record_reset(rec);
	rec->loc.file = r->source;
	rec->loc.line = (unsigned long)recno;
	rec->loc.col = 0;
	rec->recno = recno;
	/* Values take at most the payload's bytes, plus a NUL each. */
	dmo_buf_grow(&rec->data, len + nf);
	if (fast && decode_fast(nf, &st->stack, rec, payload, end) == 0) {
		/* Every value is as in the frame: the frame can be reused. */
		rec->frame = (const char *)payload;
		rec->framelen = len;
		return DMO_READ_RECORD;
	}
	rec->data.len = 0;
	rec->n = 0;
	for (i = 0; i < nf; i++) {
		if (q == end)
			return fatal(r, err, DMO_EXIT_DATA,
			    "record frame at byte %llu: field '%s': value "
			    "missing at byte %llu", foff, fieldname(st, i),
			    AT(q));
		tag = *q++;
		off = rec->data.len;
		if (tag <= DMO_TRUE) {
			if (!bad)
				put_value(rec, fast, &st->schema, i, tag, off);
			continue;
		}
		if (tag > DMO_OBJECT)
			return fatal(r, err, DMO_EXIT_DATA,
			    "record frame at byte %llu: field '%s': bad "
			    "value tag %d at byte %llu", foff,
			    fieldname(st, i), tag, AT(q - 1));
		lenat = q;
		if (q < end && *q < 0x80)
			vlen = *q++;
		else if ((rc = varint_get(&q, end, &vlen)) != VARINT_OK)
			return fatal(r, err, DMO_EXIT_DATA,
			    "record frame at byte %llu: field '%s': %s at "
			    "byte %llu", foff, fieldname(st, i),
			    rc == VARINT_SHORT ? "varint runs past the end "
			    "of the frame" : "varint overflow", AT(lenat));
		if (vlen > (uint64_t)(end - q))
			return fatal(r, err, DMO_EXIT_DATA,
			    "record frame at byte %llu: field '%s': value "
			    "runs past the end of the frame at byte %llu",
			    foff, fieldname(st, i), AT(lenat));
		v = q;
		q += vlen;
		if (bad)
			continue;	/* lost: check the framing only */
		if (tag == DMO_NUMBER) {
			if (!dmo_number_valid((const char *)v, vlen)) {
				bad_value(rec, &bad, err, "field '%s': "
				    "invalid number at byte %llu: %s",
				    fieldname(st, i), AT(v),
				    dmo_quote((const char *)v, vlen));
				continue;
			}
			ok = vlen;
		} else if ((ok = utf8_ok(v, vlen)) != vlen &&
		    r->opts.utf8 != DMO_UTF8_REPLACE &&
		    !(r->opts.utf8 == DMO_UTF8_KEEP && tag == DMO_STRING)) {
			bad_value(rec, &bad, err, "field '%s': invalid "
			    "UTF-8 at byte %llu: %s", fieldname(st, i),
			    AT(v + ok), dmo_quote((const char *)v, vlen));
			continue;
		}
		if (ok == vlen || r->opts.utf8 == DMO_UTF8_KEEP) {
			memcpy(rec->data.p + off, v, vlen);
			rec->data.len += vlen;
		} else {
			/* U+FFFD is longer than a bad byte: room again. */
			dmo_utf8_replace(&rec->data, (const char *)v, vlen);
			dmo_buf_grow(&rec->data, (size_t)(end - q) + nf);
		}
		if (tag >= DMO_ARRAY && json_check(&st->stack,
		    rec->data.p + off, rec->data.len - off,
		    tag == DMO_ARRAY ? '[' : '{', &where) < 0) {
			bad_value(rec, &bad, err, "field '%s': invalid "
			    "JSON %s at byte %llu: %s", fieldname(st, i),
			    kind[tag], ok == vlen ? AT(v + where) : AT(v),
			    dmo_quote(rec->data.p + off, rec->data.len - off));
			continue;
		}
		put_value(rec, fast, &st->schema, i, tag, off);
	}
	if (q != end)
		return fatal(r, err, DMO_EXIT_DATA,
		    "record frame at byte %llu: %zu byte%s left over at byte "
		    "%llu", foff, (size_t)(end - q), end - q == 1 ? "" : "s",
		    AT(q));
	if (!bad && (fast || dmo_record_finish(rec, r->opts.dup, err) == 0)) {
		st->built = rec;
		st->built_shape = rec->shape;
		return DMO_READ_RECORD;
	}
	if (!fast)
		st->built = NULL;	/* its names may be cut short */
	r->raw.len = 0;
	dmo_buf_printf(&r->raw, "binary record %llu at byte %llu (%zu bytes)",
	    recno, foff, len + FRAME_HDR);
	return DMO_READ_BAD;
}

static int
read_record(struct dmo_reader *r, struct frame_reader *st,
    struct dmo_record *rec, const unsigned char *payload, size_t len,
    unsigned long long foff, struct dmo_err *err)
{
	st->nstream++;
	st->nrec++;
	r->recno = st->nrec;
	if (!st->have_schema)
		return fatal(r, err, DMO_EXIT_DATA,
		    "record frame at byte %llu before any schema frame", foff);
	return decode_record(r, st, rec, payload, len, foff, st->nrec, err);
}

static int
read_trailer(struct dmo_reader *r, struct frame_reader *st,
    const unsigned char *payload, size_t len, unsigned long long foff,
    struct dmo_err *err)
{
	const unsigned char *q = payload, *end = payload + len;
	uint64_t count;
	int rc;

	if ((rc = varint_get(&q, end, &count)) != VARINT_OK)
		return fatal(r, err, DMO_EXIT_DATA,
		    "end-of-stream trailer at byte %llu: %s at byte %llu",
		    foff, rc == VARINT_SHORT ? "varint runs past the end of "
		    "the frame" : "varint overflow", AT(q));
	if (q != end)
		return fatal(r, err, DMO_EXIT_DATA,
		    "end-of-stream trailer at byte %llu: %zu byte%s left over "
		    "at byte %llu", foff, (size_t)(end - q),
		    end - q == 1 ? "" : "s", AT(q));
	if (count != st->nstream)
		return fatal(r, err, DMO_EXIT_DATA,
		    "end-of-stream trailer at byte %llu: stream has %llu "
		    "record%s, trailer says %llu", foff, st->nstream,
		    st->nstream == 1 ? "" : "s", (unsigned long long)count);
	st->phase = PH_AFTER;
	return 0;
}

static int
frame_reader_next(struct dmo_reader *r, struct dmo_record *rec,
    struct dmo_err *err)
{
	struct frame_reader *st = r->state;
	struct dmo_in *in = r->in;
	const unsigned char *p;
	unsigned long long foff;
	size_t avail, len;
	int rc, type;

	for (;;) {
		if (st->phase == PH_DEAD) {
			/*
			 * Said by dmo_reader_decode_frame: the source is done
			 * for, as after a fatal return of dmo_reader_next.
			 */
			if (st->told)
				return DMO_READ_EOF;
			*err = st->dead;
			return DMO_READ_FATAL;
		}
		if (st->phase != PH_FRAMES) {
			if ((rc = read_header(r, st, err)) != 1)
				return rc;
			continue;
		}
		if ((rc = need(in, FRAME_HDR, &avail, err)) < 0)
			return io_fatal(r, err);
		if (rc == 0) {
			if (avail == 0)
				return fatal(r, err, DMO_EXIT_DATA,
				    "truncated binary stream: no end-of-stream "
				    "trailer after %llu record%s", st->nrec,
				    st->nrec == 1 ? "" : "s");
			return fatal(r, err, DMO_EXIT_DATA,
			    "truncated binary stream: frame cut short at byte "
			    "%llu", st->off + avail);
		}
		p = (const unsigned char *)in->buf + in->pos;
		type = p[0];
		len = le32_get(p + 1);
		if (type != T_RECORD && type != T_SCHEMA && type != T_END &&
		    (type < 'a' || type > 'z')) {
			/* cat of a cut-short stream and another one */
			if (memcmp(p, magic, FRAME_HDR) == 0)
				return fatal(r, err, DMO_EXIT_DATA,
				    "truncated binary stream: no end-of-stream "
				    "trailer after %llu record%s (next stream "
				    "at byte %llu)", st->nrec,
				    st->nrec == 1 ? "" : "s", st->off);
			if (type >= 'A' && type <= 'Z')
				return fatal(r, err, DMO_EXIT_DATA,
				    "unknown critical frame type '%c' at byte "
				    "%llu", type, st->off);
			return fatal(r, err, DMO_EXIT_DATA,
			    "bad frame type 0x%02x at byte %llu", type,
			    st->off);
		}
		if (len > st->max)
			return fatal(r, err, DMO_EXIT_DATA,
			    "frame too large at byte %llu: %zu bytes, limit "
			    "%zu", st->off, len, st->max);
		if ((rc = need(in, FRAME_HDR + len, &avail, err)) < 0)
			return io_fatal(r, err);
		if (rc == 0)
			return fatal(r, err, DMO_EXIT_DATA,
			    "truncated binary stream: frame cut short at byte "
			    "%llu", st->off + avail);
		/* The payload stays put until the next call reads more. */
		p = (const unsigned char *)in->buf + in->pos + FRAME_HDR;
		foff = st->off;
		in->pos += FRAME_HDR + len;
		st->off += FRAME_HDR + len;
		switch (type) {
		case T_RECORD:
			return read_record(r, st, rec, p, len, foff, err);
		case T_SCHEMA:
			if (read_schema(r, st, p, len, foff, err) < 0)
				return DMO_READ_FATAL;
			continue;
		case T_END:
			if (read_trailer(r, st, p, len, foff, err) < 0)
				return DMO_READ_FATAL;
			continue;
		}
		/* An ancillary frame, for the caller to pass on. */
		r->ctl.type = type;
		r->ctl.payload = (const char *)p;
		r->ctl.len = len;
		return DMO_READ_CONTROL;
	}
}

/*
 * Record frames handed out undecoded (format.h): only a whole record
 * frame under a schema, the common case; anything else (a schema,
 * trailer or control frame, damage, the end, another format) goes
 * through dmo_reader_next once the caller holds no frame, since it may
 * change what those decode to or end the source they came from.
 */
int
dmo_reader_next_frame(struct dmo_reader *r, int pending,
    struct dmo_record *rec, struct dmo_frame_ref *f, struct dmo_err *err)
{
	struct frame_reader *st;
	struct dmo_in *in;
	const unsigned char *p;
	size_t avail, len;

	if (r->http != NULL || !r->started || r->ops != &dmo_frame_reader_ops)
		goto general;
	st = r->state;
	if (st->phase != PH_FRAMES || !st->have_schema)
		goto other;
	in = r->in;
	if (need(in, FRAME_HDR, &avail, err) != 1 || st->phase != PH_FRAMES)
		goto other;	/* said again by the general path */
	p = (const unsigned char *)in->buf + in->pos;
	len = le32_get(p + 1);
	if (p[0] != T_RECORD || len > st->max)
		goto other;
	if (need(in, FRAME_HDR + len, &avail, err) != 1 ||
	    st->phase != PH_FRAMES)
		goto other;
	f->payload = in->buf + in->pos + FRAME_HDR;
	f->len = len;
	f->foff = st->off;
	in->pos += FRAME_HDR + len;
	st->off += FRAME_HDR + len;
	st->nstream++;
	st->nrec++;
	r->recno = st->nrec;
	f->recno = st->nrec;
	return DMO_READ_FRAME;
other:
	if (pending)
		return DMO_READ_SYNC;
general:
	return dmo_reader_next(r, rec, err);
}

const struct dmo_record *
dmo_reader_schema(const struct dmo_reader *r)
{
	const struct frame_reader *st = r->state;

	return &st->schema_rec;
}

int
dmo_reader_decode_frame(struct dmo_reader *r, const struct dmo_frame_ref *f,
    struct dmo_record *rec, struct dmo_err *err)
{
	struct frame_reader *st = r->state;
	int rc;

	dmo_err_clear(err);
	rc = decode_record(r, st, rec, (const unsigned char *)f->payload,
	    f->len, f->foff, f->recno, err);
	if (rc == DMO_READ_FATAL)
		st->told = 1;
	return rc;
}

int
dmo_frame_decode(const char *payload, size_t len, struct dmo_record *rec,
    struct dmo_buf *stack)
{
	size_t nf = rec->nnames;

	if (rec->valcap < nf || rec->changed)
		return -1;
	rec->n = 0;
	rec->data.len = 0;
	rec->frame = NULL;
	dmo_buf_grow(&rec->data, len + nf);
	return decode_fast(nf, stack, rec, (const unsigned char *)payload,
	    (const unsigned char *)payload + len);
}

const struct dmo_reader_ops dmo_frame_reader_ops = {
	frame_reader_init,
	frame_reader_next,
	frame_reader_fini
};

/*
 * The writer.  The stream header goes out at once, so a producer that
 * dies before its first record still leaves a stream that a reader knows
 * to be cut short.  A write after finish starts a new stream.
 */
struct frame_writer {
	int		 open;		/* header sent, trailer not */
	int		 have_schema;
	unsigned long	 shape;		/* of the last record */
	struct names	 schema;	/* the names last sent */
	unsigned long long nstream;
};

static int
write_check(struct dmo_writer *w, struct dmo_err *err)
{
	if (w->out->error == 0)
		return 0;
	(void)dmo_out_flush(w->out, err);
	if (err->code == 0)
		err->code = DMO_EXIT_IO;
	return -2;
}

static void
write_header(struct dmo_writer *w, struct frame_writer *st)
{
	char *p = dmo_out_reserve(w->out, STREAM_HDR);

	memcpy(p, magic, DMO_FRAME_MAGIC_LEN);
	p[DMO_FRAME_MAGIC_LEN] = FRAME_VERSION;
	p[DMO_FRAME_MAGIC_LEN + 1] = 0;
	w->out->len += STREAM_HDR;
	st->open = 1;
	st->have_schema = 0;
	st->nstream = 0;
}

static int
frame_writer_init(struct dmo_writer *w, struct dmo_err *err)
{
	struct frame_writer *st = dmo_xcalloc(1, sizeof(*st));

	w->state = st;
	write_header(w, st);
	if (write_check(w, err) == 0)
		return 0;
	free(st);	/* dmo_writer_new does not call fini after this */
	w->state = NULL;
	return -2;
}

static void
frame_writer_fini(struct dmo_writer *w)
{
	struct frame_writer *st = w->state;

	if (st == NULL)
		return;
	names_release(&st->schema);
	free(st);
	w->state = NULL;
}

/* Are rec's names the ones last sent? */
static int
same_names(const struct frame_writer *st, const struct dmo_record *rec)
{
	size_t i, l1, l2;
	const char *a, *b;

	if (!st->have_schema || st->schema.n != rec->n)
		return 0;
	for (i = 0; i < rec->n; i++) {
		a = dmo_record_name(rec, i, &l1);
		b = names_get(&st->schema, i, &l2);
		if (l1 != l2 || memcmp(a, b, l1) != 0)
			return 0;
	}
	return 1;
}

static int
write_schema(struct dmo_writer *w, struct frame_writer *st,
    const struct dmo_record *rec, struct dmo_err *err)
{
	unsigned char *p, *start;
	size_t i, nlen, size;
	uint64_t total = varint_len(rec->n);
	const char *name;

	for (i = 0; i < rec->n; i++) {
		(void)dmo_record_name(rec, i, &nlen);
		total += varint_len(nlen) + nlen;
	}
	if (total > FRAME_MAXLEN) {
		dmo_err_set(err, DMO_EXIT_DATA, &rec->loc, "field names too "
		    "long for a binary schema frame: %llu bytes",
		    (unsigned long long)total);
		return -1;
	}
	size = (size_t)total;
	start = p = (unsigned char *)dmo_out_reserve(w->out, FRAME_HDR + size);
	*p++ = T_SCHEMA;
	le32_put(p, (uint32_t)size);
	p = varint_put(p + 4, rec->n);
	names_reset(&st->schema);
	for (i = 0; i < rec->n; i++) {
		name = dmo_record_name(rec, i, &nlen);
		p = varint_put(p, nlen);
		memcpy(p, name, nlen);
		p += nlen;
		names_add(&st->schema, name, nlen);
	}
	w->out->len += (size_t)(p - start);
	st->have_schema = 1;
	return 0;
}

/* The exact payload size of rec's record frame. */
static uint64_t
measure(const struct dmo_record *rec)
{
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < rec->n; i++)
		total += rec->val[i].type <= DMO_TRUE ? 1 :
		    1 + varint_len(rec->val[i].len) + rec->val[i].len;
	return total;
}

/*
 * Encode rec's values at p, which has room for bound(rec) bytes and
 * COPY_SLACK more.  A short value is moved as 32 bytes when its record's
 * buffer has 32 bytes from its start (bytes past the value are copied
 * too, and overwritten by what follows or left past the end of the
 * frame): two SSE moves, no call and no branch on its length.
 */
#define COPY_SLACK	32

static unsigned char *
encode_values(unsigned char *p, const struct dmo_record *rec)
{
	const struct dmo_val *val = rec->val, *vend;
	const char *data = rec->data.p;
	size_t vl, cap = rec->data.cap;
	/* Values that start this far in have 32 bytes to move. */
	size_t far = cap >= COPY_SLACK ? cap - COPY_SLACK + 1 : 0;

	if (rec->n == 0)
		return p;	/* val may be NULL: no arithmetic on it */
	for (vend = val + rec->n; val < vend; val++) {
		vl = val->len;
		/* Most values: short strings. */
		if (val->type == DMO_STRING && vl <= COPY_SLACK &&
		    val->off < far) {
			p[0] = DMO_STRING;
			p[1] = (unsigned char)vl;
			memcpy(p + 2, data + val->off, COPY_SLACK);
			p += 2 + vl;
			continue;
		}
		*p++ = (unsigned char)val->type;
		if (val->type <= DMO_TRUE)
			continue;
		if (vl < 0x80)
			*p++ = (unsigned char)vl;
		else
			p = varint_put(p, vl);
		if (vl <= COPY_SLACK && val->off < far)
			memcpy(p, data + val->off, COPY_SLACK);
		else
			memcpy(p, data + val->off, vl);
		p += vl;
	}
	return p;
}

/*
 * At least the payload size of rec's record frame: every value at most
 * a tag, a longest varint and its bytes.  Summing the lengths costs
 * little and holds however the values share bytes.
 */
static uint64_t
bound(const struct dmo_record *rec)
{
	uint64_t total = (uint64_t)rec->n * (1 + VARINT_MAX);
	size_t i;

	for (i = 0; i < rec->n; i++)
		total += rec->val[i].len;
	return total;
}

int
dmo_frame_encode(struct dmo_record *rec, struct dmo_buf *b)
{
	uint64_t total = bound(rec);
	unsigned char *p;

	rec->frame = NULL;
	if (total > FRAME_MAXLEN && (total = measure(rec)) > FRAME_MAXLEN)
		return -1;
	b->len = 0;
	dmo_buf_grow(b, (size_t)total + COPY_SLACK);
	p = encode_values((unsigned char *)b->p, rec);
	b->len = (size_t)(p - (unsigned char *)b->p);
	rec->frame = b->p;
	rec->framelen = b->len;
	return 0;
}

int
dmo_frame_append(const struct dmo_record *rec, struct dmo_buf *b)
{
	uint64_t total = bound(rec);
	unsigned char *p;

	if (total > FRAME_MAXLEN && (total = measure(rec)) > FRAME_MAXLEN)
		return -1;
	dmo_buf_grow(b, (size_t)total + COPY_SLACK);
	p = encode_values((unsigned char *)b->p + b->len, rec);
	b->len = (size_t)(p - (unsigned char *)b->p);
	return 0;
}

static int
too_large(const struct dmo_record *rec, uint64_t total, struct dmo_err *err)
{
	dmo_err_set(err, DMO_EXIT_DATA, &rec->loc, "record too large for a "
	    "binary frame: %llu bytes", (unsigned long long)total);
	return -1;
}

static int
frame_writer_write(struct dmo_writer *w, const struct dmo_record *rec,
    struct dmo_err *err)
{
	struct frame_writer *st = w->state;
	unsigned char *p, *start;
	uint64_t total;

	/*
	 * The frame is at most this: room for it is reserved, one pass.  A
	 * record with a frame to copy (below) has its size, under the
	 * limit: its values need not be summed.
	 */
	if (rec->frame != NULL)
		total = rec->framelen;
	else {
		total = bound(rec);
		if (total > FRAME_MAXLEN &&
		    (total = measure(rec)) > FRAME_MAXLEN)
			return too_large(rec, total, err);
	}
	if (!st->open)
		write_header(w, st);
	if (!st->have_schema || rec->shape != st->shape || rec->shape == 0) {
		/* Records from different readers may share names. */
		if (!same_names(st, rec) &&
		    write_schema(w, st, rec, err) < 0)
			return -1;
		st->shape = rec->shape;
	}
	if (rec->frame != NULL && rec->shape == st->shape) {
		/* Unchanged since the binary reader decoded it: copy. */
		start = (unsigned char *)dmo_out_reserve(w->out,
		    FRAME_HDR + rec->framelen);
		memcpy(start + FRAME_HDR, rec->frame, rec->framelen);
		p = start + FRAME_HDR + rec->framelen;
		goto done;
	}
	start = (unsigned char *)dmo_out_reserve(w->out,
	    FRAME_HDR + (size_t)total + COPY_SLACK);
	p = encode_values(start + FRAME_HDR, rec);
done:
	start[0] = T_RECORD;
	le32_put(start + 1, (uint32_t)(p - start - FRAME_HDR));
	w->out->len += (size_t)(p - start);
	st->nstream++;
	return write_check(w, err);
}

static int
frame_writer_control(struct dmo_writer *w, const struct dmo_control *ctl,
    struct dmo_err *err)
{
	struct frame_writer *st = w->state;
	unsigned char *p;

	if (ctl->type < 'a' || ctl->type > 'z' || ctl->len > FRAME_MAXLEN) {
		dmo_err_set(err, DMO_EXIT_DATA, NULL, "bad control frame: "
		    "type 0x%02x, %zu bytes", (unsigned)ctl->type & 0xff,
		    ctl->len);
		return -1;
	}
	if (!st->open)
		write_header(w, st);
	p = (unsigned char *)dmo_out_reserve(w->out, FRAME_HDR);
	p[0] = (unsigned char)ctl->type;
	le32_put(p + 1, (uint32_t)ctl->len);
	w->out->len += FRAME_HDR;
	dmo_out_write(w->out, ctl->payload, ctl->len);
	return write_check(w, err);
}

static int
frame_writer_finish(struct dmo_writer *w, struct dmo_err *err)
{
	struct frame_writer *st = w->state;
	unsigned char *p, *start;

	if (!st->open)
		write_header(w, st);
	start = p = (unsigned char *)dmo_out_reserve(w->out,
	    FRAME_HDR + VARINT_MAX);
	*p = T_END;
	p = varint_put(p + FRAME_HDR, st->nstream);
	le32_put(start + 1, (uint32_t)(p - start - FRAME_HDR));
	w->out->len += (size_t)(p - start);
	st->open = 0;
	st->have_schema = 0;
	st->nstream = 0;
	if (dmo_out_flush(w->out, err) < 0) {
		if (err->code == 0)
			err->code = DMO_EXIT_IO;
		return -2;
	}
	return 0;
}

const struct dmo_writer_ops dmo_frame_writer_ops = {
	frame_writer_init,
	frame_writer_write,
	frame_writer_control,
	frame_writer_finish,
	frame_writer_fini
};

/*
 * The checkpoint frame's payload: a version byte, the state path and the
 * field as varint-length strings, a flag byte (0 no bookmark, 1 one
 * follows as a varint-length string), the record count as a varint.
 */
void
dmo_checkpoint_encode(const struct dmo_checkpoint *cp, struct dmo_buf *b)
{
	unsigned char num[VARINT_MAX];

	dmo_buf_addc(b, DMO_CHECKPOINT_VERSION);
	dmo_buf_add(b, num, (size_t)(varint_put(num, cp->statelen) - num));
	dmo_buf_add(b, cp->state, cp->statelen);
	dmo_buf_add(b, num, (size_t)(varint_put(num, cp->fieldlen) - num));
	dmo_buf_add(b, cp->field, cp->fieldlen);
	if (cp->bookmark == NULL)
		dmo_buf_addc(b, 0);
	else {
		dmo_buf_addc(b, 1);
		dmo_buf_add(b, num, (size_t)(varint_put(num, cp->bookmarklen) -
		    num));
		dmo_buf_add(b, cp->bookmark, cp->bookmarklen);
	}
	dmo_buf_add(b, num, (size_t)(varint_put(num, cp->records) - num));
}

/* A varint-length string of the checkpoint payload; 0 or -1. */
static int
cp_string(const unsigned char **pp, const unsigned char *end,
    const char **s, size_t *len)
{
	uint64_t n;

	if (varint_get(pp, end, &n) != VARINT_OK ||
	    n > (uint64_t)(end - *pp))
		return -1;
	*s = (const char *)*pp;
	*len = (size_t)n;
	*pp += n;
	return 0;
}

int
dmo_checkpoint_decode(const char *payload, size_t len,
    struct dmo_checkpoint *cp, struct dmo_err *err)
{
	const unsigned char *p = (const unsigned char *)payload;
	const unsigned char *end = p + len;
	const char *what;
	uint64_t records;

	memset(cp, 0, sizeof(*cp));
	if (len == 0) {
		what = "empty";
		goto bad;
	}
	if (*p != DMO_CHECKPOINT_VERSION) {
		dmo_err_set(err, DMO_EXIT_DATA, NULL, "checkpoint frame of "
		    "unknown version %u", (unsigned)*p);
		return -1;
	}
	p++;
	what = "state path";
	if (cp_string(&p, end, &cp->state, &cp->statelen) != 0)
		goto bad;
	if (cp->statelen == 0 || cp->state[0] != '/' ||
	    memchr(cp->state, '\0', cp->statelen) != NULL)
		goto bad;
	what = "field name";
	if (cp_string(&p, end, &cp->field, &cp->fieldlen) != 0 ||
	    cp->fieldlen == 0 ||
	    dmo_utf8_check(cp->field, cp->fieldlen) != cp->fieldlen)
		goto bad;
	what = "bookmark";
	if (p == end || *p > 1)
		goto bad;
	if (*p++ == 1) {
		if (cp_string(&p, end, &cp->bookmark, &cp->bookmarklen) != 0 ||
		    dmo_utf8_check(cp->bookmark, cp->bookmarklen) !=
		    cp->bookmarklen)
			goto bad;
	}
	what = "record count";
	if (varint_get(&p, end, &records) != VARINT_OK)
		goto bad;
	cp->records = records;
	if (p != end) {
		what = "trailing bytes";
		goto bad;
	}
	return 0;
bad:
	dmo_err_set(err, DMO_EXIT_DATA, NULL, "damaged checkpoint frame: %s",
	    what);
	return -1;
}
