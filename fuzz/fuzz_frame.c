/* fuzz_frame.c - libFuzzer target: the binary frame reader and writer. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memfd_create */
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

/*
 * Each input is read three times by the frame reader (dmo-frame(5)):
 *  A. whole, invalid UTF-8 rejected; every record and control frame is
 *     written again through the frame writer;
 *  B. a few bytes at a time, invalid UTF-8 replaced;
 *  C. the writer's output of A, a few bytes at a time: it must be a
 *     complete stream holding exactly what A read.
 * Any broken invariant aborts.  fuzz/standalone.c gives it a main() for
 * replaying the corpus without libFuzzer (fuzz/replay).
 */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) { fprintf(stderr, \
	"fuzz_frame.c:%d: invariant failed: %s\n", __LINE__, #c); \
	abort(); } } while (0)

struct src {
	const uint8_t	*p;
	size_t		 n;
	size_t		 off;
	size_t		 chunk;
};

static ssize_t
src_read(void *ctx, char *buf, size_t n, struct dmo_err *err)
{
	struct src *s = ctx;

	(void)err;
	if (n > s->chunk)
		n = s->chunk;
	if (n > s->n - s->off)
		n = s->n - s->off;
	memcpy(buf, s->p + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

/* A record or control frame in a canonical form, for comparison. */
static void
put_len(struct dmo_buf *b, size_t n)
{
	dmo_buf_add(b, &n, sizeof(n));
}

static void
canon_record(struct dmo_buf *b, const struct dmo_record *rec)
{
	size_t i, len;
	const char *p;

	dmo_buf_addc(b, 'R');
	put_len(b, dmo_record_count(rec));
	for (i = 0; i < dmo_record_count(rec); i++) {
		p = dmo_record_name(rec, i, &len);
		put_len(b, len);
		dmo_buf_add(b, p, len);
		dmo_buf_addc(b, dmo_record_type(rec, i));
		p = dmo_record_value(rec, i, &len);
		put_len(b, len);
		dmo_buf_add(b, p, len);
	}
}

static void
canon_control(struct dmo_buf *b, const struct dmo_control *c)
{
	dmo_buf_addc(b, 'C');
	dmo_buf_addc(b, c->type);
	put_len(b, c->len);
	dmo_buf_add(b, c->payload, c->len);
}

/* What every record a reader returns must look like. */
static void
check_record(const struct dmo_record *rec)
{
	size_t i, j, len, l2;
	const char *p, *q;

	CHECK(rec->n == rec->nnames);
	for (i = 0; i < dmo_record_count(rec); i++) {
		p = dmo_record_name(rec, i, &len);
		CHECK(p[len] == '\0');
		CHECK(dmo_utf8_check(p, len) == len);
		for (j = 0; j < i && j < 64; j++) {
			q = dmo_record_name(rec, j, &l2);
			CHECK(len != l2 || memcmp(p, q, len) != 0);
		}
		p = dmo_record_value(rec, i, &len);
		CHECK(p[len] == '\0');
		switch (dmo_record_type(rec, i)) {
		case DMO_NULL:
		case DMO_FALSE:
		case DMO_TRUE:
			CHECK(len == 0);
			break;
		case DMO_NUMBER:
			CHECK(dmo_number_valid(p, len));
			break;
		case DMO_STRING:
			CHECK(dmo_utf8_check(p, len) == len);
			break;
		case DMO_ARRAY:
			CHECK(len >= 2 && p[0] == '[' && p[len - 1] == ']');
			CHECK(dmo_utf8_check(p, len) == len);
			break;
		case DMO_OBJECT:
			CHECK(len >= 2 && p[0] == '{' && p[len - 1] == '}');
			CHECK(dmo_utf8_check(p, len) == len);
			break;
		default:
			CHECK(dmo_record_type(rec, i) <= DMO_OBJECT);
		}
	}
}

/*
 * Read p[0..n) to the end.  With w, write what is read; with canon,
 * record it.  Returns the final code (EOF or FATAL).
 */
static int
read_all(const uint8_t *p, size_t n, size_t chunk, enum dmo_utf8 utf8,
    struct dmo_writer *w, struct dmo_buf *canon, int *complete)
{
	struct src s = { p, n, 0, chunk };
	struct dmo_reader r;
	struct dmo_record rec;
	struct dmo_err err;
	size_t calls = 0, rawlen;
	int rc;

	memset(&r, 0, sizeof(r));
	r.opts.format = DMO_FMT_BINARY;
	r.opts.utf8 = utf8;
	r.opts.max_record = 1 << 20;
	r.in = dmo_in_from_fn(src_read, &s, "fuzz");
	r.source = (char *)"fuzz";
	r.format = DMO_FMT_BINARY;
	r.ops = &dmo_frame_reader_ops;
	dmo_err_clear(&err);
	CHECK(r.ops->init(&r, &err) == 0);
	dmo_record_init(&rec);
	for (;;) {
		/* Each call uses up a frame or the header, at least 5 bytes. */
		CHECK(calls++ <= n / 5 + 2);
		dmo_err_clear(&err);
		rc = r.ops->next(&r, &rec, &err);
		if (rc == DMO_READ_EOF || rc == DMO_READ_FATAL)
			break;
		switch (rc) {
		case DMO_READ_RECORD:
			check_record(&rec);
			CHECK(rec.recno == r.recno && rec.loc.line == r.recno);
			if (w != NULL)
				CHECK(dmo_writer_write(w, &rec, &err) == 0);
			if (canon != NULL)
				canon_record(canon, &rec);
			break;
		case DMO_READ_CONTROL:
			CHECK(r.ctl.type >= 'a' && r.ctl.type <= 'z');
			if (w != NULL)
				CHECK(dmo_writer_control(w, &r.ctl, &err) ==
				    0);
			if (canon != NULL)
				canon_control(canon, &r.ctl);
			break;
		case DMO_READ_BAD:
			CHECK(err.code == DMO_EXIT_DATA && err.msg[0] != '\0');
			CHECK(strchr(err.msg, '\n') == NULL);
			(void)dmo_reader_raw(&r, &rawlen);
			CHECK(rawlen > 0);
			break;
		default:
			CHECK(rc >= DMO_READ_FATAL && rc <= DMO_READ_CONTROL);
		}
	}
	if (rc == DMO_READ_FATAL) {
		CHECK(err.code == DMO_EXIT_DATA && err.msg[0] != '\0');
		CHECK(strchr(err.msg, '\n') == NULL);
		CHECK(strstr(err.msg, "byte ") != NULL ||
		    strstr(err.msg, "no end-of-stream trailer") != NULL);
		CHECK(!r.complete);
		/* It stays fatal. */
		CHECK(r.ops->next(&r, &rec, &err) == DMO_READ_FATAL);
	} else
		CHECK(r.complete);	/* EOF comes only after a trailer */
	*complete = r.complete;
	r.ops->fini(&r);
	dmo_record_release(&rec);
	dmo_buf_release(&r.raw);
	dmo_in_free(r.in);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int mfd = -1;
	struct dmo_buf canon_a = DMO_BUF_INIT, canon_c = DMO_BUF_INIT;
	struct dmo_write_opts wo;
	struct dmo_writer *w;
	struct dmo_out *out;
	struct dmo_err err;
	uint8_t *copy;
	off_t len;
	int complete, rc;

	if (mfd < 0 && (mfd = memfd_create("fuzz_frame", 0)) < 0) {
		perror("memfd_create");
		abort();
	}
	CHECK(ftruncate(mfd, 0) == 0 && lseek(mfd, 0, SEEK_SET) == 0);
	memset(&wo, 0, sizeof(wo));
	wo.format = DMO_FMT_BINARY;
	out = dmo_out_new(dup(mfd), "memfd");
	w = dmo_writer_new(out, &wo, &err);
	CHECK(w != NULL);

	/* A */
	(void)read_all(data, size, size + 1, DMO_UTF8_REJECT, w, &canon_a,
	    &complete);
	CHECK(dmo_writer_finish(w, &err) == 0);
	dmo_writer_free(w);
	CHECK(dmo_out_close(out, &err) == 0);

	/* B */
	(void)read_all(data, size, 1 + size % 7, DMO_UTF8_REPLACE, NULL,
	    NULL, &complete);

	/* C */
	len = lseek(mfd, 0, SEEK_END);
	CHECK(len >= 16);
	copy = malloc((size_t)len);
	CHECK(copy != NULL && pread(mfd, copy, (size_t)len, 0) == len);
	rc = read_all(copy, (size_t)len, 3, DMO_UTF8_REJECT, NULL, &canon_c,
	    &complete);
	CHECK(rc == DMO_READ_EOF && complete);
	CHECK(canon_a.len == canon_c.len &&
	    (canon_a.len == 0 || memcmp(canon_a.p, canon_c.p,
	    canon_a.len) == 0));
	free(copy);
	dmo_buf_release(&canon_a);
	dmo_buf_release(&canon_c);
	return 0;
}
