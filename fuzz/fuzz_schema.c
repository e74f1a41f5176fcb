/* fuzz_schema.c - libFuzzer target: schemas, and records cleaned by them. */
/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The input is a schema (JSON), a NUL, then NDJSON records.  A schema
 * is either refused with a usage error and a message, or loaded; each
 * record is then either rejected with a reason code and a message, or
 * comes out as a record that keeps every promise of record.h, whose
 * values have the JSON types the schema allows.  Cleaning options are
 * picked from a hash of the input.
 *
 * Build: clang -fsanitize=fuzzer,address -iquote common -D_POSIX_C_SOURCE=200809L
 *     -D_DEFAULT_SOURCE fuzz/fuzz_schema.c common/[a-z]*.c -lcsv -ljansson
 *     -larchive -lsqlite3 -lutf8proc -lm
 */
#include "fuzzhelp.h"

#include "clean.h"
#include "schema.h"

static void
check_types(const struct dmo_schema *s, const struct dmo_record *r)
{
	size_t i, j, len;
	const char *name;

	for (i = 0; i < dmo_record_count(r); i++) {
		enum dmo_type t = dmo_record_type(r, i);
		unsigned types;

		name = dmo_record_name(r, i, &len);
		for (j = 0; j < s->nprops; j++)
			if (strlen(s->props[j].name) == len &&
			    memcmp(s->props[j].name, name, len) == 0)
				break;
		if (j == s->nprops || s->props[j].has_default)
			continue;	/* defaults are not checked */
		types = s->props[j].types;
		if (types == 0)
			continue;
		switch (t) {
		case DMO_NULL:
			ASSERT(types & DMO_T_NULL);
			break;
		case DMO_TRUE:
		case DMO_FALSE:
			ASSERT(types & DMO_T_BOOLEAN);
			break;
		case DMO_NUMBER:
			ASSERT(types & (DMO_T_NUMBER | DMO_T_INTEGER));
			break;
		case DMO_STRING:
			ASSERT(types & DMO_T_STRING);
			break;
		case DMO_ARRAY:
			ASSERT(types & DMO_T_ARRAY);
			break;
		case DMO_OBJECT:
			ASSERT(types & DMO_T_OBJECT);
			break;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	struct dmo_read_opts ropts = { 0 };
	struct dmo_clean_opts copts;
	struct dmo_schema *s;
	struct dmo_clean *c;
	struct dmo_reader *r;
	struct dmo_record rec, out;
	struct dmo_err err;
	char path[64];
	uint32_t h = fz_hash(data, size);
	int fd, rfd, rc;

	if (nul == NULL)
		return 0;
	fd = fz_memfd(data, (size_t)(nul - data));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	s = dmo_schema_load(path, &err);
	close(fd);
	if (s == NULL) {
		ASSERT(err.code == DMO_EXIT_USAGE && err.msg[0] != '\0');
		return 0;
	}
	memset(&copts, 0, sizeof(copts));
	copts.schema = s;
	copts.text.trim = h & 1;
	copts.text.squeeze = (h >> 1) & 1;
	copts.text.nfc = (h >> 2) & 1;
	copts.text.casemap = (int)((h >> 3) % 4);
	copts.snake = (h >> 5) & 1;
	copts.drop_empty_fields = (h >> 6) & 1;
	c = dmo_clean_new(&copts);
	ropts.format = DMO_FMT_NDJSON;
	rfd = fz_memfd(nul + 1, size - (size_t)(nul - data) - 1);
	/* Bytes that look compressed may not open: not this target's job. */
	if ((r = fz_open_fd(rfd, &ropts, &err)) == NULL) {
		close(rfd);
		dmo_clean_free(c);
		dmo_schema_free(s);
		return 0;
	}
	dmo_record_init(&rec);
	dmo_record_init(&out);
	while ((rc = dmo_reader_next(r, &rec, &err)) != DMO_READ_EOF &&
	    rc != DMO_READ_FATAL) {
		struct dmo_clean_fail fail;
		int changed;

		if (rc != DMO_READ_RECORD)
			continue;
		if (dmo_clean_record(c, &rec, &out, &changed, NULL, NULL,
		    &fail, &err) != 0) {
			ASSERT(fail.reason > DMO_REASON_NONE &&
			    fail.reason <= DMO_REASON_READ);
			ASSERT(err.msg[0] != '\0' && err.code == DMO_EXIT_DATA);
			continue;
		}
		fz_check_record(changed ? &out : &rec);
		if (!copts.snake)
			check_types(s, changed ? &out : &rec);
	}
	dmo_record_release(&rec);
	dmo_record_release(&out);
	dmo_reader_free(r);
	close(rfd);
	dmo_clean_free(c);
	dmo_schema_free(s);
	return 0;
}
