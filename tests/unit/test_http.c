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

/*
 * The JSON document walked to its records (ndjson.c, --records) and to a
 * captured value, fed 1 to 9 bytes at a time so that every refill
 * boundary falls everywhere: the same records, the same capture.
 */
static void
test_records_path(void)
{
	static const char doc[] =
	    "\xef\xbb\xbf{ \"skip\": {\"items\": [{\"no\": 1}], \"s\": \"]}\\\"{\"},\n"
	    "  \"n\": -1.5e3, \"t\": true, \"z\": null,\n"
	    "  \"data\": {\"before\": [[], {}], \"items\": [\n"
	    "    {\"id\": 1, \"s\": \"a,]}\"},\n"
	    "    {\"id\": 2, \"o\": {\"items\": [3]}}\n"
	    "  ], \"after\": \"x\"},\n"
	    "  \"links\": {\"next\": \"/p?page=2&a=\\u0041\"}\n"
	    "}\n";
	static const char *const caps[] = { "links.next", NULL };
	size_t chunk;

	for (chunk = 1; chunk <= 9; chunk++) {
		struct dmo_read_opts o;
		struct th_mem m;
		struct dmo_record rec;
		struct dmo_err err;
		struct dmo_buf t = DMO_BUF_INIT;
		const char *cv;
		size_t clen;
		char name[64];
		int rc;

		memset(&o, 0, sizeof(o));
		o.format = DMO_FMT_JSON;
		o.records_path = "data.items";
		o.captures = caps;
		dmo_record_init(&rec);
		if (th_mem_open(&m, &dmo_json_reader_ops, doc, sizeof(doc) - 1,
		    chunk, &o, "doc", &err) != 0)
			bail("open: %s", err.msg);
		while ((rc = th_mem_next(&m, &rec, &err)) == DMO_READ_RECORD)
			dmo_buf_printf(&t, "%lu:%zu;", rec.loc.line, rec.n);
		if (rc != DMO_READ_EOF)
			dmo_buf_printf(&t, "rc %d: %s", rc, err.msg);
		cv = dmo_reader_capture(&m.r, 0, &clen);
		dmo_buf_printf(&t, "next=%s", cv != NULL ? cv : "(none)");
		snprintf(name, sizeof(name), "records path, chunks of %zu",
		    chunk);
		CHECK_STR(dmo_buf_cstr(&t),
		    "4:2;5:2;next=\"/p?page=2&a=\\u0041\"", name);
		dmo_buf_release(&t);
		dmo_record_release(&rec);
		/* th_mem_close knows nothing of captures. */
		dmo_buf_release(&m.r.capture[0]);
		th_mem_close(&m);
	}

	/* Every cut of the document is an error, never a short success. */
	{
		size_t cut, whole = sizeof(doc) - 2;	/* up to its '}' */
		int short_ok = 0;

		for (cut = 0; cut < whole; cut++) {
			struct dmo_read_opts o;
			struct th_mem m;
			struct dmo_record rec;
			struct dmo_err err;
			int rc;

			memset(&o, 0, sizeof(o));
			o.format = DMO_FMT_JSON;
			o.records_path = "data.items";
			o.captures = caps;
			dmo_record_init(&rec);
			if (th_mem_open(&m, &dmo_json_reader_ops, doc, cut, 7,
			    &o, "doc", &err) == 0) {
				while ((rc = th_mem_next(&m, &rec, &err)) ==
				    DMO_READ_RECORD)
					continue;
				if (rc == DMO_READ_EOF)
					short_ok++;
			}
			dmo_record_release(&rec);
			dmo_buf_release(&m.r.capture[0]);
			th_mem_close(&m);
		}
		CHECK_EQ(short_ok, 0, "records path: no cut reads as whole");
	}
}

int
main(void)
{
	test_records_path();
	test_link();
	test_retry_after();
	test_key();
	return done();
}
