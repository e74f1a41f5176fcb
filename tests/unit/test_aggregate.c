/* test_aggregate.c - unit tests for groups, aggregates and windows (aggregate.c). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "exitcode.h"
#include "format.h"
#include "value.h"

#include "testhelp.h"

struct sink {
	struct dmo_buf	 b;
};

static int
emit(void *ctx, const struct dmo_record *r, struct dmo_err *err)
{
	struct sink *s = ctx;
	struct dmo_out *o = th_out_new();

	(void)err;
	dmo_json_put_record(o, r);
	th_out_bytes(o, &s->b);
	s->b.len = strlen(s->b.p);
	dmo_buf_addc(&s->b, '\n');
	dmo_out_free(o);
	return 0;
}

/*
 * Aggregate NDJSON text; the output records, one a line, and each
 * rejection as "! message" in order.  Returns a static copy.
 */
static const char *
run(const struct dmo_agg_opts *o, const char *ndjson)
{
	static struct dmo_buf res;
	struct sink s = { DMO_BUF_INIT };
	struct dmo_read_opts ro;
	struct dmo_reader *rd;
	struct dmo_record rec;
	struct dmo_agg *a;
	struct dmo_err err;
	int rc;

	memset(&ro, 0, sizeof(ro));
	ro.format = DMO_FMT_NDJSON;
	if ((a = dmo_agg_new(o, &err)) == NULL) {
		dmo_buf_release(&res);
		dmo_buf_printf(&res, "usage: %s", err.msg);
		return dmo_buf_cstr(&res);
	}
	if ((rd = dmo_reader_open(th_new_file(ndjson, strlen(ndjson)), &ro,
	    &err)) == NULL)
		bail("open: %s", err.msg);
	dmo_record_init(&rec);
	while ((rc = dmo_reader_next(rd, &rec, &err)) != DMO_READ_EOF) {
		if (rc != DMO_READ_RECORD)
			bail("read: %s", err.msg);
		if (dmo_agg_add(a, &rec, emit, &s, &err) == -1)
			dmo_buf_printf(&s.b, "! %s\n", err.msg);
	}
	if (dmo_agg_finish(a, emit, &s, &err) != 0)
		bail("finish: %s", err.msg);
	dmo_agg_free(a);
	dmo_record_release(&rec);
	dmo_reader_free(rd);
	dmo_buf_release(&res);
	dmo_buf_add(&res, s.b.p == NULL ? "" : s.b.p, s.b.len);
	dmo_buf_release(&s.b);
	return dmo_buf_cstr(&res);
}

static void
test_batch(void)
{
	struct dmo_agg_opts o = { .group_by = "city",
	    .spec = "count,sum(amount),min(amount),max(amount),mean(amount)" };
	const char *in =
	    "{\"city\":\"Oslo\",\"amount\":\"12.30\"}\n"
	    "{\"city\":\"Rome\",\"amount\":5}\n"
	    "{\"city\":\"Oslo\",\"amount\":0.1}\n"
	    "{\"city\":\"Oslo\",\"amount\":null}\n"
	    "{\"city\":\"Rome\",\"amount\":-7.25}\n";

	CHECK_STR(run(&o, in),
	    "{\"city\":\"Oslo\",\"count\":3,\"sum_amount\":12.40,"
	    "\"min_amount\":0.1,\"max_amount\":12.30,\"mean_amount\":6.2}\n"
	    "{\"city\":\"Rome\",\"count\":2,\"sum_amount\":-2.25,"
	    "\"min_amount\":-7.25,\"max_amount\":5,\"mean_amount\":-1.125}\n",
	    "batch: groups in order of first appearance, nulls skipped");
}

static void
test_decimal(void)
{
	struct dmo_agg_opts o = { .spec = "sum(x),total=sum(y)" };
	struct dmo_buf in = DMO_BUF_INIT;
	int i;

	/* 0.1 ten thousand times: a double sum drifts, a decimal one not. */
	for (i = 0; i < 10000; i++)
		dmo_buf_adds(&in, "{\"x\":0.1,\"y\":\"19.99\"}\n");
	CHECK_STR(run(&o, dmo_buf_cstr(&in)),
	    "{\"sum_x\":1000.0,\"total\":199900.00}\n",
	    "sum: decimal text sums exactly, keeps its scale; NAME=");
	dmo_buf_release(&in);
	o.spec = "sum(x)";
	CHECK_STR(run(&o, "{\"x\":1e2}\n{\"x\":0.5}\n"),
	    "{\"sum_x\":100.5}\n", "sum: an exponent goes to the float sum");
	CHECK_STR(run(&o, "{\"x\":170141183460469231731687303715884105727}\n"
	    "{\"x\":1}\n"), "{\"sum_x\":1.7014118346046923e+38}\n",
	    "sum: past 36 digits the sum is a float");
	CHECK_STR(run(&o, "{\"x\":99999999999999999999999999999999999}\n"
	    "{\"x\":1}\n"), "{\"sum_x\":100000000000000000000000000000000000}\n",
	    "sum: 35 digits stay exact");
	/*
	 * Up to 18 digits are read in 64 bits, more in 128: both give what
	 * the 128-bit reading alone gave (2026-11-21, the fast path).
	 */
	o.group_by = "g";
	o.spec = "count(x),sum(x),min(x),max(x)";
	CHECK_STR(run(&o, "{\"g\":\"a\",\"x\":\"1.\"}\n"
	    "{\"g\":\"a\",\"x\":\".5\"}\n{\"g\":\"a\",\"x\":\"-.25\"}\n"
	    "{\"g\":\"a\",\"x\":\"+3\"}\n"
	    "{\"g\":\"b\",\"x\":\"999999999999999999\"}\n"
	    "{\"g\":\"b\",\"x\":\"9999999999999999999\"}\n"
	    "{\"g\":\"b\",\"x\":\"-0.000000000000000001\"}\n"
	    "{\"g\":\"c\",\"x\":\"123456789012345678.5\"}\n"
	    "{\"g\":\"c\",\"x\":\"1.5\"}\n{\"g\":\"c\",\"x\":\"-7\"}\n"
	    "{\"g\":\"d\",\"x\":\"-\"}\n{\"g\":\"d\",\"x\":\"1.2.3\"}\n"
	    "{\"g\":\"d\",\"x\":\"0.10\"}\n{\"g\":\"e\",\"x\":\"00012.50\"}\n"
	    "{\"g\":\"e\",\"x\":\"-0\"}\n"),
	    "! field 'x': not a number: \"-\"\n"
	    "! field 'x': not a number: \"1.2.3\"\n"
	    "{\"g\":\"a\",\"count_x\":4,\"sum_x\":4.25,\"min_x\":-0.25,"
	    "\"max_x\":3}\n"
	    "{\"g\":\"b\",\"count_x\":3,"
	    "\"sum_x\":10999999999999999997.999999999999999999,"
	    "\"min_x\":-0.000000000000000001,\"max_x\":9999999999999999999}\n"
	    "{\"g\":\"c\",\"count_x\":3,\"sum_x\":123456789012345673.0,"
	    "\"min_x\":-7,\"max_x\":123456789012345678.5}\n"
	    "{\"g\":\"d\",\"count_x\":1,\"sum_x\":0.10,\"min_x\":0.10,"
	    "\"max_x\":0.10}\n"
	    "{\"g\":\"e\",\"count_x\":2,\"sum_x\":12.50,\"min_x\":-0,"
	    "\"max_x\":12.5}\n",
	    "sum: 18 and 19 digits, \"1.\", \".5\", \"+3\": 64 and 128 bits agree");
	o.group_by = NULL;
	o.spec = "sum(x)";
	CHECK_STR(run(&o, "{\"x\":1}\n{\"x\":\"abc\"}\n{\"x\":true}\n"
	    "{\"x\":\"\"}\n{\"x\":\"0x10\"}\n"),
	    "! field 'x': not a number: \"abc\"\n"
	    "! field 'x': not a number: \"true\"\n"
	    "! field 'x': not a number: \"0x10\"\n"
	    "{\"sum_x\":1}\n",
	    "sum: not a number rejects the record; empty text is skipped");
}

static void
test_empty(void)
{
	struct dmo_agg_opts o = { .spec = "count,count(x),sum(x),mean(x),"
	    "stddev(x),distinct(x),first(x),p50(x)" };

	CHECK_STR(run(&o, ""),
	    "{\"count\":0,\"count_x\":0,\"sum_x\":null,\"mean_x\":null,"
	    "\"stddev_x\":null,\"distinct_x\":0,\"first_x\":null,"
	    "\"p50_x\":null}\n",
	    "empty input: one record of zeros and nulls (as SQL)");
	o.group_by = "g";
	CHECK_STR(run(&o, ""), "", "empty input with groups: no record");
	CHECK_STR(run(&o, "{\"g\":null,\"x\":null}\n{\"x\":1}\n"),
	    "{\"g\":null,\"count\":2,\"count_x\":1,\"sum_x\":1,\"mean_x\":1,"
	    "\"stddev_x\":null,\"distinct_x\":1,\"first_x\":1,\"p50_x\":1}\n",
	    "null and missing group fields are one group");
}

static void
test_stats(void)
{
	struct dmo_agg_opts o = { .spec = "stddev(x),var(x),distinct(x),"
	    "first(x),last(x),median(x),p90(x),p0(x),p100(x)" };
	struct dmo_buf in = DMO_BUF_INIT;
	int i;

	CHECK_STR(run(&o, "{\"x\":2}\n{\"x\":4}\n{\"x\":4}\n{\"x\":4}\n"
	    "{\"x\":5}\n{\"x\":5}\n{\"x\":7}\n{\"x\":9}\n"),
	    "{\"stddev_x\":2.138089935299395,\"var_x\":4.571428571428571,"
	    "\"distinct_x\":5,\"first_x\":2,\"last_x\":9,\"median_x\":4,"
	    "\"p90_x\":9,\"p0_x\":2,\"p100_x\":9}\n",
	    "stddev (sample), var, distinct, first, last, nearest-rank "
	    "quantiles");
	/* Welford: a large mean does not cancel the spread away. */
	o.spec = "stddev(x)";
	for (i = 0; i < 4; i++)
		dmo_buf_printf(&in, "{\"x\":%d}\n", 1000000000 + (i % 2) * 2);
	CHECK_STR(run(&o, dmo_buf_cstr(&in)),
	    "{\"stddev_x\":1.1547005383792515}\n",
	    "stddev: exact on values near 1e9");
	dmo_buf_release(&in);
	o.spec = "p95(x)";
	in.len = 0;
	for (i = 20; i >= 1; i--)
		dmo_buf_printf(&in, "{\"x\":\"%d.0\"}\n", i);
	CHECK_STR(run(&o, dmo_buf_cstr(&in)), "{\"p95_x\":19.0}\n",
	    "p95 of 1..20: the 19th value, its lexeme kept");
	dmo_buf_release(&in);
	o.spec = "min(d),max(d),distinct(d)";
	CHECK_STR(run(&o, "{\"d\":\"2024-03-01\"}\n{\"d\":\"2023-12-31\"}\n"
	    "{\"d\":10}\n{\"d\":\"10\"}\n"),
	    "{\"min_d\":10,\"max_d\":\"2024-03-01\",\"distinct_d\":3}\n",
	    "min/max: numbers before text; distinct by text");
}

static void
test_spec(void)
{
	struct dmo_agg_opts o = { 0 };

	o.spec = "count,sum";
	CHECK_STR(run(&o, ""), "usage: aggregate 'sum': needs a field, as in "
	    "sum(amount): \"sum\"", "spec: sum without a field");
	o.spec = "count,median(x";
	CHECK_STR(run(&o, ""), "usage: aggregate: missing ')': \"median(x\"",
	    "spec: missing parenthesis");
	o.spec = "count,,sum(x)";
	CHECK_STR(run(&o, ""), "usage: aggregate: empty item in "
	    "\"count,,sum(x)\"", "spec: empty item");
	o.spec = "total(x)";
	CHECK_STR(run(&o, ""), "usage: unknown aggregate: \"total(x)\"",
	    "spec: unknown function");
	o.spec = "p101(x)";
	CHECK_STR(run(&o, ""), "usage: unknown aggregate: \"p101(x)\"",
	    "spec: quantile above 100");
	o.spec = "count,count";
	CHECK_STR(run(&o, ""), "usage: aggregate: output field 'count' named "
	    "twice (name one with NAME=fn(field))", "spec: a name twice");
	o.group_by = "a,,b";
	o.spec = NULL;
	CHECK_STR(run(&o, ""), "usage: group-by: empty field name in "
	    "\"a,,b\"", "group-by: empty name");
}

static void
test_windows(void)
{
	struct dmo_agg_opts o = { .group_by = "k", .spec = "count,sum(v)",
	    .time_field = "ts", .window_us = 60000000LL,
	    .lateness_us = 10000000LL };

	CHECK_STR(run(&o,
	    "{\"ts\":\"2024-01-01T00:00:10Z\",\"k\":\"a\",\"v\":1}\n"
	    "{\"ts\":\"2024-01-01T00:00:50Z\",\"k\":\"b\",\"v\":2}\n"
	    "{\"ts\":\"2024-01-01T00:01:05Z\",\"k\":\"a\",\"v\":4}\n"
	    "{\"ts\":\"2024-01-01T00:00:55Z\",\"k\":\"a\",\"v\":8}\n"
	    "{\"ts\":\"2024-01-01T00:01:11Z\",\"k\":\"a\",\"v\":16}\n"
	    "{\"ts\":\"2024-01-01T00:00:59Z\",\"k\":\"a\",\"v\":32}\n"
	    "{\"ts\":\"2024-01-01T01:00:00+01:00\",\"k\":\"a\",\"v\":64}\n"),
	    "{\"k\":\"a\",\"window_start\":\"2024-01-01T00:00:00Z\","
	    "\"window_end\":\"2024-01-01T00:01:00Z\",\"count\":2,\"sum_v\":9}\n"
	    "{\"k\":\"b\",\"window_start\":\"2024-01-01T00:00:00Z\","
	    "\"window_end\":\"2024-01-01T00:01:00Z\",\"count\":1,\"sum_v\":2}\n"
	    "! field 'ts': late, watermark 2024-01-01T00:01:01Z: "
	    "\"2024-01-01T00:00:59Z\"\n"
	    "! field 'ts': late, watermark 2024-01-01T00:01:01Z: "
	    "\"2024-01-01T01:00:00+01:00\"\n"
	    "{\"k\":\"a\",\"window_start\":\"2024-01-01T00:01:00Z\","
	    "\"window_end\":\"2024-01-01T00:02:00Z\",\"count\":2,"
	    "\"sum_v\":20}\n",
	    "tumbling: out of order within lateness counts, late rejected, "
	    "the end closes all");
	o.group_by = NULL;
	o.lateness_us = 0;
	o.spec = "count";
	o.slide_us = 20000000LL;
	o.window_us = 40000000LL;
	CHECK_STR(run(&o, "{\"ts\":5}\n{\"ts\":25}\n{\"ts\":41.5}\n"
	    "{\"ts\":19}\n{\"ts\":\"x\"}\n{\"ts\":null}\n{\"t\":1}\n"),
	    "{\"window_start\":-20,\"window_end\":20,\"count\":1}\n"
	    "{\"window_start\":0,\"window_end\":40,\"count\":2}\n"
	    "! field 'ts': late, watermark 41.5: \"19\"\n"
	    "! field 'ts': not a time: \"x\"\n"
	    "! field 'ts': null event time\n"
	    "! field 'ts': missing\n"
	    "{\"window_start\":20,\"window_end\":60,\"count\":2}\n"
	    "{\"window_start\":40,\"window_end\":80,\"count\":1}\n",
	    "sliding, lateness 0, epoch seconds; bad event times rejected");
	o.spec = "count";
	o.slide_us = 0;
	o.window_us = 10000000LL;
	CHECK_STR(run(&o, "{\"ts\":20}\n{\"ts\":10}\n{\"ts\":30}\n"),
	    "! field 'ts': late, watermark 20: \"10\"\n"
	    "{\"window_start\":20,\"window_end\":30,\"count\":1}\n"
	    "{\"window_start\":30,\"window_end\":40,\"count\":1}\n",
	    "lateness 0: a window closes when its end is seen");
	o.slide_us = 20000000LL;
	CHECK_STR(run(&o, ""), "usage: the slide must be positive and at "
	    "most the window length", "slide longer than the window");
}

static void
test_time(void)
{
	long long us;
	int iso;

	CHECK(dmo_agg_parse_time(DMO_STRING, S("1970-01-01T00:00:00Z"), &us,
	    &iso) == 0 && us == 0 && iso == 1, "time: the epoch");
	CHECK(dmo_agg_parse_time(DMO_STRING, S("2024-02-29 12:30"), &us,
	    &iso) == 0 && us == 1709209800000000LL, "time: space, no seconds");
	CHECK(dmo_agg_parse_time(DMO_STRING, S("2023-02-29"), &us, &iso) ==
	    -1, "time: 29 February 2023 does not exist");
	CHECK(dmo_agg_parse_time(DMO_STRING, S("2024-01-01T00:00:00.25-0130"),
	    &us, &iso) == 0 && us == 1704072600250000LL,
	    "time: fraction and offset without colon");
	CHECK(dmo_agg_parse_time(DMO_STRING, S("1969-12-31T23:59:59.5Z"), &us,
	    &iso) == 0 && us == -500000, "time: before 1970");
	CHECK(dmo_agg_parse_time(DMO_NUMBER, S("1e300"), &us, &iso) == -1,
	    "time: out of range");
	CHECK(dmo_agg_parse_time(DMO_TRUE, S(""), &us, &iso) == -1,
	    "time: a boolean is not a time");
	CHECK(dmo_agg_parse_time(DMO_STRING, S("2024-01-01T24:00:00Z"), &us,
	    &iso) == -1, "time: hour 24");
}

int
main(void)
{
	th_tmpdir("test_aggregate");
	test_batch();
	test_decimal();
	test_empty();
	test_stats();
	test_spec();
	test_windows();
	test_time();
	return done();
}
