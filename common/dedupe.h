/* dedupe.h - have we seen this key?  Exact with spill files, approximate, windowed. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_DEDUPE_H
#define DMO_DEDUPE_H

#include <stddef.h>

#include "err.h"

/*
 * Three modes (dmo-clean(1) has the user's view):
 *
 * DMO_DEDUPE_EXACT: every key is remembered, exactly (the bytes are
 * compared, never only a hash).  Keys live in a hash table in memory up
 * to opts.memory bytes allocated (key bytes, entries and buckets, as
 * capacities); when it is
 * full they are sorted and written to a spill file (a "run") in
 * opts.tmpdir and the table starts again empty.  For each run, memory
 * keeps a Bloom filter of 10 bits a key (about 1% false positives) and a
 * sparse index (one entry a 64 keys), about 1.5 bytes a key in all; a
 * lookup reads a run only when its filter says maybe.  When there are 16
 * runs they are merged into one.  Spill files are unlinked as soon as
 * they are made, so nothing is left behind.
 *
 * Run file format: the 8 bytes "DMODDUP1", then the keys in ascending
 * order of (hash, length, bytes), each as a 64-bit little-endian hash
 * (FNV-1a of the key, mixed by the SplitMix64 finaliser), a 32-bit
 * little-endian length and the key bytes.
 *
 * DMO_DEDUPE_APPROX: a scalable Bloom filter (Almeida et al., 2007) that
 * grows as keys come: the n-th filter holds 2^n x 65536 keys at an error
 * of rate/2^(n+1), so the chance that a key never seen is taken for a
 * duplicate stays below rate however many keys come.  Memory: about
 * 1.44 x log2(2/rate) bits a key.  A duplicate is never missed.
 *
 * DMO_DEDUPE_WINDOW: exact within a window: a key is a duplicate when it
 * was seen among the last window_n keys checked, or within the last
 * window_secs seconds (by the monotonic clock).  Memory holds the keys
 * of the window only.
 */
enum dmo_dedupe_mode {
	DMO_DEDUPE_EXACT = 0,
	DMO_DEDUPE_APPROX,
	DMO_DEDUPE_WINDOW
};

struct dmo_dedupe_opts {
	enum dmo_dedupe_mode	 mode;
	size_t			 memory;	/* exact: bytes before a spill */
	const char		*tmpdir;	/* exact: NULL: $TMPDIR or /tmp */
	double			 rate;		/* approx: false-positive rate */
	unsigned long long	 window_n;	/* window: keys, or 0 */
	double			 window_secs;	/* window: seconds, or 0 */
};

#define DMO_DEDUPE_MEMORY_DEFAULT	((size_t)64 << 20)

struct dmo_dedupe_stats {
	unsigned long long	 keys;		/* distinct keys remembered */
	unsigned long long	 spills;	/* runs written */
	unsigned long long	 merges;
	unsigned long long	 disk_bytes;	/* in the current runs */
	unsigned long long	 probes;	/* run lookups that read disk */
};

struct dmo_dedupe;

struct dmo_dedupe *dmo_dedupe_new(const struct dmo_dedupe_opts *,
	    struct dmo_err *);
void	 dmo_dedupe_free(struct dmo_dedupe *);

/*
 * Check a key and remember it: 1 when seen before (a duplicate), 0 when
 * new, -1 on a spill file error (err set, code DMO_EXIT_IO).
 */
int	 dmo_dedupe_check(struct dmo_dedupe *, const void *key, size_t len,
	    struct dmo_err *);

void	 dmo_dedupe_stats(const struct dmo_dedupe *, struct dmo_dedupe_stats *);

/* The hash used for keys (exposed for the tests). */
unsigned long long dmo_dedupe_hash(const void *key, size_t len);

#endif
