/* json.c - JSON documents through jansson (the one file that uses it). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>

#include <jansson.h>

#include "buf.h"
#include "json.h"

struct dmo_doc {
	json_t	*j;
};

struct dmo_doc *
dmo_doc_object(void)
{
	struct dmo_doc *d = dmo_xmalloc(sizeof(*d));

	if ((d->j = json_object()) == NULL) {
		free(d);
		return dmo_xmalloc((size_t)-1);	/* out of memory: dies */
	}
	return d;
}

void
dmo_doc_free(struct dmo_doc *d)
{
	if (d == NULL)
		return;
	json_decref(d->j);
	free(d);
}

void
dmo_doc_set_str(struct dmo_doc *d, const char *key, const char *v)
{
	json_object_set_new(d->j, key, v == NULL ? json_null() :
	    json_string(v));
}

void
dmo_doc_set_int(struct dmo_doc *d, const char *key, long long v)
{
	json_object_set_new(d->j, key, json_integer(v));
}

void
dmo_doc_set_real(struct dmo_doc *d, const char *key, double v)
{
	/* Round to milliseconds: a summary is read by people. */
	json_object_set_new(d->j, key, json_real((double)(long long)
	    (v * 1000 + 0.5) / 1000));
}

char *
dmo_doc_dump(const struct dmo_doc *d)
{
	char *s = json_dumps(d->j, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(6));

	return s != NULL ? s : dmo_xstrdup("{}");
}
