/* dmo-extract - read files, archives and streams into records. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bookmark.h"
#include "cli.h"
#include "http.h"
#include "json.h"

static const char synopsis[] =
    "usage: dmo-extract [-BFHiNv] [-d delim] [-f format] [-m glob] "
    "[-Q sql] [-q quote] [-r policy] [-s field] [file ...]";

static const char help[] =
    "Read CSV, TSV, NDJSON, JSON and binary frames from files, compressed\n"
    "files and archives (or stdin), or from http:// and https:// URLs, and\n"
    "write records as NDJSON on stdout.\n"
    "\n"
    "  -B, --binary              write binary frames (dmo-frame(5)) instead of NDJSON\n"
    "  -d, --delimiter CHAR      CSV field delimiter (default: sniffed among , ; | and tab)\n"
    "  -f, --format FORMAT       input format: csv, tsv, ndjson, json, binary (default: detected)\n"
    "  -F, --follow              keep reading a file as it grows, like tail -F\n"
    "  -H, --header              the first CSV row is a header (default: sniffed)\n"
    "  -i, --infer               type CSV values: numbers, booleans, empty as null\n"
    "  -m, --member GLOB         read only archive members matching GLOB\n"
    "  -N, --no-header           the first CSV row is data; fields are named field1, field2, ...\n"
    "  -Q, --query SQL           the rows to read from a database source (sqlite:PATH, postgres://...)\n"
    "  -q, --quote CHAR          CSV quote character (default \"); none for no quoting\n"
    "  -r, --ragged POLICY       rows with the wrong number of fields: reject, pad, truncate\n"
    "  -s, --source-field NAME   add a field NAME with each record's source (file or archive member)\n"
    "      --since-field FIELD   incremental: send records whose FIELD is at or after\n"
    "                            the bookmark in --state (see INCREMENTAL RUNS)\n"
    "      --state FILE          the bookmark's state file, saved by dmo-load --state\n"
    "      --checkpoint-every N  incremental: a checkpoint every N records as well\n"
    "      --checkpoint-interval T  and every T (2s, 500ms; 1s with -F)\n"
    "      --duplicate-keys POLICY  records with repeated field names: reject, first, last\n"
    "      --invalid-utf8 POLICY    bytes that are not UTF-8: reject, replace\n"
    "      --max-record-size SIZE   longest record accepted (default 256M)\n"
    "      --max-rejects N[%]    rejected records allowed before the status is 1 (default 0)\n"
    "      --rejects FILE        write rejected records with their reasons to FILE (NDJSON)\n"
    "      --stats FILE          write a JSON run summary to FILE\n"
    "      --records PATH        JSON documents: the records are the array at PATH (data.items)\n"
    "      --cursor-field PATH   HTTP: the next page's cursor is the value at PATH of the body\n"
    "      --cursor-param NAME   HTTP: send the cursor in query parameter NAME\n"
    "      --max-pages N         HTTP: read at most N pages\n"
    "      --next-field PATH     HTTP: the next page's URL is the value at PATH of the body\n"
    "      --offset-param NAME   HTTP: page by query parameter NAME=0, N, 2N, ...\n"
    "      --page-param NAME     HTTP: page by query parameter NAME=1, 2, 3, ...\n"
    "      --page-size N         HTTP: records per page for --offset-param\n"
    DMO_HTTP_HELP("")
    "      --progress            show progress even when stderr is not a terminal\n"
    "      --no-progress         show no progress, even on a terminal\n"
    "  -v, --verbose             print the run summary on stderr\n"
    "  -h, --help                print this help and exit\n"
    "  -V, --version             print the version and exit\n"
    "\n"
    "Environment: DMO_WIRE=binary has the effect of -B.\n"
    "Exit status: 0 ok, 1 rejects beyond the limit, 2 usage, 3 I/O error.\n";

/* HTTP sources (http.h); numbered clear of the other options. */
enum {
	OPT_CURSOR_FIELD = DMO_HTTP_OPT_END + 10,
	OPT_CURSOR_PARAM,
	OPT_MAX_PAGES,
	OPT_NEXT_FIELD,
	OPT_OFFSET_PARAM,
	OPT_PAGE_PARAM,
	OPT_PAGE_SIZE,
	OPT_RECORDS
};

/* Numbered apart from other options, so that branches merge cleanly. */
enum {
	OPT_SINCE_FIELD = DMO_OPT_PROGRAM_BASE + 50,
	OPT_STATE,
	OPT_CHECKPOINT_EVERY,
	OPT_CHECKPOINT_INTERVAL
};

static const struct option longopts[] = {
	{ "binary",		no_argument,		NULL, 'B' },
	{ "checkpoint-every",	required_argument,	NULL, OPT_CHECKPOINT_EVERY },
	{ "checkpoint-interval", required_argument,	NULL, OPT_CHECKPOINT_INTERVAL },
	{ "delimiter",		required_argument,	NULL, 'd' },
	{ "duplicate-keys",	required_argument,	NULL, DMO_OPT_DUPLICATE_KEYS },
	{ "follow",		no_argument,		NULL, 'F' },
	{ "format",		required_argument,	NULL, 'f' },
	{ "header",		no_argument,		NULL, 'H' },
	{ "infer",		no_argument,		NULL, 'i' },
	{ "invalid-utf8",	required_argument,	NULL, DMO_OPT_INVALID_UTF8 },
	{ "max-record-size",	required_argument,	NULL, DMO_OPT_MAX_RECORD_SIZE },
	{ "member",		required_argument,	NULL, 'm' },
	{ "no-header",		no_argument,		NULL, 'N' },
	{ "query",		required_argument,	NULL, 'Q' },
	{ "quote",		required_argument,	NULL, 'q' },
	{ "ragged",		required_argument,	NULL, 'r' },
	{ "since-field",	required_argument,	NULL, OPT_SINCE_FIELD },
	{ "source-field",	required_argument,	NULL, 's' },
	{ "cursor-field",	required_argument,	NULL, OPT_CURSOR_FIELD },
	{ "cursor-param",	required_argument,	NULL, OPT_CURSOR_PARAM },
	{ "max-pages",		required_argument,	NULL, OPT_MAX_PAGES },
	{ "next-field",		required_argument,	NULL, OPT_NEXT_FIELD },
	{ "offset-param",	required_argument,	NULL, OPT_OFFSET_PARAM },
	{ "page-param",		required_argument,	NULL, OPT_PAGE_PARAM },
	{ "page-size",		required_argument,	NULL, OPT_PAGE_SIZE },
	{ "records",		required_argument,	NULL, OPT_RECORDS },
	DMO_HTTP_LONGOPTS,
	{ "state",		required_argument,	NULL, OPT_STATE },
	DMO_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

struct extract {
	struct dmo_run		 run;
	struct dmo_read_opts	 ropts;
	struct dmo_http_opts	 http;
	const char		*source_field;
	struct dmo_writer	*w;
	struct dmo_out		*out;
	struct dmo_record	 rec;
	struct dmo_bookmark	*bm;		/* --since-field, or NULL */
};

/*
 * Checkpoints (dmo-extract(1), INCREMENTAL RUNS).  None goes out once a
 * source failed or the rejects passed a count limit: the bookmark must
 * not pass records that were never sent.
 */
static int
checkpoint_ok(struct extract *x)
{
	if (x->run.max_pct < 0 && dmo_run_over_limit(&x->run))
		x->bm->stopped = 1;
	return !x->bm->stopped;
}

static void
send_checkpoint(struct extract *x)
{
	struct dmo_err err;

	if (dmo_writer_control(x->w, dmo_bookmark_checkpoint(x->bm), &err) != 0)
		dmo_run_write_failed(&x->run, &err);
}

static void
bookmark_sent(struct extract *x)
{
	struct dmo_err err;

	if (dmo_bookmark_sent(x->bm, &x->rec, &err))
		dmo_run_warn(&err);
	if (dmo_bookmark_due(x->bm, 0) && checkpoint_ok(x))
		send_checkpoint(x);
}

/* The input pauses: a checkpoint when one is due by the clock. */
static void
on_wait(void *arg)
{
	struct extract *x = arg;
	struct dmo_err err;

	if (dmo_bookmark_due(x->bm, 1) && checkpoint_ok(x)) {
		send_checkpoint(x);
		if (dmo_out_flush(x->out, &err) != 0)
			dmo_run_write_failed(&x->run, &err);
	}
}

static void
emit(struct extract *x, struct dmo_reader *r)
{
	struct dmo_err err;
	int rc;

	if (x->source_field != NULL) {
		const char *src = x->rec.loc.file != NULL ? x->rec.loc.file :
		    dmo_reader_source(r);
		size_t flen = strlen(x->source_field);
		long i = dmo_record_find(&x->rec, x->source_field, flen);

		if (i < 0)
			dmo_record_add(&x->rec, x->source_field, flen,
			    DMO_STRING, src, strlen(src));
		else if (x->ropts.dup == DMO_DUP_REJECT) {
			dmo_err_set(&err, DMO_EXIT_DATA, &x->rec.loc,
			    "duplicate field name '%s'",
			    x->source_field);
			dmo_run_reject(&x->run, &err, &x->rec, NULL, 0);
			return;
		} else if (x->ropts.dup == DMO_DUP_LAST)
			dmo_record_set(&x->rec, (size_t)i, DMO_STRING, src,
			    strlen(src));
		if (dmo_record_finish(&x->rec, x->ropts.dup, &err) != 0) {
			dmo_run_reject(&x->run, &err, NULL, "", 0);
			return;
		}
	}
	rc = dmo_writer_write(x->w, &x->rec, &err);
	if (rc == 0) {
		x->run.out++;
		if (x->bm != NULL)
			bookmark_sent(x);
	} else if (rc == -1) {
		if (err.loc.file == NULL)
			err.loc = x->rec.loc;
		dmo_run_reject(&x->run, &err, &x->rec, NULL, 0);
	} else
		dmo_run_write_failed(&x->run, &err);
}

/*
 * Every source's loop calls these: record_read for each record in
 * x->rec, source_failed when a source cannot be opened or read to its
 * end, so that --since-field and its checkpoints work for all sources.
 */
static void
record_read(struct extract *x, struct dmo_reader *r)
{
	struct dmo_err err;
	int rc;

	if (x->bm != NULL &&
	    (rc = dmo_bookmark_test(x->bm, &x->rec, &err)) <= 0) {
		if (rc < 0) {
			x->run.in++;
			dmo_run_reject(&x->run, &err, &x->rec, NULL, 0);
		}
		return;		/* before the bookmark: not counted in */
	}
	x->run.in++;
	emit(x, r);
}

static void
source_failed(struct extract *x, const struct dmo_err *err)
{
	dmo_run_error(&x->run, err);
	if (x->bm != NULL)
		x->bm->stopped = 1;	/* its records may be after a checkpoint */
}

static void
extract_one(struct extract *x, const char *path)
{
	struct dmo_reader *r;
	struct dmo_err err;
	int rc, direct;

	if ((r = dmo_reader_open(path, &x->ropts, &err)) == NULL) {
		source_failed(x, &err);
		return;
	}
	x->run.reader = r;
	/*
	 * Records that go out unchanged may be written by the source
	 * itself, skipping the record (dmo_reader_next_write).
	 */
	direct = x->bm == NULL && x->source_field == NULL;
	while ((rc = direct ? dmo_reader_next_write(r, x->w, &x->rec, &err) :
	    dmo_reader_next(r, &x->rec, &err)) != DMO_READ_EOF) {
		dmo_run_tick(&x->run);
		if (rc == DMO_READ_WRITTEN) {
			x->run.in++;
			x->run.out++;
		} else if (rc == DMO_READ_RECORD)
			record_read(x, r);
		else if (rc == DMO_READ_WRITE_FAILED)
			dmo_run_write_failed(&x->run, &err);
		else if (rc == DMO_READ_CONTROL) {
			if (dmo_writer_control(x->w, dmo_reader_control(r),
			    &err) != 0)
				dmo_run_write_failed(&x->run, &err);
		} else if (rc == DMO_READ_BAD)
			dmo_run_reject_read(&x->run, r, &err);
		else	/* the next read goes on with the next member, if any */
			source_failed(x, &err);
	}
	x->run.reader = NULL;
	x->run.bytes_in += dmo_reader_bytes(r);
	dmo_reader_free(r);
}

/* Options for HTTP sources and JSON documents; 1 when ch was one. */
static int
http_option(struct extract *x, int ch, const char *arg)
{
	struct dmo_http_opts *o = &x->http;
	struct dmo_err err;
	const char *name = NULL;
	unsigned long long n;

	switch (ch) {
	case OPT_CURSOR_FIELD:
		o->cursor_field = arg;
		name = "--cursor-field";
		break;
	case OPT_CURSOR_PARAM:
		o->cursor_param = arg;
		name = "--cursor-param";
		break;
	case OPT_NEXT_FIELD:
		o->next_field = arg;
		name = "--next-field";
		break;
	case OPT_OFFSET_PARAM:
		o->offset_param = arg;
		name = "--offset-param";
		break;
	case OPT_PAGE_PARAM:
		o->page_param = arg;
		name = "--page-param";
		break;
	case OPT_RECORDS:
		x->ropts.records_path = arg;
		name = "--records";
		break;
	case OPT_MAX_PAGES:
	case OPT_PAGE_SIZE:
		if (dmo_parse_ull(arg, &n) != 0 || n == 0)
			dmo_usage_error(&x->run, "option '%s': not a positive "
			    "count: %s", ch == OPT_MAX_PAGES ? "--max-pages" :
			    "--page-size", dmo_quote(arg, strlen(arg)));
		if (ch == OPT_MAX_PAGES)
			o->max_pages = n;
		else
			o->page_size = n;
		return 1;
	default:
		switch (dmo_http_option(o, ch, arg, &err)) {
		case 1:
			return 1;
		case 0:
			return 0;
		}
		if (err.loc.file != NULL) {
			dmo_report(&err);
			exit(err.code);
		}
		dmo_usage_error(&x->run, "%s", err.msg);
	}
	if (*arg == '\0')
		dmo_usage_error(&x->run, "option '%s': empty name", name);
	return 1;
}

/* One way to find the next page, and what it needs. */
static void
check_paging(struct extract *x)
{
	const struct dmo_http_opts *o = &x->http;
	const char *ways[] = { "--next-field", "--cursor-field",
	    "--page-param", "--offset-param" };
	int given[] = { o->next_field != NULL, o->cursor_field != NULL,
	    o->page_param != NULL, o->offset_param != NULL };
	int first = -1;
	size_t i;

	for (i = 0; i < 4; i++)
		if (given[i]) {
			if (first >= 0)
				dmo_usage_error(&x->run, "options '%s' and "
				    "'%s' cannot be used together", ways[first],
				    ways[i]);
			first = (int)i;
		}
	if ((o->next_field != NULL || o->cursor_field != NULL) &&
	    x->ropts.records_path == NULL)
		dmo_usage_error(&x->run, "option '%s' needs '--records'",
		    o->next_field != NULL ? "--next-field" : "--cursor-field");
	if ((o->cursor_field != NULL) != (o->cursor_param != NULL))
		dmo_usage_error(&x->run, "options '--cursor-field' and "
		    "'--cursor-param' go together");
	if (o->page_size > 0 && o->offset_param == NULL)
		dmo_usage_error(&x->run, "option '--page-size' needs "
		    "'--offset-param'");
}

static void
start_bookmark(struct extract *x, struct dmo_bookmark *bm,
    const char *field, const char *state, const char *every,
    const char *interval)
{
	struct dmo_err err;
	unsigned long long n = 0;
	double secs = 0;

	if (field == NULL)
		dmo_usage_error(&x->run, "option '--state' needs "
		    "'--since-field'");
	if (state == NULL)
		dmo_usage_error(&x->run, "option '--since-field' needs "
		    "'--state'");
	if (every != NULL && dmo_parse_ull(every, &n) != 0)
		dmo_usage_error(&x->run, "option '--checkpoint-every': not a "
		    "count: %s", dmo_quote(every, strlen(every)));
	if (interval != NULL && dmo_parse_seconds(interval, &secs) != 0)
		dmo_usage_error(&x->run, "option '--checkpoint-interval': not "
		    "a duration: %s", dmo_quote(interval, strlen(interval)));
	/* A followed file has no end: checkpoint by the clock. */
	if (interval == NULL && x->ropts.follow)
		secs = 1;
	if (dmo_bookmark_open(bm, field, state, &err) != 0) {
		dmo_report(&err);
		exit(err.code);
	}
	bm->every = n;
	bm->interval = secs;
	x->bm = bm;
	if (bm->interval > 0)
		dmo_io_on_wait(on_wait, x);
}

/* "incremental" in the run summary. */
static void
summarize_bookmark(struct extract *x)
{
	struct dmo_bookmark *bm = x->bm;
	struct dmo_doc *d = dmo_doc_object();

	dmo_doc_set(d, "field", dmo_doc_strn(bm->field, bm->flen));
	dmo_doc_set(d, "from", bm->have_from ?
	    dmo_doc_strn(bm->from.p, bm->from.len) : dmo_doc_null());
	dmo_doc_set(d, "to", bm->have_max ?
	    dmo_doc_strn(bm->max.p, bm->max.len) : bm->have_from ?
	    dmo_doc_strn(bm->from.p, bm->from.len) : dmo_doc_null());
	dmo_doc_set_int(d, "skipped", (long long)bm->skipped);
	dmo_doc_set_int(d, "checkpoints", (long long)bm->checkpoints);
	x->run.extra_name = "incremental";
	x->run.extra = d;
}

/* Database operands: checked before anything is read (dmo-extract(1)). */
static void
check_db_sources(struct extract *x, int argc, char *argv[])
{
	struct dmo_err err;
	int i, rc, any = 0;

	for (i = 0; i < argc; i++) {
		if ((rc = dmo_reader_db_check(argv[i], x->ropts.query,
		    &err)) < 0)
			dmo_usage_error(&x->run, "%s", err.msg);
		if (rc > 0 && x->ropts.follow)
			dmo_usage_error(&x->run, "option '--follow' does not "
			    "apply to a database source");
		any |= rc;
	}
	if (x->ropts.query != NULL && !any)
		dmo_usage_error(&x->run, "option '--query' applies to database "
		    "sources only");
}

int
main(int argc, char *argv[])
{
	static struct extract x;
	static struct dmo_bookmark bm;
	struct dmo_write_opts wopts = { 0 };
	struct dmo_err err;
	int binary = 0, ch, fmt;
	const char *since_field = NULL, *state = NULL;
	const char *cp_every = NULL, *cp_interval = NULL;

	dmo_setprogname(argv[0]);
	dmo_run_init(&x.run, synopsis, help);
	x.ropts.header = -1;
	x.ropts.warn = dmo_run_warn;
	dmo_http_opts_init(&x.http);
	x.ropts.http = &x.http;
	while ((ch = getopt_long(argc, argv, "Bd:Ff:Hihm:NQ:q:r:s:vV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'B':
			binary = 1;
			break;
		case 'd':
			if (dmo_parse_char(optarg, &x.ropts.delim) != 0 ||
			    x.ropts.delim < 0 || x.ropts.delim == '"')
				dmo_usage_error(&x.run, "option '--delimiter': "
				    "not a single character: %s",
				    dmo_quote(optarg, strlen(optarg)));
			break;
		case 'F':
			x.ropts.follow = 1;
			break;
		case 'f':
			if ((fmt = dmo_format_parse(optarg)) < 0)
				dmo_usage_error(&x.run, "option '--format': "
				    "unknown format: %s",
				    dmo_quote(optarg, strlen(optarg)));
			x.ropts.format = (enum dmo_format)fmt;
			break;
		case 'H':
			x.ropts.header = 1;
			break;
		case 'i':
			x.ropts.infer = 1;
			break;
		case 'm':
			x.ropts.member_glob = optarg;
			break;
		case 'N':
			x.ropts.header = 0;
			break;
		case 'Q':
			x.ropts.query = optarg;
			break;
		case 'q':
			if (dmo_parse_char(optarg, &x.ropts.quote) != 0)
				dmo_usage_error(&x.run, "option '--quote': "
				    "not a single character: %s",
				    dmo_quote(optarg, strlen(optarg)));
			break;
		case 'r':
			if (strcmp(optarg, "reject") == 0)
				x.ropts.ragged = DMO_RAGGED_REJECT;
			else if (strcmp(optarg, "pad") == 0)
				x.ropts.ragged = DMO_RAGGED_PAD;
			else if (strcmp(optarg, "truncate") == 0)
				x.ropts.ragged = DMO_RAGGED_TRUNCATE;
			else
				dmo_usage_error(&x.run, "option '--ragged': "
				    "not reject, pad or truncate: %s",
				    dmo_quote(optarg, strlen(optarg)));
			break;
		case 's':
			if (*optarg == '\0')
				dmo_usage_error(&x.run, "option "
				    "'--source-field': empty name");
			x.source_field = optarg;
			break;
		case OPT_SINCE_FIELD:
			if (*optarg == '\0')
				dmo_usage_error(&x.run, "option "
				    "'--since-field': empty name");
			since_field = optarg;
			break;
		case OPT_STATE:
			state = optarg;
			break;
		case OPT_CHECKPOINT_EVERY:
			cp_every = optarg;
			break;
		case OPT_CHECKPOINT_INTERVAL:
			cp_interval = optarg;
			break;
		default:
			if (http_option(&x, ch, optarg))
				break;
			if (!dmo_run_read_option(&x.run, &x.ropts, ch, optarg) &&
			    !dmo_run_option(&x.run, ch, optarg))
				dmo_usage_error(&x.run, NULL);
		}
	}
	argc -= optind;
	argv += optind;
	check_paging(&x);
	if (x.ropts.follow && argc > 1)
		dmo_usage_error(&x.run, "option '--follow' takes one file");
	if (x.ropts.follow && argc == 1 && dmo_http_is_url(argv[0]))
		dmo_usage_error(&x.run, "option '--follow' takes a file, not "
		    "a URL");
	if (since_field != NULL || state != NULL)
		start_bookmark(&x, &bm, since_field, state, cp_every,
		    cp_interval);
	else if (cp_every != NULL || cp_interval != NULL)
		dmo_usage_error(&x.run, "option '--checkpoint-%s' needs "
		    "'--since-field' and '--state'", cp_every != NULL ?
		    "every" : "interval");
	check_db_sources(&x, argc, argv);

	dmo_run_start(&x.run);
	dmo_io_grow_pipe(STDOUT_FILENO);
	x.out = dmo_out_new(STDOUT_FILENO, "<stdout>");
	wopts.format = dmo_wire_format(binary);
	if (x.bm != NULL && wopts.format != DMO_FMT_BINARY) {
		dmo_err_set(&err, 0, NULL, "option '--state': NDJSON output "
		    "carries no checkpoints, so the bookmark will not advance "
		    "(use -B or DMO_WIRE=binary)");
		dmo_run_warn(&err);
	}
	wopts.header = 1;
	if ((x.w = dmo_writer_new(x.out, &wopts, &err)) == NULL)
		dmo_run_write_failed(&x.run, &err);
	dmo_record_init(&x.rec);
	if (argc == 0)
		extract_one(&x, "-");
	for (; argc > 0; argc--, argv++)
		extract_one(&x, *argv);
	if (x.bm != NULL) {
		/* The end of the input: a checkpoint if the run is clean. */
		if (checkpoint_ok(&x) && !dmo_run_over_limit(&x.run))
			send_checkpoint(&x);
		summarize_bookmark(&x);
	}
	if (dmo_writer_finish(x.w, &err) != 0)
		dmo_run_write_failed(&x.run, &err);
	x.run.bytes_out = x.out->bytes;
	dmo_writer_free(x.w);
	dmo_out_free(x.out);
	dmo_record_release(&x.rec);
	dmo_http_opts_release(&x.http);
	if (x.bm != NULL)
		dmo_bookmark_release(x.bm);
	return dmo_run_finish(&x.run);
}
