/* aggregate.h - group records and aggregate them, in batch or event-time windows. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_AGGREGATE_H
#define DMO_AGGREGATE_H

#include <stddef.h>

#include "err.h"
#include "record.h"

/*
 * An aggregation: records are grouped by the text of the --group-by
 * fields and each group keeps one accumulator per aggregate of the spec
 * ("count,sum(amount),p95(amount),total=sum(qty)"); see dmo-transform(1),
 * AGGREGATES, for the functions, their null rules and their memory.
 *
 * Without a time field everything is one batch, emitted by
 * dmo_agg_finish.  With one, each record falls into the windows
 * [start, start + window) with start a multiple of slide (tumbling when
 * slide is 0 or equals window); a window is emitted as soon as the
 * watermark (the largest event time seen minus lateness) reaches its end.
 * A record whose windows have all been emitted is late: dmo_agg_add
 * rejects it.  dmo_agg_finish emits every window still open.
 *
 * Output records: the group fields (in --group-by order), window_start
 * and window_end (windows only), then one field per aggregate.
 */
struct dmo_agg_opts {
	const char	*group_by;	/* "city,day", or NULL */
	const char	*spec;		/* the aggregates; NULL: "count" */
	const char	*time_field;	/* NULL: batch */
	long long	 window_us;	/* window length (microseconds) */
	long long	 slide_us;	/* 0: tumbling */
	long long	 lateness_us;
};

struct dmo_agg;

/* The emitter: write one output record; 0, or -1 with err set (stop). */
typedef int (*dmo_agg_emit_fn)(void *ctx, const struct dmo_record *,
    struct dmo_err *);

/* Parse the spec; NULL with err set (code DMO_EXIT_USAGE) when bad. */
struct dmo_agg *dmo_agg_new(const struct dmo_agg_opts *, struct dmo_err *);
void	 dmo_agg_free(struct dmo_agg *);

/*
 * Add one record, emitting each window it closes.  Returns 0; -1 when
 * the record is rejected (err code DMO_EXIT_DATA, loc the record's: a
 * value that is not a number for sum, a bad or late event time; it
 * counts in no aggregate); -2 when emit failed (err is emit's).
 */
int	 dmo_agg_add(struct dmo_agg *, const struct dmo_record *,
	    dmo_agg_emit_fn, void *ctx, struct dmo_err *);

/* End of input: emit the batch, or every open window.  0 or -2. */
int	 dmo_agg_finish(struct dmo_agg *, dmo_agg_emit_fn, void *ctx,
	    struct dmo_err *);

/* Records rejected as late; windows open now; bytes of state now. */
unsigned long long dmo_agg_late(const struct dmo_agg *);
size_t	 dmo_agg_open_windows(const struct dmo_agg *);
size_t	 dmo_agg_bytes(const struct dmo_agg *);

/*
 * An event time: a number (or numeric text) of seconds since the epoch,
 * or ISO 8601 / RFC 3339 text "2024-05-01T12:00:00.5+02:00" (also with a
 * space for T, without seconds, or a date alone; no offset means UTC).
 * 0 and *us set, or -1.  *iso says which form it was.
 */
int	 dmo_agg_parse_time(enum dmo_type, const char *p, size_t n,
	    long long *us, int *iso);

#endif
