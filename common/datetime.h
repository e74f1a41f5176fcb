/* datetime.h - dates, times and time zones: parse, check, convert, format. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_DATETIME_H
#define DMO_DATETIME_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/*
 * A broken-down date and time on the proleptic Gregorian calendar.  Parts
 * that were not given are 0 (day and month 1); has_* say which were.
 * offset is in seconds east of UTC, meaningful when has_offset.  Years
 * run from 1 to 9999 (the ISO 8601 four-digit range).  Nothing here uses
 * the C library's TZ, localtime or locale: every function is reentrant.
 */
struct dmo_datetime {
	int	 year, mon, day;		/* 1-9999, 1-12, 1-31 */
	int	 hour, min, sec;		/* 0-23 (24 before dmo_dt_check), 0-59, 0-59 */
	long	 nsec;				/* 0-999999999 */
	int	 frac;				/* fraction digits given, 0-9 */
	int	 has_date, has_time, has_offset;
	int	 offset;			/* seconds east of UTC */
	int	 end_of_day;			/* the input said 24:00 */
};

/*
 * Parse ISO 8601 / RFC 3339 text: "YYYY-MM-DD", "YYYY-MM-DD[T ]hh:mm[:ss
 * [.f...]][Z|+hh:mm|+hhmm|+hh]", "hh:mm[:ss[.f]][offset]" (with
 * want_date 0 only).  want_date: 1 a date is required, 0 forbidden, -1
 * either.  Returns 0, or -1 with *why set to a short reason.  The result
 * is checked (dmo_dt_check).
 */
int	 dmo_dt_parse_iso(const char *p, size_t n, int want_date,
	    struct dmo_datetime *, const char **why);

/*
 * Is p[0..n) a UTC date-time in the one layout dmo writes,
 * "YYYY-MM-DDThh:mm:ssZ" or "YYYY-MM-DDThh:mm:ss.fZ" with 1 to 9 fraction
 * digits, and a valid instant (year 1-9999, a day the month has, hour
 * 0-23, no leap second)?  1 yes, 0 no.  Fixed positions, no parse: for
 * dmo-clean, which keeps such text as it is.  For every text it says 1
 * to, dmo_dt_parse_iso succeeds and dmo_dt_put_iso writes the same text
 * back; a 0 says nothing (other layouts may still parse).
 */
int	 dmo_dt_is_canonical_utc(const char *p, size_t n);

/*
 * Parse by a strptime-like format (dmo-schema(5)): %Y %m %d %e %H %I %M
 * %S %f %p %y %b %B %h %a %A %j %z %Z %s %F %T %D %R %% and literal text; a
 * space in the format matches one or more spaces.  English month and day
 * names, any case.  The whole text must match.  The result is checked.
 */
int	 dmo_dt_parse_fmt(const char *p, size_t n, const char *fmt,
	    struct dmo_datetime *, const char **why);

/*
 * Check the ranges (a day that the month has, leap years, 24:00:00 only
 * as the end of a day, no leap second) and turn 24:00 into 00:00 of the
 * next day.  0, or -1 with *why.
 */
int	 dmo_dt_check(struct dmo_datetime *, const char **why);

int	 dmo_dt_leap(int year);
int	 dmo_dt_mdays(int year, int mon);
/* Days since 1970-01-01 of a civil date, and back. */
long long dmo_dt_days(int year, int mon, int day);
void	 dmo_dt_civil(long long days, int *year, int *mon, int *day);
/* 0 = Sunday ... 6 = Saturday; 1-366. */
int	 dmo_dt_weekday(const struct dmo_datetime *);
int	 dmo_dt_yday(const struct dmo_datetime *);

/* The wall time as seconds since the epoch, ignoring the offset. */
long long dmo_dt_local_secs(const struct dmo_datetime *);
/* The instant: local seconds minus the offset. */
long long dmo_dt_epoch(const struct dmo_datetime *);
/* The wall time at offset of an instant (year range not checked). */
void	 dmo_dt_from_epoch(long long secs, long nsec, int offset,
	    struct dmo_datetime *);

/*
 * Arithmetic on the wall time, keeping offset and fraction.
 * dmo_dt_add_seconds moves by an exact number of seconds (days are
 * 86400 s: for an instant in a zone, convert to UTC first).
 * dmo_dt_add_months moves by calendar months and clamps the day to the
 * last of the month (2024-01-31 + 1 month is 2024-02-29; 2024-02-29 + 12
 * is 2025-02-28).  Both return 0, or -1 when the year leaves 1-9999 (t
 * unchanged).  dmo_dt_diff is a - b in seconds, offsets counted.
 */
int	 dmo_dt_add_seconds(struct dmo_datetime *, long long secs);
int	 dmo_dt_add_months(struct dmo_datetime *, long long months);
long long dmo_dt_diff(const struct dmo_datetime *a,
	    const struct dmo_datetime *b);

/*
 * Append ISO 8601 text: "YYYY-MM-DD" (what 'd'), "hh:mm:ss[.f]" ('t'),
 * or "YYYY-MM-DDThh:mm:ss[.f]" ('T'), with "Z" or "+hh:mm" after a time
 * when has_offset.  The fraction is printed with frac digits.
 */
void	 dmo_dt_put_iso(const struct dmo_datetime *, int what,
	    struct dmo_buf *);

/* strftime-like, with the directives of dmo_dt_parse_fmt. */
void	 dmo_dt_format(const struct dmo_datetime *, const char *fmt,
	    struct dmo_buf *);

/*
 * Time zones: "UTC", "Z", a fixed offset ("+05:30", "-0800", "+05"), or
 * an IANA name read from the TZif file under $TZDIR or
 * /usr/share/zoneinfo (version 1 to 4; the POSIX TZ rule in the footer
 * gives the times after the last transition).  Returns NULL with err set
 * (code DMO_EXIT_USAGE) for an unknown or bad zone.
 */
struct dmo_tz;

struct dmo_tz *dmo_tz_open(const char *name, struct dmo_err *);
void	 dmo_tz_free(struct dmo_tz *);
const char *dmo_tz_name(const struct dmo_tz *);

/* The offset (seconds east) in force at an instant; abbr may be NULL. */
int	 dmo_tz_offset(const struct dmo_tz *, long long utc, int *isdst,
	    const char **abbr);

/*
 * A wall time in the zone to an instant.  Wall times that do not exist
 * (a gap, when clocks go forward) and those that happen twice (an
 * overlap, when they go back) follow rule:
 *	DMO_TZ_COMPAT	gap: moved later by the length of the gap (the
 *			offset before the change is used); overlap: the
 *			earlier instant.  (RFC 5545, java.time, JavaScript
 *			Temporal's "compatible".)
 *	DMO_TZ_EARLIER	gap: the offset after the change (an earlier wall
 *			time); overlap: the earlier instant.
 *	DMO_TZ_LATER	gap: as COMPAT; overlap: the later instant.
 *	DMO_TZ_REJECT	either: -1.
 * Returns 0 for a wall time that exists once, 1 in a gap, 2 in an
 * overlap, -1 when rejected.  *offset is the offset used.
 */
enum dmo_tz_rule {
	DMO_TZ_COMPAT = 0,
	DMO_TZ_EARLIER,
	DMO_TZ_LATER,
	DMO_TZ_REJECT
};

int	 dmo_tz_resolve(const struct dmo_tz *, long long local,
	    enum dmo_tz_rule, long long *utc, int *offset);

/* Parse a fixed offset: "Z", "+hh", "+hhmm", "+hh:mm" (also -).  0/-1. */
int	 dmo_dt_parse_offset(const char *p, size_t n, int *secs);

#endif
