/* fuzz_report.c - libFuzzer target: any JSON document as an HTML report. */
/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The input is parsed as a JSON document and rendered by
 * dmo_report_html as a profile, and once more with the document as the
 * check report too, whatever its shape: the page must not depend on the
 * profile being well formed.
 *
 * Checked, with abort() on a failure (ASSERT, fuzz/fuzzhelp.h):
 *  - a document that is not an object is refused with a message, any
 *    object renders;
 *  - the page is valid UTF-8 and ends with "</html>\n";
 *  - nothing from the data becomes markup: every tag is one the
 *    renderer writes, no attribute is an event handler (" on..."), and
 *    every card and chart that opens is closed.
 *
 * Build: clang -fsanitize=fuzzer,address -iquote common -D_POSIX_C_SOURCE=200809L
 *     -D_DEFAULT_SOURCE fuzz/fuzz_report.c common/[a-z]*.c -lcsv -ljansson
 *     -larchive -lsqlite3 -lm
 */
#include "fuzzhelp.h"

#include "json.h"
#include "report.h"

static size_t
count(const char *hay, size_t n, const char *needle)
{
	size_t k = 0, m = strlen(needle);
	const char *p = hay, *end = hay + n;

	while ((p = memmem(p, (size_t)(end - p), needle, m)) != NULL) {
		k++;
		p += m;
	}
	return k;
}

/*
 * Every tag in the page is one the renderer writes, and no attribute is
 * an event handler: text from the data can only be text.
 */
static void
check_tags(const char *p, size_t n)
{
	static const char *const tags[] = { "!DOCTYPE", "html", "head",
		"meta", "title", "style", "body", "header", "h1", "h2", "h3",
		"span", "dl", "dt", "dd", "div", "main", "table", "tr", "th",
		"td", "a", "section", "p", "i", "svg", "rect", "line", "text",
		"br", "footer" };
	const char *q = p, *end = p + n, *gt, *name;
	size_t len, i, k;

	while ((q = memchr(q, '<', (size_t)(end - q))) != NULL) {
		gt = memchr(q, '>', (size_t)(end - q));
		ASSERT(gt != NULL);
		name = q + 1 + (q[1] == '/');
		for (len = 0; name + len < gt && name[len] != ' ' &&
		    name[len] != '/'; len++)
			;
		for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
			if (strlen(tags[i]) == len &&
			    memcmp(tags[i], name, len) == 0)
				break;
		ASSERT(i < sizeof(tags) / sizeof(tags[0]));
		for (k = 0; q + k + 3 < gt; k++)
			ASSERT(!(q[k] == ' ' && (q[k + 1] | 0x20) == 'o' &&
			    (q[k + 2] | 0x20) == 'n'));
		q = gt + 1;
	}
}

static void
check_page(const struct dmo_buf *b)
{
	ASSERT(dmo_utf8_check(b->p, b->len) == b->len);
	ASSERT(b->len > 8 && memcmp(b->p + b->len - 8, "</html>\n", 8) == 0);
	check_tags(b->p, b->len);
	ASSERT(count(b->p, b->len, "<section") ==
	    count(b->p, b->len, "</section>"));
	ASSERT(count(b->p, b->len, "<svg") == count(b->p, b->len, "</svg>"));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmo_buf page = DMO_BUF_INIT;
	struct dmo_err err;
	struct dmo_doc *d;
	int rc;

	d = dmo_doc_parse((const char *)data, size, "fuzz.json", &err);
	if (d == NULL)
		return 0;
	rc = dmo_report_html(&page, d, NULL, "<t\"it'le>", &err);
	if (dmo_doc_type(d) != DMO_DOC_OBJECT) {
		ASSERT(rc == -1 && err.msg[0] != '\0');
	} else {
		ASSERT(rc == 0);
		check_page(&page);
		page.len = 0;
		ASSERT(dmo_report_html(&page, d, d, NULL, &err) == 0);
		check_page(&page);
	}
	dmo_buf_release(&page);
	dmo_doc_free(d);
	return 0;
}
