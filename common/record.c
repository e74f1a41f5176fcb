/* record.c - the record: an ordered list of named, typed values. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "record.h"

/* Atomic: threads that clean records (dmo-clean --threads) finish them. */
static _Atomic unsigned long next_shape;

void
dmo_record_init(struct dmo_record *r)
{
	memset(r, 0, sizeof(*r));
}

void
dmo_record_release(struct dmo_record *r)
{
	dmo_buf_release(&r->names);
	dmo_buf_release(&r->data);
	free(r->name);
	free(r->val);
	memset(r, 0, sizeof(*r));
}

void
dmo_record_reset(struct dmo_record *r)
{
	/*
	 * Names pushed by a record that was never finished (it failed to
	 * parse) were never checked: forget them, so the next record cannot
	 * pass for the last good shape.
	 */
	if (r->changed) {
		r->nnames = 0;
		r->names.len = 0;
		r->shape = 0;
	}
	r->n = 0;
	r->data.len = 0;
	r->changed = 0;
	r->frame = NULL;
}

static inline void
grow_vals(struct dmo_record *r)
{
	if (r->n == r->valcap) {
		r->valcap = r->valcap == 0 ? 16 : r->valcap * 2;
		r->val = dmo_xreallocarray(r->val, r->valcap, sizeof(*r->val));
	}
}

/* Name i is name[0..nlen); keep it if it is already there. */
static inline void
set_name(struct dmo_record *r, size_t i, const char *name, size_t nlen)
{
	if (i < r->nnames && r->name[i].len == nlen &&
	    memcmp(r->names.p + r->name[i].off, name, nlen) == 0)
		return;
	if (i < r->nnames) {
		/* The list diverges here: drop the rest. */
		r->names.len = r->name[i].off;
		r->nnames = i;
	}
	if (r->nnames == r->namecap) {
		r->namecap = r->namecap == 0 ? 16 : r->namecap * 2;
		r->name = dmo_xreallocarray(r->name, r->namecap,
		    sizeof(*r->name));
	}
	r->name[i].off = r->names.len;
	r->name[i].len = nlen;
	dmo_buf_add(&r->names, name, nlen);
	dmo_buf_addc(&r->names, '\0');
	r->nnames = i + 1;
	r->changed = 1;
}

void
dmo_record_push_slow(struct dmo_record *r, const char *name, size_t nlen,
    enum dmo_type type, size_t off)
{
	size_t i = r->n;

	r->frame = NULL;
	set_name(r, i, name, nlen);
	grow_vals(r);
	r->val[i].type = type;
	r->val[i].off = off;
	r->val[i].len = r->data.len - off;
	dmo_buf_addc(&r->data, '\0');
	r->n = i + 1;
}

void
dmo_record_add(struct dmo_record *r, const char *name, size_t nlen,
    enum dmo_type type, const char *v, size_t vlen)
{
	size_t off = r->data.len;

	dmo_buf_add(&r->data, v, vlen);
	dmo_record_push(r, name, nlen, type, off);
}

static int
name_eq(const struct dmo_record *r, size_t i, size_t j)
{
	return r->name[i].len == r->name[j].len &&
	    memcmp(r->names.p + r->name[i].off, r->names.p + r->name[j].off,
	    r->name[i].len) == 0;
}

/*
 * Find repeated names.  With DMO_DUP_REJECT, return the index of the
 * first name that repeats an earlier one, or -1.  Otherwise remove each
 * repeat, keeping the first position and the first (DMO_DUP_FIRST) or
 * last (DMO_DUP_LAST) value, and return -1.  Runs only when the shape
 * changes; short lists are compared pairwise, long ones hashed, so a
 * hostile record of a million fields costs linear time, not quadratic.
 */
static long
dedupe(struct dmo_record *r, enum dmo_dup policy)
{
	size_t i, j, k, cap, *slot;

	if (r->nnames <= 16) {
		for (i = 1; i < r->nnames; i++)
			for (j = 0; j < i; j++)
				if (name_eq(r, i, j))
					goto slow;
		return -1;
	}
slow:
	for (cap = 32; cap < r->nnames * 2; cap *= 2)
		continue;
	slot = dmo_xcalloc(cap, sizeof(*slot));	/* index + 1; 0 empty */
	for (i = k = 0; i < r->nnames; i++) {
		size_t h = dmo_hash(r->names.p + r->name[i].off,
		    r->name[i].len) & (cap - 1);

		while (slot[h] != 0 && !name_eq(r, slot[h] - 1, i))
			h = (h + 1) & (cap - 1);
		if (slot[h] != 0) {
			if (policy == DMO_DUP_REJECT) {
				free(slot);
				return (long)i;
			}
			if (policy == DMO_DUP_LAST)
				r->val[slot[h] - 1] = r->val[i];
			continue;
		}
		/* Kept: move it down over the repeats dropped so far. */
		r->name[k] = r->name[i];
		r->val[k] = r->val[i];
		slot[h] = ++k;
	}
	free(slot);
	r->nnames = r->n = k;
	return -1;
}

int
dmo_record_finish(struct dmo_record *r, enum dmo_dup policy,
    struct dmo_err *err)
{
	long d;

	if (r->n != r->nnames) {
		r->names.len = r->n < r->nnames ? (r->n == 0 ? 0 :
		    r->name[r->n].off) : r->names.len;
		r->nnames = r->n;
		r->changed = 1;
	}
	if (!r->changed && r->shape != 0)
		return 0;
	r->shape = atomic_fetch_add_explicit(&next_shape, 1,
	    memory_order_relaxed) + 1;
	if ((d = dedupe(r, policy)) >= 0) {
		dmo_err_set(err, DMO_EXIT_DATA, &r->loc,
		    "duplicate field name '%s'", r->names.p + r->name[d].off);
		/* Force a fresh shape for the next record. */
		r->nnames = 0;
		r->names.len = 0;
		return -1;
	}
	r->changed = 0;
	return 0;
}

int
dmo_record_set_names(struct dmo_record *r, const struct dmo_buf *names,
    const struct dmo_span *spans, size_t n, struct dmo_err *err)
{
	size_t i;

	dmo_record_reset(r);
	for (i = 0; i < n; i++)
		dmo_record_add(r, names->p + spans[i].off, spans[i].len,
		    DMO_NULL, "", 0);
	return dmo_record_finish(r, DMO_DUP_REJECT, err);
}

void
dmo_record_reset_values(struct dmo_record *r)
{
	size_t i;

	/* One NUL at offset 0 that every NULL value points at. */
	r->frame = NULL;
	r->data.len = 0;
	dmo_buf_addc(&r->data, '\0');
	r->n = r->nnames;
	if (r->valcap < r->n) {
		r->valcap = r->n;
		r->val = dmo_xreallocarray(r->val, r->valcap, sizeof(*r->val));
	}
	for (i = 0; i < r->n; i++) {
		r->val[i].type = DMO_NULL;
		r->val[i].off = 0;
		r->val[i].len = 0;
	}
}

void
dmo_record_set(struct dmo_record *r, size_t i, enum dmo_type type,
    const char *v, size_t vlen)
{
	r->frame = NULL;
	r->val[i].type = type;
	r->val[i].off = r->data.len;
	r->val[i].len = vlen;
	dmo_buf_add(&r->data, v, vlen);
	dmo_buf_addc(&r->data, '\0');
}

void
dmo_record_copy(struct dmo_record *dst, const struct dmo_record *src)
{
	size_t i;

	dmo_record_reset(dst);
	for (i = 0; i < src->n; i++) {
		size_t nl, vl;
		const char *nm = dmo_record_name(src, i, &nl);
		const char *v = dmo_record_value(src, i, &vl);

		dmo_record_add(dst, nm, nl, src->val[i].type, v, vl);
	}
	if (dst->n != dst->nnames) {
		dst->names.len = dst->n == 0 ? 0 : dst->name[dst->n].off;
		dst->nnames = dst->n;
		dst->changed = 1;
	}
	/* Same names as src: same shape, so writers see no change. */
	if (dst->changed || dst->shape == 0)
		dst->shape = src->shape;
	dst->changed = 0;
	dst->loc = src->loc;
	dst->recno = src->recno;
}

long
dmo_record_find(const struct dmo_record *r, const char *name, size_t nlen)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->name[i].len == nlen &&
		    memcmp(r->names.p + r->name[i].off, name, nlen) == 0)
			return (long)i;
	return -1;
}

const char *
dmo_type_name(enum dmo_type t)
{
	switch (t) {
	case DMO_NULL:
		return "null";
	case DMO_FALSE:
	case DMO_TRUE:
		return "boolean";
	case DMO_NUMBER:
		return "number";
	case DMO_STRING:
		return "string";
	case DMO_ARRAY:
		return "array";
	case DMO_OBJECT:
		return "object";
	}
	return "unknown";
}
