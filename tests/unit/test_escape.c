/* test_escape.c - JSON string escaping: the word-at-a-time paths agree with a byte loop. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value.h"

#include "testhelp.h"

/*
 * The reference: one byte at a time, as the JSON writer is specified
 * (value.h), with UTF-8 judged by dmo_utf8_check rather than by the
 * escaper's own code.  Returns the output length, or -1 when p holds
 * invalid UTF-8 and strict is set.
 */
static long
ref_escape(char *o, const unsigned char *p, size_t n, int strict)
{
	static const char hex[] = "0123456789abcdef";
	char *start = o;
	size_t i = 0;

	while (i < n) {
		unsigned char c = p[i];
		size_t l;

		if (c >= 0x80) {
			l = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ?
			    3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
			if (l > 0 && l <= n - i &&
			    dmo_utf8_check((const char *)p + i, l) == l) {
				memcpy(o, p + i, l);
				o += l;
				i += l;
				continue;
			}
			if (strict)
				return -1;
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		switch (c) {
		case '"':
			o += sprintf(o, "\\\"");
			break;
		case '\\':
			o += sprintf(o, "\\\\");
			break;
		case '\n':
			o += sprintf(o, "\\n");
			break;
		case '\r':
			o += sprintf(o, "\\r");
			break;
		case '\t':
			o += sprintf(o, "\\t");
			break;
		case '\b':
			o += sprintf(o, "\\b");
			break;
		case '\f':
			o += sprintf(o, "\\f");
			break;
		default:
			if (c < 0x20) {
				*o++ = '\\';
				*o++ = 'u';
				*o++ = '0';
				*o++ = '0';
				*o++ = hex[c >> 4];
				*o++ = hex[c & 15];
			} else
				*o++ = (char)c;
		}
		i++;
	}
	return (long)(o - start);
}

static int failures_shown;

/*
 * Escape p[0..n) both ways, and in strict mode, from exactly sized heap
 * copies so that the sanitizers see any read or write out of bounds.
 */
static int
agree(const char *what, const void *src, size_t n)
{
	char *p = malloc(n > 0 ? n : 1), *o, *e, *want;
	long wl, sl;
	int ok = 1;

	if (n > 0)
		memcpy(p, src, n);
	o = malloc(DMO_JSON_ESCAPE_ROOM(n));
	want = malloc(n * 6 + 1);
	wl = ref_escape(want, (const unsigned char *)p, n, 0);
	e = dmo_json_escape(o, p, n);
	if (e - o != wl || memcmp(o, want, (size_t)wl) != 0)
		ok = 0;
	sl = ref_escape(want, (const unsigned char *)p, n, 1);
	e = dmo_json_escape_strict(o, p, n);
	if (sl < 0 ? e != NULL : e == NULL || e - o != sl)
		ok = 0;
	if (!ok && failures_shown++ < 5) {
		size_t i;

		printf("# %s: differs for %zu bytes:", what, n);
		for (i = 0; i < n; i++)
			printf(" %02x", (unsigned char)p[i]);
		printf("\n");
	}
	free(p);
	free(o);
	free(want);
	return ok;
}

/* Each special sequence at each position of plain text of each length. */
static void
test_positions(void)
{
	static const char *const special[] = {
		"\"", "\\", "\n", "\r", "\t", "\b", "\f", "\x01", "\x1f",
		"\x7f", " ", "/", "\xc3\xa9", "\xe2\x82\xac",
		"\xf0\x9f\x98\x80", "\x80", "\xff", "\xc0\x80", "\xc3",
		"\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5",
		"\xf0\x9f\x98",
	};
	char buf[128];
	size_t len, pos, k;
	int ok = 1, nul = 1;

	for (len = 0; len <= 80; len++) {
		memset(buf, 'a', len);
		ok &= agree("plain", buf, len);
	}
	CHECK(ok, "escape: plain ASCII of every length 0..80");
	ok = 1;
	for (k = 0; k < sizeof(special) / sizeof(special[0]); k++) {
		size_t sl = strlen(special[k]);

		for (len = sl; len <= 70; len++)
			for (pos = 0; pos + sl <= len; pos++) {
				memset(buf, 'x', len);
				memcpy(buf + pos, special[k], sl);
				ok &= agree("special", buf, len);
			}
	}
	CHECK(ok, "escape: quotes, controls, UTF-8 good and bad at every "
	    "position");
	for (len = 1; len <= 40; len++)
		for (pos = 0; pos < len; pos++) {
			memset(buf, 'b', len);
			buf[pos] = '\0';
			nul &= agree("nul", buf, len);
		}
	CHECK(nul, "escape: NUL bytes are \\u0000 wherever they are");
}

/* Random strings over an alphabet heavy in what needs a look. */
static void
test_random(void)
{
	static const unsigned char alpha[] = {
		'a', 'b', ' ', '"', '\\', '\n', 0, 0x1f, 0x7f, 0x80, 0xbf,
		0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0xed, 0xff,
	};
	unsigned char buf[200];
	unsigned long seed = 12345;
	int i, ok = 1, plain = 1;
	size_t n, j;

	for (i = 0; i < 20000; i++) {
		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		n = (seed >> 33) % 120;
		for (j = 0; j < n; j++) {
			seed = seed * 6364136223846793005UL +
			    1442695040888963407UL;
			/* Mostly plain, so that long clean runs occur. */
			buf[j] = (seed >> 40) % 8 != 0 ? 'a' + (seed >> 50) % 26 :
			    alpha[(seed >> 33) % sizeof(alpha)];
		}
		ok &= agree("random", buf, n);
		/* And valid multi-byte text only: the strict path. */
		for (j = 0; j + 2 <= n; j += 2)
			memcpy(buf + j, "\xc3\xa9", 2);
		plain &= agree("utf8", buf, n & ~(size_t)1);
	}
	CHECK(ok, "escape: 20000 random strings agree with a byte loop");
	CHECK(plain, "escape: valid UTF-8 text passes strict");
}

/* The writers that wrap it: quotes around, the same inside. */
static void
test_writers(void)
{
	struct dmo_buf b = DMO_BUF_INIT;
	static const char s[] = "tab\there \"q\" caf\xc3\xa9 bad\xff end of "
	    "a longer value";
	static const char want[] = "\"tab\\there \\\"q\\\" caf\xc3\xa9 bad"
	    "\xef\xbf\xbd end of a longer value\"";

	dmo_json_buf_string(&b, s, sizeof(s) - 1);
	CHECK_MEM(b.p, b.len, want, sizeof(want) - 1,
	    "escape: dmo_json_buf_string");
	b.len = 0;
	dmo_json_buf_string(&b, "", 0);
	CHECK_MEM(b.p, b.len, "\"\"", 2, "escape: the empty string");
	dmo_buf_release(&b);
}

int
main(void)
{
	test_positions();
	test_random();
	test_writers();
	return done();
}
