/* fuzz_frame.c - libFuzzer target: the binary frame reader and writer. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include "fuzzhelp.h"

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

/* A record or control frame in a canonical form, for comparison. */
static void
canon_record(struct dmo_buf *b, const struct dmo_record *rec)
{
	dmo_buf_addc(b, 'R');
	fz_canon_fields(b, rec);
}

static void
canon_control(struct dmo_buf *b, const struct dmo_control *c)
{
	dmo_buf_printf(b, "C%c%zu:", c->type, c->len);
	dmo_buf_add(b, c->payload, c->len);
}

/*
 * Read p[0..n) to the end.  With w, write what is read; with canon,
 * record it.  Returns the final code (EOF or FATAL).
 */
static int
read_all(const uint8_t *p, size_t n, size_t chunk, enum dmo_utf8 utf8,
    struct dmo_writer *w, struct dmo_buf *canon, int *complete)
{
	struct dmo_read_opts o;
	struct th_mem m;
	struct dmo_reader *r = &m.r;
	struct dmo_record rec;
	struct dmo_err err;
	size_t calls = 0, rawlen;
	int rc;

	memset(&o, 0, sizeof(o));
	o.format = DMO_FMT_BINARY;
	o.utf8 = utf8;
	o.max_record = 1 << 20;
	ASSERT(th_mem_open(&m, &dmo_frame_reader_ops, p, n, chunk, &o, "fuzz",
	    &err) == 0);
	dmo_record_init(&rec);
	for (;;) {
		/* Each call uses up a frame or the header, at least 5 bytes. */
		ASSERT(calls++ <= n / 5 + 2);
		rc = th_mem_next(&m, &rec, &err);
		if (rc == DMO_READ_EOF || rc == DMO_READ_FATAL)
			break;
		switch (rc) {
		case DMO_READ_RECORD:
			fz_check_record(&rec);
			ASSERT(rec.recno == r->recno &&
			    rec.loc.line == r->recno);
			if (w != NULL)
				ASSERT(dmo_writer_write(w, &rec, &err) == 0);
			if (canon != NULL)
				canon_record(canon, &rec);
			break;
		case DMO_READ_CONTROL:
			ASSERT(r->ctl.type >= 'a' && r->ctl.type <= 'z');
			if (w != NULL)
				ASSERT(dmo_writer_control(w, &r->ctl, &err) ==
				    0);
			if (canon != NULL)
				canon_control(canon, &r->ctl);
			break;
		case DMO_READ_BAD:
			ASSERT(err.code == DMO_EXIT_DATA && err.msg[0] != '\0');
			ASSERT(strchr(err.msg, '\n') == NULL);
			(void)dmo_reader_raw(r, &rawlen);
			ASSERT(rawlen > 0);
			break;
		default:
			ASSERT(rc >= DMO_READ_FATAL && rc <= DMO_READ_CONTROL);
		}
	}
	if (rc == DMO_READ_FATAL) {
		ASSERT(err.code == DMO_EXIT_DATA && err.msg[0] != '\0');
		ASSERT(strchr(err.msg, '\n') == NULL);
		ASSERT(strstr(err.msg, "byte ") != NULL ||
		    strstr(err.msg, "no end-of-stream trailer") != NULL);
		ASSERT(!r->complete);
		/* It stays fatal. */
		ASSERT(th_mem_next(&m, &rec, &err) == DMO_READ_FATAL);
	} else
		ASSERT(r->complete);	/* EOF comes only after a trailer */
	*complete = r->complete;
	th_mem_close(&m);
	dmo_record_release(&rec);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int mfd = -1;
	struct dmo_buf canon_a = DMO_BUF_INIT, canon_c = DMO_BUF_INIT;
	struct dmo_buf copy = DMO_BUF_INIT;
	struct dmo_write_opts wo;
	struct dmo_writer *w;
	struct dmo_out *out;
	struct dmo_err err;
	uint8_t *exact;
	int complete, rc;

	if (mfd < 0)
		mfd = fz_memfd("", 0);
	ASSERT(ftruncate(mfd, 0) == 0 && lseek(mfd, 0, SEEK_SET) == 0);
	memset(&wo, 0, sizeof(wo));
	wo.format = DMO_FMT_BINARY;
	out = dmo_out_new(dup(mfd), "memfd");
	w = dmo_writer_new(out, &wo, &err);
	ASSERT(w != NULL);

	/* A */
	(void)read_all(data, size, size + 1, DMO_UTF8_REJECT, w, &canon_a,
	    &complete);
	ASSERT(dmo_writer_finish(w, &err) == 0);
	dmo_writer_free(w);
	ASSERT(dmo_out_close(out, &err) == 0);

	/* B */
	(void)read_all(data, size, 1 + size % 7, DMO_UTF8_REPLACE, NULL,
	    NULL, &complete);

	/* C, from a buffer of the exact size, for AddressSanitizer */
	th_fd_bytes(mfd, &copy);
	ASSERT(copy.len >= 16 && (exact = malloc(copy.len)) != NULL);
	memcpy(exact, copy.p, copy.len);
	rc = read_all(exact, copy.len, 3, DMO_UTF8_REJECT, NULL, &canon_c,
	    &complete);
	free(exact);
	ASSERT(rc == DMO_READ_EOF && complete);
	ASSERT(canon_a.len == canon_c.len &&
	    (canon_a.len == 0 || memcmp(canon_a.p, canon_c.p,
	    canon_a.len) == 0));
	dmo_buf_release(&copy);
	dmo_buf_release(&canon_a);
	dmo_buf_release(&canon_c);
	return 0;
}
