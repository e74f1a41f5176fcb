/* base64.h - base64 and base64url (RFC 4648): blobs, bytea, ciphertexts. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_BASE64_H
#define DMO_BASE64_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Append the base64 text of p[0..n) to b. */
void	 dmo_base64_encode(struct dmo_buf *b, const void *p, size_t n);

/*
 * Append the bytes that the base64 text p[0..n) encodes to b.  Padding is
 * required; whitespace and other characters are errors.  Returns 0, or -1
 * (b may hold part of the result).
 */
int	 dmo_base64_decode(struct dmo_buf *b, const char *p, size_t n);

/*
 * base64url without padding (RFC 4648 section 5), for ciphertexts.  The
 * encoded length of n bytes is inline: it is asked once a value.
 */
static inline size_t
dmo_b64url_len(size_t n)
{
	return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

void	 dmo_b64url_encode(const void *, size_t, char *out);

/*
 * The widest SIMD code dmo_b64url_encode may use where the CPU has it:
 * 2 AVX2 (the default), 1 SSSE3, 0 the portable code only.  For the
 * tests, which compare them; set it before any thread encodes.
 */
extern int dmo_base64_simd;

/* Decode; -1 on a byte outside the alphabet or an impossible length. */
long	 dmo_b64url_decode(const char *, size_t, uint8_t *out);

#endif
