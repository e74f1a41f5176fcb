/* test_utf8fast.c - dmo_utf8_check_fast agrees with dmo_utf8_check. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8fast.h"
#include "value.h"

#include "testhelp.h"

/* Both checks on p[0..n) and on every suffix and prefix of it. */
static int
agree(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i <= n; i++)
		if (dmo_utf8_check_fast(p + i, n - i) !=
		    dmo_utf8_check(p + i, n - i) ||
		    dmo_utf8_check_fast(p, i) != dmo_utf8_check(p, i))
			return 0;
	return 1;
}

static void
test_cases(void)
{
	static const char *const cases[] = {
		"", "a", "plain ascii text, longer than sixteen bytes",
		"caf\xc3\xa9", "Krak\xc3\xb3w,Wien,H\xc3\xa5kon Nguy\xe1\xbb\x85n",
		"\xef\xbf\xbf\xf4\x8f\xbf\xbf", "a\0b",
		"ab\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf",
		"x\xed\xa0\x80", "\xed\x9f\xbf", "\xf4\x90\x80\x80",
		"\xc3", "\xe2\x82", "\xf0\x9f\x98", "\x80", "\xbf\xbf",
		"\xf5\x80\x80\x80", "\xff", "0123456789abcde\xc3\xa9",
		"0123456789abcdef\xc3", "0123456789abcdefghijklmnopqrstu\xe2",
		"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 0123456789abcdef",
		"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac"
		    "\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97",
	};
	size_t i;
	int all = 1;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!agree(cases[i], strlen(cases[i]))) {
			printf("# case %zu differs\n", i);
			all = 0;
		}
	CHECK(all, "utf8fast: listed cases, every prefix and suffix");
	CHECK_EQ(dmo_utf8_check_fast(S("a\0b")), 3, "utf8fast: NUL is valid");
	CHECK_EQ(dmo_utf8_check_fast(S("0123456789abcdefghij\xc3\xa9\xff")),
	    22, "utf8fast: stops at the bad byte after a long ASCII run");
}

/* Random text, mostly ASCII with sequences valid and broken. */
static void
test_random(void)
{
	static const char *const bits[] = {
		"a", "b", ",", " ", "0123456789", "\xc3\xa9", "\xe1\xbb\x85",
		"\xf0\x9f\x98\x80", "\xc3", "\x80", "\xed\xa0\x80", "\xe0\x80",
		"\xf4\x90", "\xff", "\xc2\x80", "\xef\xbf\xbf",
	};
	char buf[256];
	unsigned seed = 12345;
	int round, all = 1;

	for (round = 0; round < 20000 && all; round++) {
		size_t n = 0;

		while (n < sizeof(buf) - 16) {
			const char *b;

			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 7 == 0)
				break;
			/* Bad bytes rarely, so that long valid runs occur. */
			b = bits[(seed >> 20) % ((seed >> 8) % 9 == 0 ?
			    sizeof(bits) / sizeof(bits[0]) : 8)];
			memcpy(buf + n, b, strlen(b));
			n += strlen(b);
		}
		if (!agree(buf, n)) {
			th_show("differs on", buf, n);
			all = 0;
		}
	}
	CHECK(all, "utf8fast: 20000 random texts agree with dmo_utf8_check");
}

/*
 * Every pair of bytes, and every lead byte with every second byte and
 * chosen third and fourth ones, in ASCII at offsets on both sides of a
 * 16-byte block boundary, against dmo_utf8_check.
 */
static void
test_exhaustive(void)
{
	static const unsigned char sel[] = { 0x00, 0x41, 0x7f, 0x80, 0x8f,
	    0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xf0, 0xf4,
	    0xf5, 0xff };
	static const size_t offs[] = { 0, 13, 14, 15, 16, 29 };
	char buf[48];
	size_t o, a, b, c, d, bad = 0;

	for (o = 0; o < sizeof(offs) / sizeof(offs[0]); o++)
		for (a = 0; a < 256; a++)
			for (b = 0; b < 256; b++) {
				memset(buf, 'x', sizeof(buf));
				buf[offs[o]] = (char)a;
				buf[offs[o] + 1] = (char)b;
				if (dmo_utf8_check_fast(buf, offs[o] + 2) !=
				    dmo_utf8_check(buf, offs[o] + 2) ||
				    dmo_utf8_check_fast(buf, sizeof(buf)) !=
				    dmo_utf8_check(buf, sizeof(buf)))
					bad++;
			}
	CHECK_EQ(bad, 0, "utf8fast: every byte pair, across block bounds");
	for (o = 13; o <= 15; o += 2)
		for (a = 0xc0; a < 256; a++)
			for (b = 0; b < 256; b++)
				for (c = 0; c < sizeof(sel); c++)
					for (d = 0; d < sizeof(sel); d++) {
						memset(buf, 'x', sizeof(buf));
						buf[o] = (char)a;
						buf[o + 1] = (char)b;
						buf[o + 2] = (char)sel[c];
						buf[o + 3] = (char)sel[d];
						if (dmo_utf8_check_fast(buf,
						    o + 3) != dmo_utf8_check(buf,
						    o + 3) ||
						    dmo_utf8_check_fast(buf,
						    sizeof(buf)) !=
						    dmo_utf8_check(buf,
						    sizeof(buf)))
							bad++;
					}
	CHECK_EQ(bad, 0, "utf8fast: every lead and second byte, chosen "
	    "third and fourth ones");
}

int
main(void)
{
	test_cases();
	test_random();
	test_exhaustive();
	return done();
}
