/* test_ndjson.c - the NDJSON and JSON document reader and the NDJSON writer. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "exitcode.h"
#include "format.h"
#include "io.h"
#include "record.h"
#include "value.h"

#include "testhelp.h"

/*
 * The checks print TAP (testhelp.h).  Most read a text through
 * dmo_reader_open on a temporary file and compare a transcript of what
 * the reader returned, one line per call:
 *	3: {"a":1}		a record that starts on line 3
 *	3:6: bad: MESSAGE | RAW	a bad record (column left out when 0)
 *	3: fatal: MESSAGE	the source cannot be read further
 * The records in the transcript are written by the NDJSON writer, so the
 * writer is checked along the way.
 */

struct ropts {
	enum dmo_format	 format;
	enum dmo_utf8	 utf8;
	enum dmo_dup	 dup;
	size_t		 max_record;
};

/* The NDJSON writer's output for one record (no newline). */
static void
rec_json(struct dmo_buf *to, const struct dmo_record *rec)
{
	struct dmo_out *o = th_out_new();
	struct dmo_err err;

	dmo_json_put_record(o, rec);
	th_out_bytes(o, to);
	if (dmo_out_close(o, &err) != 0)
		bail("close: %s", err.msg);
}

static void
add_loc(struct dmo_buf *t, const struct dmo_err *err)
{
	if (err->loc.col > 0)
		dmo_buf_printf(t, "%lu:%lu: ", err->loc.line, err->loc.col);
	else
		dmo_buf_printf(t, "%lu: ", err->loc.line);
}

/*
 * Read text through a reader and return the transcript (see the top).
 * The caller frees it.  *nrec counts records.
 */
static char *
transcript_opts(const char *text, size_t n, const struct ropts *ro,
    size_t *len)
{
	struct dmo_read_opts opts;
	struct dmo_reader *r;
	struct dmo_record rec;
	struct dmo_err err;
	struct dmo_buf t = DMO_BUF_INIT;
	const char *path = th_new_file(text, n);
	int rc, guard = 0;

	memset(&opts, 0, sizeof(opts));
	opts.format = ro->format;
	opts.header = -1;
	opts.utf8 = ro->utf8;
	opts.dup = ro->dup;
	opts.max_record = ro->max_record;
	if ((r = dmo_reader_open(path, &opts, &err)) == NULL) {
		dmo_buf_printf(&t, "open: %s\n", err.msg);
		*len = t.len;
		return (char *)dmo_buf_cstr(&t);
	}
	dmo_record_init(&rec);
	while ((rc = dmo_reader_next(r, &rec, &err)) != DMO_READ_EOF &&
	    guard++ < 10000) {
		if (rc == DMO_READ_RECORD) {
			dmo_buf_printf(&t, "%lu: ", rec.loc.line);
			rec_json(&t, &rec);
			dmo_buf_addc(&t, '\n');
		} else if (rc == DMO_READ_BAD) {
			size_t rl;
			const char *raw = dmo_reader_raw(r, &rl);

			add_loc(&t, &err);
			dmo_buf_printf(&t, "bad: %s | ", err.msg);
			dmo_buf_add(&t, raw, rl);
			dmo_buf_addc(&t, '\n');
		} else if (rc == DMO_READ_FATAL) {
			add_loc(&t, &err);
			dmo_buf_printf(&t, "fatal: %s\n", err.msg);
			break;
		} else
			dmo_buf_printf(&t, "rc %d\n", rc);
	}
	dmo_record_release(&rec);
	dmo_reader_free(r);
	dmo_buf_cstr(&t);
	*len = t.len;
	return t.p;
}

static char *
transcript(const char *text, enum dmo_format f)
{
	struct ropts ro = { f, DMO_UTF8_REJECT, DMO_DUP_REJECT, 0 };
	size_t len;

	return transcript_opts(text, strlen(text), &ro, &len);
}

/* Read text as NDJSON and compare the transcript. */
#define EXPECT(text, want, name) do {					\
	char *got_ = transcript((text), DMO_FMT_NDJSON);		\
	CHECK_STR(got_, (want), (name));				\
	free(got_);							\
} while (0)

#define EXPECT_DOC(text, want, name) do {				\
	char *got_ = transcript((text), DMO_FMT_JSON);			\
	CHECK_STR(got_, (want), (name));				\
	free(got_);							\
} while (0)

/* As EXPECT for a text with NUL bytes, and reader options. */
static void
expect_mem(const char *text, size_t n, const struct ropts *ro,
    const char *want, size_t wlen, const char *name, int line)
{
	size_t glen;
	char *got = transcript_opts(text, n, ro, &glen);

	th_check_mem(got, glen, want, wlen, name, line);
	free(got);
}

#define EXPECT_MEM(text, ro, want, name) \
	expect_mem((text), sizeof(text) - 1, (ro), (want), sizeof(want) - 1, \
	    (name), __LINE__)

/* Read the first record of an NDJSON text into rec; the read status. */
static int
first(const char *text, size_t n, struct dmo_record *rec,
    struct dmo_err *err)
{
	struct dmo_read_opts opts;
	struct dmo_reader *r;
	int rc;

	memset(&opts, 0, sizeof(opts));
	opts.format = DMO_FMT_NDJSON;
	opts.header = -1;
	if ((r = dmo_reader_open(th_new_file(text, n), &opts, err)) == NULL)
		return -99;
	rc = dmo_reader_next(r, rec, err);
	dmo_reader_free(r);
	return rc;
}

/* Is field i of rec of type t with exactly the bytes v[0..n)? */
static int
field_is(const struct dmo_record *rec, size_t i, const char *name,
    size_t nlen, enum dmo_type t, const char *v, size_t n)
{
	size_t len;
	const char *p;

	if (i >= dmo_record_count(rec))
		return 0;
	p = dmo_record_name(rec, i, &len);
	if (len != nlen || memcmp(p, name, len) != 0)
		return 0;
	if (dmo_record_type(rec, i) != t)
		return 0;
	p = dmo_record_value(rec, i, &len);
	return len == n && memcmp(p, v, n) == 0 && p[n] == '\0';
}

#define FIELD_IS(rec, i, name, t, lit) \
	field_is((rec), (i), (name), sizeof(name) - 1, (t), (lit), \
	    sizeof(lit) - 1)

static void
test_lexemes(void)
{
	static const char text[] =
	    "{\"a\":12.30,\"b\":0.1,\"c\":18446744073709551616,\"d\":1e400,"
	    "\"e\":-0,\"f\":1E+2,\"g\":-1.5e-7,\"h\":0,"
	    "\"i\":-99999999999999999999999999999999.000}\n";
	struct dmo_record rec;
	struct dmo_err err;

	dmo_record_init(&rec);
	CHECK(first(text, sizeof(text) - 1, &rec, &err) == DMO_READ_RECORD,
	    "lexemes: read");
	CHECK(dmo_record_count(&rec) == 9, "lexemes: nine fields");
	CHECK(FIELD_IS(&rec, 0, "a", DMO_NUMBER, "12.30"), "lexeme 12.30");
	CHECK(FIELD_IS(&rec, 1, "b", DMO_NUMBER, "0.1"), "lexeme 0.1");
	CHECK(FIELD_IS(&rec, 2, "c", DMO_NUMBER, "18446744073709551616"),
	    "lexeme 2^64");
	CHECK(FIELD_IS(&rec, 3, "d", DMO_NUMBER, "1e400"), "lexeme 1e400");
	CHECK(FIELD_IS(&rec, 4, "e", DMO_NUMBER, "-0"), "lexeme -0");
	CHECK(FIELD_IS(&rec, 5, "f", DMO_NUMBER, "1E+2"), "lexeme 1E+2");
	CHECK(FIELD_IS(&rec, 6, "g", DMO_NUMBER, "-1.5e-7"), "lexeme -1.5e-7");
	CHECK(FIELD_IS(&rec, 7, "h", DMO_NUMBER, "0"), "lexeme 0");
	CHECK(FIELD_IS(&rec, 8, "i", DMO_NUMBER,
	    "-99999999999999999999999999999999.000"), "lexeme long decimal");
	dmo_record_release(&rec);

	EXPECT(text, "1: {\"a\":12.30,\"b\":0.1,\"c\":18446744073709551616,"
	    "\"d\":1e400,\"e\":-0,\"f\":1E+2,\"g\":-1.5e-7,\"h\":0,"
	    "\"i\":-99999999999999999999999999999999.000}\n",
	    "lexemes: written back as read");
	EXPECT("{\"a\":true,\"b\":false,\"c\":null,\"d\":\"\"}\n",
	    "1: {\"a\":true,\"b\":false,\"c\":null,\"d\":\"\"}\n",
	    "literals and the empty string");
	EXPECT("{\"a\":01}\n{\"a\":1.}\n{\"a\":.5}\n{\"a\":+1}\n{\"a\":1e}\n"
	    "{\"a\":-}\n{\"a\":0x10}\n",
	    "1:6: bad: invalid JSON: bad number | {\"a\":01}\n"
	    "2:6: bad: invalid JSON: bad number | {\"a\":1.}\n"
	    "3:6: bad: invalid JSON: unexpected '.' | {\"a\":.5}\n"
	    "4:6: bad: invalid JSON: unexpected '+' | {\"a\":+1}\n"
	    "5:6: bad: invalid JSON: bad number | {\"a\":1e}\n"
	    "6:6: bad: invalid JSON: bad number | {\"a\":-}\n"
	    "7:7: bad: invalid JSON: expected ',' or '}', found 'x' | "
	    "{\"a\":0x10}\n",
	    "malformed numbers are rejected with their column");
	EXPECT("{\"a\":NaN}\n{\"a\":-Infinity}\n{\"a\":Infinity}\n"
	    "{\"a\":[NaN]}\n{\"a\":1}\n",
	    "1:6: bad: invalid JSON: NaN is not a JSON number | {\"a\":NaN}\n"
	    "2:6: bad: invalid JSON: Infinity is not a JSON number | "
	    "{\"a\":-Infinity}\n"
	    "3:6: bad: invalid JSON: Infinity is not a JSON number | "
	    "{\"a\":Infinity}\n"
	    "4:7: bad: invalid JSON: NaN is not a JSON number | "
	    "{\"a\":[NaN]}\n"
	    "5: {\"a\":1}\n",
	    "NaN and Infinity are rejected");
}

static void
test_strings(void)
{
	static const char esc[] =
	    "{\"s\":\"q\\\"b\\\\s\\/b\\bf\\fn\\nr\\rt\\t\"}\n";
	static const char nul[] = "{\"s\":\"a\\u0000b\",\"k\\u0000\":1}\n";
	static const char uni[] =
	    "{\"e\":\"\\ud83d\\ude00\",\"E\":\"\\uD83D\\uDE00\","
	    "\"c\":\"e\xcc\x81\",\"u\":\"\\u00e9\\u20ac\",\"r\":\"\xf0\x9f\x98\x80\"}\n";
	struct dmo_record rec;
	struct dmo_err err;

	dmo_record_init(&rec);
	CHECK(first(esc, sizeof(esc) - 1, &rec, &err) == DMO_READ_RECORD &&
	    FIELD_IS(&rec, 0, "s", DMO_STRING, "q\"b\\s/b\bf\fn\nr\rt\t"),
	    "escapes are decoded");
	CHECK(first(nul, sizeof(nul) - 1, &rec, &err) == DMO_READ_RECORD &&
	    FIELD_IS(&rec, 0, "s", DMO_STRING, "a\0b") &&
	    FIELD_IS(&rec, 1, "k\0", DMO_NUMBER, "1"),
	    "\\u0000 is a NUL byte in values and names");
	CHECK(first(uni, sizeof(uni) - 1, &rec, &err) == DMO_READ_RECORD &&
	    FIELD_IS(&rec, 0, "e", DMO_STRING, "\xf0\x9f\x98\x80") &&
	    FIELD_IS(&rec, 1, "E", DMO_STRING, "\xf0\x9f\x98\x80") &&
	    FIELD_IS(&rec, 2, "c", DMO_STRING, "e\xcc\x81") &&
	    FIELD_IS(&rec, 3, "u", DMO_STRING, "\xc3\xa9\xe2\x82\xac") &&
	    FIELD_IS(&rec, 4, "r", DMO_STRING, "\xf0\x9f\x98\x80"),
	    "surrogate pairs decode; UTF-8 kept as is");
	dmo_record_release(&rec);

	EXPECT(esc, "1: {\"s\":\"q\\\"b\\\\s/b\\bf\\fn\\nr\\rt\\t\"}\n",
	    "escapes are written back in short form");
	EXPECT(nul, "1: {\"s\":\"a\\u0000b\",\"k\\u0000\":1}\n",
	    "NUL is written as \\u0000");
	EXPECT("{\"c\":\"\\u0001\\u001f\\u007f\\u0080\"}\n",
	    "1: {\"c\":\"\\u0001\\u001f\x7f\xc2\x80\"}\n",
	    "control characters escaped, DEL and U+0080 as UTF-8");
	EXPECT("{\"a\":\"\\ud800\"}\n{\"a\":\"\\udc00\"}\n"
	    "{\"a\":\"x\\ud83dy\"}\n{\"a\":\"\\ud83d\\u0041\"}\n{\"a\":1}\n",
	    "1:7: bad: invalid JSON: lone surrogate in \\u escape | "
	    "{\"a\":\"\\ud800\"}\n"
	    "2:7: bad: invalid JSON: lone surrogate in \\u escape | "
	    "{\"a\":\"\\udc00\"}\n"
	    "3:8: bad: invalid JSON: lone surrogate in \\u escape | "
	    "{\"a\":\"x\\ud83dy\"}\n"
	    "4:7: bad: invalid JSON: lone surrogate in \\u escape | "
	    "{\"a\":\"\\ud83d\\u0041\"}\n"
	    "5: {\"a\":1}\n",
	    "lone surrogates are rejected");
	{
		struct ropts ro = { DMO_FMT_NDJSON, DMO_UTF8_REPLACE,
		    DMO_DUP_REJECT, 0 };
		static const char t[] = "{\"a\":\"x\\ud800y\",\"b\":\"\\udfff\"}\n";

		EXPECT_MEM(t, &ro, "1: {\"a\":\"x\xef\xbf\xbdy\",\"b\":\""
		    "\xef\xbf\xbd\"}\n",
		    "lone surrogates become U+FFFD with replace");
	}
	EXPECT("{\"a\":\"\\x41\"}\n{\"a\":\"\\u12g4\"}\n{\"a\":\"\\u12\"}\n"
	    "{\"a\":\"tab\there\"}\n",
	    "1:7: bad: invalid JSON: bad escape 'x' | {\"a\":\"\\x41\"}\n"
	    "2:7: bad: invalid JSON: bad \\u escape | {\"a\":\"\\u12g4\"}\n"
	    "3:7: bad: invalid JSON: bad \\u escape | {\"a\":\"\\u12\"}\n"
	    "4:10: bad: invalid JSON: control character \\x09 in string | "
	    "{\"a\":\"tab\there\"}\n",
	    "bad escapes, a tab in a string");
	EXPECT("{\"a\":\"abc}\n{\"a\":\"x\r\n{\"a\":1}\n",
	    "1:6: bad: invalid JSON: unterminated string | {\"a\":\"abc}\n"
	    "2:6: bad: invalid JSON: unterminated string | {\"a\":\"x\n"
	    "3: {\"a\":1}\n",
	    "a string unterminated at the end of the line");
}

static void
test_utf8(void)
{
	static const char bad[] =
	    "{\"a\":\"ok\xff\"}\n"			/* never valid */
	    "{\"a\":\"\xc0\xaf\"}\n"			/* overlong '/' */
	    "{\"a\":\"\xed\xa0\x80\"}\n"		/* a surrogate */
	    "{\"a\":\"\xf4\x90\x80\x80\"}\n"		/* past U+10FFFF */
	    "{\"a\":\"\xe2\x82\"}\n"			/* cut short */
	    "{\"\xfe\":1}\n"				/* in a name */
	    "{\"a\":[\"\x80\"]}\n"			/* nested */
	    "{\"a\":\"caf\xc3\xa9\"}\n";
	struct ropts rej = { DMO_FMT_NDJSON, DMO_UTF8_REJECT, DMO_DUP_REJECT,
	    0 };
	struct ropts rep = { DMO_FMT_NDJSON, DMO_UTF8_REPLACE, DMO_DUP_REJECT,
	    0 };

	EXPECT_MEM(bad, &rej,
	    "1:9: bad: field 'a': invalid UTF-8 | {\"a\":\"ok\xff\"}\n"
	    "2:7: bad: field 'a': invalid UTF-8 | {\"a\":\"\xc0\xaf\"}\n"
	    "3:7: bad: field 'a': invalid UTF-8 | {\"a\":\"\xed\xa0\x80\"}\n"
	    "4:7: bad: field 'a': invalid UTF-8 | "
	    "{\"a\":\"\xf4\x90\x80\x80\"}\n"
	    "5:7: bad: field 'a': invalid UTF-8 | {\"a\":\"\xe2\x82\"}\n"
	    "6:3: bad: invalid UTF-8 | {\"\xfe\":1}\n"
	    "7:8: bad: invalid UTF-8 | {\"a\":[\"\x80\"]}\n"
	    "8: {\"a\":\"caf\xc3\xa9\"}\n",
	    "invalid UTF-8 rejected, with field and column");
	EXPECT_MEM(bad, &rep,
	    "1: {\"a\":\"ok\xef\xbf\xbd\"}\n"
	    "2: {\"a\":\"\xef\xbf\xbd\xef\xbf\xbd\"}\n"
	    "3: {\"a\":\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}\n"
	    "4: {\"a\":\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}\n"
	    "5: {\"a\":\"\xef\xbf\xbd\"}\n"
	    "6: {\"\xef\xbf\xbd\":1}\n"
	    "7: {\"a\":[\"\xef\xbf\xbd\"]}\n"
	    "8: {\"a\":\"caf\xc3\xa9\"}\n",
	    "invalid UTF-8 replaced (maximal subparts) with replace");
}

static void
test_nul_and_controls(void)
{
	struct ropts ro = { DMO_FMT_NDJSON, DMO_UTF8_REJECT, DMO_DUP_REJECT,
	    0 };
	static const char t[] =
	    "{\"a\":\"x\0y\"}\n{\"a\0\":1}\n{\"b\":1}\0\n\0{\"c\":1}\n"
	    "{\"d\":1}\n";

	EXPECT_MEM(t, &ro,
	    "1:8: bad: invalid JSON: control character \\x00 in string | "
	    "{\"a\":\"x\0y\"}\n"
	    "2:4: bad: invalid JSON: control character \\x00 in string | "
	    "{\"a\0\":1}\n"
	    "3:8: bad: invalid JSON: unexpected \\x00 after the object | "
	    "{\"b\":1}\0\n"
	    "4:1: bad: not a JSON object: found \\x00 | \0{\"c\":1}\n"
	    "5: {\"d\":1}\n",
	    "raw NUL bytes are rejected, the next line is read");
}

/*
 * The string scan reads eight bytes at a time and takes the first byte
 * that needs a look from the bits (copy_plain in ndjson.c); values are
 * copied in the same step.  Put each kind of stop byte at every place in
 * and around the first words, in a name and in a value, near and far
 * from the end of the line, and check the bytes read and the columns.
 */
static void
test_scan_positions(void)
{
	static const struct {
		const char	*in;	/* the stop and what follows it */
		const char	*out;	/* decoded; NULL: an error */
		const char	*msg;
		unsigned long	 at;	/* of the error, from the stop */
	} stop[] = {
		{ "\"", "", NULL, 0 },
		{ "\\n\"", "\n", NULL, 0 },
		{ "\\u00e9\"", "\xc3\xa9", NULL, 0 },
		{ "\xc3\xa9z\"", "\xc3\xa9z", NULL, 0 },
		{ "\xe2\x82\xac\xc3\xa9\"", "\xe2\x82\xac\xc3\xa9", NULL, 0 },
		{ "\xf0\x9f\x98\x80\"", "\xf0\x9f\x98\x80", NULL, 0 },
		{ "\xc3\xa9\\t\"", "\xc3\xa9\t", NULL, 0 },
		{ "\x7f~\"", "\x7f~", NULL, 0 },
		{ "\x01\"", NULL, "invalid JSON: control character \\x01 in "
		    "string", 0 },
		{ "\x1f\"", NULL, "invalid JSON: control character \\x1f in "
		    "string", 0 },
		{ "\xff\"", NULL, "field 'k': invalid UTF-8", 0 },
		{ "\xc3(\"", NULL, "field 'k': invalid UTF-8", 0 },
		{ "\xc3\xa9\xed\xa0\x80\"", NULL, "field 'k': invalid UTF-8", 2 },
		{ "\xc3\xa9" "abcdefghijklmnop\x02\"", NULL,
		    "invalid JSON: control character \\x02 in string", 18 },
		{ "", NULL, "invalid JSON: unterminated string", 0 },
	};
	char plain[40], line[160], want[160], first_bad[800] = "";
	size_t len, s, k, bad = 0;
	int tail;

	for (len = 0; len < 24; len++) {
		for (k = 0; k < len; k++)
			plain[k] = (char)("abcdefgh ijklmnop/qrstuvwxyz"[k]);
		plain[len] = '\0';
		for (s = 0; s < sizeof(stop) / sizeof(stop[0]); s++)
		for (tail = 0; tail < 2; tail++) {
			struct dmo_record rec;
			struct dmo_err err;
			const char *after = tail ? ",\"z\":\"0123456789abcdef\"}" :
			    "}";
			int rc, ok;

			if (stop[s].in[0] == '\0')
				snprintf(line, sizeof(line), "{\"k\":\"%s\n",
				    plain);
			else
				snprintf(line, sizeof(line), "{\"k\":\"%s%s%s\n",
				    plain, stop[s].in, after);
			dmo_record_init(&rec);
			memset(&err, 0, sizeof(err));
			rc = first(line, strlen(line), &rec, &err);
			if (stop[s].out != NULL) {
				snprintf(want, sizeof(want), "%s%s", plain,
				    stop[s].out);
				ok = rc == DMO_READ_RECORD &&
				    field_is(&rec, 0, "k", 1, DMO_STRING, want,
				    strlen(want)) && (!tail || FIELD_IS(&rec,
				    1, "z", DMO_STRING, "0123456789abcdef"));
			} else {
				unsigned long col = stop[s].in[0] == '\0' ? 6 :
				    7 + (unsigned long)len + stop[s].at;

				ok = rc == DMO_READ_BAD && err.loc.col == col &&
				    strcmp(err.msg, stop[s].msg) == 0;
			}
			if (!ok && bad++ == 0)
				snprintf(first_bad, sizeof(first_bad), "stop "
				    "%zu after %zu plain bytes (tail %d): rc %d,"
				    " col %lu, %s", s, len, tail, rc,
				    err.loc.col, err.msg);
			/* The same bytes in a name. */
			if (stop[s].in[0] != '\0' && stop[s].out != NULL) {
				snprintf(line, sizeof(line), "{\"%s%s:1%s\n",
				    plain, stop[s].in, tail ? ",\"z\":2}" :
				    "}");
				rc = first(line, strlen(line), &rec, &err);
				ok = rc == DMO_READ_RECORD &&
				    field_is(&rec, 0, want, strlen(want),
				    DMO_NUMBER, "1", 1);
				if (!ok && bad++ == 0)
					snprintf(first_bad, sizeof(first_bad),
					    "name: stop %zu after %zu plain "
					    "bytes: rc %d", s, len, rc);
			}
			dmo_record_release(&rec);
		}
	}
	if (bad > 0)
		printf("# first failure: %s\n", first_bad);
	CHECK_EQ(bad, 0, "scan: every stop byte at every place is found");
}

static void
test_nesting(void)
{
	size_t depth = 100000, i, n;
	struct dmo_buf t = DMO_BUF_INIT, want = DMO_BUF_INIT;
	char *got;
	size_t glen;
	struct ropts ro = { DMO_FMT_NDJSON, DMO_UTF8_REJECT, DMO_DUP_REJECT,
	    0 };

	EXPECT("{\"n\":[1, 2 ,{\"a\" : null,\"b\":[ ]} ,\"s\\u00e9\\n\"],"
	    "\"o\":{ \"x\":{\"y\":[true,false]} }}\n",
	    "1: {\"n\":[1,2,{\"a\":null,\"b\":[]},\"s\\u00e9\\n\"],"
	    "\"o\":{\"x\":{\"y\":[true,false]}}}\n",
	    "nested values are compacted, strings kept as written");
	EXPECT("{\"a\":[1,2}\n{\"a\":{\"b\" 1}}\n{\"a\":[1,]}\n{\"a\":{1:2}}\n"
	    "{\"a\":[[[]]}\n",
	    "1:10: bad: invalid JSON: expected ',' or ']', found '}' | "
	    "{\"a\":[1,2}\n"
	    "2:11: bad: invalid JSON: expected ':', found '1' | "
	    "{\"a\":{\"b\" 1}}\n"
	    "3:9: bad: invalid JSON: unexpected ']' | {\"a\":[1,]}\n"
	    "4:7: bad: invalid JSON: expected a name, found '1' | "
	    "{\"a\":{1:2}}\n"
	    "5:11: bad: invalid JSON: expected ',' or ']', found '}' | "
	    "{\"a\":[[[]]}\n",
	    "malformed nested values");

	/* Deep: the parser is iterative.  Odd levels are objects. */
	dmo_buf_adds(&t, "{\"deep\":");
	for (i = 0; i < depth; i++)
		dmo_buf_adds(&t, i % 2 ? "{\"k\":" : "[");
	dmo_buf_addc(&t, '0');
	for (i = depth; i-- > 0;)
		dmo_buf_addc(&t, i % 2 ? '}' : ']');
	dmo_buf_adds(&t, "}\n");
	n = t.len;
	dmo_buf_adds(&want, "1: ");
	dmo_buf_add(&want, t.p, n);
	got = transcript_opts(t.p, n, &ro, &glen);
	CHECK(glen == want.len && memcmp(got, want.p, glen) == 0,
	    "100,000 levels of nesting read and written back");
	free(got);

	/* The same, pretty-printed as a JSON document. */
	t.len = 0;
	dmo_buf_adds(&t, "[\n  {\n    \"deep\": ");
	for (i = 0; i < depth; i++)
		dmo_buf_adds(&t, i % 2 ? "{ \"k\" :\n" : "[ ");
	dmo_buf_addc(&t, '0');
	for (i = depth; i-- > 0;)
		dmo_buf_adds(&t, i % 2 ? " }" : "\n]");
	dmo_buf_adds(&t, "\n  }\n]\n");
	ro.format = DMO_FMT_JSON;
	got = transcript_opts(t.p, t.len, &ro, &glen);
	CHECK(glen == want.len && memcmp(got, "2: ", 3) == 0 &&
	    memcmp(got + 3, want.p + 3, glen - 3) == 0,
	    "100,000 levels in a pretty-printed document");
	free(got);

	/* Unclosed at depth: a bad record, not a crash. */
	t.len = 0;
	dmo_buf_adds(&t, "{\"deep\":");
	for (i = 0; i < depth; i++)
		dmo_buf_addc(&t, '[');
	dmo_buf_adds(&t, "\n{\"after\":1}\n");
	ro.format = DMO_FMT_NDJSON;
	got = transcript_opts(t.p, t.len, &ro, &glen);
	CHECK(strstr(got, "1:100009: bad: invalid JSON: unexpected end of "
	    "input | {\"deep\":[[[") == got &&
	    strstr(got, "\n2: {\"after\":1}\n") != NULL,
	    "100,000 unclosed brackets: a bad record, the next one read");
	free(got);
	dmo_buf_release(&t);
	dmo_buf_release(&want);
}

static void
test_structure(void)
{
	EXPECT("{\"a\":1}\n\n   \n{\"a\":2}\n",
	    "1: {\"a\":1}\n4: {\"a\":2}\n",
	    "blank lines are skipped and counted");
	EXPECT("\xef\xbb\xbf{\"a\":1}\r\n{\"a\":2}\r\n{\"a\":3}\n{\"a\":4}",
	    "1: {\"a\":1}\n2: {\"a\":2}\n3: {\"a\":3}\n4: {\"a\":4}\n",
	    "BOM, CRLF, mixed line ends, last line without LF");
	EXPECT("{\"a\":1}\n{\"a\":",
	    "1: {\"a\":1}\n2:6: bad: invalid JSON: unexpected end of input | "
	    "{\"a\":\n",
	    "a cut last object is a bad record");
	EXPECT("{\"a\":\n{\"a\":1,\r\n{\"a\":[1\n{\"a\":2}\n",
	    "1:6: bad: invalid JSON: unexpected end of input | {\"a\":\n"
	    "2:8: bad: invalid JSON: unexpected end of input | {\"a\":1,\n"
	    "3:8: bad: invalid JSON: unexpected end of input | {\"a\":[1\n"
	    "4: {\"a\":2}\n",
	    "an object cut at the end of its line: that line and column");
	EXPECT("{\"a\":1}\n{\"a\":\"x",
	    "1: {\"a\":1}\n2:6: bad: invalid JSON: unterminated string | "
	    "{\"a\":\"x\n",
	    "a cut last string is a bad record");
	EXPECT("[1,2]\n\"s\"\n{\"a\":1} {\"b\":2}\n{\"a\":1}}\n{\"a\" 1}\n"
	    "{a:1}\n{\"a\":1,}\n{\"a\":tru}\n{}\n",
	    "1:1: bad: not a JSON object: found '[' | [1,2]\n"
	    "2:1: bad: not a JSON object: found '\"' | \"s\"\n"
	    "3:9: bad: invalid JSON: unexpected '{' after the object | "
	    "{\"a\":1} {\"b\":2}\n"
	    "4:8: bad: invalid JSON: unexpected '}' after the object | "
	    "{\"a\":1}}\n"
	    "5:6: bad: invalid JSON: expected ':', found '1' | {\"a\" 1}\n"
	    "6:2: bad: invalid JSON: expected a name, found 'a' | {a:1}\n"
	    "7:8: bad: invalid JSON: expected a name, found '}' | "
	    "{\"a\":1,}\n"
	    "8:6: bad: invalid JSON: unexpected 't' | {\"a\":tru}\n"
	    "9: {}\n",
	    "not an object, trailing data, syntax errors");
	EXPECT("  {\"a\":1}  \n\t{ \"b\" :\t2 }\t\r\n",
	    "1: {\"a\":1}\n2: {\"b\":2}\n", "white space around records");
	EXPECT("", "", "an empty input has no records");
	EXPECT("\n\n", "", "blank lines only");
}

static void
test_duplicates(void)
{
	struct ropts ro = { DMO_FMT_NDJSON, DMO_UTF8_REJECT, DMO_DUP_REJECT,
	    0 };
	static const char t[] = "{\"a\":1,\"b\":2,\"a\":3}\n{\"a\":4}\n";

	EXPECT_MEM(t, &ro,
	    "1: bad: duplicate field name 'a' | {\"a\":1,\"b\":2,\"a\":3}\n"
	    "2: {\"a\":4}\n", "duplicate keys rejected by default");
	ro.dup = DMO_DUP_FIRST;
	EXPECT_MEM(t, &ro, "1: {\"a\":1,\"b\":2}\n2: {\"a\":4}\n",
	    "duplicate keys: first");
	ro.dup = DMO_DUP_LAST;
	EXPECT_MEM(t, &ro, "1: {\"a\":3,\"b\":2}\n2: {\"a\":4}\n",
	    "duplicate keys: last, at the first position");
	ro.dup = DMO_DUP_REJECT;
	EXPECT_MEM("{\"a\":1}\n{\"a\":1,\"a\":2 x\n{\"a\":1,\"a\":2}\n", &ro,
	    "1: {\"a\":1}\n"
	    "2:14: bad: invalid JSON: expected ',' or '}', found 'x' | "
	    "{\"a\":1,\"a\":2 x\n"
	    "3: bad: duplicate field name 'a' | {\"a\":1,\"a\":2}\n",
	    "a bad line does not let the next record's duplicates through");
	ro.dup = DMO_DUP_REJECT;
	EXPECT_MEM("{\"a\":1,\"\\u0061\":2}\n", &ro,
	    "1: bad: duplicate field name 'a' | {\"a\":1,\"\\u0061\":2}\n",
	    "names compare decoded");
}

static void
test_limits(void)
{
	struct ropts ro = { DMO_FMT_NDJSON, DMO_UTF8_REJECT, DMO_DUP_REJECT,
	    64 };
	static const char t[] =
	    "{\"a\":\"0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789\"}\n{\"a\":1}\n";

	EXPECT_MEM(t, &ro,
	    "1: bad: line too long: more than 64 bytes | \n2: {\"a\":1}\n",
	    "an overlong line is rejected and skipped");
}

static void
test_document(void)
{
	EXPECT_DOC("[{\"a\":1},{\"a\":2}]",
	    "1: {\"a\":1}\n1: {\"a\":2}\n", "document: array on one line");
	EXPECT_DOC("[\n  {\n    \"a\": 1,\n    \"b\": [1, 2]\n  },\n"
	    "  {\n    \"a\": 2\n  }\n]\n",
	    "2: {\"a\":1,\"b\":[1,2]}\n6: {\"a\":2}\n",
	    "document: pretty-printed array, records at their lines");
	EXPECT_DOC("{\n \"a\": 1\n}\n{\n \"a\": \"}\\\"{\"\n}\n{\"a\":3}",
	    "1: {\"a\":1}\n4: {\"a\":\"}\\\"{\"}\n7: {\"a\":3}\n",
	    "document: concatenated pretty-printed objects");
	EXPECT_DOC("[]\n", "", "document: empty array");
	EXPECT_DOC("[{\"a\":1},\n{\"a\":2}\n",
	    "1: {\"a\":1}\n2: {\"a\":2}\n3: fatal: invalid JSON: unexpected "
	    "end of input in the top-level array\n",
	    "document: unclosed array");
	EXPECT_DOC("[{\"a\":1},\n{\"a\":2",
	    "1: {\"a\":1}\n2: fatal: invalid JSON: unexpected end of input\n",
	    "document: array cut inside an object");
	EXPECT_DOC("[{\"a\":1},]",
	    "1: {\"a\":1}\n1: fatal: invalid JSON: ',' before ']'\n",
	    "document: trailing comma");
	EXPECT_DOC("[{\"a\":1} {\"a\":2}]",
	    "1: {\"a\":1}\n1: fatal: invalid JSON: expected ',' or ']', found "
	    "'{'\n", "document: missing comma");
	EXPECT_DOC("[1]", "1: fatal: not a JSON object: found '1'\n",
	    "document: array of numbers");
	EXPECT_DOC("{\n \"a\": NaN\n}\n{\"b\":1}\n",
	    "2:7: bad: invalid JSON: NaN is not a JSON number | "
	    "{\n \"a\": NaN\n}\n4: {\"b\":1}\n",
	    "document: a bad object, line and column inside it");
	EXPECT_DOC("[{\"a\":1}, {\"a\":NaN}]\n",
	    "1: {\"a\":1}\n1:16: bad: invalid JSON: NaN is not a JSON number | "
	    "{\"a\":NaN}\n",
	    "document: column counts from the start of the line");
	EXPECT_DOC("\xef\xbb\xbf[\r\n{\"a\":1}\r\n]\r\n",
	    "2: {\"a\":1}\n", "document: BOM and CRLF");
}

/* The writer through dmo_writer_*, on a file: bytes as specified. */
static void
test_writer(void)
{
	struct dmo_write_opts wo;
	struct dmo_writer *w;
	struct dmo_record rec;
	struct dmo_out *o;
	struct dmo_err err;
	const char *path = th_path("written");
	char got[512];
	ssize_t n;
	int fd;
	static const char want[] =
	    "{\"s\":\"a\\u0000b\\\"\\\\\\n\\r\\t\\b\\f\\u001b/\","
	    "\"bad\":\"x\xef\xbf\xbdy\",\"n\":12.30,\"t\":true,\"f\":false,"
	    "\"z\":null,\"arr\":[1,\"2\"],\"obj\":{\"k\":{}},"
	    "\"\\u0000\\n\":\"\xe2\x82\xac\"}\n{}\n";

	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0)
		bail("%s: %s", path, strerror(errno));
	memset(&wo, 0, sizeof(wo));
	wo.format = DMO_FMT_NDJSON;
	o = dmo_out_new(fd, path);
	w = dmo_writer_new(o, &wo, &err);
	CHECK(w != NULL, "writer: new");
	if (w == NULL)
		return;
	dmo_record_init(&rec);
	dmo_record_reset(&rec);
	dmo_record_add(&rec, "s", 1, DMO_STRING, "a\0b\"\\\n\r\t\b\f\x1b/", 12);
	dmo_record_add(&rec, "bad", 3, DMO_STRING, "x\xffy", 3);
	dmo_record_add(&rec, "n", 1, DMO_NUMBER, "12.30", 5);
	dmo_record_add(&rec, "t", 1, DMO_TRUE, "", 0);
	dmo_record_add(&rec, "f", 1, DMO_FALSE, "", 0);
	dmo_record_add(&rec, "z", 1, DMO_NULL, "", 0);
	dmo_record_add(&rec, "arr", 3, DMO_ARRAY, "[1,\"2\"]", 7);
	dmo_record_add(&rec, "obj", 3, DMO_OBJECT, "{\"k\":{}}", 8);
	dmo_record_add(&rec, "\0\n", 2, DMO_STRING, "\xe2\x82\xac", 3);
	CHECK(dmo_record_finish(&rec, DMO_DUP_REJECT, &err) == 0,
	    "writer: record built");
	CHECK(dmo_writer_write(w, &rec, &err) == 0, "writer: write");
	dmo_record_reset(&rec);
	CHECK(dmo_record_finish(&rec, DMO_DUP_REJECT, &err) == 0 &&
	    dmo_writer_write(w, &rec, &err) == 0, "writer: empty record");
	CHECK(dmo_writer_finish(w, &err) == 0, "writer: finish");
	CHECK(dmo_writer_count(w) == 2, "writer: count");
	dmo_writer_free(w);
	CHECK(dmo_out_close(o, &err) == 0, "writer: close");
	dmo_record_release(&rec);
	if ((fd = open(path, O_RDONLY)) < 0)
		bail("%s: %s", path, strerror(errno));
	n = read(fd, got, sizeof(got));
	close(fd);
	CHECK_MEM(got, n < 0 ? 0 : (size_t)n, want, sizeof(want) - 1,
	    "writer: escapes, U+FFFD for bad bytes, lexemes, nested text");

	/* A full disk: the error is reported by finish, code IO. */
	if ((fd = open("/dev/full", O_WRONLY)) >= 0) {
		o = dmo_out_new(fd, "/dev/full");
		w = dmo_writer_new(o, &wo, &err);
		dmo_record_init(&rec);
		dmo_record_reset(&rec);
		dmo_record_add(&rec, "a", 1, DMO_NUMBER, "1", 1);
		(void)dmo_record_finish(&rec, DMO_DUP_REJECT, &err);
		(void)dmo_writer_write(w, &rec, &err);
		CHECK(dmo_writer_finish(w, &err) == -2 &&
		    err.code == DMO_EXIT_IO &&
		    strcmp(err.msg, "write error: No space left on device") == 0,
		    "writer: /dev/full reports a write error");
		dmo_writer_free(w);
		dmo_out_free(o);
		close(fd);
		dmo_record_release(&rec);
	}
}

/* Each record read, written and read again is the same record. */
static void
test_reread(void)
{
	static const char text[] =
	    "{\"a\":\"\\u0000\\u001f\\\"\\\\\",\"b\":-0.0e-0,\"c\":[\"\\ud83d"
	    "\\ude00\"],\"\\u00e9\":\"\xf0\x9f\x98\x80\\u2028\"}\n";
	struct dmo_record a, b;
	struct dmo_err err;
	struct dmo_buf t = DMO_BUF_INIT;

	dmo_record_init(&a);
	dmo_record_init(&b);
	CHECK(first(text, sizeof(text) - 1, &a, &err) == DMO_READ_RECORD,
	    "reread: first read");
	rec_json(&t, &a);
	dmo_buf_addc(&t, '\n');
	CHECK(first(t.p, t.len, &b, &err) == DMO_READ_RECORD,
	    "reread: second read");
	CHECK(th_same_record(&a, &b),
	    "reread: the same names, types and bytes");
	dmo_buf_release(&t);
	dmo_record_release(&a);
	dmo_record_release(&b);
}

int
main(void)
{
	th_tmpdir("test_ndjson");
	test_lexemes();
	test_strings();
	test_utf8();
	test_nul_and_controls();
	test_scan_positions();
	test_nesting();
	test_structure();
	test_duplicates();
	test_limits();
	test_document();
	test_writer();
	test_reread();
	return done();
}
