/* repair.h - mend CSV rows that a stray line break split in two. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_REPAIR_H
#define DMO_REPAIR_H

#include <stddef.h>

#include "buf.h"
#include "record.h"

/*
 * Split one CSV row (RFC 4180: fields in double quotes may hold the
 * delimiter, quotes doubled, line breaks) into fields: their decoded
 * bytes go to vals, NUL-separated, and spans[i] says where field i is.
 * A line end (LF or CRLF) at the end is not part of the row.  Returns
 * the number of fields (which may exceed max: only max are stored), or
 * -1 when a quote is not closed.
 */
long	 dmo_csv_split(const char *p, size_t n, int delim, struct dmo_buf *vals,
	    struct dmo_span *spans, size_t max);

/*
 * Join two short rows, a and b, of na and nb fields, read from a file of
 * ncols columns, when na + nb - 1 == ncols: the last field of a and the
 * first of b are one field that a stray line break cut.  The delimiter is
 * the one of , tab ; | that splits a into na and b into nb fields.  On
 * success rec holds the joined row as strings named by names (ncols
 * spans into namebuf), *field the joined field's index, before (if not
 * NULL) the two parts with the line break between them, and 0 is
 * returned; -1 when the rows do not join.  The parts are joined by one
 * space when both are non-empty, so "12 Main St" and "Apt 4" become
 * "12 Main St Apt 4"; the line break was the stray.
 */
int	 dmo_csv_join(const char *a, size_t alen, size_t na, const char *b,
	    size_t blen, size_t nb, const struct dmo_buf *namebuf,
	    const struct dmo_span *names, size_t ncols, struct dmo_record *rec,
	    size_t *field, struct dmo_buf *before);

#endif
