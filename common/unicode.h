/* unicode.h - Unicode normalisation, case mapping and lengths (utf8proc). */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_UNICODE_H
#define DMO_UNICODE_H

#include <stddef.h>

#include "buf.h"

/*
 * All take valid UTF-8 (the readers' policy sees to that) and append the
 * result to out.  They return 1 when the text changed, 0 when it is the
 * same (out then holds a copy), -1 when the input is not valid UTF-8
 * (out unchanged).  ASCII text takes a fast path that never calls
 * utf8proc.
 */
int	 dmo_uni_nfc(const char *p, size_t n, struct dmo_buf *out);
int	 dmo_uni_lower(const char *p, size_t n, struct dmo_buf *out);
int	 dmo_uni_upper(const char *p, size_t n, struct dmo_buf *out);
/* Case folding (for caseless comparison), then NFC. */
int	 dmo_uni_fold(const char *p, size_t n, struct dmo_buf *out);

/* Code points in valid UTF-8 (what JSON Schema's lengths count). */
size_t	 dmo_uni_length(const char *p, size_t n);

/*
 * Terminal columns of p[0..n): wide characters (CJK, most emoji) take
 * two, combining marks and other zero-width characters none, as
 * utf8proc's East Asian Width tables say.  A byte that does not start
 * valid UTF-8 counts as one column.
 */
size_t	 dmo_uni_width(const char *p, size_t n);

/* The version of utf8proc's Unicode tables, e.g. "15.0.0". */
const char *dmo_uni_version(void);

#endif
