/* test_strmap.c - unit tests for the byte-string hash table (strmap.c). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

#include "testhelp.h"

int
main(void)
{
	struct dmo_strmap m;
	char key[32];
	const char *p;
	size_t i, n, len;
	int added, ok = 1;

	dmo_strmap_init(&m);
	CHECK_EQ(dmo_strmap_find(&m, S("a")), -1, "empty: nothing found");
	CHECK_EQ(dmo_strmap_intern(&m, S(""), &added), 0,
	    "the empty key is a key");
	CHECK(added, "the empty key: added");
	CHECK_EQ(dmo_strmap_intern(&m, S("a\0b"), &added), 1,
	    "a key with a NUL byte");
	CHECK_EQ(dmo_strmap_find(&m, S("a\0c")), -1,
	    "bytes after a NUL count");
	CHECK_EQ(dmo_strmap_find(&m, S("a")), -1, "a prefix is not the key");
	/* Enough keys for several rehashes, of every length up to 20. */
	for (i = 0; i < 100000; i++) {
		n = (size_t)snprintf(key, sizeof(key), "%zu%.*s", i,
		    (int)(i % 12), "xxxxxxxxxxxx");
		if (dmo_strmap_intern(&m, key, n, &added) != i + 2 || !added)
			ok = 0;
	}
	CHECK(ok, "100000 keys numbered in order");
	for (i = 0; i < 100000 && ok; i++) {
		n = (size_t)snprintf(key, sizeof(key), "%zu%.*s", i,
		    (int)(i % 12), "xxxxxxxxxxxx");
		if (dmo_strmap_find(&m, key, n) != (long)(i + 2) ||
		    dmo_strmap_intern(&m, key, n, &added) != i + 2 || added)
			ok = 0;
		p = dmo_strmap_key(&m, i + 2, &len);
		if (len != n || memcmp(p, key, n) != 0)
			ok = 0;
	}
	CHECK(ok, "each found again, not added twice, its bytes kept");
	CHECK_EQ(m.n, 100002, "the count");
	CHECK(dmo_strmap_bytes(&m) > 100000 * 24, "bytes are counted");
	dmo_strmap_release(&m);
	CHECK_EQ(dmo_strmap_find(&m, S("")), -1, "released: empty again");
	return done();
}
