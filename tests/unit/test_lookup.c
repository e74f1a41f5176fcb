/* test_lookup.c - unit tests for lookups (lookup.c), from files and SQLite. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "exitcode.h"
#include "format.h"
#include "lookup.h"
#include "value.h"

#include "testhelp.h"

/*
 * Join NDJSON text against a lookup; the output records one a line,
 * "- dropped" for a record an inner join drops, "! message" for an
 * error.  A static copy.
 */
static const char *
join(const struct dmo_lookup_opts *o, const char *ndjson)
{
	static struct dmo_buf res;
	struct dmo_read_opts ro;
	struct dmo_reader *rd;
	struct dmo_record rec, out;
	struct dmo_lookup *lk;
	struct dmo_err err;
	struct dmo_out *so;
	int rc;

	res.len = 0;
	memset(&ro, 0, sizeof(ro));
	ro.format = DMO_FMT_NDJSON;
	if ((lk = dmo_lookup_open(o, &err)) == NULL) {
		dmo_buf_printf(&res, "open %d: %s", err.code, err.msg);
		if (err.loc.file != NULL)
			dmo_buf_printf(&res, " at line %lu", err.loc.line);
		return dmo_buf_cstr(&res);
	}
	if ((rd = dmo_reader_open(th_new_file(ndjson, strlen(ndjson)), &ro,
	    &err)) == NULL)
		bail("open: %s", err.msg);
	dmo_record_init(&rec);
	dmo_record_init(&out);
	so = th_out_new();
	while ((rc = dmo_reader_next(rd, &rec, &err)) != DMO_READ_EOF) {
		if (rc != DMO_READ_RECORD)
			bail("read: %s", err.msg);
		rc = dmo_lookup_apply(lk, &rec, &out, &err);
		if (rc == 1)
			dmo_json_put_record(so, &out);
		else if (rc == 0)
			dmo_out_write(so, "- dropped", 9);
		else {
			dmo_out_write(so, "! ", 2);
			dmo_out_write(so, err.msg, strlen(err.msg));
		}
		dmo_out_write(so, "\n", 1);
	}
	th_out_bytes(so, &res);
	dmo_out_free(so);
	dmo_lookup_free(lk);
	dmo_record_release(&rec);
	dmo_record_release(&out);
	dmo_reader_free(rd);
	return dmo_buf_cstr(&res);
}

static const char cities[] =
    "id,city,country\n"
    "7,Oslo,NO\n"
    "9,Rome,IT\n"
    "true,Yes,YY\n";

static void
test_join(void)
{
	struct dmo_lookup_opts o = { .on = "id" };

	o.source = th_path("cities.csv");
	th_put_file(o.source, cities, sizeof(cities) - 1);
	CHECK_STR(join(&o, "{\"id\":7,\"n\":1}\n{\"id\":\"9\",\"n\":2}\n"
	    "{\"id\":8,\"n\":3}\n{\"id\":null}\n{\"n\":5}\n{\"id\":7.0}\n"
	    "{\"id\":true}\n"),
	    "{\"id\":7,\"n\":1,\"city\":\"Oslo\",\"country\":\"NO\"}\n"
	    "{\"id\":\"9\",\"n\":2,\"city\":\"Rome\",\"country\":\"IT\"}\n"
	    "{\"id\":8,\"n\":3,\"city\":null,\"country\":null}\n"
	    "{\"id\":null,\"city\":null,\"country\":null}\n"
	    "{\"n\":5,\"city\":null,\"country\":null}\n"
	    "{\"id\":7.0,\"city\":null,\"country\":null}\n"
	    "{\"id\":true,\"city\":\"Yes\",\"country\":\"YY\"}\n",
	    "left: keys by text (7 = \"7\", 7.0 no), misses get nulls");
	o.join = DMO_LOOKUP_INNER;
	o.prefix = "c_";
	CHECK_STR(join(&o, "{\"id\":7,\"city\":\"x\"}\n{\"id\":8}\n"),
	    "{\"id\":7,\"city\":\"x\",\"c_city\":\"Oslo\",\"c_country\":\"NO\"}\n"
	    "- dropped\n",
	    "inner: a miss is dropped; the prefix avoids a collision");
	o.prefix = NULL;
	CHECK(strncmp(join(&o, "{\"id\":7}\n{\"id\":9,\"country\":\"x\"}\n"),
	    "{\"id\":7,\"city\":\"Oslo\",\"country\":\"NO\"}\n"
	    "! field 'country': in the input and in lookup '", 83) == 0,
	    "collision: an error that names the field");
}

static void
test_keys(void)
{
	struct dmo_lookup_opts o = { .on = "cust=id,day" };
	static const char two[] =
	    "{\"id\":1,\"day\":\"mon\",\"v\":\"a\"}\n"
	    "{\"id\":1,\"day\":\"tue\",\"v\":\"b\"}\n"
	    "{\"id\":1,\"day\":\"tue\",\"v\":\"c\"}\n";

	o.source = th_path("two.ndjson");
	th_put_file(o.source, two, sizeof(two) - 1);
	CHECK_STR(join(&o, ""), "open 1: lookup key field 'id': duplicate key "
	    "(see --lookup-dups): \"1\" at line 3",
	    "duplicate keys: an error by default, with the line");
	o.dups = DMO_LOOKUP_DUPS_FIRST;
	CHECK_STR(join(&o, "{\"cust\":1,\"day\":\"tue\"}\n"),
	    "{\"cust\":1,\"day\":\"tue\",\"v\":\"b\"}\n",
	    "two keys, input name=lookup name; duplicates: first");
	o.dups = DMO_LOOKUP_DUPS_LAST;
	CHECK_STR(join(&o, "{\"cust\":1,\"day\":\"tue\"}\n"
	    "{\"cust\":1,\"day\":\"mon\"}\n"),
	    "{\"cust\":1,\"day\":\"tue\",\"v\":\"c\"}\n"
	    "{\"cust\":1,\"day\":\"mon\",\"v\":\"a\"}\n",
	    "duplicates: last");
	o.on = "cust=";
	CHECK(strstr(join(&o, ""), "': bad key list: \"cust=\"") != NULL,
	    "bad --on");
	o.on = "nope";
	CHECK_STR(join(&o, ""), "open 1: lookup key field 'nope': missing "
	    "at line 1", "a key field missing in the lookup source");
	o.on = "id,day";
	o.max_bytes = 100;
	CHECK_STR(join(&o, ""), "open 2: lookup is larger than --lookup-max "
	    "(100 bytes): raise it or use a smaller source at line 1",
	    "the size bound");
	o.source = th_path("missing.csv");
	o.max_bytes = 0;
	CHECK(strstr(join(&o, ""), "open 3: ") != NULL,
	    "a missing lookup file is an I/O error");
}

static void
test_sqlite(void)
{
	struct dmo_lookup_opts o = { .on = "id" };
	sqlite3 *db;
	char src[1200];
	const char *path = th_path("ref.db");

	if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db,
	    "CREATE TABLE t(id INTEGER, name TEXT, rate REAL, note);"
	    "INSERT INTO t VALUES (1, 'one', 0.5, NULL), (2, 'two', 1e300, "
	    "x'41');", NULL, NULL, NULL) != SQLITE_OK)
		bail("sqlite: %s", sqlite3_errmsg(db));
	sqlite3_close(db);
	snprintf(src, sizeof(src), "sqlite:%s#t", path);
	o.source = src;
	CHECK_STR(join(&o, "{\"id\":\"1\"}\n{\"id\":2}\n{\"id\":3}\n"),
	    "{\"id\":\"1\",\"name\":\"one\",\"rate\":0.5,\"note\":null}\n"
	    "{\"id\":2,\"name\":\"two\",\"rate\":1e+300,\"note\":\"QQ==\"}\n"
	    "{\"id\":3,\"name\":null,\"rate\":null,\"note\":null}\n",
	    "sqlite: a table as a lookup");
	snprintf(src, sizeof(src), "sqlite:%s#nope", path);
	CHECK_STR(join(&o, ""), "open 3: no such table: nope at line 0",
	    "sqlite: no such table");
	snprintf(src, sizeof(src), "sqlite:%s", path);
	CHECK(strncmp(join(&o, ""), "open 2: lookup: name the table, as in "
	    "sqlite:DATABASE#TABLE: ", 61) == 0, "sqlite: no table name");
}

int
main(void)
{
	th_tmpdir("test_lookup");
	test_join();
	test_keys();
	test_sqlite();
	return done();
}
