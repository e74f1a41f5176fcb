/* test_csv.c - unit tests for the CSV/TSV reader, sniffer and writer. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formatimpl.h"
#include "value.h"

static int failed;
static int ntest;

static void
ok(int cond, const char *name)
{
	ntest++;
	printf("%sok %d - %s\n", cond ? "" : "not ", ntest, name);
	if (!cond)
		failed = 1;
}

/* Compare strings; show both on failure. */
static void
is(const char *got, const char *want, const char *name)
{
	int r = strcmp(got, want) == 0;

	ok(r, name);
	if (!r)
		printf("# got:\n%s# want:\n%s", got, want);
}

#define S(lit)	lit, sizeof(lit) - 1

/* An in-memory source handed out chunk bytes at a time. */
struct src {
	const char	*p;
	size_t		 n;
	size_t		 off;
	size_t		 chunk;
};

static ssize_t
src_read(void *ctx, char *buf, size_t n, struct dmo_err *err)
{
	struct src *s = ctx;
	size_t k = s->n - s->off;

	(void)err;
	if (k > n)
		k = n;
	if (k > s->chunk)
		k = s->chunk;
	memcpy(buf, s->p + s->off, k);
	s->off += k;
	return (ssize_t)k;
}

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

/*
 * Read input through the CSV reader and describe what comes out, one
 * line per result:
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
	struct dmo_reader r;
	struct dmo_record rec;
	struct dmo_err err;
	struct src s = { in, n, 0, chunk };
	unsigned long long want = 0;
	int rc, guard = 0;

	memset(&r, 0, sizeof(r));
	r.opts = *o;
	r.format = o->format;
	r.source = (char *)"t.csv";
	r.in = dmo_in_from_fn(src_read, &s, r.source);
	r.ops = &dmo_csv_reader_ops;
	dmo_record_init(&rec);
	dmo_err_clear(&err);
	if (dmo_in_peek_some(r.in, 64 * 1024, &err) < 0 ||
	    r.ops->init(&r, &err) != 0) {
		dmo_buf_printf(&out, "INIT: %s\n", err.msg);
		goto done;
	}
	while (guard++ < 10000) {
		dmo_err_clear(&err);
		rc = r.ops->next(&r, &rec, &err);
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
			const char *raw = dmo_reader_raw(&r, &rl);

			dmo_buf_printf(&out, "BAD @%lu: %s [", err.loc.line,
			    err.msg);
			esc2(&out, raw, rl, 1);
			dmo_buf_adds(&out, "]\n");
			if (err.code != 1 || err.loc.file != r.source)
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
	r.ops->fini(&r);
done:
	dmo_in_free(r.in);
	dmo_buf_release(&r.raw);
	dmo_record_release(&rec);
	dmo_buf_addc(&out, '\0');
	return out.p;
}

/* csv.c: parse with libcsv alone (no fast path), for comparison. */
extern int dmo_csv_libcsv_only;

/*
 * The transcript; also checks that 1-byte chunks, and libcsv without the
 * fast path, give the same.
 */
static char *
transcript(const char *in, size_t n, const struct dmo_read_opts *o)
{
	char *a = transcript_chunked(in, n, o, (size_t)-1);
	char *b = transcript_chunked(in, n, o, 1);
	char *c;

	if (strcmp(a, b) != 0) {
		printf("# 1-byte chunks differ for \"%.*s\":\n%s", (int)n, in,
		    b);
		failed = 1;
	}
	dmo_csv_libcsv_only = 1;
	c = transcript_chunked(in, n, o, (size_t)-1);
	dmo_csv_libcsv_only = 0;
	if (strcmp(a, c) != 0) {
		printf("# libcsv alone differs for \"%.*s\":\n%s", (int)n, in,
		    c);
		failed = 1;
	}
	free(b);
	free(c);
	return a;
}

static void
check(const char *in, size_t n, const struct dmo_read_opts *o,
    const char *want, const char *name)
{
	char *got = transcript(in, n, o);

	is(got, want, name);
	free(got);
}

#define CHECK(in, o, want, name)	check(S(in), o, want, name)

static void
test_basic(void)
{
	struct dmo_read_opts o = defaults();

	CHECK("a,b\n1,2\n3,4\n", &o, "@2 a=\"1\" b=\"2\"\n@3 a=\"3\" b=\"4\"\n",
	    "csv: header and two rows");
	CHECK("a,b\n1,2", &o, "@2 a=\"1\" b=\"2\"\n",
	    "csv: last line without LF");
	CHECK("a,b\n\"x,y\",\"say \"\"hi\"\"\"\n", &o,
	    "@2 a=\"x,y\" b=\"say \\\"hi\\\"\"\n",
	    "csv: quoted comma and doubled quotes");
	CHECK("a,b\n1,\"x\ny\nz\"\n2,w\n", &o,
	    "@2 a=\"1\" b=\"x\\ny\\nz\"\n@5 a=\"2\" b=\"w\"\n",
	    "csv: quoted newlines keep line numbers");
	CHECK("a,b\r\n1,2\r\n3,\"x\r\ny\"\r\n", &o,
	    "@2 a=\"1\" b=\"2\"\n@3 a=\"3\" b=\"x\\r\\ny\"\n",
	    "csv: CRLF, and CRLF inside quotes is data");
	CHECK("a,b\n1,2\r\n3,4\r5,6\n7,8", &o,
	    "@2 a=\"1\" b=\"2\"\n@3 a=\"3\" b=\"4\"\n@3 a=\"5\" b=\"6\"\n"
	    "@4 a=\"7\" b=\"8\"\n",
	    "csv: mixed line ends (LF, CRLF, CR)");
	CHECK("\xef\xbb\xbf" "a,b\n1,2\n", &o, "@2 a=\"1\" b=\"2\"\n",
	    "csv: byte order mark skipped");
	CHECK("a,b\n\n1,2\n\n\n3,4\n\n", &o,
	    "@3 a=\"1\" b=\"2\"\n@6 a=\"3\" b=\"4\"\n",
	    "csv: blank lines skipped, lines still counted");
	CHECK(" a , b \n 1 ,\t2\t\n", &o,
	    "@2  a =\" 1 \"  b =\"\\x092\\x09\"\n",
	    "csv: blanks around fields are data");
	CHECK("a,b\n1,x\0y\n", &o, "@2 a=\"1\" b=\"x\\x00y\"\n",
	    "csv: NUL byte inside a field survives");
	CHECK("", &o, "", "csv: empty file gives nothing");
	CHECK("a,b\n", &o, "", "csv: header only gives nothing");
	CHECK("a,b", &o, "", "csv: header only, no LF");
	CHECK("\n\n", &o, "", "csv: blank lines only");
	CHECK("a,,c\n1,2,3\n", &o,
	    "@2 a=\"1\" field2=\"2\" c=\"3\"\n",
	    "csv: empty header name becomes fieldN");
	CHECK("a,b\n,\"\"\n", &o, "@2 a=\"\" b=\"\"\n",
	    "csv: without --infer empty fields are empty strings");
	CHECK("a\n\"\"\nx\n", &o, "@2 a=\"\"\n@3 a=\"x\"\n",
	    "csv: one column, an empty quoted field");
}

static void
test_infer(void)
{
	struct dmo_read_opts o = defaults();

	CHECK("a,b,c,d,e,f\n007,1.5,-0,1e400,\"12\",x\n", &o,
	    "@2 a=\"007\" b=\"1.5\" c=\"-0\" d=\"1e400\" e=\"12\" f=\"x\"\n",
	    "csv: no inference by default");
	o.infer = 1;
	CHECK("a,b,c,d,e,f\n007,1.5,-0,1e400,\"12\",x\n", &o,
	    "@2 a=\"007\" b=#1.5 c=#-0 d=#1e400 e=#12 f=\"x\"\n",
	    "csv: --infer numbers keep their lexeme, 007 stays text");
	CHECK("a,b,c,d\n,\"\",true,FALSE\n", &o,
	    "@2 a=null b=\"\" c=true d=false\n",
	    "csv: --infer: empty is null, \"\" is empty, booleans");
	o.ragged = DMO_RAGGED_PAD;
	CHECK("a,b,c\n1\n", &o, "@2 a=#1 b=null c=null\n",
	    "csv: --infer pads with null");
}

static void
test_ragged(void)
{
	struct dmo_read_opts o = defaults();
	const char *in = "a,b,c\n1,2\n1,2,3\n1,2,3,4\n";

	check(in, strlen(in), &o,
	    "BAD @2: ragged row: 2 fields, expected 3 [1,2]\n"
	    "@3 a=\"1\" b=\"2\" c=\"3\"\n"
	    "BAD @4: ragged row: 4 fields, expected 3 [1,2,3,4]\n",
	    "csv: ragged rows rejected by default");
	o.ragged = DMO_RAGGED_PAD;
	check(in, strlen(in), &o,
	    "@2 a=\"1\" b=\"2\" c=\"\"\n"
	    "@3 a=\"1\" b=\"2\" c=\"3\"\n"
	    "BAD @4: ragged row: 4 fields, expected 3 [1,2,3,4]\n",
	    "csv: pad fills short rows, long ones still rejected");
	o.ragged = DMO_RAGGED_TRUNCATE;
	check(in, strlen(in), &o,
	    "@2 a=\"1\" b=\"2\" c=\"\"\n"
	    "@3 a=\"1\" b=\"2\" c=\"3\"\n"
	    "@4 a=\"1\" b=\"2\" c=\"3\"\n",
	    "csv: truncate drops extra fields and pads");
	o.ragged = DMO_RAGGED_REJECT;
	CHECK("a,b\n1,\"x\ny\",z\n2,3\n", &o,
	    "BAD @2: ragged row: 3 fields, expected 2 [1,\"x\\ny\",z]\n"
	    "@4 a=\"2\" b=\"3\"\n",
	    "csv: raw text of a bad record spans its lines");
}

static void
test_header(void)
{
	struct dmo_read_opts o = defaults();

	o.header = 0;
	CHECK("1,2\n3,4\n", &o,
	    "@1 field1=\"1\" field2=\"2\"\n@2 field1=\"3\" field2=\"4\"\n",
	    "csv: no header: field1, field2");
	CHECK("1,2\n3\n", &o,
	    "@1 field1=\"1\" field2=\"2\"\n"
	    "BAD @2: ragged row: 1 fields, expected 2 [3]\n",
	    "csv: no header: the first row sets the count");
	CHECK("1,\"2\n3,4\n5,6\n", &o,
	    "BAD @1: unterminated quoted field [1,\"2]\n"
	    "@2 field1=\"3\" field2=\"4\"\n@3 field1=\"5\" field2=\"6\"\n",
	    "csv: no header: a bad first row, the next one counts");
	o.header = 1;
	CHECK("a,b,a\n1,2,3\n", &o,
	    "FATAL @1: duplicate field name 'a' in header\n",
	    "csv: duplicate header names rejected");
	o.dup = DMO_DUP_FIRST;
	CHECK("a,b,a\n1,2,3\n4,5\n", &o,
	    "@2 a=\"1\" b=\"2\"\n"
	    "BAD @3: ragged row: 2 fields, expected 3 [4,5]\n",
	    "csv: duplicate names, keep the first");
	o.dup = DMO_DUP_LAST;
	CHECK("a,b,a\n1,2,3\n", &o, "@2 a=\"3\" b=\"2\"\n",
	    "csv: duplicate names, keep the last at the first position");
	o.ragged = DMO_RAGGED_PAD;
	CHECK("a,b,a\n1,2\n", &o, "@2 a=\"1\" b=\"2\"\n",
	    "csv: duplicate names, last, short row keeps what it has");
	o.ragged = DMO_RAGGED_REJECT;
	o.dup = DMO_DUP_REJECT;
	CHECK(",,\n1,2,3\n", &o,
	    "@2 field1=\"1\" field2=\"2\" field3=\"3\"\n",
	    "csv: all names empty");
	CHECK("a,,field2\n1,2,3\n", &o,
	    "FATAL @1: duplicate field name 'field2' in header\n",
	    "csv: a generated name may clash");
	CHECK("\n\na,\"b\nc\"\n1,2\n", &o, "@5 a=\"1\" b\\nc=\"2\"\n",
	    "csv: header after blank lines, with a newline in a name");
	CHECK("a,\"b\n1,2\n", &o,
	    "FATAL @1: unterminated quoted field in header\n",
	    "csv: unterminated quote in the header is fatal");
	CHECK("a,b\"c\n1,2\n", &o,
	    "FATAL @1: malformed quoting in header\n",
	    "csv: malformed header is fatal");
}

static void
test_errors(void)
{
	struct dmo_read_opts o = defaults();

	CHECK("a,b\n1,\"oops\n2,3\n4,5\n", &o,
	    "BAD @2: unterminated quoted field [1,\"oops]\n"
	    "@3 a=\"2\" b=\"3\"\n@4 a=\"4\" b=\"5\"\n",
	    "csv: unterminated quote: resync after its line");
	CHECK("a,b\n1,\"x\n\"2,3\n4,\"5\n6,7", &o,
	    "BAD @2: malformed quoting [1,\"x\\n\"2,3]\n"
	    "BAD @4: unterminated quoted field [4,\"5]\n"
	    "@5 a=\"6\" b=\"7\"\n",
	    "csv: malformed across lines, then a resync");
	CHECK("a,b\n1,\"a\n2,\"b\n3,4\n", &o,
	    "BAD @2: malformed quoting [1,\"a\\n2,\"b]\n"
	    "@4 a=\"3\" b=\"4\"\n",
	    "csv: a quote that closes another is malformed");
	CHECK("a,b\n1,2\r3,\"x\n4,5\n", &o,
	    "@2 a=\"1\" b=\"2\"\n"
	    "BAD @2: unterminated quoted field [3,\"x]\n"
	    "@3 a=\"4\" b=\"5\"\n",
	    "csv: resync after a record that starts after a CR");
	CHECK("a,b\n1,x\"y\n2,3\n", &o,
	    "BAD @2: malformed quoting [1,x\"y]\n@3 a=\"2\" b=\"3\"\n",
	    "csv: quote inside an unquoted field");
	CHECK("a,b\n\"ab\"c,d\n2,3\n", &o,
	    "BAD @2: malformed quoting [\"ab\"c,d]\n@3 a=\"2\" b=\"3\"\n",
	    "csv: text after a closing quote");
	CHECK("a,b\n1,\"x\" \n2,3\n", &o,
	    "BAD @2: malformed quoting [1,\"x\" ]\n@3 a=\"2\" b=\"3\"\n",
	    "csv: a blank after a closing quote");
	CHECK("a,b\n1,2\r3,x\"y\r5,6\n7,8\n", &o,
	    "@2 a=\"1\" b=\"2\"\n"
	    "BAD @2: malformed quoting [3,x\"y\\r5,6]\n"
	    "@3 a=\"7\" b=\"8\"\n",
	    "csv: malformed after a CR skips the rest of the line");
	CHECK("a,b\n1,\xff\n2,3\n", &o,
	    "BAD @2: field 'b': invalid UTF-8 at byte 1 [1,\\xff]\n"
	    "@3 a=\"2\" b=\"3\"\n",
	    "csv: invalid UTF-8 rejected");
	CHECK("a,b\nx\xc3\xa9\xc3,2,3\n", &o,
	    "BAD @2: ragged row: 3 fields, expected 2 "
	    "[x\\xc3\\xa9\\xc3,2,3]\n",
	    "csv: ragged wins over UTF-8");
	o.utf8 = DMO_UTF8_REPLACE;
	CHECK("a,b\n1,x\xffy\n", &o, "@2 a=\"1\" b=\"x\\xef\\xbf\\xbdy\"\n",
	    "csv: invalid UTF-8 replaced");
	CHECK("a\xff,b\n1,2\n", &o, "@2 a\\xef\\xbf\\xbd=\"1\" b=\"2\"\n",
	    "csv: invalid UTF-8 in a name replaced");
	o.utf8 = DMO_UTF8_REJECT;
	CHECK("a\xff,b\n1,2\n", &o,
	    "FATAL @1: header field 1: invalid UTF-8 at byte 2\n",
	    "csv: invalid UTF-8 in a name is fatal");
}

/* Read a source whose second field is huge: a summary of each result. */
static char *
big_field(const char *in, size_t n, const struct dmo_read_opts *o)
{
	struct dmo_buf out = DMO_BUF_INIT;
	struct dmo_reader r;
	struct dmo_record rec;
	struct dmo_err err;
	struct src s = { in, n, 0, (size_t)-1 };
	int rc;

	memset(&r, 0, sizeof(r));
	r.opts = *o;
	r.format = o->format;
	r.source = (char *)"t.csv";
	r.in = dmo_in_from_fn(src_read, &s, r.source);
	r.ops = &dmo_csv_reader_ops;
	dmo_record_init(&rec);
	dmo_err_clear(&err);
	if (r.ops->init(&r, &err) == 0) {
		while ((rc = r.ops->next(&r, &rec, &err)) == DMO_READ_RECORD) {
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
		r.ops->fini(&r);
	}
	dmo_in_free(r.in);
	dmo_buf_release(&r.raw);
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
	CHECK("a,b\n1,2\n1234567890,1234567890\n3,4\n", &o,
	    "@2 a=\"1\" b=\"2\"\n"
	    "BAD @3: record too long: more than 16 bytes []\n"
	    "@4 a=\"3\" b=\"4\"\n",
	    "csv: a line over the limit");
	CHECK("a,b\n1,\"2\n3\n4\n5\n6\n7\n8\n9\"\n3,4\n", &o,
	    "BAD @2: record too long: more than 16 bytes "
	    "[1,\"2\\n3\\n4\\n5\\n6\\n7\\n8]\n"
	    "@10 a=\"3\" b=\"4\"\n",
	    "csv: a record over the limit across lines");
	CHECK("a,b\n1,\"2\n3\n4\n5\n6\n7\n8\n9\n", &o,
	    "BAD @2: record too long: more than 16 bytes "
	    "[1,\"2\\n3\\n4\\n5\\n6\\n7\\n8]\n",
	    "csv: over the limit and unterminated");
	CHECK("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,b\n1,2\n", &o,
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
	is(got, "@2 1 104855962 | @1641 2 y | EOF",
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
	CHECK("a\tb\n\"x\ty\"\t2,3\n", &o, "@2 a=\"x\\x09y\" b=\"2,3\"\n",
	    "tsv: tab delimiter, quotes as in CSV");
	o.format = DMO_FMT_CSV;
	o.delim = ';';
	CHECK("a;b\n1,5;\"x;y\"\n", &o, "@2 a=\"1,5\" b=\"x;y\"\n",
	    "csv: semicolon delimiter");
	o.delim = ',';
	o.quote = -1;
	CHECK("a,b\n\"x,y\"\n5\" screen,\"\"\n", &o,
	    "@2 a=\"\\\"x\" b=\"y\\\"\"\n@3 a=\"5\\\" screen\" "
	    "b=\"\\\"\\\"\"\n",
	    "csv: quoting off: quotes are data");
	o.infer = 1;
	CHECK("a,b\n,1\r\n2,", &o, "@2 a=null b=#1\n@3 a=#2 b=null\n",
	    "csv: quoting off: empty fields, CRLF, no final LF");
	o.infer = 0;
	o.quote = '\'';
	CHECK("a,b\n'x,y','it''s'\n", &o, "@2 a=\"x,y\" b=\"it's\"\n",
	    "csv: another quote character");
}

static void
sniffs(const char *in, int d0, int q0, int h0, int dw, int qw, int hw,
    const char *name)
{
	int d = d0, q = q0, h = h0;

	dmo_csv_sniff(in, strlen(in), &d, &q, &h);
	ok(d == dw && q == qw && h == hw, name);
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
	CHECK("1;2\n3;4\n", &o, "@1 field1=\"1\" field2=\"2\"\n"
	    "@2 field1=\"3\" field2=\"4\"\n", "csv: reader sniffs");
	CHECK("\xef\xbb\xbf" "a\tb\nx\ty\n", &o, "@2 a=\"x\" b=\"y\"\n",
	    "csv: reader sniffs after a BOM");
}

/* Write records with the CSV writer; the bytes written. */
static char *
write_csv(struct dmo_record *recs, size_t n, const struct dmo_write_opts *wo,
    char *errs, size_t errlen)
{
	FILE *f = tmpfile();
	struct dmo_out *out = dmo_out_new(dup(fileno(f)), "t.out");
	struct dmo_writer *w;
	struct dmo_err err;
	struct dmo_buf b = DMO_BUF_INIT;
	char chunk[4096];
	size_t i, k;

	errs[0] = '\0';
	dmo_err_clear(&err);
	w = dmo_writer_new(out, wo, &err);
	for (i = 0; i < n; i++)
		if (dmo_writer_write(w, &recs[i], &err) != 0) {
			size_t l = strlen(errs);

			snprintf(errs + l, errlen - l, "%zu: %s\n", i, err.msg);
		}
	dmo_writer_finish(w, &err);
	dmo_writer_free(w);
	dmo_out_close(out, &err);
	rewind(f);
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		dmo_buf_add(&b, chunk, k);
	fclose(f);
	dmo_buf_addc(&b, '\0');
	return b.p;
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
	char errs[512];
	char *got;
	size_t i;

	memset(&wo, 0, sizeof(wo));
	wo.format = DMO_FMT_CSV;
	wo.header = 1;
	mkrec(&recs[0], 6, "a", DMO_STRING, "plain", "b", DMO_STRING, "x,y",
	    "c", DMO_STRING, "say \"hi\"", "d", DMO_STRING, "two\nlines",
	    "e", DMO_STRING, " pad ", "f", DMO_STRING, "cr\r");
	mkrec(&recs[1], 6, "a", DMO_NULL, "", "b", DMO_TRUE, "",
	    "c", DMO_FALSE, "", "d", DMO_NUMBER, "12.30",
	    "e", DMO_ARRAY, "[1,\"x\"]", "f", DMO_OBJECT, "{\"k\":null}");
	got = write_csv(recs, 2, &wo, errs, sizeof(errs));
	is(got, "a,b,c,d,e,f\n"
	    "plain,\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\", pad ,\"cr\r\"\n"
	    ",true,false,12.30,\"[1,\"\"x\"\"]\",\"{\"\"k\"\":null}\"\n",
	    "writer: quoting only where needed, types");
	is(errs, "", "writer: no errors");
	free(got);

	wo.format = DMO_FMT_TSV;
	got = write_csv(recs, 2, &wo, errs, sizeof(errs));
	is(got, "a\tb\tc\td\te\tf\n"
	    "plain\tx,y\t\"say \"\"hi\"\"\"\t\"two\nlines\"\t pad \t\"cr\r\"\n"
	    "\ttrue\tfalse\t12.30\t\"[1,\"\"x\"\"]\"\t\"{\"\"k\"\":null}\"\n",
	    "writer: TSV") ;
	free(got);
	for (i = 0; i < 2; i++)
		dmo_record_release(&recs[i]);

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
	got = write_csv(recs, 5, &wo, errs, sizeof(errs));
	is(got, "a,b,c\n1,2,3\n4,5,6\n,8,\n1,2,3\n",
	    "writer: other orders follow the header, missing are empty");
	is(errs, "3: field 'zz' is not in the CSV header\n",
	    "writer: a field not in the header is an error");
	free(got);
	wo.header = 0;
	got = write_csv(recs, 2, &wo, errs, sizeof(errs));
	is(got, "1,2,3\n4,5,6\n", "writer: no header row");
	free(got);
	wo.header = 1;
	wo.delim = ';';
	got = write_csv(recs, 1, &wo, errs, sizeof(errs));
	is(got, "a;b;c\n1;2;3\n", "writer: another delimiter");
	free(got);
	wo.delim = 0;
	for (i = 0; i < 5; i++)
		dmo_record_release(&recs[i]);

	/* Formula escape. */
	wo.formula_escape = 1;
	mkrec(&recs[0], 6, "=f", DMO_STRING, "=1+2", "b", DMO_STRING, "-12.5",
	    "c", DMO_NUMBER, "-3", "d", DMO_STRING, "@SUM(A1),x",
	    "e", DMO_STRING, "+1", "f", DMO_STRING, "\tx");
	mkrec(&recs[1], 6, "=f", DMO_STRING, "-", "b", DMO_STRING, "a=b",
	    "c", DMO_STRING, "", "d", DMO_STRING, "\rx",
	    "e", DMO_STRING, "-0", "f", DMO_STRING, "'");
	got = write_csv(recs, 2, &wo, errs, sizeof(errs));
	is(got, "'=f,b,c,d,e,f\n"
	    "'=1+2,-12.5,-3,\"'@SUM(A1),x\",'+1,'\tx\n"
	    "'-,a=b,,\"'\rx\",-0,'\n",
	    "writer: formula escape, numbers left alone");
	free(got);
	wo.formula_escape = 0;
	for (i = 0; i < 2; i++)
		dmo_record_release(&recs[i]);

	/* A lone empty cell must not become a blank line. */
	mkrec(&recs[0], 1, "a", DMO_STRING, "");
	mkrec(&recs[1], 1, "a", DMO_NULL, "");
	mkrec(&recs[2], 1, "a", DMO_STRING, "x");
	got = write_csv(recs, 3, &wo, errs, sizeof(errs));
	is(got, "a\n\"\"\n\"\"\nx\n", "writer: one empty cell is \"\"");
	free(got);
	for (i = 0; i < 3; i++)
		dmo_record_release(&recs[i]);
	mkrec(&recs[0], 0);
	got = write_csv(recs, 1, &wo, errs, sizeof(errs));
	is(errs, "0: record has no fields, which CSV cannot hold\n",
	    "writer: a record without fields is an error");
	free(got);
	dmo_record_release(&recs[0]);
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
	char v[40], want[200], errs[256], *got;
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
			got = write_csv(&rec, 1, &wo, errs, sizeof(errs));
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
	ok(all, "writer: a special byte at every offset is quoted");

	for (i = 0; i < 30; i++) {
		char in[80], exp[120], *t;

		memset(v, 'b', 30);
		v[30] = '\0';
		memcpy(v + i, ",", 1);
		snprintf(in, sizeof(in), "p,q\n%s\n", v);
		snprintf(exp, sizeof(exp), "@2 p=\"%.*s\" q=\"%s\"\n", (int)i,
		    v, v + i + 1);
		t = transcript(in, strlen(in), &o);
		if (strcmp(t, exp) != 0) {
			printf("# offset %zu: %s", i, t);
			allr = 0;
		}
		free(t);
		v[i] = '"';
		snprintf(in, sizeof(in), "p\n%s\n", v);
		t = transcript(in, strlen(in), &o);
		if (strncmp(t, i == 0 ? "BAD @2: unterminated" :
		    "BAD @2: malformed quoting", 20) != 0) {
			printf("# quote at offset %zu: %s", i, t);
			allr = 0;
		}
		free(t);
	}
	ok(allr, "csv: a delimiter or a quote at every offset");
}

/* CSV -> records -> CSV: the same bytes. */
static void
roundtrip(const char *in, struct dmo_read_opts *o, const char *name)
{
	struct dmo_reader r;
	struct dmo_record rec;
	struct dmo_err err;
	struct src s = { in, strlen(in), 0, (size_t)-1 };
	struct dmo_write_opts wo;
	struct dmo_writer *w;
	struct dmo_out *out;
	struct dmo_buf b = DMO_BUF_INIT;
	FILE *f = tmpfile();
	char chunk[4096];
	size_t k;

	memset(&r, 0, sizeof(r));
	memset(&wo, 0, sizeof(wo));
	wo.format = o->format;
	wo.delim = o->delim;
	wo.header = 1;
	r.opts = *o;
	r.format = o->format;
	r.source = (char *)"t.csv";
	r.in = dmo_in_from_fn(src_read, &s, r.source);
	r.ops = &dmo_csv_reader_ops;
	dmo_record_init(&rec);
	out = dmo_out_new(dup(fileno(f)), "t.out");
	w = dmo_writer_new(out, &wo, &err);
	if (r.ops->init(&r, &err) == 0) {
		while (r.ops->next(&r, &rec, &err) == DMO_READ_RECORD)
			dmo_writer_write(w, &rec, &err);
		r.ops->fini(&r);
	}
	dmo_writer_finish(w, &err);
	dmo_writer_free(w);
	dmo_out_close(out, &err);
	rewind(f);
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		dmo_buf_add(&b, chunk, k);
	fclose(f);
	dmo_buf_addc(&b, '\0');
	is(b.p, in, name);
	dmo_buf_release(&b);
	dmo_in_free(r.in);
	dmo_buf_release(&r.raw);
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

int
main(void)
{
	test_basic();
	test_infer();
	test_ragged();
	test_header();
	test_errors();
	test_toolong();
	test_dialects();
	test_sniff();
	test_writer();
	test_offsets();
	test_roundtrip();
	printf("1..%d\n", ntest);
	return failed;
}
