/* test_json.c - unit tests for JSON documents (json.c). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "json.h"

#include "testhelp.h"

static void
test_parse_walk(void)
{
	static const char text[] =
	    "{\"b\": 1, \"a\": [true, null, 2.5, \"x\\u0000y\"], "
	    "\"c\": {\"d\": -9223372036854775808}}";
	struct dmo_err err;
	struct dmo_doc *d, *a;
	const char *s;
	size_t len;
	void *it;
	char keys[8] = "";

	d = dmo_doc_parse(text, strlen(text), "t.json", &err);
	if (d == NULL)
		bail("parse: %s", err.msg);
	CHECK_EQ(dmo_doc_type(d), DMO_DOC_OBJECT, "parse: an object");
	CHECK_EQ(dmo_doc_size(d), 3, "size: three members");
	for (it = dmo_doc_iter(d); it != NULL; it = dmo_doc_iter_next(d, it))
		strncat(keys, dmo_doc_iter_key(it), 1);
	CHECK_STR(keys, "bac", "iter: keys in document order");
	CHECK_EQ(dmo_doc_integer(dmo_doc_get(d, "b")), 1, "get: integer");
	a = dmo_doc_get(d, "a");
	CHECK_EQ(dmo_doc_size(a), 4, "array: size");
	CHECK_EQ(dmo_doc_type(dmo_doc_index(a, 0)), DMO_DOC_TRUE, "index: true");
	CHECK_EQ(dmo_doc_type(dmo_doc_index(a, 1)), DMO_DOC_NULL, "index: null");
	CHECK(dmo_doc_number(dmo_doc_index(a, 2)) == 2.5, "number: real");
	s = dmo_doc_string(dmo_doc_index(a, 3), &len);
	CHECK_MEM(s, len, "x\0y", 3, "string: keeps a NUL byte");
	CHECK(dmo_doc_index(a, 4) == NULL, "index: past the end is NULL");
	CHECK(dmo_doc_get(d, "zz") == NULL, "get: absent key is NULL");
	CHECK(dmo_doc_type(NULL) == DMO_DOC_NULL && dmo_doc_size(NULL) == 0 &&
	    dmo_doc_string(NULL, NULL) == NULL, "absent: type null, no value");
	CHECK(dmo_doc_string(dmo_doc_get(d, "b"), &len) == NULL && len == 0,
	    "string: of a number is NULL");
	CHECK_STR(dmo_doc_type_name(dmo_doc_get(d, "c")), "object",
	    "type name");
	CHECK(dmo_doc_integer(dmo_doc_get(dmo_doc_get(d, "c"), "d")) ==
	    -9223372036854775807LL - 1, "integer: LLONG_MIN");
	dmo_doc_free(d);
}

static void
test_errors(void)
{
	struct dmo_err err;

	CHECK(dmo_doc_parse("{\"a\":1,\n \"a\":2}", 15, "dup.json", &err) ==
	    NULL, "parse: a repeated key is an error");
	CHECK_EQ(err.code, DMO_EXIT_USAGE, "parse: bad JSON is a usage error");
	CHECK_STR(err.loc.file, "dup.json", "parse: error names the document");
	CHECK_EQ(err.loc.line, 2, "parse: error has the line");
	CHECK(dmo_doc_parse("[1,", 3, "cut.json", &err) == NULL,
	    "parse: a cut document is an error");
	CHECK(dmo_doc_parse("", 0, "empty.json", &err) == NULL,
	    "parse: an empty document is an error");
	CHECK(dmo_doc_load(th_path("absent.json"), &err) == NULL &&
	    err.code == DMO_EXIT_IO, "load: a missing file is an I/O error");
}

static void
test_build_dump(void)
{
	struct dmo_doc *d = dmo_doc_object(), *a = dmo_doc_array();
	struct dmo_doc *back;
	struct dmo_err err;
	char *s;

	dmo_doc_append(a, dmo_doc_int(1));
	dmo_doc_append(a, dmo_doc_bool(0));
	dmo_doc_append(a, dmo_doc_strn("a\0b", 3));
	dmo_doc_set(d, "z", a);
	dmo_doc_set_str(d, "y", NULL);
	dmo_doc_set_real(d, "x", 1.23456);
	s = dmo_doc_dump(d);
	CHECK_STR(s, "{\"z\":[1,false,\"a\\u0000b\"],\"y\":null,\"x\":1.235}",
	    "dump: compact, keys in order, seconds to the millisecond");
	free(s);
	s = dmo_doc_dump_pretty(d);
	CHECK(s[strlen(s) - 1] == '\n' && strstr(s, "\n  \"y\": null") != NULL,
	    "dump_pretty: indented, ends in a newline");
	th_put_file(th_path("doc.json"), s, strlen(s));
	free(s);
	back = dmo_doc_load(th_path("doc.json"), &err);
	CHECK(back != NULL && dmo_doc_size(back) == 3, "load: reads it back");
	dmo_doc_free(back);
	dmo_doc_free(d);
}

int
main(void)
{
	th_tmpdir("test_json");
	test_parse_walk();
	test_errors();
	test_build_dump();
	return done();
}
