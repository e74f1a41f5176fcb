/* format.c - open sources, detect their format, dispatch to readers/writers. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exitcode.h"
#include "formatimpl.h"
#include "http.h"
#include "pg.h"

static const char *const names[] = {
	[DMO_FMT_AUTO] = "auto",
	[DMO_FMT_CSV] = "csv",
	[DMO_FMT_TSV] = "tsv",
	[DMO_FMT_NDJSON] = "ndjson",
	[DMO_FMT_JSON] = "json",
	[DMO_FMT_BINARY] = "binary",
};

const char *
dmo_format_name(enum dmo_format f)
{
	if ((size_t)f < sizeof(names) / sizeof(names[0]))
		return names[f];
	return "unknown";
}

int
dmo_format_parse(const char *s)
{
	size_t i;

	for (i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	if (strcmp(s, "jsonl") == 0)
		return DMO_FMT_NDJSON;
	return -1;
}

/* The format a name's extension says, or DMO_FMT_AUTO. */
static enum dmo_format
by_name(const char *name)
{
	const char *dot;

	if (name == NULL || (dot = strrchr(name, '.')) == NULL ||
	    strchr(dot, '/') != NULL)
		return DMO_FMT_AUTO;
	if (strcasecmp(dot, ".csv") == 0)
		return DMO_FMT_CSV;
	if (strcasecmp(dot, ".tsv") == 0 || strcasecmp(dot, ".tab") == 0)
		return DMO_FMT_TSV;
	if (strcasecmp(dot, ".ndjson") == 0 || strcasecmp(dot, ".jsonl") == 0
	    || strcasecmp(dot, ".ldjson") == 0)
		return DMO_FMT_NDJSON;
	if (strcasecmp(dot, ".json") == 0)
		return DMO_FMT_JSON;
	if (strcasecmp(dot, ".dmo") == 0)
		return DMO_FMT_BINARY;
	return DMO_FMT_AUTO;
}

/*
 * NDJSON or a JSON document?  An object that closes on its first line
 * means one record a line; one that goes on past a newline is a
 * pretty-printed document.
 */
static enum dmo_format
json_kind(const char *p, size_t n)
{
	long depth = 0;
	int instr = 0, esc = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = p[i];

		if (instr) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				instr = 0;
			else if (c == '\n')
				return DMO_FMT_JSON;
		} else if (c == '"')
			instr = 1;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']') {
			if (--depth == 0)
				return DMO_FMT_NDJSON;
		} else if (c == '\n')
			return DMO_FMT_JSON;
	}
	return DMO_FMT_NDJSON;
}

static enum dmo_format
detect(const char *p, size_t n, const char *name)
{
	enum dmo_format ext = by_name(name);
	size_t i = 0;

	/*
	 * The magic, or the magic with its first byte mangled (stripped to 7
	 * bits, re-encoded as UTF-8, replaced): the frame reader then names
	 * the damage instead of the CSV reader misreading it.
	 */
	if (n >= 4 && (memcmp(p, DMO_FRAME_MAGIC, 4) == 0 ||
	    (n >= 5 && memcmp(p + 1, "DMO\r", 4) == 0) ||
	    (n >= 5 && memcmp(p, "\xc2\x89" "DMO", 5) == 0) ||
	    (n >= 6 && memcmp(p, "\xef\xbf\xbd" "DMO", 6) == 0)))
		return DMO_FMT_BINARY;
	if (ext == DMO_FMT_CSV || ext == DMO_FMT_TSV || ext == DMO_FMT_BINARY)
		return ext;
	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
	    p[i] == '\n'))
		i++;
	if (i < n && p[i] == '[')
		return DMO_FMT_JSON;
	if (i < n && p[i] == '{') {
		if (ext == DMO_FMT_NDJSON)
			return ext;
		return json_kind(p + i, n - i);
	}
	if (ext != DMO_FMT_AUTO)
		return ext;
	return DMO_FMT_CSV;
}

static const struct dmo_reader_ops *
reader_ops(enum dmo_format f)
{
	switch (f) {
	case DMO_FMT_CSV:
	case DMO_FMT_TSV:
		return &dmo_csv_reader_ops;
	case DMO_FMT_NDJSON:
		return &dmo_ndjson_reader_ops;
	case DMO_FMT_JSON:
		return &dmo_json_reader_ops;
	case DMO_FMT_BINARY:
		return &dmo_frame_reader_ops;
	case DMO_FMT_AUTO:
		break;
	}
	return NULL;
}

/* Choose the format of the source now in r->in and start its reader. */
int
dmo_reader_start(struct dmo_reader *r, const char *name, enum dmo_format hint,
    struct dmo_err *err)
{
	ssize_t n;
	size_t i;

	n = dmo_in_peek_some(r->in, 64 * 1024, err);
	if (n < 0) {
		err->loc.file = r->source;
		return -1;
	}
	r->format = r->opts.format;
	if (r->format == DMO_FMT_AUTO)
		r->format = hint;
	if (r->format == DMO_FMT_AUTO)
		r->format = detect(r->in->buf + r->in->pos, (size_t)n, name);
	/* A one-line document looks like NDJSON; a records path says not. */
	if (r->opts.records_path != NULL && r->opts.format == DMO_FMT_AUTO &&
	    hint == DMO_FMT_AUTO && r->format == DMO_FMT_NDJSON)
		r->format = DMO_FMT_JSON;
	if (r->opts.records_path != NULL && r->format != DMO_FMT_JSON) {
		dmo_err_set(err, DMO_EXIT_USAGE, NULL, "option '--records' "
		    "needs a JSON document, not %s", dmo_format_name(r->format));
		return -1;
	}
	r->ops = reader_ops(r->format);
	r->recno = 0;
	r->complete = 0;
	r->state = NULL;
	for (i = 0; i < DMO_MAX_CAPTURES; i++) {
		r->captured[i] = 0;
		r->capture[i].len = 0;
	}
	if (r->ops->init(r, err) != 0) {
		if (err->loc.file == NULL)
			err->loc.file = r->source;
		return -1;
	}
	r->started = 1;
	return 0;
}

static int
start_source(struct dmo_reader *r, const char *name, struct dmo_err *err)
{
	return dmo_reader_start(r, name, DMO_FMT_AUTO, err);
}

void
dmo_reader_stop(struct dmo_reader *r)
{
	if (r->started && r->ops->fini != NULL)
		r->ops->fini(r);
	r->started = 0;
}

/* Move to the next archive member; 1, 0 at the end, -1 error. */
int
dmo_reader_next_member(struct dmo_reader *r, struct dmo_err *err)
{
	const char *display, *inner;
	int rc;

	dmo_reader_stop(r);
	r->in = NULL;
	rc = dmo_archive_next(r->archive, &r->in, &display, &inner,
	    r->opts.warn, err);
	if (rc <= 0) {
		r->in = NULL;
		if (rc < 0 && err->loc.file == NULL)
			err->loc.file = r->source;
		return rc;
	}
	free(r->source);
	r->source = dmo_xstrdup(display);
	r->in->name = r->source;
	return start_source(r, inner, err) == 0 ? 1 : -1;
}

int
dmo_reader_db_check(const char *path, const char *query, struct dmo_err *err)
{
	const char *hash, *q;
	char *uri, *schema, *table;
	int has_table;

	dmo_err_clear(err);
	if (path == NULL)
		return 0;
	q = dmo_quote(path, strlen(path));
	if (strncmp(path, "sqlite:", 7) == 0) {
		hash = strrchr(path + 7, '#');
		if (path[7] == '\0' || hash == path + 7) {
			dmo_err_set(err, DMO_EXIT_USAGE, NULL, "source %s: no "
			    "database file", q);
			return -1;
		}
		if (hash != NULL && hash[1] == '\0') {
			dmo_err_set(err, DMO_EXIT_USAGE, NULL, "source %s: "
			    "empty table name", q);
			return -1;
		}
		has_table = hash != NULL;
	} else if (dmo_pg_is_uri(path)) {
		if (dmo_pg_split(path, &uri, &schema, &table, err) != 0)
			return -1;
		has_table = table != NULL;
		free(uri);
		free(schema);
		free(table);
	} else
		return 0;
	if (has_table && query != NULL) {
		dmo_err_set(err, DMO_EXIT_USAGE, NULL, "source %s names a "
		    "table: option '--query' does not apply", q);
		return -1;
	}
	if (!has_table && query == NULL) {
		dmo_err_set(err, DMO_EXIT_USAGE, NULL, "source %s: name a "
		    "table (#TABLE) or give option '--query'", q);
		return -1;
	}
	return 1;
}

/* A database operand: no bytes, a reader of rows. */
static struct dmo_reader *
open_db(const char *path, const struct dmo_read_opts *opts,
    struct dmo_err *err)
{
	struct dmo_reader *r;

	if (dmo_reader_db_check(path, opts->query, err) < 0)
		return NULL;
	r = dmo_xcalloc(1, sizeof(*r));
	r->opts = *opts;
	r->source = dmo_xstrdup(path);
	r->format = DMO_FMT_AUTO;
	r->ops = strncmp(path, "sqlite:", 7) == 0 ? &dmo_sqlite_reader_ops :
	    &dmo_pg_reader_ops;
	if (r->ops->init(r, err) != 0) {
		r->started = 1;		/* fini frees what init made */
		if (err->loc.file == NULL || err->loc.file == r->source)
			err->loc.file = path;
		dmo_reader_free(r);
		return NULL;
	}
	r->started = 1;
	return r;
}

struct dmo_reader *
dmo_reader_open(const char *path, const struct dmo_read_opts *opts,
    struct dmo_err *err)
{
	struct dmo_reader *r;
	struct dmo_in *in;
	ssize_t n;

	dmo_err_clear(err);
	if (opts->http != NULL && dmo_http_is_url(path))
		return dmo_http_reader_open(path, opts, err);
	if (path != NULL && (strncmp(path, "sqlite:", 7) == 0 ||
	    dmo_pg_is_uri(path)))
		return open_db(path, opts, err);
	if ((in = dmo_in_open(path, opts->follow, err)) == NULL)
		return NULL;
	/* Errors outlive the reader: point them at the caller's name. */
	if (path == NULL || strcmp(path, "-") == 0)
		path = "<stdin>";
	in->warn = opts->warn;
	r = dmo_xcalloc(1, sizeof(*r));
	r->opts = *opts;
	r->source = dmo_xstrdup(in->name);
	in->name = r->source;
	n = opts->follow ? 0 : dmo_in_peek_some(in, 512, err);
	if (n < 0) {
		err->loc.file = path;
		r->file = in;
		dmo_reader_free(r);
		return NULL;
	}
	if (dmo_archive_sniff((const unsigned char *)in->buf + in->pos,
	    (size_t)n)) {
		r->file = in;
		r->archive = dmo_archive_open(in, r->source, opts->member_glob,
		    err);
		if (r->archive == NULL) {
			err->loc.file = path;
			dmo_reader_free(r);
			return NULL;
		}
		return r;	/* the first member opens on the first read */
	}
	r->in = in;
	r->file = in;
	if (start_source(r, path, err) != 0) {
		err->loc.file = path;
		dmo_reader_free(r);
		return NULL;
	}
	return r;
}

void
dmo_reader_free(struct dmo_reader *r)
{
	size_t i;

	if (r == NULL)
		return;
	dmo_reader_stop(r);
	dmo_archive_free(r->archive);
	dmo_in_free(r->file);
	dmo_http_reader_free(r->http);	/* after what reads through it */
	dmo_buf_release(&r->raw);
	for (i = 0; i < DMO_MAX_CAPTURES; i++)
		dmo_buf_release(&r->capture[i]);
	free(r->source);
	free(r);
}

int
dmo_reader_next(struct dmo_reader *r, struct dmo_record *rec,
    struct dmo_err *err)
{
	int rc;

	dmo_err_clear(err);
	if (r->http != NULL)
		return dmo_http_reader_next(r, rec, err);
	for (;;) {
		if (!r->started) {
			if (r->archive == NULL)
				return DMO_READ_EOF;
			rc = dmo_reader_next_member(r, err);
			if (rc == 0)
				return DMO_READ_EOF;
			if (rc < 0)
				return DMO_READ_FATAL;
		}
		rc = r->ops->next(r, rec, err);
		if (rc == DMO_READ_FATAL) {
			/*
			 * This source is done for; the next call goes on
			 * with the next archive member, or says EOF.
			 */
			dmo_reader_stop(r);
			return rc;
		}
		if (rc != DMO_READ_EOF || r->archive == NULL)
			return rc;
		dmo_reader_stop(r);
	}
}

int
dmo_reader_next_write(struct dmo_reader *r, struct dmo_writer *w,
    struct dmo_record *rec, struct dmo_err *err)
{
	int rc;

	if (r->ops != &dmo_sqlite_reader_ops || !r->started ||
	    w->opts.format != DMO_FMT_NDJSON)
		return dmo_reader_next(r, rec, err);
	dmo_err_clear(err);
	rc = dmo_sqlite_next_json(r, w->out, rec, err);
	if (rc == DMO_READ_FATAL)
		dmo_reader_stop(r);
	if (rc != DMO_READ_WRITTEN)
		return rc;
	w->count++;
	if (w->out->error != 0) {
		dmo_out_flush(w->out, err);
		return DMO_READ_WRITE_FAILED;
	}
	return rc;
}

const char *
dmo_reader_raw(const struct dmo_reader *r, size_t *len)
{
	*len = r->raw.len;
	return r->raw.p == NULL ? "" : r->raw.p;
}

const struct dmo_control *
dmo_reader_control(const struct dmo_reader *r)
{
	return &r->ctl;
}

const char *
dmo_reader_source(const struct dmo_reader *r)
{
	return r->source;
}

enum dmo_format
dmo_reader_format(const struct dmo_reader *r)
{
	return r->format;
}

unsigned long long
dmo_reader_bytes(const struct dmo_reader *r)
{
	return r->file != NULL ? r->file->bytes : 0;
}

int
dmo_reader_complete(const struct dmo_reader *r)
{
	return r->complete;
}

const char *
dmo_reader_capture(const struct dmo_reader *r, size_t i, size_t *len)
{
	if (i >= DMO_MAX_CAPTURES || !r->captured[i])
		return NULL;
	*len = r->capture[i].len;
	return r->capture[i].p;	/* NUL-terminated by the reader */
}

struct dmo_writer *
dmo_writer_new(struct dmo_out *out, const struct dmo_write_opts *opts,
    struct dmo_err *err)
{
	struct dmo_writer *w = dmo_xcalloc(1, sizeof(*w));

	w->opts = *opts;
	w->out = out;
	switch (opts->format) {
	case DMO_FMT_CSV:
	case DMO_FMT_TSV:
		w->ops = &dmo_csv_writer_ops;
		break;
	case DMO_FMT_BINARY:
		w->ops = &dmo_frame_writer_ops;
		break;
	case DMO_FMT_NDJSON:
	case DMO_FMT_AUTO:
		w->opts.format = DMO_FMT_NDJSON;
		w->ops = &dmo_ndjson_writer_ops;
		break;
	case DMO_FMT_JSON:
		dmo_err_set(err, DMO_EXIT_USAGE, NULL,
		    "cannot write format 'json'; use ndjson");
		free(w);
		return NULL;
	}
	if (w->ops->init != NULL && w->ops->init(w, err) != 0) {
		free(w);
		return NULL;
	}
	return w;
}

int
dmo_writer_write(struct dmo_writer *w, const struct dmo_record *rec,
    struct dmo_err *err)
{
	int rc = w->ops->write(w, rec, err);

	if (rc == 0)
		w->count++;
	else
		return rc;
	if (w->out->error != 0) {
		dmo_out_flush(w->out, err);
		return -2;
	}
	return 0;
}

int
dmo_writer_control(struct dmo_writer *w, const struct dmo_control *c,
    struct dmo_err *err)
{
	if (w->ops->control == NULL)
		return 0;
	return w->ops->control(w, c, err);
}

int
dmo_writer_finish(struct dmo_writer *w, struct dmo_err *err)
{
	if (w->ops->finish != NULL && w->ops->finish(w, err) != 0)
		return -2;
	return dmo_out_flush(w->out, err) == 0 ? 0 : -2;
}

void
dmo_writer_free(struct dmo_writer *w)
{
	if (w == NULL)
		return;
	if (w->ops->fini != NULL)
		w->ops->fini(w);
	free(w);
}

unsigned long long
dmo_writer_count(const struct dmo_writer *w)
{
	return w->count;
}
