/* utf8fast.h - UTF-8 checks that skip ASCII 16 bytes at a time. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_UTF8FAST_H
#define DMO_UTF8FAST_H

#include <stddef.h>

/*
 * The same answer as dmo_utf8_check (value.h): the length of the longest
 * valid UTF-8 prefix of p[0..n).  For the hot paths of the readers (a CSV
 * line, a binary frame's payload), where text is mostly ASCII with a few
 * accented letters: ASCII is skipped 16 bytes at a time with SSE2 (part
 * of x86-64; elsewhere a word at a time) and the next sequence is found
 * at once, not a byte at a time.  tests/unit/test_utf8fast.c checks it
 * against dmo_utf8_check.
 */
size_t	 dmo_utf8_check_fast(const char *p, size_t n);

/*
 * The well-formed sequences (Unicode, table 3-7): the lead byte decides
 * the length and the range of the second byte; later bytes are 80..BF.
 * For s[0] >= 0x80: the length of the valid sequence at s[0], or minus
 * the length of its maximal subpart (at least 1 byte) when it is
 * invalid, which is what one U+FFFD replaces (dmo_utf8_replace).
 */
static inline long
dmo_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0xc2)
		return -1;	/* continuation byte, or overlong C0/C1 */
	if (c < 0xe0)
		len = 2;
	else if (c < 0xf0) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (c < 0xf5) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;	/* past U+10FFFF */
	} else
		return -1;
	if (n >= len && s[1] >= lo && s[1] <= hi) {
		for (i = 2; i < len; i++)
			if (s[i] < 0x80 || s[i] > 0xbf)
				return -(long)i;
		return (long)len;
	}
	/* A bad second byte, or cut short by the end of the text. */
	if (n < 2 || s[1] < lo || s[1] > hi)
		return -1;
	for (i = 2; i < n && s[i] >= 0x80 && s[i] <= 0xbf; i++)
		continue;
	return -(long)i;
}

#endif
