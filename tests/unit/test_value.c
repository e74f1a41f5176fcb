/* test_value.c - unit tests for lexemes, inference and UTF-8 (value.c). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value.h"

#include "testhelp.h"

static void
test_numbers(void)
{
	static const char *const good[] = {
		"0", "-0", "1", "-1", "12.30", "0.5", "-0.0", "1e400", "1E5",
		"1e+5", "1e-5", "-1.5e-300", "18446744073709551616",
		"123456789012345678901234567890.5",
	};
	static const char *const bad[] = {
		"", "-", "01", "-01", "00", "1.", ".5", "+1", "1e", "1e+",
		"1.e5", "0x10", "1 ", " 1", "NaN", "Infinity", "-Infinity",
		"1,5", "1.5.5", "--1", "1e5.5", "e5", "-.5", "1_000",
	};
	size_t i;
	int all = 1;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!dmo_number_valid(good[i], strlen(good[i]))) {
			printf("# rejected \"%s\"\n", good[i]);
			all = 0;
		}
	CHECK(all, "number: valid lexemes (-0, 1e400, big integers)");
	all = 1;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dmo_number_valid(bad[i], strlen(bad[i]))) {
			printf("# accepted \"%s\"\n", bad[i]);
			all = 0;
		}
	CHECK(all, "number: invalid lexemes (01, 1., .5, +1, NaN, ...)");
	CHECK(!dmo_number_valid("12\0003", 4), "number: NUL is not a digit");
	CHECK(dmo_number_valid("123", 2),
	    "number: the length bounds the lexeme");
}

static void
test_infer(void)
{
	CHECK(dmo_infer(S("12.30")) == DMO_NUMBER, "infer: 12.30 is a number");
	CHECK(dmo_infer(S("-0")) == DMO_NUMBER, "infer: -0 is a number");
	CHECK(dmo_infer(S("1e400")) == DMO_NUMBER, "infer: 1e400 is a number");
	CHECK(dmo_infer(S("007")) == DMO_STRING, "infer: 007 stays a string");
	CHECK(dmo_infer(S("+5")) == DMO_STRING, "infer: +5 stays a string");
	CHECK(dmo_infer(S("1.")) == DMO_STRING, "infer: 1. stays a string");
	CHECK(dmo_infer(S(".5")) == DMO_STRING, "infer: .5 stays a string");
	CHECK(dmo_infer(S(" 1")) == DMO_STRING, "infer: ' 1' stays a string");
	CHECK(dmo_infer(S("true")) == DMO_TRUE && dmo_infer(S("True")) ==
	    DMO_TRUE && dmo_infer(S("TRUE")) == DMO_TRUE,
	    "infer: true, True, TRUE");
	CHECK(dmo_infer(S("false")) == DMO_FALSE && dmo_infer(S("False")) ==
	    DMO_FALSE && dmo_infer(S("FALSE")) == DMO_FALSE,
	    "infer: false, False, FALSE");
	CHECK(dmo_infer(S("tRUE")) == DMO_STRING &&
	    dmo_infer(S("yes")) == DMO_STRING &&
	    dmo_infer(S("null")) == DMO_STRING,
	    "infer: tRUE, yes, null stay strings");
	CHECK(dmo_infer("", 0) == DMO_STRING, "infer: empty is a string");
}

/* dmo_utf8_replace output as a C string (the buffer is NUL-ended). */
static int
replaced(const char *in, size_t n, const char *want, size_t wn)
{
	struct dmo_buf b = DMO_BUF_INIT;
	int r;

	dmo_utf8_replace(&b, in, n);
	r = b.len == wn && (wn == 0 || memcmp(b.p, want, wn) == 0);
	if (!r) {
		size_t i;

		printf("# got:");
		for (i = 0; i < b.len; i++)
			printf(" %02x", (unsigned char)b.p[i]);
		printf("\n");
	}
	dmo_buf_release(&b);
	return r;
}

#define FFFD	"\xef\xbf\xbd"

static void
test_utf8(void)
{
	char big[1000];
	size_t i;

	CHECK_EQ(dmo_utf8_check(S("plain ascii text, longer than 8")), 31,
	    "utf8: ASCII is valid");
	CHECK(dmo_utf8_check(S("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80")) ==
	    14, "utf8: 2, 3 and 4 byte sequences");
	CHECK_EQ(dmo_utf8_check(S("\xef\xbf\xbf\xf4\x8f\xbf\xbf")), 7,
	    "utf8: U+FFFF and U+10FFFF are valid");
	CHECK_EQ(dmo_utf8_check(S("a\0b")), 3, "utf8: NUL is valid");
	CHECK_EQ(dmo_utf8_check(S("ab\xc0\xaf")), 2, "utf8: overlong C0 AF");
	CHECK_EQ(dmo_utf8_check(S("\xe0\x80\xaf")), 0,
	    "utf8: overlong E0 80 AF");
	CHECK_EQ(dmo_utf8_check(S("\xf0\x80\x80\xaf")), 0,
	    "utf8: overlong F0 80 80 AF");
	CHECK_EQ(dmo_utf8_check(S("x\xed\xa0\x80")), 1,
	    "utf8: surrogate U+D800");
	CHECK_EQ(dmo_utf8_check(S("\xed\x9f\xbf")), 3, "utf8: U+D7FF is valid");
	CHECK_EQ(dmo_utf8_check(S("\xf4\x90\x80\x80")), 0,
	    "utf8: U+110000 is invalid");
	CHECK_EQ(dmo_utf8_check(S("\xf5\x80\x80\x80")), 0, "utf8: F5 lead");
	CHECK_EQ(dmo_utf8_check(S("\xff")), 0, "utf8: FF");
	CHECK_EQ(dmo_utf8_check(S("abc\xe2\x82")), 3,
	    "utf8: sequence cut short at the end");
	CHECK_EQ(dmo_utf8_check(S("abc\xe2\x82x")), 3,
	    "utf8: sequence cut short by ASCII");
	CHECK_EQ(dmo_utf8_check(S("\x80")), 0, "utf8: lone continuation byte");
	CHECK(dmo_utf8_check(S("0123456789abcdef\xc3\xa9" "0123456789\xff")) ==
	    28, "utf8: offset past ASCII words and a sequence");

	memset(big, 'a', sizeof(big));
	big[777] = '\xc3';
	CHECK(dmo_utf8_check(big, sizeof(big)) == 777,
	    "utf8: offset of a bad byte in a long ASCII run");
	big[778] = '\xa9';
	CHECK(dmo_utf8_check(big, sizeof(big)) == sizeof(big),
	    "utf8: long run with one valid sequence");
	for (i = 0; i < 8; i++) {
		char t[16] = "aaaaaaaaaaaaaaa";

		t[i + 3] = '\x80';
		if (dmo_utf8_check(t, 15) != i + 3)
			break;
	}
	CHECK_EQ(i, 8, "utf8: bad byte found at every word offset");

	CHECK(replaced(S("ok"), S("ok")), "replace: valid text unchanged");
	CHECK(replaced(S("a\xffz"), S("a" FFFD "z")), "replace: FF");
	/* Maximal subparts (Unicode 3.9, table 3-8). */
	CHECK(replaced(S("\xe2\x82z"), S(FFFD "z")),
	    "replace: E2 82 is one maximal subpart");
	CHECK(replaced(S("\xc0\xaf"), S(FFFD FFFD)),
	    "replace: overlong C0 AF is two");
	CHECK(replaced(S("\xed\xa0\x80"), S(FFFD FFFD FFFD)),
	    "replace: surrogate ED A0 80 is three");
	CHECK(replaced(S("\xf4\x90\x80\x80"), S(FFFD FFFD FFFD FFFD)),
	    "replace: F4 90 80 80 is four");
	CHECK(replaced(S("\xf0\x9f\x98"), S(FFFD)),
	    "replace: a cut 4-byte sequence is one");
	CHECK(replaced(S("\xf0\x9f\x98" "a\xf0\x9f\x98\x80"),
	    S(FFFD "a\xf0\x9f\x98\x80")),
	    "replace: a cut sequence, then a whole one");
	CHECK(replaced(
	    S("\x61\xf1\x80\x80\xe1\x80\xc2\x62\x80\x63\x80\xbf\x64"),
	    S("a" FFFD FFFD FFFD "b" FFFD "c" FFFD FFFD "d")),
	    "replace: the Unicode standard's example");
	CHECK(replaced(S("x\0y\xff"), S("x\0y" FFFD)), "replace: NUL kept");
	CHECK(replaced("", 0, "", 0), "replace: empty");
}

int
main(void)
{
	test_numbers();
	test_infer();
	test_utf8();
	return done();
}
