/* fuzz_checks.c - libFuzzer target: quality rules files, loaded and judged. */
/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The input is a rules file (dmo-profile --check).  When it loads, a few
 * records made from the input's own bytes go through every rule, which
 * are then judged against a small profile and reported as text and JSON.
 *
 * Checked, with abort() on a failure (ASSERT, fuzz/fuzzhelp.h):
 *  - a file that does not load says why: status 2, a message, and a
 *    line inside the file (1 to the number of lines);
 *  - a file that loads has at least one rule, each judged;
 *  - the text report ends with "checks: F of N rules failed" for the
 *    numbers dmo_checks_finish gave, and the JSON report is a document
 *    with the same numbers.
 *
 * Build: clang -fsanitize=fuzzer,address -iquote common -D_POSIX_C_SOURCE=200809L
 *     -D_DEFAULT_SOURCE fuzz/fuzz_checks.c common/[a-z]*.c -lcsv -ljansson
 *     -larchive -lsqlite3 -lm
 */
#include "fuzzhelp.h"

#include "checks.h"
#include "json.h"

static const char profile_text[] =
    "{\"records\":3,\"fields\":[{\"name\":\"a\",\"distinct\":"
    "{\"value\":2,\"exact\":true,\"error\":0}},{\"name\":\"b\","
    "\"distinct\":{\"value\":900,\"exact\":false,\"error\":0.0081}}]}";

/* Records with fields a, b, c whose values are slices of the input. */
static void
feed(struct dmo_checks *c, const uint8_t *data, size_t size)
{
	struct dmo_record rec;
	size_t i, off = 0, n;

	dmo_record_init(&rec);
	for (i = 0; i < 5; i++) {
		n = size - off < 24 ? size - off : 24;
		dmo_record_reset(&rec);
		switch (i) {
		case 1:
			dmo_record_add(&rec, S("a"), DMO_NUMBER, S("-12.5"));
			break;
		case 2:
			dmo_record_add(&rec, S("a"), DMO_NULL, "", 0);
			break;
		case 3:
			dmo_record_add(&rec, S("a"), DMO_TRUE, "", 0);
			break;
		default:
			dmo_record_add(&rec, S("a"), DMO_STRING,
			    (const char *)data + off, n);
			break;
		}
		dmo_record_add(&rec, S("b"), DMO_STRING,
		    S("2026-01-02T03:04:05Z"));
		if (i % 2 == 0)
			dmo_record_add(&rec, S("c"), DMO_STRING,
			    (const char *)data, size < 8 ? size : 8);
		rec.loc.file = "fuzz";
		rec.loc.line = i + 2;
		if (dmo_record_finish(&rec, DMO_DUP_REJECT, NULL) == 0)
			dmo_checks_record(c, &rec);
		off += n;
	}
	dmo_record_release(&rec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmo_err err;
	struct dmo_checks *c;
	struct dmo_doc *profile, *report;
	struct dmo_buf text = DMO_BUF_INIT;
	char tail[80];
	unsigned long lines = 1;
	size_t i, failed, n;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	c = dmo_checks_parse((const char *)data, size, "fuzz.json", &err);
	if (c == NULL) {
		ASSERT(err.code == DMO_EXIT_USAGE);
		ASSERT(err.msg[0] != '\0');
		ASSERT(err.loc.line >= 1 && err.loc.line <= lines);
		return 0;
	}
	n = dmo_checks_count(c);
	ASSERT(n >= 1);
	dmo_checks_set_now(c, 1767225600);
	feed(c, data, size);
	profile = dmo_doc_parse(profile_text, sizeof(profile_text) - 1, "p",
	    &err);
	ASSERT(profile != NULL);
	failed = dmo_checks_finish(c, profile);
	ASSERT(failed <= n);
	dmo_checks_text(c, &text);
	snprintf(tail, sizeof(tail), "checks: %zu of %zu rules failed\n",
	    failed, n);
	ASSERT(text.len >= strlen(tail) &&
	    memcmp(text.p + text.len - strlen(tail), tail, strlen(tail)) == 0);
	report = dmo_checks_json(c);
	ASSERT(dmo_doc_integer(dmo_doc_get(report, "rules")) == (long long)n);
	ASSERT(dmo_doc_integer(dmo_doc_get(report, "failed")) ==
	    (long long)failed);
	ASSERT(dmo_doc_size(dmo_doc_get(report, "results")) == n);
	dmo_doc_free(report);
	dmo_doc_free(profile);
	dmo_buf_release(&text);
	dmo_checks_free(c);
	return 0;
}
