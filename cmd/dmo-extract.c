/* dmo-extract - read files, archives and streams into records. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char synopsis[] =
    "usage: dmo-extract [-BFHiNv] [-d delim] [-f format] [-m glob] "
    "[-Q sql] [-q quote] [-r policy] [-s field] [file ...]";

static const char help[] =
    "Read CSV, TSV, NDJSON, JSON and binary frames from files, compressed\n"
    "files and archives (or stdin) and write records as NDJSON on stdout.\n"
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
    "      --duplicate-keys POLICY  records with repeated field names: reject, first, last\n"
    "      --invalid-utf8 POLICY    bytes that are not UTF-8: reject, replace\n"
    "      --max-record-size SIZE   longest record accepted (default 256M)\n"
    "      --max-rejects N[%]    rejected records allowed before the status is 1 (default 0)\n"
    "      --rejects FILE        write rejected records with their reasons to FILE (NDJSON)\n"
    "      --stats FILE          write a JSON run summary to FILE\n"
    "  -v, --verbose             print the run summary on stderr\n"
    "  -h, --help                print this help and exit\n"
    "  -V, --version             print the version and exit\n"
    "\n"
    "Environment: DMO_WIRE=binary has the effect of -B.\n"
    "Exit status: 0 ok, 1 rejects beyond the limit, 2 usage, 3 I/O error.\n";

static const struct option longopts[] = {
	{ "binary",		no_argument,		NULL, 'B' },
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
	{ "source-field",	required_argument,	NULL, 's' },
	DMO_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

struct extract {
	struct dmo_run		 run;
	struct dmo_read_opts	 ropts;
	const char		*source_field;
	struct dmo_writer	*w;
	struct dmo_out		*out;
	struct dmo_record	 rec;
};

static void __attribute__((noreturn))
write_failed(struct extract *x, const struct dmo_err *err)
{
	dmo_report(err);
	dmo_run_status(&x->run, DMO_EXIT_IO);
	exit(dmo_run_finish(&x->run));
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
	if (rc == 0)
		x->run.out++;
	else if (rc == -1) {
		if (err.loc.file == NULL)
			err.loc = x->rec.loc;
		dmo_run_reject(&x->run, &err, &x->rec, NULL, 0);
	} else
		write_failed(x, &err);
}

static void
extract_one(struct extract *x, const char *path)
{
	struct dmo_reader *r;
	struct dmo_err err;
	int rc;

	if ((r = dmo_reader_open(path, &x->ropts, &err)) == NULL) {
		dmo_run_error(&x->run, &err);
		return;
	}
	while ((rc = dmo_reader_next(r, &x->rec, &err)) != DMO_READ_EOF) {
		if (rc == DMO_READ_RECORD) {
			x->run.in++;
			emit(x, r);
		} else if (rc == DMO_READ_CONTROL) {
			if (dmo_writer_control(x->w, dmo_reader_control(r),
			    &err) != 0)
				write_failed(x, &err);
		} else if (rc == DMO_READ_BAD)
			dmo_run_reject_read(&x->run, r, &err);
		else {
			/* The next read goes on with the next member, if any. */
			dmo_run_error(&x->run, &err);
		}
	}
	x->run.bytes_in += dmo_reader_bytes(r);
	dmo_reader_free(r);
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
	struct dmo_write_opts wopts = { 0 };
	struct dmo_err err;
	int binary = 0, ch, fmt;
	size_t size;

	dmo_setprogname(argv[0]);
	dmo_run_init(&x.run, synopsis, help);
	x.ropts.header = -1;
	x.ropts.warn = dmo_run_warn;
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
		case DMO_OPT_DUPLICATE_KEYS:
			if (dmo_parse_dup(optarg, &x.ropts.dup) != 0)
				dmo_usage_error(&x.run, "option "
				    "'--duplicate-keys': not reject, first or "
				    "last: %s", dmo_quote(optarg, strlen(optarg)));
			break;
		case DMO_OPT_INVALID_UTF8:
			if (dmo_parse_utf8(optarg, &x.ropts.utf8) != 0)
				dmo_usage_error(&x.run, "option "
				    "'--invalid-utf8': not reject or replace: %s",
				    dmo_quote(optarg, strlen(optarg)));
			break;
		case DMO_OPT_MAX_RECORD_SIZE:
			if (dmo_parse_size(optarg, &size) != 0 || size == 0)
				dmo_usage_error(&x.run, "option "
				    "'--max-record-size': not a size: %s",
				    dmo_quote(optarg, strlen(optarg)));
			x.ropts.max_record = size;
			break;
		default:
			if (!dmo_run_option(&x.run, ch, optarg))
				dmo_usage_error(&x.run, NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (x.ropts.follow && argc > 1)
		dmo_usage_error(&x.run, "option '--follow' takes one file");
	check_db_sources(&x, argc, argv);

	dmo_run_start(&x.run);
	dmo_io_grow_pipe(STDOUT_FILENO);
	x.out = dmo_out_new(STDOUT_FILENO, "<stdout>");
	wopts.format = dmo_wire_format(binary);
	wopts.header = 1;
	if ((x.w = dmo_writer_new(x.out, &wopts, &err)) == NULL)
		write_failed(&x, &err);
	dmo_record_init(&x.rec);
	if (argc == 0)
		extract_one(&x, "-");
	for (; argc > 0; argc--, argv++)
		extract_one(&x, *argv);
	if (dmo_writer_finish(x.w, &err) != 0)
		write_failed(&x, &err);
	x.run.bytes_out = x.out->bytes;
	dmo_writer_free(x.w);
	dmo_out_free(x.out);
	dmo_record_release(&x.rec);
	return dmo_run_finish(&x.run);
}
