/* dedupe.c - have we seen this key?  Exact with spill files, approximate, windowed. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dedupe.h"
#include "exitcode.h"
#include "hash.h"

#define RUN_MAGIC	"DMODDUP1"
#define INDEX_EVERY	64
#define BLOOM_BITS	10	/* a key, for runs: about 1% */
#define BLOOM_K		7
#define MAX_RUNS	16

struct ent {
	uint64_t	 h;
	uint32_t	 len;
	uint32_t	 next;		/* index + 1 in the chain, 0 end */
	size_t		 off;		/* exact: key in arena */
	char		*key;		/* window: own copy */
	unsigned long long seq;		/* window: last seen */
	double		 t;
	int		 live;
};

struct bloom {
	uint64_t	*bits;
	uint64_t	 m;		/* bits */
	int		 k;
	unsigned long long n, cap;
};

struct idx {
	uint64_t	 h;
	off_t		 off;
};

struct run {
	int		 fd;
	struct bloom	 bloom;
	struct idx	*idx;
	size_t		 nidx;
	unsigned long long nkeys;
	off_t		 size;
};

struct fifo_item {
	uint32_t	 ent;
	unsigned long long seq;
};

struct dmo_dedupe {
	struct dmo_dedupe_opts	 o;
	/* the table (exact, window) */
	struct ent		*ents;
	size_t			 nents, entcap;
	uint32_t		*buckets;
	size_t			 nbuckets;
	struct dmo_buf		 arena;
	uint32_t		 freelist;	/* window: free slots + 1 */
	/* exact: runs on disk */
	struct run		*runs;
	size_t			 nruns;
	char			*tmpdir;
	/* approx */
	struct bloom		*blooms;
	size_t			 nblooms;
	/* window */
	struct fifo_item	*fifo;
	size_t			 fhead, ftail, fcap;	/* ring */
	unsigned long long	 seq;
	struct dmo_dedupe_stats	 st;
};

unsigned long long
dmo_dedupe_hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return dmo_hash_splitmix64(h);
}

/* --- Bloom filters --------------------------------------------------- */

static void
bloom_init(struct bloom *b, unsigned long long cap, double bits_per_key,
    int k)
{
	b->m = (uint64_t)ceil((double)(cap ? cap : 1) * bits_per_key);
	b->m = (b->m + 63) / 64 * 64;
	b->bits = dmo_xcalloc((size_t)(b->m / 64), sizeof(uint64_t));
	b->k = k < 1 ? 1 : k;
	b->cap = cap;
	b->n = 0;
}

static int
bloom_has(const struct bloom *b, uint64_t h)
{
	uint64_t h2 = ((h >> 33) | (h << 31)) | 1, x = h;
	int i;

	for (i = 0; i < b->k; i++, x += h2) {
		uint64_t bit = x % b->m;

		if (!(b->bits[bit / 64] & (1ULL << (bit % 64))))
			return 0;
	}
	return 1;
}

static void
bloom_add(struct bloom *b, uint64_t h)
{
	uint64_t h2 = ((h >> 33) | (h << 31)) | 1, x = h;
	int i;

	for (i = 0; i < b->k; i++, x += h2) {
		uint64_t bit = x % b->m;

		b->bits[bit / 64] |= 1ULL << (bit % 64);
	}
	b->n++;
}

/* --- the table ------------------------------------------------------- */

static const char *
ent_key(const struct dmo_dedupe *d, const struct ent *e)
{
	return e->key != NULL ? e->key : d->arena.p + e->off;
}

/*
 * The memory the table would hold after adding a key of len bytes,
 * counting what is allocated (capacities, which double), not only what
 * is used: so --dedupe-memory bounds the real size.
 */
static size_t
table_bytes_after(const struct dmo_dedupe *d, size_t len)
{
	size_t arena = d->arena.cap, ents = d->entcap, nb = d->nbuckets;

	if (d->arena.len + len + 1 > arena) {
		arena = arena < 64 ? 64 : arena;
		while (arena < d->arena.len + len + 1)
			arena *= 2;
	}
	if (d->nents == ents)
		ents = ents ? ents * 2 : 1024;
	if (d->nents + 1 > (nb / 4) * 3)
		nb = nb ? nb * 2 : 1024;
	return arena + ents * sizeof(struct ent) + nb * sizeof(uint32_t);
}

static void
rehash(struct dmo_dedupe *d, size_t nb)
{
	size_t i;

	free(d->buckets);
	d->nbuckets = nb;
	d->buckets = dmo_xcalloc(nb, sizeof(uint32_t));
	for (i = 0; i < d->nents; i++) {
		struct ent *e = &d->ents[i];
		size_t b;

		if (!e->live)
			continue;
		b = (size_t)(e->h & (nb - 1));
		e->next = d->buckets[b];
		d->buckets[b] = (uint32_t)(i + 1);
	}
}

static struct ent *
table_find(struct dmo_dedupe *d, uint64_t h, const void *key, size_t len)
{
	uint32_t i;

	if (d->nbuckets == 0)
		return NULL;
	for (i = d->buckets[h & (d->nbuckets - 1)]; i != 0;
	    i = d->ents[i - 1].next) {
		struct ent *e = &d->ents[i - 1];

		if (e->h == h && e->len == len &&
		    memcmp(ent_key(d, e), key, len) == 0)
			return e;
	}
	return NULL;
}

static struct ent *
table_add(struct dmo_dedupe *d, uint64_t h, const void *key, size_t len)
{
	struct ent *e;
	size_t slot, b;

	if (d->freelist != 0) {
		slot = d->freelist - 1;
		d->freelist = d->ents[slot].next;
	} else {
		if (d->nents == d->entcap) {
			d->entcap = d->entcap ? d->entcap * 2 : 1024;
			d->ents = dmo_xreallocarray(d->ents, d->entcap,
			    sizeof(*d->ents));
		}
		slot = d->nents++;
	}
	if (slot + 1 > (d->nbuckets / 4) * 3)
		rehash(d, d->nbuckets ? d->nbuckets * 2 : 1024);
	e = &d->ents[slot];
	memset(e, 0, sizeof(*e));
	e->h = h;
	e->len = (uint32_t)len;
	e->live = 1;
	if (d->o.mode == DMO_DEDUPE_WINDOW)
		e->key = dmo_xmemdup(key, len);
	else {
		e->off = d->arena.len;
		dmo_buf_add(&d->arena, key, len);
	}
	b = (size_t)(h & (d->nbuckets - 1));
	e->next = d->buckets[b];
	d->buckets[b] = (uint32_t)(slot + 1);
	return e;
}

static void
table_remove(struct dmo_dedupe *d, size_t slot)
{
	struct ent *e = &d->ents[slot];
	uint32_t *pp = &d->buckets[e->h & (d->nbuckets - 1)];

	while (*pp != 0 && *pp != slot + 1)
		pp = &d->ents[*pp - 1].next;
	if (*pp != 0)
		*pp = e->next;
	free(e->key);
	e->key = NULL;
	e->live = 0;
	e->next = d->freelist;
	d->freelist = (uint32_t)(slot + 1);
}

static void
table_clear(struct dmo_dedupe *d)
{
	/* Give the memory back: the next table grows from small again. */
	free(d->ents);
	d->ents = NULL;
	d->nents = d->entcap = 0;
	dmo_buf_release(&d->arena);
	free(d->buckets);
	d->buckets = NULL;
	d->nbuckets = 0;
}

/* --- runs ------------------------------------------------------------ */

struct skey {
	uint64_t	 h;
	uint32_t	 len;
	const char	*p;
};

static int
skey_cmp(const void *a, const void *b)
{
	const struct skey *x = a, *y = b;
	size_t n;
	int c;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	n = x->len;
	c = n > 0 ? memcmp(x->p, y->p, n) : 0;
	return c;
}

/* A buffered writer of a run that builds its filter and index. */
struct wr {
	struct dmo_dedupe	*d;
	struct run		*r;
	struct dmo_buf		 buf;
	off_t			 pos;
	size_t			 idxcap;
};

static int
wr_flush(struct wr *w, struct dmo_err *err)
{
	size_t done = 0;

	while (done < w->buf.len) {
		ssize_t k = write(w->r->fd, w->buf.p + done, w->buf.len - done);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			dmo_err_sys(err, DMO_EXIT_IO, NULL, "dedupe spill file "
			    "in %s", w->d->tmpdir);
			return -1;
		}
		done += (size_t)k;
	}
	w->buf.len = 0;
	return 0;
}

static void
put_le(struct dmo_buf *b, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		dmo_buf_addc(b, (int)((v >> (8 * i)) & 0xff));
}

static int
wr_key(struct wr *w, uint64_t h, const char *p, uint32_t len,
    struct dmo_err *err)
{
	struct run *r = w->r;

	if (r->nkeys % INDEX_EVERY == 0) {
		if (r->nidx == w->idxcap) {
			w->idxcap = w->idxcap ? w->idxcap * 2 : 64;
			r->idx = dmo_xreallocarray(r->idx, w->idxcap,
			    sizeof(*r->idx));
		}
		r->idx[r->nidx].h = h;
		r->idx[r->nidx].off = w->pos + (off_t)w->buf.len;
		r->nidx++;
	}
	put_le(&w->buf, h, 8);
	put_le(&w->buf, len, 4);
	dmo_buf_add(&w->buf, p, len);
	bloom_add(&r->bloom, h);
	r->nkeys++;
	if (w->buf.len >= 65536) {
		w->pos += (off_t)w->buf.len;
		if (wr_flush(w, err) != 0)
			return -1;
	}
	return 0;
}

static int
run_open(struct dmo_dedupe *d, struct wr *w, struct run *r,
    unsigned long long nkeys, struct dmo_err *err)
{
	struct dmo_buf path = DMO_BUF_INIT;

	memset(w, 0, sizeof(*w));
	memset(r, 0, sizeof(*r));
	w->d = d;
	w->r = r;
	dmo_buf_printf(&path, "%s/dmo-dedupe.XXXXXX", d->tmpdir);
	r->fd = mkstemp(path.p);
	if (r->fd < 0) {
		dmo_err_sys(err, DMO_EXIT_IO, NULL, "dedupe spill file in %s",
		    d->tmpdir);
		dmo_buf_release(&path);
		return -1;
	}
	/* Anonymous from now on: nothing stays behind after the run. */
	unlink(path.p);
	dmo_buf_release(&path);
	bloom_init(&r->bloom, nkeys, BLOOM_BITS, BLOOM_K);
	dmo_buf_add(&w->buf, RUN_MAGIC, 8);
	return 0;
}

static int
run_close(struct wr *w, struct dmo_err *err)
{
	off_t end = w->pos + (off_t)w->buf.len;
	int rc = wr_flush(w, err);

	w->r->size = end;
	dmo_buf_release(&w->buf);
	return rc;
}

static void
run_release(struct run *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->bloom.bits);
	free(r->idx);
}

/* A sequential reader of a run. */
struct rd {
	const struct run *r;
	off_t		 pos;		/* file offset of buf[0] */
	struct dmo_buf	 buf;
	size_t		 at;
};

static int
rd_need(struct rd *x, size_t n, struct dmo_err *err)
{
	if (x->buf.len - x->at >= n)
		return 1;
	if (x->at > 0) {
		memmove(x->buf.p, x->buf.p + x->at, x->buf.len - x->at);
		x->pos += (off_t)x->at;
		x->buf.len -= x->at;
		x->at = 0;
	}
	while (x->buf.len < n) {
		off_t from = x->pos + (off_t)x->buf.len;
		size_t want = n - x->buf.len < 16384 ? 16384 : n - x->buf.len;
		ssize_t k;

		if (from >= x->r->size)
			return 0;
		dmo_buf_grow(&x->buf, want);
		k = pread(x->r->fd, x->buf.p + x->buf.len, want, from);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			dmo_err_sys(err, DMO_EXIT_IO, NULL, "dedupe spill "
			    "file");
			return -1;
		}
		if (k == 0)
			return 0;
		x->buf.len += (size_t)k;
	}
	return 1;
}

static uint64_t
get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The next key: 1, 0 at the end, -1 on error. */
static int
rd_next(struct rd *x, struct skey *k, struct dmo_err *err)
{
	int rc;
	const unsigned char *p;

	if ((rc = rd_need(x, 12, err)) <= 0)
		return rc;
	p = (const unsigned char *)x->buf.p + x->at;
	k->h = get_le(p, 8);
	k->len = (uint32_t)get_le(p + 8, 4);
	if ((rc = rd_need(x, 12 + (size_t)k->len, err)) <= 0)
		return rc < 0 ? -1 : 0;
	k->p = x->buf.p + x->at + 12;
	x->at += 12 + k->len;
	return 1;
}

static int
run_has(struct dmo_dedupe *d, const struct run *r, uint64_t h,
    const void *key, size_t len, struct dmo_err *err)
{
	struct rd x;
	struct skey k;
	size_t lo = 0, hi = r->nidx;
	int rc, found = 0;

	if (!bloom_has(&r->bloom, h))
		return 0;
	d->st.probes++;
	/* The last index entry with a smaller hash: the scan starts there. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->idx[mid].h < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	memset(&x, 0, sizeof(x));
	x.r = r;
	x.pos = lo > 0 ? r->idx[lo - 1].off : 8;
	while ((rc = rd_next(&x, &k, err)) == 1) {
		if (k.h > h)
			break;
		if (k.h == h && k.len == len && memcmp(k.p, key, len) == 0) {
			found = 1;
			break;
		}
	}
	dmo_buf_release(&x.buf);
	return rc < 0 ? -1 : found;
}

static int
merge_runs(struct dmo_dedupe *d, struct dmo_err *err)
{
	struct rd *rs = dmo_xcalloc(d->nruns, sizeof(*rs));
	struct skey *cur = dmo_xcalloc(d->nruns, sizeof(*cur));
	int *live = dmo_xcalloc(d->nruns, sizeof(int));
	unsigned long long total = 0;
	size_t nin = d->nruns;
	struct run out;
	struct wr w;
	size_t i;
	int rc = 0;

	for (i = 0; i < d->nruns; i++)
		total += d->runs[i].nkeys;
	if (run_open(d, &w, &out, total, err) != 0) {
		rc = -1;
		goto done;
	}
	for (i = 0; i < d->nruns; i++) {
		rs[i].r = &d->runs[i];
		rs[i].pos = 8;
		if ((live[i] = rd_next(&rs[i], &cur[i], err)) < 0)
			rc = -1;
	}
	while (rc == 0) {
		size_t best = SIZE_MAX;

		for (i = 0; i < d->nruns; i++)
			if (live[i] == 1 && (best == SIZE_MAX ||
			    skey_cmp(&cur[i], &cur[best]) < 0))
				best = i;
		if (best == SIZE_MAX)
			break;
		if (wr_key(&w, cur[best].h, cur[best].p, cur[best].len,
		    err) != 0 ||
		    (live[best] = rd_next(&rs[best], &cur[best], err)) < 0)
			rc = -1;
	}
	if (rc == 0 && run_close(&w, err) != 0)
		rc = -1;
	if (rc != 0) {
		dmo_buf_release(&w.buf);
		run_release(&out);
		goto done;
	}
	for (i = 0; i < d->nruns; i++)
		run_release(&d->runs[i]);
	d->runs[0] = out;
	d->nruns = 1;
	d->st.merges++;
	d->st.disk_bytes = (unsigned long long)out.size;
done:
	for (i = 0; i < nin; i++)
		dmo_buf_release(&rs[i].buf);
	free(rs);
	free(cur);
	free(live);
	return rc;
}

static int
spill(struct dmo_dedupe *d, struct dmo_err *err)
{
	struct skey *keys = dmo_xcalloc(d->nents + 1, sizeof(*keys));
	struct run r;
	struct wr w;
	size_t i, n = 0;

	for (i = 0; i < d->nents; i++) {
		keys[n].h = d->ents[i].h;
		keys[n].len = d->ents[i].len;
		keys[n].p = ent_key(d, &d->ents[i]);
		n++;
	}
	qsort(keys, n, sizeof(*keys), skey_cmp);
	if (run_open(d, &w, &r, n, err) != 0) {
		free(keys);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (wr_key(&w, keys[i].h, keys[i].p, keys[i].len, err) != 0)
			break;
	free(keys);
	if (i < n || run_close(&w, err) != 0) {
		dmo_buf_release(&w.buf);
		run_release(&r);
		return -1;
	}
	d->runs = dmo_xreallocarray(d->runs, d->nruns + 1, sizeof(*d->runs));
	d->runs[d->nruns++] = r;
	d->st.spills++;
	d->st.disk_bytes += (unsigned long long)r.size;
	table_clear(d);
	if (d->nruns >= MAX_RUNS)
		return merge_runs(d, err);
	return 0;
}

/* --- the modes ------------------------------------------------------- */

struct dmo_dedupe *
dmo_dedupe_new(const struct dmo_dedupe_opts *o, struct dmo_err *err)
{
	struct dmo_dedupe *d = dmo_xcalloc(1, sizeof(*d));
	const char *t = o->tmpdir;

	(void)err;
	d->o = *o;
	if (d->o.memory == 0)
		d->o.memory = DMO_DEDUPE_MEMORY_DEFAULT;
	if (t == NULL || *t == '\0')
		t = getenv("TMPDIR");
	if (t == NULL || *t == '\0')
		t = "/tmp";
	d->tmpdir = dmo_xstrdup(t);
	return d;
}

void
dmo_dedupe_free(struct dmo_dedupe *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nents; i++)
		free(d->ents[i].key);
	free(d->ents);
	free(d->buckets);
	dmo_buf_release(&d->arena);
	for (i = 0; i < d->nruns; i++)
		run_release(&d->runs[i]);
	free(d->runs);
	for (i = 0; i < d->nblooms; i++)
		free(d->blooms[i].bits);
	free(d->blooms);
	free(d->fifo);
	free(d->tmpdir);
	free(d);
}

static int
check_exact(struct dmo_dedupe *d, uint64_t h, const void *key, size_t len,
    struct dmo_err *err)
{
	size_t i;
	int rc;

	if (table_find(d, h, key, len) != NULL)
		return 1;
	for (i = 0; i < d->nruns; i++)
		if ((rc = run_has(d, &d->runs[i], h, key, len, err)) != 0)
			return rc;
	if (d->nents > 0 && table_bytes_after(d, len) > d->o.memory &&
	    spill(d, err) != 0)
		return -1;
	table_add(d, h, key, len);
	d->st.keys++;
	return 0;
}

static int
check_approx(struct dmo_dedupe *d, uint64_t h)
{
	struct bloom *b;
	size_t i;

	for (i = 0; i < d->nblooms; i++)
		if (bloom_has(&d->blooms[i], h))
			return 1;
	if (d->nblooms == 0 || d->blooms[d->nblooms - 1].n >=
	    d->blooms[d->nblooms - 1].cap) {
		/* The next filter: twice the keys at half the error. */
		double p = d->o.rate / pow(2.0, (double)d->nblooms + 1);
		unsigned long long cap = 65536ULL << d->nblooms;
		double bits = -log(p) / (M_LN2 * M_LN2);

		d->blooms = dmo_xreallocarray(d->blooms, d->nblooms + 1,
		    sizeof(*d->blooms));
		b = &d->blooms[d->nblooms++];
		bloom_init(b, cap, bits, (int)ceil(-log2(p)));
	}
	bloom_add(&d->blooms[d->nblooms - 1], h);
	d->st.keys++;
	return 0;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
fifo_push(struct dmo_dedupe *d, uint32_t ent, unsigned long long seq)
{
	if (d->ftail - d->fhead == d->fcap) {
		size_t ncap = d->fcap ? d->fcap * 2 : 1024, i;
		struct fifo_item *nf = dmo_xcalloc(ncap, sizeof(*nf));

		for (i = 0; i < d->fcap; i++)
			nf[i] = d->fifo[(d->fhead + i) % d->fcap];
		free(d->fifo);
		d->fifo = nf;
		d->ftail = d->fcap;
		d->fhead = 0;
		d->fcap = ncap;
	}
	d->fifo[d->ftail++ % d->fcap] = (struct fifo_item){ ent, seq };
}

static int
check_window(struct dmo_dedupe *d, uint64_t h, const void *key, size_t len)
{
	double t = d->o.window_secs > 0 ? now() : 0;
	unsigned long long seq = ++d->seq;
	struct ent *e;
	int dup = 0;

	/* Forget what fell out of the window. */
	while (d->ftail > d->fhead) {
		struct fifo_item *it = &d->fifo[d->fhead % d->fcap];
		struct ent *x = &d->ents[it->ent];

		if (x->live && x->seq == it->seq) {
			/* The key's latest sighting: is it too old? */
			if (!((d->o.window_n > 0 && seq - it->seq >
			    d->o.window_n) || (d->o.window_secs > 0 &&
			    t - x->t >= d->o.window_secs)))
				break;
			table_remove(d, it->ent);
			d->st.keys--;
		}
		d->fhead++;
	}
	if ((e = table_find(d, h, key, len)) != NULL)
		dup = 1;
	else {
		e = table_add(d, h, key, len);
		d->st.keys++;
	}
	/* Each sighting renews the key: the window is since the last one. */
	e->seq = seq;
	e->t = t;
	fifo_push(d, (uint32_t)(e - d->ents), seq);
	return dup;
}

int
dmo_dedupe_check(struct dmo_dedupe *d, const void *key, size_t len,
    struct dmo_err *err)
{
	uint64_t h = dmo_dedupe_hash(key, len);

	switch (d->o.mode) {
	case DMO_DEDUPE_APPROX:
		return check_approx(d, h);
	case DMO_DEDUPE_WINDOW:
		return check_window(d, h, key, len);
	default:
		return check_exact(d, h, key, len, err);
	}
}

void
dmo_dedupe_stats(const struct dmo_dedupe *d, struct dmo_dedupe_stats *s)
{
	*s = d->st;
}
