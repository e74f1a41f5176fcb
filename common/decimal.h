/* decimal.h - exact decimal numbers from text: parse, compare, round, print. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_DECIMAL_H
#define DMO_DECIMAL_H

#include <stddef.h>

#include "buf.h"

/*
 * A decimal is sign x digits x 10^exp, exactly: no double is ever
 * involved, so "0.1" is one tenth and "12.30" keeps its scale.  digits
 * has no leading zeros (it is empty for zero) and keeps trailing ones,
 * so the scale the text was written with survives.
 *
 * Text accepted by dmo_dec_parse (locale-independent, no grouping):
 *	[+-] ( D+ [ "." D* ] | "." D+ ) [ ("e"|"E") [+-] D+ ]
 * JSON's number grammar is the strict subset: "+5", "007", ".5", "5."
 * are accepted here and not by JSON.  A value whose leading digit is
 * 10^(10^9) or more, or below 10^-(10^9), is out of range.
 */
struct dmo_dec {
	int		 neg;
	struct dmo_buf	 digits;	/* '0'-'9', no leading zeros */
	long long	 exp;
};

#define DMO_DEC_INIT	{ 0, DMO_BUF_INIT, 0 }

void	 dmo_dec_release(struct dmo_dec *);

/* 0, or -1 when p[0..n) is not a decimal by the grammar above. */
int	 dmo_dec_parse(struct dmo_dec *, const char *p, size_t n);

/* Set from a long long. */
void	 dmo_dec_set_int(struct dmo_dec *, long long);

int	 dmo_dec_is_zero(const struct dmo_dec *);

/* -1, 0 or 1 as a <, =, > b, by value (1.50 = 1.5, -0 = 0). */
int	 dmo_dec_cmp(const struct dmo_dec *a, const struct dmo_dec *b);

/*
 * The value as a 64-bit integer: 0, -1 when it has a fractional part,
 * -2 when it is integral but outside [-2^63, 2^63-1].
 */
int	 dmo_dec_int64(const struct dmo_dec *, long long *);

/*
 * Round to scale digits after the point, half to even.  Returns 0 when
 * the value was exact at that scale (only zeros dropped or added), 1 when
 * rounding changed it.  The result has exactly scale fraction digits.
 */
int	 dmo_dec_round(struct dmo_dec *, long scale);

/*
 * Append the value as a JSON number lexeme in plain notation when its
 * exponent is between -1000 and 1000 (digits, point, the scale kept:
 * 1.50 stays 1.50, -0 stays -0), with an exponent beyond that.
 */
void	 dmo_dec_put(const struct dmo_dec *, struct dmo_buf *);

/*
 * Rewrite a number accepted by dmo_dec_parse as the nearest JSON lexeme
 * of the same text: "+5" -> "5", "007.50" -> "7.50", ".5" -> "0.5",
 * "5." -> "5", "1E+03" stays.  Returns 0, or -1 when it is not a number.
 */
int	 dmo_dec_canon(const char *p, size_t n, struct dmo_buf *out);

/* The shortest decimal text that reads back as d (for schema limits). */
void	 dmo_dec_from_double(struct dmo_dec *, double d);

#endif
