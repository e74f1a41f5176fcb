/* base64.h - base64 (RFC 4648, with padding) for blobs and bytea. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_BASE64_H
#define DMO_BASE64_H

#include <stddef.h>

#include "buf.h"

/* Append the base64 text of p[0..n) to b. */
void	 dmo_base64_encode(struct dmo_buf *b, const void *p, size_t n);

/*
 * Append the bytes that the base64 text p[0..n) encodes to b.  Padding is
 * required; whitespace and other characters are errors.  Returns 0, or -1
 * (b may hold part of the result).
 */
int	 dmo_base64_decode(struct dmo_buf *b, const char *p, size_t n);

#endif
