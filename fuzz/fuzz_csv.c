/* fuzz_csv.c - libFuzzer target: the CSV/TSV reader, sniffer and writer. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include "fuzzhelp.h"

#include <fcntl.h>

#include "formatimpl.h"

/*
 * Input: two option bytes, then the CSV text.  The options choose the
 * dialect (sniffed or given), header, inference, ragged, duplicate and
 * UTF-8 policies, a small record limit, and the size of the chunks the
 * text is handed over in, so that refills land everywhere.
 *
 * The text is read twice: with libcsv alone, all at once, and with the
 * reader's fast path, in chunks.  Both must tell the same story, record
 * for record (a differential check of the fast path against libcsv).
 * Every record must keep the reader's promises (fz_check_record), and is
 * written back as CSV (to /dev/null) to exercise the writer.  A resync
 * after a stray quote must read no byte again more than once, so that
 * no input makes the reader quadratic.
 */

/* Read the text; the story of what came out goes to t. */
static void
run(const uint8_t *data, size_t size, const struct dmo_read_opts *o,
    size_t chunk, int formula, struct dmo_buf *t)
{
	struct th_mem m;
	struct dmo_record rec;
	struct dmo_err err;
	struct dmo_write_opts wo;
	struct dmo_writer *w;
	struct dmo_out *out;
	int rc;

	dmo_record_init(&rec);
	memset(&wo, 0, sizeof(wo));
	wo.format = o->format;
	wo.header = 1;
	wo.formula_escape = formula;
	out = dmo_out_new(open("/dev/null", O_WRONLY), "/dev/null");
	w = dmo_writer_new(out, &wo, &err);

	dmo_csv_replayed = 0;
	if (th_mem_open(&m, &dmo_csv_reader_ops, data, size, chunk, o,
	    "fuzz.csv", &err) == 0) {
		for (;;) {
			rc = th_mem_next(&m, &rec, &err);
			if (rc == DMO_READ_EOF)
				break;
			if (rc == DMO_READ_FATAL) {
				dmo_buf_printf(t, "F %lu %s\n", err.loc.line,
				    err.msg);
				break;
			}
			if (rc == DMO_READ_BAD) {
				size_t rl;
				const char *raw = dmo_reader_raw(&m.r, &rl);

				ASSERT(err.code == DMO_EXIT_DATA &&
				    err.msg[0] != '\0' && err.loc.line > 0);
				dmo_buf_printf(t, "B %lu %llu %s\n%zu:",
				    err.loc.line, rec.recno, err.msg, rl);
				dmo_buf_add(t, raw, rl);
				dmo_buf_addc(t, '\n');
				continue;
			}
			ASSERT(rc == DMO_READ_RECORD);
			fz_check_record(&rec);
			dmo_buf_printf(t, "R %lu %llu ", rec.loc.line,
			    rec.recno);
			fz_canon_fields(t, &rec);
			(void)dmo_writer_write(w, &rec, &err);
		}
	} else
		dmo_buf_printf(t, "I %s\n", err.msg);
	/* A resync reads no byte again more than once. */
	ASSERT(dmo_csv_replayed <= size);
	th_mem_close(&m);
	dmo_writer_finish(w, &err);
	dmo_writer_free(w);
	dmo_out_close(out, &err);	/* closes the fd */
	dmo_record_release(&rec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int delims[] = { 0, ',', ';', '\t' };
	static const size_t chunks[] = { 1, 3, 64, (size_t)-1 };
	struct dmo_read_opts o;
	struct dmo_buf fast = DMO_BUF_INIT, slow = DMO_BUF_INIT;
	uint8_t a, b;
	int d, q, h;

	if (size < 2)
		return 0;
	a = data[0];
	b = data[1];
	data += 2;
	size -= 2;

	/* The sniffer alone, on the raw bytes. */
	d = 0;
	q = 0;
	h = -1;
	dmo_csv_sniff((const char *)data, size, &d, &q, &h);
	ASSERT((d == ',' || d == ';' || d == '\t' || d == '|') && q == '"' &&
	    (h == 0 || h == 1));

	memset(&o, 0, sizeof(o));
	o.format = (a & 0x03) == 3 ? DMO_FMT_TSV : DMO_FMT_CSV;
	o.delim = delims[a & 0x03];
	o.quote = (a & 0x04) ? -1 : ((a & 0x80) ? 0 : '"');
	o.header = ((a >> 3) & 0x03) == 0 ? -1 : ((a >> 3) & 0x03) == 1 ?
	    0 : 1;
	o.infer = (a >> 5) & 1;
	o.utf8 = (a & 0x40) ? DMO_UTF8_REPLACE : DMO_UTF8_REJECT;
	o.ragged = (enum dmo_ragged)(b % 3);
	o.dup = (enum dmo_dup)((b / 3) % 3);
	o.max_record = (b & 0x20) ? 48 : 0;

	run(data, size, &o, chunks[(b >> 6) & 3], (b >> 4) & 1, &fast);
	dmo_csv_libcsv_only = 1;
	run(data, size, &o, (size_t)-1, 0, &slow);
	dmo_csv_libcsv_only = 0;
	if (fast.len != slow.len || (fast.len > 0 &&
	    memcmp(fast.p, slow.p, fast.len) != 0)) {
		fprintf(stderr, "fast path:\n%.*s\nlibcsv alone:\n%.*s\n",
		    (int)fast.len, fast.p, (int)slow.len, slow.p);
		abort();
	}
	dmo_buf_release(&fast);
	dmo_buf_release(&slow);
	return 0;
}
