/* test_datetime.c - unit tests for dates, times and time zones (datetime.c). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "datetime.h"

#include "testhelp.h"

/* Parse ISO text and print it back as 'T', 'd' or 't'. */
static const char *
iso(const char *s, int want_date, int what)
{
	static char out[128];
	struct dmo_datetime t;
	struct dmo_buf b = DMO_BUF_INIT;
	const char *why;

	if (dmo_dt_parse_iso(s, strlen(s), want_date, &t, &why) != 0) {
		snprintf(out, sizeof(out), "error: %s", why);
		return out;
	}
	dmo_dt_put_iso(&t, what, &b);
	snprintf(out, sizeof(out), "%s", dmo_buf_cstr(&b));
	dmo_buf_release(&b);
	return out;
}

static const char *
fmt(const char *s, const char *f)
{
	static char out[128];
	struct dmo_datetime t;
	struct dmo_buf b = DMO_BUF_INIT;
	const char *why;

	if (dmo_dt_parse_fmt(s, strlen(s), f, &t, &why) != 0) {
		snprintf(out, sizeof(out), "error: %s", why);
		return out;
	}
	dmo_dt_put_iso(&t, t.has_time ? 'T' : 'd', &b);
	snprintf(out, sizeof(out), "%s", dmo_buf_cstr(&b));
	dmo_buf_release(&b);
	return out;
}

static void
test_calendar(void)
{
	int y, m, d;

	CHECK_EQ(dmo_dt_days(1970, 1, 1), 0, "days: the epoch is day 0");
	CHECK_EQ(dmo_dt_days(2000, 3, 1), 11017, "days: 2000-03-01");
	CHECK_EQ(dmo_dt_days(1969, 12, 31), -1, "days: before the epoch");
	dmo_dt_civil(dmo_dt_days(1, 1, 1), &y, &m, &d);
	CHECK(y == 1 && m == 1 && d == 1, "civil: 0001-01-01 round trip");
	dmo_dt_civil(dmo_dt_days(9999, 12, 31), &y, &m, &d);
	CHECK(y == 9999 && m == 12 && d == 31, "civil: 9999-12-31 round trip");
	CHECK(dmo_dt_leap(2000) && dmo_dt_leap(2024) && !dmo_dt_leap(1900) &&
	    !dmo_dt_leap(2023) && !dmo_dt_leap(2100),
	    "leap: 2000 and 2024 yes; 1900, 2023, 2100 no");
	{
		struct dmo_datetime t = { .year = 2026, .mon = 11, .day = 21 };

		CHECK_EQ(dmo_dt_weekday(&t), 6, "weekday: 2026-11-21 is Saturday");
		t.year = 1969; t.mon = 12; t.day = 28;
		CHECK_EQ(dmo_dt_weekday(&t), 0, "weekday: 1969-12-28 is Sunday");
		t.year = 2024; t.mon = 12; t.day = 31;
		CHECK_EQ(dmo_dt_yday(&t), 366, "yday: 2024-12-31 is day 366");
	}
}

static void
test_iso(void)
{
	CHECK_STR(iso("2024-02-29", 1, 'd'), "2024-02-29", "iso: leap day");
	CHECK_STR(iso("2023-02-29", 1, 'd'), "error: not a leap year",
	    "iso: no 29 February in 2023");
	CHECK_STR(iso("1900-02-29", 1, 'd'), "error: not a leap year",
	    "iso: no 29 February in 1900");
	CHECK_STR(iso("2000-02-29", 1, 'd'), "2000-02-29",
	    "iso: 29 February 2000");
	CHECK_STR(iso("2024-04-31", 1, 'd'),
	    "error: day out of range for the month", "iso: 31 April");
	CHECK_STR(iso("2024-13-01", 1, 'd'), "error: month out of range",
	    "iso: month 13");
	CHECK_STR(iso("0000-01-01", 1, 'd'),
	    "error: year out of range (1-9999)", "iso: year 0");
	CHECK_STR(iso("2024-01-31T24:00:00Z", 1, 'T'), "2024-02-01T00:00:00Z",
	    "iso: 24:00 is the start of the next day");
	CHECK_STR(iso("2024-12-31T24:00", 1, 'T'), "2025-01-01T00:00:00",
	    "iso: 24:00 on New Year's Eve");
	CHECK_STR(iso("9999-12-31T24:00", 1, 'T'),
	    "error: year out of range (1-9999)", "iso: 24:00 past 9999");
	CHECK_STR(iso("2024-01-01T24:00:01", 1, 'T'), "error: hour out of range",
	    "iso: 24:00:01");
	CHECK_STR(iso("24:00:00", 0, 't'),
	    "error: 24:00 is the end of a day: a date is needed",
	    "iso: 24:00 alone");
	CHECK_STR(iso("2016-12-31T23:59:60Z", 1, 'T'),
	    "error: leap seconds are not supported", "iso: leap second");
	CHECK_STR(iso("2024-06-01T12:00:00+05:30", 1, 'T'),
	    "2024-06-01T12:00:00+05:30", "iso: +05:30 kept");
	CHECK_STR(iso("2024-06-01T12:00:00-0800", 1, 'T'),
	    "2024-06-01T12:00:00-08:00", "iso: -0800");
	CHECK_STR(iso("2024-06-01T12:00:00+05", 1, 'T'),
	    "2024-06-01T12:00:00+05:00", "iso: +05");
	CHECK_STR(iso("2024-06-01 12:00:00z", 1, 'T'), "2024-06-01T12:00:00Z",
	    "iso: space and lower-case z");
	CHECK_STR(iso("2024-06-01T12:00:00+24:00", 1, 'T'),
	    "error: not an ISO 8601 date or time", "iso: offset +24:00");
	CHECK_STR(iso("2024-06-01T12:00:00.123456789Z", 1, 'T'),
	    "2024-06-01T12:00:00.123456789Z", "iso: nanoseconds");
	CHECK_STR(iso("2024-06-01T12:00:00.1234567891Z", 1, 'T'),
	    "error: not an ISO 8601 date or time",
	    "iso: below a nanosecond is refused, not rounded");
	CHECK_STR(iso("2024-06-01T12:00:00.1234567890Z", 1, 'T'),
	    "2024-06-01T12:00:00.123456789Z", "iso: trailing zero digits");
	CHECK_STR(iso("2024-06-01T12:00", 1, 'T'), "2024-06-01T12:00:00",
	    "iso: no seconds");
	CHECK_STR(iso("2024-6-1", 1, 'd'), "error: not an ISO 8601 date or time",
	    "iso: one-digit month");
	CHECK_STR(iso("12:30:15", 0, 't'), "12:30:15", "iso: a time");
	CHECK_STR(iso("12:30:15Z", 0, 't'), "12:30:15Z", "iso: a time with Z");
	CHECK_STR(iso("2024-06-01", 0, 't'), "error: not an ISO 8601 date or time",
	    "iso: a date where a time is wanted");
	CHECK_STR(iso("2024-06-01T", 1, 'T'), "error: not an ISO 8601 date or time",
	    "iso: T without a time");
}

static void
test_formats(void)
{
	CHECK_STR(fmt("10/12/2023", "%d/%m/%Y"), "2023-12-10", "fmt: %d/%m/%Y");
	CHECK_STR(fmt("3/7/2023", "%m/%d/%Y"), "2023-03-07",
	    "fmt: one-digit month and day");
	CHECK_STR(fmt("29/02/2023", "%d/%m/%Y"), "error: not a leap year",
	    "fmt: 29/02/2023");
	CHECK_STR(fmt("7 Mar 2024", "%d %b %Y"), "2024-03-07", "fmt: %b");
	CHECK_STR(fmt("7 march 2024", "%d %B %Y"), "2024-03-07",
	    "fmt: %B in lower case");
	CHECK_STR(fmt("7   Mar 2024", "%d %b %Y"), "2024-03-07",
	    "fmt: a space matches several");
	CHECK_STR(fmt("7Mar 2024", "%d %b %Y"), "error: does not match the format",
	    "fmt: a space matches at least one");
	CHECK_STR(fmt("12/31/99 11:05 PM", "%m/%d/%y %I:%M %p"),
	    "1999-12-31T23:05:00", "fmt: %y 99 is 1999, %I %p");
	CHECK_STR(fmt("01/01/68 12:00 am", "%m/%d/%y %I:%M %p"),
	    "2068-01-01T00:00:00", "fmt: %y 68 is 2068, 12 am is midnight");
	CHECK_STR(fmt("2024-366", "%Y-%j"), "2024-12-31", "fmt: %j 366 in 2024");
	CHECK_STR(fmt("2023-366", "%Y-%j"),
	    "error: day of the year out of range", "fmt: %j 366 in 2023");
	CHECK_STR(fmt("1700000000", "%s"), "2023-11-14T22:13:20Z",
	    "fmt: %s epoch seconds");
	CHECK_STR(fmt("20240229T120000+0530", "%Y%m%dT%H%M%S%z"),
	    "2024-02-29T12:00:00+05:30", "fmt: basic format with %z");
	CHECK_STR(fmt("Thu, 29 Feb 2024 12:00:00 GMT", "%a, %d %b %Y %T %Z"),
	    "2024-02-29T12:00:00Z", "fmt: RFC 1123 with %a and %Z");
	CHECK_STR(fmt("2024-02-29 12:00:00.5", "%F %T.%f"),
	    "2024-02-29T12:00:00.5", "fmt: %F %T.%f");
	CHECK_STR(fmt("2024-02-29x", "%Y-%m-%d"),
	    "error: does not match the format", "fmt: trailing text");
	CHECK_STR(fmt("13:00 PM", "%H:%M %p"),
	    "error: hour out of range for AM/PM", "fmt: 13 PM");
	{
		struct dmo_datetime t = { .year = 2024, .mon = 2, .day = 29,
		    .hour = 13, .min = 5, .sec = 9, .has_date = 1,
		    .has_time = 1 };
		struct dmo_buf b = DMO_BUF_INIT;

		dmo_dt_format(&t, "%A %d %B %Y, %I:%M %p (%j) %%", &b);
		CHECK_STR(dmo_buf_cstr(&b),
		    "Thursday 29 February 2024, 01:05 PM (060) %",
		    "format: names, 12-hour clock, day of year");
		dmo_buf_release(&b);
	}
}

/* Offset in the zone at an instant, as TZ=name localtime_r sees it. */
static long
libc_offset(const char *zone, long long t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	setenv("TZ", zone, 1);
	tzset();
	localtime_r(&tt, &tm);
	return tm.tm_gmtoff;
}

static void
test_zones(void)
{
	static const char *const zones[] = {
		"Europe/London", "America/New_York", "Asia/Kolkata",
		"Australia/Sydney", "Australia/Lord_Howe", "Asia/Kathmandu",
		"America/Sao_Paulo", "Pacific/Chatham", "Africa/Casablanca",
		"America/St_Johns", "Europe/Dublin",
	};
	struct dmo_err err;
	struct dmo_tz *z;
	long long utc;
	int off, rc;
	size_t i;

	z = dmo_tz_open("Europe/London", &err);
	if (z == NULL) {
		skip("zones: Europe/London", err.msg);
		return;
	}
	/* 2024-03-31 01:30 London does not exist; 2024-10-27 01:30 twice. */
	rc = dmo_tz_resolve(z, dmo_dt_days(2024, 3, 31) * 86400 + 5400,
	    DMO_TZ_COMPAT, &utc, &off);
	CHECK(rc == 1 && off == 0 && utc == dmo_dt_days(2024, 3, 31) * 86400 +
	    5400, "zones: London gap, compatible: moved on to 02:30 BST");
	rc = dmo_tz_resolve(z, dmo_dt_days(2024, 3, 31) * 86400 + 5400,
	    DMO_TZ_EARLIER, &utc, &off);
	CHECK(rc == 1 && off == 3600, "zones: London gap, earlier: 00:30 GMT");
	rc = dmo_tz_resolve(z, dmo_dt_days(2024, 3, 31) * 86400 + 5400,
	    DMO_TZ_REJECT, &utc, &off);
	CHECK_EQ(rc, -1, "zones: London gap, reject");
	rc = dmo_tz_resolve(z, dmo_dt_days(2024, 10, 27) * 86400 + 5400,
	    DMO_TZ_COMPAT, &utc, &off);
	CHECK(rc == 2 && off == 3600, "zones: London overlap, the earlier (BST)");
	rc = dmo_tz_resolve(z, dmo_dt_days(2024, 10, 27) * 86400 + 5400,
	    DMO_TZ_LATER, &utc, &off);
	CHECK(rc == 2 && off == 0, "zones: London overlap, later (GMT)");
	rc = dmo_tz_resolve(z, dmo_dt_days(2024, 7, 1) * 86400 + 43200,
	    DMO_TZ_REJECT, &utc, &off);
	CHECK(rc == 0 && off == 3600, "zones: London summer, once");
	/* Far beyond the table: the footer's POSIX rule. */
	CHECK_EQ(dmo_tz_offset(z, dmo_dt_days(2200, 7, 1) * 86400, NULL, NULL),
	    3600, "zones: London in July 2200 (footer rule)");
	CHECK_EQ(dmo_tz_offset(z, dmo_dt_days(2200, 1, 1) * 86400, NULL, NULL),
	    0, "zones: London in January 2200");
	dmo_tz_free(z);

	/* Every zone against the C library, hourly-ish over 1900-2100. */
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		long long t, bad = 0, n = 0;
		char name[128];

		if ((z = dmo_tz_open(zones[i], &err)) == NULL) {
			skip(zones[i], err.msg);
			continue;
		}
		for (t = -2208988800LL; t < 4102444800LL; t += 3599 * 7) {
			n++;
			if (dmo_tz_offset(z, t, NULL, NULL) !=
			    libc_offset(zones[i], t)) {
				if (bad++ == 0)
					printf("# %s at %lld: %d, libc %ld\n",
					    zones[i], t, dmo_tz_offset(z, t,
					    NULL, NULL), libc_offset(zones[i], t));
			}
		}
		snprintf(name, sizeof(name), "zones: %s agrees with the C "
		    "library at %lld instants, 1900-2100", zones[i], n);
		CHECK_EQ(bad, 0, name);
		dmo_tz_free(z);
	}
	unsetenv("TZ");

	z = dmo_tz_open("+05:30", &err);
	CHECK(z != NULL && dmo_tz_offset(z, 0, NULL, NULL) == 19800,
	    "zones: a fixed offset +05:30");
	dmo_tz_free(z);
	CHECK(dmo_tz_open("Nowhere/Atlantis", &err) == NULL &&
	    strcmp(err.msg, "unknown time zone: \"Nowhere/Atlantis\"") == 0,
	    "zones: an unknown name");
	CHECK(dmo_tz_open("../../etc/passwd", &err) == NULL,
	    "zones: no way out of the zone directory");
	{
		const char *path = th_new_file("TZif2 but not really", 20);
		char dir[1024], *slash;

		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		*slash = '\0';
		setenv("TZDIR", dir, 1);
		z = dmo_tz_open(slash + 1, &err);
		CHECK(z == NULL && strstr(err.msg, "not a valid TZif file") !=
		    NULL, "zones: a file that is not TZif");
		unsetenv("TZDIR");
	}
}

static const char *
shifted(const char *s, long long months, long long secs)
{
	static char out[64];
	struct dmo_datetime t;
	struct dmo_buf b = DMO_BUF_INIT;
	const char *why;

	if (dmo_dt_parse_iso(s, strlen(s), -1, &t, &why) != 0)
		return why;
	if ((months != 0 && dmo_dt_add_months(&t, months) != 0) ||
	    (secs != 0 && dmo_dt_add_seconds(&t, secs) != 0))
		return "out of range";
	dmo_dt_put_iso(&t, 'T', &b);
	snprintf(out, sizeof(out), "%s", dmo_buf_cstr(&b));
	dmo_buf_release(&b);
	return out;
}

static void
test_arithmetic(void)
{
	struct dmo_datetime a, b;
	const char *why;

	CHECK_STR(shifted("2024-01-31T10:00:00Z", 1, 0), "2024-02-29T10:00:00Z",
	    "add: Jan 31 + 1 month is Feb 29 in a leap year");
	CHECK_STR(shifted("2023-01-31T10:00:00Z", 1, 0), "2023-02-28T10:00:00Z",
	    "add: Jan 31 + 1 month is Feb 28 otherwise");
	CHECK_STR(shifted("2024-02-29T00:00:00Z", 12, 0), "2025-02-28T00:00:00Z",
	    "add: Feb 29 + 12 months");
	CHECK_STR(shifted("2024-03-15T00:00:00+05:30", -15, 0),
	    "2022-12-15T00:00:00+05:30", "add: -15 months keeps the offset");
	CHECK_STR(shifted("2024-12-31T23:59:59.5Z", 0, 1),
	    "2025-01-01T00:00:00.5Z", "add: a second over New Year");
	CHECK_STR(shifted("2024-03-01T00:00:00Z", 0, -86400),
	    "2024-02-29T00:00:00Z", "add: a day back to a leap day");
	CHECK_STR(shifted("9999-12-31T23:59:59Z", 0, 1), "out of range",
	    "add: past 9999");
	CHECK_STR(shifted("0001-01-01T00:00:00Z", -1, 0), "out of range",
	    "add: before year 1");
	dmo_dt_parse_iso(S("2024-06-01T12:00:00+05:30"), 1, &a, &why);
	dmo_dt_parse_iso(S("2024-06-01T06:30:00Z"), 1, &b, &why);
	CHECK_EQ(dmo_dt_diff(&a, &b), 0, "diff: the same instant, two offsets");
	dmo_dt_parse_iso(S("2025-03-01T00:00:00Z"), 1, &b, &why);
	dmo_dt_parse_iso(S("2024-03-01T00:00:00Z"), 1, &a, &why);
	CHECK_EQ(dmo_dt_diff(&b, &a), 365 * 86400LL, "diff: a year without Feb 29");
}

int
main(void)
{
	th_tmpdir("test_datetime");
	test_calendar();
	test_iso();
	test_formats();
	test_arithmetic();
	test_zones();
	return done();
}
