/* test_clean.c - unit tests: dmo-clean's fast paths agree with the general one. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clean.h"
#include "coerce.h"
#include "datetime.h"
#include "schema.h"

#include "testhelp.h"

/* clean.c's hook: 1 turns the fast paths off. */
extern int	dmo_clean_general_only;

/*
 * Schemas whose properties take each fast path, with keywords around
 * it that the fast path must leave to the general one.
 */
static const char *const schemas[] = {
	/* The bench schema. */
	"{\"type\":\"object\",\"properties\":{"
	"\"id\":{\"type\":\"integer\",\"minimum\":1},"
	"\"name\":{\"type\":[\"string\",\"null\"],\"maxLength\":10,"
	"\"x-dmo-trim\":true,\"x-dmo-squeeze\":true},"
	"\"email\":{\"type\":[\"string\",\"null\"],\"format\":\"email\","
	"\"x-dmo-case\":\"lower\"},"
	"\"city\":{\"type\":[\"string\",\"null\"],\"enum\":[\"Reykjav\\u00edk\","
	"\"Osaka\",\"New York\",\"Krak\\u00f3w\",\"S\\u00e3o Paulo\",\"\",null]},"
	"\"amount\":{\"type\":[\"number\",\"null\"],\"minimum\":0,"
	"\"x-dmo-scale\":2},"
	"\"qty\":{\"type\":[\"integer\",\"null\"],\"minimum\":0,"
	"\"maximum\":1000},"
	"\"ts\":{\"type\":\"string\",\"format\":\"date-time\"},"
	"\"active\":{\"type\":\"boolean\"},"
	"\"note\":{\"type\":[\"string\",\"null\"],\"x-dmo-trim\":true,"
	"\"x-dmo-squeeze\":true},"
	"\"currency\":{\"type\":\"string\",\"x-dmo-default\":\"EUR\"}},"
	"\"required\":[\"id\",\"ts\"],\"additionalProperties\":false,"
	"\"x-dmo-null\":[\"\"]}",
	/* Bounds with fractions, exclusive ones, big ones; other rules. */
	"{\"type\":\"object\",\"properties\":{"
	"\"id\":{\"type\":[\"integer\",\"null\"],\"exclusiveMinimum\":-2.5,"
	"\"exclusiveMaximum\":123456789012345678},"
	"\"name\":{\"type\":\"string\",\"minLength\":3,\"x-dmo-nfc\":true,"
	"\"x-dmo-case\":\"upper\"},"
	"\"email\":{\"type\":\"string\",\"format\":\"email\","
	"\"x-dmo-case\":\"fold\",\"x-dmo-null\":[\"NA\",\"n/a\"]},"
	"\"city\":{\"type\":\"string\",\"pattern\":\"^[A-Z]\"},"
	"\"amount\":{\"type\":\"number\",\"minimum\":-1.5,\"maximum\":1e3},"
	"\"qty\":{\"type\":[\"integer\",\"number\"],\"x-dmo-null\":[\"0\","
	"\"NULL\"]},"
	"\"ts\":{\"type\":[\"string\",\"null\"],\"format\":\"date-time\","
	"\"x-dmo-case\":\"lower\"},"
	"\"active\":{\"type\":[\"boolean\",\"null\"],\"x-dmo-true\":[\"ja\"],"
	"\"x-dmo-false\":[\"nein\"]},"
	"\"note\":{\"type\":[\"string\",\"null\"],\"x-dmo-squeeze\":true},"
	"\"currency\":{\"type\":\"string\",\"enum\":[\"EUR\",\"USD\"],"
	"\"x-dmo-default\":\"EUR\"}}}",
	/* Defaults for empty values, required null, scale 0 and 3. */
	"{\"type\":\"object\",\"properties\":{"
	"\"id\":{\"type\":\"number\",\"x-dmo-scale\":0},"
	"\"name\":{\"type\":\"string\",\"x-dmo-default\":\"anon\"},"
	"\"email\":{\"type\":[\"string\",\"null\"],\"format\":\"uri\"},"
	"\"city\":{\"type\":[\"string\",\"null\"],\"format\":\"uuid\","
	"\"x-dmo-trim\":true},"
	"\"amount\":{\"type\":[\"number\",\"null\"],\"x-dmo-scale\":3,"
	"\"x-dmo-rounding\":\"half-even\",\"maximum\":1e19},"
	"\"qty\":{\"type\":[\"integer\",\"null\"]},"
	"\"ts\":{\"type\":\"string\",\"format\":\"date-time\","
	"\"x-dmo-output-timezone\":\"+01:00\"},"
	"\"active\":{\"type\":[\"boolean\",\"string\"]},"
	"\"note\":{\"type\":\"string\",\"format\":\"ipv4\"},"
	"\"currency\":{\"const\":\"EUR\"}},"
	"\"required\":[\"name\",\"qty\"],"
	"\"x-dmo-trim\":true,\"x-dmo-null\":[\"\",\"-\"]}",
};

static const char *const fields[] = {
	"id", "name", "email", "city", "amount", "qty", "ts", "active",
	"note", "currency"
};
#define NFIELDS	(sizeof(fields) / sizeof(fields[0]))

/* Good values, so that a record fails only for the value under test. */
static const char *const good[NFIELDS] = {
	"7", "Ann", "ann@example.com", "Osaka", "1.50", "3",
	"2024-01-01T00:00:40Z", "true", "n", "EUR"
};

/* Values tried in every field (length-delimited: some hold NULs). */
static const struct {
	const char	*p;
	size_t		 n;
} values[] = {
#define V(s)	{ s, sizeof(s) - 1 }
	V(""), V(" "), V("  "), V("0"), V("-0"), V("00"), V("007"), V("+5"),
	V("1e3"), V("1E3"), V("1.0"), V("1."), V(".5"), V("-1"), V("-2"),
	V("-3"), V("1000"), V("1001"), V(" 7"), V("7 "), V("7\t"),
	V("123456789012345678"), V("123456789012345677"),
	V("-123456789012345678"), V("1234567890123456789"),
	V("9223372036854775807"), V("9223372036854775808"),
	V("-9223372036854775808"), V("99999999999999999999"), V("1,5"),
	V("12.30"), V("12.3"), V("12.345"), V("12.3456"), V("0.00"),
	V("-0.00"), V("-1.50"), V("-1.51"), V("-1.49"), V("143.29"),
	V("143.295"), V("0.5"), V("05.50"), V("1.5e2"), V("0.000000000000000001"),
	V("1.0000000000000000001"), V("999.99"), V("1000.00"), V("1000.01"),
	V("true"), V("false"), V("TRUE"), V("True"), V("yes"), V("t"),
	V("1"), V("ja"), V("nein"), V("NA"), V("n/a"), V("NULL"), V("-"),
	V("2024-01-01T00:00:40Z"), V("2024-02-29T12:00:00Z"),
	V("2023-02-29T12:00:00Z"), V("1900-02-29T00:00:00Z"),
	V("2000-02-29T00:00:00Z"), V("2024-01-01T24:00:00Z"),
	V("2024-12-31T24:00:00Z"), V("2024-01-01T23:59:60Z"),
	V("2024-01-01T23:60:00Z"), V("2024-01-01T00:00:40.5Z"),
	V("2024-01-01T00:00:40,5Z"), V("2024-01-01T00:00:40.123456789Z"),
	V("2024-01-01T00:00:40.1234567890Z"), V("2024-01-01T00:00:40.Z"),
	V("2024-01-01T00:00:40+00:00"), V("2024-01-01T01:00:40+01:00"),
	V("2024-01-01T00:00:40-05:30"), V("2024-01-01t00:00:40z"),
	V("2024-01-01 00:00:40Z"), V("2024-01-01T00:00Z"),
	V("2024-01-01T00:00:40"), V("0000-01-01T00:00:00Z"),
	V("0001-01-01T00:00:00Z"), V("9999-12-31T23:59:59Z"),
	V("2024-13-01T00:00:00Z"), V("2024-00-10T00:00:00Z"),
	V("2024-04-31T00:00:00Z"), V("2024-01-00T00:00:00Z"),
	V("2024-01-01T00:00:40Z "), V(" 2024-01-01T00:00:40Z"),
	V("2024/01/01T00:00:40Z"), V("2024-01-01"), V("12:00:00"),
	V("a@b.c"), V("A@B.C"), V("mateo.tanaka347@corp.example"),
	V("Mateo.Tanaka347@corp.example"), V("fatima.papadopoulos554@mail.example.net"),
	V("x..y@example.com"), V(".x@example.com"), V("x.@example.com"),
	V("x@-example.com"), V("x@example-.com"), V("x@ex-ample.com"),
	V("x@exa_mple.com"), V("x_y+tag@example.com"), V("x@@example.com"),
	V("x@example..com"), V("x@.example.com"), V("x@example.com."),
	V("x@example.com-"), V("@example.com"), V("x@"), V("x@y"),
	V("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk@x.io"),
	V("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl@x.io"),
	V("\xc3\xbcser@ex\xc3\xa4mple.com"), V("user@example.com\0x"),
	V("us er@example.com"), V("user@exa mple.com"),
	V("very.long.address.of.sixty.four.bytes.exactly@example.org.uk"),
	V("ann@example.com"), V("ANN@EXAMPLE.COM"),
	V("Ann"), V("Al"), V("Ali Nguy\xe1\xbb\x85n"), V("  padded  "),
	V("a  b"), V("a\tb"), V("a\nb"), V("a\xc2\xa0" "b"), V("\xc2\xa0x"),
	V("x\xc2\xa0"), V("\xc3\xa0"), V("a\x01" "b"), V("a\0b"), V("\0"),
	V("ABC"), V("abc"), V("Osaka"), V("osaka"), V("Osaka "),
	V("Krak\xc3\xb3w"), V("Krako\xcc\x81w"), V("S\xc3\xa3o Paulo"),
	V("New York"), V("New  York"), V("Reykjav\xc3\xadk"), V("London"),
	V("\xff\xfe"), V("a\xc3"), V("EUR"), V("USD"), V("eur"),
	V("0123456789abcde"), V("0123456789abcdef"),
	V("0123456789abcdef0"), V("0123456789abcde  x"),
	V("0123456 89abcdef"), V("0123456  9abcdef"), V("0123456789abcde "),
	V("0123456789abcde f"), V("0123456789abcdef "), V("abcdefg  hijklmn"),
	V("abcdefghijklmno  pqrstuvwxyz0123456789abcdefghijklmnopq"),
	V("abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01 "),
	V("abc d"), V("ab  d"), V("abc  "), V("a b c d e f g h"),
	V("0123456789ABCDEF0123456789abcdef"), V("Ab"), V("aB"),
	V("123e4567-e89b-12d3-a456-426614174000"), V("192.168.0.1"),
	V("192.168.00.1"), V("http://example.com/a b"), V("http://example.com/"),
#undef V
};
#define NVALUES	(sizeof(values) / sizeof(values[0]))

static void
on_change(void *arg, const struct dmo_clean_change *ch)
{
	struct dmo_buf *b = arg;

	dmo_buf_printf(b, "%.*s|%d|", (int)ch->flen, ch->field, ch->btype);
	dmo_buf_add(b, ch->before != NULL ? ch->before : "", ch->blen);
	dmo_buf_printf(b, "|%d|", ch->atype);
	dmo_buf_add(b, ch->after != NULL ? ch->after : "", ch->alen);
	dmo_buf_printf(b, "|%s\n", ch->rule);
}

/* Everything a run gives, as text: status, record or failure, changes. */
static void
run(struct dmo_clean *c, const struct dmo_record *in, struct dmo_record *out,
    int general, struct dmo_buf *b)
{
	struct dmo_clean_fail fail;
	struct dmo_err err;
	const struct dmo_record *r;
	int changed = -1, rc;
	size_t i, n;
	const char *v;

	b->len = 0;
	dmo_clean_general_only = general;
	rc = dmo_clean_record(c, in, out, &changed, on_change, b, &fail, &err);
	dmo_clean_general_only = 0;
	dmo_buf_printf(b, "rc %d\n", rc);
	if (rc != 0) {
		dmo_buf_printf(b, "%s %.*s %d: %s\n",
		    dmo_reason_name(fail.reason), (int)fail.flen,
		    fail.field != NULL ? fail.field : "", fail.vtype, err.msg);
		return;
	}
	dmo_buf_printf(b, "changed %d\n", changed);
	r = changed ? out : in;
	for (i = 0; i < r->n; i++) {
		v = dmo_record_name(r, i, &n);
		dmo_buf_add(b, v, n);
		v = dmo_record_value(r, i, &n);
		dmo_buf_printf(b, " %d %zu <", (int)dmo_record_type(r, i), n);
		dmo_buf_add(b, v, n);
		/* The record API's promise: a NUL after every value. */
		dmo_buf_printf(b, "> nul %d\n", v[n] == '\0');
	}
}

static void
make_record(struct dmo_record *r, size_t f, enum dmo_type t, const char *p,
    size_t n, int drop)
{
	struct dmo_err err;
	size_t i;

	dmo_record_reset(r);
	for (i = 0; i < NFIELDS; i++) {
		if (i == f && drop)
			continue;
		if (i == f)
			dmo_record_add(r, fields[i], strlen(fields[i]), t, p, n);
		else
			dmo_record_add(r, fields[i], strlen(fields[i]),
			    DMO_STRING, good[i], strlen(good[i]));
	}
	if (dmo_record_finish(r, DMO_DUP_REJECT, &err) != 0)
		bail("record: %s", err.msg);
}

/* Every value in every field of every schema: both paths the same. */
static void
agree(void)
{
	struct dmo_buf fast = DMO_BUF_INIT, gen = DMO_BUF_INIT;
	struct dmo_record in, out1, out2;
	size_t s, f, k, bad = 0, runs = 0;
	char name[64];

	dmo_record_init(&in);
	dmo_record_init(&out1);
	dmo_record_init(&out2);
	for (s = 0; s < sizeof(schemas) / sizeof(schemas[0]); s++) {
		struct dmo_clean_opts o;
		struct dmo_clean *cf, *cg;
		struct dmo_schema *sc;
		struct dmo_err err;
		const char *path;

		snprintf(name, sizeof(name), "schema%zu.json", s);
		path = th_path(name);
		th_put_file(path, schemas[s], strlen(schemas[s]));
		if ((sc = dmo_schema_load(path, &err)) == NULL)
			bail("schema %zu: %s", s, err.msg);
		memset(&o, 0, sizeof(o));
		o.schema = sc;
		o.text.trim = o.text.squeeze = o.text.nfc = -1;
		o.text.casemap = -1;
		cf = dmo_clean_new(&o);
		cg = dmo_clean_new(&o);
		for (f = 0; f < NFIELDS; f++)
			for (k = 0; k < NVALUES + 4; k++) {
				enum dmo_type t = DMO_STRING;
				const char *p = k < NVALUES ? values[k].p : "";
				size_t n = k < NVALUES ? values[k].n : 0;

				/* Not strings: no fast path, same answers. */
				if (k == NVALUES)
					t = DMO_NULL;
				else if (k == NVALUES + 1)
					t = DMO_TRUE;
				else if (k == NVALUES + 2) {
					t = DMO_NUMBER;
					p = "12.30";
					n = 5;
				}
				make_record(&in, f, t, p, n, k == NVALUES + 3);
				run(cf, &in, &out1, 0, &fast);
				run(cg, &in, &out2, 1, &gen);
				runs++;
				if (fast.len == gen.len &&
				    memcmp(fast.p, gen.p, fast.len) == 0)
					continue;
				if (bad++ < 5) {
					snprintf(name, sizeof(name),
					    "schema %zu field %s value %zu", s,
					    fields[f], k);
					CHECK_MEM(fast.p, fast.len, gen.p,
					    gen.len, name);
				}
			}
		dmo_clean_free(cf);
		dmo_clean_free(cg);
		dmo_schema_free(sc);
	}
	CHECK(runs > 3000, "fast and general paths: every value tried");
	CHECK_EQ(bad, 0, "fast and general paths agree on every value");
	dmo_record_release(&in);
	dmo_record_release(&out1);
	dmo_record_release(&out2);
	dmo_buf_release(&fast);
	dmo_buf_release(&gen);
}

/* The byte loop dmo_format_email had before its masks: the reference. */
static int
email_ref(const char *p, size_t n)
{
	const char *at = memchr(p, '@', n);
	size_t i, llen, label = 0;

	if (at == NULL || memchr(at + 1, '@', n - (size_t)(at - p) - 1))
		return 0;
	llen = (size_t)(at - p);
	if (llen == 0 || llen > 64 || p[0] == '.' || p[llen - 1] == '.')
		return 0;
	for (i = 0; i < llen; i++) {
		unsigned char c = (unsigned char)p[i];
		int atext = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c >= 0x80 ||
		    (c != 0 && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);

		if (c == '.' ? p[i + 1] == '.' : !atext)
			return 0;
	}
	if (llen + 1 >= n || n - llen - 1 > 253)
		return 0;
	for (i = llen + 1; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)p[i] : '.';
		int lab = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c >= 0x80 || c == '-';

		if (c == '.') {
			if (label == 0 || label > 63 || p[i - 1] == '-')
				return 0;
			label = 0;
		} else if (lab && (c != '-' || label > 0))
			label++;
		else
			return 0;
	}
	return 1;
}

/* Random addresses over the bytes that matter, every length to 80. */
static void
email_random(void)
{
	static const char alpha[] = "abcdeab.-_+A0.\xc3\xa9-.@ ";
	static const char plain[] = "abcdeabcz.-_+09.-.@";
	unsigned long long x = 42;
	char buf[96];
	size_t i, n, bad = 0, valid = 0, lower = 0, k;

	for (k = 0; k < 200000; k++) {
		n = k % 81;
		for (i = 0; i < n; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			/* Every other one without capitals or high bytes. */
			buf[i] = k % 2 ? alpha[(x >> 33) % (sizeof(alpha) - 1)] :
			    plain[(x >> 33) % (sizeof(plain) - 1)];
		}
		/* Mostly plausible: one '@' somewhere in the middle. */
		if (n > 4 && k % 3 != 0)
			buf[(x >> 20) % (n - 2) + 1] = '@';
		if (dmo_format_email(buf, n) != email_ref(buf, n) && bad++ < 3)
			CHECK_MEM(buf, n, "(agreeing)", 10, "email: mask and "
			    "byte loop agree");
		valid += email_ref(buf, n);
		/* The lower-case fast path: only valid ASCII without caps. */
		if (dmo_format_email_lower(buf, n)) {
			lower++;
			for (i = 0; i < n; i++)
				if ((unsigned char)buf[i] >= 0x80 ||
				    (buf[i] >= 'A' && buf[i] <= 'Z'))
					break;
			if ((i < n || !email_ref(buf, n)) && bad++ < 3)
				CHECK_MEM(buf, n, "(not lower)", 11, "email: "
				    "lower-case path only where it may");
		}
	}
	CHECK(lower > 1000, "email: the lower-case path takes many");
	CHECK_EQ(bad, 0, "email: masks agree with the byte loop (200000)");
	CHECK(valid > 1000, "email: many random addresses are valid");
}

/* dmo_dt_is_canonical_utc: 1 only where the parser agrees, byte for byte. */
static void
datetime_canonical(void)
{
	static const char base[] = "2024-02-29T23:59:59.123456789Z";
	static const char subst[] = "0123456789-:.TZz+ ";
	struct dmo_datetime t;
	struct dmo_buf b = DMO_BUF_INIT;
	const char *why;
	char buf[40];
	size_t n, i, j, yes = 0, bad = 0;

	for (n = 18; n <= 32; n++)
		for (i = 0; i < n; i++)
			for (j = 0; j < sizeof(subst) - 1; j++) {
				memcpy(buf, base, sizeof(base));
				if (n < sizeof(base) - 1) {
					memcpy(buf, base, n - 1);
					buf[n - 1] = 'Z';
				} else
					memset(buf + sizeof(base) - 2, '7',
					    n - sizeof(base) + 2), buf[n - 1] = 'Z';
				buf[i] = subst[j];
				if (!dmo_dt_is_canonical_utc(buf, n))
					continue;
				yes++;
				b.len = 0;
				if (dmo_dt_parse_iso(buf, n, -1, &t, &why) != 0 ||
				    !t.has_offset || t.offset != 0)
					bad++;
				else {
					dmo_dt_put_iso(&t, 'T', &b);
					if (b.len != n || memcmp(b.p, buf, n) != 0)
						bad++;
				}
			}
	CHECK(yes > 500, "date-time: many canonical variants");
	CHECK_EQ(bad, 0, "date-time: canonical text parses and prints back");
	CHECK(dmo_dt_is_canonical_utc(S("2024-02-29T00:00:00Z")), "leap day");
	CHECK(!dmo_dt_is_canonical_utc(S("2023-02-29T00:00:00Z")),
	    "no leap day in 2023");
	CHECK(!dmo_dt_is_canonical_utc(S("1900-02-29T00:00:00Z")),
	    "no leap day in 1900");
	CHECK(dmo_dt_is_canonical_utc(S("2000-02-29T00:00:00Z")),
	    "a leap day in 2000");
	CHECK(!dmo_dt_is_canonical_utc(S("2024-01-01T23:59:60Z")),
	    "no leap second");
	CHECK(!dmo_dt_is_canonical_utc(S("2024-01-01T24:00:00Z")),
	    "24:00 is not canonical");
	CHECK(!dmo_dt_is_canonical_utc(S("2024-01-01T00:00:00+00:00")),
	    "an offset is not Z");
	CHECK(!dmo_dt_is_canonical_utc(S("2024-01-01T00:00:00,5Z")),
	    "a comma before the fraction");
	CHECK(!dmo_dt_is_canonical_utc(S("0000-01-01T00:00:00Z")), "year 0");
	CHECK(!dmo_dt_is_canonical_utc(S("2024-01-01T00:00:00.1234567890Z")),
	    "ten fraction digits");
	dmo_buf_release(&b);
}

int
main(void)
{
	th_tmpdir("test_clean");
	agree();
	email_random();
	datetime_canonical();
	return done();
}
