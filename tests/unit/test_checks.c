/* test_checks.c - unit tests for the quality rules (checks.c). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "checks.h"
#include "exitcode.h"
#include "json.h"
#include "record.h"

#include "testhelp.h"

/* The rules in text, loaded; bail when they do not load. */
static struct dmo_checks *
rules(const char *text)
{
	struct dmo_err err;
	struct dmo_checks *c = dmo_checks_parse(text, strlen(text), "r.json",
	    &err);

	if (c == NULL)
		bail("rules: %s:%lu:%lu: %s", err.loc.file, err.loc.line,
		    err.loc.col, err.msg);
	return c;
}

/* The message a bad rules file gives, "line:col: msg". */
static const char *
load_error(const char *text)
{
	static char msg[600];
	struct dmo_err err;
	struct dmo_checks *c = dmo_checks_parse(text, strlen(text), "r.json",
	    &err);

	if (c != NULL) {
		dmo_checks_free(c);
		return "(loaded)";
	}
	snprintf(msg, sizeof(msg), "%d %lu:%lu: %s", err.code, err.loc.line,
	    err.loc.col, err.msg);
	return msg;
}

/* Feed records of one field "x" with the given values (NULL: null). */
static void
feed(struct dmo_checks *c, const char *const *vals, size_t n, int numbers)
{
	struct dmo_record r;
	size_t i;

	dmo_record_init(&r);
	for (i = 0; i < n; i++) {
		dmo_record_reset(&r);
		if (vals[i] == NULL)
			dmo_record_add(&r, S("x"), DMO_NULL, "", 0);
		else
			dmo_record_add(&r, S("x"), numbers ? DMO_NUMBER :
			    DMO_STRING, vals[i], strlen(vals[i]));
		r.loc.file = "d.csv";
		r.loc.line = i + 2;
		dmo_record_finish(&r, DMO_DUP_REJECT, NULL);
		dmo_checks_record(c, &r);
	}
	dmo_record_release(&r);
}

static char *
text_of(struct dmo_checks *c)
{
	struct dmo_buf b = DMO_BUF_INIT;

	dmo_checks_text(c, &b);
	dmo_buf_cstr(&b);
	return b.p;
}

/* Load, feed, judge: the number of failed rules. */
static size_t
run(const char *text, const char *const *vals, size_t n, int numbers,
    char **report)
{
	struct dmo_checks *c = rules(text);
	size_t failed;

	dmo_checks_set_now(c, 1700000000);
	feed(c, vals, n, numbers);
	failed = dmo_checks_finish(c, NULL);
	if (report != NULL)
		*report = text_of(c);
	dmo_checks_free(c);
	return failed;
}

#define N(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_load_errors(void)
{
	CHECK_STR(load_error("{\"rules\": [\n  {\"field\": \"x\", "
	    "\"rnage\": {}}\n]}"),
	    "2 2:18: unknown keyword 'rnage'", "load: unknown keyword at its key");
	CHECK_STR(load_error("{\"rules\": [\n]}"),
	    "2 1:11: 'rules': empty: no rule to check", "load: no rules");
	CHECK_STR(load_error("{\"rules\": [], \"extra\": 1}"),
	    "2 1:15: unknown keyword 'extra' (expected rules)",
	    "load: unknown top-level keyword");
	CHECK_STR(load_error("{\"rules\": [{\"records\": {\"min\": 1,"),
	    "2 1:33: not valid JSON: string or '}' expected near end of file",
	    "load: truncated JSON");
	CHECK_STR(load_error("[]"),
	    "2 1:1: expected an object {\"rules\": [...]}, not array",
	    "load: not an object");
	CHECK_STR(load_error("{}"), "2 1:1: \"rules\" is required",
	    "load: no rules");
	CHECK_STR(load_error("{\"rules\": [{\"field\": \"x\"}]}"),
	    "2 1:12: rule 1: no check (one of records, null_rate, unique, "
	    "range, allowed, pattern, max_age, distinct)",
	    "load: a rule without a check");
	CHECK_STR(load_error("{\"rules\": [{\"field\": \"x\", \"unique\": true, "
	    "\"range\": {\"min\": 1}}]}"),
	    "2 1:43: rule 1: a second check 'range' after 'unique' (write one "
	    "rule a check)", "load: two checks in one rule");
	CHECK_STR(load_error("{\"rules\": [{\"range\": {\"min\": 1}}]}"),
	    "2 1:13: 'range': \"field\" is required", "load: field required");
	CHECK_STR(load_error("{\"rules\": [{\"field\": \"x\", "
	    "\"records\": {\"min\": 1}}]}"),
	    "2 1:27: 'records' counts records: it takes no \"field\"",
	    "load: records takes no field");
	CHECK_STR(load_error("{\"rules\": [{\"field\": \"x\",\n"
	    "  \"null_rate\": {\"max\": 1.5}}]}"),
	    "2 2:24: 'null_rate.max': expected a number from 0 to 1: 1.5",
	    "load: a rate above 1");
	CHECK_STR(load_error("{\"rules\": [{\"field\": \"x\", "
	    "\"range\": {\"min\": 5, \"max\": 1}}]}"),
	    "2 1:36: 'range': min is above max", "load: min above max");
	CHECK_STR(load_error("{\"rules\": [{\"field\": \"x\", "
	    "\"range\": {\"least\": 5}}]}"),
	    "2 1:37: 'range': unknown keyword 'least' (expected min, max)",
	    "load: unknown bound");
	CHECK_STR(load_error("{\"rules\": [{\"field\": \"x\", "
	    "\"pattern\": \"([a-z\"}]}"),
	    "2 1:38: 'pattern': Unmatched [, [^, [:, [., or [=: \"([a-z\"",
	    "load: a bad regular expression");
	CHECK_STR(load_error("{\"rules\": [{\"field\": \"x\", "
	    "\"pattern\": \"a++\"}]}"),
	    "2 1:38: 'pattern': a repeated quantifier: \"a++\"",
	    "load: stacked quantifiers are refused");
	CHECK_STR(load_error("{\"rules\": [{\"field\": \"x\", "
	    "\"pattern\": \"(a{255}){255}\"}]}"),
	    "2 1:38: 'pattern': too large to compile (lower its repetition "
	    "bounds): \"(a{255}){255}\"",
	    "load: an expression too large for regcomp is refused");
	CHECK_STR(load_error("{\"rules\": [{\"field\": \"x\", "
	    "\"pattern\": \"^[+*]{2}[[:digit:]]{1,255}(x|y)?\\\\++$\"}]}"),
	    "(loaded)", "load: brackets, bounds and escapes are fine");
	CHECK_STR(load_error("{\"rules\": [{\"field\": \"x\", "
	    "\"max_age\": \"3x\"}]}"),
	    "2 1:38: 'max_age': not a duration (90s, 15m, 36h, 7d): \"3x\"",
	    "load: a bad duration");
	CHECK_STR(load_error("{\"rules\": [{\"field\": \"x\", "
	    "\"unique\": false}]}"),
	    "2 1:37: 'unique': expected true", "load: unique false");
	CHECK_STR(load_error("{\"rules\": [{\"field\": \"x\", "
	    "\"allowed\": [null]}]}"),
	    "2 1:39: 'allowed': expected strings, numbers or booleans, not null",
	    "load: null in allowed");
	CHECK_STR(load_error("{\"rules\": [7]}"),
	    "2 1:12: rule 1: expected an object, not integer",
	    "load: a rule that is not an object");
	CHECK_STR(load_error("{\"rules\": [{\"field\": \"\xc3\xa9\", "
	    "\"x\": 1}]}"),
	    "2 1:27: unknown keyword 'x'",
	    "load: columns count characters, not bytes");
	CHECK_STR(load_error("{\"rules\": [{\"records\": {\"min\": 1.5}}]}"),
	    "2 1:32: 'records.min': expected an integer from 0 to 9e+15: 1.5",
	    "load: a fractional record count");
}

static void
test_records_nulls(void)
{
	static const char *const v[] = { "a", NULL, "b", "c", "" };
	char *rep;

	CHECK_EQ(run("{\"rules\":[{\"records\":{\"min\":5,\"max\":5}}]}", v, 5,
	    0, NULL), 0, "records: at both bounds passes");
	CHECK_EQ(run("{\"rules\":[{\"records\":{\"min\":6}}]}", v, 5, 0, NULL),
	    1, "records: one below min fails");
	CHECK_EQ(run("{\"rules\":[{\"records\":{\"max\":4}}]}", v, 5, 0, NULL),
	    1, "records: one above max fails");
	CHECK_EQ(run("{\"rules\":[{\"field\":\"x\",\"null_rate\":{\"max\":0.4}}]}",
	    v, 5, 0, NULL), 0, "null_rate: at the threshold passes");
	CHECK_EQ(run("{\"rules\":[{\"field\":\"x\",\"null_rate\":{\"max\":0.39}}]}",
	    v, 5, 0, &rep), 1, "null_rate: just past fails");
	CHECK_STR(rep,
	    "FAIL rule 'x null_rate' (r.json:1): measured null rate 0.4 "
	    "(2 of 5 records); threshold max 0.39\n"
	    "  d.csv:3: null\n"
	    "  d.csv:6: empty\n"
	    "checks: 1 of 1 rules failed\n", "null_rate: the report");
	free(rep);
	CHECK_EQ(run("{\"rules\":[{\"field\":\"y\",\"null_rate\":{\"max\":0.99}}]}",
	    v, 5, 0, &rep), 1, "null_rate: an absent field is null");
	CHECK(strstr(rep, "  d.csv:2: absent\n") != NULL,
	    "null_rate: absent is said so");
	free(rep);
}

static void
test_unique(void)
{
	static const char *const v[] = { "1", "2", NULL, "", "3", "2", "2" };
	static const char *const ok[] = { "1", "2", NULL, "", "3" };
	char *rep;

	CHECK_EQ(run("{\"rules\":[{\"field\":\"x\",\"unique\":true}]}", ok, 5,
	    0, NULL), 0, "unique: nulls do not repeat");
	CHECK_EQ(run("{\"rules\":[{\"field\":\"x\",\"unique\":true}]}", v, 7,
	    0, &rep), 1, "unique: a repeat fails");
	CHECK_STR(rep,
	    "FAIL rule 'x unique' (r.json:1): measured 2 duplicate values "
	    "(of 5); threshold no duplicates\n"
	    "  d.csv:7: \"2\"\n"
	    "  d.csv:8: \"2\"\n"
	    "checks: 1 of 1 rules failed\n", "unique: the report");
	free(rep);
}

static void
test_range(void)
{
	static const char *const v[] = { "0", "150", "7.5", NULL };
	static const char *const bad[] = { "-1", "150.5", "abc", "1e2" };
	static const char *const d[] = { "2024-01-01", "2024-12-31" };
	char *rep;

	CHECK_EQ(run("{\"rules\":[{\"field\":\"x\",\"range\":{\"min\":0,"
	    "\"max\":150}}]}", v, 4, 1, NULL), 0, "range: at both bounds");
	CHECK_EQ(run("{\"rules\":[{\"field\":\"x\",\"range\":{\"min\":0,"
	    "\"max\":150}}]}", bad, 4, 0, &rep), 1, "range: past both");
	CHECK_STR(rep,
	    "FAIL rule 'x range' (r.json:1): measured 3 of 4 values out of "
	    "range, min -1, max 150.5; threshold min 0, max 150\n"
	    "  d.csv:2: \"-1\"\n"
	    "  d.csv:3: \"150.5\"\n"
	    "  d.csv:4: \"abc\"\n"
	    "checks: 1 of 1 rules failed\n", "range: the report");
	free(rep);
	CHECK_EQ(run("{\"rules\":[{\"field\":\"x\",\"range\":{\"min\":"
	    "\"2024-01-01\",\"max\":\"2024-12-31\"}}]}", d, 2, 0, NULL), 0,
	    "range: text bounds, at both");
	CHECK_EQ(run("{\"rules\":[{\"field\":\"x\",\"range\":{\"max\":"
	    "\"2024-12-30\"}}]}", d, 2, 0, NULL), 1,
	    "range: text bounds, one past");
}

static void
test_allowed_pattern(void)
{
	static const char *const v[] = { "FR", "DE", NULL, "fr", "1.0" };
	char *rep;

	CHECK_EQ(run("{\"rules\":[{\"field\":\"x\",\"allowed\":[\"FR\",\"DE\","
	    "\"fr\",1]}]}", v, 5, 0, NULL), 0,
	    "allowed: all in, numbers compare as numbers");
	CHECK_EQ(run("{\"rules\":[{\"field\":\"x\",\"allowed\":[\"FR\",\"DE\"]}]}",
	    v, 5, 0, &rep), 1, "allowed: one out fails");
	CHECK_STR(rep,
	    "FAIL rule 'x allowed' (r.json:1): measured 2 of 4 values not "
	    "allowed; threshold one of \"FR\", \"DE\"\n"
	    "  d.csv:5: \"fr\"\n"
	    "  d.csv:6: \"1.0\"\n"
	    "checks: 1 of 1 rules failed\n", "allowed: the report");
	free(rep);
	CHECK_EQ(run("{\"rules\":[{\"field\":\"x\",\"pattern\":{\"regex\":"
	    "\"^[A-Z]{2}$\",\"min_rate\":0.5}}]}", v, 5, 0, NULL), 0,
	    "pattern: at the rate");
	CHECK_EQ(run("{\"rules\":[{\"field\":\"x\",\"pattern\":{\"regex\":"
	    "\"^[A-Z]{2}$\",\"min_rate\":0.51}}]}", v, 5, 0, &rep), 1,
	    "pattern: just past the rate");
	CHECK_STR(rep,
	    "FAIL rule 'x pattern' (r.json:1): measured match rate 0.5 "
	    "(2 of 4 values); threshold min rate 0.51 for \"^[A-Z]{2}$\"\n"
	    "  d.csv:5: \"fr\"\n"
	    "  d.csv:6: \"1.0\"\n"
	    "checks: 1 of 1 rules failed\n", "pattern: the report");
	free(rep);
}

static void
test_max_age(void)
{
	/* now = 1700000000 = 2023-11-14T22:13:20Z */
	static const char *const v[] = { "2023-11-13T22:13:20Z",
		"2023-11-01", "not a time", NULL };
	char *rep;

	CHECK_EQ(run("{\"rules\":[{\"field\":\"x\",\"max_age\":\"1d\"}]}", v, 4,
	    0, NULL), 0, "max_age: exactly the age passes");
	CHECK_EQ(run("{\"rules\":[{\"field\":\"x\",\"max_age\":86399}]}", v, 4,
	    0, &rep), 1, "max_age: a second past fails");
	CHECK_STR(rep,
	    "FAIL rule 'x max_age' (r.json:1): measured age 1d of the "
	    "newest, \"2023-11-13T22:13:20Z\"; 1 value not a timestamp; "
	    "threshold max age 23h59m59s\n"
	    "  d.csv:2: \"2023-11-13T22:13:20Z\"\n"
	    "  d.csv:4: \"not a time\"\n"
	    "checks: 1 of 1 rules failed\n", "max_age: the report");
	free(rep);
}

static void
test_max_age_epoch(void)
{
	/* Numbers are seconds since the epoch; now = 1700000000. */
	static const char *const v[] = { "1699913600", "1699000000.5" };

	CHECK_EQ(run("{\"rules\":[{\"field\":\"x\",\"max_age\":\"24h\"}]}",
	    v, 2, 1, NULL), 0, "max_age: epoch seconds, exactly a day old");
	CHECK_EQ(run("{\"rules\":[{\"field\":\"x\",\"max_age\":\"23h\"}]}",
	    v, 2, 1, NULL), 1, "max_age: epoch seconds, too old");
}

static void
test_distinct(void)
{
	static const char prof[] = "{\"records\":3,\"fields\":["
	    "{\"name\":\"x\",\"distinct\":{\"value\":7,\"exact\":true,"
	    "\"error\":0}},{\"name\":\"y\",\"distinct\":{\"value\":1000,"
	    "\"exact\":false,\"error\":0.01}}]}";
	struct dmo_err err;
	struct dmo_doc *p = dmo_doc_parse(prof, strlen(prof), "p", &err);
	struct dmo_checks *c;
	char *rep;

	if (p == NULL)
		bail("profile: %s", err.msg);
	c = rules("{\"rules\":[{\"field\":\"x\",\"distinct\":{\"min\":7,"
	    "\"max\":7}},\n{\"field\":\"x\",\"distinct\":{\"max\":6}},\n"
	    "{\"name\":\"ids\",\"field\":\"y\",\"distinct\":{\"min\":1001}},\n"
	    "{\"field\":\"z\",\"distinct\":{\"max\":0}}]}");
	CHECK_EQ(dmo_checks_finish(c, p), 2, "distinct: two of four fail");
	rep = text_of(c);
	CHECK_STR(rep,
	    "ok   rule 'x distinct' (r.json:1): measured 7 distinct values; "
	    "threshold min 7, max 7\n"
	    "FAIL rule 'x distinct' (r.json:2): measured 7 distinct values; "
	    "threshold max 6\n"
	    "FAIL rule 'ids' (r.json:3): measured about 1000 distinct values "
	    "(estimate, error 1%); threshold min 1001\n"
	    "ok   rule 'z distinct' (r.json:4): measured 0 distinct values; "
	    "threshold max 0\n"
	    "checks: 2 of 4 rules failed\n", "distinct: the report");
	free(rep);
	dmo_checks_free(c);
	dmo_doc_free(p);
}

static void
test_json(void)
{
	static const char *const v[] = { "a\xff", "a\xff" };
	struct dmo_checks *c = rules("{\"rules\":[{\"field\":\"x\","
	    "\"unique\":true},{\"records\":{\"min\":1}}]}");
	struct dmo_doc *d;
	char *s;

	feed(c, v, 2, 0);
	dmo_checks_finish(c, NULL);
	d = dmo_checks_json(c);
	s = dmo_doc_dump(d);
	CHECK_STR(s, "{\"rules\":2,\"failed\":1,\"results\":["
	    "{\"name\":\"x unique\",\"check\":\"unique\",\"field\":\"x\","
	    "\"line\":1,\"status\":\"fail\",\"value\":1,\"measured\":"
	    "\"1 duplicate value (of 2)\",\"threshold\":{\"unique\":true},"
	    "\"threshold_text\":\"no duplicates\","
	    "\"offending\":1,\"samples\":[{\"where\":\"d.csv:3\",\"value\":"
	    "\"a\xef\xbf\xbd\"}]},"
	    "{\"name\":\"records\",\"check\":\"records\",\"line\":1,"
	    "\"status\":\"ok\",\"value\":2,\"measured\":\"2 records\","
	    "\"threshold\":{\"min\":1},\"threshold_text\":\"min 1\","
	    "\"offending\":0,\"samples\":[]}]}",
	    "json: the report, invalid UTF-8 replaced");
	free(s);
	dmo_doc_free(d);
	dmo_checks_free(c);
}

static void
test_time(void)
{
	double t;

	CHECK(dmo_checks_parse_time(S("1970-01-01"), &t) == 0 && t == 0,
	    "time: the epoch");
	CHECK(dmo_checks_parse_time(S("2023-11-14T22:13:20Z"), &t) == 0 &&
	    t == 1700000000, "time: Z");
	CHECK(dmo_checks_parse_time(S("2023-11-15 00:13:20+02:00"), &t) == 0 &&
	    t == 1700000000, "time: an offset");
	CHECK(dmo_checks_parse_time(S("2023-11-14T22:13:20.5"), &t) == 0 &&
	    t == 1700000000.5, "time: a fraction, UTC without zone");
	CHECK(dmo_checks_parse_time(S("@1700000000"), &t) == 0 &&
	    t == 1700000000, "time: @seconds");
	CHECK(dmo_checks_parse_time(S("2023-02-29"), &t) == -1,
	    "time: no 29 February in 2023");
	CHECK(dmo_checks_parse_time(S("2024-02-29"), &t) == 0,
	    "time: 29 February 2024");
	CHECK(dmo_checks_parse_time(S("2023-11-14T25:00"), &t) == -1,
	    "time: hour 25");
	CHECK(dmo_checks_parse_time(S("2023-11-14Tx"), &t) == -1,
	    "time: junk");
	CHECK(dmo_checks_parse_time(S("@"), &t) == -1, "time: @ alone");
	CHECK(dmo_checks_parse_duration(S("1d12h"), &t) == 0 && t == 129600,
	    "duration: a sum");
	CHECK(dmo_checks_parse_duration(S("90"), &t) == 0 && t == 90,
	    "duration: seconds");
	CHECK(dmo_checks_parse_duration(S("1d5"), &t) == -1,
	    "duration: a unit is needed after the first part");
	CHECK(dmo_checks_parse_duration(S(""), &t) == -1, "duration: empty");
	CHECK(dmo_checks_parse_duration(S("5y"), &t) == -1,
	    "duration: unknown unit");
}

int
main(void)
{
	test_load_errors();
	test_records_nulls();
	test_unique();
	test_range();
	test_allowed_pattern();
	test_max_age();
	test_max_age_epoch();
	test_distinct();
	test_json();
	test_time();
	return done();
}
