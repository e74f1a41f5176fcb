/* dmo-transform - derive, filter and reshape records with a small language. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "exitcode.h"
#include "expr.h"
#include "aggregate.h"
#include "format.h"
#include "io.h"
#include "lookup.h"
#include "record.h"

static const char synopsis[] =
    "usage: dmo-transform [-Bv] [-f progfile] [--on-error policy] "
    "[--lookup source [--on fields]] [--group-by fields] [--agg spec] "
    "[program] [file ...]";

static const char help[] =
    "Run a program of the dmo expression language (dmo-expr(7)) on every\n"
    "record: compute fields, filter with where, drop, keep, rename,\n"
    "reorder, flatten and explode.  The program is the first operand, or\n"
    "the contents of -f progfile; the files (or stdin) follow.\n"
    "\n"
    "  -B, --binary               write binary frames (dmo-frame(5)) instead of NDJSON\n"
    "  -f, --file PROGFILE        read the program from PROGFILE\n"
    "      --on-error POLICY      a run-time error: reject the record (default) or stop\n"
    "      --list-functions       print the names of the language's functions and exit\n"
    "      --duplicate-keys POLICY  repeated field names: reject, first, last\n"
    "      --invalid-utf8 POLICY  bytes that are not UTF-8: reject, replace\n"
    "      --max-record-size SIZE  longest record read (default 256M)\n"
    "\n"
    "Lookups (before the program; --on, --join, --prefix and --lookup-dups\n"
    "apply to the --lookup they follow):\n"
    "      --lookup SOURCE        join with a file or sqlite:DB#TABLE, held in memory\n"
    "      --on FIELDS            key fields: id, a,b, or input=lookup names\n"
    "      --join TYPE            left (default: misses get nulls) or inner (dropped)\n"
    "      --prefix PREFIX        put PREFIX before the names of the added fields\n"
    "      --lookup-dups POLICY   a repeated key in the lookup: error, first, last\n"
    "      --lookup-max SIZE      memory a lookup may take (default 1G)\n"
    "\n"
    "Aggregates (after the program):\n"
    "      --group-by FIELDS      group by the text of these fields\n"
    "      --agg SPEC             aggregates: count,sum(amount),p95(amount),...\n"
    "      --time-field FIELD     the event time, for windows\n"
    "      --window DURATION      window length: 30s, 5m, 1h, 1d\n"
    "      --slide DURATION       a sliding window starts every DURATION\n"
    "      --lateness DURATION    how late an event may come (default 0)\n"
    "With lookups or aggregates alone, the program may be left out when the\n"
    "records come from stdin; before file operands, give '' as the program.\n"
    "\n"
    "      --max-rejects N|P%     rejected records allowed (default 0)\n"
    "      --no-progress          show no progress, even on a terminal\n"
    "      --progress             show progress even when stderr is not a terminal\n"
    "      --rejects FILE         write rejected records with reasons to FILE\n"
    "      --stats FILE           write the run summary (JSON) to FILE\n"
    "  -v, --verbose              print the run summary on stderr\n"
    "  -h, --help                 print this help and exit\n"
    "  -V, --version              print the version and exit\n"
    "\n"
    "Environment: DMO_WIRE=binary has the effect of -B.\n"
    "Exit status: 0 ok, 1 rejects beyond the limit, 2 usage or program\n"
    "error, 3 I/O error.\n";

enum {
	OPT_ON_ERROR = DMO_OPT_PROGRAM_BASE,
	OPT_LIST_FUNCTIONS,
	/* options: lookups and aggregates number theirs from here */
	OPT_LOOKUP,
	OPT_ON,
	OPT_JOIN,
	OPT_PREFIX,
	OPT_LOOKUP_DUPS,
	OPT_LOOKUP_MAX,
	OPT_GROUP_BY,
	OPT_AGG,
	OPT_TIME_FIELD,
	OPT_WINDOW,
	OPT_SLIDE,
	OPT_LATENESS,
	OPT_TRANSFORM_END = DMO_OPT_PROGRAM_BASE + 20
};

static const struct option longopts[] = {
	{ "binary",		no_argument,		NULL, 'B' },
	{ "duplicate-keys",	required_argument,	NULL, DMO_OPT_DUPLICATE_KEYS },
	{ "file",		required_argument,	NULL, 'f' },
	{ "invalid-utf8",	required_argument,	NULL, DMO_OPT_INVALID_UTF8 },
	{ "list-functions",	no_argument,		NULL, OPT_LIST_FUNCTIONS },
	{ "max-record-size",	required_argument,	NULL, DMO_OPT_MAX_RECORD_SIZE },
	{ "on-error",		required_argument,	NULL, OPT_ON_ERROR },
	/* options: lookups and aggregates add theirs here */
	{ "agg",		required_argument,	NULL, OPT_AGG },
	{ "group-by",		required_argument,	NULL, OPT_GROUP_BY },
	{ "join",		required_argument,	NULL, OPT_JOIN },
	{ "lateness",		required_argument,	NULL, OPT_LATENESS },
	{ "lookup",		required_argument,	NULL, OPT_LOOKUP },
	{ "lookup-dups",	required_argument,	NULL, OPT_LOOKUP_DUPS },
	{ "lookup-max",		required_argument,	NULL, OPT_LOOKUP_MAX },
	{ "on",			required_argument,	NULL, OPT_ON },
	{ "prefix",		required_argument,	NULL, OPT_PREFIX },
	{ "slide",		required_argument,	NULL, OPT_SLIDE },
	{ "time-field",		required_argument,	NULL, OPT_TIME_FIELD },
	{ "window",		required_argument,	NULL, OPT_WINDOW },
	DMO_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

struct transform {
	struct dmo_run		 run;
	struct dmo_read_opts	 ropts;
	struct dmo_expr		*prog;
	int			 stop_on_error;	/* --on-error stop */
	struct dmo_writer	*w;
	struct dmo_out		*out;
	struct dmo_record	 rec;
	/* lookups and aggregates keep their state here */
	struct dmo_lookup_opts	*lkopts;	/* one per --lookup */
	struct dmo_lookup	**lk;
	size_t			 nlk;
	size_t			 lookup_max;
	struct dmo_record	 joined[2];	/* lookups' output, in turn */
	struct dmo_agg_opts	 aggopts;
	int			 aggregate;	/* --group-by or --agg given */
	int			 noprog;	/* no program operand */
	int			 stages;	/* a lookup or aggregate option */
	struct dmo_agg		*agg;
	unsigned long long	 produced;	/* records the program made */
};

static int write_out(struct transform *, struct dmo_record *);

/* dmo_agg_add and dmo_agg_finish: write each closed window's records. */
static int
agg_emit(void *ctx, const struct dmo_record *r, struct dmo_err *err)
{
	(void)err;
	return write_out(ctx, (struct dmo_record *)r);
}

/* The record through each lookup in turn; NULL when a join drops it. */
static struct dmo_record *
lookups(struct transform *t, struct dmo_record *rec)
{
	struct dmo_record *out;
	struct dmo_err err;
	size_t i;
	int rc;

	for (i = 0; i < t->nlk; i++) {
		out = &t->joined[i & 1];
		if ((rc = dmo_lookup_apply(t->lk[i], rec, out, &err)) == 0)
			return NULL;
		if (rc < 0) {
			/* A name collision: every record would have it. */
			dmo_report(&err);
			dmo_run_status(&t->run, err.code);
			if (dmo_writer_finish(t->w, &err) != 0)
				dmo_run_write_failed(&t->run, &err);
			exit(dmo_run_finish(&t->run));
		}
		rec = out;
	}
	return rec;
}

/* After the options: load the lookups, set up the aggregation. */
static void
lookups_aggregates_start(struct transform *t)
{
	struct dmo_err err;
	size_t i;

	if (t->aggopts.time_field != NULL && t->aggopts.window_us == 0)
		dmo_usage_error(&t->run, "option '--time-field' needs "
		    "'--window'");
	if (t->aggopts.window_us != 0 && t->aggopts.time_field == NULL)
		dmo_usage_error(&t->run, "option '--window' needs "
		    "'--time-field'");
	if ((t->aggopts.slide_us != 0 || t->aggopts.lateness_us != 0) &&
	    t->aggopts.window_us == 0)
		dmo_usage_error(&t->run, "options '--slide' and '--lateness' "
		    "need '--window'");
	if (t->aggregate || t->aggopts.time_field != NULL) {
		if ((t->agg = dmo_agg_new(&t->aggopts, &err)) == NULL)
			dmo_usage_error(&t->run, "%s", err.msg);
	}
	t->lk = dmo_xcalloc(t->nlk + 1, sizeof(*t->lk));
	for (i = 0; i < t->nlk; i++) {
		t->lkopts[i].max_bytes = t->lookup_max;
		t->lkopts[i].read = &t->ropts;
		if (t->lkopts[i].on == NULL)
			dmo_usage_error(&t->run, "option '--lookup %s' needs "
			    "'--on'", t->lkopts[i].source);
		if ((t->lk[i] = dmo_lookup_open(&t->lkopts[i], &err)) ==
		    NULL) {
			dmo_report(&err);
			exit(err.code);
		}
	}
	dmo_record_init(&t->joined[0]);
	dmo_record_init(&t->joined[1]);
}

/* A duration: dmo_parse_seconds's forms (500ms, 30s, 5m, 1h), and 1d. */
static int
parse_duration(const char *arg, double *secs)
{
	size_t n = strlen(arg);
	char *num;
	int rc;

	if (n < 2 || arg[n - 1] != 'd')
		return dmo_parse_seconds(arg, secs);
	num = dmo_xmemdup(arg, n - 1);
	rc = strchr(num, 'm') != NULL || strchr(num, 's') != NULL ||
	    strchr(num, 'h') != NULL ? -1 : dmo_parse_seconds(num, secs);
	free(num);
	*secs *= 86400;
	return rc;
}

/* The options of lookups and aggregates; 0 when ch is not one. */
static int
lookups_aggregates_option(struct transform *t, int ch, const char *arg)
{
	struct dmo_lookup_opts *lo = t->nlk > 0 ? &t->lkopts[t->nlk - 1] :
	    NULL;
	const char *name = NULL;
	long long *us = NULL;
	double secs;

	if (ch < OPT_LOOKUP || ch > OPT_LATENESS)
		return 0;
	t->stages = 1;
	switch (ch) {
	case OPT_LOOKUP:
		t->lkopts = dmo_xreallocarray(t->lkopts, t->nlk + 1,
		    sizeof(*t->lkopts));
		memset(&t->lkopts[t->nlk], 0, sizeof(*t->lkopts));
		t->lkopts[t->nlk++].source = arg;
		return 1;
	case OPT_ON:
	case OPT_JOIN:
	case OPT_PREFIX:
	case OPT_LOOKUP_DUPS:
		name = ch == OPT_ON ? "on" : ch == OPT_JOIN ? "join" :
		    ch == OPT_PREFIX ? "prefix" : "lookup-dups";
		if (lo == NULL)
			dmo_usage_error(&t->run, "option '--%s' must follow "
			    "a '--lookup'", name);
		break;
	case OPT_LOOKUP_MAX:
		if (dmo_parse_size(arg, &t->lookup_max) != 0 ||
		    t->lookup_max == 0)
			dmo_usage_error(&t->run, "option '--lookup-max': not "
			    "a size: %s", dmo_quote(arg, strlen(arg)));
		return 1;
	case OPT_GROUP_BY:
		t->aggopts.group_by = arg;
		t->aggregate = 1;
		return 1;
	case OPT_AGG:
		t->aggopts.spec = arg;
		t->aggregate = 1;
		return 1;
	case OPT_TIME_FIELD:
		t->aggopts.time_field = arg;
		return 1;
	case OPT_WINDOW:
		us = &t->aggopts.window_us;
		name = "window";
		break;
	case OPT_SLIDE:
		us = &t->aggopts.slide_us;
		name = "slide";
		break;
	case OPT_LATENESS:
		us = &t->aggopts.lateness_us;
		name = "lateness";
		break;
	default:
		return 0;
	}
	if (us != NULL) {
		if (parse_duration(arg, &secs) != 0 || secs > 1e10 ||
		    (ch != OPT_LATENESS && secs * 1e6 < 1))
			dmo_usage_error(&t->run, "option '--%s': not a "
			    "duration: %s", name, dmo_quote(arg, strlen(arg)));
		*us = (long long)(secs * 1e6 + 0.5);
		return 1;
	}
	switch (ch) {
	case OPT_ON:
		lo->on = arg;
		break;
	case OPT_JOIN:
		if (strcmp(arg, "left") == 0)
			lo->join = DMO_LOOKUP_LEFT;
		else if (strcmp(arg, "inner") == 0)
			lo->join = DMO_LOOKUP_INNER;
		else
			dmo_usage_error(&t->run, "option '--join': not left "
			    "or inner: %s", dmo_quote(arg, strlen(arg)));
		break;
	case OPT_PREFIX:
		lo->prefix = arg;
		break;
	default:
		if (strcmp(arg, "error") == 0)
			lo->dups = DMO_LOOKUP_DUPS_ERROR;
		else if (strcmp(arg, "first") == 0)
			lo->dups = DMO_LOOKUP_DUPS_FIRST;
		else if (strcmp(arg, "last") == 0)
			lo->dups = DMO_LOOKUP_DUPS_LAST;
		else
			dmo_usage_error(&t->run, "option '--lookup-dups': not "
			    "error, first or last: %s",
			    dmo_quote(arg, strlen(arg)));
		break;
	}
	return 1;
}

/* Write one record the program produced. */
static int
write_out(struct transform *t, struct dmo_record *out)
{
	struct dmo_err err;
	int rc;

	rc = dmo_writer_write(t->w, out, &err);
	if (rc == 0)
		t->run.out++;
	else if (rc == -1) {
		if (err.loc.file == NULL)
			err.loc = out->loc;
		dmo_run_reject(&t->run, &err, out, NULL, 0);
	} else
		dmo_run_write_failed(&t->run, &err);
	return 0;
}

/* dmo_expr_emit: each record the program produces comes here. */
static int
emitted(void *ctx, struct dmo_record *out, struct dmo_err *err)
{
	struct transform *t = ctx;

	t->produced++;
	/* aggregates: after the program */
	if (t->agg != NULL) {
		switch (dmo_agg_add(t->agg, out, agg_emit, t, err)) {
		case -1:
			if (err->loc.file == NULL)
				err->loc = out->loc;
			dmo_run_reject(&t->run, err, out, NULL, 0);
			break;
		case -2:
			dmo_run_write_failed(&t->run, err);
		default:
			t->run.aggregated++;
			break;
		}
		return 0;
	}
	return write_out(t, out);
}

/* One record read: lookups, the program, then emitted(). */
static void
process(struct transform *t)
{
	struct dmo_err err;
	struct dmo_record *rec = &t->rec;
	unsigned long long before = t->produced;

	/* lookups: before the program */
	if (t->nlk > 0 && (rec = lookups(t, rec)) == NULL) {
		t->run.filtered++;	/* an inner join dropped it */
		return;
	}
	if (t->noprog) {	/* lookups or aggregates alone: no program */
		(void)emitted(t, rec, &err);
		return;
	}
	if (dmo_expr_run(t->prog, rec, emitted, t, &err) == 0) {
		if (t->produced == before)
			t->run.filtered++;
		else
			t->run.added += t->produced - before - 1;
	} else {
		if (err.loc.file == NULL)
			err.loc = rec->loc;
		if (t->stop_on_error) {
			dmo_run_error(&t->run, &err);
			dmo_run_status(&t->run, DMO_EXIT_DATA);
			if (dmo_writer_finish(t->w, &err) != 0)
				dmo_run_write_failed(&t->run, &err);
			exit(dmo_run_finish(&t->run));
		}
		dmo_run_reject(&t->run, &err, rec, NULL, 0);
	}
}

static void
transform_one(struct transform *t, const char *path)
{
	struct dmo_reader *r;
	struct dmo_err err;
	int rc;

	if ((r = dmo_reader_open(path, &t->ropts, &err)) == NULL) {
		dmo_run_error(&t->run, &err);
		return;
	}
	t->run.reader = r;
	while ((rc = dmo_reader_next(r, &t->rec, &err)) != DMO_READ_EOF) {
		if (rc == DMO_READ_RECORD) {
			t->run.in++;
			dmo_run_tick(&t->run);
			process(t);
		} else if (rc == DMO_READ_CONTROL) {
			if (dmo_writer_control(t->w, dmo_reader_control(r),
			    &err) != 0)
				dmo_run_write_failed(&t->run, &err);
		} else if (rc == DMO_READ_BAD)
			dmo_run_reject_read(&t->run, r, &err);
		else
			dmo_run_error(&t->run, &err);
	}
	t->run.bytes_in += dmo_reader_bytes(r);
	t->run.reader = NULL;
	dmo_reader_free(r);
}

/* Read the whole -f file; exits 2 or 3 when it cannot. */
static char *
read_progfile(struct transform *t, const char *path, size_t *len)
{
	struct dmo_buf b = { 0 };
	char chunk[8192];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0) {
		dmo_warn("%s", path);
		exit(DMO_EXIT_USAGE);
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			dmo_warn("%s", path);
			exit(DMO_EXIT_USAGE);
		}
		dmo_buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	(void)t;
	*len = b.len;
	dmo_buf_cstr(&b);
	return b.p != NULL ? b.p : dmo_xstrdup("");
}

/* A compile error: the message, then the line with a caret; exit 2. */
static void __attribute__((noreturn))
compile_failed(const char *text, size_t len, const struct dmo_err *err)
{
	dmo_report(err);
	fputs(dmo_expr_caret(text, len, err), stderr);
	exit(DMO_EXIT_USAGE);
}

int
main(int argc, char *argv[])
{
	static struct transform t;
	struct dmo_write_opts wopts = { 0 };
	struct dmo_err err;
	const char *progfile = NULL, *progname;
	char *text;
	size_t len;
	int binary = 0, ch;

	dmo_setprogname(argv[0]);
	dmo_run_init(&t.run, synopsis, help);
	t.run.report_flow = 1;
	t.ropts.header = -1;
	t.ropts.warn = dmo_run_warn;
	while ((ch = getopt_long(argc, argv, "Bf:hvV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'B':
			binary = 1;
			break;
		case 'f':
			progfile = optarg;
			break;
		case OPT_ON_ERROR:
			if (strcmp(optarg, "reject") == 0)
				t.stop_on_error = 0;
			else if (strcmp(optarg, "stop") == 0)
				t.stop_on_error = 1;
			else
				dmo_usage_error(&t.run, "option '--on-error': "
				    "not reject or stop: %s",
				    dmo_quote(optarg, strlen(optarg)));
			break;
		case OPT_LIST_FUNCTIONS: {
			const char *f;
			size_t i;

			for (i = 0; (f = dmo_expr_function(i)) != NULL; i++)
				printf("%s\n", f);
			exit(dmo_run_finish(&t.run));
		}
		/* options: lookups and aggregates handle theirs here */
		default:
			if (lookups_aggregates_option(&t, ch, optarg))
				break;
			if (!dmo_run_read_option(&t.run, &t.ropts, ch, optarg) &&
			    !dmo_run_option(&t.run, ch, optarg))
				dmo_usage_error(&t.run, NULL);
		}
	}
	argc -= optind;
	argv += optind;

	if (progfile != NULL) {
		text = read_progfile(&t, progfile, &len);
		progname = progfile;
	} else {
		if (argc == 0 && !t.stages)
			dmo_usage_error(&t.run, "no program given");
		if (argc == 0) {	/* lookups or aggregates alone */
			static char *identity[] = { (char *)"", NULL };

			argv = identity;
			argc = 1;
			t.noprog = 1;
		}
		len = strlen(argv[0]);
		text = strdup(argv[0]);
		if (text == NULL)
			dmo_errx(DMO_EXIT_IO, "out of memory");
		progname = "program";
		argc--;
		argv++;
	}
	if ((t.prog = dmo_expr_compile(text, len, progname, &err)) == NULL)
		compile_failed(text, len, &err);

	lookups_aggregates_start(&t);
	dmo_run_start(&t.run);
	dmo_io_grow_pipe(STDOUT_FILENO);
	t.out = dmo_out_new(STDOUT_FILENO, "<stdout>");
	wopts.format = dmo_wire_format(binary);
	wopts.header = 1;
	if ((t.w = dmo_writer_new(t.out, &wopts, &err)) == NULL)
		dmo_run_write_failed(&t.run, &err);
	dmo_record_init(&t.rec);
	if (argc == 0)
		transform_one(&t, "-");
	for (; argc > 0; argc--, argv++)
		transform_one(&t, *argv);
	/* end of input: aggregates close their windows here */
	if (t.agg != NULL && dmo_agg_finish(t.agg, agg_emit, &t, &err) != 0)
		dmo_run_write_failed(&t.run, &err);
	if (dmo_writer_finish(t.w, &err) != 0)
		dmo_run_write_failed(&t.run, &err);
	t.run.bytes_out = t.out->bytes;
	dmo_writer_free(t.w);
	dmo_out_free(t.out);
	dmo_record_release(&t.rec);
	dmo_expr_free(t.prog);
	free(text);
	return dmo_run_finish(&t.run);
}
