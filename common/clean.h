/* clean.h - the cleaning engine of dmo-clean: rules, coercion, validation. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_CLEAN_H
#define DMO_CLEAN_H

#include <stddef.h>

#include "coerce.h"
#include "err.h"
#include "record.h"
#include "schema.h"

/*
 * What to do, from the command line.  The text rules here are the
 * defaults; a schema's top-level x-dmo- rules override them, and a
 * property's override both (dmo-schema(5)).
 */
struct dmo_clean_opts {
	struct dmo_schema	*schema;	/* may be NULL; not owned */
	struct dmo_textrules	 text;		/* -1: not said */
	int			 snake;		/* names to snake_case */
	int			 drop_empty_fields;
	char			**filldown;	/* output names, NULL-ended */
	int			 filldown_all;
};

/*
 * One altered value, for the change log.  before is absent (btype -1)
 * for a field a default added; after is absent (atype -1) for a field
 * removed.  rule names what changed it: one or more of trim, squeeze,
 * nfc, null, integer, number, boolean, string, date, date-time, time,
 * case, scale, default, fill-down, drop-empty, as "trim,integer".
 */
struct dmo_clean_change {
	const char	*field;		/* the output name */
	size_t		 flen;
	int		 btype;		/* enum dmo_type, or -1 */
	const char	*before;
	size_t		 blen;
	int		 atype;		/* enum dmo_type, or -1 */
	const char	*after;
	size_t		 alen;
	const char	*rule;
};

/* Why a record was rejected: the reason, the field and its value. */
struct dmo_clean_fail {
	enum dmo_reason	 reason;
	const char	*field;		/* NULL when no one field */
	size_t		 flen;
	int		 vtype;		/* enum dmo_type, -1 when missing */
	const char	*value;		/* the input value */
	size_t		 vlen;
};

typedef void (*dmo_clean_change_fn)(void *arg,
	    const struct dmo_clean_change *);

struct dmo_clean;

struct dmo_clean *dmo_clean_new(const struct dmo_clean_opts *);
void	 dmo_clean_free(struct dmo_clean *);

/*
 * Clean one record.  Returns 0 with the result in out (*changed 0 when
 * it equals in exactly, names and values, so the caller may pass in on
 * instead), or 1 when the record is rejected: fail says why and err
 * holds the message ("field 'age': not an integer: \"x\"", located at
 * in->loc).  With fn set, fn is called for each altered value of an
 * accepted record, in field order.  The pointers in fail and in the
 * changes are valid until the next call.
 */
int	 dmo_clean_record(struct dmo_clean *, const struct dmo_record *in,
	    struct dmo_record *out, int *changed, dmo_clean_change_fn fn,
	    void *arg, struct dmo_clean_fail *, struct dmo_err *);

#endif
