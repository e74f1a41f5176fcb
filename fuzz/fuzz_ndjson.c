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
 * Checked, with abort() on a failure:
 *  - reading ends (EOF or FATAL) within a bounded number of calls;
 *  - a bad record has a message, code DMO_EXIT_DATA and a line >= 1;
 *  - each record holds what record.h promises: valid number lexemes,
 *    valid UTF-8 in names and strings, nested values that start with
 *    '[' or '{', a NUL after every value;
 *  - the records written as NDJSON (dmo_json_put_record into a dmo_out on
 *    a second memfd) read back, with default options, as exactly the
 *    same records: names, types and bytes.
 *
 * Build: clang -fsanitize=fuzzer,address -iquote common -D_POSIX_C_SOURCE=200809L
 *     -D_DEFAULT_SOURCE fuzz/fuzz_ndjson.c common/[a-z]*.c -lcsv -ljansson
 *     -larchive -lsqlite3 -lm
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* memfd_create */
#endif
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "exitcode.h"
#include "format.h"
#include "formatimpl.h"
#include "io.h"
#include "record.h"
#include "value.h"

#ifndef FUZZ_FORMAT
#define FUZZ_FORMAT	DMO_FMT_NDJSON
#endif

#define MAX_KEPT	256	/* records kept for the comparison */

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The bytes, served in small chunks whose sizes follow a seed. */
struct feed {
	const uint8_t	*p;
	size_t		 n;
	size_t		 off;
	uint32_t	 state;
};

static ssize_t
feed_read(void *ctx, char *buf, size_t n, struct dmo_err *err)
{
	struct feed *f = ctx;
	size_t k;

	(void)err;
	if (f->off >= f->n)
		return 0;
	f->state ^= f->state << 13;
	f->state ^= f->state >> 17;
	f->state ^= f->state << 5;
	k = 1 + f->state % 64;
	if (k > n)
		k = n;
	if (k > f->n - f->off)
		k = f->n - f->off;
	memcpy(buf, f->p + f->off, k);
	f->off += k;
	return (ssize_t)k;
}

/* FNV-1a: picks options and chunk sizes, stable for a given input. */
static uint32_t
hash(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static int
memfd_with(const void *p, size_t n)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	const char *q = p;

	if (fd < 0)
		abort();
	while (n > 0) {
		ssize_t w = write(fd, q, n);

		if (w <= 0)
			abort();
		q += w;
		n -= (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

static struct dmo_reader *
open_fd(int fd, const struct dmo_read_opts *opts, struct dmo_err *err)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return dmo_reader_open(path, opts, err);
}

/* What record.h promises about every record a reader returns. */
static void
check_record(const struct dmo_record *rec)
{
	size_t i, len;
	const char *p;

	for (i = 0; i < dmo_record_count(rec); i++) {
		p = dmo_record_name(rec, i, &len);
		if (dmo_utf8_check(p, len) != len || p[len] != '\0')
			abort();
		p = dmo_record_value(rec, i, &len);
		if (p[len] != '\0')
			abort();
		switch (dmo_record_type(rec, i)) {
		case DMO_NUMBER:
			if (!dmo_number_valid(p, len))
				abort();
			break;
		case DMO_STRING:
			if (dmo_utf8_check(p, len) != len)
				abort();
			break;
		case DMO_ARRAY:
			if (len < 2 || p[0] != '[' || p[len - 1] != ']')
				abort();
			break;
		case DMO_OBJECT:
			if (len < 2 || p[0] != '{' || p[len - 1] != '}')
				abort();
			break;
		case DMO_NULL:
		case DMO_FALSE:
		case DMO_TRUE:
			if (len != 0)
				abort();
			break;
		default:
			abort();
		}
	}
}

static int
same_record(const struct dmo_record *a, const struct dmo_record *b)
{
	size_t i, la, lb;
	const char *pa, *pb;

	if (dmo_record_count(a) != dmo_record_count(b))
		return 0;
	for (i = 0; i < dmo_record_count(a); i++) {
		pa = dmo_record_name(a, i, &la);
		pb = dmo_record_name(b, i, &lb);
		if (la != lb || memcmp(pa, pb, la) != 0)
			return 0;
		if (dmo_record_type(a, i) != dmo_record_type(b, i))
			return 0;
		pa = dmo_record_value(a, i, &la);
		pb = dmo_record_value(b, i, &lb);
		if (la != lb || memcmp(pa, pb, la) != 0)
			return 0;
	}
	return 1;
}

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

	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	memset(&opts, 0, sizeof(opts));
	opts.format = DMO_FMT_NDJSON;
	opts.header = -1;
	if ((r = open_fd(fd, &opts, &err)) == NULL)
		abort();
	dmo_record_init(&rec);
	while ((rc = dmo_reader_next(r, &rec, &err)) == DMO_READ_RECORD) {
		if (i < nkept && !same_record(&kept[i], &rec)) {
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
	struct feed feed;
	uint32_t h = hash(data, size);
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

	infd = memfd_with(data, size);
	r = open_fd(infd, &opts, &err);
	close(infd);
	if (r == NULL)
		return 0;
	if (r->archive != NULL || r->in == NULL) {
		/* Looks like a compressed file: not this target's business. */
		dmo_reader_free(r);
		return 0;
	}

	/* Serve the same bytes in small chunks instead of from the fd. */
	feed.p = data;
	feed.n = size;
	feed.off = 0;
	feed.state = h | 1;
	in = dmo_in_from_fn(feed_read, &feed, r->source);
	in->max_line = r->in->max_line;
	dmo_in_free(r->file);
	r->in = r->file = in;

	outfd = memfd_with("", 0);
	out = dmo_out_new(outfd, "fuzz-out");
	dmo_record_init(&rec);
	while ((rc = dmo_reader_next(r, &rec, &err)) != DMO_READ_EOF) {
		if (++guard > size + 16)
			abort();	/* no progress */
		if (rc == DMO_READ_RECORD) {
			check_record(&rec);
			dmo_json_put_record(out, &rec);
			dmo_out_putc(out, '\n');
			if (nrec < MAX_KEPT)
				dmo_record_copy(&kept[nrec], &rec);
			nrec++;
		} else if (rc == DMO_READ_BAD) {
			size_t rl;

			(void)dmo_reader_raw(r, &rl);
			if (err.code != DMO_EXIT_DATA || err.msg[0] == '\0' ||
			    err.loc.line == 0)
				abort();
		} else if (rc == DMO_READ_FATAL) {
			if (err.code == 0 || err.msg[0] == '\0')
				abort();
			break;
		} else
			abort();	/* no control frames in JSON */
	}
	dmo_record_release(&rec);
	dmo_reader_free(r);
	if (dmo_out_flush(out, &err) != 0)
		abort();
	reread(outfd, kept, nrec < MAX_KEPT ? nrec : MAX_KEPT, nrec);
	if (dmo_out_close(out, &err) != 0)
		abort();
	return 0;
}
