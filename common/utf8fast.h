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

#endif
