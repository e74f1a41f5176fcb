/* pool.c - a small fork-join thread pool: one function over [0, n). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "pool.h"

struct helper {
	struct dmo_pool	*pool;
	pthread_t	 tid;
	int		 id;
};

struct dmo_pool {
	int		 n;		/* threads, the caller's included */
	struct helper	*h;		/* [1, n) */
	pthread_mutex_t	 mu;
	pthread_cond_t	 go, done;
	unsigned long	 round;		/* runs started, under mu */
	int		 busy;		/* helpers still in this run */
	int		 quit;
	int		 started;	/* a run to wait for */
	int		 woke;		/* ... that the helpers work on */
	/* The run in progress: set before round is raised. */
	dmo_pool_fn	 fn;
	void		*arg;
	size_t		 items, chunk;
	atomic_size_t	 next;		/* the first item not yet taken */
};

/* Take chunks until none is left: every thread, the caller too. */
static void
work(struct dmo_pool *P, int id)
{
	size_t i, end;

	for (;;) {
		i = atomic_fetch_add_explicit(&P->next, P->chunk,
		    memory_order_relaxed);
		if (i >= P->items)
			return;
		end = P->items - i > P->chunk ? i + P->chunk : P->items;
		P->fn(P->arg, id, i, end);
	}
}

static void *
helper_main(void *arg)
{
	struct helper *h = arg;
	struct dmo_pool *P = h->pool;
	unsigned long seen = 0;

	pthread_mutex_lock(&P->mu);
	for (;;) {
		while (P->round == seen && !P->quit)
			pthread_cond_wait(&P->go, &P->mu);
		if (P->quit)
			break;
		seen = P->round;
		pthread_mutex_unlock(&P->mu);
		work(P, h->id);
		pthread_mutex_lock(&P->mu);
		if (--P->busy == 0)
			pthread_cond_signal(&P->done);
	}
	pthread_mutex_unlock(&P->mu);
	return NULL;
}

struct dmo_pool *
dmo_pool_new(int n)
{
	struct dmo_pool *P = dmo_xcalloc(1, sizeof(*P));
	int k;

	if (n < 1)
		n = 1;
	if (n > DMO_THREADS_MAX)
		n = DMO_THREADS_MAX;
	P->n = n;
	P->h = dmo_xcalloc((size_t)n, sizeof(*P->h));
	pthread_mutex_init(&P->mu, NULL);
	pthread_cond_init(&P->go, NULL);
	pthread_cond_init(&P->done, NULL);
	atomic_init(&P->next, 0);
	for (k = 1; k < n; k++) {
		P->h[k].pool = P;
		P->h[k].id = k;
		if (pthread_create(&P->h[k].tid, NULL, helper_main,
		    &P->h[k]) != 0) {
			P->n = k;	/* fewer threads, the same work */
			break;
		}
	}
	return P;
}

int
dmo_pool_threads(const struct dmo_pool *P)
{
	return P->n;
}

void
dmo_pool_start(struct dmo_pool *P, size_t n, size_t chunk, dmo_pool_fn fn,
    void *arg)
{
	P->fn = fn;
	P->arg = arg;
	P->items = n;
	P->chunk = chunk > 0 ? chunk : 1;
	atomic_store_explicit(&P->next, 0, memory_order_relaxed);
	P->started = 1;
	/* One piece or one thread: dmo_pool_wait does it, no hand-over. */
	P->woke = P->n > 1 && n > P->chunk;
	if (!P->woke)
		return;
	pthread_mutex_lock(&P->mu);
	P->busy = P->n - 1;
	P->round++;
	pthread_cond_broadcast(&P->go);
	pthread_mutex_unlock(&P->mu);
}

void
dmo_pool_wait(struct dmo_pool *P)
{
	if (!P->started)
		return;
	P->started = 0;
	work(P, 0);
	if (!P->woke)
		return;
	/* The mutex orders the helpers' writes before what follows. */
	pthread_mutex_lock(&P->mu);
	while (P->busy > 0)
		pthread_cond_wait(&P->done, &P->mu);
	pthread_mutex_unlock(&P->mu);
}

void
dmo_pool_run(struct dmo_pool *P, size_t n, size_t chunk, dmo_pool_fn fn,
    void *arg)
{
	dmo_pool_start(P, n, chunk, fn, arg);
	dmo_pool_wait(P);
}

void
dmo_pool_free(struct dmo_pool *P)
{
	int k;

	if (P == NULL)
		return;
	pthread_mutex_lock(&P->mu);
	P->quit = 1;
	pthread_cond_broadcast(&P->go);
	pthread_mutex_unlock(&P->mu);
	for (k = 1; k < P->n; k++)
		pthread_join(P->h[k].tid, NULL);
	pthread_mutex_destroy(&P->mu);
	pthread_cond_destroy(&P->go);
	pthread_cond_destroy(&P->done);
	free(P->h);
	free(P);
}

int
dmo_pool_cpus(int max)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > max ? max : (int)n;
}
