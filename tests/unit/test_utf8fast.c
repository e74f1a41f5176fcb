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

int
main(void)
{
	test_cases();
	test_random();
	return done();
}
