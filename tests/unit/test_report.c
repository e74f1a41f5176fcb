/* test_report.c - unit tests for the HTML report (report.c). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "exitcode.h"
#include "json.h"
#include "report.h"

#include "testhelp.h"

static char *
escape(const char *p, size_t n, size_t max)
{
	struct dmo_buf b = DMO_BUF_INIT;

	dmo_report_escape(&b, p, n, max);
	dmo_buf_cstr(&b);
	return b.p;
}

static void
test_escape(void)
{
	char *s;

	s = escape(S("<script>a&b\"c'd</script>"), 0);
	CHECK_STR(s, "&lt;script&gt;a&amp;b&quot;c&#39;d&lt;/script&gt;",
	    "escape: markup characters");
	free(s);
	s = escape(S("a\0b\x07\x7f"), 0);
	CHECK_STR(s, "a\xe2\x90\x80" "b\xe2\x90\x87\xe2\x90\xa1",
	    "escape: NUL and controls become their pictures");
	free(s);
	s = escape(S("\xff\xc3(\xe2\x82"), 0);
	CHECK_STR(s, "\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd",
	    "escape: invalid UTF-8 becomes U+FFFD");
	free(s);
	s = escape(S("caf\xc3\xa9 \xf0\x9f\x98\x80"), 0);
	CHECK_STR(s, "caf\xc3\xa9 \xf0\x9f\x98\x80",
	    "escape: valid UTF-8 passes");
	free(s);
	s = escape(S("abcdef"), 3);
	CHECK_STR(s, "abc\xe2\x80\xa6", "escape: cut with an ellipsis");
	free(s);
	s = escape(S("\xc3\xa9\xc3\xa9"), 3);
	CHECK_STR(s, "\xc3\xa9\xc3\xa9", "escape: cut after a whole character");
	free(s);
}

static char *
render(const char *json, const char *title, int *rc)
{
	struct dmo_buf b = DMO_BUF_INIT;
	struct dmo_err err;
	struct dmo_doc *d = dmo_doc_parse(json, strlen(json), "t.json", &err);

	if (d == NULL)
		bail("parse: %s", err.msg);
	*rc = dmo_report_html(&b, d, NULL, title, &err);
	dmo_doc_free(d);
	dmo_buf_cstr(&b);
	return b.p;
}

static void
test_render(void)
{
	char *h;
	int rc;

	h = render("{\"records\":1234567,\"bytes\":2500000,\"fields\":["
	    "{\"name\":\"age\",\"count\":10,\"nulls\":2,\"type\":\"integer\","
	    "\"types\":{\"integer\":8},"
	    "\"distinct\":{\"value\":5,\"exact\":false,\"error\":0.01},"
	    "\"histogram\":{\"edges\":[0,5,10],\"counts\":[3,5]},"
	    "\"top\":[{\"value\":\"7\",\"count\":4,\"error\":0}]}]}",
	    "a<b>.csv", &rc);
	CHECK_EQ(rc, 0, "render: succeeds");
	CHECK(strncmp(h, "<!DOCTYPE html>\n", 16) == 0, "render: a doctype");
	CHECK(strstr(h, "<title>Profile of a&lt;b&gt;.csv</title>") != NULL,
	    "render: the title is escaped");
	CHECK(strstr(h, "<dd>1,234,567</dd>") != NULL,
	    "render: record count grouped");
	CHECK(strstr(h, "<dd>2.5 MB</dd>") != NULL, "render: bytes in MB");
	CHECK(strstr(h, "id=\"field-1\"") != NULL, "render: a card per field");
	CHECK(strstr(h, "20.0%") != NULL, "render: null share");
	CHECK(strstr(h, "\xe2\x89\x88 5") != NULL,
	    "render: an estimated distinct count is marked");
	CHECK(strstr(h, "<title>[0, 5): 3</title>") != NULL,
	    "render: histogram bars carry their range");
	CHECK(strstr(h, "<script") == NULL, "render: no script");
	CHECK(strstr(h, "http://") == NULL && strstr(h, "https://") == NULL,
	    "render: nothing from the network");
	free(h);

	h = render("[1]", NULL, &rc);
	CHECK_EQ(rc, -1, "render: an array is refused");
	free(h);

	h = render("{}", NULL, &rc);
	CHECK_EQ(rc, 0, "render: an empty profile renders");
	CHECK(strstr(h, "No fields") != NULL, "render: says there are none");
	free(h);
}

/* With a file operand: render it to stdout (for looking at the page). */
int
main(int argc, char *argv[])
{
	if (argc > 1) {
		struct dmo_buf b = DMO_BUF_INIT;
		struct dmo_err err;
		struct dmo_doc *d = dmo_doc_load(argv[1], &err);

		if (d == NULL || dmo_report_html(&b, d, NULL, argv[1], &err) != 0) {
			fprintf(stderr, "test_report: %s\n", err.msg);
			return 2;
		}
		fwrite(b.p, 1, b.len, stdout);
		dmo_buf_release(&b);
		dmo_doc_free(d);
		return 0;
	}
	test_escape();
	test_render();
	return done();
}
