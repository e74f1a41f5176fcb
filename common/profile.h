/* profile.h - one-pass, bounded, mergeable profiles of record streams. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_PROFILE_H
#define DMO_PROFILE_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "record.h"

/*
 * A profile describes every field seen in a stream of records: counts,
 * nulls, empties, the mix of types, distinct values, min and max, mean
 * and standard deviation, quantiles, a histogram, top values, lengths,
 * character-class patterns, leading zeros and date formats; and per
 * input the records, bytes and field set changes.  dmo-profile(1)
 * specifies the JSON document field by field.
 *
 * Memory is bounded per field, whatever the number of records: exact
 * tables up to opts.exact_limit distinct values, then sketches of fixed
 * size (hll.h, kll.h, topk.h).  The number of fields is bounded by
 * opts.max_fields; fields past it are counted in "fields_dropped".
 *
 * Profiles merge: dmo_profile_merge(a, b) gives what one pass over a's
 * data and then b's would give, exactly for the exact parts (counts,
 * types, min, max, lengths, exact distinct and top values under the
 * limit), within the sketches' stated errors for the rest.  A state (the
 * profile with its sketches) is written with dmo_profile_state and read
 * back with dmo_profile_from_state.
 */

/* The types a value is counted as ("types" in the JSON profile). */
enum dmo_ptype {
	DMO_PT_INTEGER = 0,
	DMO_PT_DECIMAL,
	DMO_PT_FLOAT,
	DMO_PT_BOOLEAN,
	DMO_PT_DATE,
	DMO_PT_TIMESTAMP,
	DMO_PT_STRING,
	DMO_PT_NESTED,
	DMO_PT_COUNT
};

/* "integer", "decimal", ... "nested"; and "null" for DMO_PT_COUNT. */
const char *dmo_ptype_name(enum dmo_ptype);

struct dmo_profile_opts {
	size_t	exact_limit;	/* distinct values kept exactly (10000) */
	size_t	top;		/* top values reported (10) */
	size_t	max_fields;	/* fields profiled (4096) */
};

#define DMO_PROFILE_EXACT_LIMIT	10000
#define DMO_PROFILE_TOP		10
#define DMO_PROFILE_MAX_FIELDS	4096

struct dmo_profile;

/* opts NULL: the defaults above. */
struct dmo_profile *dmo_profile_new(const struct dmo_profile_opts *);
void	 dmo_profile_free(struct dmo_profile *);

/*
 * Inputs: each record added belongs to the input most recently begun
 * (source is copied); dmo_profile_end_input sets the bytes read from it
 * so far (it may be called again, e.g. before a snapshot).
 */
void	 dmo_profile_begin_input(struct dmo_profile *, const char *source);
void	 dmo_profile_end_input(struct dmo_profile *, unsigned long long bytes);

/* Count one record in every statistic of its fields. */
void	 dmo_profile_add(struct dmo_profile *, const struct dmo_record *);

/* Records and fields profiled so far. */
unsigned long long dmo_profile_records(const struct dmo_profile *);

/*
 * Fold src into dst.  0, or -1 with err set (DMO_EXIT_USAGE) when the
 * two were made with different options (their sketches do not merge).
 */
int	 dmo_profile_merge(struct dmo_profile *dst,
	    const struct dmo_profile *src, struct dmo_err *);

/*
 * The profile as JSON text appended to out, as specified in
 * dmo-profile(1): indented by 2 and ending in a newline when pretty,
 * else one line without newline.  Numbers keep their lexemes (min, max,
 * quantiles of the values as written); computed ones are the shortest
 * text that reads back as the same double.
 */
void	 dmo_profile_json(const struct dmo_profile *, struct dmo_buf *out,
	    int pretty);

/* The same as a document (for reports and checks); the caller frees. */
struct dmo_doc *dmo_profile_doc(const struct dmo_profile *);

/*
 * The state: the profile with its exact tables and sketches, one JSON
 * line, read back by dmo_profile_from_state (NULL with err set, code
 * DMO_EXIT_USAGE, naming what is wrong, for a document that is not a
 * state of this version).
 */
void	 dmo_profile_state(const struct dmo_profile *, struct dmo_buf *out);
struct dmo_profile *dmo_profile_from_state(const struct dmo_doc *,
	    const char *name, struct dmo_err *);

/*
 * A schema in the format dmo-clean reads (dmo-schema(5)), inferred from
 * the profile: types (with "null" where nulls or empties were seen),
 * formats of dates and date-times with their input formats, numeric
 * bounds, string lengths and required fields.  Indented, newline-ended.
 */
void	 dmo_profile_schema(const struct dmo_profile *, struct dmo_buf *out);

/* A readable table, and Markdown, of the profile (for people). */
void	 dmo_profile_table(const struct dmo_profile *, struct dmo_buf *out,
	    int markdown);

#endif
