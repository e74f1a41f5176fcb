/* value.h - lexemes, UTF-8 and JSON text helpers shared by the formats. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_VALUE_H
#define DMO_VALUE_H

#include <stddef.h>

#include "buf.h"
#include "io.h"
#include "record.h"

/* Is p[0..n) a JSON number lexeme (RFC 8259)?  1 yes, 0 no. */
int	 dmo_number_valid(const char *p, size_t n);
/* Length of the longest JSON number lexeme that p[0..n) starts with. */
size_t	 dmo_number_scan(const char *p, size_t n);

/*
 * The type --infer gives a CSV field: DMO_NUMBER for a JSON number lexeme
 * without leading zeros ("007" and "+5" stay strings), DMO_TRUE/FALSE for
 * true/false (also TRUE/True/FALSE/False), DMO_STRING otherwise.  Empty
 * fields are the reader's decision (null).
 */
enum dmo_type dmo_infer(const char *p, size_t n);

/*
 * UTF-8.  dmo_utf8_check returns the length of the longest valid prefix
 * (n when all is valid).  dmo_utf8_replace appends p[0..n) to b with each
 * invalid sequence replaced by U+FFFD (the WHATWG "maximal subpart"
 * rule).  Overlong forms, surrogates and code points past U+10FFFF are
 * invalid.
 */
size_t	 dmo_utf8_check(const char *p, size_t n);
void	 dmo_utf8_replace(struct dmo_buf *b, const char *p, size_t n);

/*
 * JSON text out.  dmo_json_put_string writes p[0..n) as a JSON string
 * (quotes included): '"', '\\' and control bytes escaped (\n, \t, ...,
 * \u0000), everything else as is; invalid UTF-8 becomes U+FFFD so the
 * output is always valid JSON.  dmo_json_put_value writes value i of a
 * record as JSON; dmo_json_put_record the whole record as one compact
 * object without newline.
 */
void	 dmo_json_put_string(struct dmo_out *, const char *p, size_t n);
void	 dmo_json_put_value(struct dmo_out *, const struct dmo_record *,
	    size_t i);
void	 dmo_json_put_record(struct dmo_out *, const struct dmo_record *);
void	 dmo_json_buf_string(struct dmo_buf *, const char *p, size_t n);
/* The same into a buffer: one value of type t, or a whole record. */
void	 dmo_json_buf_value(struct dmo_buf *, enum dmo_type t, const char *p,
	    size_t n);
void	 dmo_json_buf_record(struct dmo_buf *, const struct dmo_record *);

/*
 * The inside of a JSON string, for writers that build a line in place:
 * p[0..n) escaped as dmo_json_put_string does (quotes not included)
 * into o, which has room for DMO_JSON_ESCAPE_ROOM(n) bytes (six for each
 * byte, and a block's worth of scratch past the end); returns the end of
 * what was written.  dmo_json_escape_strict returns NULL at the first
 * byte that is not UTF-8, instead of writing U+FFFD.
 */
#define DMO_JSON_ESCAPE_ROOM(n)	((n) * 6 + 16)

char	*dmo_json_escape(char *o, const char *p, size_t n);
char	*dmo_json_escape_strict(char *o, const char *p, size_t n);

#endif
