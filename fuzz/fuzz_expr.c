/* fuzz_expr.c - libFuzzer target: the expression language, compiled and run. */
/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The input is a program.  It is compiled; a syntax error must carry a
 * message, code DMO_EXIT_USAGE and a line and column inside the program,
 * and dmo_expr_caret must give two lines.  A program that compiles is run
 * on a few records (numbers, numeric text, empty text, nulls, nested
 * values, non-ASCII text); a run-time error must carry a message and code
 * DMO_EXIT_DATA, and every record it emits must hold what record.h
 * promises (fz_check_record).
 *
 * Build: see fuzz/run (clang -fsanitize=fuzzer,address ... -lpcre2-8 -lm).
 */
#include "fuzzhelp.h"

#include "expr.h"

static const char *const inputs[] = {
	"{\"a\":1,\"b\":\"2.50\",\"c\":\"\",\"d\":null,\"e\":[1,\"x\",{\"f\":true}],"
	    "\"g\":{\"h\":{\"i\":[1,2]}},\"s\":\"Zoë ünïcode 日本\",\"t\":\"2024-03-10T02:30:00\"}",
	"{\"a\":9223372036854775807,\"b\":-1e308,\"c\":\"abc\",\"e\":[],\"g\":{}}",
	"{\"a.b\":1,\"a.c\":{\"d\":2},\"x\":\"0.1\",\"y\":\"0.2\"}",
};

static int
check_out(void *ctx, struct dmo_record *out, struct dmo_err *err)
{
	(void)err;
	fz_check_record(out);
	return ++*(unsigned long *)ctx > 10000 ? 1 : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmo_read_opts opts;
	struct dmo_err err;
	struct dmo_expr *p;
	struct dmo_record rec;
	size_t i;

	p = dmo_expr_compile((const char *)data, size, "program", &err);
	if (p == NULL) {
		const char *c = dmo_expr_caret((const char *)data, size, &err);

		ASSERT(err.msg[0] != '\0');
		ASSERT(err.code == DMO_EXIT_USAGE);
		ASSERT(err.loc.line >= 1);
		ASSERT(*c == '\0' || strchr(strchr(c, '\n') + 1, '\n') != NULL);
		return 0;
	}
	memset(&opts, 0, sizeof(opts));
	opts.format = DMO_FMT_NDJSON;
	dmo_record_init(&rec);
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		int fd = fz_memfd(inputs[i], strlen(inputs[i]));
		struct dmo_reader *r = fz_open_fd(fd, &opts, &err);
		unsigned long n = 0;
		int rc;

		ASSERT(r != NULL);
		ASSERT(dmo_reader_next(r, &rec, &err) == DMO_READ_RECORD);
		rc = dmo_expr_run(p, &rec, check_out, &n, &err);
		if (rc < 0) {
			ASSERT(err.msg[0] != '\0');
			ASSERT(err.code == DMO_EXIT_DATA);
		}
		dmo_reader_free(r);
		close(fd);
	}
	dmo_record_release(&rec);
	dmo_expr_free(p);
	return 0;
}
