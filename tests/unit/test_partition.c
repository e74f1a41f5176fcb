/* test_partition.c - partitions, part files and archive members written. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "buf.h"
#include "err.h"
#include "exitcode.h"
#include "format.h"
#include "io.h"
#include "partition.h"
#include "record.h"

#include "testhelp.h"

static void
check_escape(enum dmo_type t, const char *v, size_t n, const char *want,
    const char *name)
{
	struct dmo_buf b = DMO_BUF_INIT;

	dmo_partition_escape(&b, t, v, n);
	CHECK_STR(dmo_buf_cstr(&b), want, name);
	dmo_buf_release(&b);
}

static void
test_escape(void)
{
	check_escape(DMO_STRING, S("2024-01-01"), "2024-01-01", "plain text");
	check_escape(DMO_STRING, S("../x"), "..%2Fx", "slash");
	check_escape(DMO_STRING, S("a\0b"), "a%00b", "NUL");
	check_escape(DMO_STRING, S("l1\nl2\x1f\x7f"), "l1%0Al2%1F%7F",
	    "control bytes and DEL");
	check_escape(DMO_STRING, S("\"#%'*/:=?\\{[]^"),
	    "%22%23%25%27%2A%2F%3A%3D%3F%5C%7B%5B%5D%5E", "Hive's set");
	check_escape(DMO_STRING, S("a b}!~@$&()+,;<>|`"), "a b}!~@$&()+,;<>|`",
	    "the rest of ASCII stays");
	check_escape(DMO_STRING, S("Zo\xc3\xab"), "Zo\xc3\xab", "UTF-8 stays");
	check_escape(DMO_STRING, S(".."), "..", "'..' is a value, not a path");
	check_escape(DMO_STRING, S(""), DMO_PARTITION_DEFAULT, "empty string");
	check_escape(DMO_NULL, S(""), DMO_PARTITION_DEFAULT, "null");
	check_escape(DMO_STRING, NULL, 0, DMO_PARTITION_DEFAULT, "missing");
	check_escape(DMO_TRUE, S(""), "true", "true");
	check_escape(DMO_FALSE, S(""), "false", "false");
	check_escape(DMO_NUMBER, S("12.30"), "12.30", "a number's lexeme");
	check_escape(DMO_NUMBER, S("-1e+5"), "-1e+5", "exponent");
}

/* {"k": v, "id": id} */
static void
rec_set(struct dmo_record *r, enum dmo_type t, const char *v, long id)
{
	struct dmo_err err;
	char idbuf[32];

	dmo_record_reset(r);
	dmo_record_add(r, S("k"), t, v, v != NULL ? strlen(v) : 0);
	snprintf(idbuf, sizeof(idbuf), "%ld", id);
	dmo_record_add(r, S("id"), DMO_NUMBER, idbuf, strlen(idbuf));
	if (dmo_record_finish(r, DMO_DUP_REJECT, &err) != 0)
		bail("record: %s", err.msg);
}

static int
count_entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_directory(void)
{
	static const char *const fields[] = { "k" };
	struct dmo_partition_opts o;
	struct dmo_partition *P;
	struct dmo_record r;
	struct dmo_err err;
	unsigned char *got;
	size_t n;
	long i;
	char out[1024];

	snprintf(out, sizeof(out), "%s", th_path("out"));
	memset(&o, 0, sizeof(o));
	o.path = out;
	o.archive = -1;
	o.wopts.format = DMO_FMT_NDJSON;
	o.fields = fields;
	o.nfields = 1;
	o.max_open = 2;
	dmo_record_init(&r);

	/* Round robin over 3 partitions with 2 open: a file per record. */
	if ((P = dmo_partition_open(&o, &err)) == NULL)
		bail("open: %s", err.msg);
	for (i = 0; i < 6; i++) {
		static const char *const v[] = { "a", "b/c", NULL };

		rec_set(&r, v[i % 3] != NULL ? DMO_STRING : DMO_NULL,
		    v[i % 3], i);
		CHECK_EQ(dmo_partition_write(P, &r, &err), 0, "write");
	}
	CHECK_EQ(count_entries(th_path("out")), 1,
	    "before the commit, only the staging directory");
	CHECK_EQ(dmo_partition_commit(P, &err), 0, "commit");
	CHECK_EQ(dmo_partition_files(P), 6, "six part files");
	CHECK_EQ(dmo_partition_records(P), 6, "six records");
	CHECK_EQ(dmo_partition_count(P), 3, "three partitions");
	dmo_partition_free(P);
	CHECK_EQ(count_entries(th_path("out")), 3, "three directories");
	got = th_get_file(th_path("out/k=b%2Fc/part-00001.ndjson"), &n);
	CHECK_MEM((char *)got, n, "{\"id\":4}\n", 9, "second part file of b/c");
	free(got);
	CHECK(access(th_path("out/k=" DMO_PARTITION_DEFAULT "/part-00000.ndjson"),
	    F_OK) == 0, "null goes to the default partition");

	/* A record that cannot be partitioned is for the caller to reject. */
	if ((P = dmo_partition_open(&o, &err)) == NULL)
		bail("open: %s", err.msg);
	rec_set(&r, DMO_ARRAY, "[1]", 1);
	CHECK_EQ(dmo_partition_write(P, &r, &err), -1, "array: rejected");
	CHECK_EQ(err.code, DMO_EXIT_DATA, "array: a data error");
	CHECK_STR(err.msg, "field 'k': cannot partition by an array: \"[1]\"",
	    "array: message");
	/* An abort leaves the partitions as they were. */
	rec_set(&r, DMO_STRING, "a", 99);
	CHECK_EQ(dmo_partition_write(P, &r, &err), 0, "write before abort");
	dmo_partition_abort(P);
	dmo_partition_free(P);
	CHECK_EQ(count_entries(th_path("out")), 3, "abort: no staging left");
	got = th_get_file(th_path("out/k=a/part-00000.ndjson"), &n);
	CHECK_MEM((char *)got, n, "{\"id\":0}\n", 9, "abort: a as it was");
	free(got);
	dmo_record_release(&r);
}

static void
test_archive_members(void)
{
	struct dmo_partition_opts o;
	struct dmo_partition *P;
	struct dmo_archive *ar;
	struct dmo_record r;
	struct dmo_err err;
	struct dmo_in *in, *m;
	const char *display, *inner;
	const char *const want[] = { "x/x/in.csv", "data.csv", "x/x/in-2.csv" };
	size_t i = 0;
	int rc;
	char path[1024];

	snprintf(path, sizeof(path), "%s", th_path("a.tar"));
	memset(&o, 0, sizeof(o));
	o.path = path;
	o.archive = DMO_ARCHIVE_TAR;
	o.wopts.format = DMO_FMT_CSV;
	o.wopts.delim = ',';
	o.wopts.header = 1;
	o.max_open = 1;
	o.mtime = 1700000000;
	dmo_record_init(&r);
	if ((P = dmo_partition_open(&o, &err)) == NULL)
		bail("open: %s", err.msg);
	/* "." and ".." are dropped, not resolved; "/" leads nowhere. */
	CHECK_EQ(dmo_partition_member(P, "/x/./../x/in.ndjson.gz", &err), 0,
	    "member 1");
	rec_set(&r, DMO_STRING, "v", 1);
	CHECK_EQ(dmo_partition_write(P, &r, &err), 0, "write 1");
	CHECK_EQ(dmo_partition_member(P, "-", &err), 0, "member 2");
	CHECK_EQ(dmo_partition_member(P, "x/x/in.tsv", &err), 0, "member 3");
	CHECK_EQ(dmo_partition_commit(P, &err), 0, "commit");
	CHECK_EQ(dmo_partition_files(P), 3, "three members");
	dmo_partition_free(P);
	dmo_record_release(&r);

	if ((in = dmo_in_open(th_path("a.tar"), 0, &err)) == NULL)
		bail("reopen: %s", err.msg);
	if ((ar = dmo_archive_open(in, "a.tar", NULL, &err)) == NULL)
		bail("archive: %s", err.msg);
	while ((rc = dmo_archive_next(ar, &m, &display, &inner, NULL,
	    &err)) == 1) {
		if (i < 3)
			CHECK_STR(inner, want[i], "member name");
		if (i == 0) {
			ssize_t k = dmo_in_peek(m, 64, &err);

			CHECK_MEM(m->buf + m->pos, k > 0 ? (size_t)k : 0,
			    "k,id\nv,1\n", 9, "member data");
		}
		i++;
	}
	CHECK_EQ(rc, 0, "archive read to its end");
	CHECK_EQ((long long)i, 3, "three members read back");
	dmo_archive_free(ar);
	dmo_in_free(in);
}

int
main(void)
{
	th_tmpdir("test_partition");
	test_escape();
	test_directory();
	test_archive_members();
	return done();
}
