/* checks.h - quality rules for cron: load, measure, judge, report. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_CHECKS_H
#define DMO_CHECKS_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "record.h"

/*
 * A rules file (dmo-profile(1), QUALITY CHECKS) is a JSON object
 * {"rules": [RULE, ...]}; each rule is an object with one check keyword
 * (records, null_rate, unique, range, allowed, pattern, max_age,
 * distinct), a "field" for every check but records, and an optional
 * "name".  Unknown keywords are errors, located as file:line:col.
 *
 * Use: dmo_checks_load, then dmo_checks_record for every record read
 * (the per-record pass collects the measures and the sample offending
 * values), then dmo_checks_finish with the profile document (distinct
 * counts come from it), then the report in text or JSON.
 *
 * Memory: a few samples a rule, except unique, which keeps every
 * distinct value of its field (its bytes and about 32 bytes more) up to
 * DMO_CHECKS_UNIQUE_MAX bytes a rule; past that the rule fails as not
 * measured.
 */
#define DMO_CHECKS_UNIQUE_MAX	(256UL * 1024 * 1024)
#define DMO_CHECKS_SAMPLES	5

struct dmo_checks;

/*
 * Read and check a rules file ("-" is stdin) or text.  NULL on failure,
 * with err set: DMO_EXIT_USAGE and name:line:col for a malformed file or
 * a bad rule, DMO_EXIT_IO when it cannot be read.
 */
struct dmo_checks *dmo_checks_load(const char *path, struct dmo_err *);
struct dmo_checks *dmo_checks_parse(const char *text, size_t len,
	    const char *name, struct dmo_err *);
void	 dmo_checks_free(struct dmo_checks *);

/* The time max_age measures from, in seconds since the epoch (UTC). */
void	 dmo_checks_set_now(struct dmo_checks *, double now);

/* Measure one record. */
void	 dmo_checks_record(struct dmo_checks *, const struct dmo_record *);

/*
 * Judge every rule.  profile is the profile document (dmo-profile(1)
 * JSON), for the distinct counts; NULL leaves distinct rules failed as
 * not measured.  Returns the number of failed rules.
 */
size_t	 dmo_checks_finish(struct dmo_checks *, const struct dmo_doc *profile);

size_t	 dmo_checks_count(const struct dmo_checks *);

/*
 * The report, every rule in file order:
 *   FAIL rule 'age range' (rules.json:4): measured ...; threshold ...
 *     data.csv:3: "212"
 *   ok   rule 'records' (rules.json:2): measured ...; threshold ...
 *   checks: 1 of 2 rules failed
 * dmo_checks_json gives the same as a document (the caller frees it).
 */
void	 dmo_checks_text(const struct dmo_checks *, struct dmo_buf *);
struct dmo_doc *dmo_checks_json(const struct dmo_checks *);

/*
 * Timestamps as max_age and --now read them: YYYY-MM-DD, or
 * YYYY-MM-DD[T ]HH:MM[:SS[.frac]] with Z or +HH:MM / -HH:MM / +HHMM
 * (UTC without one), or @SECONDS.  0 and *t seconds since the epoch, or
 * -1.
 */
int	 dmo_checks_parse_time(const char *p, size_t n, double *t);

/* Durations: 90, 90s, 15m, 36h, 7d, 2w, and sums such as 1d12h. */
int	 dmo_checks_parse_duration(const char *p, size_t n, double *secs);

#endif
