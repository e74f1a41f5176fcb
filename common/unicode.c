/* unicode.c - Unicode normalisation, case mapping and lengths (utf8proc). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "unicode.h"

static int
ascii(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			return 0;
	return 1;
}

static int
same_or_changed(const char *p, size_t n, const char *q, size_t m,
    struct dmo_buf *out)
{
	dmo_buf_add(out, q, m);
	return m != n || memcmp(p, q, n) != 0;
}

/* Map p[0..n) with utf8proc options; NUL bytes pass (one chunk each). */
static int
map(const char *p, size_t n, utf8proc_option_t opts, struct dmo_buf *out)
{
	size_t start = out->len, i = 0;
	int changed = 0;

	while (i <= n) {
		const char *nul = memchr(p + i, '\0', n - i);
		size_t len = nul != NULL ? (size_t)(nul - (p + i)) : n - i;
		utf8proc_uint8_t *res = NULL;
		utf8proc_ssize_t got;

		if (len > 0) {
			got = utf8proc_map((const utf8proc_uint8_t *)p + i,
			    (utf8proc_ssize_t)len, &res, opts);
			if (got < 0) {
				out->len = start;
				return -1;
			}
			if ((size_t)got != len || memcmp(res, p + i, len) != 0)
				changed = 1;
			dmo_buf_add(out, res, (size_t)got);
			free(res);
		}
		if (nul == NULL)
			break;
		dmo_buf_addc(out, '\0');
		i += len + 1;
	}
	return changed;
}

int
dmo_uni_nfc(const char *p, size_t n, struct dmo_buf *out)
{
	if (ascii(p, n))
		return same_or_changed(p, n, p, n, out);
	return map(p, n, UTF8PROC_STABLE | UTF8PROC_COMPOSE, out);
}

static int
ascii_case(const char *p, size_t n, int upper, struct dmo_buf *out)
{
	size_t i, start = out->len;
	int changed = 0;

	dmo_buf_add(out, p, n);
	for (i = 0; i < n; i++) {
		char *c = out->p + start + i;

		if (upper && *c >= 'a' && *c <= 'z') {
			*c = (char)(*c - 32);
			changed = 1;
		} else if (!upper && *c >= 'A' && *c <= 'Z') {
			*c = (char)(*c + 32);
			changed = 1;
		}
	}
	return changed;
}

/* Map each code point through fn; the text stays in NFC. */
static int
case_map(const char *p, size_t n, utf8proc_int32_t (*fn)(utf8proc_int32_t),
    struct dmo_buf *out)
{
	size_t start = out->len, i = 0;
	struct dmo_buf tmp = DMO_BUF_INIT;
	int rc;

	while (i < n) {
		utf8proc_int32_t cp;
		utf8proc_uint8_t enc[4];
		utf8proc_ssize_t k = utf8proc_iterate(
		    (const utf8proc_uint8_t *)p + i, (utf8proc_ssize_t)(n - i),
		    &cp);

		if (k <= 0) {
			out->len = start;
			dmo_buf_release(&tmp);
			return -1;
		}
		cp = fn(cp);
		dmo_buf_add(&tmp, enc, (size_t)utf8proc_encode_char(cp, enc));
		i += (size_t)k;
	}
	rc = dmo_uni_nfc(tmp.p != NULL ? tmp.p : "", tmp.len, out);
	dmo_buf_release(&tmp);
	if (rc < 0) {
		out->len = start;
		return -1;
	}
	return out->len - start != n || memcmp(out->p + start, p, n) != 0;
}

int
dmo_uni_lower(const char *p, size_t n, struct dmo_buf *out)
{
	size_t i, start = out->len;
	int changed = 0;
	char *q;

	/* One pass for ASCII, the common case; utf8proc for the rest. */
	dmo_buf_grow(out, n);
	q = out->p + start;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x80)
			return case_map(p, n, utf8proc_tolower, out);
		if (c >= 'A' && c <= 'Z') {
			c += 32;
			changed = 1;
		}
		q[i] = (char)c;
	}
	out->len += n;
	return changed;
}

int
dmo_uni_upper(const char *p, size_t n, struct dmo_buf *out)
{
	if (ascii(p, n))
		return ascii_case(p, n, 1, out);
	return case_map(p, n, utf8proc_toupper, out);
}

int
dmo_uni_fold(const char *p, size_t n, struct dmo_buf *out)
{
	if (ascii(p, n))
		return ascii_case(p, n, 0, out);
	return map(p, n, UTF8PROC_STABLE | UTF8PROC_COMPOSE |
	    UTF8PROC_CASEFOLD, out);
}

size_t
dmo_uni_length(const char *p, size_t n)
{
	size_t i, k = 0;

	/* Count the bytes that start a code point. */
	for (i = 0; i < n; i++)
		if (((unsigned char)p[i] & 0xc0) != 0x80)
			k++;
	return k;
}

size_t
dmo_uni_width(const char *p, size_t n)
{
	const utf8proc_uint8_t *u = (const utf8proc_uint8_t *)p;
	utf8proc_int32_t cp;
	utf8proc_ssize_t len;
	size_t i = 0, w = 0;

	while (i < n) {
		if (u[i] < 0x80) {
			w += u[i] >= 0x20 && u[i] != 0x7f;
			i++;
			continue;
		}
		len = utf8proc_iterate(u + i, (utf8proc_ssize_t)(n - i), &cp);
		if (len <= 0) {
			w++;
			i++;
			continue;
		}
		w += (size_t)utf8proc_charwidth(cp);
		i += (size_t)len;
	}
	return w;
}

const char *
dmo_uni_version(void)
{
	return utf8proc_unicode_version();
}
