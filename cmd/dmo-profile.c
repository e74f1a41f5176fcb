/* dmo-profile - describe data in one pass: profiles, schemas, snapshots. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "checks.h"
#include "cli.h"
#include "json.h"
#include "profile.h"
#include "report.h"

static const char synopsis[] =
    "usage: dmo-profile [-mv] [-d delim] [-f format] [--emit-schema file] "
    "[--every N|T] [--state file] [file ...]";

static const char help[] =
    "Profile records in one pass with bounded memory: per field the count,\n"
    "nulls, empties, types, distinct values, min, max, mean, standard\n"
    "deviation, quantiles, histogram, top values, lengths, patterns,\n"
    "leading zeros and date formats.  Reads CSV, TSV, NDJSON, JSON and\n"
    "binary frames from files or stdin.\n"
    "\n"
    "  -d, --delimiter CHAR       CSV input delimiter (default: sniffed)\n"
    "  -f, --format FORMAT        output: table (default on a terminal), json\n"
    "                             (default otherwise), markdown, html\n"
    "  -m, --merge                the operands are saved states: merge them\n"
    "      --check RULES          check the data against a rules file; the\n"
    "                             check report replaces the profile\n"
    "      --duplicate-keys POLICY  repeated field names: reject, first, last\n"
    "      --emit-schema FILE     write a dmo-clean schema inferred from the data\n"
    "      --every N|T            print a snapshot every N records or T (10s)\n"
    "      --exact-limit N        distinct values counted exactly (default 10000)\n"
    "      --invalid-utf8 POLICY  bytes that are not UTF-8: reject, replace\n"
    "      --max-record-size SIZE  longest record read (default 256M)\n"
    "      --max-rejects N|P%     rejected records allowed (default 0)\n"
    "      --no-progress          show no progress, even on a terminal\n"
    "      --now TIME             max_age rules measure from TIME, not the clock\n"
    "      --progress             show progress even when stderr is not a terminal\n"
    "      --rejects FILE         write rejected records with reasons to FILE\n"
    "      --report FILE          also write the profile as an HTML page to FILE\n"
    "      --state FILE           save the profile with its sketches to FILE\n"
    "      --stats FILE           write the run summary (JSON) to FILE\n"
    "      --top N                top values and patterns listed (default 10)\n"
    "  -h, --help                 show this help and exit\n"
    "  -v, --verbose              print the run summary on stderr\n"
    "  -V, --version              show the version and exit\n"
    "\n"
    "Exit status: 0 ok, 1 rejects beyond the limit or a check failed, 2 usage,\n"
    "3 I/O error.\n";

enum {
	OPT_EMIT_SCHEMA = DMO_OPT_PROGRAM_BASE,
	OPT_EVERY,
	OPT_EXACT_LIMIT,
	OPT_STATE,
	OPT_TOP
};

/* The report's and the checks' options. */
enum {
	OPT_CHECK = DMO_OPT_PROGRAM_BASE + 50,
	OPT_NOW,
	OPT_REPORT
};

static const struct option longopts[] = {
	{ "check",		required_argument,	NULL, OPT_CHECK },
	{ "delimiter",		required_argument,	NULL, 'd' },
	{ "duplicate-keys",	required_argument,	NULL, DMO_OPT_DUPLICATE_KEYS },
	{ "emit-schema",	required_argument,	NULL, OPT_EMIT_SCHEMA },
	{ "every",		required_argument,	NULL, OPT_EVERY },
	{ "exact-limit",	required_argument,	NULL, OPT_EXACT_LIMIT },
	{ "format",		required_argument,	NULL, 'f' },
	{ "invalid-utf8",	required_argument,	NULL, DMO_OPT_INVALID_UTF8 },
	{ "max-record-size",	required_argument,	NULL, DMO_OPT_MAX_RECORD_SIZE },
	{ "merge",		no_argument,		NULL, 'm' },
	{ "now",		required_argument,	NULL, OPT_NOW },
	{ "report",		required_argument,	NULL, OPT_REPORT },
	{ "state",		required_argument,	NULL, OPT_STATE },
	{ "top",		required_argument,	NULL, OPT_TOP },
	DMO_COMMON_LONGOPTS,
	{ NULL,			0,			NULL, 0 }
};

/* Output formats; the report engineer adds html to this list. */
enum outfmt {
	OUT_TABLE,
	OUT_JSON,
	OUT_MARKDOWN,
	OUT_HTML
};

struct prof {
	struct dmo_run		 run;
	struct dmo_read_opts	 ropts;
	struct dmo_profile_opts	 popts;
	struct dmo_profile	*p;
	struct dmo_record	 rec;
	struct dmo_out		*out;
	enum outfmt		 format;
	int			 merge;
	const char		*state_path;
	const char		*schema_path;
	unsigned long long	 every_n;	/* snapshot every N records */
	double			 every_s;	/* or every T seconds */
	struct timespec		 last_snap;
	struct dmo_reader	*reader;	/* the input being read */
	unsigned long long	 snaps;
};

/* --check, --now, --report (common/checks.c, common/report.c). */
static struct {
	const char		*check_path;
	struct dmo_checks	*checks;
	const char		*report_path;
	double			 now;
	int			 has_now;
	struct dmo_buf		 title;		/* the inputs, for the page */
} ck;

static void
put(struct prof *x, const struct dmo_buf *b)
{
	struct dmo_err err;

	dmo_out_write(x->out, b->p, b->len);
	if (dmo_out_flush(x->out, &err) != 0)
		dmo_run_write_failed(&x->run, &err);
}

/* The profile as an HTML page, appended to b. */
static void
render_html(struct prof *x, struct dmo_buf *b)
{
	struct dmo_doc *d = dmo_profile_doc(x->p);
	struct dmo_doc *c = ck.checks != NULL ? dmo_checks_json(ck.checks) :
	    NULL;
	struct dmo_err err;

	if (dmo_report_html(b, d, c, ck.title.len > 0 ?
	    dmo_buf_cstr(&ck.title) : NULL, &err) != 0) {
		dmo_report(&err);
		dmo_run_status(&x->run, err.code);
	}
	dmo_doc_free(c);
	dmo_doc_free(d);
}

/* Print the profile in the format asked for (snapshot: one of many). */
static void
print_profile(struct prof *x, int snapshot)
{
	struct dmo_buf b = DMO_BUF_INIT;

	if (x->reader != NULL)
		dmo_profile_end_input(x->p, dmo_reader_bytes(x->reader));
	switch (x->format) {
	case OUT_JSON:
		/* With --every, each profile is one line: NDJSON. */
		dmo_profile_json(x->p, &b, x->every_n == 0 && x->every_s == 0);
		if (x->every_n > 0 || x->every_s > 0)
			dmo_buf_addc(&b, '\n');
		break;
	case OUT_TABLE:
	case OUT_MARKDOWN:
		if (x->snaps > 0 || snapshot)
			dmo_buf_printf(&b, "%s%s after %llu records\n\n",
			    x->snaps > 0 ? "\n" : "",
			    snapshot ? "snapshot" : "profile",
			    dmo_profile_records(x->p));
		dmo_profile_table(x->p, &b, x->format == OUT_MARKDOWN);
		break;
	case OUT_HTML:
		render_html(x, &b);
		break;
	}
	put(x, &b);
	dmo_buf_release(&b);
	x->snaps++;
}

static double
since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) +
	    (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void
snapshot_due(struct prof *x)
{
	if (x->every_n > 0 && dmo_profile_records(x->p) % x->every_n == 0)
		print_profile(x, 1);
	else if (x->every_s > 0 && since(&x->last_snap) >= x->every_s) {
		print_profile(x, 1);
		clock_gettime(CLOCK_MONOTONIC, &x->last_snap);
	}
}

/* When the input pauses, a snapshot that is due goes out at once. */
static void
on_wait(void *arg)
{
	struct prof *x = arg;

	if (x->every_s > 0 && dmo_profile_records(x->p) > 0 &&
	    since(&x->last_snap) >= x->every_s) {
		print_profile(x, 1);
		clock_gettime(CLOCK_MONOTONIC, &x->last_snap);
	}
}

static void
profile_one(struct prof *x, const char *path)
{
	struct dmo_reader *r;
	struct dmo_err err;
	int rc;

	if ((r = dmo_reader_open(path, &x->ropts, &err)) == NULL) {
		dmo_run_error(&x->run, &err);
		return;
	}
	dmo_profile_begin_input(x->p, dmo_reader_source(r));
	x->reader = r;
	x->run.reader = r;
	while ((rc = dmo_reader_next(r, &x->rec, &err)) != DMO_READ_EOF) {
		dmo_run_tick(&x->run);
		if (rc == DMO_READ_RECORD) {
			x->run.in++;
			dmo_profile_add(x->p, &x->rec);
			x->run.out++;
			/* checks: per record */
			if (ck.checks != NULL)
				dmo_checks_record(ck.checks, &x->rec);
			if (x->every_n > 0 || x->every_s > 0)
				snapshot_due(x);
		} else if (rc == DMO_READ_CONTROL)
			continue;	/* nothing passes on: this is the end */
		else if (rc == DMO_READ_BAD)
			dmo_run_reject_read(&x->run, r, &err);
		else
			dmo_run_error(&x->run, &err);
	}
	x->run.bytes_in += dmo_reader_bytes(r);
	dmo_profile_end_input(x->p, dmo_reader_bytes(r));
	x->reader = NULL;
	x->run.reader = NULL;
	dmo_reader_free(r);
}

/* Judge the rules (their results go on the page too). */
static size_t
judge_checks(struct prof *x)
{
	struct dmo_doc *d = dmo_profile_doc(x->p);
	size_t failed = dmo_checks_finish(ck.checks, d);

	dmo_doc_free(d);
	return failed;
}

/* Write the check report in place of the profile. */
static void
run_checks(struct prof *x, size_t failed, int json)
{
	struct dmo_buf b = DMO_BUF_INIT;

	if (json) {
		struct dmo_doc *r = dmo_checks_json(ck.checks);
		char *text = dmo_doc_dump(r);

		dmo_buf_adds(&b, text);
		dmo_buf_addc(&b, '\n');
		free(text);
		dmo_doc_free(r);
	} else
		dmo_checks_text(ck.checks, &b);
	put(x, &b);
	dmo_buf_release(&b);
	if (failed > 0) {
		dmo_warnx("%s: %zu of %zu checks failed", ck.check_path,
		    failed, dmo_checks_count(ck.checks));
		dmo_run_status(&x->run, DMO_EXIT_DATA);
	}
}

/* Merge saved states into x->p; a bad one is reported and stops the run. */
static void
merge_states(struct prof *x, int argc, char **argv)
{
	struct dmo_err err;
	int i;

	for (i = 0; i < argc; i++) {
		struct dmo_doc *d = dmo_doc_load(argv[i], &err);
		struct dmo_profile *s;

		if (d == NULL) {
			dmo_report(&err);
			dmo_run_status(&x->run, err.code);
			exit(dmo_run_finish(&x->run));
		}
		s = dmo_profile_from_state(d, strcmp(argv[i], "-") == 0 ?
		    "<stdin>" : argv[i], &err);
		dmo_doc_free(d);
		if (s == NULL) {
			dmo_report(&err);
			dmo_run_status(&x->run, err.code);
			exit(dmo_run_finish(&x->run));
		}
		if (x->p == NULL)
			x->p = s;
		else {
			if (dmo_profile_merge(x->p, s, &err) != 0) {
				dmo_profile_free(s);
				err.loc.file = argv[i];
				dmo_report(&err);
				dmo_run_status(&x->run, err.code);
				exit(dmo_run_finish(&x->run));
			}
			dmo_profile_free(s);
		}
	}
	x->run.in = x->run.out = dmo_profile_records(x->p);
}

/* Write text to path atomically; a failure is status 3. */
static void
write_file(struct prof *x, const char *path, const struct dmo_buf *b)
{
	struct dmo_atomic *a;
	struct dmo_err err;

	if ((a = dmo_atomic_open(path, &err)) == NULL) {
		dmo_report(&err);
		dmo_run_status(&x->run, DMO_EXIT_IO);
		return;
	}
	dmo_out_write(dmo_atomic_out(a), b->p, b->len);
	if (dmo_atomic_commit(a, &err) != 0) {
		/* The handle and the name it lent to err are gone. */
		err.loc.file = path;
		dmo_report(&err);
		dmo_run_status(&x->run, DMO_EXIT_IO);
	}
}

static unsigned long long
parse_count(struct prof *x, const char *opt, const char *arg)
{
	unsigned long long n;

	if (dmo_parse_ull(arg, &n) != 0 || n == 0)
		dmo_usage_error(&x->run, "option '%s': not a positive count: %s",
		    opt, dmo_quote(arg, strlen(arg)));
	return n;
}

static void
parse_every(struct prof *x, const char *arg)
{
	unsigned long long n;
	double s;

	if (dmo_parse_ull(arg, &n) == 0 && n > 0)
		x->every_n = n;
	else if (dmo_parse_seconds(arg, &s) == 0 && s > 0 &&
	    strspn(arg, "0123456789") != strlen(arg))
		x->every_s = s;
	else
		dmo_usage_error(&x->run, "option '--every': not a count or a "
		    "duration: %s", dmo_quote(arg, strlen(arg)));
}

int
main(int argc, char *argv[])
{
	static struct prof x;
	const char *format = NULL;
	size_t failed = 0;
	int ch;

	dmo_setprogname(argv[0]);
	dmo_run_init(&x.run, synopsis, help);
	x.ropts.header = -1;
	x.ropts.warn = dmo_run_warn;
	while ((ch = getopt_long(argc, argv, "d:f:hmvV", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'd':
			if (dmo_parse_char(optarg, &x.ropts.delim) != 0 ||
			    x.ropts.delim < 0 || x.ropts.delim == '"')
				dmo_usage_error(&x.run, "option '--delimiter': "
				    "not a single character: %s",
				    dmo_quote(optarg, strlen(optarg)));
			break;
		case 'f':
			format = optarg;
			break;
		case 'm':
			x.merge = 1;
			break;
		case OPT_CHECK:
			ck.check_path = optarg;
			break;
		case OPT_NOW:
			if (dmo_checks_parse_time(optarg, strlen(optarg),
			    &ck.now) != 0)
				dmo_usage_error(&x.run, "option '--now': not a "
				    "timestamp (2026-01-31T12:00:00Z, @SECONDS): "
				    "%s", dmo_quote(optarg, strlen(optarg)));
			ck.has_now = 1;
			break;
		case OPT_REPORT:
			if (*optarg == '\0')
				dmo_usage_error(&x.run, "option '--report': "
				    "empty file name");
			ck.report_path = optarg;
			break;
		case OPT_EMIT_SCHEMA:
			if (*optarg == '\0')
				dmo_usage_error(&x.run, "option "
				    "'--emit-schema': empty file name");
			x.schema_path = optarg;
			break;
		case OPT_EVERY:
			parse_every(&x, optarg);
			break;
		case OPT_EXACT_LIMIT:
			x.popts.exact_limit = (size_t)parse_count(&x,
			    "--exact-limit", optarg);
			if (x.popts.exact_limit > 10000000)
				dmo_usage_error(&x.run, "option "
				    "'--exact-limit': more than 10000000: %s",
				    dmo_quote(optarg, strlen(optarg)));
			break;
		case OPT_STATE:
			if (*optarg == '\0')
				dmo_usage_error(&x.run, "option '--state': "
				    "empty file name");
			x.state_path = optarg;
			break;
		case OPT_TOP:
			x.popts.top = (size_t)parse_count(&x, "--top", optarg);
			if (x.popts.top > 1000)
				dmo_usage_error(&x.run, "option '--top': more "
				    "than 1000: %s", dmo_quote(optarg,
				    strlen(optarg)));
			break;
		default:
			if (!dmo_run_read_option(&x.run, &x.ropts, ch, optarg) &&
			    !dmo_run_option(&x.run, ch, optarg))
				dmo_usage_error(&x.run, NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (format == NULL)
		x.format = isatty(STDOUT_FILENO) ? OUT_TABLE : OUT_JSON;
	else if (strcmp(format, "json") == 0)
		x.format = OUT_JSON;
	else if (strcmp(format, "table") == 0)
		x.format = OUT_TABLE;
	else if (strcmp(format, "markdown") == 0)
		x.format = OUT_MARKDOWN;
	else if (strcmp(format, "html") == 0)
		x.format = OUT_HTML;
	else
		dmo_usage_error(&x.run, "option '--format': not table, json, "
		    "markdown or html: %s", dmo_quote(format, strlen(format)));
	if (x.format == OUT_HTML && (x.every_n > 0 || x.every_s > 0))
		dmo_usage_error(&x.run, "options '--format html' and '--every' "
		    "cannot be used together");
	if (ck.check_path != NULL && format != NULL &&
	    x.format != OUT_JSON && x.format != OUT_TABLE)
		dmo_usage_error(&x.run, "option '--check': the check report is "
		    "text (--format table) or json, not %s", format);
	if (ck.check_path != NULL && x.merge)
		dmo_usage_error(&x.run, "options '--check' and '--merge' cannot "
		    "be used together: checks read the records");
	if (ck.check_path != NULL && (x.every_n > 0 || x.every_s > 0))
		dmo_usage_error(&x.run, "options '--check' and '--every' cannot "
		    "be used together");
	if (ck.has_now && ck.check_path == NULL)
		dmo_usage_error(&x.run, "option '--now' needs '--check'");
	if (ck.check_path != NULL) {
		struct dmo_err err;

		if ((ck.checks = dmo_checks_load(ck.check_path, &err)) ==
		    NULL) {
			dmo_report(&err);
			exit(err.code);
		}
		if (ck.has_now)
			dmo_checks_set_now(ck.checks, ck.now);
	}
	{
		int i;

		for (i = 0; i < argc; i++) {
			if (i > 0)
				dmo_buf_adds(&ck.title, ", ");
			dmo_buf_adds(&ck.title, strcmp(argv[i], "-") == 0 ?
			    "<stdin>" : argv[i]);
		}
	}
	if (x.merge && argc == 0)
		dmo_usage_error(&x.run, "option '--merge' needs state files");
	if (x.merge && (x.every_n > 0 || x.every_s > 0))
		dmo_usage_error(&x.run, "options '--merge' and '--every' cannot "
		    "be used together");
	if (x.merge && (x.popts.exact_limit > 0 || x.popts.top > 0))
		dmo_usage_error(&x.run, "option '--merge' takes the options of "
		    "the states: no '--exact-limit' or '--top'");

	dmo_run_start(&x.run);
	dmo_io_grow_pipe(STDIN_FILENO);
	x.out = dmo_out_new(STDOUT_FILENO, "<stdout>");
	if (x.merge)
		merge_states(&x, argc, argv);
	else {
		x.p = dmo_profile_new(&x.popts);
		dmo_record_init(&x.rec);
		clock_gettime(CLOCK_MONOTONIC, &x.last_snap);
		if (x.every_s > 0)
			dmo_io_on_wait(on_wait, &x);
		if (argc == 0)
			profile_one(&x, "-");
		for (; argc > 0; argc--, argv++)
			profile_one(&x, *argv);
		dmo_record_release(&x.rec);
	}
	/* checks: at the end */
	if (ck.checks != NULL)
		failed = judge_checks(&x);
	if (ck.report_path != NULL) {
		struct dmo_buf b = DMO_BUF_INIT;

		render_html(&x, &b);
		write_file(&x, ck.report_path, &b);
		dmo_buf_release(&b);
	}
	if (ck.checks != NULL)
		run_checks(&x, failed, format != NULL && x.format == OUT_JSON);
	else
		print_profile(&x, 0);
	if (x.state_path != NULL) {
		struct dmo_buf b = DMO_BUF_INIT;

		dmo_profile_state(x.p, &b);
		write_file(&x, x.state_path, &b);
		dmo_buf_release(&b);
	}
	if (x.schema_path != NULL) {
		struct dmo_buf b = DMO_BUF_INIT;

		dmo_profile_schema(x.p, &b);
		write_file(&x, x.schema_path, &b);
		dmo_buf_release(&b);
	}
	x.run.bytes_out = x.out->bytes;
	{
		struct dmo_err err;

		if (dmo_out_flush(x.out, &err) != 0)
			dmo_run_write_failed(&x.run, &err);
	}
	dmo_out_free(x.out);
	dmo_profile_free(x.p);
	dmo_checks_free(ck.checks);
	dmo_buf_release(&ck.title);
	return dmo_run_finish(&x.run);
}
