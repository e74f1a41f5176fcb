/* fuzz_jsonpath.c - libFuzzer target: JSON documents walked to a records path. */
/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The input is a JSON document read with --records (ndjson.c's path
 * walker, as HTTP sources use it) and a captured value (links.next, as
 * --next-field uses it).  The path comes from a hash of the input among a
 * few, so a corpus of documents covers them.  The document is read twice:
 * whole, and 1 to 64 bytes at a time.
 *
 * Checked, with abort() on a failure (ASSERT, fuzz/fuzzhelp.h):
 *  - reading ends (EOF or FATAL) within a bounded number of calls;
 *  - each record holds what record.h promises (fz_check_record);
 *  - a bad record or a fatal error has a message;
 *  - both readings give the same records, the same end, the same error
 *    and the same captured value: refills change nothing.
 *
 * Build: clang -fsanitize=fuzzer,address -iquote common -D_POSIX_C_SOURCE=200809L
 *     -D_DEFAULT_SOURCE fuzz/fuzz_jsonpath.c common/[a-z]*.c -lcsv -ljansson
 *     -larchive -lsqlite3 -lcurl -lm
 */
#include "fuzzhelp.h"

/* One reading, as a transcript in t. */
static void
transcript(const uint8_t *data, size_t size, size_t chunk, uint32_t seed,
    const char *path, struct dmo_buf *t)
{
	static const char *const caps[] = { "links.next", NULL };
	struct dmo_read_opts o;
	struct dmo_record rec;
	struct dmo_err err;
	struct th_mem m;
	const char *cv;
	size_t guard = 0, clen;
	int rc;

	memset(&o, 0, sizeof(o));
	o.format = DMO_FMT_JSON;
	o.records_path = path;
	o.captures = caps;
	dmo_record_init(&rec);
	if (th_mem_open(&m, &dmo_json_reader_ops, data, size, chunk, &o,
	    "fuzz", &err) != 0) {
		dmo_buf_printf(t, "open: %d %s\n", err.code, err.msg);
		goto out;
	}
	m.src.seed = seed;
	while ((rc = th_mem_next(&m, &rec, &err)) != DMO_READ_EOF) {
		ASSERT(++guard <= size + 16);
		if (rc == DMO_READ_RECORD) {
			fz_check_record(&rec);
			dmo_buf_printf(t, "%lu: ", rec.loc.line);
			fz_canon_fields(t, &rec);
		} else {
			ASSERT(err.code != 0 && err.msg[0] != '\0');
			dmo_buf_printf(t, "%d %lu:%lu: %s\n", rc, err.loc.line,
			    err.loc.col, err.msg);
			if (rc == DMO_READ_FATAL)
				break;
		}
	}
	cv = dmo_reader_capture(&m.r, 0, &clen);
	if (cv != NULL) {
		dmo_buf_adds(t, "capture: ");
		dmo_buf_add(t, cv, clen);
	}
out:
	dmo_record_release(&rec);
	dmo_buf_release(&m.r.capture[0]);
	th_mem_close(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "data", "data.items", "a.b.c",
	    "items" };
	struct dmo_buf whole = DMO_BUF_INIT, bits = DMO_BUF_INIT;
	uint32_t h = fz_hash(data, size);
	const char *path = paths[h % 4];

	transcript(data, size, size + 1, 0, path, &whole);
	transcript(data, size, 64, h | 1, path, &bits);
	if (whole.len != bits.len || (whole.len > 0 &&
	    memcmp(whole.p, bits.p, whole.len) != 0)) {
		fprintf(stderr, "whole:\n%s\nin pieces:\n%s\n",
		    dmo_buf_cstr(&whole), dmo_buf_cstr(&bits));
		abort();
	}
	dmo_buf_release(&whole);
	dmo_buf_release(&bits);
	return 0;
}
