/* fuzz_ndjson.c - libFuzzer target: the NDJSON reader, and its output read back. */
/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The input is one NDJSON text (fuzz_json.c includes this file for JSON
 * documents).  It is read through dmo_reader_open on a memfd, with the
 * bytes then served by a dmo_in_from_fn callback in chunks of 1 to 64
 * bytes, so every refill boundary is tried.  The reader options (invalid
 * UTF-8 policy, duplicate keys, a small record limit) come from a hash of
 * the input, so a corpus of plain NDJSON files covers them all.
 *
 * Checked, with abort() on a failure (ASSERT, fuzz/fuzzhelp.h):
 *  - reading ends (EOF or FATAL) within a bounded number of calls;
 *  - a bad record has a message, code DMO_EXIT_DATA and a line >= 1;
 *  - each record holds what record.h promises (fz_check_record): valid
 *    number lexemes, unique names, valid UTF-8 in names, strings and
 *    nested values, nested values that start with '[' or '{', no bytes
 *    in null and booleans, a NUL after every name and value;
 *  - the records written as NDJSON (dmo_json_put_record into a dmo_out on
 *    a second memfd) read back, with default options, as exactly the
 *    same records: names, types and bytes.
 *
 * Build: clang -fsanitize=fuzzer,address -iquote common -D_POSIX_C_SOURCE=200809L
 *     -D_DEFAULT_SOURCE fuzz/fuzz_ndjson.c common/[a-z]*.c -lcsv -ljansson
 *     -larchive -lsqlite3 -lm
 */
#include "fuzzhelp.h"

#ifndef FUZZ_FORMAT
#define FUZZ_FORMAT	DMO_FMT_NDJSON
#endif

#define MAX_KEPT	256	/* records kept for the comparison */

/* Read the written records back and compare them with the kept ones. */
static void
reread(int fd, struct dmo_record *kept, size_t nkept, size_t nwritten)
{
	struct dmo_read_opts opts;
	struct dmo_reader *r;
	struct dmo_record rec;
	struct dmo_err err;
	size_t i = 0;
	int rc;

	ASSERT(lseek(fd, 0, SEEK_SET) == 0);
	memset(&opts, 0, sizeof(opts));
	opts.format = DMO_FMT_NDJSON;
	opts.header = -1;
	r = fz_open_fd(fd, &opts, &err);
	ASSERT(r != NULL);
	dmo_record_init(&rec);
	while ((rc = dmo_reader_next(r, &rec, &err)) == DMO_READ_RECORD) {
		if (i < nkept && !th_same_record(&kept[i], &rec)) {
			fprintf(stderr, "record %zu differs when read back\n",
			    i + 1);
			abort();
		}
		i++;
	}
	if (rc != DMO_READ_EOF || i != nwritten) {
		fprintf(stderr, "read back: rc %d after %zu of %zu records: "
		    "line %lu:%lu: %s\n", rc, i, nwritten, err.loc.line,
		    err.loc.col, err.msg);
		abort();
	}
	dmo_record_release(&rec);
	dmo_reader_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dmo_record kept[MAX_KEPT];
	static int kept_init;
	struct dmo_read_opts opts;
	struct dmo_reader *r;
	struct dmo_record rec;
	struct dmo_err err;
	struct dmo_out *out;
	struct dmo_in *in;
	struct th_src feed;
	uint32_t h = fz_hash(data, size);
	size_t nrec = 0, guard = 0;
	int infd, outfd, rc;

	if (!kept_init) {
		for (rc = 0; rc < MAX_KEPT; rc++)
			dmo_record_init(&kept[rc]);
		kept_init = 1;
	}
	memset(&opts, 0, sizeof(opts));
	opts.format = FUZZ_FORMAT;
	opts.header = -1;
	opts.utf8 = (h & 1) ? DMO_UTF8_REPLACE : DMO_UTF8_REJECT;
	opts.dup = (enum dmo_dup)((h >> 1) % 3);
	opts.max_record = (h >> 3) % 8 == 0 ? 64 : 0;

	infd = fz_memfd(data, size);
	r = fz_open_fd(infd, &opts, &err);
	close(infd);
	if (r == NULL)
		return 0;
	if (r->archive != NULL || r->in == NULL) {
		/* Looks like a compressed file: not this target's business. */
		dmo_reader_free(r);
		return 0;
	}

	/* Serve the same bytes in chunks of 1 to 64 instead of from the fd. */
	memset(&feed, 0, sizeof(feed));
	feed.p = (const char *)data;
	feed.n = size;
	feed.chunk = 64;
	feed.seed = h | 1;
	in = dmo_in_from_fn(th_src_read, &feed, r->source);
	in->max_line = r->in->max_line;
	dmo_in_free(r->file);
	r->in = r->file = in;

	outfd = fz_memfd("", 0);
	out = dmo_out_new(outfd, "fuzz-out");
	dmo_record_init(&rec);
	while ((rc = dmo_reader_next(r, &rec, &err)) != DMO_READ_EOF) {
		ASSERT(++guard <= size + 16);	/* progress */
		if (rc == DMO_READ_RECORD) {
			fz_check_record(&rec);
			dmo_json_put_record(out, &rec);
			dmo_out_putc(out, '\n');
			if (nrec < MAX_KEPT)
				dmo_record_copy(&kept[nrec], &rec);
			nrec++;
		} else if (rc == DMO_READ_BAD) {
			size_t rl;

			(void)dmo_reader_raw(r, &rl);
			ASSERT(err.code == DMO_EXIT_DATA &&
			    err.msg[0] != '\0' && err.loc.line > 0);
		} else {
			/* No control frames in JSON. */
			ASSERT(rc == DMO_READ_FATAL);
			ASSERT(err.code != 0 && err.msg[0] != '\0');
			break;
		}
	}
	dmo_record_release(&rec);
	dmo_reader_free(r);
	ASSERT(dmo_out_flush(out, &err) == 0);
	reread(outfd, kept, nrec < MAX_KEPT ? nrec : MAX_KEPT, nrec);
	ASSERT(dmo_out_close(out, &err) == 0);
	return 0;
}
