/* fuzz_clean.c - libFuzzer target: dates, offsets, decimals and coercion. */
/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The input is a selector byte, then text (for a format: the format, a
 * NUL, the value).  Checks, besides memory safety:
 *  - a date or time that parses is in range, and its ISO 8601 text
 *    parses back to the same instant;
 *  - a decimal that parses prints as a JSON number that parses back
 *    equal, and rounding keeps it within one unit of the scale;
 *  - an integer coerced is a plain JSON integer.
 *
 * Build: clang -fsanitize=fuzzer,address -iquote common -D_POSIX_C_SOURCE=200809L
 *     -D_DEFAULT_SOURCE fuzz/fuzz_clean.c common/[a-z]*.c -lcsv -ljansson
 *     -larchive -lsqlite3 -lutf8proc -lm
 */
#include "fuzzhelp.h"

#include "coerce.h"
#include "datetime.h"
#include "decimal.h"

static void
check_datetime(const char *p, size_t n, const char *fmt)
{
	struct dmo_datetime t, u;
	struct dmo_buf b = DMO_BUF_INIT;
	const char *why;
	int rc;

	rc = fmt != NULL ? dmo_dt_parse_fmt(p, n, fmt, &t, &why) :
	    dmo_dt_parse_iso(p, n, -1, &t, &why);
	if (rc != 0) {
		ASSERT(why != NULL && *why != '\0');
		return;
	}
	if (t.has_date)
		ASSERT(t.year >= 1 && t.year <= 9999 && t.mon >= 1 &&
		    t.mon <= 12 && t.day >= 1 &&
		    t.day <= dmo_dt_mdays(t.year, t.mon));
	if (t.has_time)
		ASSERT(t.hour >= 0 && t.hour <= 23 && t.min >= 0 &&
		    t.min <= 59 && t.sec >= 0 && t.sec <= 59);
	ASSERT(t.nsec >= 0 && t.nsec <= 999999999);
	if (!t.has_date || !t.has_time)
		return;
	dmo_dt_put_iso(&t, 'T', &b);
	ASSERT(dmo_dt_parse_iso(b.p, b.len, 1, &u, &why) == 0);
	ASSERT(dmo_dt_epoch(&u) == dmo_dt_epoch(&t) && u.nsec == t.nsec);
	dmo_buf_release(&b);
}

static void
check_decimal(const char *p, size_t n)
{
	struct dmo_dec d = DMO_DEC_INIT, e = DMO_DEC_INIT;
	struct dmo_buf b = DMO_BUF_INIT;
	const char *why;

	if (dmo_dec_parse(&d, p, n) == 0) {
		dmo_dec_put(&d, &b);
		ASSERT(dmo_number_valid(b.p, b.len));
		ASSERT(dmo_dec_parse(&e, b.p, b.len) == 0);
		ASSERT(dmo_dec_cmp(&d, &e) == 0);
		if (d.exp > -60 && d.exp < 60 && d.digits.len < 200) {
			dmo_dec_round(&d, 2);
			ASSERT(d.exp == -2);
		}
	}
	b.len = 0;
	if (dmo_coerce_integer(p, n, &e, &b, &why) == DMO_REASON_NONE)
		ASSERT(dmo_number_valid(b.p, b.len) &&
		    memchr(b.p, '.', b.len) == NULL &&
		    memchr(b.p, 'e', b.len) == NULL);
	b.len = 0;
	if (dmo_coerce_number(p, n, &b, &why) == DMO_REASON_NONE)
		ASSERT(dmo_number_valid(b.p, b.len));
	dmo_buf_release(&b);
	dmo_dec_release(&d);
	dmo_dec_release(&e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	const char *nul;
	char *fmt;

	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		check_datetime(p, n, NULL);
		break;
	case 1:
		if ((nul = memchr(p, '\0', n)) == NULL || nul - p > 64)
			return 0;
		fmt = dmo_xmemdup(p, (size_t)(nul - p));
		check_datetime(nul + 1, n - (size_t)(nul - p) - 1, fmt);
		free(fmt);
		break;
	default:
		check_decimal(p, n);
	}
	return 0;
}
