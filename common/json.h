/* json.h - JSON documents (summaries, configs, schemas) through jansson. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_JSON_H
#define DMO_JSON_H

#include <stddef.h>

#include "err.h"

/*
 * Records never go through here (ndjson.c keeps their lexemes); this is
 * for documents that are small and whole: run summaries, schemas, key
 * sets, policies, state files.  Objects keep the order of their keys.
 *
 * Ownership: a function that returns a new document (the constructors,
 * dmo_doc_load, dmo_doc_parse) gives the caller a reference to free with
 * dmo_doc_free.  dmo_doc_get, dmo_doc_index and dmo_doc_iter_value
 * return borrowed children, valid while their parent lives.  dmo_doc_set
 * and dmo_doc_append take over the reference they are given.
 */
struct dmo_doc;

enum dmo_doc_type {
	DMO_DOC_NULL,
	DMO_DOC_FALSE,
	DMO_DOC_TRUE,
	DMO_DOC_INT,		/* fits in a long long */
	DMO_DOC_REAL,		/* other numbers */
	DMO_DOC_STRING,
	DMO_DOC_ARRAY,
	DMO_DOC_OBJECT
};

struct dmo_doc *dmo_doc_object(void);
struct dmo_doc *dmo_doc_array(void);
struct dmo_doc *dmo_doc_str(const char *);		/* UTF-8, NUL-ended */
struct dmo_doc *dmo_doc_strn(const char *, size_t);	/* may hold NULs */
struct dmo_doc *dmo_doc_int(long long);
struct dmo_doc *dmo_doc_real(double);
struct dmo_doc *dmo_doc_bool(int);
struct dmo_doc *dmo_doc_null(void);
void	 dmo_doc_free(struct dmo_doc *);

/*
 * Read a whole document from a file ("-" is stdin) or from memory.  A
 * key repeated in an object is an error.  On failure: NULL, and err says
 * where (name:line:col) with code DMO_EXIT_USAGE for bad JSON or
 * DMO_EXIT_IO when the file cannot be read.
 */
struct dmo_doc *dmo_doc_load(const char *path, struct dmo_err *);
struct dmo_doc *dmo_doc_parse(const char *text, size_t len, const char *name,
	    struct dmo_err *);

/* These accept NULL (an absent member): type null, size 0, no value. */
enum dmo_doc_type dmo_doc_type(const struct dmo_doc *);
const char *dmo_doc_type_name(const struct dmo_doc *);	/* "object", ... */
size_t	 dmo_doc_size(const struct dmo_doc *);	/* array or object; else 0 */
struct dmo_doc *dmo_doc_get(const struct dmo_doc *, const char *key);
struct dmo_doc *dmo_doc_index(const struct dmo_doc *, size_t);
/* The value: NULL / 0 when the document is of another type. */
const char *dmo_doc_string(const struct dmo_doc *, size_t *len);
long long dmo_doc_integer(const struct dmo_doc *);
double	 dmo_doc_number(const struct dmo_doc *);	/* int or real */

/* Object members in order: for (it = dmo_doc_iter(o); it; it = next). */
void	*dmo_doc_iter(const struct dmo_doc *obj);
void	*dmo_doc_iter_next(const struct dmo_doc *obj, void *it);
const char *dmo_doc_iter_key(void *it);
struct dmo_doc *dmo_doc_iter_value(void *it);

/* Building: these take over v (and free it on failure). */
void	 dmo_doc_set(struct dmo_doc *obj, const char *key, struct dmo_doc *v);
void	 dmo_doc_append(struct dmo_doc *arr, struct dmo_doc *v);
void	 dmo_doc_set_str(struct dmo_doc *, const char *key, const char *);
void	 dmo_doc_set_int(struct dmo_doc *, const char *key, long long);
/* Rounded to milliseconds: for seconds in summaries, read by people. */
void	 dmo_doc_set_real(struct dmo_doc *, const char *key, double);

/* Compact, one line, no newline; the caller frees. */
char	*dmo_doc_dump(const struct dmo_doc *);
/* Indented by 2, keys in order, ending in a newline; the caller frees. */
char	*dmo_doc_dump_pretty(const struct dmo_doc *);

#endif
