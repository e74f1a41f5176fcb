/* kll.h - KLL quantile sketches of doubles: mergeable, with a stated error. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_KLL_H
#define DMO_KLL_H

#include <stddef.h>
#include <stdint.h>

/*
 * The KLL sketch (Karnin, Lang, Liberty 2016; the compactor layout of
 * Apache DataSketches).  Level h holds items of weight 2^h; when the
 * sketch is full, the lowest full level is sorted and every other item
 * (from a random start) moves up one level.  With k = 200 the sketch
 * holds at most about 600 items whatever n, and the rank of an answer
 * differs from the asked one by at most DMO_KLL_ERROR (1.33 % of n) with
 * 99 % confidence; tests/unit/test_sketch.c checks it on 1,000,000
 * values.  The random bits come from a fixed seed: the same input gives
 * the same answers.  Sketches merge (same k) with the same bound.
 */
#define DMO_KLL_K	200
#define DMO_KLL_ERROR	0.0133

struct dmo_kll {
	unsigned	 k;
	unsigned	 nlevels;
	double		**level;	/* level[h][0..size[h]) */
	size_t		*size;
	size_t		*cap;		/* allocated */
	uint64_t	 n;		/* values added */
	uint64_t	 rng;
	double		 min, max;
	double		*sorted;	/* the query cache: items and ... */
	uint64_t	*cum;		/* ... their cumulative weights */
	size_t		 nsorted;
	int		 dirty;
	size_t		 cap0;		/* when to look at compacting */
};

struct dmo_kll *dmo_kll_new(unsigned k);
void	 dmo_kll_free(struct dmo_kll *);
void	 dmo_kll_add(struct dmo_kll *, double);
void	 dmo_kll_merge(struct dmo_kll *dst, const struct dmo_kll *src);

/* The value at rank q (0..1) of the values added; NAN when empty. */
double	 dmo_kll_quantile(struct dmo_kll *, double q);
/* The estimated share of values <= x. */
double	 dmo_kll_rank(struct dmo_kll *, double x);

/* Items retained, for saving: level h has size[h] items of weight 2^h. */
void	 dmo_kll_add_weighted(struct dmo_kll *, double v, unsigned level);

#endif
