/* lookup.c - enrich records from another source held in memory (a join). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "exitcode.h"
#include "lookup.h"
#include "strmap.h"

/* One value of a lookup record, in data. */
struct cell {
	size_t		 col;
	enum dmo_type	 type;
	size_t		 off;
	size_t		 len;
};

struct row {
	size_t		 first;		/* into cells */
	size_t		 n;
};

struct dmo_lookup {
	char			*source;
	char			**inkey;	/* key names in the input */
	char			**lkkey;	/* and in the lookup source */
	size_t			 nkeys;
	enum dmo_lookup_join	 join;
	enum dmo_lookup_dups	 dups;
	char			*prefix;
	size_t			 max;
	struct dmo_strmap	 cols;		/* non-key field names */
	struct dmo_buf		 outnames;	/* prefix + name, NUL after */
	size_t			*outoff;
	size_t			 outcap;
	struct dmo_strmap	 keys;		/* key texts -> row */
	struct row		*rows;
	size_t			 rowcap;
	struct cell		*cells;
	size_t			 ncells;
	size_t			 cellcap;
	struct dmo_buf		 data;
	/* Loading: the key indexes for the lookup record's shape. */
	unsigned long		 lkshape;
	long			*lkidx;
	/* Joining: the key indexes for the input record's shape. */
	unsigned long		 inshape;
	long			*inidx;
	long			*colval;	/* cell of each column, or -1 */
	struct dmo_buf		 kbuf;
	unsigned long long	 misses;
};

static int
parse_on(struct dmo_lookup *lk, const char *on, struct dmo_err *err)
{
	const char *p = on, *start = on, *eq;
	size_t n;

	for (;; p++) {
		if (*p != ',' && *p != '\0')
			continue;
		n = (size_t)(p - start);
		eq = memchr(start, '=', n);
		if (n == 0 || (eq != NULL && (eq == start ||
		    eq == start + n - 1))) {
			dmo_err_set(err, DMO_EXIT_USAGE, NULL,
			    "lookup '%s': bad key list: %s", lk->source,
			    dmo_quote(on, strlen(on)));
			return -1;
		}
		lk->inkey = dmo_xreallocarray(lk->inkey, lk->nkeys + 1,
		    sizeof(*lk->inkey));
		lk->lkkey = dmo_xreallocarray(lk->lkkey, lk->nkeys + 1,
		    sizeof(*lk->lkkey));
		if (eq != NULL) {
			lk->inkey[lk->nkeys] = dmo_xmemdup(start,
			    (size_t)(eq - start));
			lk->lkkey[lk->nkeys] = dmo_xmemdup(eq + 1,
			    (size_t)(start + n - eq - 1));
		} else {
			lk->inkey[lk->nkeys] = dmo_xmemdup(start, n);
			lk->lkkey[lk->nkeys] = dmo_xmemdup(start, n);
		}
		lk->nkeys++;
		if (*p == '\0')
			return 0;
		start = p + 1;
	}
}

size_t
dmo_lookup_bytes(const struct dmo_lookup *lk)
{
	return lk->data.cap + lk->cellcap * sizeof(*lk->cells) +
	    lk->rowcap * sizeof(*lk->rows) + dmo_strmap_bytes(&lk->keys) +
	    dmo_strmap_bytes(&lk->cols);
}

size_t
dmo_lookup_rows(const struct dmo_lookup *lk)
{
	return lk->keys.n;
}

unsigned long long
dmo_lookup_misses(const struct dmo_lookup *lk)
{
	return lk->misses;
}

static int
is_key(const struct dmo_lookup *lk, const char *name, size_t n)
{
	size_t k;

	for (k = 0; k < lk->nkeys; k++)
		if (strlen(lk->lkkey[k]) == n && memcmp(lk->lkkey[k], name,
		    n) == 0)
			return 1;
	return 0;
}

/* Append the key texts of r (field indexes idx) to b; -1 when absent. */
static int
make_key(struct dmo_buf *b, const struct dmo_record *r, const long *idx,
    size_t nkeys)
{
	size_t k, n;
	const char *p;
	uint32_t l32;

	b->len = 0;
	for (k = 0; k < nkeys; k++) {
		if (idx[k] < 0 || dmo_record_type(r, (size_t)idx[k]) ==
		    DMO_NULL)
			return -1;
		switch (dmo_record_type(r, (size_t)idx[k])) {
		case DMO_TRUE:
			p = "true";
			n = 4;
			break;
		case DMO_FALSE:
			p = "false";
			n = 5;
			break;
		default:
			p = dmo_record_value(r, (size_t)idx[k], &n);
			break;
		}
		l32 = (uint32_t)n;
		dmo_buf_add(b, &l32, 4);
		dmo_buf_add(b, p, n);
	}
	return 0;
}

/* One record of the lookup source. */
static int
load_row(void *ctx, struct dmo_record *r, struct dmo_err *err)
{
	struct dmo_lookup *lk = ctx;
	size_t k, i, n, rowi;
	const char *name, *v;
	int added;
	struct row *row;

	if (r->shape != lk->lkshape) {
		for (k = 0; k < lk->nkeys; k++) {
			lk->lkidx[k] = dmo_record_find(r, lk->lkkey[k],
			    strlen(lk->lkkey[k]));
			if (lk->lkidx[k] < 0) {
				dmo_err_set(err, DMO_EXIT_DATA, &r->loc,
				    "lookup key field '%s': missing",
				    lk->lkkey[k]);
				return -1;
			}
		}
		lk->lkshape = r->shape;
	}
	/* A null key can match nothing: the record is not kept. */
	if (make_key(&lk->kbuf, r, lk->lkidx, lk->nkeys) != 0)
		return 0;
	rowi = dmo_strmap_intern(&lk->keys, lk->kbuf.p, lk->kbuf.len, &added);
	if (!added) {
		if (lk->dups == DMO_LOOKUP_DUPS_FIRST)
			return 0;
		if (lk->dups == DMO_LOOKUP_DUPS_ERROR) {
			v = dmo_record_value(r, (size_t)lk->lkidx[0], &n);
			dmo_err_set(err, DMO_EXIT_DATA, &r->loc,
			    "lookup key field '%s': duplicate key "
			    "(see --lookup-dups): %s", lk->lkkey[0],
			    dmo_quote(v, n));
			return -1;
		}
	} else if (rowi == lk->rowcap) {
		lk->rowcap = lk->rowcap == 0 ? 64 : lk->rowcap * 2;
		lk->rows = dmo_xreallocarray(lk->rows, lk->rowcap,
		    sizeof(*lk->rows));
	}
	/* The last of a repeated key: new cells; the old ones stay unused. */
	row = &lk->rows[rowi];
	row->first = lk->ncells;
	row->n = 0;
	for (i = 0; i < dmo_record_count(r); i++) {
		name = dmo_record_name(r, i, &n);
		if (is_key(lk, name, n))
			continue;
		if (lk->ncells == lk->cellcap) {
			lk->cellcap = lk->cellcap == 0 ? 256 : lk->cellcap * 2;
			lk->cells = dmo_xreallocarray(lk->cells, lk->cellcap,
			    sizeof(*lk->cells));
		}
		lk->cells[lk->ncells].col = dmo_strmap_intern(&lk->cols, name,
		    n, &added);
		if (added) {
			if (lk->cols.n > lk->outcap) {
				lk->outcap = lk->outcap * 2 + 8;
				lk->outoff = dmo_xreallocarray(lk->outoff,
				    lk->outcap, sizeof(*lk->outoff));
			}
			lk->outoff[lk->cols.n - 1] = lk->outnames.len;
			if (lk->prefix != NULL)
				dmo_buf_adds(&lk->outnames, lk->prefix);
			dmo_buf_add(&lk->outnames, name, n);
			dmo_buf_addc(&lk->outnames, '\0');
		}
		v = dmo_record_value(r, i, &n);
		lk->cells[lk->ncells].type = dmo_record_type(r, i);
		lk->cells[lk->ncells].off = lk->data.len;
		lk->cells[lk->ncells].len = n;
		dmo_buf_add(&lk->data, v, n);
		lk->ncells++;
		row->n++;
	}
	if (dmo_lookup_bytes(lk) > lk->max) {
		dmo_err_set(err, DMO_EXIT_USAGE, &r->loc,
		    "lookup is larger than --lookup-max (%zu bytes): "
		    "raise it or use a smaller source", lk->max);
		return -1;
	}
	return 0;
}

/*
 * The reader or the database path that named the place of an error goes
 * with the lookup: keep the name (a path, "archive.zip/member.csv") for
 * the caller's message.
 */
static void
keep_loc(struct dmo_err *err)
{
	static char *failed;
	char *name;

	if (err->loc.file == NULL || err->loc.file == failed)
		return;
	name = dmo_xstrdup(err->loc.file);
	free(failed);
	err->loc.file = failed = name;
}

static int
load_file(struct dmo_lookup *lk, const struct dmo_read_opts *ro,
    struct dmo_err *err)
{
	struct dmo_read_opts dflt;
	struct dmo_reader *rd;
	struct dmo_record rec;
	int rc, ret = 0;

	if (ro == NULL) {
		memset(&dflt, 0, sizeof(dflt));
		dflt.header = -1;
		ro = &dflt;
	}
	if ((rd = dmo_reader_open(lk->source, ro, err)) == NULL)
		return -1;
	dmo_record_init(&rec);
	for (;;) {
		rc = dmo_reader_next(rd, &rec, err);
		if (rc == DMO_READ_EOF)
			break;
		if (rc == DMO_READ_CONTROL)
			continue;
		if (rc < 0 || load_row(lk, &rec, err) != 0) {
			if (err->code == 0)
				err->code = DMO_EXIT_DATA;
			ret = -1;
			break;
		}
	}
	if (ret != 0)
		keep_loc(err);
	dmo_record_release(&rec);
	dmo_reader_free(rd);
	return ret;
}

struct dmo_lookup *
dmo_lookup_open(const struct dmo_lookup_opts *o, struct dmo_err *err)
{
	struct dmo_lookup *lk = dmo_xcalloc(1, sizeof(*lk));
	int rc;

	dmo_err_clear(err);
	lk->source = dmo_xstrdup(o->source);
	lk->join = o->join;
	lk->dups = o->dups;
	lk->prefix = o->prefix != NULL && *o->prefix != '\0' ?
	    dmo_xstrdup(o->prefix) : NULL;
	lk->max = o->max_bytes > 0 ? o->max_bytes : DMO_LOOKUP_MAX_DEFAULT;
	dmo_strmap_init(&lk->cols);
	dmo_strmap_init(&lk->keys);
	if (o->on == NULL || parse_on(lk, o->on, err) != 0) {
		if (o->on == NULL)
			dmo_err_set(err, DMO_EXIT_USAGE, NULL,
			    "lookup '%s': no key fields (--on)", lk->source);
		goto fail;
	}
	lk->lkidx = dmo_xcalloc(lk->nkeys, sizeof(*lk->lkidx));
	lk->inidx = dmo_xcalloc(lk->nkeys, sizeof(*lk->inidx));
	if (strcmp(lk->source, "-") == 0) {
		dmo_err_set(err, DMO_EXIT_USAGE, NULL,
		    "lookup: the source must be a file, not stdin");
		goto fail;
	}
	/*
	 * Database tables too (sqlite:DB#TABLE, postgres://...#TABLE): the
	 * readers open them.  A lookup has no --query: name the table.
	 */
	if ((strncmp(lk->source, "sqlite:", 7) == 0 ||
	    strncmp(lk->source, "postgres://", 11) == 0 ||
	    strncmp(lk->source, "postgresql://", 13) == 0) &&
	    strchr(lk->source, '#') == NULL) {
		dmo_err_set(err, DMO_EXIT_USAGE, NULL,
		    "lookup: name the table, as in sqlite:DATABASE#TABLE: %s",
		    dmo_quote(lk->source, strlen(lk->source)));
		goto fail;
	}
	if ((rc = load_file(lk, o->read, err)) != 0)
		goto fail;
	lk->inshape = 0;
	return lk;
fail:
	keep_loc(err);
	dmo_lookup_free(lk);
	return NULL;
}

void
dmo_lookup_free(struct dmo_lookup *lk)
{
	size_t k;

	if (lk == NULL)
		return;
	for (k = 0; k < lk->nkeys; k++) {
		free(lk->inkey[k]);
		free(lk->lkkey[k]);
	}
	free(lk->inkey);
	free(lk->lkkey);
	free(lk->lkidx);
	free(lk->inidx);
	free(lk->colval);
	free(lk->source);
	free(lk->prefix);
	free(lk->outoff);
	free(lk->rows);
	free(lk->cells);
	dmo_strmap_release(&lk->cols);
	dmo_strmap_release(&lk->keys);
	dmo_buf_release(&lk->outnames);
	dmo_buf_release(&lk->data);
	dmo_buf_release(&lk->kbuf);
	free(lk);
}

/* A new input shape: find the keys, refuse names the lookup would add. */
static int
resolve(struct dmo_lookup *lk, const struct dmo_record *in,
    struct dmo_err *err)
{
	size_t k, c;
	const char *name;

	for (k = 0; k < lk->nkeys; k++)
		lk->inidx[k] = dmo_record_find(in, lk->inkey[k],
		    strlen(lk->inkey[k]));
	for (c = 0; c < lk->cols.n; c++) {
		name = lk->outnames.p + lk->outoff[c];
		if (dmo_record_find(in, name, strlen(name)) >= 0) {
			dmo_err_set(err, DMO_EXIT_USAGE, &in->loc,
			    "field '%s': in the input and in lookup '%s' "
			    "(use --prefix)", name, lk->source);
			return -1;
		}
	}
	lk->inshape = in->shape;
	return 0;
}

int
dmo_lookup_apply(struct dmo_lookup *lk, const struct dmo_record *in,
    struct dmo_record *out, struct dmo_err *err)
{
	size_t i, n, c;
	long rowi = -1;
	const char *name, *v;
	const struct row *row;
	const struct cell *cell;

	if (in->shape != lk->inshape || in->shape == 0)
		if (resolve(lk, in, err) != 0)
			return -1;
	if (make_key(&lk->kbuf, in, lk->inidx, lk->nkeys) == 0)
		rowi = dmo_strmap_find(&lk->keys, lk->kbuf.p, lk->kbuf.len);
	if (rowi < 0) {
		lk->misses++;
		if (lk->join == DMO_LOOKUP_INNER)
			return 0;
	}
	dmo_record_reset(out);
	for (i = 0; i < dmo_record_count(in); i++) {
		name = dmo_record_name(in, i, &n);
		v = dmo_record_value(in, i, &c);
		dmo_record_add(out, name, n, dmo_record_type(in, i), v, c);
	}
	if (lk->colval == NULL && lk->cols.n > 0)
		lk->colval = dmo_xcalloc(lk->cols.n, sizeof(*lk->colval));
	for (c = 0; c < lk->cols.n; c++)
		lk->colval[c] = -1;
	if (rowi >= 0) {
		row = &lk->rows[rowi];
		for (i = 0; i < row->n; i++)
			lk->colval[lk->cells[row->first + i].col] =
			    (long)(row->first + i);
	}
	for (c = 0; c < lk->cols.n; c++) {
		name = lk->outnames.p + lk->outoff[c];
		if (lk->colval[c] < 0) {
			dmo_record_add(out, name, strlen(name), DMO_NULL, "",
			    0);
			continue;
		}
		cell = &lk->cells[lk->colval[c]];
		dmo_record_add(out, name, strlen(name), cell->type,
		    lk->data.p + cell->off, cell->len);
	}
	out->loc = in->loc;
	out->recno = in->recno;
	return dmo_record_finish(out, DMO_DUP_REJECT, err) == 0 ? 1 : -1;
}
