/* lookup.h - enrich records from another source held in memory (a join). */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_LOOKUP_H
#define DMO_LOOKUP_H

#include <stddef.h>

#include "err.h"
#include "format.h"
#include "record.h"

/*
 * A lookup: the lookup source (a file in any format dmo reads, or a
 * database table, "sqlite:DB#TABLE" or "postgres://...#TABLE", through
 * the same readers) is read once into memory, keyed
 * by the text of its key fields.  Each input record whose key fields have
 * the same texts gets the lookup record's other fields appended (with the
 * prefix, if any); see dmo-transform(1), LOOKUPS.
 *
 * Keys compare by the text of the value: the number 7 and the string "7"
 * match, 7 and 7.0 do not (a number keeps its lexeme), true matches
 * "true".  A null or missing key matches nothing.
 */
enum dmo_lookup_join {
	DMO_LOOKUP_LEFT = 0,	/* no match: the fields are added as null */
	DMO_LOOKUP_INNER	/* no match: the record is dropped */
};

enum dmo_lookup_dups {
	DMO_LOOKUP_DUPS_ERROR = 0,	/* a repeated key stops the load */
	DMO_LOOKUP_DUPS_FIRST,		/* the first record with it wins */
	DMO_LOOKUP_DUPS_LAST		/* the last one wins */
};

#define DMO_LOOKUP_MAX_DEFAULT	((size_t)1 << 30)

struct dmo_lookup_opts {
	const char		*source;	/* path or sqlite:DB#TABLE */
	const char		*on;		/* "id", "a,b", "cust=id" */
	enum dmo_lookup_join	 join;
	enum dmo_lookup_dups	 dups;
	const char		*prefix;	/* NULL: none */
	size_t			 max_bytes;	/* 0: the default */
	const struct dmo_read_opts *read;	/* for a file; NULL: detect */
};

struct dmo_lookup;

/*
 * Load the source.  NULL with err set: code DMO_EXIT_USAGE for a bad
 * --on or a source larger than max_bytes, DMO_EXIT_IO when it cannot be
 * read, DMO_EXIT_DATA for a bad record or a repeated key in it;
 * err->loc.file then stays valid until the next failed open.
 */
struct dmo_lookup *dmo_lookup_open(const struct dmo_lookup_opts *,
	    struct dmo_err *);
void	 dmo_lookup_free(struct dmo_lookup *);

/*
 * Join one record: out becomes in's fields followed by the lookup fields.
 * Returns 1 (out is ready), 0 (inner join and no match: drop the record),
 * or -1 with err set (code DMO_EXIT_USAGE: a lookup field's name is in
 * the input too; the run cannot go on).
 */
int	 dmo_lookup_apply(struct dmo_lookup *, const struct dmo_record *in,
	    struct dmo_record *out, struct dmo_err *);

/* Records held, and the bytes they take. */
size_t	 dmo_lookup_rows(const struct dmo_lookup *);
size_t	 dmo_lookup_bytes(const struct dmo_lookup *);
/* Records that found no match so far. */
unsigned long long dmo_lookup_misses(const struct dmo_lookup *);

#endif
