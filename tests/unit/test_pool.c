/* test_pool.c - unit tests for the fork-join thread pool (pool.c). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

#include "testhelp.h"

#define ITEMS	10000

struct job {
	atomic_int	 hits[ITEMS];
	atomic_int	 bad;		/* a thread number out of range */
	atomic_int	 big;		/* a piece longer than the chunk */
	int		 threads;
	size_t		 chunk;
};

static void
mark(void *arg, int t, size_t begin, size_t end)
{
	struct job *j = arg;
	size_t i;

	if (t < 0 || t >= j->threads)
		atomic_fetch_add(&j->bad, 1);
	if (end - begin > j->chunk || begin >= end)
		atomic_fetch_add(&j->big, 1);
	for (i = begin; i < end; i++)
		atomic_fetch_add(&j->hits[i], 1);
}

/* Every item once, by threads of the pool, in pieces of chunk at most. */
static int
once(struct job *j, size_t n)
{
	size_t i;

	if (atomic_load(&j->bad) != 0 || atomic_load(&j->big) != 0)
		return 0;
	for (i = 0; i < ITEMS; i++)
		if (atomic_load(&j->hits[i]) != (i < n ? 1 : 0))
			return 0;
	return 1;
}

static void
reset(struct job *j, int threads, size_t chunk)
{
	size_t i;

	for (i = 0; i < ITEMS; i++)
		atomic_store(&j->hits[i], 0);
	atomic_store(&j->bad, 0);
	atomic_store(&j->big, 0);
	j->threads = threads;
	j->chunk = chunk;
}

int
main(void)
{
	static struct job j;
	static const size_t sizes[] = { 0, 1, 31, 32, 33, 1000, ITEMS };
	static const size_t chunks[] = { 1, 32, 5000 };
	static const int nthreads[] = { 1, 2, 4, 9 };
	struct dmo_pool *P;
	char name[96];
	size_t a, b, k, round;

	for (k = 0; k < sizeof(nthreads) / sizeof(nthreads[0]); k++) {
		P = dmo_pool_new(nthreads[k]);
		CHECK(dmo_pool_threads(P) >= 1 &&
		    dmo_pool_threads(P) <= nthreads[k], "threads in range");
		for (a = 0; a < sizeof(sizes) / sizeof(sizes[0]); a++)
			for (b = 0; b < sizeof(chunks) / sizeof(chunks[0]);
			    b++) {
				reset(&j, dmo_pool_threads(P), chunks[b]);
				dmo_pool_run(P, sizes[a], chunks[b], mark, &j);
				snprintf(name, sizeof(name), "run: %d threads, "
				    "%zu items, chunk %zu: each once",
				    nthreads[k], sizes[a], chunks[b]);
				CHECK(once(&j, sizes[a]), name);
			}
		/* Start and wait, many rounds: no run is lost or doubled. */
		for (round = 0; round < 200; round++) {
			reset(&j, dmo_pool_threads(P), 7);
			dmo_pool_start(P, round * 37 % ITEMS, 7, mark, &j);
			dmo_pool_wait(P);
			if (!once(&j, round * 37 % ITEMS))
				break;
		}
		snprintf(name, sizeof(name), "start and wait: %d threads, "
		    "200 rounds", nthreads[k]);
		CHECK_EQ(round, 200, name);
		/* A wait with no start returns at once. */
		dmo_pool_wait(P);
		dmo_pool_free(P);
	}
	/* Out of range asks are brought into range. */
	P = dmo_pool_new(0);
	CHECK_EQ(dmo_pool_threads(P), 1, "0 threads is 1");
	dmo_pool_free(P);
	P = dmo_pool_new(DMO_THREADS_MAX + 1);
	CHECK(dmo_pool_threads(P) <= DMO_THREADS_MAX, "at most the maximum");
	dmo_pool_free(P);
	dmo_pool_free(NULL);
	CHECK(dmo_pool_cpus(64) >= 1 && dmo_pool_cpus(64) <= 64, "cpus");
	CHECK_EQ(dmo_pool_cpus(1), 1, "cpus capped");
	return done();
}
