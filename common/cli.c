/* cli.c - the command line and run bookkeeping every program shares. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "pool.h"
#include "progress.h"
#include "value.h"

#define MAX_MESSAGES	100	/* reject messages printed before we hush */

void
dmo_run_init(struct dmo_run *run, const char *synopsis, const char *help)
{
	memset(run, 0, sizeof(*run));
	run->synopsis = synopsis;
	run->help = help;
	run->max_pct = -1;
	run->progress = -1;
	clock_gettime(CLOCK_MONOTONIC, &run->start);
}

void
dmo_usage_error(const struct dmo_run *run, const char *fmt, ...)
{
	va_list ap;

	dmo_progress_clear();
	if (fmt != NULL) {
		fprintf(stderr, "%s: ", dmo_getprogname());
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "%s\nTry '%s --help' for more information.\n",
	    run->synopsis, dmo_getprogname());
	exit(DMO_EXIT_USAGE);
}

static void
parse_max_rejects(struct dmo_run *run, const char *arg)
{
	size_t n = strlen(arg);
	char *end;

	if (n > 1 && arg[n - 1] == '%') {
		double pct;

		errno = 0;
		pct = strtod(arg, &end);
		if (errno == 0 && end == arg + n - 1 && pct >= 0 && pct <= 100
		    && arg[0] != ' ') {
			run->max_pct = pct;
			return;
		}
	} else if (dmo_parse_ull(arg, &run->max_rejects) == 0) {
		run->max_pct = -1;
		return;
	}
	dmo_usage_error(run, "option '--max-rejects': not a count or a "
	    "percentage: %s", dmo_quote(arg, strlen(arg)));
}

int
dmo_run_option(struct dmo_run *run, int ch, const char *arg)
{
	switch (ch) {
	case 'h':
		printf("%s\n\n%s", run->synopsis, run->help);
		exit(dmo_run_finish(run));
	case 'V':
		printf("%s %s\n", dmo_getprogname(), DMO_VERSION);
		exit(dmo_run_finish(run));
	case 'v':
		run->verbose = 1;
		return 1;
	case DMO_OPT_MAX_REJECTS:
		parse_max_rejects(run, arg);
		return 1;
	case DMO_OPT_REJECTS:
		run->rejects_path = arg;
		return 1;
	case DMO_OPT_STATS:
		run->stats_path = arg;
		return 1;
	case DMO_OPT_PROGRESS:
		run->progress = 1;
		return 1;
	case DMO_OPT_NO_PROGRESS:
		run->progress = 0;
		return 1;
	case '?':
		dmo_usage_error(run, NULL);
	default:
		return 0;
	}
}

void
dmo_run_start(struct dmo_run *run)
{
	int fd;

	dmo_progress_start(run);
	if (run->rejects_path == NULL)
		return;
	if (strcmp(run->rejects_path, "-") == 0)
		fd = dup(STDERR_FILENO);
	else
		fd = open(run->rejects_path, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0666);
	if (fd < 0) {
		dmo_warn("%s", run->rejects_path);
		exit(DMO_EXIT_IO);
	}
	run->rejects = dmo_out_new(fd, run->rejects_path);
}

static void
put_key(struct dmo_out *o, const char *key)
{
	dmo_out_write(o, key, strlen(key));
}

static void
reject_common(struct dmo_run *run, const struct dmo_err *err,
    const struct dmo_reject_why *why, const struct dmo_record *rec,
    const char *raw, size_t rawlen)
{
	run->rejected++;
	if (why != NULL && why->dropped)
		run->dropped++;
	if (run->rejects == NULL) {
		if ((why == NULL || !why->dropped) &&
		    run->messages++ < MAX_MESSAGES)
			dmo_report(err);
	} else {
		struct dmo_out *o = run->rejects;
		char num[32];

		put_key(o, "{\"source\":");
		if (err->loc.file != NULL)
			dmo_json_put_string(o, err->loc.file,
			    strlen(err->loc.file));
		else
			put_key(o, "null");
		snprintf(num, sizeof(num), ",\"line\":%lu", err->loc.line);
		put_key(o, num);
		put_key(o, ",\"reason\":");
		dmo_json_put_string(o, err->msg, strlen(err->msg));
		if (why != NULL) {
			put_key(o, ",\"code\":");
			dmo_json_put_string(o, why->code, strlen(why->code));
			if (why->field != NULL) {
				put_key(o, ",\"field\":");
				dmo_json_put_string(o, why->field, why->flen);
			}
			if (why->vtype >= 0) {
				struct dmo_record v;

				/* One value, written as the writers would. */
				dmo_record_init(&v);
				dmo_record_add(&v, "v", 1,
				    (enum dmo_type)why->vtype, why->value,
				    why->vlen);
				put_key(o, ",\"value\":");
				dmo_json_put_value(o, &v, 0);
				dmo_record_release(&v);
			}
		}
		if (rec != NULL) {
			put_key(o, ",\"record\":");
			dmo_json_put_record(o, rec);
		} else {
			put_key(o, ",\"raw\":");
			dmo_json_put_string(o, raw, rawlen);
		}
		put_key(o, "}\n");
	}
}

void
dmo_run_reject(struct dmo_run *run, const struct dmo_err *err,
    const struct dmo_record *rec, const char *raw, size_t rawlen)
{
	reject_common(run, err, NULL, rec, raw, rawlen);
}

void
dmo_run_reject_why(struct dmo_run *run, const struct dmo_err *err,
    const struct dmo_reject_why *why, const struct dmo_record *rec,
    const char *raw, size_t rawlen)
{
	reject_common(run, err, why, rec, raw, rawlen);
}

void
dmo_run_reject_read(struct dmo_run *run, const struct dmo_reader *r,
    const struct dmo_err *err)
{
	size_t len;
	const char *raw = dmo_reader_raw(r, &len);

	run->in++;
	dmo_run_reject(run, err, NULL, raw, len);
}

void
dmo_run_error(struct dmo_run *run, const struct dmo_err *err)
{
	dmo_report(err);
	dmo_run_status(run, err->code ? err->code : DMO_EXIT_IO);
}

void
dmo_run_warn(const struct dmo_err *err)
{
	dmo_progress_clear();
	if (err->loc.file != NULL && err->loc.line > 0)
		fprintf(stderr, "%s: %s:%lu: warning: %s\n", dmo_getprogname(),
		    err->loc.file, err->loc.line, err->msg);
	else if (err->loc.file != NULL)
		fprintf(stderr, "%s: %s: warning: %s\n", dmo_getprogname(),
		    err->loc.file, err->msg);
	else
		fprintf(stderr, "%s: warning: %s\n", dmo_getprogname(),
		    err->msg);
}

int
dmo_run_over_limit(const struct dmo_run *run)
{
	unsigned long long bad = run->rejected - run->dropped;

	if (run->max_pct >= 0)
		return run->in > 0 &&
		    (double)bad * 100.0 / (double)run->in > run->max_pct;
	return bad > run->max_rejects;
}

static double
elapsed(const struct dmo_run *run)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - run->start.tv_sec) +
	    (double)(now.tv_nsec - run->start.tv_nsec) / 1e9;
}

/* -v: "dmo-load: t.db#t: 10 records written, 10 committed in 1 ..." */
static void
target_line(const struct dmo_run_target *tg)
{
	const char *batch = tg->batch != NULL ? tg->batch : "batch";
	char retries[64];

	dmo_progress_clear();
	retries[0] = '\0';
	if (tg->retries > 0)
		snprintf(retries, sizeof(retries), ", %llu retr%s",
		    tg->retries, tg->retries == 1 ? "y" : "ies");
	fprintf(stderr, "%s: %s: %llu record%s written, %llu committed in "
	    "%llu %s%s%s, %.3fs (%.3fs committing)\n", dmo_getprogname(),
	    tg->name, tg->records, tg->records == 1 ? "" : "s",
	    tg->committed, tg->batches, batch, tg->batches == 1 ? "" :
	    strcmp(batch, "batch") == 0 ? "es" : "s", retries, tg->seconds,
	    tg->commit_seconds);
}

int
dmo_run_finish(struct dmo_run *run)
{
	struct dmo_err err;

	dmo_progress_end(run);
	/* Rejects within the limit are not a failure. */
	if (dmo_run_over_limit(run))
		dmo_run_status(run, DMO_EXIT_DATA);
	if (run->rejects != NULL) {
		if (dmo_out_close(run->rejects, &err) != 0) {
			dmo_report(&err);
			dmo_run_status(run, DMO_EXIT_IO);
		}
		run->rejects = NULL;
	}
	if (run->rejected > 0 && (run->rejects_path != NULL ||
	    run->messages > MAX_MESSAGES))
		dmo_warnx("%llu record%s rejected%s%s%s", run->rejected,
		    run->rejected == 1 ? "" : "s",
		    run->rejects_path != NULL ? ", see '" : "",
		    run->rejects_path != NULL ? run->rejects_path : "",
		    run->rejects_path != NULL ? "'" : "");
	if (fflush(stdout) != 0 || ferror(stdout)) {
		dmo_warn("<stdout>: write error");
		dmo_run_status(run, DMO_EXIT_IO);
	}
	if (run->stats_path != NULL || run->verbose) {
		struct dmo_doc *d = dmo_doc_object();
		char *s;

		dmo_doc_set_str(d, "program", dmo_getprogname());
		dmo_doc_set_int(d, "records_in", (long long)run->in);
		dmo_doc_set_int(d, "records_out", (long long)run->out);
		dmo_doc_set_int(d, "rejected", (long long)run->rejected);
		if (run->report_dropped)
			dmo_doc_set_int(d, "dropped", (long long)run->dropped);
		if (run->report_flow) {
			dmo_doc_set_int(d, "filtered", (long long)run->filtered);
			dmo_doc_set_int(d, "added", (long long)run->added);
			dmo_doc_set_int(d, "aggregated",
			    (long long)run->aggregated);
		}
		dmo_doc_set_int(d, "bytes_in", (long long)run->bytes_in);
		dmo_doc_set_int(d, "bytes_out", (long long)run->bytes_out);
		dmo_doc_set_real(d, "seconds", elapsed(run));
		if (run->target.name != NULL) {
			const struct dmo_run_target *tg = &run->target;
			struct dmo_doc *t = dmo_doc_object();

			dmo_doc_set_str(t, "name", tg->name);
			dmo_doc_set_int(t, "records", (long long)tg->records);
			dmo_doc_set_int(t, "committed",
			    (long long)tg->committed);
			dmo_doc_set_int(t, "batches", (long long)tg->batches);
			dmo_doc_set_int(t, "retries", (long long)tg->retries);
			dmo_doc_set_real(t, "seconds", tg->seconds);
			dmo_doc_set_real(t, "commit_seconds",
			    tg->commit_seconds);
			dmo_doc_set(d, "target", t);
			if (run->verbose)
				target_line(tg);
		}
		if (run->extra != NULL) {
			dmo_doc_set(d, run->extra_name, run->extra);
			run->extra = NULL;
		}
		dmo_doc_set_int(d, "status", run->status);
		s = dmo_doc_dump(d);
		dmo_doc_free(d);
		if (run->verbose) {
			dmo_progress_clear();
			fprintf(stderr, "%s: %s\n", dmo_getprogname(), s);
		}
		if (run->stats_path != NULL) {
			FILE *f = fopen(run->stats_path, "w");

			if (f == NULL || fprintf(f, "%s\n", s) < 0 ||
			    fclose(f) != 0) {
				dmo_warn("%s", run->stats_path);
				dmo_run_status(run, DMO_EXIT_IO);
			}
		}
		free(s);
	}
	dmo_doc_free(run->extra);
	run->extra = NULL;
	return run->status;
}

void
dmo_run_write_failed(struct dmo_run *run, const struct dmo_err *err)
{
	dmo_report(err);
	dmo_run_status(run, DMO_EXIT_IO);
	exit(dmo_run_finish(run));
}

int
dmo_run_read_option(struct dmo_run *run, struct dmo_read_opts *ro, int ch,
    const char *arg)
{
	size_t size;

	switch (ch) {
	case DMO_OPT_DUPLICATE_KEYS:
		if (dmo_parse_dup(arg, &ro->dup) != 0)
			dmo_usage_error(run, "option '--duplicate-keys': not "
			    "reject, first or last: %s", dmo_quote(arg,
			    strlen(arg)));
		return 1;
	case DMO_OPT_INVALID_UTF8:
		if (dmo_parse_utf8(arg, &ro->utf8) != 0)
			dmo_usage_error(run, "option '--invalid-utf8': not "
			    "reject or replace: %s", dmo_quote(arg,
			    strlen(arg)));
		return 1;
	case DMO_OPT_MAX_RECORD_SIZE:
		if (dmo_parse_size(arg, &size) != 0 || size == 0)
			dmo_usage_error(run, "option '--max-record-size': not "
			    "a size: %s", dmo_quote(arg, strlen(arg)));
		ro->max_record = size;
		return 1;
	}
	return 0;
}

int
dmo_run_threads_option(const struct dmo_run *run, const char *arg)
{
	unsigned long long n;

	if (dmo_parse_ull(arg, &n) != 0 || n < 1 || n > DMO_THREADS_MAX)
		dmo_usage_error(run, "option '--threads': not a number from 1 "
		    "to %d: %s", DMO_THREADS_MAX, dmo_quote(arg, strlen(arg)));
	return (int)n;
}

int
dmo_parse_ull(const char *s, unsigned long long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

int
dmo_parse_size(const char *s, size_t *v)
{
	unsigned long long n, mul = 1;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mul = 1ULL << 10;
		break;
	case 'm':
	case 'M':
		mul = 1ULL << 20;
		break;
	case 'g':
	case 'G':
		mul = 1ULL << 30;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0' && strcmp(end + 1, "B") != 0 &&
	    strcmp(end + 1, "iB") != 0)
		return -1;
	if (n > SIZE_MAX / mul)
		return -1;
	*v = (size_t)(n * mul);
	return 0;
}

int
dmo_parse_seconds(const char *s, double *v)
{
	char *end;
	double d;

	if ((*s < '0' || *s > '9') && *s != '.')
		return -1;
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || !isfinite(d) || d < 0)
		return -1;
	if (strcmp(end, "ms") == 0)
		d /= 1000;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		d *= 60;
	else if (strcmp(end, "h") == 0)
		d *= 3600;
	else if (*end != '\0' && strcmp(end, "s") != 0)
		return -1;
	*v = d;
	return 0;
}

int
dmo_parse_char(const char *s, int *c)
{
	if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0) {
		*c = '\t';
		return 0;
	}
	if (strcmp(s, "none") == 0) {
		*c = -1;
		return 0;
	}
	if (strlen(s) != 1 || s[0] == '\n' || s[0] == '\r' ||
	    (unsigned char)s[0] >= 0x80)
		return -1;
	*c = (unsigned char)s[0];
	return 0;
}

int
dmo_parse_dup(const char *s, enum dmo_dup *d)
{
	if (strcmp(s, "reject") == 0)
		*d = DMO_DUP_REJECT;
	else if (strcmp(s, "first") == 0)
		*d = DMO_DUP_FIRST;
	else if (strcmp(s, "last") == 0)
		*d = DMO_DUP_LAST;
	else
		return -1;
	return 0;
}

int
dmo_parse_utf8(const char *s, enum dmo_utf8 *u)
{
	if (strcmp(s, "reject") == 0)
		*u = DMO_UTF8_REJECT;
	else if (strcmp(s, "replace") == 0)
		*u = DMO_UTF8_REPLACE;
	else
		return -1;
	return 0;
}

enum dmo_format
dmo_wire_format(int binary_flag)
{
	const char *w = getenv("DMO_WIRE");

	if (binary_flag || (w != NULL && strcmp(w, "binary") == 0))
		return DMO_FMT_BINARY;
	return DMO_FMT_NDJSON;
}
