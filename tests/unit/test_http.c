/* test_http.c - Link and Retry-After parsing, idempotency keys (http.c). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"

#include "testhelp.h"

/* The next link of a Link value, or "(none)". */
static void
link_is(const char *value, const char *want, const char *name)
{
	char *got = dmo_http_link_next(value);

	CHECK_STR(got != NULL ? got : "(none)", want, name);
	free(got);
}

static void
test_link(void)
{
	link_is("<https://x/2>; rel=\"next\"", "https://x/2", "quoted rel");
	link_is("<https://x/2>; rel=next", "https://x/2", "token rel");
	link_is("<?page=2>;rel=NEXT", "?page=2", "case, no spaces");
	link_is("<a>; rel=\"first\", <b>; rel=\"next\"", "b",
	    "the second of two links");
	link_is("<a>; rel=\"prev next\", <b>; rel=next", "a",
	    "a rel list; the first next wins");
	link_is("<a,b>; rel=next", "a,b", "a comma inside <>");
	link_is("<a>; title=\"x, rel=next\", <b>; rel=next", "b",
	    "a comma and rel= inside a quoted title");
	link_is("<a>; rel=\"nextpage\"", "(none)", "nextpage is not next");
	link_is("<a>; rel=\"prev\"", "(none)", "no next");
	link_is("<a; rel=next", "(none)", "unterminated <");
	link_is("", "(none)", "empty");
	link_is("garbage", "(none)", "no <");
	link_is("<>; rel=next", "(none)", "an empty URL");
	link_is("<a>; rel=\"next", "a", "an unterminated quote");
	link_is("<a>; ;; rel=next", "a", "empty parameters");
}

static void
test_retry_after(void)
{
	char date[64];
	time_t t = time(NULL) + 100;
	double d;

	CHECK(dmo_http_retry_after("5") == 5, "seconds");
	CHECK(dmo_http_retry_after(" 0 ") == 0, "zero with spaces");
	CHECK(dmo_http_retry_after("1.5") == 1.5, "fractions");
	CHECK(dmo_http_retry_after("5x") == -1, "junk after the number");
	CHECK(dmo_http_retry_after("soon") == -1, "a word");
	CHECK(dmo_http_retry_after("") == -1, "empty");
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", gmtime(&t));
	d = dmo_http_retry_after(date);
	CHECK(d > 95 && d <= 100, "an HTTP-date 100 s ahead");
	CHECK(dmo_http_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0,
	    "an HTTP-date past is 0");
}

static void
test_key(void)
{
	char a[33], b[33], c[33], d[33], e[33];

	dmo_http_batch_key("http://h/x", 0, S("{\"id\":1}\n"), a);
	dmo_http_batch_key("http://h/x", 0, S("{\"id\":1}\n"), b);
	dmo_http_batch_key("http://h/x", 1, S("{\"id\":1}\n"), c);
	dmo_http_batch_key("http://h/y", 0, S("{\"id\":1}\n"), d);
	dmo_http_batch_key("http://h/x", 0, S("{\"id\":2}\n"), e);
	CHECK_EQ(strlen(a), 32, "32 hex digits");
	CHECK(strspn(a, "0123456789abcdef") == 32, "lowercase hex");
	CHECK_STR(a, b, "the same batch, the same key");
	CHECK(strcmp(a, c) != 0, "another batch number, another key");
	CHECK(strcmp(a, d) != 0, "another URL, another key");
	CHECK(strcmp(a, e) != 0, "another body, another key");
	/* Fixed: a re-run with another build must send the same keys. */
	CHECK_STR(a, "f8303807576bd144e506c09d39b12f00",
	    "the key is stable across builds");
}

int
main(void)
{
	test_link();
	test_retry_after();
	test_key();
	return done();
}
