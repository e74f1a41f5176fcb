/* value.c - number lexemes, type inference for CSV fields, UTF-8 checks. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdint.h>
#include <string.h>

#include "utf8fast.h"
#include "value.h"

/*
 * A JSON number (RFC 8259 section 6):
 *	-? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?
 * "-0" and "1e400" are numbers; "01", "1.", ".5" and "+1" are not.
 */
size_t
dmo_number_scan(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	const unsigned char *e = s + n, *t;

	if (s < e && *s == '-')
		s++;
	if (s == e)
		return 0;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (s < e && *s >= '0' && *s <= '9')
			s++;
	else
		return 0;
	/* A fraction or an exponent counts only when it is whole. */
	if (s + 1 < e && *s == '.' && s[1] >= '0' && s[1] <= '9') {
		s += 2;
		while (s < e && *s >= '0' && *s <= '9')
			s++;
	}
	if (s < e && (*s == 'e' || *s == 'E')) {
		t = s + 1;
		if (t < e && (*t == '+' || *t == '-'))
			t++;
		if (t < e && *t >= '0' && *t <= '9') {
			while (t < e && *t >= '0' && *t <= '9')
				t++;
			s = t;
		}
	}
	return (size_t)(s - (const unsigned char *)p);
}

int
dmo_number_valid(const char *p, size_t n)
{
	return n > 0 && dmo_number_scan(p, n) == n;
}

enum dmo_type
dmo_infer(const char *p, size_t n)
{
	if (n == 0)
		return DMO_STRING;
	if ((p[0] >= '0' && p[0] <= '9') || p[0] == '-')
		return dmo_number_valid(p, n) ? DMO_NUMBER : DMO_STRING;
	if (n == 4 && (memcmp(p, "true", 4) == 0 || memcmp(p, "True", 4) == 0 ||
	    memcmp(p, "TRUE", 4) == 0))
		return DMO_TRUE;
	if (n == 5 && (memcmp(p, "false", 5) == 0 ||
	    memcmp(p, "False", 5) == 0 || memcmp(p, "FALSE", 5) == 0))
		return DMO_FALSE;
	return DMO_STRING;
}

#define HIGHBITS	UINT64_C(0x8080808080808080)

size_t
dmo_utf8_check(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0;

	for (;;) {
		uint64_t w;
		long k;

		/* ASCII runs, eight bytes at a time. */
		while (n - i >= 8) {
			memcpy(&w, s + i, 8);
			if ((w & HIGHBITS) != 0)
				break;
			i += 8;
		}
		while (i < n && s[i] < 0x80)
			i++;
		if (i == n)
			return n;
		k = dmo_utf8_seq(s + i, n - i);
		if (k < 0)
			return i;
		i += (size_t)k;
	}
}

void
dmo_utf8_replace(struct dmo_buf *b, const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, start = 0;

	while (i < n) {
		long k;

		if (s[i] < 0x80) {
			i++;
			continue;
		}
		k = dmo_utf8_seq(s + i, n - i);
		if (k > 0) {
			i += (size_t)k;
			continue;
		}
		dmo_buf_add(b, p + start, i - start);
		dmo_buf_add(b, "\xef\xbf\xbd", 3);
		i += (size_t)-k;
		start = i;
	}
	dmo_buf_add(b, p + start, n - start);
}
