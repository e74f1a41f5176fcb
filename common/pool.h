/* pool.h - a small fork-join thread pool: one function over [0, n). */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_POOL_H
#define DMO_POOL_H

#include <stddef.h>

/* The most threads a --threads option accepts, and its default's cap. */
#define DMO_THREADS_MAX		256
#define DMO_THREADS_DEFAULT_MAX	64

/*
 * A pool of n threads: n - 1 helper threads and the caller of
 * dmo_pool_run, which works too.  It knows nothing of what it runs: a
 * program keeps what each thread needs (scratch buffers, engines) in an
 * array indexed by the thread number that fn is given, 0 for the
 * caller and 1 to n - 1 for the helpers.
 */
struct dmo_pool;

/* Work on the items [begin, end) as thread number thread. */
typedef void (*dmo_pool_fn)(void *arg, int thread, size_t begin,
	    size_t end);

/*
 * Start a pool of n threads (1 to DMO_THREADS_MAX).  When the system
 * gives fewer threads, the pool has fewer (dmo_pool_threads): the work
 * is the same, done by fewer hands.  Never NULL.
 */
struct dmo_pool	*dmo_pool_new(int n);
int	 dmo_pool_threads(const struct dmo_pool *);

/*
 * Run fn over the items [0, n) in pieces of chunk items, taken by every
 * thread of the pool as each becomes free, and return once all are
 * done.  Items are independent: in which thread and order they run is
 * not known.  Only one thread may call dmo_pool_run at a time.
 */
void	 dmo_pool_run(struct dmo_pool *, size_t n, size_t chunk,
	    dmo_pool_fn fn, void *arg);

/*
 * The same in two steps, so that the caller can do something else
 * while the helpers work: dmo_pool_start hands the items to the helper
 * threads and returns at once; dmo_pool_wait has the caller take the
 * items still left, and returns once all are done.  Between the two,
 * fn must not be called by the caller with thread number 0, and the
 * items must not be touched.  Every start is followed by a wait.
 */
void	 dmo_pool_start(struct dmo_pool *, size_t n, size_t chunk,
	    dmo_pool_fn fn, void *arg);
void	 dmo_pool_wait(struct dmo_pool *);

/* Stop the helper threads (they are idle between runs) and free. */
void	 dmo_pool_free(struct dmo_pool *);

/* The number of CPUs online, from 1 to max: a default for --threads. */
int	 dmo_pool_cpus(int max);

#endif
