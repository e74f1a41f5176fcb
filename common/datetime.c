/* datetime.c - dates, times and time zones: parse, check, convert, format. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datetime.h"
#include "exitcode.h"

static const char *const months[] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december"
};
static const char *const wdays[] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday",
	"saturday"
};

int
dmo_dt_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
dmo_dt_mdays(int y, int m)
{
	static const int md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };

	if (m < 1 || m > 12)
		return 0;
	return m == 2 && dmo_dt_leap(y) ? 29 : md[m - 1];
}

/* Howard Hinnant's days_from_civil and civil_from_days. */
long long
dmo_dt_days(int y, int m, int d)
{
	long long yy = (long long)y - (m <= 2);
	long long era = (yy >= 0 ? yy : yy - 399) / 400;
	long long yoe = yy - era * 400;
	long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void
dmo_dt_civil(long long z, int *y, int *m, int *d)
{
	long long era, doe, yoe, doy, mp, yy;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

int
dmo_dt_weekday(const struct dmo_datetime *t)
{
	long long z = dmo_dt_days(t->year, t->mon, t->day);

	/* 1970-01-01 was a Thursday. */
	return (int)(((z + 4) % 7 + 7) % 7);
}

int
dmo_dt_yday(const struct dmo_datetime *t)
{
	return (int)(dmo_dt_days(t->year, t->mon, t->day) -
	    dmo_dt_days(t->year, 1, 1) + 1);
}

long long
dmo_dt_local_secs(const struct dmo_datetime *t)
{
	return dmo_dt_days(t->year, t->mon, t->day) * 86400 +
	    t->hour * 3600LL + t->min * 60LL + t->sec;
}

long long
dmo_dt_epoch(const struct dmo_datetime *t)
{
	return dmo_dt_local_secs(t) - (t->has_offset ? t->offset : 0);
}

void
dmo_dt_from_epoch(long long secs, long nsec, int offset,
    struct dmo_datetime *t)
{
	long long l = secs + offset, days, rem;

	days = l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
	rem = l - days * 86400;
	dmo_dt_civil(days, &t->year, &t->mon, &t->day);
	t->hour = (int)(rem / 3600);
	t->min = (int)(rem / 60 % 60);
	t->sec = (int)(rem % 60);
	t->nsec = nsec;
	t->has_date = t->has_time = 1;
	t->offset = offset;
	t->end_of_day = 0;
}

int
dmo_dt_add_seconds(struct dmo_datetime *t, long long secs)
{
	struct dmo_datetime u = *t;

	if (secs > 400000LL * 366 * 86400 || secs < -400000LL * 366 * 86400)
		return -1;
	dmo_dt_from_epoch(dmo_dt_local_secs(t) + secs, t->nsec, 0, &u);
	if (u.year < 1 || u.year > 9999)
		return -1;
	u.offset = t->offset;
	u.has_offset = t->has_offset;
	u.has_date = t->has_date;
	u.has_time = t->has_time;
	u.frac = t->frac;
	*t = u;
	return 0;
}

int
dmo_dt_add_months(struct dmo_datetime *t, long long n)
{
	long long m = (long long)t->year * 12 + (t->mon - 1) + n;
	int y, mon, md;

	if (n > 120000 || n < -120000 || m < 12 || m >= 120000)
		return -1;
	y = (int)(m / 12);
	mon = (int)(m % 12) + 1;
	md = dmo_dt_mdays(y, mon);
	t->year = y;
	t->mon = mon;
	if (t->day > md)
		t->day = md;
	return 0;
}

long long
dmo_dt_diff(const struct dmo_datetime *a, const struct dmo_datetime *b)
{
	return dmo_dt_epoch(a) - dmo_dt_epoch(b);
}

int
dmo_dt_check(struct dmo_datetime *t, const char **why)
{
	if (t->has_date) {
		if (t->year < 1 || t->year > 9999) {
			*why = "year out of range (1-9999)";
			return -1;
		}
		if (t->mon < 1 || t->mon > 12) {
			*why = "month out of range";
			return -1;
		}
		if (t->day < 1 || t->day > dmo_dt_mdays(t->year, t->mon)) {
			*why = t->mon == 2 && t->day == 29 ?
			    "not a leap year" : "day out of range for the month";
			return -1;
		}
	}
	if (t->has_time) {
		if (t->hour == 24) {
			if (t->min != 0 || t->sec != 0 || t->nsec != 0) {
				*why = "hour out of range";
				return -1;
			}
			if (!t->has_date) {
				*why = "24:00 is the end of a day: a date is "
				    "needed";
				return -1;
			}
			/* The end of a day is the start of the next. */
			dmo_dt_civil(dmo_dt_days(t->year, t->mon, t->day) + 1,
			    &t->year, &t->mon, &t->day);
			t->hour = 0;
			t->end_of_day = 1;
			if (t->year > 9999) {
				*why = "year out of range (1-9999)";
				return -1;
			}
		}
		if (t->hour < 0 || t->hour > 23) {
			*why = "hour out of range";
			return -1;
		}
		if (t->min < 0 || t->min > 59) {
			*why = "minute out of range";
			return -1;
		}
		if (t->sec == 60) {
			*why = "leap seconds are not supported";
			return -1;
		}
		if (t->sec < 0 || t->sec > 59) {
			*why = "second out of range";
			return -1;
		}
	}
	if (t->has_offset && (t->offset <= -86400 || t->offset >= 86400)) {
		*why = "offset out of range";
		return -1;
	}
	return 0;
}

/* Exactly k digits at p[*i]; -1 if not there. */
static int
digits(const char *p, size_t n, size_t *i, int k)
{
	int v = 0, j;

	if (*i + (size_t)k > n)
		return -1;
	for (j = 0; j < k; j++) {
		char c = p[*i + (size_t)j];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*i += (size_t)k;
	return v;
}

/* 1 to max digits. */
static int
digits_upto(const char *p, size_t n, size_t *i, int max, int *v)
{
	int k = 0;

	*v = 0;
	while (*i < n && k < max && p[*i] >= '0' && p[*i] <= '9') {
		*v = *v * 10 + (p[*i] - '0');
		(*i)++;
		k++;
	}
	return k;
}

/* A fraction after the point: 1 to 9 digits kept, more must be given? */
static int
fraction(const char *p, size_t n, size_t *i, struct dmo_datetime *t)
{
	int k = 0;
	long v = 0;

	while (*i < n && p[*i] >= '0' && p[*i] <= '9') {
		if (k < 9) {
			v = v * 10 + (p[*i] - '0');
			k++;
		} else if (p[*i] != '0')
			return -1;	/* below a nanosecond: not exact */
		(*i)++;
	}
	if (k == 0)
		return -1;
	t->frac = k;
	while (k++ < 9)
		v *= 10;
	t->nsec = v;
	return 0;
}

int
dmo_dt_parse_offset(const char *p, size_t n, int *secs)
{
	size_t i = 1;
	int h, m = 0, sign;

	if (n == 1 && (p[0] == 'Z' || p[0] == 'z')) {
		*secs = 0;
		return 0;
	}
	if (n < 3 || (p[0] != '+' && p[0] != '-'))
		return -1;
	sign = p[0] == '-' ? -1 : 1;
	if ((h = digits(p, n, &i, 2)) < 0 || h > 23)
		return -1;
	if (i < n && p[i] == ':')
		i++;
	if (i < n && ((m = digits(p, n, &i, 2)) < 0 || m > 59))
		return -1;
	if (i != n || (p[i - 1] == ':'))
		return -1;
	*secs = sign * (h * 3600 + m * 60);
	return 0;
}

/* An offset at p[*i]: Z, +hh, +hhmm, +hh:mm.  0, -1 bad, 1 none. */
static int
offset_at(const char *p, size_t n, size_t *i, struct dmo_datetime *t)
{
	size_t s = *i, e;

	if (s >= n)
		return 1;
	if (p[s] == 'Z' || p[s] == 'z') {
		e = s + 1;
	} else if (p[s] == '+' || p[s] == '-') {
		e = s + 1;
		while (e < n && ((p[e] >= '0' && p[e] <= '9') || p[e] == ':'))
			e++;
	} else
		return 1;
	if (dmo_dt_parse_offset(p + s, e - s, &t->offset) != 0)
		return -1;
	t->has_offset = 1;
	*i = e;
	return 0;
}

static int
time_part(const char *p, size_t n, size_t *i, struct dmo_datetime *t)
{
	if ((t->hour = digits(p, n, i, 2)) < 0 || *i >= n || p[*i] != ':')
		return -1;
	(*i)++;
	if ((t->min = digits(p, n, i, 2)) < 0)
		return -1;
	if (*i < n && p[*i] == ':') {
		(*i)++;
		if ((t->sec = digits(p, n, i, 2)) < 0)
			return -1;
		if (*i < n && (p[*i] == '.' || p[*i] == ',')) {
			(*i)++;
			if (fraction(p, n, i, t) != 0)
				return -1;
		}
	}
	t->has_time = 1;
	return 0;
}

int
dmo_dt_parse_iso(const char *p, size_t n, int want_date,
    struct dmo_datetime *t, const char **why)
{
	size_t i = 0;

	memset(t, 0, sizeof(*t));
	t->mon = t->day = 1;
	t->year = 1970;
	*why = "not an ISO 8601 date or time";
	if (want_date != 0 && n >= 10 && p[4] == '-') {
		if ((t->year = digits(p, n, &i, 4)) < 0 || p[i++] != '-' ||
		    (t->mon = digits(p, n, &i, 2)) < 0 || i >= n ||
		    p[i++] != '-' || (t->day = digits(p, n, &i, 2)) < 0)
			return -1;
		t->has_date = 1;
		if (i < n && (p[i] == 'T' || p[i] == 't' || p[i] == ' ')) {
			i++;
			if (time_part(p, n, &i, t) != 0)
				return -1;
			if (offset_at(p, n, &i, t) < 0)
				return -1;
		}
	} else if (want_date != 1) {
		if (time_part(p, n, &i, t) != 0 || offset_at(p, n, &i, t) < 0)
			return -1;
	} else
		return -1;
	if (i != n)
		return -1;
	return dmo_dt_check(t, why);
}

/*
 * Eight bytes against a layout, a word at a time: pat holds '0' where
 * the layout has a digit and the literal byte elsewhere, add 0x76 for a
 * digit (it lifts 10 and more to 0x80) and 0x7f for a literal (it lifts
 * anything but 0).  On a match, b[] gets the digits' values.
 */
static inline int
layout8(const char *p, const char *pat, const char *add, unsigned char *b)
{
	uint64_t w, t, x, a;

	memcpy(&w, p, 8);
	memcpy(&x, pat, 8);
	memcpy(&a, add, 8);
	t = w ^ x;
	memcpy(b, &t, 8);
	return (((t + a) | t) & 0x8080808080808080ULL) == 0;
}

int
dmo_dt_is_canonical_utc(const char *p, size_t n)
{
	static const unsigned char mdays[13] = { 0, 31, 28, 31, 30, 31, 30,
	    31, 31, 30, 31, 30, 31 };
	unsigned char d0[8], d1[8], d2[8];
	unsigned y, m, d;
	size_t i;

	if (n < 20 || n > 30 || n == 21 || p[n - 1] != 'Z')
		return 0;
	/* "YYYY-MM-", "DDThh:mm" and (from p + 11) "hh:mm:ss". */
	if (!layout8(p, "0000-00-", "\x76\x76\x76\x76\x7f\x76\x76\x7f", d0) ||
	    !layout8(p + 8, "00T00:00", "\x76\x76\x7f\x76\x76\x7f\x76\x76",
	    d1) ||
	    !layout8(p + 11, "00:00:00", "\x76\x76\x7f\x76\x76\x7f\x76\x76",
	    d2))
		return 0;
	if (n > 20) {
		/* ".f" to ".fffffffff" between the seconds and the Z. */
		if (p[19] != '.')
			return 0;
		for (i = 20; i < n - 1; i++)
			if ((unsigned)(p[i] - '0') > 9)
				return 0;
	}
	y = d0[0] * 1000u + d0[1] * 100u + d0[2] * 10u + d0[3];
	m = d0[5] * 10u + d0[6];
	d = d1[0] * 10u + d1[1];
	if (y < 1 || m < 1 || m > 12 || d < 1 || (d > mdays[m] &&
	    !(m == 2 && d == 29 && dmo_dt_leap((int)y))))
		return 0;
	/* Hour 0-23, minute and second 0-59 (no leap second). */
	return d2[0] * 10u + d2[1] <= 23 && d2[3] <= 5 && d2[6] <= 5;
}

static int
name_at(const char *p, size_t n, size_t *i, const char *const *names,
    int count)
{
	int k;

	for (k = 0; k < count; k++) {
		size_t len = strlen(names[k]), j;

		/* The full name first, then its first three letters. */
		for (j = 0; j < len && *i + j < n; j++)
			if ((p[*i + j] | 0x20) != names[k][j])
				break;
		if (j == len) {
			*i += len;
			return k;
		}
		if (j >= 3) {
			*i += 3;
			return k;
		}
	}
	return -1;
}

int
dmo_dt_parse_fmt(const char *p, size_t n, const char *fmt,
    struct dmo_datetime *t, const char **why)
{
	size_t i = 0;
	int v, pm = -1, hour12 = -1, yday = -1;
	const char *f;

	memset(t, 0, sizeof(*t));
	t->year = 1970;
	t->mon = t->day = 1;
	*why = "does not match the format";
	for (f = fmt; *f != '\0'; f++) {
		if (*f == ' ') {
			if (i >= n || p[i] != ' ')
				return -1;
			while (i < n && p[i] == ' ')
				i++;
			continue;
		}
		if (*f != '%') {
			if (i >= n || p[i] != *f)
				return -1;
			i++;
			continue;
		}
		switch (*++f) {
		case 'Y':
			if ((t->year = digits(p, n, &i, 4)) < 0)
				return -1;
			t->has_date = 1;
			break;
		case 'y':
			if ((v = digits(p, n, &i, 2)) < 0)
				return -1;
			/* POSIX: 69-99 are 1969-1999, 00-68 are 2000-2068. */
			t->year = v >= 69 ? 1900 + v : 2000 + v;
			t->has_date = 1;
			break;
		case 'm':
			if (digits_upto(p, n, &i, 2, &t->mon) == 0)
				return -1;
			t->has_date = 1;
			break;
		case 'd':
			if (digits_upto(p, n, &i, 2, &t->day) == 0)
				return -1;
			t->has_date = 1;
			break;
		case 'e':
			if (i < n && p[i] == ' ')
				i++;
			if (digits_upto(p, n, &i, 2, &t->day) == 0)
				return -1;
			t->has_date = 1;
			break;
		case 'j':
			if (digits_upto(p, n, &i, 3, &yday) == 0 || yday < 1)
				return -1;
			t->has_date = 1;
			break;
		case 'H':
			if (digits_upto(p, n, &i, 2, &t->hour) == 0)
				return -1;
			t->has_time = 1;
			break;
		case 'I':
			if (digits_upto(p, n, &i, 2, &hour12) == 0 ||
			    hour12 < 1 || hour12 > 12) {
				*why = "hour out of range (1-12)";
				return -1;
			}
			t->has_time = 1;
			break;
		case 'M':
			if (digits_upto(p, n, &i, 2, &t->min) == 0)
				return -1;
			t->has_time = 1;
			break;
		case 'S':
			if (digits_upto(p, n, &i, 2, &t->sec) == 0)
				return -1;
			t->has_time = 1;
			break;
		case 'f':
			if (fraction(p, n, &i, t) != 0)
				return -1;
			break;
		case 'p':
			if (i + 2 > n)
				return -1;
			if ((p[i] | 0x20) == 'a')
				pm = 0;
			else if ((p[i] | 0x20) == 'p')
				pm = 1;
			else
				return -1;
			if ((p[i + 1] | 0x20) != 'm')
				return -1;
			i += 2;
			break;
		case 'b':
		case 'B':
		case 'h':
			if ((v = name_at(p, n, &i, months, 12)) < 0)
				return -1;
			t->mon = v + 1;
			t->has_date = 1;
			break;
		case 'a':
		case 'A':
			/* Read and ignored: the date decides the day. */
			if (name_at(p, n, &i, wdays, 7) < 0)
				return -1;
			break;
		case 'z':
			if (offset_at(p, n, &i, t) != 0)
				return -1;
			break;
		case 'Z':
			if (i + 3 <= n && (memcmp(p + i, "UTC", 3) == 0 ||
			    memcmp(p + i, "GMT", 3) == 0)) {
				i += 3;
			} else if (i < n && p[i] == 'Z')
				i++;
			else
				return -1;
			t->has_offset = 1;
			t->offset = 0;
			break;
		case 's': {
			long long s = 0;
			int neg = 0, k = 0;

			if (i < n && p[i] == '-') {
				neg = 1;
				i++;
			}
			while (i < n && p[i] >= '0' && p[i] <= '9' && k < 15) {
				s = s * 10 + (p[i++] - '0');
				k++;
			}
			if (k == 0)
				return -1;
			dmo_dt_from_epoch(neg ? -s : s, 0, 0, t);
			t->has_offset = 1;
			break;
		}
		case 'F':
			if (dmo_dt_parse_fmt(p + i, n - i < 10 ? n - i : 10,
			    "%Y-%m-%d", t, why) != 0)
				return -1;
			i += 10;
			break;
		case 'T':
			if (digits_upto(p, n, &i, 2, &t->hour) == 0 ||
			    i >= n || p[i++] != ':' ||
			    digits_upto(p, n, &i, 2, &t->min) == 0 ||
			    i >= n || p[i++] != ':' ||
			    digits_upto(p, n, &i, 2, &t->sec) == 0)
				return -1;
			t->has_time = 1;
			break;
		case 'R':
			if (digits_upto(p, n, &i, 2, &t->hour) == 0 ||
			    i >= n || p[i++] != ':' ||
			    digits_upto(p, n, &i, 2, &t->min) == 0)
				return -1;
			t->has_time = 1;
			break;
		case 'D':
			if (digits_upto(p, n, &i, 2, &t->mon) == 0 ||
			    i >= n || p[i++] != '/' ||
			    digits_upto(p, n, &i, 2, &t->day) == 0 ||
			    i >= n || p[i++] != '/' ||
			    (v = digits(p, n, &i, 2)) < 0)
				return -1;
			t->year = v >= 69 ? 1900 + v : 2000 + v;
			t->has_date = 1;
			break;
		case '%':
			if (i >= n || p[i] != '%')
				return -1;
			i++;
			break;
		default:
			*why = "bad directive in the format";
			return -1;
		}
	}
	if (i != n)
		return -1;
	if (hour12 >= 0) {
		if (pm < 0) {
			*why = "%I without %p";
			return -1;
		}
		t->hour = hour12 % 12 + (pm ? 12 : 0);
	} else if (pm >= 0) {
		/* %p with %H: a 24-hour clock must agree. */
		if (t->hour > 12 || t->hour == 0) {
			*why = "hour out of range for AM/PM";
			return -1;
		}
		t->hour = t->hour % 12 + (pm ? 12 : 0);
	}
	if (yday > 0) {
		if (yday > (dmo_dt_leap(t->year) ? 366 : 365)) {
			*why = "day of the year out of range";
			return -1;
		}
		dmo_dt_civil(dmo_dt_days(t->year, 1, 1) + yday - 1, &t->year,
		    &t->mon, &t->day);
	}
	return dmo_dt_check(t, why);
}

static void
put2(struct dmo_buf *b, int v)
{
	dmo_buf_addc(b, '0' + v / 10 % 10);
	dmo_buf_addc(b, '0' + v % 10);
}

static void
put_offset(struct dmo_buf *b, int off, int colon)
{
	int a = off < 0 ? -off : off;

	if (off == 0 && colon) {
		dmo_buf_addc(b, 'Z');
		return;
	}
	dmo_buf_addc(b, off < 0 ? '-' : '+');
	put2(b, a / 3600);
	if (colon == 1)
		dmo_buf_addc(b, ':');
	put2(b, a / 60 % 60);
}

static void
put_frac(struct dmo_buf *b, const struct dmo_datetime *t)
{
	char tmp[9];
	long v = t->nsec;
	int k;

	if (t->frac <= 0)
		return;
	for (k = 8; k >= 0; k--) {
		tmp[k] = (char)('0' + v % 10);
		v /= 10;
	}
	dmo_buf_addc(b, '.');
	dmo_buf_add(b, tmp, (size_t)(t->frac > 9 ? 9 : t->frac));
}

void
dmo_dt_put_iso(const struct dmo_datetime *t, int what, struct dmo_buf *b)
{
	if (what == 'd' || what == 'T') {
		put2(b, t->year / 100);
		put2(b, t->year % 100);
		dmo_buf_addc(b, '-');
		put2(b, t->mon);
		dmo_buf_addc(b, '-');
		put2(b, t->day);
	}
	if (what == 'T')
		dmo_buf_addc(b, 'T');
	if (what == 't' || what == 'T') {
		put2(b, t->hour);
		dmo_buf_addc(b, ':');
		put2(b, t->min);
		dmo_buf_addc(b, ':');
		put2(b, t->sec);
		put_frac(b, t);
		if (t->has_offset)
			put_offset(b, t->offset, 1);
	}
}

static const char *const Months[] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"
};
static const char *const Wdays[] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday"
};

void
dmo_dt_format(const struct dmo_datetime *t, const char *fmt,
    struct dmo_buf *b)
{
	const char *f;

	for (f = fmt; *f != '\0'; f++) {
		if (*f != '%') {
			dmo_buf_addc(b, *f);
			continue;
		}
		switch (*++f) {
		case 'Y':
			dmo_buf_printf(b, "%04d", t->year);
			break;
		case 'y':
			put2(b, t->year % 100);
			break;
		case 'm':
			put2(b, t->mon);
			break;
		case 'd':
			put2(b, t->day);
			break;
		case 'e':
			dmo_buf_printf(b, "%2d", t->day);
			break;
		case 'j':
			dmo_buf_printf(b, "%03d", dmo_dt_yday(t));
			break;
		case 'H':
			put2(b, t->hour);
			break;
		case 'I':
			put2(b, t->hour % 12 == 0 ? 12 : t->hour % 12);
			break;
		case 'M':
			put2(b, t->min);
			break;
		case 'S':
			put2(b, t->sec);
			break;
		case 'f':
			dmo_buf_printf(b, "%09ld", t->nsec);
			break;
		case 'p':
			dmo_buf_adds(b, t->hour < 12 ? "AM" : "PM");
			break;
		case 'b':
		case 'h':
			dmo_buf_add(b, Months[t->mon - 1], 3);
			break;
		case 'B':
			dmo_buf_adds(b, Months[t->mon - 1]);
			break;
		case 'a':
			dmo_buf_add(b, Wdays[dmo_dt_weekday(t)], 3);
			break;
		case 'A':
			dmo_buf_adds(b, Wdays[dmo_dt_weekday(t)]);
			break;
		case 'z':
			put_offset(b, t->has_offset ? t->offset : 0, 0);
			break;
		case 'Z':
			dmo_buf_adds(b, "UTC");
			break;
		case 's':
			dmo_buf_printf(b, "%lld", dmo_dt_epoch(t));
			break;
		case 'F':
			dmo_dt_format(t, "%Y-%m-%d", b);
			break;
		case 'T':
			dmo_dt_format(t, "%H:%M:%S", b);
			break;
		case 'R':
			dmo_dt_format(t, "%H:%M", b);
			break;
		case 'D':
			dmo_dt_format(t, "%m/%d/%y", b);
			break;
		case '%':
			dmo_buf_addc(b, '%');
			break;
		case '\0':
			dmo_buf_addc(b, '%');
			return;
		default:
			dmo_buf_addc(b, '%');
			dmo_buf_addc(b, *f);
		}
	}
}

/* --- time zones ----------------------------------------------------- */

/* A POSIX TZ rule date: Jn, n or Mm.w.d, and the time of day. */
struct tzdate {
	int	 kind;			/* 'J', 'N' or 'M' */
	int	 n, m, w, d;
	long	 secs;			/* local time of the change */
};

struct tzrule {
	int		 std_off, dst_off;	/* seconds east */
	char		 std_abbr[16], dst_abbr[16];
	int		 has_dst;
	struct tzdate	 start, end;
};

struct ttype {
	int	 off;
	int	 isdst;
	int	 abbr;			/* into abbrs */
};

struct dmo_tz {
	char		*name;
	long long	*trans;		/* transition instants, ascending */
	unsigned char	*idx;		/* ttype in force from trans[i] */
	size_t		 ntrans;
	struct ttype	*types;
	size_t		 ntypes;
	char		*abbrs;
	size_t		 nabbrs;
	int		 fixed;		/* no transitions, no rule */
	int		 fixed_off;
	int		 has_rule;
	struct tzrule	 rule;
};

static const char *
rule_name(const char *s, char *out, size_t cap)
{
	size_t k = 0;

	if (*s == '<') {
		s++;
		while (*s != '\0' && *s != '>') {
			if (k + 1 < cap)
				out[k++] = *s;
			s++;
		}
		if (*s != '>')
			return NULL;
		s++;
	} else {
		while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')) {
			if (k + 1 < cap)
				out[k++] = *s;
			s++;
		}
	}
	out[k] = '\0';
	return k >= 3 ? s : NULL;
}

/* [+-]hh[:mm[:ss]] as seconds; hours up to 167 (TZif v3). */
static const char *
rule_time(const char *s, long *secs)
{
	long sign = 1, h = 0, m = 0, sec = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (*s < '0' || *s > '9')
		return NULL;
	while (*s >= '0' && *s <= '9')
		h = h * 10 + (*s++ - '0');
	if (*s == ':') {
		s++;
		while (*s >= '0' && *s <= '9')
			m = m * 10 + (*s++ - '0');
		if (*s == ':') {
			s++;
			while (*s >= '0' && *s <= '9')
				sec = sec * 10 + (*s++ - '0');
		}
	}
	if (h > 167 || m > 59 || sec > 59)
		return NULL;
	*secs = sign * (h * 3600 + m * 60 + sec);
	return s;
}

static const char *
rule_date(const char *s, struct tzdate *d)
{
	char *end;

	d->secs = 7200;		/* 02:00 by default */
	if (*s == 'J') {
		d->kind = 'J';
		d->n = (int)strtol(s + 1, &end, 10);
		if (end == s + 1 || d->n < 1 || d->n > 365)
			return NULL;
		s = end;
	} else if (*s == 'M') {
		d->kind = 'M';
		d->m = (int)strtol(s + 1, &end, 10);
		if (end == s + 1 || *end != '.' || d->m < 1 || d->m > 12)
			return NULL;
		s = end + 1;
		d->w = (int)strtol(s, &end, 10);
		if (end == s || *end != '.' || d->w < 1 || d->w > 5)
			return NULL;
		s = end + 1;
		d->d = (int)strtol(s, &end, 10);
		if (end == s || d->d < 0 || d->d > 6)
			return NULL;
		s = end;
	} else if (*s >= '0' && *s <= '9') {
		d->kind = 'N';
		d->n = (int)strtol(s, &end, 10);
		if (d->n > 365)
			return NULL;
		s = end;
	} else
		return NULL;
	if (*s == '/')
		s = rule_time(s + 1, &d->secs);
	return s;
}

static int
parse_rule(const char *s, struct tzrule *r)
{
	long off;

	memset(r, 0, sizeof(*r));
	if ((s = rule_name(s, r->std_abbr, sizeof(r->std_abbr))) == NULL ||
	    (s = rule_time(s, &off)) == NULL)
		return -1;
	r->std_off = (int)-off;		/* POSIX counts west */
	if (*s == '\0')
		return 0;
	if ((s = rule_name(s, r->dst_abbr, sizeof(r->dst_abbr))) == NULL)
		return -1;
	r->has_dst = 1;
	r->dst_off = r->std_off + 3600;
	if (*s != ',' && *s != '\0') {
		if ((s = rule_time(s, &off)) == NULL)
			return -1;
		r->dst_off = (int)-off;
	}
	if (*s == '\0') {
		/* No rule: the US rules of POSIX's default. */
		r->start = (struct tzdate){ 'M', 0, 3, 2, 0, 7200 };
		r->end = (struct tzdate){ 'M', 0, 11, 1, 0, 7200 };
		return 0;
	}
	if (*s++ != ',' || (s = rule_date(s, &r->start)) == NULL ||
	    *s++ != ',' || (s = rule_date(s, &r->end)) == NULL || *s != '\0')
		return -1;
	return 0;
}

/* The local seconds (from the epoch) at which a rule date falls in y. */
static long long
rule_when(const struct tzdate *d, int y)
{
	long long day;

	switch (d->kind) {
	case 'J':
		/* 1-365, February 29 never counted. */
		day = dmo_dt_days(y, 1, 1) + d->n - 1;
		if (dmo_dt_leap(y) && d->n >= 60)
			day++;
		break;
	case 'N':
		day = dmo_dt_days(y, 1, 1) + d->n;
		break;
	default: {
		long long first = dmo_dt_days(y, d->m, 1);
		int wd = (int)((first + 4) % 7 + 7) % 7;
		int delta = (d->d - wd + 7) % 7, k;

		day = first + delta;
		for (k = 1; k < d->w; k++)
			if (day + 7 < first + dmo_dt_mdays(y, d->m))
				day += 7;
		break;
	}
	}
	return day * 86400 + d->secs;
}

static int
rule_offset(const struct tzrule *r, long long utc, int *isdst)
{
	long long start, end;
	int y, m, d;

	*isdst = 0;
	if (!r->has_dst)
		return r->std_off;
	dmo_dt_civil((utc + r->std_off) >= 0 ? (utc + r->std_off) / 86400 :
	    -((-(utc + r->std_off) + 86399) / 86400), &y, &m, &d);
	/* Changes are in the local time in force before them. */
	start = rule_when(&r->start, y) - r->std_off;
	end = rule_when(&r->end, y) - r->dst_off;
	if (start < end)
		*isdst = utc >= start && utc < end;
	else
		*isdst = !(utc >= end && utc < start);
	return *isdst ? r->dst_off : r->std_off;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int
parse_tzif(struct dmo_tz *z, const unsigned char *p, size_t n)
{
	uint32_t isut, isstd, leap, timecnt, typecnt, charcnt;
	size_t need, off = 0, i;
	int v2;

	if (n < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	v2 = p[4] >= '2';
	for (;;) {
		const unsigned char *h = p + off;
		int wide = off > 0;
		size_t tsz = wide ? 8 : 4;

		if (off + 44 > n || memcmp(h, "TZif", 4) != 0)
			return -1;
		isut = be32(h + 20);
		isstd = be32(h + 24);
		leap = be32(h + 28);
		timecnt = be32(h + 32);
		typecnt = be32(h + 36);
		charcnt = be32(h + 40);
		if (typecnt == 0 || typecnt > 256 || timecnt > 100000 ||
		    charcnt > 65536 || leap > 1000 || isut > 256 ||
		    isstd > 256)
			return -1;
		need = timecnt * tsz + timecnt + typecnt * 6 + charcnt +
		    leap * (tsz + 4) + isstd + isut;
		if (off + 44 + need > n)
			return -1;
		if (v2 && !wide) {
			off += 44 + need;
			continue;
		}
		if (leap > 0)
			return -2;	/* "right/" zones count leap seconds */
		h += 44;
		z->ntrans = timecnt;
		z->trans = dmo_xcalloc(timecnt, sizeof(*z->trans));
		z->idx = dmo_xcalloc(timecnt, 1);
		for (i = 0; i < timecnt; i++) {
			if (wide)
				z->trans[i] = (long long)((uint64_t)be32(h + 8 * i)
				    << 32 | be32(h + 8 * i + 4));
			else
				z->trans[i] = (int32_t)be32(h + 4 * i);
		}
		h += timecnt * tsz;
		for (i = 0; i < timecnt; i++)
			if ((z->idx[i] = h[i]) >= typecnt)
				return -1;
		h += timecnt;
		z->ntypes = typecnt;
		z->types = dmo_xcalloc(typecnt, sizeof(*z->types));
		for (i = 0; i < typecnt; i++) {
			z->types[i].off = (int32_t)be32(h + 6 * i);
			z->types[i].isdst = h[6 * i + 4];
			z->types[i].abbr = h[6 * i + 5];
			if ((uint32_t)z->types[i].abbr >= charcnt)
				return -1;
		}
		h += typecnt * 6;
		z->abbrs = dmo_xmalloc(charcnt + 1);
		memcpy(z->abbrs, h, charcnt);
		z->abbrs[charcnt] = '\0';
		z->nabbrs = charcnt;
		h += charcnt + leap * (tsz + 4) + isstd + isut;
		if (wide && (size_t)(h - p) < n && *h == '\n') {
			const unsigned char *e = memchr(h + 1, '\n',
			    n - (size_t)(h + 1 - p));
			char rule[256];

			if (e != NULL && e > h + 1 &&
			    (size_t)(e - h - 1) < sizeof(rule)) {
				memcpy(rule, h + 1, (size_t)(e - h - 1));
				rule[e - h - 1] = '\0';
				if (parse_rule(rule, &z->rule) != 0)
					return -1;
				z->has_rule = 1;
			}
		}
		return 0;
	}
}

struct dmo_tz *
dmo_tz_open(const char *name, struct dmo_err *err)
{
	struct dmo_tz *z;
	const char *dir;
	char path[PATH_MAX];
	struct dmo_buf b = DMO_BUF_INIT;
	int fd, rc;
	ssize_t got;

	z = dmo_xcalloc(1, sizeof(*z));
	z->name = dmo_xstrdup(name);
	if (strcmp(name, "UTC") == 0 || strcmp(name, "Z") == 0 ||
	    strcmp(name, "Etc/UTC") == 0 || strcmp(name, "GMT") == 0) {
		z->fixed = 1;
		return z;
	}
	if (dmo_dt_parse_offset(name, strlen(name), &z->fixed_off) == 0) {
		z->fixed = 1;
		return z;
	}
	/* Names are relative paths within the zone directory. */
	if (*name == '\0' || *name == '/' || strstr(name, "..") != NULL) {
		dmo_err_set(err, DMO_EXIT_USAGE, NULL, "unknown time zone: "
		    "%s", dmo_quote(name, strlen(name)));
		dmo_tz_free(z);
		return NULL;
	}
	dir = getenv("TZDIR");
	if (dir == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		dmo_err_set(err, DMO_EXIT_USAGE, NULL, "unknown time zone: "
		    "%s", dmo_quote(name, strlen(name)));
		dmo_tz_free(z);
		return NULL;
	}
	for (;;) {
		dmo_buf_grow(&b, 65536);
		got = read(fd, b.p + b.len, 65536);
		if (got <= 0)
			break;
		b.len += (size_t)got;
		if (b.len > (4u << 20))
			break;
	}
	close(fd);
	rc = got < 0 ? -1 : parse_tzif(z, (unsigned char *)b.p, b.len);
	dmo_buf_release(&b);
	if (rc != 0) {
		dmo_err_set(err, DMO_EXIT_USAGE, NULL, "time zone %s: %s",
		    dmo_quote(name, strlen(name)), rc == -2 ?
		    "zones with leap seconds are not supported" :
		    "not a valid TZif file");
		dmo_tz_free(z);
		return NULL;
	}
	return z;
}

void
dmo_tz_free(struct dmo_tz *z)
{
	if (z == NULL)
		return;
	free(z->name);
	free(z->trans);
	free(z->idx);
	free(z->types);
	free(z->abbrs);
	free(z);
}

const char *
dmo_tz_name(const struct dmo_tz *z)
{
	return z->name;
}

int
dmo_tz_offset(const struct dmo_tz *z, long long utc, int *isdst,
    const char **abbr)
{
	size_t lo, hi;
	const struct ttype *t;
	int dst;

	if (isdst == NULL)
		isdst = &dst;
	*isdst = 0;
	if (abbr != NULL)
		*abbr = "UTC";
	if (z->fixed)
		return z->fixed_off;
	if (z->ntrans == 0 || utc >= z->trans[z->ntrans - 1]) {
		if (z->has_rule && (z->ntrans == 0 ||
		    utc >= z->trans[z->ntrans - 1])) {
			int off = rule_offset(&z->rule, utc, isdst);

			if (abbr != NULL)
				*abbr = *isdst ? z->rule.dst_abbr :
				    z->rule.std_abbr;
			return off;
		}
		t = z->ntrans > 0 ? &z->types[z->idx[z->ntrans - 1]] :
		    &z->types[0];
	} else if (utc < z->trans[0]) {
		/* Before the first change: type 0 (RFC 8536). */
		t = &z->types[0];
	} else {
		lo = 0;
		hi = z->ntrans - 1;
		/* The last transition at or before utc. */
		while (lo < hi) {
			size_t mid = lo + (hi - lo + 1) / 2;

			if (z->trans[mid] <= utc)
				lo = mid;
			else
				hi = mid - 1;
		}
		t = &z->types[z->idx[lo]];
	}
	*isdst = t->isdst;
	if (abbr != NULL)
		*abbr = z->abbrs + t->abbr;
	return t->off;
}

int
dmo_tz_resolve(const struct dmo_tz *z, long long local,
    enum dmo_tz_rule rule, long long *utc, int *offset)
{
	int a, b, va, vb;

	if (z->fixed) {
		*offset = z->fixed_off;
		*utc = local - z->fixed_off;
		return 0;
	}
	/* The offsets a day either side; no zone changes twice in a day. */
	a = dmo_tz_offset(z, local - 86400, NULL, NULL);
	b = dmo_tz_offset(z, local + 86400, NULL, NULL);
	va = dmo_tz_offset(z, local - a, NULL, NULL) == a;
	vb = dmo_tz_offset(z, local - b, NULL, NULL) == b;
	if (va && vb && a != b) {
		/* An overlap: the wall time happens twice. */
		if (rule == DMO_TZ_REJECT)
			return -1;
		*offset = rule == DMO_TZ_LATER ? (a < b ? a : b) :
		    (a > b ? a : b);
		*utc = local - *offset;
		return 2;
	}
	if (va || vb) {
		*offset = va ? a : b;
		*utc = local - *offset;
		return 0;
	}
	/* A gap: the wall time never happens. */
	if (rule == DMO_TZ_REJECT)
		return -1;
	*offset = rule == DMO_TZ_EARLIER ? b : a;
	*utc = local - *offset;
	return 1;
}
