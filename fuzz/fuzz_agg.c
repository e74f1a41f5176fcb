/* fuzz_agg.c - libFuzzer target: aggregates and windows over any records. */
/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The input is NDJSON; a hash of it picks the group fields, the window
 * (none, tumbling or sliding), its length, slide and lateness.  The
 * records go through dmo_agg_add and dmo_agg_finish with a spec that has
 * every aggregate over the fields "a" and "b", and the event time "t".
 *
 * Checked, with abort() on a failure (ASSERT, fuzz/fuzzhelp.h):
 *  - a rejected record has a message, code DMO_EXIT_DATA, and its line;
 *  - every output record holds what record.h promises (fz_check_record),
 *    with the group fields, window bounds and aggregates in order;
 *  - without windows, or with tumbling ones, the counts of the output
 *    records add up to the records accepted: each accepted record is in
 *    exactly one group of one window, and nothing is lost or doubled;
 *  - windows come out in order of their start.
 *
 * Build: as fuzz_ndjson.c (fuzz/run does it).
 */
#include "fuzzhelp.h"

#include "aggregate.h"

struct sink {
	unsigned long long	 counted;
	int			 windows;
	size_t			 first;		/* index of "count" */
	int			 seen;
	char			 last_start[64];
	struct dmo_record	 copy;
};

static int
emit(void *ctx, const struct dmo_record *r, struct dmo_err *err)
{
	struct sink *s = ctx;
	const char *p, *name;
	size_t len, nlen, i;
	long at;

	(void)err;
	/* Made, not read: no line of its own; the rest as a reader's. */
	dmo_record_copy(&s->copy, r);
	s->copy.loc.line = 1;
	s->copy.recno = 1;
	fz_check_record(&s->copy);
	at = dmo_record_find(r, "count", 5);
	ASSERT(at >= 0 && dmo_record_type(r, (size_t)at) == DMO_NUMBER);
	p = dmo_record_value(r, (size_t)at, &len);
	s->counted += strtoull(p, NULL, 10);
	if (s->windows) {
		i = (size_t)dmo_record_find(r, "window_start", 12);
		name = dmo_record_name(r, i + 1, &nlen);
		ASSERT(nlen == 10 && memcmp(name, "window_end", 10) == 0);
		p = dmo_record_value(r, i, &len);
		ASSERT(len < sizeof(s->last_start));
		(void)s->first;
		s->seen = 1;
		memcpy(s->last_start, p, len);
		s->last_start[len] = '\0';
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const groups[] = { NULL, "g", "g,a", "b" };
	struct dmo_agg_opts o;
	struct dmo_read_opts ro;
	struct dmo_reader *r;
	struct dmo_record rec;
	struct dmo_agg *a;
	struct dmo_err err;
	struct sink s;
	unsigned long long accepted = 0, calls = 0;
	uint32_t h = fz_hash(data, size);
	int fd, rc, sliding;

	memset(&o, 0, sizeof(o));
	memset(&s, 0, sizeof(s));
	dmo_record_init(&s.copy);
	o.group_by = groups[h & 3];
	o.spec = "count,n=count(a),sum(a),mean(a),min(b),max(b),stddev(a),"
	    "var(a),distinct(b),first(b),last(a),median(a),p99.9(a)";
	if ((h >> 2) & 1) {
		o.time_field = "t";
		o.window_us = (long long)(1 + ((h >> 3) & 63)) * 1000000;
		sliding = (h >> 9) & 1;
		o.slide_us = sliding ? o.window_us / 2 + 1 : 0;
		o.lateness_us = (long long)((h >> 10) & 15) * 1000000;
		s.windows = 1;
	}
	a = dmo_agg_new(&o, &err);
	ASSERT(a != NULL);
	memset(&ro, 0, sizeof(ro));
	ro.format = DMO_FMT_NDJSON;
	ro.max_record = 1 << 16;
	fd = fz_memfd(data, size);
	r = fz_open_fd(fd, &ro, &err);
	if (r == NULL) {	/* a compressed file that does not open */
		close(fd);
		dmo_agg_free(a);
		dmo_record_release(&s.copy);
		return 0;
	}
	dmo_record_init(&rec);
	while ((rc = dmo_reader_next(r, &rec, &err)) != DMO_READ_EOF &&
	    rc != DMO_READ_FATAL) {
		ASSERT(++calls < 10 * size + 100);
		if (rc != DMO_READ_RECORD)
			continue;
		rc = dmo_agg_add(a, &rec, emit, &s, &err);
		ASSERT(rc == 0 || rc == -1);
		if (rc == -1) {
			ASSERT(err.code == DMO_EXIT_DATA && err.msg[0] != '\0');
			ASSERT(err.loc.line == rec.loc.line);
		} else
			accepted++;
	}
	ASSERT(dmo_agg_finish(a, emit, &s, &err) == 0);
	if (!s.windows || o.slide_us == 0) {
		/* The batch of no records and no groups is one record of 0. */
		if (s.counted != accepted) {
			fprintf(stderr, "counted %llu of %llu records\n",
			    s.counted, accepted);
			abort();
		}
	}
	ASSERT(dmo_agg_open_windows(a) == 0);
	dmo_agg_free(a);
	dmo_record_release(&s.copy);
	dmo_record_release(&rec);
	dmo_reader_free(r);
	close(fd);
	return 0;
}
