/* record.h - the record: an ordered list of named, typed values. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_RECORD_H
#define DMO_RECORD_H

#include <stddef.h>

#include "buf.h"
#include "bytes.h"
#include "err.h"

/*
 * Values and fidelity (dmo(7)):
 *  - DMO_NUMBER holds the number's lexeme exactly as read ("12.30",
 *    "18446744073709551616", "1e400"); it is always a valid JSON number.
 *  - DMO_STRING holds the decoded bytes (escapes resolved), length-
 *    delimited: NUL bytes are data.  Valid UTF-8 unless a reader's policy
 *    kept invalid bytes (see struct dmo_read_opts).
 *  - DMO_ARRAY and DMO_OBJECT hold the nested value as compact JSON text
 *    (whitespace removed, strings and numbers as written).
 *  - DMO_NULL, DMO_FALSE, DMO_TRUE hold no bytes.
 *
 * Ownership: a record owns all its bytes.  dmo_record_add copies the name
 * and the value.  Readers reuse the record they are given: the pointers
 * that the accessors return are valid until the record is next changed.
 * Every name and value is followed by a NUL byte that its length does
 * not count, so numbers can go straight to strtod.
 *
 * Names: a record keeps its name list between records.  A reader that adds
 * fields whose names equal the previous record's (the common case) keeps
 * the same shape number; any change of names or their order gives a new
 * shape, unique in the process.  Writers compare shapes to know when a
 * header or a binary dictionary frame is due, without comparing strings.
 */
enum dmo_type {
	DMO_NULL = 0,
	DMO_FALSE,
	DMO_TRUE,
	DMO_NUMBER,
	DMO_STRING,
	DMO_ARRAY,
	DMO_OBJECT
};

/* What to do with a record whose field names repeat. */
enum dmo_dup {
	DMO_DUP_REJECT = 0,	/* the record is rejected (default) */
	DMO_DUP_FIRST,		/* keep the first value */
	DMO_DUP_LAST		/* keep the last value, at the first position */
};

struct dmo_span {
	size_t	off;
	size_t	len;
};

struct dmo_val {
	enum dmo_type	type;
	size_t		off;		/* into data */
	size_t		len;
};

struct dmo_record {
	struct dmo_buf	 names;		/* name bytes, each NUL-terminated */
	struct dmo_span	*name;		/* name[i] for i < nnames */
	size_t		 nnames;
	size_t		 namecap;
	struct dmo_buf	 data;		/* value bytes, each NUL-terminated */
	struct dmo_val	*val;		/* val[i] for i < n */
	size_t		 n;
	size_t		 valcap;
	unsigned long	 shape;		/* see above; 0 before the first */
	int		 changed;	/* names changed since reset */
	struct dmo_loc	 loc;		/* where the record starts */
	unsigned long long recno;	/* 1-based number in its source */
	/*
	 * The binary reader's frame payload this record was decoded from,
	 * exactly (valid until the next read from that reader), so a binary
	 * writer with the same schema copies it instead of encoding again.
	 * Every change made through this API sets it back to NULL.
	 */
	const char	*frame;
	size_t		 framelen;
};

void	 dmo_record_init(struct dmo_record *);
void	 dmo_record_release(struct dmo_record *);

/* Start a new record: drop values, keep the name list for comparison. */
void	 dmo_record_reset(struct dmo_record *);

/*
 * Append field r->n.  dmo_record_add copies value bytes.  For values built
 * in place, append bytes to r->data and then call
 * dmo_record_push with the offset where the value began: the value is
 * data[off..data.len).
 */
void	 dmo_record_add(struct dmo_record *, const char *name, size_t nlen,
	    enum dmo_type, const char *v, size_t vlen);
static inline void dmo_record_push(struct dmo_record *, const char *name,
	    size_t nlen, enum dmo_type, size_t off);
/* dmo_record_push when its inline fast path does not apply. */
void	 dmo_record_push_slow(struct dmo_record *, const char *name,
	    size_t nlen, enum dmo_type, size_t off);

/*
 * Finish a record built with add/push: settles the shape and applies the
 * duplicate-name policy.  Returns 0, or -1 with err set (code
 * DMO_EXIT_DATA, message "duplicate field name 'x'") when the policy is
 * DMO_DUP_REJECT and a name repeats.  err->loc is r->loc.
 */
int	 dmo_record_finish(struct dmo_record *, enum dmo_dup,
	    struct dmo_err *);

/*
 * Set the whole name list at once (a CSV header) and the values by index.
 * After dmo_record_set_names the record has n == nnames NULL values;
 * dmo_record_set replaces value i.  dmo_record_reset_values empties the
 * value bytes and sets every value NULL, keeping names and shape.
 */
int	 dmo_record_set_names(struct dmo_record *, const struct dmo_buf *names,
	    const struct dmo_span *spans, size_t n, struct dmo_err *);
void	 dmo_record_reset_values(struct dmo_record *);
void	 dmo_record_set(struct dmo_record *, size_t i, enum dmo_type,
	    const char *v, size_t vlen);

/*
 * Value i becomes data[off..off + vlen): bytes the caller appended to
 * r->data, followed by their NUL, after the values that r holds.  As
 * dmo_record_set without copying them (dmo-encrypt seals values there).
 */
static inline void
dmo_record_set_built(struct dmo_record *r, size_t i, enum dmo_type type,
    size_t off, size_t vlen)
{
	r->frame = NULL;
	r->val[i].type = type;
	r->val[i].off = off;
	r->val[i].len = vlen;
}

/* Deep copy src into dst (dst keeps its allocations). */
void	 dmo_record_copy(struct dmo_record *dst, const struct dmo_record *src);

/* Index of the field called name, or -1. */
long	 dmo_record_find(const struct dmo_record *, const char *name,
	    size_t nlen);

static inline size_t
dmo_record_count(const struct dmo_record *r)
{
	return r->n;
}

static inline const char *
dmo_record_name(const struct dmo_record *r, size_t i, size_t *len)
{
	if (len != NULL)
		*len = r->name[i].len;
	return r->names.p + r->name[i].off;
}

static inline enum dmo_type
dmo_record_type(const struct dmo_record *r, size_t i)
{
	return r->val[i].type;
}

static inline const char *
dmo_record_value(const struct dmo_record *r, size_t i, size_t *len)
{
	if (len != NULL)
		*len = r->val[i].len;
	return r->data.p == NULL ? "" : r->data.p + r->val[i].off;
}

/* "null", "boolean", "number", "string", "array", "object". */
const char *dmo_type_name(enum dmo_type);

/*
 * a[0..n) == b[0..n), inline: field names are short, and a call to
 * memcmp costs more than comparing them.  Overlapping loads of 8 or 4
 * bytes stay inside both arrays.
 */
static inline int
dmo_record_name_eq(const char *a, const char *b, size_t n)
{
	size_t i;

	if (n >= 8) {
		for (i = 0; i + 8 < n; i += 8)
			if (dmo_load64(a + i) != dmo_load64(b + i))
				return 0;
		return dmo_load64(a + n - 8) == dmo_load64(b + n - 8);
	}
	if (n >= 4)
		return dmo_load32(a) == dmo_load32(b) &&
		    dmo_load32(a + n - 4) == dmo_load32(b + n - 4);
	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/*
 * The common case of a reader adding field i: the name is the one the
 * last record had at i, and there is room for the value's NUL.  Per
 * field of every NDJSON and binary record, so it is worth inlining
 * (dmo-profile on NDJSON: about 80 instructions a field through the
 * function, a quarter of that here).
 */
static inline void
dmo_record_push(struct dmo_record *r, const char *name, size_t nlen,
    enum dmo_type type, size_t off)
{
	size_t i = r->n;
	struct dmo_val *v;

	if (i < r->nnames && i < r->valcap && r->name[i].len == nlen &&
	    r->data.cap - r->data.len > 1 &&
	    dmo_record_name_eq(r->names.p + r->name[i].off, name, nlen)) {
		r->frame = NULL;
		v = &r->val[i];
		v->type = type;
		v->off = off;
		v->len = r->data.len - off;
		r->data.p[r->data.len++] = '\0';
		r->n = i + 1;
		return;
	}
	dmo_record_push_slow(r, name, nlen, type, off);
}

#endif
