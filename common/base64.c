/* base64.c - base64 (RFC 4648, with padding) for blobs and bytea. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include "base64.h"

static const char digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
dmo_base64_encode(struct dmo_buf *b, const void *src, size_t n)
{
	const unsigned char *p = src;
	char *o;
	size_t i;

	dmo_buf_grow(b, (n + 2) / 3 * 4);
	o = b->p + b->len;
	for (i = 0; i + 3 <= n; i += 3) {
		*o++ = digits[p[i] >> 2];
		*o++ = digits[(p[i] & 3) << 4 | p[i + 1] >> 4];
		*o++ = digits[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
		*o++ = digits[p[i + 2] & 63];
	}
	if (n - i == 1) {
		*o++ = digits[p[i] >> 2];
		*o++ = digits[(p[i] & 3) << 4];
		*o++ = '=';
		*o++ = '=';
	} else if (n - i == 2) {
		*o++ = digits[p[i] >> 2];
		*o++ = digits[(p[i] & 3) << 4 | p[i + 1] >> 4];
		*o++ = digits[(p[i + 1] & 15) << 2];
		*o++ = '=';
	}
	b->len = (size_t)(o - b->p);
}

static int
value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
dmo_base64_decode(struct dmo_buf *b, const char *p, size_t n)
{
	size_t i;
	int v[4], k, pad;

	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		pad = 0;
		for (k = 0; k < 4; k++) {
			if (p[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad > 0 || (v[k] = value(
			    (unsigned char)p[i + k])) < 0)
				return -1;
		}
		dmo_buf_addc(b, v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			dmo_buf_addc(b, (v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			dmo_buf_addc(b, (v[2] & 3) << 6 | v[3]);
	}
	return 0;
}
