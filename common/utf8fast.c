/* utf8fast.c - UTF-8 checks that skip ASCII 16 bytes at a time. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "utf8fast.h"

/* The offset of the first byte over 0x7f in s[i..n), or n. */
static inline size_t
skip_ascii(const unsigned char *s, size_t i, size_t n)
{
#if defined(__SSE2__)
	while (n - i >= 16) {
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_loadu_si128(
		    (const __m128i *)(const void *)(s + i)));

		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
		i += 16;
	}
	if (i < n && n >= 16) {
		/* The tail: the last 16 bytes, from i on. */
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_loadu_si128(
		    (const __m128i *)(const void *)(s + n - 16))) >>
		    (16 - (n - i));

		return m != 0 ? i + (size_t)__builtin_ctz(m) : n;
	}
#else
	while (n - i >= 8) {
		uint64_t w;

		memcpy(&w, s + i, 8);
		if ((w & UINT64_C(0x8080808080808080)) != 0)
			break;
		i += 8;
	}
#endif
	while (i < n && s[i] < 0x80)
		i++;
	return i;
}

size_t
dmo_utf8_check_fast(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0;
	long k;

	for (;;) {
		i = skip_ascii(s, i, n);
		if (i == n)
			return n;
		/* A run of sequences (a word in Greek, a CJK text). */
		do {
			if ((k = dmo_utf8_seq(s + i, n - i)) < 0)
				return i;
			i += (size_t)k;
		} while (i < n && s[i] >= 0x80);
	}
}
