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

#include "atomic.h"
#include "buf.h"
#include "cli.h"
#include "err.h"
#include "exitcode.h"
#include "format.h"
#include "io.h"
#include "pg.h"
#include "record.h"
#include "sqlite.h"

static const char synopsis[] =
    "usage: dmo-load [-Bv] [-d delim] [-f format] [-k fields] [-m mode] "
    "[target [file ...]]";

static const char help[] =
    "Write records to stdout, to a file (replaced atomically) or into a\n"
    "SQLite or PostgreSQL table.  target is - (stdout, the default), a file\n"
    "named .csv, .tsv, .ndjson, .jsonl or .dmo, csv:PATH, tsv:PATH,\n"
    "ndjson:PATH, binary:PATH, sqlite:PATH#TABLE, or a PostgreSQL URI\n"
    "postgres://...#[SCHEMA.]TABLE.  Input files follow the target.\n"
    "\n"
    "  -B, --binary               write binary frames (dmo-frame(5)) to stdout\n"
    "  -d, --delimiter CHAR       CSV/TSV output delimiter\n"
    "  -f, --format FORMAT        output format: ndjson, csv, tsv, binary\n"
    "  -k, --key FIELDS           comma-separated key fields for --mode upsert\n"
    "  -m, --mode MODE            databases: append (default), replace, upsert\n"
    "      --commit-every N       databases: commit every N records\n"
    "      --commit-interval T    databases: commit at least every T (500ms, 2s)\n"
    "      --duplicate-keys POLICY  repeated field names: reject, first, last\n"
    "      --formula-escape       CSV/TSV: neutralise cells starting with = + - @\n"
    "      --invalid-utf8 POLICY  bytes that are not UTF-8: reject, replace\n"
    "      --max-record-size SIZE  longest record read (default 256M)\n"
    "      --max-rejects N|P%     rejected records allowed (default 0)\n"
    "      --no-header            CSV/TSV: write no header row\n"
    "      --rejects FILE         write rejected records with reasons to FILE\n"
    "      --stats FILE           write the run summary (JSON) to FILE\n"
    "  -h, --help                 show this help and exit\n"
    "  -v, --verbose              report schema changes and the summary\n"
    "  -V, --version              show the version and exit\n";

enum {
	OPT_COMMIT_EVERY = DMO_OPT_PROGRAM_BASE,
	OPT_COMMIT_INTERVAL,
	OPT_FORMULA_ESCAPE,
	OPT_NO_HEADER
};

static const struct option longopts[] = {
	{ "binary",		no_argument,		NULL, 'B' },
	{ "commit-every",	required_argument,	NULL, OPT_COMMIT_EVERY },
	{ "commit-interval",	required_argument,	NULL, OPT_COMMIT_INTERVAL },
	{ "delimiter",		required_argument,	NULL, 'd' },
	{ "duplicate-keys",	required_argument,	NULL, DMO_OPT_DUPLICATE_KEYS },
	{ "format",		required_argument,	NULL, 'f' },
	{ "formula-escape",	no_argument,		NULL, OPT_FORMULA_ESCAPE },
	{ "invalid-utf8",	required_argument,	NULL, DMO_OPT_INVALID_UTF8 },
	{ "key",		required_argument,	NULL, 'k' },
	{ "max-record-size",	required_argument,	NULL, DMO_OPT_MAX_RECORD_SIZE },
	{ "mode",		required_argument,	NULL, 'm' },
	{ "no-header",		no_argument,		NULL, OPT_NO_HEADER },
	DMO_COMMON_LONGOPTS,
	{ NULL,			0,			NULL, 0 }
};

enum target_kind {
	T_STDOUT,
	T_FILE,
	T_SQLITE,
	T_PG
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
	struct dmo_pg		*pg;
	char			*pguri;
	char			*schema;
	unsigned long long	 commit_every;
	double			 commit_interval;
	struct timespec		 tx_start;
	struct timespec		 opened;	/* the database target */
	int			 failed;	/* input incomplete: keep nothing */
	int			 stop;		/* read no more */
	int			 target_failed;	/* and said so */
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

/* Check the options that only some targets take, and parse their values. */
static void
check_options(struct load *L, const struct opts *o)
{
	int db = L->kind == T_SQLITE || L->kind == T_PG;
	int csv = !db &&
	    (L->format == DMO_FMT_CSV || L->format == DMO_FMT_TSV);

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

	if (!db) {
		const struct {
			const char	*given;
			const char	*name;
		} only[] = {
			{ o->mode, "--mode" },
			{ o->keys, "--key" },
			{ o->commit_every, "--commit-every" },
			{ o->commit_interval, "--commit-interval" },
		};
		size_t i;

		for (i = 0; i < sizeof(only) / sizeof(only[0]); i++)
			if (only[i].given != NULL)
				usage_conflict(L, only[i].name, "applies to "
				    "SQLite and PostgreSQL targets only");
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

/* Split -k a,b,c into names. */
static const char **
split_keys(struct load *L, const char *s, size_t *n)
{
	const char **v = NULL;
	const char *p = s, *comma;
	size_t cap = 0;

	/* Before allocating: a usage error exits, and LSan sees a leak. */
	if (*s == '\0' || *s == ',' || s[strlen(s) - 1] == ',' ||
	    strstr(s, ",,") != NULL)
		dmo_usage_error(&L->run, "option '--key': empty field name in "
		    "%s", dmo_quote(s, strlen(s)));
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
 * Every PostgreSQL commit goes through here, periodic or final, so that
 * what follows a commit (the run summary, checkpoints) has one place.
 */
static int
pg_commit(struct load *L)
{
	struct dmo_err err;
	unsigned long long n = dmo_pg_pending(L->pg);

	if (dmo_pg_commit(L->pg, &err) != 0) {
		target_error(L, &err);
		return -1;
	}
	if (n > 0) {
		L->run.target.records += n;
		L->run.target.batches++;
	}
	/* committed: checkpoint hook */
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
	if (dmo_sqlite_commit(L->db, &err) != 0)
		target_error(L, &err);
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
}

static void
put_record(struct load *L, struct dmo_record *rec)
{
	struct dmo_err err;
	int rc;

	L->run.in++;
	if (L->kind == T_SQLITE)
		rc = dmo_sqlite_write(L->db, rec, &err);
	else if (L->kind == T_PG)
		rc = dmo_pg_write(L->pg, rec, &err);
	else
		rc = dmo_writer_write(L->writer, rec, &err);
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
	while (!L->stop) {
		rc = dmo_reader_next(r, rec, &err);
		if (L->stop)
			break;	/* a commit while waiting stopped us */
		if (rc == DMO_READ_RECORD)
			put_record(L, rec);
		else if (rc == DMO_READ_EOF)
			break;	/* a cut binary stream is DMO_READ_FATAL */
		else if (rc == DMO_READ_BAD)
			dmo_run_reject_read(&L->run, r, &err);
		else if (rc == DMO_READ_CONTROL) {
			if (L->writer != NULL && dmo_writer_control(L->writer,
			    dmo_reader_control(r), &err) != 0)
				target_error(L, &err);
		} else {
			input_error(L, &err);
			break;
		}
	}
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

	why[0] = '\0';
	if (!L->failed && dmo_run_over_limit(&L->run)) {
		limit_reason(L, why, sizeof(why));
		L->failed = 1;
	}
	if (!L->failed && dmo_writer_finish(L->writer, &err) != 0)
		target_error(L, &err);
	dmo_writer_free(L->writer);
	L->run.bytes_out = dmo_atomic_out(L->atomic)->bytes;
	if (!L->failed && dmo_atomic_commit(L->atomic, &err) == 0)
		return;
	if (L->failed)
		dmo_atomic_abort(L->atomic);
	else
		dmo_run_error(&L->run, &err);	/* the temp is gone */
	if (!direct)
		dmo_warnx("%s: left unchanged%s%s", L->path,
		    *why != '\0' ? ": " : "", why);
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
	if (!L->failed && dmo_sqlite_commit(L->db, &err) != 0) {
		dmo_run_error(&L->run, &err);
		L->failed = 1;
	}
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
	dmo_sqlite_close(L->db);
	L->db = NULL;
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
	L->run.target.seconds = since(&L->opened);
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
		if ((L->atomic = dmo_atomic_open(L->path, &err)) == NULL) {
			dmo_run_error(&L->run, &err);
			exit(dmo_run_finish(&L->run));
		}
		L->out = dmo_atomic_out(L->atomic);
		break;
	case T_SQLITE:
	case T_PG:
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
	clock_gettime(CLOCK_MONOTONIC, &L->opened);
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
		case DMO_OPT_DUPLICATE_KEYS:
			if (dmo_parse_dup(optarg, &L.ropts.dup) != 0)
				dmo_usage_error(&L.run, "option "
				    "'--duplicate-keys': not reject, first or "
				    "last: %s", dmo_quote(optarg,
				    strlen(optarg)));
			break;
		case DMO_OPT_INVALID_UTF8:
			if (dmo_parse_utf8(optarg, &L.ropts.utf8) != 0)
				dmo_usage_error(&L.run, "option "
				    "'--invalid-utf8': not reject or replace: "
				    "%s", dmo_quote(optarg, strlen(optarg)));
			break;
		case DMO_OPT_MAX_RECORD_SIZE:
			if (dmo_parse_size(optarg, &L.ropts.max_record) != 0 ||
			    L.ropts.max_record == 0)
				dmo_usage_error(&L.run, "option "
				    "'--max-record-size': not a size: %s",
				    dmo_quote(optarg, strlen(optarg)));
			break;
		default:
			if (!dmo_run_option(&L.run, ch, optarg))
				dmo_usage_error(&L.run, NULL);
			break;
		}
	}
	argc -= optind;
	argv += optind;

	inputs = argc > 1 ? argv + 1 : default_input;
	parse_target(&L, argc > 0 ? argv[0] : "-", &o, inputs[0]);
	check_options(&L, &o);
	if (o.keys != NULL)
		keys = split_keys(&L, o.keys, &nkeys);
	if (L.kind == T_SQLITE)
		open_db(&L, keys, nkeys, o.mode);
	else if (L.kind == T_PG)
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
	case T_PG:
		finish_pg(&L);
		break;
	}
	for (i = 0; i < nkeys; i++)
		free((void *)keys[i]);
	free(keys);
	free(L.path);
	free(L.table);
	free(L.pguri);
	free(L.schema);
	return dmo_run_finish(&L.run);
}
