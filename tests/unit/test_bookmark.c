/* test_bookmark.c - checkpoint frames, the bookmark comparison, state files. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <ctype.h>

#include "testhelp.h"

#include "bookmark.h"
#include "exitcode.h"
#include "format.h"

/*
 * The example of dmo-frame(5), "Checkpoint frame 'c'": a stream holding
 * only a checkpoint, as dmo-extract writes it when no record is new.
 * Keep the two in step.
 */
static const unsigned char man_example[] = {
	0x89, 0x44, 0x4d, 0x4f, 0x0d, 0x0a, 0x1a, 0x0a, 0x01, 0x00,
	0x63, 0x36, 0x00, 0x00, 0x00,
	0x01,
	0x11, '/', 's', 'r', 'v', '/', 'o', 'r', 'd', 'e', 'r', 's', '.',
	's', 't', 'a', 't', 'e',
	0x0a, 'u', 'p', 'd', 'a', 't', 'e', 'd', '_', 'a', 't',
	0x01,
	0x14, '2', '0', '2', '6', '-', '0', '1', '-', '0', '5', 'T', '1',
	'7', ':', '4', '0', ':', '0', '0', 'Z',
	0xe8, 0x07,
	0x45, 0x01, 0x00, 0x00, 0x00, 0x00
};

static const struct dmo_checkpoint example = {
	S("/srv/orders.state"), S("updated_at"), S("2026-01-05T17:40:00Z"),
	1000
};

static void
test_encode(void)
{
	struct dmo_out *o = th_out_new();
	struct dmo_write_opts wo = { DMO_FMT_BINARY, 0, 1, 0 };
	struct dmo_buf payload = DMO_BUF_INIT, got = DMO_BUF_INIT;
	struct dmo_control c;
	struct dmo_writer *w;
	struct dmo_err err;

	dmo_checkpoint_encode(&example, &payload);
	CHECK_EQ(payload.len, 0x36, "encode: payload of 54 bytes");
	if ((w = dmo_writer_new(o, &wo, &err)) == NULL)
		bail("writer: %s", err.msg);
	c.type = DMO_CONTROL_CHECKPOINT;
	c.payload = payload.p;
	c.len = payload.len;
	CHECK(dmo_writer_control(w, &c, &err) == 0 &&
	    dmo_writer_finish(w, &err) == 0, "encode: written");
	th_out_bytes(o, &got);
	CHECK_MEM(got.p, got.len, (const char *)man_example,
	    sizeof(man_example), "encode: the stream of dmo-frame(5)'s "
	    "example, byte for byte");
	dmo_writer_free(w);
	dmo_out_free(o);
	dmo_buf_release(&payload);
	dmo_buf_release(&got);

	/* No bookmark yet, and a count of 0. */
	{
		struct dmo_checkpoint cp = { S("/s"), S("f"), NULL, 0, 0 };

		dmo_checkpoint_encode(&cp, &payload);
		CHECK_MEM(payload.p, payload.len, "\x01\x02/s\x01" "f\x00\x00",
		    8, "encode: no bookmark is a flag byte 0");
		dmo_buf_release(&payload);
	}
}

/*
 * The dump in dmo-frame(5) must be those bytes: the xxd block whose
 * frame after the stream header is a 'c'.
 */
static void
test_man_dump(const char *argv0)
{
	char path[1024], line[512];
	unsigned char dump[256];
	const char *slash = strrchr(argv0, '/');
	size_t n = 0, k;
	int found = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%.*s/../../man/dmo-frame.5",
	    slash != NULL ? (int)(slash - argv0) : 1,
	    slash != NULL ? argv0 : ".");
	if ((fp = fopen(path, "r")) == NULL &&
	    (fp = fopen("man/dmo-frame.5", "r")) == NULL) {
		skip("man: the checkpoint dump in dmo-frame(5)", "not found");
		return;
	}
	while (!found && fgets(line, sizeof(line), fp) != NULL) {
		for (k = 0; k < 8 && isxdigit((unsigned char)line[k]); k++)
			;
		if (k != 8 || line[8] != ':' || line[9] != ' ') {
			/* The end of a dump: is it the one? */
			if (n > 10 && dump[10] == 'c') {
				found = 1;
				break;
			}
			n = 0;
			continue;
		}
		for (k = 10; k + 1 < strlen(line) && k < 10 + 39; k++) {
			unsigned v;

			if (line[k] == ' ')
				continue;
			if (sscanf(line + k, "%2x", &v) != 1 ||
			    n >= sizeof(dump))
				break;
			dump[n++] = (unsigned char)v;
			k++;
		}
	}
	fclose(fp);
	CHECK(found, "man: dmo-frame(5) has a dump of a checkpoint frame");
	CHECK_MEM((const char *)dump, n, (const char *)man_example,
	    sizeof(man_example), "man: the dump is the encoder's bytes");
}

/* The man page's stream read back: one control frame, decoded. */
static void
test_read(void)
{
	const char *path = th_new_file(man_example, sizeof(man_example));
	struct dmo_read_opts ro;
	struct dmo_checkpoint cp;
	const struct dmo_control *c;
	struct dmo_reader *r;
	struct dmo_record rec;
	struct dmo_err err;
	int rc;

	memset(&ro, 0, sizeof(ro));
	ro.header = -1;
	if ((r = dmo_reader_open(path, &ro, &err)) == NULL)
		bail("open: %s", err.msg);
	dmo_record_init(&rec);
	rc = dmo_reader_next(r, &rec, &err);
	CHECK_EQ(rc, DMO_READ_CONTROL, "read: a control frame");
	c = dmo_reader_control(r);
	CHECK_EQ(c->type, 'c', "read: of type 'c'");
	CHECK(dmo_checkpoint_decode(c->payload, c->len, &cp, &err) == 0,
	    "read: it decodes");
	CHECK_MEM(cp.state, cp.statelen, "/srv/orders.state", 17,
	    "decode: state path");
	CHECK_MEM(cp.field, cp.fieldlen, "updated_at", 10, "decode: field");
	CHECK_MEM(cp.bookmark, cp.bookmarklen, "2026-01-05T17:40:00Z", 20,
	    "decode: bookmark");
	CHECK_EQ(cp.records, 1000, "decode: records");
	CHECK_EQ(dmo_reader_next(r, &rec, &err), DMO_READ_EOF,
	    "read: then the end");
	CHECK(dmo_reader_complete(r), "read: the stream is whole");
	dmo_reader_free(r);
	dmo_record_release(&rec);
}

static void
bad_decode(const char *p, size_t n, const char *want, const char *name)
{
	struct dmo_checkpoint cp;
	struct dmo_err err;

	dmo_err_clear(&err);
	CHECK(dmo_checkpoint_decode(p, n, &cp, &err) == -1 &&
	    err.code == DMO_EXIT_DATA, name);
	CHECK_STR(err.msg, want, name);
}

static void
test_decode_damage(void)
{
	struct dmo_buf b = DMO_BUF_INIT;
	struct dmo_checkpoint cp;
	struct dmo_err err;
	size_t i;
	int all = 1;

	bad_decode("", 0, "damaged checkpoint frame: empty", "decode: empty");
	bad_decode("\x02\x02/s\x01" "f\x00\x00", 8,
	    "checkpoint frame of unknown version 2", "decode: version 2");
	bad_decode("\x01\x02" "s/\x01" "f\x00\x00", 8,
	    "damaged checkpoint frame: state path",
	    "decode: a relative state path");
	bad_decode("\x01\x00\x01" "f\x00\x00", 6,
	    "damaged checkpoint frame: state path", "decode: no state path");
	bad_decode("\x01\x02/s\x00\x00\x00", 7,
	    "damaged checkpoint frame: field name", "decode: no field name");
	bad_decode("\x01\x02/s\x01" "f\x02\x00", 8,
	    "damaged checkpoint frame: bookmark", "decode: flag byte 2");
	bad_decode("\x01\x02/s\x01" "f\x01\x02\xc3(\x00", 11,
	    "damaged checkpoint frame: bookmark",
	    "decode: a bookmark that is not UTF-8");
	bad_decode("\x01\x02/s\x01" "f\x00\x00\x00", 9,
	    "damaged checkpoint frame: trailing bytes",
	    "decode: a byte too many");
	bad_decode("\x01\x02/s\x01" "f\x00\x80", 8,
	    "damaged checkpoint frame: record count",
	    "decode: a varint cut short");
	bad_decode("\x01\x7f/s", 4, "damaged checkpoint frame: state path",
	    "decode: a length past the end");

	/* Every proper prefix of a good payload is damaged. */
	dmo_checkpoint_encode(&example, &b);
	for (i = 0; i < b.len; i++)
		if (dmo_checkpoint_decode(b.p, i, &cp, &err) != -1)
			all = 0;
	CHECK(all, "decode: every prefix of a payload is refused");
	CHECK(dmo_checkpoint_decode(b.p, b.len, &cp, &err) == 0,
	    "decode: the whole payload is fine");
	dmo_buf_release(&b);
}

static int
cmp(const char *a, const char *b)
{
	return dmo_bookmark_compare(a, strlen(a), b, strlen(b));
}

static void
test_compare(void)
{
	static const struct {
		const char	*a, *b;
		int		 want;
	} t[] = {
		{ "9", "10", -1 },		/* numbers: numerically */
		{ "10", "9", 1 },
		{ "10", "10.0", 0 },
		{ "1e1", "10", 0 },
		{ "-0", "0.0", 0 },
		{ "-1", "0", -1 },
		{ "-2", "-10", 1 },
		{ "0.001", "1e-3", 0 },
		{ "0.0011", "1e-3", 1 },
		{ "12.30", "12.3", 0 },
		{ "18446744073709551616", "18446744073709551617", -1 },
		{ "1e400", "9e399", 1 },
		{ "-1e400", "-9e399", -1 },
		{ "1E+2", "100", 0 },
		{ "1e9999999999999999999999", "1e400", 1 },	/* clamped */
		{ "1e-9999999999999999999999", "1e-400", -1 },
		{ "123456789012345678901234567890", "1.2345678901234567890123456789e29", 0 },
		{ "2026-01-05T17:40:00Z", "2026-01-05T17:40:01Z", -1 },
		{ "2026-01-05", "2026-01-05T00:00:00Z", -1 },	/* prefix */
		{ "b", "a", 1 },
		{ "abc", "abc", 0 },
		{ "", "0", -1 },		/* "" is not a number */
		{ "10", "9x", -1 },		/* one is not: bytewise */
		{ "007", "10", -1 },		/* "007" is not a JSON number */
		{ "\xc3\xa9", "z", 1 },		/* UTF-8 bytes sort high */
	};
	size_t i;
	char name[160];

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(name, sizeof(name), "compare: \"%s\" vs \"%s\"",
		    t[i].a, t[i].b);
		CHECK_EQ(cmp(t[i].a, t[i].b), t[i].want, name);
		snprintf(name, sizeof(name), "compare: \"%s\" vs \"%s\"",
		    t[i].b, t[i].a);
		CHECK_EQ(cmp(t[i].b, t[i].a), -t[i].want, name);
	}
	CHECK_EQ(dmo_bookmark_compare("a\0b", 3, "a\0c", 3), -1,
	    "compare: NUL bytes are data");
}

static void
test_state(void)
{
	struct dmo_checkpoint cp = example;
	struct dmo_bookmark bm;
	struct dmo_err err;
	char *abs;
	const char *path = th_path("orders.state");
	char *text;
	size_t n;

	abs = dmo_state_path(path, &err);
	CHECK(abs != NULL && abs[0] == '/', "state path: absolute");
	free(abs);
	CHECK(dmo_state_path(th_path("nodir/x.state"), &err) == NULL &&
	    err.code == DMO_EXIT_USAGE, "state path: a missing directory is "
	    "a usage error");
	CHECK(dmo_state_path("dir/", &err) == NULL &&
	    err.code == DMO_EXIT_USAGE, "state path: a directory name");

	CHECK(dmo_bookmark_open(&bm, "updated_at", path, &err) == 0 &&
	    !bm.have_from, "state: a missing file means no bookmark");
	dmo_bookmark_release(&bm);

	cp.state = path;
	cp.statelen = strlen(path);
	CHECK(dmo_state_save(&cp, &err) == 0, "state: saved");
	text = (char *)th_get_file(path, &n);
	CHECK(strstr(text, "{\n  \"dmo_state\": 1,\n  \"field\": "
	    "\"updated_at\",\n  \"bookmark\": \"2026-01-05T17:40:00Z\",\n  "
	    "\"records\": 1000,\n  \"saved\": \"") == text,
	    "state: the JSON document");
	free(text);
	CHECK(dmo_bookmark_open(&bm, "updated_at", path, &err) == 0 &&
	    bm.have_from && strcmp(bm.from.p, "2026-01-05T17:40:00Z") == 0,
	    "state: read back");
	dmo_bookmark_release(&bm);
	CHECK(dmo_bookmark_open(&bm, "id", path, &err) == -1 &&
	    err.code == DMO_EXIT_USAGE, "state: for another field");
	CHECK_STR(err.msg, "the bookmark is on field \"updated_at\", not on "
	    "'id' as option '--since-field' says", "state: message");
	dmo_bookmark_release(&bm);

	/* NUL bytes in a bookmark survive the JSON file. */
	cp.bookmark = "a\0b";
	cp.bookmarklen = 3;
	CHECK(dmo_state_save(&cp, &err) == 0 &&
	    dmo_bookmark_open(&bm, "updated_at", path, &err) == 0 &&
	    bm.from.len == 3 && memcmp(bm.from.p, "a\0b", 3) == 0,
	    "state: a NUL byte in the bookmark");
	dmo_bookmark_release(&bm);
}

int
main(int argc, char *argv[])
{
	(void)argc;
	th_tmpdir("test_bookmark");
	test_encode();
	test_man_dump(argv[0]);
	test_read();
	test_decode_damage();
	test_compare();
	test_state();
	return done();
}
