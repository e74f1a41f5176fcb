/* test_expr.c - unit tests for the expression language (common/expr*.c). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "value.h"

#include "testhelp.h"

/*
 * A counting allocator: the language promises that a warm program of
 * arithmetic, comparisons and field references allocates nothing per
 * record.  Sanitizers bring their own malloc, so the count is taken only
 * in a plain build.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define COUNTING	0
static unsigned long nalloc;
#else
#define COUNTING	1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static unsigned long nalloc;

void *
malloc(size_t n)
{
	nalloc++;
	return __libc_malloc(n);
}

void *
calloc(size_t a, size_t b)
{
	nalloc++;
	return __libc_calloc(a, b);
}

void *
realloc(void *p, size_t n)
{
	nalloc++;
	return __libc_realloc(p, n);
}
#endif

struct sink {
	struct dmo_buf	 text;	/* the records emitted, as NDJSON lines */
	unsigned long	 n;
};

static int
collect(void *ctx, struct dmo_record *out, struct dmo_err *err)
{
	struct sink *s = ctx;
	size_t i;

	(void)err;
	s->n++;
	dmo_buf_addc(&s->text, '{');
	for (i = 0; i < dmo_record_count(out); i++) {
		size_t nl, vl;
		const char *name = dmo_record_name(out, i, &nl);
		const char *v = dmo_record_value(out, i, &vl);

		if (i > 0)
			dmo_buf_addc(&s->text, ',');
		dmo_json_buf_string(&s->text, name, nl);
		dmo_buf_addc(&s->text, ':');
		switch (dmo_record_type(out, i)) {
		case DMO_NULL: dmo_buf_adds(&s->text, "null"); break;
		case DMO_TRUE: dmo_buf_adds(&s->text, "true"); break;
		case DMO_FALSE: dmo_buf_adds(&s->text, "false"); break;
		case DMO_STRING: dmo_json_buf_string(&s->text, v, vl); break;
		default: dmo_buf_add(&s->text, v, vl); break;
		}
	}
	dmo_buf_adds(&s->text, "}\n");
	return 0;
}

static int
discard(void *ctx, struct dmo_record *out, struct dmo_err *err)
{
	(void)out;
	(void)err;
	((struct sink *)ctx)->n++;
	return 0;
}

/* A record from name/type/value triples. */
static void
make(struct dmo_record *r, const char *const *f, size_t n)
{
	struct dmo_err err;
	size_t i;

	dmo_record_reset(r);
	for (i = 0; i + 2 < n + 2 && i < n; i += 3)
		dmo_record_add(r, f[i], strlen(f[i]),
		    f[i + 1][0] == 'n' ? DMO_NUMBER : DMO_STRING, f[i + 2],
		    strlen(f[i + 2]));
	dmo_record_finish(r, DMO_DUP_REJECT, &err);
	r->loc.file = "test";
	r->loc.line = 1;
}

/* Run program on one record; the output lines, or "ERR: msg". */
static const char *
run1(const char *program, const char *const *f, size_t n)
{
	static char out[2048];
	struct dmo_record rec;
	struct dmo_err err;
	struct dmo_expr *p;
	struct sink s = { DMO_BUF_INIT, 0 };

	dmo_record_init(&rec);
	make(&rec, f, n);
	if ((p = dmo_expr_compile(program, strlen(program), "program",
	    &err)) == NULL)
		snprintf(out, sizeof(out), "COMPILE: %lu:%lu: %s",
		    err.loc.line, err.loc.col, err.msg);
	else if (dmo_expr_run(p, &rec, collect, &s, &err) != 0)
		snprintf(out, sizeof(out), "ERR: %s", err.msg);
	else
		snprintf(out, sizeof(out), "%.*s", (int)s.text.len,
		    s.text.p != NULL ? s.text.p : "");
	dmo_expr_free(p);
	dmo_buf_release(&s.text);
	dmo_record_release(&rec);
	return out;
}

static void
test_eval(void)
{
	static const char *const rec[] = {
		"amount", "s", "600", "qty", "n", "3", "price", "n", "12.30",
		"name", "s", "Zoë",
	};
	size_t n = sizeof(rec) / sizeof(rec[0]);

	CHECK_STR(run1("where amount > 500; total = amount * qty; keep total",
	    rec, n), "{\"total\":1800}\n", "the bench program");
	CHECK_STR(run1("where amount > 600", rec, n), "",
	    "where false emits nothing");
	CHECK_STR(run1("keep price", rec, n), "{\"price\":12.30}\n",
	    "an untouched number keeps its lexeme");
	CHECK_STR(run1("x = price + 0.7; keep x", rec, n), "{\"x\":13.00}\n",
	    "decimals are exact");
	CHECK_STR(run1("x = 9223372036854775807 * qty", rec, n),
	    "ERR: field 'x': integer overflow: 9223372036854775807 * 3",
	    "integer overflow is an error");
	CHECK_STR(run1("x = qty / (amount - 600)", rec, n),
	    "ERR: field 'x': division by zero", "division by zero");
	CHECK_STR(run1("x = length(name); keep x", rec, n), "{\"x\":3}\n",
	    "length counts characters");
	CHECK_STR(run1("x = nothing + 1; y = nothing ?? 2; keep x, y", rec, n),
	    "{\"x\":null,\"y\":2}\n", "a missing field is null");
	CHECK_STR(run1("x = lenght(name)", rec, n),
	    "COMPILE: 1:5: unknown function 'lenght'", "unknown function");
	CHECK_STR(run1("x = match(name, \"(\")", rec, n),
	    "COMPILE: 1:19: bad regular expression: missing closing "
	    "parenthesis", "a bad regex literal fails at compile time");
}

static void
test_caret(void)
{
	struct dmo_err err;
	const char *text = "a = 1\nb = 2 +\n\tc = )";

	CHECK(dmo_expr_compile(text, strlen(text), "p", &err) == NULL,
	    "a syntax error on line 3");
	CHECK_EQ(err.loc.line, 3, "the line");
	CHECK_EQ(err.loc.col, 4, "the column, in bytes: the = after c");
	CHECK_STR(dmo_expr_caret(text, strlen(text), &err),
	    "  \tc = )\n  \t  ^\n", "the caret keeps the tab");
}

/* The per-record path of a simple program allocates nothing when warm. */
static void
test_no_alloc(void)
{
	static const char *const rec[] = {
		"id", "s", "17", "amount", "s", "612.50", "qty", "s", "3",
		"city", "s", "Oslo",
	};
	const char *prog = "where amount > 500; total = amount * qty; "
	    "big = total >= 1000 and city == \"Oslo\"; t = upper(city) || \"!\"";
	struct dmo_record r;
	struct dmo_err err;
	struct dmo_expr *p;
	struct sink s = { DMO_BUF_INIT, 0 };
	unsigned long before;
	int i, ok = 1;

	dmo_record_init(&r);
	make(&r, rec, sizeof(rec) / sizeof(rec[0]));
	p = dmo_expr_compile(prog, strlen(prog), "program", &err);
	if (p == NULL)
		bail("compile: %s", err.msg);
	for (i = 0; i < 10; i++)
		ok &= dmo_expr_run(p, &r, discard, &s, &err) == 0;
	before = nalloc;
	for (i = 0; i < 10000; i++)
		ok &= dmo_expr_run(p, &r, discard, &s, &err) == 0;
	CHECK(ok && s.n == 10010, "10010 records run");
	if (COUNTING)
		CHECK_EQ((long long)(nalloc - before), 0,
		    "no allocation in 10000 warm records");
	else
		skip("no allocation in 10000 warm records",
		    "a sanitizer brings its own malloc");
	dmo_expr_free(p);
	dmo_record_release(&r);
}

int
main(void)
{
	test_eval();
	test_caret();
	test_no_alloc();
	return done();
}
