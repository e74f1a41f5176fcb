/* coerce.h - text to typed values, locale-independent, and the checks. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_COERCE_H
#define DMO_COERCE_H

#include <stddef.h>

#include "buf.h"
#include "decimal.h"
#include "record.h"

/*
 * Reasons a record is rejected (dmo-clean(1), the "code" of a reject).
 * dmo_reason_name gives the code as written: "TYPE", "REQUIRED", ...
 */
enum dmo_reason {
	DMO_REASON_NONE = 0,
	DMO_REASON_TYPE,	/* not coercible to the declared type */
	DMO_REASON_REQUIRED,	/* a required field missing or null */
	DMO_REASON_PATTERN,	/* does not match pattern */
	DMO_REASON_RANGE,	/* outside minimum/maximum, or int64 */
	DMO_REASON_ENUM,	/* not one of enum */
	DMO_REASON_CONST,	/* not the const */
	DMO_REASON_LENGTH,	/* minLength/maxLength */
	DMO_REASON_FORMAT,	/* date, date-time, email, ... */
	DMO_REASON_SCALE,	/* more decimals than x-dmo-scale allows */
	DMO_REASON_DUPLICATE,	/* dedupe: seen before */
	DMO_REASON_EXTRA_FIELD,	/* additionalProperties: false */
	DMO_REASON_ENCODING,	/* invalid UTF-8 */
	DMO_REASON_EMPTY,	/* --drop-empty-records */
	DMO_REASON_RAGGED,	/* a CSV row with the wrong field count */
	DMO_REASON_READ		/* any other unreadable record */
};

const char *dmo_reason_name(enum dmo_reason);

/* ASCII white space and U+00A0 (no-break space), which spreadsheets add. */
size_t	 dmo_ws_at(const char *p, size_t n);	/* its length at p, or 0 */

/* The span left after trimming white space at both ends. */
void	 dmo_trim(const char **p, size_t *n);

/* Append p[0..n) with each run of white space made one space. */
void	 dmo_squeeze(const char *p, size_t n, struct dmo_buf *out);

/*
 * An integer: any decimal of dmo_dec_parse (so "007", "+7", "1e3" and
 * "1.0") whose value is integral and fits in 64 bits, written in its
 * plain form ("7", "1000", "1"; "-0" is "0").  White space around the
 * text is ignored.  Returns DMO_REASON_NONE, DMO_REASON_TYPE (not a
 * number, or a fraction) or DMO_REASON_RANGE.
 */
enum dmo_reason dmo_coerce_integer(const char *p, size_t n,
	    struct dmo_dec *tmp, struct dmo_buf *out, const char **why);

/*
 * A number, kept exact: a valid JSON lexeme stays as it is ("1e3",
 * "12.30", "-0"); other decimal text becomes the nearest JSON lexeme of
 * the same digits ("+5" -> "5", ".5" -> "0.5", "007.50" -> "7.50").
 */
enum dmo_reason dmo_coerce_number(const char *p, size_t n,
	    struct dmo_buf *out, const char **why);

/*
 * A boolean.  The default spellings, any case: true, t, yes, y, on, 1 and
 * false, f, no, n, off, 0.  With tlist/flist (NULL-ended, compared without
 * regard to ASCII case) those lists replace the defaults.  Returns
 * DMO_TRUE, DMO_FALSE, or -1.
 */
int	 dmo_coerce_bool(const char *p, size_t n, const char *const *tlist,
	    const char *const *flist);

/* Formats: 1 valid, 0 not (dmo-schema(5) says exactly what each takes). */
int	 dmo_format_email(const char *p, size_t n);
/*
 * For an address that lower-casing keeps (ASCII without capitals): 1
 * when it is one and dmo_format_email says valid; 0 not sure (other
 * bytes, capitals, invalid): then ask dmo_format_email.  A fast path.
 */
int	 dmo_format_email_lower(const char *p, size_t n);
int	 dmo_format_uri(const char *p, size_t n);
int	 dmo_format_uuid(const char *p, size_t n);
int	 dmo_format_ipv4(const char *p, size_t n);

/*
 * A header name in snake_case: lower case, words split at spaces,
 * punctuation and lowerUpper changes, joined by "_", no "_" at either
 * end; non-ASCII letters kept.  An empty result is "field".
 */
void	 dmo_snake_case(const char *p, size_t n, struct dmo_buf *out);

#endif
