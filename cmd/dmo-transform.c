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
#include "format.h"
#include "io.h"
#include "record.h"

static const char synopsis[] =
    "usage: dmo-transform [-Bv] [-f progfile] [--on-error policy] "
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
    /* options: lookups and aggregates add theirs here */
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
};

static void __attribute__((noreturn))
write_failed(struct transform *t, const struct dmo_err *err)
{
	dmo_report(err);
	dmo_run_status(&t->run, DMO_EXIT_IO);
	exit(dmo_run_finish(&t->run));
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
		write_failed(t, &err);
	return 0;
}

/* dmo_expr_emit: each record the program produces comes here. */
static int
emitted(void *ctx, struct dmo_record *out, struct dmo_err *err)
{
	struct transform *t = ctx;

	(void)err;
	/* aggregates: after the program */
	return write_out(t, out);
}

/* One record read: lookups, the program, then emitted(). */
static void
process(struct transform *t)
{
	struct dmo_err err;

	/* lookups: before the program */
	if (dmo_expr_run(t->prog, &t->rec, emitted, t, &err) != 0) {
		if (err.loc.file == NULL)
			err.loc = t->rec.loc;
		if (t->stop_on_error) {
			dmo_run_error(&t->run, &err);
			dmo_run_status(&t->run, DMO_EXIT_DATA);
			if (dmo_writer_finish(t->w, &err) != 0)
				write_failed(t, &err);
			exit(dmo_run_finish(&t->run));
		}
		dmo_run_reject(&t->run, &err, &t->rec, NULL, 0);
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
				write_failed(t, &err);
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
	size_t size, len;
	int binary = 0, ch;

	dmo_setprogname(argv[0]);
	dmo_run_init(&t.run, synopsis, help);
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
		case DMO_OPT_DUPLICATE_KEYS:
			if (dmo_parse_dup(optarg, &t.ropts.dup) != 0)
				dmo_usage_error(&t.run, "option "
				    "'--duplicate-keys': not reject, first or "
				    "last: %s", dmo_quote(optarg, strlen(optarg)));
			break;
		case DMO_OPT_INVALID_UTF8:
			if (dmo_parse_utf8(optarg, &t.ropts.utf8) != 0)
				dmo_usage_error(&t.run, "option "
				    "'--invalid-utf8': not reject or replace: %s",
				    dmo_quote(optarg, strlen(optarg)));
			break;
		case DMO_OPT_MAX_RECORD_SIZE:
			if (dmo_parse_size(optarg, &size) != 0 || size == 0)
				dmo_usage_error(&t.run, "option "
				    "'--max-record-size': not a size: %s",
				    dmo_quote(optarg, strlen(optarg)));
			t.ropts.max_record = size;
			break;
		/* options: lookups and aggregates handle theirs here */
		default:
			if (!dmo_run_option(&t.run, ch, optarg))
				dmo_usage_error(&t.run, NULL);
		}
	}
	argc -= optind;
	argv += optind;

	if (progfile != NULL) {
		text = read_progfile(&t, progfile, &len);
		progname = progfile;
	} else {
		if (argc == 0)
			dmo_usage_error(&t.run, "no program given");
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

	dmo_run_start(&t.run);
	dmo_io_grow_pipe(STDOUT_FILENO);
	t.out = dmo_out_new(STDOUT_FILENO, "<stdout>");
	wopts.format = dmo_wire_format(binary);
	wopts.header = 1;
	if ((t.w = dmo_writer_new(t.out, &wopts, &err)) == NULL)
		write_failed(&t, &err);
	dmo_record_init(&t.rec);
	if (argc == 0)
		transform_one(&t, "-");
	for (; argc > 0; argc--, argv++)
		transform_one(&t, *argv);
	/* end of input: aggregates close their windows here */
	if (dmo_writer_finish(t.w, &err) != 0)
		write_failed(&t, &err);
	t.run.bytes_out = t.out->bytes;
	dmo_writer_free(t.w);
	dmo_out_free(t.out);
	dmo_record_release(&t.rec);
	dmo_expr_free(t.prog);
	free(text);
	return dmo_run_finish(&t.run);
}
