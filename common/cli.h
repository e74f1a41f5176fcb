/* cli.h - what every program's command line and run have in common. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_CLI_H
#define DMO_CLI_H

#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include "err.h"
#include "exitcode.h"
#include "format.h"
#include "io.h"
#include "json.h"
#include "record.h"

#ifndef DMO_VERSION
#define DMO_VERSION "0.1.0"
#endif

/*
 * Long options shared by all programs.  Long-only ones use codes above
 * 255.  A program lists DMO_COMMON_LONGOPTS in its struct option array and
 * "hvV" in its getopt string, and passes every option it does not know
 * itself to dmo_run_option().
 */
enum {
	DMO_OPT_REJECTS = 256,
	DMO_OPT_MAX_REJECTS,
	DMO_OPT_STATS,
	DMO_OPT_DUPLICATE_KEYS,
	DMO_OPT_INVALID_UTF8,
	DMO_OPT_MAX_RECORD_SIZE,
	DMO_OPT_PROGRESS,
	DMO_OPT_NO_PROGRESS,
	DMO_OPT_PROGRAM_BASE = 300	/* programs number theirs from here */
};

#define DMO_COMMON_LONGOPTS \
	{ "help",		no_argument,		NULL, 'h' }, \
	{ "max-rejects",	required_argument,	NULL, DMO_OPT_MAX_REJECTS }, \
	{ "no-progress",	no_argument,		NULL, DMO_OPT_NO_PROGRESS }, \
	{ "progress",		no_argument,		NULL, DMO_OPT_PROGRESS }, \
	{ "rejects",		required_argument,	NULL, DMO_OPT_REJECTS }, \
	{ "stats",		required_argument,	NULL, DMO_OPT_STATS }, \
	{ "verbose",		no_argument,		NULL, 'v' }, \
	{ "version",		no_argument,		NULL, 'V' }

/*
 * What a loader did to its target, for the run summary ("target" in the
 * --stats JSON, when name is set, and a line of its own with -v):
 * records written, and of those committed (kept once the run ended);
 * batches committed (transactions, files, requests: batch names one,
 * e.g. "transaction"); retries; the seconds spent in the target's write
 * and commit calls, and of those in commits.
 */
struct dmo_run_target {
	const char		*name;		/* the target operand */
	const char		*batch;		/* "transaction", "file", ... */
	unsigned long long	 records;
	unsigned long long	 committed;
	unsigned long long	 batches;
	unsigned long long	 retries;
	double			 seconds;
	double			 commit_seconds;
};

/*
 * A run: counters, the rejects file and its limits, and the summary.
 * in = out + rejected holds at the end of every run (dmo(7)).
 */
struct dmo_run {
	const char		*synopsis;	/* the usage: line */
	const char		*help;		/* the option list for --help */
	unsigned long long	 in;
	unsigned long long	 out;
	unsigned long long	 rejected;
	unsigned long long	 bytes_in;
	unsigned long long	 bytes_out;
	struct timespec		 start;
	const char		*rejects_path;
	struct dmo_out		*rejects;
	unsigned long long	 max_rejects;	/* count limit, when !max_pct */
	double			 max_pct;	/* percentage limit, or < 0 */
	const char		*stats_path;
	int			 verbose;
	int			 status;	/* the worst so far */
	unsigned long		 messages;	/* reject messages printed */
	struct dmo_run_target	 target;
	/* Progress (progress.h): -1 on a terminal, 0 off, 1 on. */
	int			 progress;
	int			 output_elsewhere;	/* records not to stdout */
	unsigned long		 tick;		/* records to the next look */
	const struct dmo_reader	*reader;	/* being read, or NULL */
	/* A program's own member of the summary (taken over), or NULL. */
	const char		*extra_name;
	struct dmo_doc		*extra;
	/*
	 * Records removed on purpose (dmo-clean's duplicates and empty
	 * records): in rejected too, so in = out + rejected still holds,
	 * but not counted against --max-rejects.  "dropped" is in the
	 * summary when report_dropped is set.
	 */
	unsigned long long	 dropped;
	int			 report_dropped;
	/*
	 * dmo-transform's flow, in the summary when report_flow is set:
	 * records in that left nothing on purpose (where, an inner join),
	 * records out beyond one per record in (explode), and records folded
	 * into aggregates.  in + added = out + filtered + rejected, with
	 * aggregated in place of out when aggregating.
	 */
	unsigned long long	 filtered;
	unsigned long long	 added;
	unsigned long long	 aggregated;
	int			 report_flow;
};

void	 dmo_run_init(struct dmo_run *, const char *synopsis, const char *help);

/*
 * Handle an option common to all programs.  Returns 1 when handled, 0
 * when the option is not a common one.  Bad values, -h, -V and unknown
 * options ('?') do not return: they print and exit 2 or 0.
 */
int	 dmo_run_option(struct dmo_run *, int ch, const char *arg);

/*
 * The value of a --threads option: a number from 1 to DMO_THREADS_MAX
 * (pool.h).  Anything else is a usage error (exit 2).
 */
int	 dmo_run_threads_option(const struct dmo_run *, const char *arg);

/* Print the usage line and the Try line to stderr and exit 2. */
void	 dmo_usage_error(const struct dmo_run *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

/* Open the rejects file etc. once options are parsed; 0 or exits 2/3. */
void	 dmo_run_start(struct dmo_run *);

/*
 * A record was rejected: count it, say why on stderr (the first 100;
 * with --rejects, only a count at the end), and append it to the rejects
 * file: {"source":..,"line":..,"reason":..,"record":{..}} when the record
 * was read, or "raw":"..." with the text when it could not be.
 */
void	 dmo_run_reject(struct dmo_run *, const struct dmo_err *,
	    const struct dmo_record *, const char *raw, size_t rawlen);

/*
 * A rejected record with a reason code, and the field and value at
 * fault (dmo-clean): as dmo_run_reject, with "code", and "field" and
 * "value" when known, after "reason" in the rejects file:
 * {"source":..,"line":..,"reason":..,"code":"TYPE","field":"age",
 * "value":"x","record":{..}}.  A drop (dropped set) is counted in
 * run->dropped as well, and prints no message.
 */
struct dmo_reject_why {
	const char	*code;		/* "TYPE", "REQUIRED", ... */
	const char	*field;		/* NULL: no one field */
	size_t		 flen;
	int		 vtype;		/* enum dmo_type; -1: no value */
	const char	*value;
	size_t		 vlen;
	int		 dropped;
};

void	 dmo_run_reject_why(struct dmo_run *, const struct dmo_err *,
	    const struct dmo_reject_why *, const struct dmo_record *,
	    const char *raw, size_t rawlen);

/*
 * dmo_reader_next said DMO_READ_BAD: count the record in and reject it
 * with the reader's raw text.
 */
void	 dmo_run_reject_read(struct dmo_run *, const struct dmo_reader *,
	    const struct dmo_err *);

/*
 * Writing the output failed (a full disk, a closed pipe's error): report
 * it and end the run with status 3 at least.
 */
void	 dmo_run_write_failed(struct dmo_run *, const struct dmo_err *)
	    __attribute__((noreturn));

/* A problem that is not a rejected record: report it, remember status. */
void	 dmo_run_error(struct dmo_run *, const struct dmo_err *);
void	 dmo_run_warn(const struct dmo_err *);	/* "warning:" message */

static inline void
dmo_run_status(struct dmo_run *run, int code)
{
	if (code > run->status)
		run->status = code;
}

/*
 * A record was read: call once per record.  Nearly free; now and then it
 * looks at the clock and redraws the progress line (progress.h).
 */
void	 dmo_progress_tick(struct dmo_run *);

static inline void
dmo_run_tick(struct dmo_run *run)
{
	if (--run->tick == 0)
		dmo_progress_tick(run);
}

/* Over the --max-rejects limit? (1 yes) */
int	 dmo_run_over_limit(const struct dmo_run *);

/*
 * End of the run: apply the reject limit, close the rejects file, write
 * the --stats summary (and print it with -v), flush stdout (a write error
 * is status 3).  Returns the exit status.
 */
int	 dmo_run_finish(struct dmo_run *);

/* Checked parsers for option values: 0 ok, -1 bad. */
int	 dmo_parse_ull(const char *, unsigned long long *);
int	 dmo_parse_size(const char *, size_t *);	/* 10, 64K, 256M, 1G */
int	 dmo_parse_seconds(const char *, double *);	/* 1.5, 500ms, 2s, 1m */
int	 dmo_parse_char(const char *, int *);	/* "," "\t" "tab" ";" */

/*
 * The reader options programs share: --duplicate-keys, --invalid-utf8
 * (reject, replace) and --max-record-size into ro.  Returns 1 when ch was
 * one of them; a bad value is a usage error (exit 2).
 */
int	 dmo_run_read_option(struct dmo_run *, struct dmo_read_opts *ro, int ch,
	    const char *arg);

/* Common option handling for readers: --duplicate-keys, --invalid-utf8. */
int	 dmo_parse_dup(const char *, enum dmo_dup *);
int	 dmo_parse_utf8(const char *, enum dmo_utf8 *);

/* The output wire format asked for: -B or DMO_WIRE=binary. */
enum dmo_format dmo_wire_format(int binary_flag);

#endif
