/* test_coerce.c - unit tests for coercion, exact decimals and dedupe. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coerce.h"
#include "decimal.h"
#include "dedupe.h"
#include "repair.h"
#include "unicode.h"

#include "testhelp.h"

/* Coerce to an integer: the text, or "TYPE: why" / "RANGE: why". */
static const char *
integer(const char *s)
{
	static char out[128];
	struct dmo_dec d = DMO_DEC_INIT;
	struct dmo_buf b = DMO_BUF_INIT;
	const char *why = "";
	enum dmo_reason r = dmo_coerce_integer(s, strlen(s), &d, &b, &why);

	if (r == DMO_REASON_NONE)
		snprintf(out, sizeof(out), "%s", dmo_buf_cstr(&b));
	else
		snprintf(out, sizeof(out), "%s: %s", dmo_reason_name(r), why);
	dmo_buf_release(&b);
	dmo_dec_release(&d);
	return out;
}

static const char *
number(const char *s)
{
	static char out[128];
	struct dmo_buf b = DMO_BUF_INIT;
	const char *why = "";

	if (dmo_coerce_number(s, strlen(s), &b, &why) == DMO_REASON_NONE)
		snprintf(out, sizeof(out), "%s", dmo_buf_cstr(&b));
	else
		snprintf(out, sizeof(out), "TYPE: %s", why);
	dmo_buf_release(&b);
	return out;
}

static const char *
rounded(const char *s, long scale)
{
	static char out[128];
	struct dmo_dec d = DMO_DEC_INIT;
	struct dmo_buf b = DMO_BUF_INIT;
	int inexact;

	if (dmo_dec_parse(&d, s, strlen(s)) != 0)
		return "bad";
	inexact = dmo_dec_round(&d, scale);
	dmo_dec_put(&d, &b);
	snprintf(out, sizeof(out), "%s%s", dmo_buf_cstr(&b),
	    inexact ? " (rounded)" : "");
	dmo_buf_release(&b);
	dmo_dec_release(&d);
	return out;
}

static int
cmp(const char *a, const char *b)
{
	struct dmo_dec x = DMO_DEC_INIT, y = DMO_DEC_INIT;
	int c;

	if (dmo_dec_parse(&x, a, strlen(a)) != 0 ||
	    dmo_dec_parse(&y, b, strlen(b)) != 0)
		return 99;
	c = dmo_dec_cmp(&x, &y);
	dmo_dec_release(&x);
	dmo_dec_release(&y);
	return c;
}

static void
test_integer(void)
{
	CHECK_STR(integer("007"), "7", "integer: 007 is 7");
	CHECK_STR(integer("+7"), "7", "integer: +7");
	CHECK_STR(integer("-0"), "0", "integer: -0 is 0");
	CHECK_STR(integer(" 42 "), "42", "integer: white space around");
	CHECK_STR(integer("1e3"), "1000",
	    "integer: 1e3 is 1000 (JSON Schema: no fraction)");
	CHECK_STR(integer("1.0"), "1", "integer: 1.0 is 1");
	CHECK_STR(integer("1.50e1"), "15", "integer: 1.50e1 is 15");
	CHECK_STR(integer("1.5"), "TYPE: not an integer (it has a fraction)",
	    "integer: 1.5");
	CHECK_STR(integer("1e-400"), "TYPE: not an integer (it has a fraction)",
	    "integer: 1e-400");
	CHECK_STR(integer("0e999999999"), "0", "integer: 0e999999999");
	CHECK_STR(integer("9223372036854775807"), "9223372036854775807",
	    "integer: INT64_MAX");
	CHECK_STR(integer("-9223372036854775808"), "-9223372036854775808",
	    "integer: INT64_MIN");
	CHECK_STR(integer("9223372036854775808"),
	    "RANGE: integer out of range (64 bits)", "integer: INT64_MAX + 1");
	CHECK_STR(integer("-9223372036854775809"),
	    "RANGE: integer out of range (64 bits)", "integer: INT64_MIN - 1");
	CHECK_STR(integer("1e19"), "RANGE: integer out of range (64 bits)",
	    "integer: 1e19");
	CHECK_STR(integer("1e400"), "RANGE: integer out of range (64 bits)",
	    "integer: 1e400");
	CHECK_STR(integer("1e9999999999"), "TYPE: not an integer",
	    "integer: an exponent past 10^9");
	CHECK_STR(integer("twelve"), "TYPE: not an integer", "integer: twelve");
	CHECK_STR(integer("1,000"), "TYPE: not an integer",
	    "integer: no grouping (locale-independent)");
	CHECK_STR(integer(""), "TYPE: not an integer", "integer: empty");
	CHECK_STR(integer("0x10"), "TYPE: not an integer", "integer: hex");
	CHECK_STR(integer("1 2"), "TYPE: not an integer", "integer: 1 2");
	CHECK_STR(integer("--1"), "TYPE: not an integer", "integer: --1");
	CHECK_STR(integer("."), "TYPE: not an integer", "integer: a lone point");
}

static void
test_number(void)
{
	CHECK_STR(number("12.30"), "12.30", "number: 12.30 keeps its scale");
	CHECK_STR(number("1e400"), "1e400", "number: 1e400 kept");
	CHECK_STR(number("-0"), "-0", "number: -0 kept");
	CHECK_STR(number("0.1"), "0.1", "number: 0.1 never a double");
	CHECK_STR(number("18446744073709551616"), "18446744073709551616",
	    "number: 2^64 kept");
	CHECK_STR(number("+5"), "5", "number: +5");
	CHECK_STR(number(".5"), "0.5", "number: .5");
	CHECK_STR(number("-.5"), "-0.5", "number: -.5");
	CHECK_STR(number("5."), "5", "number: 5.");
	CHECK_STR(number("007.50"), "7.50", "number: 007.50");
	CHECK_STR(number("00"), "0", "number: 00");
	CHECK_STR(number("1E+03"), "1E+03", "number: 1E+03 is JSON");
	CHECK_STR(number("NaN"), "TYPE: not a number", "number: NaN");
	CHECK_STR(number("Infinity"), "TYPE: not a number", "number: Infinity");
	CHECK_STR(number("1,5"), "TYPE: not a number",
	    "number: a decimal comma is not a point");
	CHECK_STR(number("1e"), "TYPE: not a number", "number: 1e");
}

static void
test_decimal(void)
{
	CHECK_STR(rounded("3.14159", 2), "3.14 (rounded)", "round: 3.14159");
	CHECK_STR(rounded("2.675", 2), "2.68 (rounded)",
	    "round: 2.675 exactly (a double would give 2.67)");
	CHECK_STR(rounded("0.125", 2), "0.12 (rounded)", "round: half to even, down");
	CHECK_STR(rounded("0.135", 2), "0.14 (rounded)", "round: half to even, up");
	CHECK_STR(rounded("0.1251", 2), "0.13 (rounded)", "round: above half");
	CHECK_STR(rounded("9.995", 2), "10.00 (rounded)", "round: carry");
	CHECK_STR(rounded("-9.999", 2), "-10.00 (rounded)", "round: negative carry");
	CHECK_STR(rounded("12.5", 2), "12.50", "round: padded, exact");
	CHECK_STR(rounded("1e3", 2), "1000.00", "round: 1e3 to 2 places");
	CHECK_STR(rounded("0.001", 2), "0.00 (rounded)", "round: all gone");
	CHECK_STR(rounded("0.005", 2), "0.00 (rounded)", "round: 0.005 to even 0");
	CHECK_STR(rounded("0.0051", 2), "0.01 (rounded)", "round: 0.0051");
	CHECK_STR(rounded("5", 0), "5", "round: scale 0");
	CHECK_STR(rounded("2.5", 0), "2 (rounded)", "round: 2.5 to 2");
	CHECK_STR(rounded("3.5", 0), "4 (rounded)", "round: 3.5 to 4");
	CHECK_EQ(cmp("1.50", "1.5"), 0, "cmp: 1.50 = 1.5");
	CHECK_EQ(cmp("-0", "0"), 0, "cmp: -0 = 0");
	CHECK_EQ(cmp("0.1", "0.10000000000000001"), -1,
	    "cmp: 0.1 < 0.10000000000000001 (exact)");
	CHECK_EQ(cmp("1e400", "9e399"), 1, "cmp: 1e400 > 9e399");
	CHECK_EQ(cmp("-2", "-10"), 1, "cmp: -2 > -10");
	CHECK_EQ(cmp("100", "1e2"), 0, "cmp: 100 = 1e2");
	CHECK_EQ(cmp("0.00", "-0.0"), 0, "cmp: zeros");
	{
		struct dmo_dec d = DMO_DEC_INIT;
		struct dmo_buf b = DMO_BUF_INIT;

		dmo_dec_from_double(&d, 0.1);
		dmo_dec_put(&d, &b);
		CHECK_STR(dmo_buf_cstr(&b), "0.1",
		    "from_double: 0.1 is the shortest text, 0.1");
		b.len = 0;
		dmo_dec_from_double(&d, 1e300);
		dmo_dec_put(&d, &b);
		CHECK(strncmp(dmo_buf_cstr(&b), "1000", 4) == 0 && b.len == 301,
		    "from_double: 1e300 in plain digits");
		dmo_buf_release(&b);
		dmo_dec_release(&d);
	}
}

static void
test_bool(void)
{
	static const char *const yes[] = { "true", "TRUE", "True", "t", "T",
	    "yes", "YES", "Y", "y", "on", "ON", "1", " yes ", NULL };
	static const char *const no[] = { "false", "FALSE", "f", "no", "No",
	    "N", "off", "Off", "0", NULL };
	static const char *const neither[] = { "", "2", "yess", "ja", "oui",
	    "-1", "00", "1.0", "truee", NULL };
	static const char *const tl[] = { "ja", "oui", NULL };
	static const char *const fl[] = { "nein", "non", NULL };
	size_t i;
	int ok = 1;

	for (i = 0; yes[i] != NULL; i++)
		ok &= dmo_coerce_bool(yes[i], strlen(yes[i]), NULL, NULL) ==
		    DMO_TRUE;
	CHECK(ok, "bool: true, TRUE, t, yes, Y, on, 1");
	for (ok = 1, i = 0; no[i] != NULL; i++)
		ok &= dmo_coerce_bool(no[i], strlen(no[i]), NULL, NULL) ==
		    DMO_FALSE;
	CHECK(ok, "bool: false, f, no, N, off, 0");
	for (ok = 1, i = 0; neither[i] != NULL; i++)
		ok &= dmo_coerce_bool(neither[i], strlen(neither[i]), NULL,
		    NULL) == -1;
	CHECK(ok, "bool: not 2, yess, ja, oui, -1, 00, 1.0");
	CHECK(dmo_coerce_bool(S("OUI"), tl, fl) == DMO_TRUE &&
	    dmo_coerce_bool(S("Nein"), tl, fl) == DMO_FALSE &&
	    dmo_coerce_bool(S("yes"), tl, fl) == -1,
	    "bool: x-dmo-true/false replace the defaults");
}

static void
test_formats(void)
{
	CHECK(dmo_format_email(S("ada@example.com")), "email: plain");
	CHECK(dmo_format_email(S("a.b+tag@sub.example.co.uk")), "email: dots, +");
	CHECK(dmo_format_email(S("zoë@例え.jp")), "email: UTF-8");
	CHECK(!dmo_format_email(S("ada@")), "email: no domain");
	CHECK(!dmo_format_email(S("@example.com")), "email: no local part");
	CHECK(!dmo_format_email(S("a@@example.com")), "email: two @");
	CHECK(!dmo_format_email(S("a..b@example.com")), "email: two dots");
	CHECK(!dmo_format_email(S("a@-example.com")), "email: label starts with -");
	CHECK(!dmo_format_email(S("a@example..com")), "email: empty label");
	CHECK(!dmo_format_email(S("a b@example.com")), "email: a space");
	CHECK(dmo_format_uri(S("https://example.com/a?b=c#d")), "uri: https");
	CHECK(dmo_format_uri(S("mailto:ada@example.com")), "uri: mailto");
	CHECK(dmo_format_uri(S("urn:isbn:0451450523")), "uri: urn");
	CHECK(!dmo_format_uri(S("example.com/a")), "uri: no scheme");
	CHECK(!dmo_format_uri(S("http://a b")), "uri: a space");
	CHECK(!dmo_format_uri(S("http://a%2")), "uri: a short escape");
	CHECK(!dmo_format_uri(S("1http://a")), "uri: scheme starts with a digit");
	CHECK(dmo_format_uuid(S("123e4567-e89b-12d3-a456-426614174000")),
	    "uuid: lower case");
	CHECK(dmo_format_uuid(S("123E4567-E89B-12D3-A456-426614174000")),
	    "uuid: upper case");
	CHECK(!dmo_format_uuid(S("123e4567e89b12d3a456426614174000")),
	    "uuid: no hyphens");
	CHECK(!dmo_format_uuid(S("123e4567-e89b-12d3-a456-42661417400g")),
	    "uuid: a g");
	CHECK(dmo_format_ipv4(S("192.168.0.1")), "ipv4: plain");
	CHECK(dmo_format_ipv4(S("0.0.0.0")), "ipv4: zeros");
	CHECK(dmo_format_ipv4(S("255.255.255.255")), "ipv4: 255s");
	CHECK(!dmo_format_ipv4(S("256.1.1.1")), "ipv4: 256");
	CHECK(!dmo_format_ipv4(S("01.1.1.1")), "ipv4: a leading zero");
	CHECK(!dmo_format_ipv4(S("1.1.1")), "ipv4: three parts");
	CHECK(!dmo_format_ipv4(S("1.1.1.1.")), "ipv4: a trailing dot");
}

static const char *
snake(const char *s)
{
	static char out[128];
	struct dmo_buf b = DMO_BUF_INIT;

	dmo_snake_case(s, strlen(s), &b);
	snprintf(out, sizeof(out), "%s", dmo_buf_cstr(&b));
	dmo_buf_release(&b);
	return out;
}

static const char *
ws(const char *s, int sq)
{
	static char out[128];
	struct dmo_buf b = DMO_BUF_INIT;
	const char *p = s;
	size_t n = strlen(s);

	if (sq)
		dmo_squeeze(p, n, &b);
	else {
		dmo_trim(&p, &n);
		dmo_buf_add(&b, p, n);
	}
	snprintf(out, sizeof(out), "[%s]", dmo_buf_cstr(&b));
	dmo_buf_release(&b);
	return out;
}

static void
test_text(void)
{
	struct dmo_buf b = DMO_BUF_INIT;

	CHECK_STR(snake("Customer Name"), "customer_name", "snake: two words");
	CHECK_STR(snake("firstName"), "first_name", "snake: camelCase");
	CHECK_STR(snake("HTTPServer"), "http_server", "snake: an acronym");
	CHECK_STR(snake("  E-mail Address "), "e_mail_address",
	    "snake: punctuation and spaces");
	CHECK_STR(snake("Amount (USD)"), "amount_usd", "snake: brackets");
	CHECK_STR(snake("Größe"), "größe", "snake: non-ASCII kept");
	CHECK_STR(snake("!!!"), "field", "snake: nothing left");
	CHECK_STR(snake("ID"), "id", "snake: ID");
	CHECK_STR(ws(" \t a b \r\n", 0), "[a b]", "trim: ASCII white space");
	CHECK_STR(ws("\xc2\xa0x\xc2\xa0", 0), "[x]", "trim: no-break spaces");
	CHECK_STR(ws("a \t\n b\xc2\xa0\xc2\xa0" "c", 1), "[a b c]",
	    "squeeze: mixed runs");
	CHECK_EQ(dmo_uni_nfc(S("e\xcc\x81"), &b), 1, "nfc: e + U+0301 changes");
	CHECK_MEM(b.p, b.len, "\xc3\xa9", 2, "nfc: to U+00E9");
	b.len = 0;
	CHECK_EQ(dmo_uni_nfc(S("abc"), &b), 0, "nfc: ASCII unchanged");
	b.len = 0;
	CHECK_EQ(dmo_uni_nfc(S("a\0b"), &b), 0, "nfc: a NUL byte survives");
	CHECK_MEM(b.p, b.len, "a\0b", 3, "nfc: NUL kept in place");
	b.len = 0;
	dmo_uni_lower(S("ÀÉÎ STRASSE"), &b);
	CHECK_MEM(b.p, b.len, "àéî strasse", strlen("àéî strasse"), "lower: Unicode");
	b.len = 0;
	dmo_uni_fold(S("Straße"), &b);
	CHECK_MEM(b.p, b.len, "strasse", 7, "fold: ß folds to ss");
	CHECK_EQ(dmo_uni_length(S("zoë")), 3, "length: code points");
	CHECK_EQ(dmo_uni_width(S("zoë")), 3, "width: one column each");
	CHECK_EQ(dmo_uni_width(S("東京")), 4, "width: CJK takes two");
	CHECK_EQ(dmo_uni_width(S("e\xcc\x81")), 1, "width: combining: none");
	CHECK_EQ(dmo_uni_width(S("a\xff\xe6" "b")), 4,
	    "width: a bad byte is one column");
	CHECK_EQ(dmo_uni_width(S("")), 0, "width: empty");
	dmo_buf_release(&b);
}

static void
test_dedupe(void)
{
	struct dmo_dedupe_opts o = { 0 };
	struct dmo_dedupe_stats st;
	struct dmo_dedupe *d;
	struct dmo_err err;
	char key[64];
	int i, bad = 0;

	/* Exact, with a memory so small that it spills and merges. */
	o.mode = DMO_DEDUPE_EXACT;
	o.memory = 65536;
	o.tmpdir = th_dir;
	d = dmo_dedupe_new(&o, &err);
	for (i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		if (dmo_dedupe_check(d, key, strlen(key), &err) != 0)
			bad++;
	}
	CHECK_EQ(bad, 0, "exact: 20000 new keys are all new");
	for (bad = 0, i = 0; i < 20000; i += 7) {
		snprintf(key, sizeof(key), "key-%d", i);
		if (dmo_dedupe_check(d, key, strlen(key), &err) != 1)
			bad++;
	}
	CHECK_EQ(bad, 0, "exact: every seen key is found again, on disk too");
	for (bad = 0, i = 20000; i < 21000; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		if (dmo_dedupe_check(d, key, strlen(key), &err) != 0)
			bad++;
	}
	CHECK_EQ(bad, 0, "exact: no false positives");
	dmo_dedupe_stats(d, &st);
	CHECK(st.spills > 16 && st.merges > 0, "exact: it spilled and merged");
	CHECK_EQ(dmo_dedupe_check(d, "", 0, &err), 0, "exact: the empty key");
	CHECK_EQ(dmo_dedupe_check(d, "", 0, &err), 1, "exact: the empty key again");
	dmo_dedupe_free(d);

	/* Approximate: never misses a duplicate; false positives rare. */
	memset(&o, 0, sizeof(o));
	o.mode = DMO_DEDUPE_APPROX;
	o.rate = 0.01;
	d = dmo_dedupe_new(&o, &err);
	for (bad = 0, i = 0; i < 200000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		bad += dmo_dedupe_check(d, key, strlen(key), &err);
	}
	printf("# approx: %d false positives in 200000 at rate 0.01\n", bad);
	CHECK(bad < 2000, "approx: false positives under 1% of new keys");
	for (bad = 0, i = 0; i < 200000; i += 3) {
		snprintf(key, sizeof(key), "k%d", i);
		bad += dmo_dedupe_check(d, key, strlen(key), &err) != 1;
	}
	CHECK_EQ(bad, 0, "approx: every duplicate is found");
	dmo_dedupe_free(d);

	/* A window of 3 keys. */
	memset(&o, 0, sizeof(o));
	o.mode = DMO_DEDUPE_WINDOW;
	o.window_n = 3;
	d = dmo_dedupe_new(&o, &err);
	CHECK_EQ(dmo_dedupe_check(d, "a", 1, &err), 0, "window: a new");
	CHECK_EQ(dmo_dedupe_check(d, "b", 1, &err), 0, "window: b new");
	CHECK_EQ(dmo_dedupe_check(d, "c", 1, &err), 0, "window: c new");
	CHECK_EQ(dmo_dedupe_check(d, "a", 1, &err), 1,
	    "window: a 3 keys later: a duplicate");
	CHECK_EQ(dmo_dedupe_check(d, "d", 1, &err), 0, "window: d new");
	CHECK_EQ(dmo_dedupe_check(d, "e", 1, &err), 0, "window: e new");
	CHECK_EQ(dmo_dedupe_check(d, "b", 1, &err), 0,
	    "window: b 6 keys later: new again");
	CHECK_EQ(dmo_dedupe_check(d, "a", 1, &err), 0,
	    "window: a 4 keys after its last sighting: new again");
	for (i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "w%d", i % 10);
		dmo_dedupe_check(d, key, strlen(key), &err);
	}
	dmo_dedupe_stats(d, &st);
	CHECK(st.keys <= 4, "window: memory holds the window (3 keys and this one)");
	dmo_dedupe_free(d);
}

static void
test_repair(void)
{
	struct dmo_buf v = DMO_BUF_INIT, nb = DMO_BUF_INIT, before = DMO_BUF_INIT;
	struct dmo_span sp[8], names[4];
	struct dmo_record r;
	size_t field = 0, i;
	const char *p;
	size_t n;

	CHECK_EQ(dmo_csv_split(S("a,\"b,\"\"c\"\"\",,d\r\n"), ',', &v, sp, 8), 4,
	    "split: quoted comma and quotes, CRLF");
	CHECK_MEM(v.p + sp[1].off, sp[1].len, "b,\"c\"", 5, "split: the quoted field");
	CHECK_EQ(sp[2].len, 0, "split: an empty field");
	CHECK_EQ(dmo_csv_split(S("a;\"b\n"), ';', &v, sp, 8), -1,
	    "split: an open quote");
	CHECK_EQ(dmo_csv_split(S(""), ',', &v, sp, 8), 1, "split: one empty field");
	for (i = 0; i < 4; i++) {
		names[i].off = nb.len;
		names[i].len = 1;
		dmo_buf_addc(&nb, "wxyz"[i]);
		dmo_buf_addc(&nb, '\0');
	}
	dmo_record_init(&r);
	CHECK_EQ(dmo_csv_join(S("1;Bob;12 Main St\n"), 3, S("Apt 4;2\n"), 2, &nb,
	    names, 4, &r, &field, &before), 0, "join: two short rows, ;");
	p = dmo_record_value(&r, 2, &n);
	CHECK_MEM(p, n, "12 Main St Apt 4", 16, "join: the parts with a space");
	CHECK_MEM(before.p, before.len, "12 Main St\nApt 4", 16,
	    "join: before has the line break");
	CHECK(field == 2 && dmo_record_count(&r) == 4, "join: field 2 of 4");
	CHECK_EQ(dmo_csv_join(S("1,Bob\n"), 2, S("x,y\n"), 2, &nb, names, 4, &r,
	    &field, NULL), -1, "join: 2 + 2 - 1 is not 4");
	dmo_record_release(&r);
	dmo_buf_release(&v);
	dmo_buf_release(&nb);
	dmo_buf_release(&before);
}

int
main(void)
{
	th_tmpdir("test_coerce");
	test_integer();
	test_number();
	test_decimal();
	test_bool();
	test_formats();
	test_text();
	test_dedupe();
	test_repair();
	return done();
}
