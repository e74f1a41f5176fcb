/* test_csv.c - unit tests for the CSV/TSV reader, sniffer and writer. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formatimpl.h"
#include "value.h"

#include "testhelp.h"

/* Escape for a transcript; raw text keeps its double quotes. */
static void
esc2(struct dmo_buf *b, const char *p, size_t n, int raw)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\n')
			dmo_buf_adds(b, "\\n");
		else if (c == '\r')
			dmo_buf_adds(b, "\\r");
		else if (c == '\\' || (c == '"' && !raw))
			dmo_buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			dmo_buf_printf(b, "\\x%02x", c);
		else
			dmo_buf_addc(b, c);
	}
}

static void
esc(struct dmo_buf *b, const char *p, size_t n)
{
	esc2(b, p, n, 0);
}

static void
show_record(struct dmo_buf *b, const struct dmo_record *rec)
{
	size_t i;

	dmo_buf_printf(b, "@%lu", rec->loc.line);
	for (i = 0; i < dmo_record_count(rec); i++) {
		size_t nl, vl;
		const char *nm = dmo_record_name(rec, i, &nl);
		const char *v = dmo_record_value(rec, i, &vl);

		dmo_buf_addc(b, ' ');
		esc(b, nm, nl);
		dmo_buf_addc(b, '=');
		/* record.h: every value is followed by a NUL. */
		if (v[vl] != '\0')
			dmo_buf_adds(b, "(no NUL)");
		switch (dmo_record_type(rec, i)) {
		case DMO_NULL:
			dmo_buf_adds(b, "null");
			break;
		case DMO_TRUE:
			dmo_buf_adds(b, "true");
			break;
		case DMO_FALSE:
			dmo_buf_adds(b, "false");
			break;
		case DMO_NUMBER:
			dmo_buf_addc(b, '#');
			esc(b, v, vl);
			break;
		default:
			dmo_buf_addc(b, '"');
			esc(b, v, vl);
			dmo_buf_addc(b, '"');
			break;
		}
	}
	dmo_buf_addc(b, '\n');
}

static struct dmo_read_opts
defaults(void)
{
	struct dmo_read_opts o;

	memset(&o, 0, sizeof(o));
	o.format = DMO_FMT_CSV;
	o.delim = ',';
	o.quote = '"';
	o.header = 1;
	return o;
}

/* The CSV reader over in[0..n), "t.csv" in messages (th_mem_open). */
static int
open_csv(struct th_mem *m, const char *in, size_t n, size_t chunk,
    const struct dmo_read_opts *o, struct dmo_err *err)
{
	return th_mem_open(m, &dmo_csv_reader_ops, in, n, chunk, o, "t.csv",
	    err);
}

/*
 * Read input through the CSV reader, chunk bytes at a time, and describe
 * what comes out, one line per result:
 *	@LINE name="value" name=#number name=null ...
 *	BAD @LINE: message [raw]
 *	FATAL @LINE: message
 * The records' recno must count 1, 2, ... over records and bad ones.
 */
static char *
transcript_chunked(const char *in, size_t n, const struct dmo_read_opts *o,
    size_t chunk)
{
	struct dmo_buf out = DMO_BUF_INIT;
	struct th_mem m;
	struct dmo_record rec;
	struct dmo_err err;
	unsigned long long want = 0;
	int rc, guard = 0;

	dmo_record_init(&rec);
	if (open_csv(&m, in, n, chunk, o, &err) != 0) {
		dmo_buf_printf(&out, "INIT: %s\n", err.msg);
		goto done;
	}
	while (guard++ < 10000) {
		rc = th_mem_next(&m, &rec, &err);
		if (rc == DMO_READ_EOF)
			break;
		if (rc == DMO_READ_RECORD || rc == DMO_READ_BAD) {
			if (rec.recno != ++want)
				dmo_buf_printf(&out, "RECNO %llu\n", rec.recno);
		}
		if (rc == DMO_READ_RECORD)
			show_record(&out, &rec);
		else if (rc == DMO_READ_BAD) {
			size_t rl;
			const char *raw = dmo_reader_raw(&m.r, &rl);

			dmo_buf_printf(&out, "BAD @%lu: %s [", err.loc.line,
			    err.msg);
			esc2(&out, raw, rl, 1);
			dmo_buf_adds(&out, "]\n");
			if (err.code != 1 || err.loc.file != m.r.source)
				dmo_buf_adds(&out, "(bad code or file)\n");
		} else if (rc == DMO_READ_FATAL) {
			dmo_buf_printf(&out, "FATAL @%lu: %s\n", err.loc.line,
			    err.msg);
			break;
		} else {
			dmo_buf_printf(&out, "RC %d\n", rc);
			break;
		}
	}
done:
	th_mem_close(&m);
	dmo_record_release(&rec);
	dmo_buf_addc(&out, '\0');
	return out.p;
}

/*
 * What a text gives read three ways: all at once, a byte at a time, and
 * all at once with libcsv alone (no fast path).  All three must be the
 * same, and a resync must read no byte again more than once.
 */
struct story {
	char			*all;
	char			*bytewise;
	char			*libcsv;
	unsigned long long	 replayed;	/* dmo_csv_replayed for all */
	size_t			 n;
};

static void
story_read(struct story *st, const char *in, size_t n,
    const struct dmo_read_opts *o)
{
	st->n = n;
	dmo_csv_replayed = 0;
	st->all = transcript_chunked(in, n, o, (size_t)-1);
	st->replayed = dmo_csv_replayed;
	st->bytewise = transcript_chunked(in, n, o, 1);
	dmo_csv_libcsv_only = 1;
	st->libcsv = transcript_chunked(in, n, o, (size_t)-1);
	dmo_csv_libcsv_only = 0;
}

/* Do the three agree?  With show, say how they do not. */
static int
story_agrees(const struct story *st, int show)
{
	int b = strcmp(st->all, st->bytewise) == 0;
	int c = strcmp(st->all, st->libcsv) == 0;
	int r = st->replayed <= st->n;

	if (show && !b)
		th_show("a byte at a time", st->bytewise,
		    strlen(st->bytewise));
	if (show && !c)
		th_show("libcsv alone", st->libcsv, strlen(st->libcsv));
	if (show && !r)
		printf("#   %llu bytes replayed of %zu\n", st->replayed,
		    st->n);
	return b && c && r;
}

static void
story_free(struct story *st)
{
	free(st->all);
	free(st->bytewise);
	free(st->libcsv);
}

static void
expect(const char *in, size_t n, const struct dmo_read_opts *o,
    const char *want, const char *name, int line)
{
	struct story st;
	int match;

	story_read(&st, in, n, o);
	match = strcmp(st.all, want) == 0;
	if (!th_check(match && story_agrees(&st, 0), name, line,
	    "transcripts differ")) {
		if (!match) {
			th_show("got ", st.all, strlen(st.all));
			th_show("want", want, strlen(want));
		}
		(void)story_agrees(&st, 1);
	}
	story_free(&st);
}

/* The transcript of in must be want, whichever way it is read. */
#define EXPECT(in, o, want, name)	expect(S(in), o, want, name, __LINE__)

static void
test_basic(void)
{
	struct dmo_read_opts o = defaults();

	EXPECT("a,b\n1,2\n3,4\n", &o,
	    "@2 a=\"1\" b=\"2\"\n@3 a=\"3\" b=\"4\"\n",
	    "csv: header and two rows");
	EXPECT("a,b\n1,2", &o, "@2 a=\"1\" b=\"2\"\n",
	    "csv: last line without LF");
	EXPECT("a,b\n\"x,y\",\"say \"\"hi\"\"\"\n", &o,
	    "@2 a=\"x,y\" b=\"say \\\"hi\\\"\"\n",
	    "csv: quoted comma and doubled quotes");
	EXPECT("a,b\n1,\"x\ny\nz\"\n2,w\n", &o,
	    "@2 a=\"1\" b=\"x\\ny\\nz\"\n@5 a=\"2\" b=\"w\"\n",
	    "csv: quoted newlines keep line numbers");
	EXPECT("a,b\r\n1,2\r\n3,\"x\r\ny\"\r\n", &o,
	    "@2 a=\"1\" b=\"2\"\n@3 a=\"3\" b=\"x\\r\\ny\"\n",
	    "csv: CRLF, and CRLF inside quotes is data");
	EXPECT("a,b\n1,2\r\n3,4\r5,6\n7,8", &o,
	    "@2 a=\"1\" b=\"2\"\n@3 a=\"3\" b=\"4\"\n@3 a=\"5\" b=\"6\"\n"
	    "@4 a=\"7\" b=\"8\"\n",
	    "csv: mixed line ends (LF, CRLF, CR)");
	EXPECT("\xef\xbb\xbf" "a,b\n1,2\n", &o, "@2 a=\"1\" b=\"2\"\n",
	    "csv: byte order mark skipped");
	EXPECT("a,b\n\n1,2\n\n\n3,4\n\n", &o,
	    "@3 a=\"1\" b=\"2\"\n@6 a=\"3\" b=\"4\"\n",
	    "csv: blank lines skipped, lines still counted");
	EXPECT(" a , b \n 1 ,\t2\t\n", &o,
	    "@2  a =\" 1 \"  b =\"\\x092\\x09\"\n",
	    "csv: blanks around fields are data");
	EXPECT("a,b\n1,x\0y\n", &o, "@2 a=\"1\" b=\"x\\x00y\"\n",
	    "csv: NUL byte inside a field survives");
	EXPECT("", &o, "", "csv: empty file gives nothing");
	EXPECT("a,b\n", &o, "", "csv: header only gives nothing");
	EXPECT("a,b", &o, "", "csv: header only, no LF");
	EXPECT("\n\n", &o, "", "csv: blank lines only");
	EXPECT("a,,c\n1,2,3\n", &o,
	    "@2 a=\"1\" field2=\"2\" c=\"3\"\n",
	    "csv: empty header name becomes fieldN");
	EXPECT("a,b\n,\"\"\n", &o, "@2 a=\"\" b=\"\"\n",
	    "csv: without --infer empty fields are empty strings");
	EXPECT("a\n\"\"\nx\n", &o, "@2 a=\"\"\n@3 a=\"x\"\n",
	    "csv: one column, an empty quoted field");
}

static void
test_infer(void)
{
	struct dmo_read_opts o = defaults();

	EXPECT("a,b,c,d,e,f\n007,1.5,-0,1e400,\"12\",x\n", &o,
	    "@2 a=\"007\" b=\"1.5\" c=\"-0\" d=\"1e400\" e=\"12\" f=\"x\"\n",
	    "csv: no inference by default");
	o.infer = 1;
	EXPECT("a,b,c,d,e,f\n007,1.5,-0,1e400,\"12\",x\n", &o,
	    "@2 a=\"007\" b=#1.5 c=#-0 d=#1e400 e=#12 f=\"x\"\n",
	    "csv: --infer numbers keep their lexeme, 007 stays text");
	EXPECT("a,b,c,d\n,\"\",true,FALSE\n", &o,
	    "@2 a=null b=\"\" c=true d=false\n",
	    "csv: --infer: empty is null, \"\" is empty, booleans");
	o.ragged = DMO_RAGGED_PAD;
	EXPECT("a,b,c\n1\n", &o, "@2 a=#1 b=null c=null\n",
	    "csv: --infer pads with null");
}

static void
test_ragged(void)
{
	struct dmo_read_opts o = defaults();
	static const char in[] = "a,b,c\n1,2\n1,2,3\n1,2,3,4\n";

	EXPECT(in, &o,
	    "BAD @2: ragged row: 2 fields, expected 3 [1,2]\n"
	    "@3 a=\"1\" b=\"2\" c=\"3\"\n"
	    "BAD @4: ragged row: 4 fields, expected 3 [1,2,3,4]\n",
	    "csv: ragged rows rejected by default");
	o.ragged = DMO_RAGGED_PAD;
	EXPECT(in, &o,
	    "@2 a=\"1\" b=\"2\" c=\"\"\n"
	    "@3 a=\"1\" b=\"2\" c=\"3\"\n"
	    "BAD @4: ragged row: 4 fields, expected 3 [1,2,3,4]\n",
	    "csv: pad fills short rows, long ones still rejected");
	o.ragged = DMO_RAGGED_TRUNCATE;
	EXPECT(in, &o,
	    "@2 a=\"1\" b=\"2\" c=\"\"\n"
	    "@3 a=\"1\" b=\"2\" c=\"3\"\n"
	    "@4 a=\"1\" b=\"2\" c=\"3\"\n",
	    "csv: truncate drops extra fields and pads");
	o.ragged = DMO_RAGGED_REJECT;
	EXPECT("a,b\n1,\"x\ny\",z\n2,3\n", &o,
	    "BAD @2: ragged row: 3 fields, expected 2 [1,\"x\\ny\",z]\n"
	    "@4 a=\"2\" b=\"3\"\n",
	    "csv: raw text of a bad record spans its lines");
}

static void
test_header(void)
{
	struct dmo_read_opts o = defaults();

	o.header = 0;
	EXPECT("1,2\n3,4\n", &o,
	    "@1 field1=\"1\" field2=\"2\"\n@2 field1=\"3\" field2=\"4\"\n",
	    "csv: no header: field1, field2");
	EXPECT("1,2\n3\n", &o,
	    "@1 field1=\"1\" field2=\"2\"\n"
	    "BAD @2: ragged row: 1 field, expected 2 [3]\n",
	    "csv: no header: the first row sets the count");
	EXPECT("1,\"2\n3,4\n5,6\n", &o,
	    "BAD @1: unterminated quoted field [1,\"2]\n"
	    "@2 field1=\"3\" field2=\"4\"\n@3 field1=\"5\" field2=\"6\"\n",
	    "csv: no header: a bad first row, the next one counts");
	o.header = 1;
	EXPECT("a,b,a\n1,2,3\n", &o,
	    "FATAL @1: duplicate field name 'a' in header\n",
	    "csv: duplicate header names rejected");
	o.dup = DMO_DUP_FIRST;
	EXPECT("a,b,a\n1,2,3\n4,5\n", &o,
	    "@2 a=\"1\" b=\"2\"\n"
	    "BAD @3: ragged row: 2 fields, expected 3 [4,5]\n",
	    "csv: duplicate names, keep the first");
	o.dup = DMO_DUP_LAST;
	EXPECT("a,b,a\n1,2,3\n", &o, "@2 a=\"3\" b=\"2\"\n",
	    "csv: duplicate names, keep the last at the first position");
	o.ragged = DMO_RAGGED_PAD;
	EXPECT("a,b,a\n1,2\n", &o, "@2 a=\"1\" b=\"2\"\n",
	    "csv: duplicate names, last, short row keeps what it has");
	o.ragged = DMO_RAGGED_REJECT;
	o.dup = DMO_DUP_REJECT;
	EXPECT(",,\n1,2,3\n", &o,
	    "@2 field1=\"1\" field2=\"2\" field3=\"3\"\n",
	    "csv: all names empty");
	EXPECT("a,,field2\n1,2,3\n", &o,
	    "FATAL @1: duplicate field name 'field2' in header\n",
	    "csv: a generated name may clash");
	EXPECT("\n\na,\"b\nc\"\n1,2\n", &o, "@5 a=\"1\" b\\nc=\"2\"\n",
	    "csv: header after blank lines, with a newline in a name");
	EXPECT("a,\"b\n1,2\n", &o,
	    "FATAL @1: unterminated quoted field in header\n",
	    "csv: unterminated quote in the header is fatal");
	EXPECT("a,b\"c\n1,2\n", &o,
	    "FATAL @1: malformed quoting in header\n",
	    "csv: malformed header is fatal");
	EXPECT("a,\"b\nc\"d\n1,2\n", &o,
	    "FATAL @1: malformed quoting in header\n",
	    "csv: malformed header across lines is fatal");
}

static void
test_errors(void)
{
	struct dmo_read_opts o = defaults();

	EXPECT("a,b\n1,\"oops\n2,3\n4,5\n", &o,
	    "BAD @2: unterminated quoted field [1,\"oops]\n"
	    "@3 a=\"2\" b=\"3\"\n@4 a=\"4\" b=\"5\"\n",
	    "csv: unterminated quote: resync after its line");
	/*
	 * A quote closed on a later line, with text after it (malformed):
	 * the quote that opened the field may have been a stray one, so the
	 * lines after it are read again, as at the end of the input.
	 */
	EXPECT("id,name\n1,ok\n2,\"stray\n3,fine\n4,\"quoted\"\n5,last\n",
	    &o,
	    "@2 id=\"1\" name=\"ok\"\n"
	    "BAD @3: unterminated quoted field [2,\"stray]\n"
	    "@4 id=\"3\" name=\"fine\"\n"
	    "@5 id=\"4\" name=\"quoted\"\n"
	    "@6 id=\"5\" name=\"last\"\n",
	    "csv: a quote closed on a later line: resync after its line");
	EXPECT("a,b\n1,\"x\n\"2,3\n4,\"5\n6,7", &o,
	    "BAD @2: unterminated quoted field [1,\"x]\n"
	    "BAD @3: unterminated quoted field [\"2,3]\n"
	    "BAD @4: unterminated quoted field [4,\"5]\n"
	    "@5 a=\"6\" b=\"7\"\n",
	    "csv: malformed across lines, resyncs one after another");
	EXPECT("a,b\n1,\"a\n2,\"b\n3,4\n", &o,
	    "BAD @2: unterminated quoted field [1,\"a]\n"
	    "BAD @3: unterminated quoted field [2,\"b]\n"
	    "@4 a=\"3\" b=\"4\"\n",
	    "csv: a quote that closes another: both lines rejected alone");
	EXPECT("a,b\n1,\"two\nlines\" \n2,3\n", &o,
	    "BAD @2: unterminated quoted field [1,\"two]\n"
	    "BAD @3: malformed quoting [lines\" ]\n"
	    "@4 a=\"2\" b=\"3\"\n",
	    "csv: text after a closing quote on a later line: each line told");
	EXPECT("a,b\n1,\"x\n\"y\nw\",2\n3,4\n", &o,
	    "BAD @2: unterminated quoted field [1,\"x]\n"
	    "@3 a=\"y\\nw\" b=\"2\"\n"
	    "@5 a=\"3\" b=\"4\"\n",
	    "csv: a line read again starts a record that goes on");
	EXPECT("a,b\n1,\"x\n\"y\nw\"z\n3,4\n", &o,
	    "BAD @2: unterminated quoted field [1,\"x]\n"
	    "BAD @3: unterminated quoted field [\"y]\n"
	    "BAD @4: malformed quoting [w\"z]\n"
	    "@5 a=\"3\" b=\"4\"\n",
	    "csv: a line read again starts a record that needs a resync too");
	EXPECT("a,b\n0,1\r1,\"x\r2,3\n4,\"y\"z\n5,6\n", &o,
	    "@2 a=\"0\" b=\"1\"\n"
	    "BAD @2: unterminated quoted field [1,\"x\\r2,3]\n"
	    "BAD @3: malformed quoting [4,\"y\"z]\n"
	    "@4 a=\"5\" b=\"6\"\n",
	    "csv: resync of a record that starts after a CR");
	o.header = 0;
	EXPECT("1,\"x\n2,\"y\n3,4\n", &o,
	    "BAD @1: unterminated quoted field [1,\"x]\n"
	    "BAD @2: unterminated quoted field [2,\"y]\n"
	    "@3 field1=\"3\" field2=\"4\"\n",
	    "csv: no header: resync in the first row");
	o.header = 1;
	EXPECT("a,b\n1,2\r3,\"x\n4,5\n", &o,
	    "@2 a=\"1\" b=\"2\"\n"
	    "BAD @2: unterminated quoted field [3,\"x]\n"
	    "@3 a=\"4\" b=\"5\"\n",
	    "csv: resync after a record that starts after a CR");
	EXPECT("a,b\n1,x\"y\n2,3\n", &o,
	    "BAD @2: malformed quoting [1,x\"y]\n@3 a=\"2\" b=\"3\"\n",
	    "csv: quote inside an unquoted field");
	EXPECT("a,b\n\"ab\"c,d\n2,3\n", &o,
	    "BAD @2: malformed quoting [\"ab\"c,d]\n@3 a=\"2\" b=\"3\"\n",
	    "csv: text after a closing quote");
	EXPECT("a,b\n1,\"x\" \n2,3\n", &o,
	    "BAD @2: malformed quoting [1,\"x\" ]\n@3 a=\"2\" b=\"3\"\n",
	    "csv: a blank after a closing quote");
	EXPECT("a,b\n1,2\r3,x\"y\r5,6\n7,8\n", &o,
	    "@2 a=\"1\" b=\"2\"\n"
	    "BAD @2: malformed quoting [3,x\"y\\r5,6]\n"
	    "@3 a=\"7\" b=\"8\"\n",
	    "csv: malformed after a CR skips the rest of the line");
	EXPECT("a,b\n1,\xff\n2,3\n", &o,
	    "BAD @2: field 'b': invalid UTF-8 at byte 1 [1,\\xff]\n"
	    "@3 a=\"2\" b=\"3\"\n",
	    "csv: invalid UTF-8 rejected");
	EXPECT("a,b\nx\xc3\xa9\xc3,2,3\n", &o,
	    "BAD @2: ragged row: 3 fields, expected 2 "
	    "[x\\xc3\\xa9\\xc3,2,3]\n",
	    "csv: ragged wins over UTF-8");
	o.utf8 = DMO_UTF8_REPLACE;
	EXPECT("a,b\n1,x\xffy\n", &o, "@2 a=\"1\" b=\"x\\xef\\xbf\\xbdy\"\n",
	    "csv: invalid UTF-8 replaced");
	EXPECT("a\xff,b\n1,2\n", &o, "@2 a\\xef\\xbf\\xbd=\"1\" b=\"2\"\n",
	    "csv: invalid UTF-8 in a name replaced");
	o.utf8 = DMO_UTF8_REJECT;
	EXPECT("a\xff,b\n1,2\n", &o,
	    "FATAL @1: header field 1: invalid UTF-8 at byte 2\n",
	    "csv: invalid UTF-8 in a name is fatal");
}

/* Lines in s. */
static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/*
 * Stray quotes by the thousand: every line must come out as a record or
 * a reject, and no line is read again more than once (story_agrees).
 */
static void
test_resync_cost(void)
{
	static const char *const fill[] = { "x\"\"y\n", "a,\"b\n",
	    "x,y\n" };
	static const char *const names[] = {
	    "resync: a quote closed 3000 lines on, with doubled quotes between",
	    "resync: 3000 lines that each close the one before",
	    "resync: a quote left open 3000 lines before the end" };
	struct dmo_read_opts o = defaults();
	struct dmo_buf in = DMO_BUF_INIT;
	struct story st;
	size_t i, k;

	for (k = 0; k < 3; k++) {
		in.len = 0;
		dmo_buf_adds(&in, "a,b\n");
		if (k != 1)
			dmo_buf_adds(&in, "1,\"\n");
		for (i = 0; i < 3000; i++)
			dmo_buf_adds(&in, fill[k]);
		if (k == 0)
			dmo_buf_adds(&in, "\"z\n1,2\n");
		dmo_buf_cstr(&in);
		story_read(&st, in.p, in.len, &o);
		if (!CHECK(story_agrees(&st, 0) &&
		    count_lines(st.all) == count_lines(in.p) - 1, names[k])) {
			printf("# %zu results for %zu lines\n",
			    count_lines(st.all), count_lines(in.p) - 1);
			(void)story_agrees(&st, 1);
		}
		story_free(&st);
	}
	dmo_buf_release(&in);
}

/* Read a source whose second field is huge: a summary of each result. */
static char *
big_field(const char *in, size_t n, const struct dmo_read_opts *o)
{
	struct dmo_buf out = DMO_BUF_INIT;
	struct th_mem m;
	struct dmo_record rec;
	struct dmo_err err;
	int rc;

	dmo_record_init(&rec);
	if (open_csv(&m, in, n, (size_t)-1, o, &err) == 0) {
		while ((rc = th_mem_next(&m, &rec, &err)) == DMO_READ_RECORD) {
			size_t l0, l1;
			const char *v0 = dmo_record_value(&rec, 0, &l0);
			const char *v1 = dmo_record_value(&rec, 1, &l1);

			dmo_buf_printf(&out, "@%lu %s ", rec.loc.line, v0);
			if (l1 > 100)
				dmo_buf_printf(&out, "%zu ", l1);
			else
				dmo_buf_printf(&out, "%s ", v1);
			dmo_buf_adds(&out, "| ");
		}
		dmo_buf_adds(&out, rc == DMO_READ_EOF ? "EOF" : err.msg);
	}
	th_mem_close(&m);
	dmo_record_release(&rec);
	dmo_buf_addc(&out, '\0');
	return out.p;
}

static void
test_toolong(void)
{
	struct dmo_read_opts o = defaults();
	struct dmo_buf big = DMO_BUF_INIT;
	char *got;
	size_t i;

	o.max_record = 16;
	EXPECT("a,b\n1,2\n1234567890,1234567890\n3,4\n", &o,
	    "@2 a=\"1\" b=\"2\"\n"
	    "BAD @3: record too long: more than 16 bytes []\n"
	    "@4 a=\"3\" b=\"4\"\n",
	    "csv: a line over the limit");
	EXPECT("a,b\n1,\"2\n3\n4\n5\n6\n7\n8\n9\"\n3,4\n", &o,
	    "BAD @2: record too long: more than 16 bytes "
	    "[1,\"2\\n3\\n4\\n5\\n6\\n7\\n8]\n"
	    "@10 a=\"3\" b=\"4\"\n",
	    "csv: a record over the limit across lines");
	EXPECT("a,b\n1,\"2\n3\n4\n5\n6\n7\n8\n9\n", &o,
	    "BAD @2: record too long: more than 16 bytes "
	    "[1,\"2\\n3\\n4\\n5\\n6\\n7\\n8]\n",
	    "csv: over the limit and unterminated");
	EXPECT("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,b\n1,2\n", &o,
	    "FATAL @1: header too long: more than 16 bytes\n",
	    "csv: header over the limit");

	/* A 100 MB quoted field with the default limit. */
	o = defaults();
	dmo_buf_adds(&big, "a,b,c\n1,\"");
	dmo_buf_grow(&big, 100 << 20);
	for (i = 0; i < (100u << 20) / 64; i++)
		dmo_buf_add(&big, (i % 1000 == 999) ?
		    "0123456789012345678901234567890123456789012345678901234"
		    "567890\"\"\n" : "0123456789012345678901234567890123456789"
		    "012345678901234567890123", 64);
	dmo_buf_adds(&big, "\",x\n2,y,z\n");
	got = big_field(big.p, big.len, &o);
	CHECK_STR(got, "@2 1 104855962 | @1641 2 y | EOF",
	    "csv: a 100 MB quoted field");
	free(got);
	dmo_buf_release(&big);
}

static void
test_dialects(void)
{
	struct dmo_read_opts o = defaults();

	o.format = DMO_FMT_TSV;
	o.delim = 0;
	EXPECT("a\tb\n\"x\ty\"\t2,3\n", &o, "@2 a=\"x\\x09y\" b=\"2,3\"\n",
	    "tsv: tab delimiter, quotes as in CSV");
	o.format = DMO_FMT_CSV;
	o.delim = ';';
	EXPECT("a;b\n1,5;\"x;y\"\n", &o, "@2 a=\"1,5\" b=\"x;y\"\n",
	    "csv: semicolon delimiter");
	o.delim = ',';
	o.quote = -1;
	EXPECT("a,b\n\"x,y\"\n5\" screen,\"\"\n", &o,
	    "@2 a=\"\\\"x\" b=\"y\\\"\"\n@3 a=\"5\\\" screen\" "
	    "b=\"\\\"\\\"\"\n",
	    "csv: quoting off: quotes are data");
	o.infer = 1;
	EXPECT("a,b\n,1\r\n2,", &o, "@2 a=null b=#1\n@3 a=#2 b=null\n",
	    "csv: quoting off: empty fields, CRLF, no final LF");
	o.infer = 0;
	o.quote = '\'';
	EXPECT("a,b\n'x,y','it''s'\n", &o, "@2 a=\"x,y\" b=\"it's\"\n",
	    "csv: another quote character");
}

static void
sniffs(const char *in, int d0, int q0, int h0, int dw, int qw, int hw,
    const char *name)
{
	int d = d0, q = q0, h = h0;

	dmo_csv_sniff(in, strlen(in), &d, &q, &h);
	CHECK(d == dw && q == qw && h == hw, name);
	if (d != dw || q != qw || h != hw)
		printf("# got delim %d quote %d header %d\n", d, q, h);
}

static void
test_sniff(void)
{
	struct dmo_read_opts o = defaults();

	sniffs("a,b,c\n1,2,3\n", 0, 0, -1, ',', '"', 1, "sniff: comma");
	sniffs("a;b;c\n1,5;2,5;3\n4;5;6\n", 0, 0, -1, ';', '"', 1,
	    "sniff: semicolon with decimal commas");
	sniffs("a\tb\tc\nx, y\tz\tw\n", 0, 0, -1, '\t', '"', 1, "sniff: tab");
	sniffs("a|b\nx|y\n", 0, 0, -1, '|', '"', 1, "sniff: pipe");
	sniffs("\"a;b\",c\n\"d;e\",f\n", 0, 0, -1, ',', '"', 1,
	    "sniff: delimiters inside quotes do not count");
	sniffs("\"a,b\nc,d\";e\nf;g\n", 0, 0, -1, ';', '"', 1,
	    "sniff: quoted newline");
	sniffs("one column\nvalue\n", 0, 0, -1, ',', '"', 1,
	    "sniff: one column: comma");
	sniffs("a;b;c", 0, 0, -1, ';', '"', 1, "sniff: one line, no LF");
	sniffs("", 0, 0, -1, ',', '"', 1, "sniff: empty");
	sniffs("x;y\n", ',', 0, -1, ',', '"', 1, "sniff: given delimiter kept");
	sniffs("1,2\n", 0, -1, 0, ',', -1, 0, "sniff: given values kept");
	sniffs("id,name\n1,bob\n2,eve\n", 0, 0, -1, ',', '"', 1,
	    "sniff: text over numbers is a header");
	sniffs("1,2,3\n4,5,6\n", 0, 0, -1, ',', '"', 0,
	    "sniff: numbers over numbers is data");
	sniffs("bob,30\nalice,25\n", 0, 0, -1, ',', '"', 0,
	    "sniff: a numeric column with a number on top is data");
	sniffs("name,city\nbob,paris\n", 0, 0, -1, ',', '"', 1,
	    "sniff: all text: header");
	sniffs(",a,b\n0,1,2\n1,3,4\n", 0, 0, -1, ',', '"', 1,
	    "sniff: empty name over numbers (pandas index) is a header");
	sniffs("x,,1\ny,,2\n", 0, 0, -1, ',', '"', 0,
	    "sniff: empty among empties is data");
	sniffs("active,since\ntrue,2024-01-02\nfalse,2023-12-31\n", 0, 0, -1,
	    ',', '"', 1, "sniff: text over booleans and dates is a header");
	sniffs("true,2024-01-02\nfalse,2023-12-31\n", 0, 0, -1, ',', '"', 0,
	    "sniff: booleans and dates on top are data");
	sniffs("x,1\n5,2\n", 0, 0, -1, ',', '"', 1,
	    "sniff: evidence both ways: header");
	sniffs("a,b\n", 0, 0, -1, ',', '"', 1, "sniff: one row: header");
	sniffs("\xef\xbb\xbf" "1;2\n3;4\n", 0, 0, -1, ';', '"', 0,
	    "sniff: byte order mark ignored");

	o.delim = 0;
	o.quote = 0;
	o.header = -1;
	EXPECT("1;2\n3;4\n", &o, "@1 field1=\"1\" field2=\"2\"\n"
	    "@2 field1=\"3\" field2=\"4\"\n", "csv: reader sniffs");
	EXPECT("\xef\xbb\xbf" "a\tb\nx\ty\n", &o, "@2 a=\"x\" b=\"y\"\n",
	    "csv: reader sniffs after a BOM");
}

/* The errors of the last write_csv, one "N: message" line each. */
static struct dmo_buf werrs = DMO_BUF_INIT;

/* Write records with the CSV writer; the bytes written. */
static char *
write_csv(struct dmo_record *recs, size_t n, const struct dmo_write_opts *wo)
{
	struct dmo_out *out = th_out_new();
	struct dmo_writer *w;
	struct dmo_err err;
	struct dmo_buf b = DMO_BUF_INIT;
	size_t i;

	werrs.len = 0;
	dmo_err_clear(&err);
	w = dmo_writer_new(out, wo, &err);
	for (i = 0; i < n; i++)
		if (dmo_writer_write(w, &recs[i], &err) != 0)
			dmo_buf_printf(&werrs, "%zu: %s\n", i, err.msg);
	dmo_buf_cstr(&werrs);
	dmo_writer_finish(w, &err);
	dmo_writer_free(w);
	th_out_bytes(out, &b);
	dmo_out_close(out, &err);
	return b.p;
}

static void
expect_csv(struct dmo_record *recs, size_t n,
    const struct dmo_write_opts *wo, const char *want, const char *name,
    int line)
{
	char *got = write_csv(recs, n, wo);

	th_check_str(got, want, name, line);
	free(got);
}

/* recs[0..n) written must be want. */
#define EXPECT_CSV(recs, n, wo, want, name) \
	expect_csv((recs), (n), (wo), (want), (name), __LINE__)

static void
release(struct dmo_record *recs, size_t n)
{
	while (n-- > 0)
		dmo_record_release(&recs[n]);
}

/* Build a record from "name", type, "value" triples. */
static void
mkrec(struct dmo_record *r, size_t n, ...)
{
	va_list ap;
	size_t i;
	struct dmo_err err;

	dmo_record_init(r);
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		const char *nm = va_arg(ap, const char *);
		int t = va_arg(ap, int);
		const char *v = va_arg(ap, const char *);

		dmo_record_add(r, nm, strlen(nm), (enum dmo_type)t, v,
		    strlen(v));
	}
	va_end(ap);
	dmo_record_finish(r, DMO_DUP_REJECT, &err);
}

static void
test_writer(void)
{
	struct dmo_write_opts wo;
	struct dmo_record recs[6];

	memset(&wo, 0, sizeof(wo));
	wo.format = DMO_FMT_CSV;
	wo.header = 1;
	mkrec(&recs[0], 6, "a", DMO_STRING, "plain", "b", DMO_STRING, "x,y",
	    "c", DMO_STRING, "say \"hi\"", "d", DMO_STRING, "two\nlines",
	    "e", DMO_STRING, " pad ", "f", DMO_STRING, "cr\r");
	mkrec(&recs[1], 6, "a", DMO_NULL, "", "b", DMO_TRUE, "",
	    "c", DMO_FALSE, "", "d", DMO_NUMBER, "12.30",
	    "e", DMO_ARRAY, "[1,\"x\"]", "f", DMO_OBJECT, "{\"k\":null}");
	EXPECT_CSV(recs, 2, &wo, "a,b,c,d,e,f\n"
	    "plain,\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\", pad ,\"cr\r\"\n"
	    ",true,false,12.30,\"[1,\"\"x\"\"]\",\"{\"\"k\"\":null}\"\n",
	    "writer: quoting only where needed, types");
	CHECK_STR(werrs.p, "", "writer: no errors");

	wo.format = DMO_FMT_TSV;
	EXPECT_CSV(recs, 2, &wo, "a\tb\tc\td\te\tf\n"
	    "plain\tx,y\t\"say \"\"hi\"\"\"\t\"two\nlines\"\t pad \t\"cr\r\"\n"
	    "\ttrue\tfalse\t12.30\t\"[1,\"\"x\"\"]\"\t\"{\"\"k\"\":null}\"\n",
	    "writer: TSV");
	release(recs, 2);

	/* Later records: reordered, missing, unknown fields. */
	wo.format = DMO_FMT_CSV;
	mkrec(&recs[0], 3, "a", DMO_STRING, "1", "b", DMO_STRING, "2",
	    "c", DMO_STRING, "3");
	mkrec(&recs[1], 3, "c", DMO_STRING, "6", "a", DMO_STRING, "4",
	    "b", DMO_STRING, "5");
	mkrec(&recs[2], 1, "b", DMO_STRING, "8");
	mkrec(&recs[3], 2, "a", DMO_STRING, "9", "zz", DMO_STRING, "0");
	mkrec(&recs[4], 3, "a", DMO_STRING, "1", "b", DMO_STRING, "2",
	    "c", DMO_STRING, "3");
	recs[4].shape = recs[0].shape;
	EXPECT_CSV(recs, 5, &wo, "a,b,c\n1,2,3\n4,5,6\n,8,\n1,2,3\n",
	    "writer: other orders follow the header, missing are empty");
	CHECK_STR(werrs.p, "3: field 'zz' is not in the CSV header\n",
	    "writer: a field not in the header is an error");
	wo.header = 0;
	EXPECT_CSV(recs, 2, &wo, "1,2,3\n4,5,6\n", "writer: no header row");
	wo.header = 1;
	wo.delim = ';';
	EXPECT_CSV(recs, 1, &wo, "a;b;c\n1;2;3\n", "writer: another delimiter");
	wo.delim = 0;
	release(recs, 5);

	/* Formula escape. */
	wo.formula_escape = 1;
	mkrec(&recs[0], 6, "=f", DMO_STRING, "=1+2", "b", DMO_STRING, "-12.5",
	    "c", DMO_NUMBER, "-3", "d", DMO_STRING, "@SUM(A1),x",
	    "e", DMO_STRING, "+1", "f", DMO_STRING, "\tx");
	mkrec(&recs[1], 6, "=f", DMO_STRING, "-", "b", DMO_STRING, "a=b",
	    "c", DMO_STRING, "", "d", DMO_STRING, "\rx",
	    "e", DMO_STRING, "-0", "f", DMO_STRING, "'");
	EXPECT_CSV(recs, 2, &wo, "'=f,b,c,d,e,f\n"
	    "'=1+2,-12.5,-3,\"'@SUM(A1),x\",'+1,'\tx\n"
	    "'-,a=b,,\"'\rx\",-0,'\n",
	    "writer: formula escape, numbers left alone");
	wo.formula_escape = 0;
	release(recs, 2);

	/* A lone empty cell must not become a blank line. */
	mkrec(&recs[0], 1, "a", DMO_STRING, "");
	mkrec(&recs[1], 1, "a", DMO_NULL, "");
	mkrec(&recs[2], 1, "a", DMO_STRING, "x");
	EXPECT_CSV(recs, 3, &wo, "a\n\"\"\n\"\"\nx\n",
	    "writer: one empty cell is \"\"");
	release(recs, 3);
	mkrec(&recs[0], 0);
	free(write_csv(recs, 1, &wo));
	CHECK_STR(werrs.p, "0: record has no fields, which CSV cannot hold\n",
	    "writer: a record without fields is an error");
	release(recs, 1);
	dmo_buf_release(&werrs);
}

/*
 * A special byte at every offset of a long value: the word-at-a-time
 * searches of the reader and the writer must find each one.
 */
static void
test_offsets(void)
{
	static const char specials[] = ",\"\r\n";
	struct dmo_read_opts o = defaults();
	struct dmo_write_opts wo;
	struct dmo_record rec;
	char v[40], want[200], *got;
	size_t i, j, k;
	int all = 1, allr = 1;

	memset(&wo, 0, sizeof(wo));
	wo.format = DMO_FMT_CSV;
	wo.header = 0;
	for (j = 0; j < sizeof(specials) - 1; j++)
		for (i = 0; i < 25; i++) {
			memset(v, 'a', 25);
			v[25] = '\0';
			v[i] = specials[j];
			mkrec(&rec, 1, "x", DMO_STRING, v);
			got = write_csv(&rec, 1, &wo);
			k = 0;
			want[k++] = '"';
			memcpy(want + k, v, i);
			k += i;
			if (specials[j] == '"')
				want[k++] = '"';
			want[k++] = specials[j];
			memcpy(want + k, v + i + 1, 25 - i - 1);
			k += 25 - i - 1;
			memcpy(want + k, "\"\n", 3);
			if (strcmp(got, want) != 0) {
				printf("# offset %zu: %s", i, got);
				all = 0;
			}
			free(got);
			dmo_record_release(&rec);
		}
	CHECK(all, "writer: a special byte at every offset is quoted");

	for (i = 0; i < 30; i++) {
		char in[80], exp[120];
		struct story st;

		memset(v, 'b', 30);
		v[30] = '\0';
		memcpy(v + i, ",", 1);
		snprintf(in, sizeof(in), "p,q\n%s\n", v);
		snprintf(exp, sizeof(exp), "@2 p=\"%.*s\" q=\"%s\"\n", (int)i,
		    v, v + i + 1);
		story_read(&st, in, strlen(in), &o);
		if (strcmp(st.all, exp) != 0 || !story_agrees(&st, 1)) {
			printf("# offset %zu: %s", i, st.all);
			allr = 0;
		}
		story_free(&st);
		v[i] = '"';
		snprintf(in, sizeof(in), "p\n%s\n", v);
		story_read(&st, in, strlen(in), &o);
		if (strncmp(st.all, i == 0 ? "BAD @2: unterminated" :
		    "BAD @2: malformed quoting", 20) != 0 ||
		    !story_agrees(&st, 1)) {
			printf("# quote at offset %zu: %s", i, st.all);
			allr = 0;
		}
		story_free(&st);
	}
	CHECK(allr, "csv: a delimiter or a quote at every offset");
}

/* CSV -> records -> CSV: the same bytes. */
static void
roundtrip(const char *in, struct dmo_read_opts *o, const char *name)
{
	struct th_mem m;
	struct dmo_record rec;
	struct dmo_err err;
	struct dmo_write_opts wo;
	struct dmo_writer *w;
	struct dmo_out *out = th_out_new();
	struct dmo_buf b = DMO_BUF_INIT;

	memset(&wo, 0, sizeof(wo));
	wo.format = o->format;
	wo.delim = o->delim;
	wo.header = 1;
	dmo_record_init(&rec);
	w = dmo_writer_new(out, &wo, &err);
	if (open_csv(&m, in, strlen(in), (size_t)-1, o, &err) == 0)
		while (th_mem_next(&m, &rec, &err) == DMO_READ_RECORD)
			dmo_writer_write(w, &rec, &err);
	th_mem_close(&m);
	dmo_writer_finish(w, &err);
	dmo_writer_free(w);
	th_out_bytes(out, &b);
	dmo_out_close(out, &err);
	CHECK_STR(b.p, in, name);
	dmo_buf_release(&b);
	dmo_record_release(&rec);
}

static void
test_roundtrip(void)
{
	struct dmo_read_opts o = defaults();

	roundtrip("id,name,note,amount\n"
	    "1,\"Smith, John\",\"said \"\"hi\"\"\",12.30\n"
	    "2,Eve,\"two\nlines\",\n"
	    "3, spaced ,,-0\n"
	    "4,\"\"\"\",x,1e400\n"
	    "5,caf\xc3\xa9,\"a\r\nb\",007\n", &o,
	    "roundtrip: CSV to records to CSV, byte for byte");
	o.infer = 1;
	roundtrip("a,b,c\n1,true,x\n,\"y,z\",2.50\n", &o,
	    "roundtrip: with --infer");
	o.infer = 0;
	o.format = DMO_FMT_TSV;
	o.delim = '\t';
	roundtrip("a\tb\nx y\t\"p\tq\"\n", &o, "roundtrip: TSV");
}

/* A pseudo-random number below n (the same run every time). */
static unsigned
rnd(unsigned n)
{
	static unsigned long long x = 88172645463325252ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (unsigned)(x % n);
}

/* A field's text: plain, empty, quoted, or something odd. */
static void
rnd_field(struct dmo_buf *b, int delim)
{
	static const char *const bits[] = {
		"a", "b", "z", "0", "7", " ", ".", "-", "x", "y",
		"Krak\xc3\xb3w", "\xe1\xbb\x85", "true", "false", "12.5",
		"-3", "007", "\xff", "\xc3", "\t",
	};
	unsigned k = rnd(100), len, i;

	if (k < 15)
		return;					/* empty */
	len = rnd(k < 30 ? 4 : 40);
	if (k >= 85) {
		dmo_buf_addc(b, '"');			/* quoted */
		for (i = 0; i < len; i++) {
			unsigned j = rnd(30);

			if (j == 0)
				dmo_buf_adds(b, "\"\"");
			else if (j == 1)
				dmo_buf_addc(b, delim);
			else if (j == 2)
				dmo_buf_adds(b, rnd(2) ? "\n" : "\r\n");
			else
				dmo_buf_adds(b, bits[rnd(10)]);
		}
		dmo_buf_addc(b, '"');
		if (rnd(40) == 0)
			dmo_buf_addc(b, 'q');		/* text after the quote */
		return;
	}
	for (i = 0; i < len; i++)
		dmo_buf_adds(b, bits[rnd(i == 0 && k < 40 ? 20 : 14)]);
	if (rnd(60) == 0)
		dmo_buf_addc(b, '"');			/* a stray quote */
}

/*
 * Random texts against libcsv alone and a byte at a time: the fast path
 * (scan_body) must split every row as libcsv does, across the 16- and
 * 64-byte blocks of its stop masks, with every option that changes how
 * a field is stored (inference, UTF-8 policy, duplicate names, ragged
 * rows).  2026-11-21: fields became slices of one copy of the row.
 */
static void
test_random(void)
{
	static const char *const headers[] = {
		"a,b,c,d,e\n", "a,b,a,c\r\n", "id,name,email,city,amount,qty,"
		"ts,active,note\n", "one\n",
	};
	int round, all = 1;

	for (round = 0; round < 400 && all; round++) {
		struct dmo_read_opts o = defaults();
		struct dmo_buf b = DMO_BUF_INIT;
		struct story st;
		unsigned rows = 1 + rnd(12), r, f, nf;
		int delim = rnd(4) == 0 ? ';' : ',';

		o.delim = delim;
		o.infer = (int)rnd(2);
		o.utf8 = (enum dmo_utf8)rnd(3);
		o.ragged = (enum dmo_ragged)rnd(3);
		o.dup = (enum dmo_dup)rnd(3);
		dmo_buf_adds(&b, headers[rnd(4)]);
		if (delim != ',')
			for (f = 0; f < b.len; f++)
				if (b.p[f] == ',')
					b.p[f] = (char)delim;
		for (r = 0; r < rows; r++) {
			nf = rnd(8) == 0 ? 1 + rnd(12) : 9;
			for (f = 0; f < nf; f++) {
				if (f > 0)
					dmo_buf_addc(&b, delim);
				rnd_field(&b, delim);
			}
			switch (rnd(12)) {
			case 0:
				dmo_buf_adds(&b, "\r\n");
				break;
			case 1:
				dmo_buf_adds(&b, "\n\n");	/* a blank line */
				break;
			case 2:
				dmo_buf_addc(&b, '\r');	/* a bare CR */
				break;
			case 3:
				if (r + 1 == rows)
					break;		/* no line end at all */
				/* FALLTHROUGH */
			default:
				dmo_buf_addc(&b, '\n');
			}
		}
		story_read(&st, b.p, b.len, &o);
		if (!story_agrees(&st, 1) || strstr(st.all, "(no NUL)")) {
			th_show("text", b.p, b.len);
			printf("#   infer %d utf8 %d ragged %d dup %d\n",
			    o.infer, (int)o.utf8, (int)o.ragged, (int)o.dup);
			all = 0;
		}
		story_free(&st);
		dmo_buf_release(&b);
	}
	CHECK(all, "csv: 400 random texts read alike with and without the "
	    "fast path");
}

int
main(void)
{
	test_basic();
	test_infer();
	test_ragged();
	test_header();
	test_errors();
	test_resync_cost();
	test_toolong();
	test_dialects();
	test_sniff();
	test_writer();
	test_offsets();
	test_roundtrip();
	test_random();
	return done();
}
