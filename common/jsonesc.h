/* jsonesc.h - JSON string escaping: the fast path, inline for writers. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_JSONESC_H
#define DMO_JSONESC_H

/*
 * value.h has the functions (dmo_json_escape, dmo_json_put_string, ...).
 * This header is for the few writers that build a whole line in place
 * and escape many short values a line (the SQLite source): inline, the
 * fast path costs less than the call to it.  The general loop,
 * dmo_json_escape_slow, stays in ndjson.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "bytes.h"
#include "value.h"

#define DMO_JSON_ONES	0x0101010101010101ULL
#define DMO_JSON_HIGHS	0x8080808080808080ULL

char	*dmo_json_escape_slow(char *o, const char *p, size_t i, size_t n,
	    int strict);

/*
 * The bytes of the word v that need a look when escaping (a control
 * byte, '"', '\\', or the high bit set), as their high bits: the test
 * of ndjson.c's stop8 in fewer steps.  The "& ~x" terms of the classic
 * tricks only clear the high bit of bytes that have it set in v, and
 * those bytes need a look anyway (the "| v").  A borrow only starts at a byte that needs a
 * look, so the mask is zero exactly when no byte does, and its lowest
 * byte flagged (on a little-endian machine, the first in memory) is
 * always a true one; bytes above it may be flagged falsely.
 */
static inline uint64_t
dmo_json_stop_mask(uint64_t v)
{
	uint64_t q = v ^ (DMO_JSON_ONES * '"');
	uint64_t b = v ^ (DMO_JSON_ONES * '\\');

	return ((v - DMO_JSON_ONES * 0x20) | (q - DMO_JSON_ONES) |
	    (b - DMO_JSON_ONES) | v) & DMO_JSON_HIGHS;
}

/* Index of the first byte of p that the nonzero stop_mask m flags. */
static inline size_t
dmo_json_first_stop(const char *p, uint64_t m)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	(void)p;
	return (size_t)__builtin_ctzll(m) >> 3;
#else
	size_t k = 0;

	(void)m;
	while (dmo_json_stop_mask((unsigned char)p[k] |
	    DMO_JSON_ONES * ' ' << 8) == 0)
		k++;
	return k;
#endif
}

#ifdef __SSE2__
/*
 * SSE2 (every x86-64): the stop bits of sixteen bytes at once.  A signed
 * compare with 0x20 catches both the control bytes and those with the
 * high bit set (negative as signed).
 */
static inline unsigned
dmo_json_stop16(__m128i v)
{
	__m128i s = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
	    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
	    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));

	return (unsigned)_mm_movemask_epi8(s);
}
#endif

/*
 * Escape p[0..n) into o (room for DMO_JSON_ESCAPE_ROOM(n) bytes);
 * returns the end of the output, or NULL (strict only) at invalid UTF-8.
 *
 * Most values are short and plain (ASCII, nothing to escape), and a
 * loop spends more on a short value's last few bytes than on its checks.
 * So a value is first checked whole, in words: blocks of sixteen bytes
 * (SSE2) or eight, then the tail as one more block that overlaps what
 * came before; under the block size, two overlapping loads of half of it
 * (or of four or two bytes, with spaces in the unused lanes: a space
 * needs no escape).  Plain bytes come out as they went in, so
 * overlapping stores write the same bytes twice.  The first block that
 * needs a look hands over to escape_slow, at the start of that block,
 * with every byte before it already written.
 */
static inline __attribute__((always_inline)) char *
dmo_json_escape_inline(char *o, const char *p, size_t n, int strict)
{
	size_t i = 0;

#ifdef __SSE2__
	if (n >= 16) {
		__m128i v;

		for (; n - i >= 16; i += 16) {
			v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
			if (dmo_json_stop16(v) != 0)
				return dmo_json_escape_slow(o + i, p, i, n, strict);
			_mm_storeu_si128((__m128i *)(void *)(o + i), v);
		}
		if (i < n) {
			v = _mm_loadu_si128((const __m128i *)(const void *)
			    (p + n - 16));
			if (dmo_json_stop16(v) != 0)
				return dmo_json_escape_slow(o + i, p, i, n, strict);
			_mm_storeu_si128((__m128i *)(void *)(o + n - 16), v);
		}
		return o + n;
	}
	if (n >= 8) {
		uint64_t lo = dmo_load64(p), hi = dmo_load64(p + n - 8);

		if (dmo_json_stop16(_mm_set_epi64x((long long)hi, (long long)lo)) != 0)
			return dmo_json_escape_slow(o, p, 0, n, strict);
		memcpy(o, &lo, 8);
		memcpy(o + n - 8, &hi, 8);
		return o + n;
	}
#else
	if (n >= 8) {
		uint64_t v;

		for (; n - i >= 8; i += 8) {
			if (dmo_json_stop_mask(v = dmo_load64(p + i)) != 0)
				return dmo_json_escape_slow(o + i, p, i, n, strict);
			memcpy(o + i, &v, 8);
		}
		if (i < n) {
			if (dmo_json_stop_mask(v = dmo_load64(p + n - 8)) != 0)
				return dmo_json_escape_slow(o + i, p, i, n, strict);
			memcpy(o + n - 8, &v, 8);
		}
		return o + n;
	}
#endif
	if (n >= 4) {
		uint32_t lo = dmo_load32(p), hi = dmo_load32(p + n - 4);

		if (dmo_json_stop_mask(lo | (uint64_t)hi << 32) != 0)
			return dmo_json_escape_slow(o, p, 0, n, strict);
		memcpy(o, &lo, 4);
		memcpy(o + n - 4, &hi, 4);
		return o + n;
	}
	if (n >= 2) {
		uint16_t lo = dmo_load16(p), hi = dmo_load16(p + n - 2);

		if (dmo_json_stop_mask(lo | (uint64_t)hi << 16 |
		    DMO_JSON_ONES * ' ' << 32) != 0)
			return dmo_json_escape_slow(o, p, 0, n, strict);
		memcpy(o, &lo, 2);
		memcpy(o + n - 2, &hi, 2);
		return o + n;
	}
	if (n == 1) {
		if (dmo_json_stop_mask((unsigned char)p[0] |
		    DMO_JSON_ONES * ' ' << 8) != 0)
			return dmo_json_escape_slow(o, p, 0, n, strict);
		*o++ = p[0];
	}
	return o;
}

#endif
