/* coerce.c - text to typed values, locale-independent, and the checks. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

static pthread_once_t email_once = PTHREAD_ONCE_INIT;

/* Once (pthread_once): cleaning threads may validate addresses at once. */
static void
email_init(void)
{
	const char *s;
	int c;

	for (c = 0; c < 256; c++)
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c >= 0x80)
			email_class[c] = 3;
	for (s = "!#$%&'*+/=?^_`{|}~"; *s != '\0'; s++)
		email_class[(unsigned char)*s] = 1;
	email_class['-'] = 3;
}

#ifdef __SSE2__
/*
 * An address as bit masks (bit i for byte i) of '.', '-', '@', and '_'
 * or '+' (local part only); bad collects bytes that are none of these
 * nor letters, digits or bytes of 0x80 or more; caps capitals and bytes
 * of 0x80 or more.
 */
struct emask {
	uint64_t	 dot, dash, at, us;
	__m128i		 bad, caps;
};

static inline void
email16(const char *p, int shift, struct emask *m)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i l = _mm_sub_epi8(_mm_or_si128(x, _mm_set1_epi8(0x20)),
	    _mm_set1_epi8('a'));
	__m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
	__m128i u = _mm_sub_epi8(x, _mm_set1_epi8('A'));
	__m128i k25 = _mm_set1_epi8(25);
	__m128i dot = _mm_cmpeq_epi8(x, _mm_set1_epi8('.'));
	__m128i dash = _mm_cmpeq_epi8(x, _mm_set1_epi8('-'));
	__m128i at = _mm_cmpeq_epi8(x, _mm_set1_epi8('@'));
	__m128i us = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('_')),
	    _mm_cmpeq_epi8(x, _mm_set1_epi8('+')));
	__m128i ok = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(l,
	    k25), l), _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d)),
	    _mm_or_si128(_mm_or_si128(dot, dash), _mm_or_si128(at, us)));
	/* Bytes of 0x80 or more are letters here (and not capitals'). */
	__m128i hi = _mm_cmplt_epi8(x, _mm_setzero_si128());

	m->bad = _mm_or_si128(m->bad, _mm_andnot_si128(_mm_or_si128(ok, hi),
	    _mm_set1_epi8(-1)));
	m->caps = _mm_or_si128(m->caps, _mm_or_si128(hi, _mm_cmpeq_epi8(
	    _mm_min_epu8(u, k25), u)));
	m->dot |= (uint64_t)(unsigned)_mm_movemask_epi8(dot) << shift;
	m->dash |= (uint64_t)(unsigned)_mm_movemask_epi8(dash) << shift;
	m->at |= (uint64_t)(unsigned)_mm_movemask_epi8(at) << shift;
	m->us |= (uint64_t)(unsigned)_mm_movemask_epi8(us) << shift;
}

/*
 * An address of 1 to 64 bytes of letters, digits, bytes of 0x80 or
 * more and ". - _ + @", decided by masks: 1 valid, 0 not, -1 other
 * bytes (for the byte loop).  The rules are dmo_format_email's.  With
 * nocaps, -1 also for capitals and bytes of 0x80 or more.
 */
static int
email_masks(const char *p, size_t n, int nocaps)
{
	struct emask m;
	uint64_t dom;
	size_t i;
	int a;

	m.dot = m.dash = m.at = m.us = 0;
	m.bad = m.caps = _mm_setzero_si128();
	if (n < 16) {
		/* Padded with a letter: no class, nothing bad. */
		char tmp[16];

		memset(tmp, 'a', sizeof(tmp));
		memcpy(tmp, p, n);
		email16(tmp, 0, &m);
	} else {
		for (i = 0; i + 16 <= n; i += 16)
			email16(p + i, (int)i, &m);
		if (i < n)
			email16(p + n - 16, (int)(n - 16), &m);	/* overlaps */
	}
	if (_mm_movemask_epi8(m.bad) != 0 ||
	    (nocaps && _mm_movemask_epi8(m.caps) != 0))
		return -1;
	if (m.at == 0 || (m.at & (m.at - 1)) != 0)
		return 0;			/* no '@', or two */
	a = __builtin_ctzll(m.at);
	/* The bytes after '@' (to n - 1: no class above n). */
	dom = ~((m.at << 1) - 1);
	if ((size_t)a == n - 1)
		dom = 0;
	if (a == 0 || dom == 0 || (m.dot & 1) || (m.dot >> (a - 1) & 1) ||
	    (m.dot >> (a + 1) & 1) || (m.dot >> (n - 1) & 1) ||
	    (m.dot & (m.dot >> 1)) != 0 || (m.us & dom) != 0)
		return 0;
	/* A label neither starts nor ends with '-'. */
	if ((m.dash & dom & (((m.dot | m.at) << 1) | (m.dot >> 1))) != 0 ||
	    (m.dash >> (n - 1) & 1))
		return 0;
	return 1;
}
#endif

int
dmo_format_email_lower(const char *p, size_t n)
{
#ifdef __SSE2__
	if (n >= 1 && n <= 64)
		return email_masks(p, n, 1) == 1;
#endif
	(void)p;
	(void)n;
	return 0;
}

/*
 * One pass: the local part up to the first '@' (a second '@' is no
 * domain byte), then the domain's labels.
 */
int
dmo_format_email(const char *p, size_t n)
{
	size_t i, at, label = 0;
	unsigned char c;

#ifdef __SSE2__
	int rc;

	if (n >= 16 && n <= 64 && (rc = email_masks(p, n, 0)) >= 0)
		return rc;
#endif
	pthread_once(&email_once, email_init);
	if (n == 0 || p[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (email_class[c] & 1)
			continue;
		if (c != '.')
			break;
		if (i + 1 < n && p[i + 1] == '.')
			return 0;
	}
	if (i == n || p[i] != '@')
		return 0;
	at = i;
	if (at == 0 || at > 64 || p[at - 1] == '.')
		return 0;
	/* Domain: dot-separated labels of letters, digits and hyphens. */
	if (at + 1 >= n || n - at - 1 > 253)
		return 0;
	for (i = at + 1; i < n; i++) {
		c = (unsigned char)p[i];
		if (email_class[c] & 2) {
			if (c == '-' && label == 0)
				return 0;
			label++;
			continue;
		}
		if (c != '.' || label == 0 || label > 63 || p[i - 1] == '-')
			return 0;
		label = 0;
	}
	return label > 0 && label <= 63 && p[n - 1] != '-';
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
