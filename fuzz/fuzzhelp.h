/* fuzzhelp.h - what the fuzz targets share: invariants, memfd plumbing. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_FUZZHELP_H
#define DMO_FUZZHELP_H

/*
 * Include this first in a target: memfd_create wants _GNU_SOURCE before
 * any system header.  It brings in tests/unit/testhelp.h for the sources
 * in memory (struct th_src, th_mem_open) and th_same_record; its TAP
 * checks are for the unit tests, a target aborts with ASSERT instead, so
 * that libFuzzer keeps the input.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* memfd_create */
#endif
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "value.h"

#include "../tests/unit/testhelp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* An invariant: if it does not hold, say which and abort. */
#define ASSERT(c)	do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

/* FNV-1a: picks options and chunk sizes, stable for a given input. */
static inline uint32_t
fz_hash(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0)
		h = (h ^ *p++) * 16777619u;
	return h;
}

/* A memfd holding p[0..n), its offset at 0. */
static inline int
fz_memfd(const void *p, size_t n)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	const char *q = p;

	ASSERT(fd >= 0);
	while (n > 0) {
		ssize_t w = write(fd, q, n);

		ASSERT(w > 0);
		q += w;
		n -= (size_t)w;
	}
	ASSERT(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

/* dmo_reader_open on fd, as on a file: format and archive detection. */
static inline struct dmo_reader *
fz_open_fd(int fd, const struct dmo_read_opts *opts, struct dmo_err *err)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return dmo_reader_open(path, opts, err);
}

/*
 * What record.h promises of every record a reader hands out: a line and
 * a number, as many values as names, names in UTF-8 and unique (the
 * first 64 are compared), a NUL after every name and value, and values
 * that fit their type.
 */
static inline void
fz_check_record(const struct dmo_record *rec)
{
	size_t i, j, len, l2;
	const char *p, *q;

	ASSERT(rec->loc.line >= 1 && rec->recno >= 1);
	ASSERT(rec->n == rec->nnames);
	for (i = 0; i < dmo_record_count(rec); i++) {
		p = dmo_record_name(rec, i, &len);
		ASSERT(p[len] == '\0');
		ASSERT(dmo_utf8_check(p, len) == len);
		for (j = 0; j < i && j < 64; j++) {
			q = dmo_record_name(rec, j, &l2);
			ASSERT(len != l2 || memcmp(p, q, len) != 0);
		}
		p = dmo_record_value(rec, i, &len);
		ASSERT(p[len] == '\0');
		switch (dmo_record_type(rec, i)) {
		case DMO_NULL:
		case DMO_FALSE:
		case DMO_TRUE:
			ASSERT(len == 0);
			break;
		case DMO_NUMBER:
			ASSERT(dmo_number_valid(p, len));
			break;
		case DMO_STRING:
			ASSERT(dmo_utf8_check(p, len) == len);
			break;
		case DMO_ARRAY:
			ASSERT(len >= 2 && p[0] == '[' && p[len - 1] == ']');
			ASSERT(dmo_utf8_check(p, len) == len);
			break;
		case DMO_OBJECT:
			ASSERT(len >= 2 && p[0] == '{' && p[len - 1] == '}');
			ASSERT(dmo_utf8_check(p, len) == len);
			break;
		default:
			ASSERT(dmo_record_type(rec, i) <= DMO_OBJECT);
		}
	}
}

/*
 * rec's fields in a form to compare byte for byte: the count, then each
 * name, type and value, lengths first.
 */
static inline void
fz_canon_fields(struct dmo_buf *b, const struct dmo_record *rec)
{
	size_t i, len;
	const char *p;

	dmo_buf_printf(b, "%zu\n", dmo_record_count(rec));
	for (i = 0; i < dmo_record_count(rec); i++) {
		p = dmo_record_name(rec, i, &len);
		dmo_buf_printf(b, "%zu:", len);
		dmo_buf_add(b, p, len);
		p = dmo_record_value(rec, i, &len);
		dmo_buf_printf(b, " %d %zu:", (int)dmo_record_type(rec, i),
		    len);
		dmo_buf_add(b, p, len);
		dmo_buf_addc(b, '\n');
	}
}

#endif
