/* coerce.c - text to typed values, locale-independent, and the checks. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>

#include "coerce.h"
#include "value.h"

const char *
dmo_reason_name(enum dmo_reason r)
{
	static const char *const names[] = {
		"NONE", "TYPE", "REQUIRED", "PATTERN", "RANGE", "ENUM",
		"CONST", "LENGTH", "FORMAT", "SCALE", "DUPLICATE",
		"EXTRA_FIELD", "ENCODING", "EMPTY", "RAGGED", "READ"
	};

	return (size_t)r < sizeof(names) / sizeof(names[0]) ? names[r] :
	    "UNKNOWN";
}

size_t
dmo_ws_at(const char *p, size_t n)
{
	if (n == 0)
		return 0;
	switch (p[0]) {
	case ' ':
	case '\t':
	case '\n':
	case '\r':
	case '\v':
	case '\f':
		return 1;
	case '\xc2':
		return n >= 2 && p[1] == '\xa0' ? 2 : 0;
	default:
		return 0;
	}
}

void
dmo_trim(const char **pp, size_t *np)
{
	const char *p = *pp;
	size_t n = *np, k;

	while ((k = dmo_ws_at(p, n)) > 0) {
		p += k;
		n -= k;
	}
	for (;;) {
		if (n >= 1 && dmo_ws_at(p + n - 1, 1) == 1)
			n--;
		else if (n >= 2 && p[n - 2] == '\xc2' && p[n - 1] == '\xa0')
			n -= 2;
		else
			break;
	}
	*pp = p;
	*np = n;
}

void
dmo_squeeze(const char *p, size_t n, struct dmo_buf *out)
{
	size_t i = 0, k;

	while (i < n) {
		if ((k = dmo_ws_at(p + i, n - i)) > 0) {
			dmo_buf_addc(out, ' ');
			i += k;
			while ((k = dmo_ws_at(p + i, n - i)) > 0)
				i += k;
		} else
			dmo_buf_addc(out, p[i++]);
	}
}

enum dmo_reason
dmo_coerce_integer(const char *p, size_t n, struct dmo_dec *d,
    struct dmo_buf *out, const char **why)
{
	long long v;
	int rc;
	size_t i, s;

	dmo_trim(&p, &n);
	/* The common case: already a plain integer of up to 18 digits. */
	s = n > 0 && p[0] == '-' ? 1 : 0;
	if (n > s && n - s <= 18 && (p[s] != '0' || n - s == 1) &&
	    !(s == 1 && p[1] == '0')) {
		for (i = s; i < n && p[i] >= '0' && p[i] <= '9'; i++)
			;
		if (i == n) {
			dmo_buf_add(out, p, n);
			return DMO_REASON_NONE;
		}
	}
	if (dmo_dec_parse(d, p, n) != 0) {
		*why = "not an integer";
		return DMO_REASON_TYPE;
	}
	if ((rc = dmo_dec_int64(d, &v)) == -1) {
		*why = "not an integer (it has a fraction)";
		return DMO_REASON_TYPE;
	}
	if (rc == -2) {
		*why = "integer out of range (64 bits)";
		return DMO_REASON_RANGE;
	}
	{
		char tmp[24];
		unsigned long long u = v < 0 ? 0 - (unsigned long long)v :
		    (unsigned long long)v;
		int k = sizeof(tmp);

		do {
			tmp[--k] = (char)('0' + u % 10);
			u /= 10;
		} while (u > 0);
		if (v < 0)
			tmp[--k] = '-';
		dmo_buf_add(out, tmp + k, sizeof(tmp) - (size_t)k);
	}
	return DMO_REASON_NONE;
}

enum dmo_reason
dmo_coerce_number(const char *p, size_t n, struct dmo_buf *out,
    const char **why)
{
	size_t start = out->len;

	dmo_trim(&p, &n);
	if (dmo_number_valid(p, n)) {
		dmo_buf_add(out, p, n);
		return DMO_REASON_NONE;
	}
	if (dmo_dec_canon(p, n, out) != 0) {
		out->len = start;
		*why = "not a number";
		return DMO_REASON_TYPE;
	}
	return DMO_REASON_NONE;
}

static int
in_list(const char *p, size_t n, const char *const *list)
{
	size_t i, j;

	for (i = 0; list[i] != NULL; i++) {
		if (((unsigned char)list[i][0] | 0x20) !=
		    ((unsigned char)(n > 0 ? p[0] : 0) | 0x20) ||
		    strlen(list[i]) != n)
			continue;
		for (j = 0; j < n; j++) {
			int a = (unsigned char)p[j], b = (unsigned char)list[i][j];

			if (a >= 'A' && a <= 'Z')
				a += 32;
			if (b >= 'A' && b <= 'Z')
				b += 32;
			if (a != b)
				break;
		}
		if (j == n)
			return 1;
	}
	return 0;
}

int
dmo_coerce_bool(const char *p, size_t n, const char *const *tlist,
    const char *const *flist)
{
	static const char *const t[] = { "true", "t", "yes", "y", "on", "1", NULL };
	static const char *const f[] = { "false", "f", "no", "n", "off", "0", NULL };

	dmo_trim(&p, &n);
	if (in_list(p, n, tlist != NULL ? tlist : t))
		return DMO_TRUE;
	if (in_list(p, n, flist != NULL ? flist : f))
		return DMO_FALSE;
	return -1;
}

/* Bytes of an e-mail address: 1 local part, 2 domain label, 3 both. */
static unsigned char email_class[256];

static void
email_init(void)
{
	const char *s;
	int c;

	if (email_class['a'] != 0)
		return;
	for (c = 0; c < 256; c++)
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c >= 0x80)
			email_class[c] = 3;
	for (s = "!#$%&'*+/=?^_`{|}~"; *s != '\0'; s++)
		email_class[(unsigned char)*s] = 1;
	email_class['-'] = 3;
}

static int
atext(int c)
{
	return email_class[c] & 1;
}

int
dmo_format_email(const char *p, size_t n)
{
	const char *at = memchr(p, '@', n);
	size_t i, llen, label = 0;

	email_init();
	if (at == NULL || memchr(at + 1, '@', n - (size_t)(at - p) - 1))
		return 0;
	llen = (size_t)(at - p);
	if (llen == 0 || llen > 64 || p[0] == '.' || p[llen - 1] == '.')
		return 0;
	for (i = 0; i < llen; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '.' ? p[i + 1] == '.' : !atext(c))
			return 0;
	}
	/* Domain: dot-separated labels of letters, digits and hyphens. */
	if (llen + 1 >= n || n - llen - 1 > 253)
		return 0;
	for (i = llen + 1; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)p[i] : '.';

		if (c == '.') {
			if (label == 0 || label > 63 || p[i - 1] == '-')
				return 0;
			label = 0;
		} else if ((email_class[c] & 2) && (c != '-' || label > 0))
			label++;
		else
			return 0;
	}
	return 1;
}

int
dmo_format_uri(const char *p, size_t n)
{
	size_t i = 0;

	if (n == 0 || !((p[0] >= 'a' && p[0] <= 'z') ||
	    (p[0] >= 'A' && p[0] <= 'Z')))
		return 0;
	while (i < n && ((p[i] >= 'a' && p[i] <= 'z') ||
	    (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') ||
	    p[i] == '+' || p[i] == '-' || p[i] == '.'))
		i++;
	if (i >= n || p[i] != ':' || i + 1 >= n)
		return 0;
	for (i++; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		/* RFC 3986 characters; others must be percent-encoded. */
		if (c <= 0x20 || c >= 0x7f || strchr("\"<>\\^`{|}", c) != NULL)
			return 0;
		if (c == '%' && (i + 2 >= n || !((p[i + 1] >= '0' &&
		    p[i + 1] <= '9') || ((p[i + 1] | 0x20) >= 'a' &&
		    (p[i + 1] | 0x20) <= 'f')) || !((p[i + 2] >= '0' &&
		    p[i + 2] <= '9') || ((p[i + 2] | 0x20) >= 'a' &&
		    (p[i + 2] | 0x20) <= 'f'))))
			return 0;
	}
	return 1;
}

int
dmo_format_uuid(const char *p, size_t n)
{
	size_t i;

	if (n != 36)
		return 0;
	for (i = 0; i < n; i++) {
		int c = p[i] | 0x20;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (p[i] != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return 0;
	}
	return 1;
}

int
dmo_format_ipv4(const char *p, size_t n)
{
	size_t i = 0;
	int part, k, v;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= n || p[i] != '.')
				return 0;
			i++;
		}
		for (k = 0, v = 0; i < n && p[i] >= '0' && p[i] <= '9' && k < 4;
		    k++, i++)
			v = v * 10 + (p[i] - '0');
		/* No leading zeros: "010" is octal to some, decimal to others. */
		if (k == 0 || k > 3 || v > 255 || (k > 1 && p[i - k] == '0'))
			return 0;
	}
	return i == n;
}

void
dmo_snake_case(const char *p, size_t n, struct dmo_buf *out)
{
	size_t i, start = out->len;
	int sep = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		int upper = c >= 'A' && c <= 'Z';
		int lower = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!upper && !lower && c < 0x80) {
			sep = 1;
			continue;
		}
		if (upper && i > 0 && out->len > start) {
			unsigned char prev = (unsigned char)p[i - 1];
			unsigned char next = i + 1 < n ? (unsigned char)p[i + 1] : 0;

			/* fooBar -> foo_bar; HTTPServer -> http_server. */
			if ((prev >= 'a' && prev <= 'z') ||
			    (prev >= 'A' && prev <= 'Z' && next >= 'a' &&
			    next <= 'z'))
				sep = 1;
		}
		if (sep && out->len > start)
			dmo_buf_addc(out, '_');
		sep = 0;
		dmo_buf_addc(out, upper ? c + 32 : c);
	}
	if (out->len == start)
		dmo_buf_adds(out, "field");
}
