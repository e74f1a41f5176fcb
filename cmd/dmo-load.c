/* dmo-load - write records where they are used: stdout, files, databases. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "atomic.h"
#include "bookmark.h"
#include "buf.h"
#include "cli.h"
#include "err.h"
#include "exitcode.h"
#include "format.h"
#include "http.h"
#include "io.h"
#include "partition.h"
#include "pg.h"
#include "record.h"
#include "sqlite.h"
#include "value.h"

static const char synopsis[] =
    "usage: dmo-load [-Bv] [-d delim] [-f format] [-k fields] [-m mode] "
    "[target [file ...]]";

static const char help[] =
    "Write records to stdout, to a file (replaced atomically) or into a\n"
    "SQLite or PostgreSQL table.  target is - (stdout, the default), a file\n"
    "named .csv, .tsv, .ndjson, .jsonl or .dmo, csv:PATH, tsv:PATH,\n"
    "ndjson:PATH, binary:PATH, sqlite:PATH#TABLE, a PostgreSQL URI\n"
    "postgres://...#[SCHEMA.]TABLE, an http:// or https:// URL that records\n"
    "are POSTed to in batches; an archive named .tar, .tar.gz, .tar.xz,\n"
    ".tar.zst or .zip, or tar:PATH, tar.gz:PATH, tar.xz:PATH, tar.zst:PATH,\n"
    "zip:PATH; with --partition-by, a directory.  Input files follow the\n"
    "target.\n"
    "\n"
    "  -B, --binary               write binary frames (dmo-frame(5)) to stdout\n"
    "  -d, --delimiter CHAR       CSV/TSV output delimiter\n"
    "  -f, --format FORMAT        output format: ndjson, csv, tsv, binary\n"
    "  -k, --key FIELDS           comma-separated key fields for --mode upsert\n"
    "  -m, --mode MODE            databases: append (default), replace, upsert;\n"
    "                             partitions: replace (default), append\n"
    "      --batch-bytes SIZE     HTTP: at most SIZE bytes a request (default 1M)\n"
    "      --batch-size N         HTTP: at most N records a request (default 1000)\n"
    "      --body FORMAT          HTTP: request bodies in ndjson (default) or json\n"
    "      --commit-every N       databases: commit every N records\n"
    "      --commit-interval T    databases, HTTP: commit at least every T (500ms, 2s)\n"
    "      --duplicate-keys POLICY  repeated field names: reject, first, last\n"
    "      --formula-escape       CSV/TSV: neutralise cells starting with = + - @\n"
    "      --invalid-utf8 POLICY  bytes that are not UTF-8: reject, replace\n"
    "      --keep-partition-fields  keep the --partition-by fields in the rows\n"
    "      --max-open-files N     partitions: part files open at once (default 64)\n"
    "      --max-record-size SIZE  longest record read (default 256M)\n"
    "      --max-rejects N|P%     rejected records allowed (default 0)\n"
    "      --no-header            CSV/TSV: write no header row\n"
    "      --no-progress          show no progress, even on a terminal\n"
    "      --partition-by FIELDS  write Hive-style partitions (dt=X/part-00000)\n"
    "      --progress             show progress even when stderr is not a terminal\n"
    "      --rejects FILE         write rejected records with reasons to FILE\n"
    "      --state FILE           save the bookmark for dmo-extract --state FILE\n"
    "      --stats FILE           write the run summary (JSON) to FILE\n"
    DMO_HTTP_HELP(" ")
    "  -h, --help                 show this help and exit\n"
    "  -v, --verbose              report schema changes and the summary\n"
    "  -V, --version              show the version and exit\n";

enum {
	OPT_COMMIT_EVERY = DMO_OPT_PROGRAM_BASE,
	OPT_COMMIT_INTERVAL,
	OPT_FORMULA_ESCAPE,
	OPT_NO_HEADER,
	OPT_KEEP_PARTITION_FIELDS,
	OPT_MAX_OPEN_FILES,
	OPT_PARTITION_BY,
	OPT_BATCH_BYTES = DMO_HTTP_OPT_END + 10,	/* clear of http.h */
	OPT_BATCH_SIZE,
	OPT_BODY,
	/* Numbered apart from other options, so that branches merge. */
	OPT_STATE = DMO_OPT_PROGRAM_BASE + 50
};

static const struct option longopts[] = {
	{ "batch-bytes",	required_argument,	NULL, OPT_BATCH_BYTES },
	{ "batch-size",		required_argument,	NULL, OPT_BATCH_SIZE },
	{ "binary",		no_argument,		NULL, 'B' },
	{ "body",		required_argument,	NULL, OPT_BODY },
	{ "commit-every",	required_argument,	NULL, OPT_COMMIT_EVERY },
	{ "commit-interval",	required_argument,	NULL, OPT_COMMIT_INTERVAL },
	{ "delimiter",		required_argument,	NULL, 'd' },
	{ "duplicate-keys",	required_argument,	NULL, DMO_OPT_DUPLICATE_KEYS },
	{ "format",		required_argument,	NULL, 'f' },
	{ "formula-escape",	no_argument,		NULL, OPT_FORMULA_ESCAPE },
	{ "invalid-utf8",	required_argument,	NULL, DMO_OPT_INVALID_UTF8 },
	{ "keep-partition-fields", no_argument,	NULL, OPT_KEEP_PARTITION_FIELDS },
	{ "key",		required_argument,	NULL, 'k' },
	{ "max-open-files",	required_argument,	NULL, OPT_MAX_OPEN_FILES },
	{ "max-record-size",	required_argument,	NULL, DMO_OPT_MAX_RECORD_SIZE },
	{ "mode",		required_argument,	NULL, 'm' },
	{ "no-header",		no_argument,		NULL, OPT_NO_HEADER },
	{ "partition-by",	required_argument,	NULL, OPT_PARTITION_BY },
	DMO_HTTP_LONGOPTS,
	{ "state",		required_argument,	NULL, OPT_STATE },
	DMO_COMMON_LONGOPTS,
	{ NULL,			0,			NULL, 0 }
};

enum target_kind {
	T_STDOUT,
	T_FILE,
	T_SQLITE,
	T_ARCHIVE,	/* one member per input, or per partition */
	T_PARTS,	/* a directory of partitions */
	T_HTTP,
	T_PG
};

/*
 * An HTTP target's batch: the request body being built, and copies of
 * its records, which go to the rejects if the server refuses the batch.
 * files holds copies of the records' source names, which outlive their
 * readers.
 */
struct batch {
	struct dmo_http_sink	*sink;
	struct dmo_buf		 body;
	struct dmo_record	*recs;
	size_t			 n, cap;
	char			**files;
	size_t			 nfiles;
	unsigned long long	 seq;	/* batches sent */
	struct timespec		 start;	/* when its first record came */
	int			 sending;	/* in batch_send */
	size_t			 max_records;
	size_t			 max_bytes;
	int			 json;	/* a JSON array, not NDJSON */
};

struct load {
	struct dmo_run		 run;
	enum target_kind	 kind;
	const char		*target;	/* the operand, for messages */
	char			*path;		/* file or database */
	char			*table;
	enum dmo_format		 format;
	struct dmo_read_opts	 ropts;
	struct dmo_write_opts	 wopts;
	struct dmo_out		*out;
	struct dmo_atomic	*atomic;
	struct dmo_writer	*writer;
	struct dmo_sqlite	*db;
	struct dmo_partition	*parts;		/* T_ARCHIVE, T_PARTS */
	struct dmo_partition_opts popts;
	struct dmo_http_opts	 http;
	struct batch		 batch;
	struct dmo_pg		*pg;
	char			*pguri;
	char			*schema;
	unsigned long long	 commit_every;
	double			 commit_interval;
	struct timespec		 tx_start;
	int			 failed;	/* input incomplete: keep nothing */
	int			 stop;		/* read no more */
	int			 target_failed;	/* and said so */
	/* --state: the checkpoint to save after the next commit. */
	const char		*state_arg;
	char			*state;		/* absolute, or NULL */
	struct dmo_buf		 cp;		/* its payload */
	int			 have_cp;
	int			 cp_off;	/* a bad checkpoint: save none */
	int			 cp_warned;
	unsigned long long	 cp_saved;
};

/* What the command line asked for, before it is checked against the target. */
struct opts {
	int			 binary;
	const char		*delim;
	const char		*format;
	const char		*keys;
	const char		*mode;
	const char		*commit_every;
	const char		*commit_interval;
	int			 formula_escape;
	int			 no_header;
	const char		*partition_by;
	const char		*max_open_files;
	int			 keep_partition_fields;
	const char		*batch_bytes;
	const char		*batch_size;
	const char		*body;
};

static void
usage_conflict(struct load *L, const char *opt, const char *what)
{
	dmo_usage_error(&L->run, "option '%s' %s", opt, what);
}

/* The table name a file implies: "orders.csv.gz" gives "orders". */
static char *
default_table(const char *input)
{
	static const char *const packed[] = {
		".gz", ".bz2", ".xz", ".zst", ".lz4", ".z", ".zip", ".tar",
		".tgz", ".7z"
	};
	const char *base;
	char *t, *dot;
	size_t i, n;
	int again = 1;

	if (input == NULL || strcmp(input, "-") == 0)
		return dmo_xstrdup("data");
	base = strrchr(input, '/');
	base = base != NULL ? base + 1 : input;
	t = dmo_xstrdup(base);
	while (again) {
		again = 0;
		n = strlen(t);
		for (i = 0; i < sizeof(packed) / sizeof(packed[0]); i++) {
			size_t pl = strlen(packed[i]);

			if (n > pl && strcasecmp(t + n - pl, packed[i]) == 0) {
				t[n - pl] = '\0';
				again = 1;
				break;
			}
		}
	}
	if ((dot = strrchr(t, '.')) != NULL && dot != t)
		*dot = '\0';
	if (*t == '\0' || *t == '.') {
		free(t);
		return dmo_xstrdup("data");
	}
	return t;
}

/* The output format a file name implies, or -1. */
static int
format_by_name(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot == NULL || strchr(dot, '/') != NULL)
		return -1;
	if (strcasecmp(dot, ".csv") == 0)
		return DMO_FMT_CSV;
	if (strcasecmp(dot, ".tsv") == 0 || strcasecmp(dot, ".tab") == 0)
		return DMO_FMT_TSV;
	if (strcasecmp(dot, ".ndjson") == 0 || strcasecmp(dot, ".jsonl") == 0 ||
	    strcasecmp(dot, ".ldjson") == 0)
		return DMO_FMT_NDJSON;
	if (strcasecmp(dot, ".json") == 0)
		return DMO_FMT_JSON;
	if (strcasecmp(dot, ".dmo") == 0)
		return DMO_FMT_BINARY;
	return -1;
}

static int
parse_output_format(struct load *L, const char *s)
{
	int f = dmo_format_parse(s);

	if (f == DMO_FMT_JSON)
		dmo_usage_error(&L->run, "option '--format': JSON array output "
		    "is not supported yet: use ndjson");
	if (f < 0 || f == DMO_FMT_AUTO)
		dmo_usage_error(&L->run, "option '--format': unknown format: "
		    "%s", dmo_quote(s, strlen(s)));
	return f;
}

/*
 * An archive target: tar.gz:PATH and the like, or a name ending in .tar,
 * .tar.gz, .tgz, .tar.xz, .txz, .tar.zst, .tzst or .zip.  Its members are
 * NDJSON unless -f says.  Returns 1 when t is one.
 */
static int
parse_archive(struct load *L, const char *t, const struct opts *o, int fopt)
{
	const char *q = dmo_quote(t, strlen(t));
	const char *colon = strchr(t, ':');
	const char *path = t;
	int type = -1;

	if (colon != NULL && (type = dmo_archive_type_parse(t,
	    (size_t)(colon - t))) >= 0)
		path = colon + 1;
	else if ((type = dmo_archive_type_by_name(t)) < 0)
		return 0;
	if (*path == '\0')
		dmo_usage_error(&L->run, "target %s: no file name", q);
	if (strcmp(path, "-") == 0)
		dmo_usage_error(&L->run, "target %s: archives are written to "
		    "files only", q);
	if (o->binary)
		usage_conflict(L, "--binary", "applies to stdout only: use "
		    "-f binary for binary members");
	L->kind = T_ARCHIVE;
	L->path = dmo_xstrdup(path);
	L->popts.archive = type;
	L->format = fopt >= 0 ? (enum dmo_format)fopt : DMO_FMT_NDJSON;
	return 1;
}

/* Work out the target and its format from the operand and the options. */
static void
parse_target(struct load *L, const char *t, const struct opts *o,
    const char *first_input)
{
	static const struct {
		const char	*prefix;
		enum dmo_format	 format;
	} prefixes[] = {
		{ "csv:", DMO_FMT_CSV },
		{ "tsv:", DMO_FMT_TSV },
		{ "ndjson:", DMO_FMT_NDJSON },
		{ "binary:", DMO_FMT_BINARY },
		{ "json:", DMO_FMT_JSON },
	};
	const char *q = dmo_quote(t, strlen(t));
	int fopt = o->format != NULL ? parse_output_format(L, o->format) : -1;
	int f = -1;
	size_t i;

	L->target = t;
	if (dmo_http_is_url(t)) {
		L->kind = T_HTTP;
		L->path = dmo_xstrdup(t);
		if (o->format != NULL)
			usage_conflict(L, "--format", "does not apply to an "
			    "HTTP target: use --body");
		if (o->binary)
			usage_conflict(L, "--binary", "applies to stdout only");
		return;
	}
	if (dmo_pg_is_uri(t)) {
		struct dmo_err err;

		L->kind = T_PG;
		if (dmo_pg_split(t, &L->pguri, &L->schema, &L->table, &err)
		    != 0)
			dmo_usage_error(&L->run, "%s", err.msg);
		if (L->table == NULL)
			L->table = default_table(first_input);
		if (o->format != NULL)
			usage_conflict(L, "--format", "does not apply to a "
			    "PostgreSQL target");
		if (o->binary)
			usage_conflict(L, "--binary", "applies to stdout only");
		return;
	}
	if (strncmp(t, "sqlite:", 7) == 0) {
		const char *hash = strrchr(t + 7, '#');

		L->kind = T_SQLITE;
		if (hash == NULL)
			L->path = dmo_xstrdup(t + 7);
		else
			L->path = dmo_xmemdup(t + 7, (size_t)(hash - (t + 7)));
		if (*L->path == '\0')
			dmo_usage_error(&L->run, "target %s: no database file",
			    q);
		if (hash != NULL && hash[1] == '\0')
			dmo_usage_error(&L->run, "target %s: empty table name",
			    q);
		L->table = hash != NULL ? dmo_xstrdup(hash + 1) :
		    default_table(first_input);
		if (o->format != NULL)
			usage_conflict(L, "--format", "does not apply to a "
			    "SQLite target");
		if (o->binary)
			usage_conflict(L, "--binary", "applies to stdout only");
		return;
	}
	if (parse_archive(L, t, o, fopt))
		return;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(t, prefixes[i].prefix, strlen(prefixes[i].prefix))
		    == 0) {
			f = (int)prefixes[i].format;
			t += strlen(prefixes[i].prefix);
			break;
		}
	if (f == DMO_FMT_JSON)
		dmo_usage_error(&L->run, "target %s: JSON array output is not "
		    "supported yet: use ndjson:PATH or a .ndjson name", q);
	if (f >= 0 && fopt >= 0 && fopt != f)
		dmo_usage_error(&L->run, "option '--format' conflicts with "
		    "target %s", q);
	if (*t == '\0')
		dmo_usage_error(&L->run, "target %s: no file name", q);
	if (strcmp(t, "-") == 0) {
		L->kind = T_STDOUT;
		if (f < 0)
			f = fopt;
		if (o->binary) {
			if (f >= 0 && f != DMO_FMT_BINARY)
				usage_conflict(L, "--binary", "conflicts with "
				    "the CSV, TSV or NDJSON output asked for");
			f = DMO_FMT_BINARY;
		}
		if (f < 0)
			f = (int)dmo_wire_format(0);
		L->format = (enum dmo_format)f;
		return;
	}
	L->kind = T_FILE;
	L->path = dmo_xstrdup(t);
	if (o->binary)
		usage_conflict(L, "--binary", "applies to stdout only: use "
		    "binary:PATH for a file");
	if (f < 0)
		f = fopt;
	if (o->partition_by != NULL) {
		/* A directory: its name may say the format, NDJSON if not. */
		L->kind = T_PARTS;
		L->popts.archive = -1;
		if (f < 0)
			f = format_by_name(t);
		if (f < 0 || f == DMO_FMT_JSON)
			f = DMO_FMT_NDJSON;
	}
	if (f < 0) {
		f = format_by_name(t);
		if (f == DMO_FMT_JSON)
			dmo_usage_error(&L->run, "target %s: JSON array output "
			    "is not supported yet: use a .ndjson name or "
			    "ndjson:PATH", q);
		if (f < 0)
			dmo_usage_error(&L->run, "target %s: cannot tell the "
			    "format from the name: use -f or a prefix such as "
			    "csv:PATH", q);
	}
	L->format = (enum dmo_format)f;
}

/* Split a comma-separated list of field names (-k, --partition-by). */
static const char **
split_fields(struct load *L, const char *opt, const char *s, size_t *n)
{
	const char **v = NULL;
	const char *p = s, *comma;
	size_t cap = 0;

	/* Check first: a usage error exits, and nothing is held then. */
	for (comma = strchr(s, ','); ; comma = strchr(comma + 1, ',')) {
		if (*s == ',' || *s == '\0' || (comma != NULL &&
		    (comma[1] == ',' || comma[1] == '\0')))
			dmo_usage_error(&L->run, "option '%s': empty field "
			    "name in %s", opt, dmo_quote(s, strlen(s)));
		if (comma == NULL)
			break;
	}
	*n = 0;
	for (;;) {
		comma = strchr(p, ',');
		if (*n == cap) {
			cap = cap == 0 ? 4 : cap * 2;
			v = dmo_xreallocarray(v, cap, sizeof(*v));
		}
		v[(*n)++] = comma != NULL ?
		    dmo_xmemdup(p, (size_t)(comma - p)) : dmo_xstrdup(p);
		if (comma == NULL)
			return v;
		p = comma + 1;
	}
}

/* --partition-by and its companions: directories and archives only. */
static void
check_partition_options(struct load *L, const struct opts *o)
{
	unsigned long long n = 64;
	size_t i, j;

	if (o->partition_by == NULL) {
		if (o->max_open_files != NULL)
			usage_conflict(L, "--max-open-files", "needs "
			    "'--partition-by'");
		if (o->keep_partition_fields)
			usage_conflict(L, "--keep-partition-fields", "needs "
			    "'--partition-by'");
		return;
	}
	if (L->kind != T_PARTS && L->kind != T_ARCHIVE)
		usage_conflict(L, "--partition-by", "applies to a directory or "
		    "an archive only");
	L->popts.fields = split_fields(L, "--partition-by", o->partition_by,
	    &L->popts.nfields);
	for (i = 0; i < L->popts.nfields; i++)
		for (j = 0; j < i; j++)
			if (strcmp(L->popts.fields[i], L->popts.fields[j]) == 0)
				dmo_usage_error(&L->run, "option "
				    "'--partition-by': field '%s' given twice",
				    L->popts.fields[i]);
	if (o->max_open_files != NULL &&
	    (dmo_parse_ull(o->max_open_files, &n) != 0 || n == 0 ||
	    n > 100000))
		dmo_usage_error(&L->run, "option '--max-open-files': not a "
		    "count from 1 to 100000: %s", dmo_quote(o->max_open_files,
		    strlen(o->max_open_files)));
	L->popts.max_open = (size_t)n;
	L->popts.keep_fields = o->keep_partition_fields;
}

/* Split -k a,b,c into names. */
static const char **
split_keys(struct load *L, const char *s, size_t *n)
{
	return split_fields(L, "--key", s, n);
}

/* --batch-size, --batch-bytes, --body: HTTP targets only. */
static void
check_http_options(struct load *L, const struct opts *o)
{
	struct batch *b = &L->batch;
	unsigned long long n;

	b->max_records = 1000;
	b->max_bytes = (size_t)1 << 20;
	if (L->kind != T_HTTP) {
		if (o->batch_size != NULL || o->batch_bytes != NULL ||
		    o->body != NULL)
			usage_conflict(L, o->batch_size != NULL ?
			    "--batch-size" : o->batch_bytes != NULL ?
			    "--batch-bytes" : "--body",
			    "applies to HTTP targets only");
		return;
	}
	if (o->batch_size != NULL) {
		if (dmo_parse_ull(o->batch_size, &n) != 0 || n == 0 ||
		    n > 10000000)
			dmo_usage_error(&L->run, "option '--batch-size': not a "
			    "count from 1 to 10000000: %s", dmo_quote(
			    o->batch_size, strlen(o->batch_size)));
		b->max_records = (size_t)n;
	}
	if (o->batch_bytes != NULL && (dmo_parse_size(o->batch_bytes,
	    &b->max_bytes) != 0 || b->max_bytes == 0))
		dmo_usage_error(&L->run, "option '--batch-bytes': not a size: "
		    "%s", dmo_quote(o->batch_bytes, strlen(o->batch_bytes)));
	if (o->body != NULL) {
		if (strcmp(o->body, "json") == 0)
			b->json = 1;
		else if (strcmp(o->body, "ndjson") != 0)
			dmo_usage_error(&L->run, "option '--body': not ndjson "
			    "or json: %s", dmo_quote(o->body, strlen(o->body)));
	}
}

/* Check the options that only some targets take, and parse their values. */
static void
check_options(struct load *L, const struct opts *o)
{
	int db = L->kind == T_SQLITE || L->kind == T_PG;
	int csv = !db && L->kind != T_HTTP &&
	    (L->format == DMO_FMT_CSV || L->format == DMO_FMT_TSV);

	check_http_options(L, o);

	if (o->delim != NULL) {
		if (!csv)
			usage_conflict(L, "--delimiter", "applies to CSV and "
			    "TSV output only");
		if (dmo_parse_char(o->delim, &L->wopts.delim) != 0 ||
		    L->wopts.delim < 0)
			dmo_usage_error(&L->run, "option '--delimiter': not a "
			    "single character: %s",
			    dmo_quote(o->delim, strlen(o->delim)));
	}
	if (o->no_header && !csv)
		usage_conflict(L, "--no-header", "applies to CSV and TSV "
		    "output only");
	if (o->formula_escape && !csv)
		usage_conflict(L, "--formula-escape", "applies to CSV and TSV "
		    "output only");
	L->wopts.format = L->format;
	L->wopts.header = !o->no_header;
	L->wopts.formula_escape = o->formula_escape;
	if (L->format == DMO_FMT_TSV && o->delim == NULL)
		L->wopts.delim = '\t';

	check_partition_options(L, o);
	if (L->kind == T_PARTS && o->mode != NULL) {
		/* Partitions take --mode too, and nothing else SQLite takes. */
		if (strcmp(o->mode, "append") == 0)
			L->popts.append = 1;
		else if (strcmp(o->mode, "replace") != 0)
			dmo_usage_error(&L->run, "option '--mode': not append or "
			    "replace for partitions: %s", dmo_quote(o->mode,
			    strlen(o->mode)));
	}
	if (!db) {
		const struct {
			const char	*given;
			const char	*name;
		} only[] = {
			{ L->kind == T_PARTS ? NULL : o->mode, "--mode" },
			{ o->keys, "--key" },
			{ o->commit_every, "--commit-every" },
			{ o->commit_interval, "--commit-interval" },
		};
		size_t i;

		for (i = 0; i < sizeof(only) / sizeof(only[0]); i++) {
			if (only[i].given == NULL)
				continue;
			/* An HTTP target sends its batch as SQLite commits. */
			if (only[i].given == o->commit_interval) {
				if (L->kind == T_HTTP)
					continue;
				usage_conflict(L, only[i].name, "applies to "
				    "SQLite, PostgreSQL and HTTP targets only");
			}
			usage_conflict(L, only[i].name, "applies to "
			    "SQLite and PostgreSQL targets only");
		}
		if (L->kind != T_HTTP || o->commit_interval == NULL)
			return;
		if (dmo_parse_seconds(o->commit_interval, &L->commit_interval)
		    != 0 || L->commit_interval <= 0)
			dmo_usage_error(&L->run, "option '--commit-interval': "
			    "not a duration: %s", dmo_quote(o->commit_interval,
			    strlen(o->commit_interval)));
		return;
	}
	if (o->commit_every != NULL &&
	    (dmo_parse_ull(o->commit_every, &L->commit_every) != 0 ||
	    L->commit_every == 0))
		dmo_usage_error(&L->run, "option '--commit-every': not a "
		    "positive count: %s", dmo_quote(o->commit_every,
		    strlen(o->commit_every)));
	if (o->commit_interval != NULL &&
	    (dmo_parse_seconds(o->commit_interval, &L->commit_interval) != 0
	    || L->commit_interval <= 0))
		dmo_usage_error(&L->run, "option '--commit-interval': not a "
		    "duration: %s", dmo_quote(o->commit_interval,
		    strlen(o->commit_interval)));
}

static void
notice(void *ctx, const char *msg)
{
	struct load *L = ctx;

	if (L->run.verbose)
		dmo_warnx("%s: %s", L->path != NULL ? L->path : L->target,
		    msg);
}

static double
since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	    (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Time spent in the target, for the run summary. */
static inline void
clock_now(struct timespec *t)
{
	clock_gettime(CLOCK_MONOTONIC, t);
}

static void
target_time(struct load *L, const struct timespec *t0, int commit)
{
	double s = since(t0);

	L->run.target.seconds += s;
	if (commit)
		L->run.target.commit_seconds += s;
}

/* A SQLite commit, counted and timed.  0 or -2 (err set). */
static int
sqlite_commit(struct load *L, struct dmo_err *err)
{
	unsigned long long pending = dmo_sqlite_pending(L->db);
	struct timespec t0;
	int rc;

	clock_now(&t0);
	rc = dmo_sqlite_commit(L->db, err);
	target_time(L, &t0, 1);
	if (rc == 0 && pending > 0)
		L->run.target.batches++;
	return rc;
}

/* The target failed: say so, and read no further. */
static void
target_error(struct load *L, const struct dmo_err *err)
{
	dmo_run_error(&L->run, err);
	L->stop = 1;
	L->failed = 1;
	L->target_failed = 1;
}

/*
 * Checkpoints (dmo-extract(1), INCREMENTAL RUNS).  A checkpoint frame is
 * held until a commit covers every record before it; then its bookmark
 * is saved to the --state file.  The file is the one this command line
 * names: a checkpoint for another state file is refused, so no input can
 * make dmo-load write a file it was not told to.
 */
static void	checkpoint_committed(struct load *);

static void
checkpoint_seen(struct load *L, const struct dmo_control *c)
{
	struct dmo_checkpoint cp;
	struct dmo_err err;

	if (L->cp_off)
		return;
	if (dmo_checkpoint_decode(c->payload, c->len, &cp, &err) != 0) {
		dmo_run_error(&L->run, &err);
		L->cp_off = 1;
		L->have_cp = 0;
		return;
	}
	if (L->state == NULL) {
		if (!L->cp_warned) {
			dmo_err_set(&err, 0, NULL, "the input carries "
			    "checkpoints for %s, but option '--state' is not "
			    "given: the bookmark does not advance",
			    dmo_quote(cp.state, cp.statelen));
			dmo_run_warn(&err);
			L->cp_warned = 1;
		}
		return;
	}
	if (cp.statelen != strlen(L->state) ||
	    memcmp(cp.state, L->state, cp.statelen) != 0) {
		dmo_err_set(&err, DMO_EXIT_USAGE, NULL, "option '--state': "
		    "the input's checkpoints are for %s, not '%s': the "
		    "bookmark does not advance", dmo_quote(cp.state,
		    cp.statelen), L->state);
		dmo_run_error(&L->run, &err);
		L->cp_off = 1;
		L->have_cp = 0;
		return;
	}
	L->cp.len = 0;
	dmo_buf_add(&L->cp, c->payload, c->len);
	L->have_cp = 1;
	/* Nothing uncommitted in a stream: it is covered already. */
	if (((L->kind == T_SQLITE && dmo_sqlite_pending(L->db) == 0) ||
	    (L->kind == T_PG && dmo_pg_pending(L->pg) == 0)) &&
	    (L->commit_every > 0 || L->commit_interval > 0))
		checkpoint_committed(L);
}

/*
 * Called after every successful commit of the target: save the last
 * checkpoint seen, since every record before it is now committed.
 * Targets mark the call with "committed: checkpoint hook".
 */
static void
checkpoint_committed(struct load *L)
{
	struct dmo_checkpoint cp;
	struct dmo_err err;

	if (!L->have_cp || L->cp_off)
		return;
	L->have_cp = 0;
	if (dmo_checkpoint_decode(L->cp.p, L->cp.len, &cp, &err) != 0 ||
	    dmo_state_save(&cp, &err) != 0) {
		if (err.loc.file == NULL)
			err.loc.file = L->state_arg;
		dmo_run_error(&L->run, &err);
		return;
	}
	L->cp_saved++;
}

/*
 * Every PostgreSQL commit goes through here, periodic or final, so that
 * what follows a commit (the run summary, checkpoints) has one place.
 */
static int
pg_commit(struct load *L)
{
	struct dmo_err err;
	unsigned long long n = dmo_pg_pending(L->pg);
	struct timespec t0;
	int rc;

	clock_now(&t0);
	rc = dmo_pg_commit(L->pg, &err);
	target_time(L, &t0, 1);
	if (rc != 0) {
		target_error(L, &err);
		return -1;
	}
	if (n > 0) {
		L->run.target.committed += n;
		L->run.target.batches++;
	}
	/* committed: checkpoint hook */
	checkpoint_committed(L);
	return 0;
}

/* Records written to a database and not yet committed. */
static unsigned long long
db_pending(const struct load *L)
{
	if (L->pg != NULL)
		return dmo_pg_pending(L->pg);
	if (L->db != NULL)
		return dmo_sqlite_pending(L->db);
	return 0;
}

/* Commit now, unless a count limit of rejects is passed: then stop. */
static void
maybe_commit_now(struct load *L)
{
	struct dmo_err err;

	if (L->run.max_pct < 0 && dmo_run_over_limit(&L->run)) {
		L->stop = 1;
		return;
	}
	if (L->kind == T_PG) {
		(void)pg_commit(L);
		return;
	}
	if (sqlite_commit(L, &err) != 0)
		target_error(L, &err);
	else
		checkpoint_committed(L);	/* committed: checkpoint hook */
}

/* Periodic commits for streams (--commit-every, --commit-interval). */
static void
maybe_commit(struct load *L)
{
	unsigned long long pending = db_pending(L);

	if (pending == 1)
		clock_gettime(CLOCK_MONOTONIC, &L->tx_start);
	if ((L->commit_every > 0 && pending >= L->commit_every) ||
	    (L->commit_interval > 0 && since(&L->tx_start) >=
	    L->commit_interval))
		maybe_commit_now(L);
}

/*
 * The input is about to pause: in a stream, commit what is held, so that
 * a burst of records does not wait for the next one (group commit: the
 * slower the input, the smaller the transactions).
 */
static void
on_wait(void *arg)
{
	struct load *L = arg;

	if (!L->stop && db_pending(L) > 0)
		maybe_commit_now(L);
	else if (!L->stop && L->have_cp && (L->db != NULL || L->pg != NULL))
		checkpoint_committed(L);	/* it came after the commit */
}

/*
 * HTTP targets.  Records are POSTed in batches; a batch is sent when it
 * holds --batch-size records, or the next record would take it past
 * --batch-bytes (a record larger than that goes alone).  Each request
 * carries an Idempotency-Key derived from the URL, the batch's number
 * and its body: the same on every retry of the batch, and the same when
 * the same input is loaded again with the same batching, so a server
 * that honours the header stores a batch once however often it is sent.
 */

/* A source name that lives as long as the batch. */
static const char *
batch_file(struct batch *b, const char *file)
{
	if (file == NULL)
		return NULL;
	if (b->nfiles > 0 && strcmp(b->files[b->nfiles - 1], file) == 0)
		return b->files[b->nfiles - 1];
	b->files = dmo_xreallocarray(b->files, b->nfiles + 1,
	    sizeof(*b->files));
	b->files[b->nfiles] = dmo_xstrdup(file);
	return b->files[b->nfiles++];
}

static void
batch_clear(struct batch *b)
{
	size_t i;

	b->n = 0;
	b->body.len = 0;
	for (i = 0; i < b->nfiles; i++)
		free(b->files[i]);
	b->nfiles = 0;
}

/* Send the batch; its records are then out, rejected, or the run fails. */
static void
batch_send(struct load *L)
{
	struct batch *b = &L->batch;
	struct timespec t0;
	struct dmo_err err;
	char key[33], reason[400];
	long status;
	size_t i;
	int rc;

	if (b->n == 0 || b->sending)
		return;
	b->sending = 1;
	if (b->json) {
		b->body.p[0] = '[';	/* the first record's ',' */
		dmo_buf_addc(&b->body, ']');
	}
	dmo_http_batch_key(L->path, b->seq, b->body.p, b->body.len, key);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = dmo_http_sink_post(b->sink, b->body.p, b->body.len, key, &status,
	    reason, sizeof(reason), &err);
	L->run.target.seconds += since(&t0);
	L->run.target.batches++;
	L->run.target.retries = dmo_http_sink_retries(b->sink);
	b->seq++;
	if (rc == 0) {
		L->run.out += b->n;
		L->run.bytes_out += b->body.len;
		L->run.target.records += b->n;
		L->run.target.committed += b->n;
		/* committed: checkpoint hook */
		checkpoint_committed(L);
	} else if (rc == 1) {
		for (i = 0; i < b->n; i++) {
			dmo_err_set(&err, DMO_EXIT_DATA, &b->recs[i].loc,
			    "batch %llu refused: %s", b->seq, reason);
			dmo_run_reject(&L->run, &err, &b->recs[i], NULL, 0);
		}
		if (L->run.max_pct < 0 && dmo_run_over_limit(&L->run))
			L->stop = 1;
	} else
		target_error(L, &err);
	batch_clear(b);
	b->sending = 0;
}

/*
 * --commit-interval: the input is about to pause; send what is held, so
 * a stream's records do not wait for a full batch.
 */
static void
http_on_wait(void *arg)
{
	struct load *L = arg;

	if (!L->stop && L->batch.n > 0)
		batch_send(L);
}

static void
batch_put(struct load *L, const struct dmo_record *rec)
{
	struct batch *b = &L->batch;
	size_t before = b->body.len;

	/* JSON: ',' before each record; the first becomes '['. */
	if (b->json)
		dmo_buf_addc(&b->body, ',');
	dmo_json_buf_record(&b->body, rec);
	if (!b->json)
		dmo_buf_addc(&b->body, '\n');
	if (b->n > 0 && b->body.len + (b->json ? 1 : 0) > b->max_bytes) {
		/* This record would pass --batch-bytes: send the others. */
		struct dmo_buf rest = DMO_BUF_INIT;

		dmo_buf_add(&rest, b->body.p + before, b->body.len - before);
		b->body.len = before;
		batch_send(L);
		if (L->stop)
			goto out;
		dmo_buf_add(&b->body, rest.p, rest.len);
out:
		dmo_buf_release(&rest);
		if (L->stop)
			return;
	}
	if (b->n == b->cap) {
		b->cap = b->cap == 0 ? 64 : b->cap * 2;
		b->recs = dmo_xreallocarray(b->recs, b->cap, sizeof(*b->recs));
		for (size_t i = b->n; i < b->cap; i++)
			dmo_record_init(&b->recs[i]);
	}
	dmo_record_copy(&b->recs[b->n], rec);
	b->recs[b->n].loc.file = batch_file(b, rec->loc.file);
	if (b->n++ == 0 && L->commit_interval > 0)
		clock_gettime(CLOCK_MONOTONIC, &b->start);
	if (b->n >= b->max_records || b->body.len >= b->max_bytes ||
	    (L->commit_interval > 0 && since(&b->start) >= L->commit_interval))
		batch_send(L);
}

static void
open_http(struct load *L)
{
	struct dmo_err err;

	L->run.target.name = L->target;
	L->batch.sink = dmo_http_sink_new(L->path, &L->http,
	    L->batch.json ? "application/json" : "application/x-ndjson", &err);
	if (L->batch.sink == NULL) {
		dmo_run_error(&L->run, &err);
		exit(dmo_run_finish(&L->run));
	}
	if (L->commit_interval > 0)
		dmo_io_on_wait(http_on_wait, L);
}

/*
 * The end: send the last batch, unless the input failed (a re-run sends
 * everything again with the same keys) or the rejects passed the limit.
 */
static void
finish_http(struct load *L)
{
	struct batch *b = &L->batch;
	size_t i;

	if (!L->failed && !L->stop && !dmo_run_over_limit(&L->run))
		batch_send(L);
	else if (b->n > 0 && !L->target_failed)
		dmo_warnx("%s: last batch of %zu record%s not sent", L->path,
		    b->n, b->n == 1 ? "" : "s");
	batch_clear(b);
	for (i = 0; i < b->cap; i++)
		dmo_record_release(&b->recs[i]);
	free(b->recs);
	free(b->files);
	dmo_buf_release(&b->body);
	dmo_http_sink_free(b->sink);
}

static void
put_record(struct load *L, struct dmo_record *rec)
{
	struct dmo_err err;
	struct timespec t0;
	/*
	 * Reading the clock costs as much as writing a CSV record, so the
	 * first 256 writes are timed, and then one in 256 stands for all.
	 */
	int timed = L->run.in < 256 || (L->run.in & 255) == 255;
	int rc;

	L->run.in++;
	if (L->kind == T_HTTP) {
		batch_put(L, rec);
		return;
	}
	if (timed)
		clock_now(&t0);
	if (L->kind == T_SQLITE)
		rc = dmo_sqlite_write(L->db, rec, &err);
	else if (L->parts != NULL)
		rc = dmo_partition_write(L->parts, rec, &err);
	else if (L->kind == T_PG)
		rc = dmo_pg_write(L->pg, rec, &err);
	else
		rc = dmo_writer_write(L->writer, rec, &err);
	if (timed)
		L->run.target.seconds += since(&t0) *
		    (L->run.in <= 256 ? 1 : 256);
	if (rc == 0) {
		L->run.out++;
		if ((L->kind == T_SQLITE || L->kind == T_PG) &&
		    (L->commit_every > 0 || L->commit_interval > 0))
			maybe_commit(L);
	} else if (rc == -1)
		dmo_run_reject(&L->run, &err, rec, NULL, 0);
	else
		target_error(L, &err);
}

/* An input that cannot be read to its end. */
static void
input_error(struct load *L, const struct dmo_err *err)
{
	dmo_run_error(&L->run, err);
	L->failed = 1;
	/* stdout is a filter: go on with the next file; the others stop. */
	if (L->kind != T_STDOUT)
		L->stop = 1;
}

static void
load_input(struct load *L, const char *path, struct dmo_record *rec)
{
	struct dmo_reader *r;
	struct dmo_err err;
	int rc;

	if ((r = dmo_reader_open(path, &L->ropts, &err)) == NULL) {
		input_error(L, &err);
		return;
	}
	/* An archive without partitions: a member for each input. */
	if (L->kind == T_ARCHIVE && L->popts.nfields == 0 &&
	    dmo_partition_member(L->parts, path, &err) != 0) {
		target_error(L, &err);
		dmo_reader_free(r);
		return;
	}
	L->run.reader = r;
	while (!L->stop) {
		rc = dmo_reader_next(r, rec, &err);
		if (L->stop)
			break;	/* a commit while waiting stopped us */
		dmo_run_tick(&L->run);
		if (rc == DMO_READ_RECORD)
			put_record(L, rec);
		else if (rc == DMO_READ_EOF)
			break;	/* a cut binary stream is DMO_READ_FATAL */
		else if (rc == DMO_READ_BAD)
			dmo_run_reject_read(&L->run, r, &err);
		else if (rc == DMO_READ_CONTROL) {
			const struct dmo_control *c = dmo_reader_control(r);

			if (c->type == DMO_CONTROL_CHECKPOINT &&
			    L->kind != T_STDOUT)
				checkpoint_seen(L, c);
			else if (L->writer != NULL &&
			    dmo_writer_control(L->writer, c, &err) != 0)
				target_error(L, &err);
		} else {
			input_error(L, &err);
			break;
		}
	}
	L->run.reader = NULL;
	L->run.bytes_in += dmo_reader_bytes(r);
	dmo_reader_free(r);
}

/* Why nothing is kept when rejects pass the limit, for the message. */
static void
limit_reason(const struct load *L, char *buf, size_t len)
{
	const struct dmo_run *run = &L->run;

	if (run->max_pct >= 0)
		snprintf(buf, len, "%llu of %llu records rejected, more than "
		    "the %g%% allowed", run->rejected, run->in, run->max_pct);
	else
		snprintf(buf, len, "%llu record%s rejected, more than the %llu "
		    "allowed", run->rejected, run->rejected == 1 ? "" : "s",
		    run->max_rejects);
}

static void
finish_stdout(struct load *L)
{
	struct dmo_err err;

	/*
	 * A binary stream that ended early gets no trailer here either, so
	 * that the next program sees it was cut short.
	 */
	if (!L->failed && dmo_writer_finish(L->writer, &err) != 0)
		target_error(L, &err);
	dmo_writer_free(L->writer);
	L->run.bytes_out = L->out->bytes + L->out->len;
	/* A write error is sticky: report it once. */
	if (dmo_out_close(L->out, &err) != 0 && !L->target_failed)
		dmo_run_error(&L->run, &err);
}

static void
finish_file(struct load *L)
{
	struct dmo_err err;
	char why[160];
	int direct = dmo_atomic_direct(L->atomic);
	struct timespec t0;

	why[0] = '\0';
	if (!L->failed && dmo_run_over_limit(&L->run)) {
		limit_reason(L, why, sizeof(why));
		L->failed = 1;
	}
	clock_now(&t0);
	if (!L->failed && dmo_writer_finish(L->writer, &err) != 0)
		target_error(L, &err);
	dmo_writer_free(L->writer);
	L->run.bytes_out = dmo_atomic_out(L->atomic)->bytes;
	L->run.target.records = L->run.out;
	if (!L->failed && dmo_atomic_commit(L->atomic, &err) == 0) {
		target_time(L, &t0, 1);
		L->run.target.committed = L->run.out;
		L->run.target.batches = 1;
		/* committed: checkpoint hook */
		checkpoint_committed(L);
		return;
	}
	if (L->failed)
		dmo_atomic_abort(L->atomic);
	else
		dmo_run_error(&L->run, &err);	/* the temp is gone */
	if (!direct)
		dmo_warnx("%s: left unchanged%s%s", L->path,
		    *why != '\0' ? ": " : "", why);
}

/* An archive or partitions: everything becomes visible, or nothing. */
static void
finish_parts(struct load *L)
{
	struct dmo_err err;
	char why[160];

	why[0] = '\0';
	if (!L->failed && dmo_run_over_limit(&L->run)) {
		limit_reason(L, why, sizeof(why));
		L->failed = 1;
	}
	if (!L->failed && dmo_partition_commit(L->parts, &err) != 0) {
		dmo_run_error(&L->run, &err);
		L->failed = 1;
	}
	if (L->failed) {
		unsigned long long done = dmo_partition_count(L->parts);

		dmo_partition_abort(L->parts);
		if (done > 0)
			dmo_warnx("%s: %llu partition%s written before the "
			    "failure, the others left unchanged", L->path, done,
			    done == 1 ? "" : "s");
		else
			dmo_warnx("%s: left unchanged%s%s", L->path,
			    *why != '\0' ? ": " : "", why);
	}
	L->run.bytes_out = dmo_partition_bytes(L->parts);
	L->run.target.records = dmo_partition_records(L->parts);
	L->run.target.batches = dmo_partition_files(L->parts);
	L->run.target.seconds = since(&L->tx_start);
	if (!L->failed) {
		L->run.target.committed = L->run.target.records;
		/* committed: checkpoint hook */
		checkpoint_committed(L);
	}
	if (L->run.verbose && !L->failed)
		dmo_warnx("%s: %llu record%s in %llu %s%s", L->path,
		    L->run.target.records, L->run.target.records == 1 ? "" :
		    "s", L->run.target.batches, L->kind == T_ARCHIVE ?
		    "member" : "part file", L->run.target.batches == 1 ? "" :
		    "s");
	dmo_partition_free(L->parts);
	L->parts = NULL;
}

static void
finish_sqlite(struct load *L)
{
	struct dmo_err err;
	unsigned long long pending = dmo_sqlite_pending(L->db);
	unsigned long long committed = dmo_sqlite_committed(L->db);
	char why[160];

	why[0] = '\0';
	if (!L->failed && dmo_run_over_limit(&L->run)) {
		limit_reason(L, why, sizeof(why));
		L->failed = 1;
	}
	if (!L->failed && sqlite_commit(L, &err) != 0) {
		dmo_run_error(&L->run, &err);
		L->failed = 1;
	} else if (!L->failed)
		checkpoint_committed(L);	/* committed: checkpoint hook */
	if (L->failed) {
		if (dmo_sqlite_rollback(L->db, &err) != 0)
			dmo_run_error(&L->run, &err);
		if (committed > 0)
			dmo_warnx("%s: table '%s': rolled back the last %llu "
			    "record%s, %llu committed before%s%s", L->path,
			    L->table, pending, pending == 1 ? "" : "s",
			    committed, *why != '\0' ? ": " : "", why);
		else
			dmo_warnx("%s: table '%s': rolled back, nothing "
			    "loaded%s%s", L->path, L->table,
			    *why != '\0' ? ": " : "", why);
	}
	L->run.target.records = L->run.out;
	L->run.target.committed = dmo_sqlite_committed(L->db);
	dmo_sqlite_close(L->db);
	L->db = NULL;
}

/* The time of archive members: SOURCE_DATE_EPOCH, for reproducible builds. */
static long long
member_time(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	unsigned long long t;

	if (s != NULL && *s != '\0' && dmo_parse_ull(s, &t) == 0 &&
	    t <= 0x7fffffffffffULL)
		return (long long)t;
	return (long long)time(NULL);
}

static void
open_parts(struct load *L)
{
	struct dmo_err err;

	L->popts.path = L->path;
	L->popts.wopts = L->wopts;
	if (L->popts.max_open == 0)
		L->popts.max_open = 64;
	L->popts.mtime = member_time();
	L->run.target.name = L->target;
	clock_gettime(CLOCK_MONOTONIC, &L->tx_start);
	if ((L->parts = dmo_partition_open(&L->popts, &err)) == NULL) {
		dmo_run_error(&L->run, &err);
		exit(dmo_run_finish(&L->run));
	}
}

static void
finish_pg(struct load *L)
{
	struct dmo_err err;
	unsigned long long pending = dmo_pg_pending(L->pg);
	unsigned long long committed = dmo_pg_committed(L->pg);
	char why[160];

	why[0] = '\0';
	if (!L->failed && dmo_run_over_limit(&L->run)) {
		limit_reason(L, why, sizeof(why));
		L->failed = 1;
	}
	if (!L->failed && pg_commit(L) != 0)
		pending = dmo_pg_pending(L->pg);
	if (L->failed) {
		if (dmo_pg_rollback(L->pg, &err) != 0 && !L->target_failed)
			dmo_run_error(&L->run, &err);
		if (committed > 0)
			dmo_warnx("%s: table '%s': rolled back the last %llu "
			    "record%s, %llu committed before%s%s", L->target,
			    L->table, pending, pending == 1 ? "" : "s",
			    committed, *why != '\0' ? ": " : "", why);
		else
			dmo_warnx("%s: table '%s': rolled back, nothing "
			    "loaded%s%s", L->target, L->table,
			    *why != '\0' ? ": " : "", why);
	}
	L->run.target.records = L->run.out;
	dmo_pg_close(L->pg);
	L->pg = NULL;
}

static void
open_target(struct load *L)
{
	struct dmo_err err;

	switch (L->kind) {
	case T_STDOUT:
		dmo_io_grow_pipe(STDOUT_FILENO);
		L->out = dmo_out_new(STDOUT_FILENO, "<stdout>");
		break;
	case T_FILE:
		clock_gettime(CLOCK_MONOTONIC, &L->tx_start);
		if ((L->atomic = dmo_atomic_open(L->path, &err)) == NULL) {
			dmo_run_error(&L->run, &err);
			exit(dmo_run_finish(&L->run));
		}
		L->out = dmo_atomic_out(L->atomic);
		break;
	case T_SQLITE:
	case T_HTTP:
	case T_PG:
		return;
	case T_ARCHIVE:
	case T_PARTS:
		open_parts(L);
		return;
	}
	if ((L->writer = dmo_writer_new(L->out, &L->wopts, &err)) == NULL) {
		dmo_run_error(&L->run, &err);
		dmo_atomic_abort(L->atomic);
		exit(dmo_run_finish(&L->run));
	}
}

static void
open_db(struct load *L, const char **keys, size_t nkeys, const char *mode)
{
	struct dmo_sqlite_opts so;
	struct dmo_err err;

	memset(&so, 0, sizeof(so));
	so.path = L->path;
	so.table = L->table;
	so.mode = DMO_SQLITE_APPEND;
	if (mode == NULL || strcmp(mode, "append") == 0)
		so.mode = DMO_SQLITE_APPEND;
	else if (strcmp(mode, "replace") == 0)
		so.mode = DMO_SQLITE_REPLACE;
	else if (strcmp(mode, "upsert") == 0)
		so.mode = DMO_SQLITE_UPSERT;
	else
		dmo_usage_error(&L->run, "option '--mode': not append, replace "
		    "or upsert: %s", dmo_quote(mode, strlen(mode)));
	if (so.mode == DMO_SQLITE_UPSERT && nkeys == 0)
		dmo_usage_error(&L->run, "mode 'upsert' needs option '--key'");
	if (so.mode != DMO_SQLITE_UPSERT && nkeys > 0)
		dmo_usage_error(&L->run, "option '--key' needs '--mode "
		    "upsert'");
	so.keys = keys;
	so.nkeys = nkeys;
	so.notice = notice;
	so.ctx = L;
	dmo_run_start(&L->run);
	if ((L->db = dmo_sqlite_open(&so, &err)) == NULL) {
		dmo_run_error(&L->run, &err);
		exit(dmo_run_finish(&L->run));
	}
	if (L->commit_every > 0 || L->commit_interval > 0)
		dmo_io_on_wait(on_wait, L);
}

/* The request options (http.h); 1 when ch was one of them. */
static int
http_option(struct load *L, int ch, const char *arg)
{
	struct dmo_err err;

	switch (dmo_http_option(&L->http, ch, arg, &err)) {
	case 1:
		return 1;
	case 0:
		return 0;
	}
	if (err.loc.file != NULL) {
		dmo_report(&err);
		exit(err.code);
	}
	dmo_usage_error(&L->run, "%s", err.msg);
}

static void
open_pg(struct load *L, const char **keys, size_t nkeys, const char *mode)
{
	struct dmo_pg_opts po;
	struct dmo_err err;

	memset(&po, 0, sizeof(po));
	po.operand = L->target;
	po.uri = L->pguri;
	po.schema = L->schema;
	po.table = L->table;
	if (mode == NULL || strcmp(mode, "append") == 0)
		po.mode = DMO_PG_APPEND;
	else if (strcmp(mode, "replace") == 0)
		po.mode = DMO_PG_REPLACE;
	else if (strcmp(mode, "upsert") == 0)
		po.mode = DMO_PG_UPSERT;
	else
		dmo_usage_error(&L->run, "option '--mode': not append, replace "
		    "or upsert: %s", dmo_quote(mode, strlen(mode)));
	if (po.mode == DMO_PG_UPSERT && nkeys == 0)
		dmo_usage_error(&L->run, "mode 'upsert' needs option '--key'");
	if (po.mode != DMO_PG_UPSERT && nkeys > 0)
		dmo_usage_error(&L->run, "option '--key' needs '--mode "
		    "upsert'");
	po.keys = keys;
	po.nkeys = nkeys;
	po.notice = notice;
	po.ctx = L;
	L->run.target.name = L->target;
	dmo_run_start(&L->run);
	if ((L->pg = dmo_pg_open(&po, &err)) == NULL) {
		dmo_run_error(&L->run, &err);
		exit(dmo_run_finish(&L->run));
	}
	if (L->commit_every > 0 || L->commit_interval > 0)
		dmo_io_on_wait(on_wait, L);
}

int
main(int argc, char *argv[])
{
	struct load L;
	struct opts o;
	struct dmo_record rec;
	const char **keys = NULL;
	static char dash[] = "-";
	char *default_input[] = { dash, NULL };
	char **inputs;
	size_t nkeys = 0, i;
	int ch;

	dmo_setprogname(argv[0]);
	memset(&L, 0, sizeof(L));
	memset(&o, 0, sizeof(o));
	dmo_run_init(&L.run, synopsis, help);
	L.ropts.header = -1;
	L.ropts.warn = dmo_run_warn;
	dmo_http_opts_init(&L.http);

	while ((ch = getopt_long(argc, argv, "Bd:f:hk:m:vV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'B':
			o.binary = 1;
			break;
		case 'd':
			o.delim = optarg;
			break;
		case 'f':
			o.format = optarg;
			break;
		case 'k':
			o.keys = optarg;
			break;
		case 'm':
			o.mode = optarg;
			break;
		case OPT_BATCH_BYTES:
			o.batch_bytes = optarg;
			break;
		case OPT_BATCH_SIZE:
			o.batch_size = optarg;
			break;
		case OPT_BODY:
			o.body = optarg;
			break;
		case OPT_COMMIT_EVERY:
			o.commit_every = optarg;
			break;
		case OPT_COMMIT_INTERVAL:
			o.commit_interval = optarg;
			break;
		case OPT_FORMULA_ESCAPE:
			o.formula_escape = 1;
			break;
		case OPT_NO_HEADER:
			o.no_header = 1;
			break;
		case OPT_KEEP_PARTITION_FIELDS:
			o.keep_partition_fields = 1;
			break;
		case OPT_MAX_OPEN_FILES:
			o.max_open_files = optarg;
			break;
		case OPT_PARTITION_BY:
			o.partition_by = optarg;
			break;
		case OPT_STATE:
			L.state_arg = optarg;
			break;
		default:
			if (http_option(&L, ch, optarg))
				break;
			if (!dmo_run_read_option(&L.run, &L.ropts, ch, optarg) &&
			    !dmo_run_option(&L.run, ch, optarg))
				dmo_usage_error(&L.run, NULL);
			break;
		}
	}
	argc -= optind;
	argv += optind;

	inputs = argc > 1 ? argv + 1 : default_input;
	parse_target(&L, argc > 0 ? argv[0] : "-", &o, inputs[0]);
	check_options(&L, &o);
	if (L.state_arg != NULL) {
		struct dmo_err err;

		if (L.kind == T_STDOUT)
			usage_conflict(&L, "--state", "needs a target that "
			    "commits: the standard output never does");
		if ((L.state = dmo_state_path(L.state_arg, &err)) == NULL) {
			dmo_report(&err);
			exit(err.code);
		}
	}
	if (o.keys != NULL)
		keys = split_keys(&L, o.keys, &nkeys);
	if (L.kind != T_STDOUT) {
		L.run.output_elsewhere = 1;
		L.run.target.name = L.target;
		L.run.target.batch = L.kind == T_SQLITE || L.kind == T_PG ?
		    "transaction" :
		    L.kind == T_HTTP ? "request" : L.kind == T_ARCHIVE ?
		    "member" : "file";
	}
	if (L.kind == T_SQLITE)
		open_db(&L, keys, nkeys, o.mode);
	else if (L.kind == T_HTTP) {
		dmo_run_start(&L.run);
		open_http(&L);
	} else if (L.kind == T_PG)
		open_pg(&L, keys, nkeys, o.mode);
	else {
		dmo_run_start(&L.run);
		open_target(&L);
	}

	dmo_record_init(&rec);
	for (i = 0; inputs[i] != NULL && !L.stop; i++)
		load_input(&L, inputs[i], &rec);
	dmo_record_release(&rec);

	switch (L.kind) {
	case T_STDOUT:
		finish_stdout(&L);
		break;
	case T_FILE:
		finish_file(&L);
		break;
	case T_SQLITE:
		finish_sqlite(&L);
		break;
	case T_ARCHIVE:
	case T_PARTS:
		finish_parts(&L);
		break;
	case T_HTTP:
		finish_http(&L);
		break;
	case T_PG:
		finish_pg(&L);
		break;
	}
	for (i = 0; i < L.popts.nfields; i++)
		free((void *)L.popts.fields[i]);
	free((void *)L.popts.fields);
	dmo_http_opts_release(&L.http);
	for (i = 0; i < nkeys; i++)
		free((void *)keys[i]);
	free(keys);
	if (L.state != NULL && L.cp_saved == 0 && !L.cp_off &&
	    L.run.status == 0) {
		struct dmo_err err;
		struct dmo_loc loc = { L.state_arg, 0, 0 };

		dmo_err_set(&err, 0, &loc, "no checkpoint was committed, so "
		    "the state file is left as it was (is the input NDJSON? "
		    "dmo-extract needs -B or DMO_WIRE=binary)");
		dmo_run_warn(&err);
	}
	free(L.state);
	dmo_buf_release(&L.cp);
	free(L.path);
	free(L.table);
	free(L.pguri);
	free(L.schema);
	return dmo_run_finish(&L.run);
}
