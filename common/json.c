/* json.c - JSON documents through jansson (the one file that uses it). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "exitcode.h"
#include "json.h"

/* A dmo_doc is a json_t: the casts keep jansson's type out of json.h. */
#define J(d)	((json_t *)(d))
#define D(j)	((struct dmo_doc *)(j))

static struct dmo_doc *
made(json_t *j)
{
	if (j == NULL)
		dmo_xmalloc((size_t)-1);	/* out of memory: dies */
	return D(j);
}

struct dmo_doc *dmo_doc_object(void) { return made(json_object()); }
struct dmo_doc *dmo_doc_array(void) { return made(json_array()); }
struct dmo_doc *dmo_doc_int(long long v) { return made(json_integer(v)); }
struct dmo_doc *dmo_doc_real(double v) { return made(json_real(v)); }
struct dmo_doc *dmo_doc_bool(int v) { return made(json_boolean(v)); }
struct dmo_doc *dmo_doc_null(void) { return made(json_null()); }

struct dmo_doc *
dmo_doc_str(const char *s)
{
	return made(json_string_nocheck(s));
}

struct dmo_doc *
dmo_doc_strn(const char *s, size_t len)
{
	return made(json_stringn_nocheck(s, len));
}

void
dmo_doc_free(struct dmo_doc *d)
{
	if (d != NULL)
		json_decref(J(d));
}

static struct dmo_doc *
loaded(json_t *j, const json_error_t *je, const char *name,
    struct dmo_err *err)
{
	struct dmo_loc loc;

	if (j != NULL)
		return D(j);
	loc.file = name;
	loc.line = je->line > 0 ? (unsigned long)je->line : 0;
	loc.col = je->column > 0 ? (unsigned long)je->column : 0;
	dmo_err_set(err, DMO_EXIT_USAGE, &loc, "not valid JSON: %s", je->text);
	return NULL;
}

struct dmo_doc *
dmo_doc_parse(const char *text, size_t len, const char *name,
    struct dmo_err *err)
{
	json_error_t je;

	return loaded(json_loadb(text, len, JSON_REJECT_DUPLICATES |
	    JSON_ALLOW_NUL, &je), &je, name, err);
}

struct dmo_doc *
dmo_doc_load(const char *path, struct dmo_err *err)
{
	struct dmo_loc loc = { path, 0, 0 };
	struct dmo_buf b = DMO_BUF_INIT;
	struct dmo_doc *d;
	FILE *f;
	char chunk[8192];
	size_t n;

	if (strcmp(path, "-") == 0) {
		f = stdin;
		loc.file = "<stdin>";
	} else if ((f = fopen(path, "rb")) == NULL) {
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "cannot open");
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		dmo_buf_add(&b, chunk, n);
	if (ferror(f)) {
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "read error");
		d = NULL;
	} else
		d = dmo_doc_parse(b.len > 0 ? b.p : "", b.len, loc.file, err);
	if (f != stdin)
		fclose(f);
	dmo_buf_release(&b);
	return d;
}

enum dmo_doc_type
dmo_doc_type(const struct dmo_doc *d)
{
	if (d == NULL)		/* an absent member, as dmo_doc_get gives */
		return DMO_DOC_NULL;
	switch (json_typeof(J(d))) {
	case JSON_OBJECT:	return DMO_DOC_OBJECT;
	case JSON_ARRAY:	return DMO_DOC_ARRAY;
	case JSON_STRING:	return DMO_DOC_STRING;
	case JSON_INTEGER:	return DMO_DOC_INT;
	case JSON_REAL:		return DMO_DOC_REAL;
	case JSON_TRUE:		return DMO_DOC_TRUE;
	case JSON_FALSE:	return DMO_DOC_FALSE;
	case JSON_NULL:		break;
	}
	return DMO_DOC_NULL;
}

const char *
dmo_doc_type_name(const struct dmo_doc *d)
{
	static const char *const names[] = {
		"null", "boolean", "boolean", "integer", "number", "string",
		"array", "object"
	};

	return names[dmo_doc_type(d)];
}

size_t
dmo_doc_size(const struct dmo_doc *d)
{
	if (json_is_array(J(d)))
		return json_array_size(J(d));
	if (json_is_object(J(d)))
		return json_object_size(J(d));
	return 0;
}

struct dmo_doc *
dmo_doc_get(const struct dmo_doc *d, const char *key)
{
	return D(json_object_get(J(d), key));
}

struct dmo_doc *
dmo_doc_index(const struct dmo_doc *d, size_t i)
{
	return D(json_array_get(J(d), i));
}

const char *
dmo_doc_string(const struct dmo_doc *d, size_t *len)
{
	if (!json_is_string(J(d))) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = json_string_length(J(d));
	return json_string_value(J(d));
}

long long
dmo_doc_integer(const struct dmo_doc *d)
{
	return json_is_integer(J(d)) ? (long long)json_integer_value(J(d)) : 0;
}

double
dmo_doc_number(const struct dmo_doc *d)
{
	return json_is_number(J(d)) ? json_number_value(J(d)) : 0;
}

void *
dmo_doc_iter(const struct dmo_doc *d)
{
	return json_object_iter(J(d));
}

void *
dmo_doc_iter_next(const struct dmo_doc *d, void *it)
{
	return json_object_iter_next(J(d), it);
}

const char *
dmo_doc_iter_key(void *it)
{
	return json_object_iter_key(it);
}

struct dmo_doc *
dmo_doc_iter_value(void *it)
{
	return D(json_object_iter_value(it));
}

void
dmo_doc_set(struct dmo_doc *d, const char *key, struct dmo_doc *v)
{
	json_object_set_new_nocheck(J(d), key, J(v));
}

void
dmo_doc_append(struct dmo_doc *d, struct dmo_doc *v)
{
	json_array_append_new(J(d), J(v));
}

void
dmo_doc_set_str(struct dmo_doc *d, const char *key, const char *v)
{
	dmo_doc_set(d, key, v == NULL ? dmo_doc_null() : dmo_doc_str(v));
}

void
dmo_doc_set_int(struct dmo_doc *d, const char *key, long long v)
{
	dmo_doc_set(d, key, dmo_doc_int(v));
}

void
dmo_doc_set_real(struct dmo_doc *d, const char *key, double v)
{
	dmo_doc_set(d, key, dmo_doc_real((double)(long long)
	    (v * 1000 + 0.5) / 1000));
}

char *
dmo_doc_dump(const struct dmo_doc *d)
{
	char *s = json_dumps(J(d), JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(6) | JSON_ENCODE_ANY);

	return s != NULL ? s : dmo_xstrdup("null");
}

char *
dmo_doc_dump_pretty(const struct dmo_doc *d)
{
	char *s = json_dumps(J(d), JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY);
	size_t n;
	char *t;

	if (s == NULL)
		return dmo_xstrdup("null\n");
	n = strlen(s);
	t = dmo_xmalloc(n + 2);
	memcpy(t, s, n);
	t[n] = '\n';
	t[n + 1] = '\0';
	free(s);
	return t;
}
