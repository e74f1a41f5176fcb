/* json.h - JSON documents (summaries, configs, schemas) through jansson. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_JSON_H
#define DMO_JSON_H

/*
 * Records never go through here (ndjson.c keeps their lexemes); this is
 * for documents that are small and whole: run summaries today, schemas
 * and configs later.  Keys keep the order they are set in.
 */
struct dmo_doc;

struct dmo_doc *dmo_doc_object(void);
void	 dmo_doc_free(struct dmo_doc *);
void	 dmo_doc_set_str(struct dmo_doc *, const char *key, const char *);
void	 dmo_doc_set_int(struct dmo_doc *, const char *key, long long);
void	 dmo_doc_set_real(struct dmo_doc *, const char *key, double);
/* Compact, one line, no newline; the caller frees. */
char	*dmo_doc_dump(const struct dmo_doc *);

#endif
