/* partition.c - Hive-style partitioned files, and archive members. */
/* SPDX-License-Identifier: BSD-2-Clause */

/* renameat2 and its flags. */
#define _GNU_SOURCE

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "atomic.h"
#include "exitcode.h"
#include "partition.h"

#define RUN_PREFIX	".dmo-run-"	/* a staging directory */
#define NEW_PREFIX	".dmo-new-"	/* one being made: never removed */

/* One partition, or one input's archive member, and its open part file. */
struct part {
	char		*rel;		/* "a=1/b=x", or a member */
	size_t		 hash;
	struct part	*hnext;
	unsigned long	 seq;		/* part files committed */
	int		 dir_made;	/* its staging directory exists */
	int		 keep_empty;	/* a member even if empty */
	/* The open part file, when fd >= 0. */
	int		 fd;
	char		*display;	/* its name for messages */
	struct dmo_out	*out;
	struct dmo_writer *writer;
	unsigned long long nrec;
	struct part	*prev;		/* the open ones, LRU order */
	struct part	*next;
};

struct dmo_partition {
	struct dmo_partition_opts o;
	char		*path;
	const char	*ext;		/* ".csv", ".ndjson", ... */
	char		**fields;
	size_t		*fieldlen;
	/* All parts, in the order first seen, and a hash table of them. */
	struct part	**parts;
	size_t		 nparts;
	size_t		 partcap;
	struct part	**table;
	size_t		 tsize;
	struct part	*current;	/* one member per input */
	struct part	*head;		/* the open ones, LRU order */
	struct part	*tail;
	size_t		 nopen;
	/* A directory: the staging directory, locked while it lives. */
	char		*staging;
	int		 lockfd;
	int		 created;	/* the run made the directory */
	/* An archive. */
	struct dmo_atomic *atomic;
	struct dmo_archive_writer *aw;
	char		*spooldir;
	/* Scratch. */
	struct dmo_buf	 key;
	struct dmo_buf	 tmp;
	struct dmo_buf	 errfile;	/* err->loc.file, kept */
	struct dmo_record proj;
	/* Counters. */
	unsigned long long files;
	unsigned long long records;
	unsigned long long bytes;
	unsigned long long published;
	int		 done;		/* committed or aborted */
};

/* Hive's FileUtils.escapePathName set, less what only Windows needs. */
static int
needs_escape(unsigned char c)
{
	return c < 0x20 || c == 0x7f || strchr("\"#%'*/:=?\\{[]^", c) != NULL;
}

static void
escape_bytes(struct dmo_buf *b, const char *p, size_t n, int dot)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		/* A name that starts with '.' would be hidden from readers. */
		if (needs_escape(c) || (dot && i == 0 && c == '.')) {
			dmo_buf_addc(b, '%');
			dmo_buf_addc(b, hex[c >> 4]);
			dmo_buf_addc(b, hex[c & 15]);
		} else
			dmo_buf_addc(b, c);
	}
}

void
dmo_partition_escape(struct dmo_buf *b, enum dmo_type t, const char *v,
    size_t len)
{
	if (v == NULL || t == DMO_NULL || (t == DMO_STRING && len == 0))
		dmo_buf_adds(b, DMO_PARTITION_DEFAULT);
	else if (t == DMO_TRUE)
		dmo_buf_adds(b, "true");
	else if (t == DMO_FALSE)
		dmo_buf_adds(b, "false");
	else
		escape_bytes(b, v, len, 0);
}

static const char *
ext_of(enum dmo_format f)
{
	switch (f) {
	case DMO_FMT_CSV:
		return ".csv";
	case DMO_FMT_TSV:
		return ".tsv";
	case DMO_FMT_BINARY:
		return ".dmo";
	default:
		return ".ndjson";
	}
}

static int
is_dir_or_mkdir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0777) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	if (stat(path, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/* mkdir -p; errno set on failure. */
static int
mkdirs(const char *path)
{
	char *p = dmo_xstrdup(path), *s;
	int rc = 0;

	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		rc = is_dir_or_mkdir(p);
		*s = '/';
		if (rc != 0)
			break;
	}
	if (rc == 0)
		rc = is_dir_or_mkdir(p);
	free(p);
	return rc;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		(void)rmdir(path);
	else
		(void)unlink(path);
	return 0;
}

static void
rm_tree(const char *path)
{
	(void)nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int
sync_dir(const char *dir)
{
	int fd, rc = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS &&
	    errno != EBADF)
		rc = -1;
	close(fd);
	return rc;
}

/*
 * Remove staging directories that killed runs left: a live run holds the
 * lock on its own.  Directories still being made (NEW_PREFIX) are left.
 */
static void
clean_stale(const char *path)
{
	struct dmo_buf b = DMO_BUF_INIT;
	struct dirent *de;
	DIR *d;
	int fd;

	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, RUN_PREFIX, strlen(RUN_PREFIX)) != 0 ||
		    strchr(de->d_name, '=') != NULL)
			continue;
		b.len = 0;
		dmo_buf_printf(&b, "%s/%s", path, de->d_name);
		fd = open(dmo_buf_cstr(&b), O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			rm_tree(b.p);
		close(fd);
	}
	closedir(d);
	dmo_buf_release(&b);
}

static int
open_dir(struct dmo_partition *P, struct dmo_err *err)
{
	struct dmo_loc loc = { P->path, 0, 0 };
	struct dmo_buf b = DMO_BUF_INIT;
	const char *x;
	char *made;

	if (access(P->path, F_OK) != 0)
		P->created = 1;
	if (mkdirs(P->path) != 0) {
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "%s", "");
		return -1;
	}
	clean_stale(P->path);
	dmo_buf_printf(&b, "%s/" NEW_PREFIX "XXXXXX", P->path);
	made = dmo_xstrdup(dmo_buf_cstr(&b));
	dmo_buf_release(&b);
	if (mkdtemp(made) == NULL) {
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "cannot create a staging "
		    "directory");
		free(made);
		return -1;
	}
	P->lockfd = open(made, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (P->lockfd < 0 || flock(P->lockfd, LOCK_EX) != 0) {
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "cannot lock '%s'", made);
		(void)rmdir(made);
		free(made);
		return -1;
	}
	x = made + strlen(made) - 6;
	dmo_buf_printf(&b, "%s/" RUN_PREFIX "%s", P->path, x);
	P->staging = dmo_xstrdup(dmo_buf_cstr(&b));
	dmo_buf_release(&b);
	if (rename(made, P->staging) != 0) {
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "cannot rename '%s'", made);
		(void)rmdir(made);
		free(made);
		free(P->staging);
		P->staging = NULL;
		return -1;
	}
	free(made);
	return 0;
}

struct dmo_partition *
dmo_partition_open(const struct dmo_partition_opts *o, struct dmo_err *err)
{
	struct dmo_partition *P = dmo_xcalloc(1, sizeof(*P));
	const char *slash;
	size_t i;

	P->o = *o;
	P->path = dmo_xstrdup(o->path);
	P->o.path = P->path;
	P->o.fields = NULL;
	P->lockfd = -1;
	if (P->o.max_open == 0)
		P->o.max_open = 1;
	P->ext = ext_of(o->wopts.format);
	P->fields = dmo_xcalloc(o->nfields + 1, sizeof(*P->fields));
	P->fieldlen = dmo_xcalloc(o->nfields + 1, sizeof(*P->fieldlen));
	for (i = 0; i < o->nfields; i++) {
		P->fields[i] = dmo_xstrdup(o->fields[i]);
		P->fieldlen[i] = strlen(o->fields[i]);
	}
	P->tsize = 64;
	P->table = dmo_xcalloc(P->tsize, sizeof(*P->table));
	dmo_record_init(&P->proj);
	if (o->archive < 0) {
		if (open_dir(P, err) != 0)
			goto fail;
		return P;
	}
	if ((P->atomic = dmo_atomic_open(P->path, err)) == NULL)
		goto fail;
	if ((P->aw = dmo_archive_writer_new(dmo_atomic_out(P->atomic),
	    (enum dmo_archive_type)o->archive, P->path, err)) == NULL)
		goto fail;
	slash = strrchr(P->path, '/');
	P->spooldir = slash == NULL ? dmo_xstrdup(".") :
	    slash == P->path ? dmo_xstrdup("/") :
	    dmo_xmemdup(P->path, (size_t)(slash - P->path));
	return P;
fail:
	/* Names in err go with P: point at the caller's. */
	if (err->loc.file != NULL)
		err->loc.file = o->path;
	dmo_partition_abort(P);
	dmo_partition_free(P);
	return NULL;
}

static struct part *
find_part(struct dmo_partition *P, const char *rel, size_t len, int add)
{
	size_t h = dmo_hash(rel, len), i;
	struct part *p;

	for (p = P->table[h & (P->tsize - 1)]; p != NULL; p = p->hnext)
		if (p->hash == h && strlen(p->rel) == len &&
		    memcmp(p->rel, rel, len) == 0)
			return p;
	if (!add)
		return NULL;
	if (P->nparts >= P->tsize) {
		/* Keep the load factor at most 1. */
		free(P->table);
		P->tsize *= 2;
		P->table = dmo_xcalloc(P->tsize, sizeof(*P->table));
		for (i = 0; i < P->nparts; i++) {
			struct part *q = P->parts[i];
			size_t k = q->hash & (P->tsize - 1);

			q->hnext = P->table[k];
			P->table[k] = q;
		}
	}
	p = dmo_xcalloc(1, sizeof(*p));
	p->rel = dmo_xmemdup(rel, len);
	p->hash = h;
	p->fd = -1;
	p->hnext = P->table[h & (P->tsize - 1)];
	P->table[h & (P->tsize - 1)] = p;
	if (P->nparts == P->partcap) {
		P->partcap = P->partcap == 0 ? 64 : P->partcap * 2;
		P->parts = dmo_xreallocarray(P->parts, P->partcap,
		    sizeof(*P->parts));
	}
	P->parts[P->nparts++] = p;
	return p;
}

static void
lru_unlink(struct dmo_partition *P, struct part *p)
{
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		P->head = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	else
		P->tail = p->prev;
	p->prev = p->next = NULL;
}

static void
lru_front(struct dmo_partition *P, struct part *p)
{
	p->prev = NULL;
	p->next = P->head;
	if (P->head != NULL)
		P->head->prev = p;
	P->head = p;
	if (P->tail == NULL)
		P->tail = p;
}

/* The part file's name inside the staging directory or the archive. */
static const char *
part_name(struct dmo_partition *P, const struct part *p, unsigned long seq)
{
	P->tmp.len = 0;
	if (P->o.nfields == 0)
		dmo_buf_adds(&P->tmp, p->rel);
	else
		dmo_buf_printf(&P->tmp, "%s/part-%05lu%s", p->rel, seq, P->ext);
	return dmo_buf_cstr(&P->tmp);
}

/*
 * An error's location may name a part file whose name goes with it:
 * keep a copy that lives as long as P.
 */
static void
keep_loc(struct dmo_partition *P, struct dmo_err *err)
{
	if (err->loc.file == NULL || err->loc.file == P->errfile.p)
		return;
	P->errfile.len = 0;
	dmo_buf_adds(&P->errfile, err->loc.file);
	err->loc.file = dmo_buf_cstr(&P->errfile);
}

/* Drop the open file of p: nothing of it is kept. */
static void
part_drop(struct dmo_partition *P, struct part *p)
{
	if (p->fd < 0)
		return;
	dmo_writer_free(p->writer);
	dmo_out_free(p->out);
	close(p->fd);
	if (P->staging != NULL) {
		struct dmo_buf b = DMO_BUF_INIT;

		dmo_buf_printf(&b, "%s/%s", P->staging, part_name(P, p,
		    p->seq));
		(void)unlink(dmo_buf_cstr(&b));
		dmo_buf_release(&b);
	}
	free(p->display);
	p->display = NULL;
	p->writer = NULL;
	p->out = NULL;
	p->fd = -1;
	lru_unlink(P, p);
	P->nopen--;
}

/*
 * Finish p's open part file: into the staging directory (fsynced), or
 * into the archive.  A file without records is dropped, except an
 * input's member.  0 or -1 (err set).
 */
static int
part_close(struct dmo_partition *P, struct part *p, struct dmo_err *err)
{
	struct dmo_loc loc = { p->display, 0, 0 };
	int rc;

	if (p->fd < 0)
		return 0;
	if (p->nrec == 0 && !p->keep_empty) {
		part_drop(P, p);
		return 0;
	}
	if (dmo_writer_finish(p->writer, err) != 0)
		goto fail;
	P->bytes += p->out->bytes;
	if (P->staging != NULL && fsync(p->fd) != 0) {
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "write error");
		goto fail;
	}
	if (P->aw != NULL && dmo_archive_writer_add(P->aw, part_name(P, p,
	    p->seq), p->fd, P->o.mtime, err) != 0)
		goto fail;
	dmo_writer_free(p->writer);
	p->writer = NULL;
	dmo_out_free(p->out);
	p->out = NULL;
	rc = close(p->fd);
	p->fd = -1;
	if (rc != 0) {
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "write error");
		keep_loc(P, err);
		free(p->display);
		p->display = NULL;
		lru_unlink(P, p);
		P->nopen--;
		return -1;
	}
	free(p->display);
	p->display = NULL;
	lru_unlink(P, p);
	P->nopen--;
	p->seq++;
	P->files++;
	P->records += p->nrec;
	p->nrec = 0;
	return 0;
fail:
	keep_loc(P, err);
	part_drop(P, p);
	return -1;
}

/*
 * open(2) said EMFILE or ENFILE: the descriptor limit is below
 * --max-open-files.  Close the least recently used file and keep below
 * this many from now on.  1 when one was closed (try again), 0 when none
 * is open, -1 on error (err set).
 */
static int
shed(struct dmo_partition *P, struct dmo_err *err)
{
	if (P->tail == NULL)
		return 0;
	P->o.max_open = P->nopen > 1 ? P->nopen - 1 : 1;
	return part_close(P, P->tail, err) == 0 ? 1 : -1;
}

/* Open p's next part file, closing the least recently used past max_open. */
static int
part_open(struct dmo_partition *P, struct part *p, struct dmo_err *err)
{
	struct dmo_buf b = DMO_BUF_INIT;
	struct dmo_loc loc = { P->path, 0, 0 };
	const char *name;
	int rc = 0;

	while (P->nopen >= P->o.max_open && P->tail != NULL)
		if (part_close(P, P->tail, err) != 0)
			return -1;
	name = part_name(P, p, p->seq);
	if (P->staging != NULL) {
		dmo_buf_printf(&b, "%s/%s", P->path, name);
		p->display = dmo_xstrdup(dmo_buf_cstr(&b));
		b.len = 0;
		if (!p->dir_made) {
			dmo_buf_printf(&b, "%s/%s", P->staging, p->rel);
			if (mkdirs(dmo_buf_cstr(&b)) != 0) {
				loc.file = p->display;
				dmo_err_sys(err, DMO_EXIT_IO, &loc, "cannot "
				    "create a directory");
				goto fail;
			}
			p->dir_made = 1;
			b.len = 0;
		}
		dmo_buf_printf(&b, "%s/%s", P->staging, name);
		while ((p->fd = open(dmo_buf_cstr(&b), O_WRONLY | O_CREAT |
		    O_TRUNC | O_CLOEXEC, 0666)) < 0 &&
		    (errno == EMFILE || errno == ENFILE))
			if ((rc = shed(P, err)) <= 0)
				break;
		if (rc < 0)
			goto fail;
		if (p->fd < 0) {
			loc.file = p->display;
			dmo_err_sys(err, DMO_EXIT_IO, &loc, "%s", "");
			goto fail;
		}
	} else {
		/* A spool file, unlinked at once: a kill leaves nothing. */
		p->display = dmo_xstrdup(P->path);
		for (;;) {
			b.len = 0;
			dmo_buf_printf(&b, "%s/.dmo-spool-XXXXXX", P->spooldir);
			dmo_buf_cstr(&b);
			if ((p->fd = mkstemp(b.p)) >= 0 ||
			    (errno != EMFILE && errno != ENFILE) ||
			    (rc = shed(P, err)) <= 0)
				break;
		}
		if (rc < 0)
			goto fail;
		if (p->fd < 0) {
			dmo_err_sys(err, DMO_EXIT_IO, &loc, "cannot create a "
			    "temporary file in '%s'", P->spooldir);
			goto fail;
		}
		(void)unlink(b.p);
		(void)fcntl(p->fd, F_SETFD, FD_CLOEXEC);
	}
	dmo_buf_release(&b);
	p->out = dmo_out_new(p->fd, p->display);
	if ((p->writer = dmo_writer_new(p->out, &P->o.wopts, err)) == NULL) {
		keep_loc(P, err);
		dmo_out_free(p->out);
		p->out = NULL;
		close(p->fd);
		p->fd = -1;
		free(p->display);
		p->display = NULL;
		return -1;
	}
	p->nrec = 0;
	lru_front(P, p);
	P->nopen++;
	return 0;
fail:
	keep_loc(P, err);
	dmo_buf_release(&b);
	free(p->display);
	p->display = NULL;
	return -1;
}

/* "data/../x/sales.csv.gz" -> "data/x/sales"; "" when nothing is left. */
static void
member_stem(struct dmo_buf *b, const char *input)
{
	static const char *const packed[] = {
		".gz", ".bz2", ".xz", ".zst", ".lz4", ".z", ".lz", ".lzma",
		".zip", ".tar", ".tgz", ".7z"
	};
	const char *p = input, *e, *dot;
	size_t i, n, start;
	int again = 1;

	b->len = 0;
	if (input == NULL || strcmp(input, "-") == 0)
		return;
	while (*p != '\0') {
		e = strchr(p, '/');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n > 0 && !(n == 1 && p[0] == '.') &&
		    !(n == 2 && p[0] == '.' && p[1] == '.')) {
			if (b->len > 0)
				dmo_buf_addc(b, '/');
			dmo_buf_add(b, p, n);
		}
		p += n;
		if (*p == '/')
			p++;
	}
	dmo_buf_cstr(b);
	if (b->len == 0)
		return;
	/* The last component loses its compression suffixes and extension. */
	start = (dot = strrchr(b->p, '/')) != NULL ? (size_t)(dot - b->p) + 1 :
	    0;
	while (again) {
		again = 0;
		for (i = 0; i < sizeof(packed) / sizeof(packed[0]); i++) {
			size_t pl = strlen(packed[i]);

			if (b->len - start > pl &&
			    strncasecmp(b->p + b->len - pl, packed[i], pl) ==
			    0) {
				b->len -= pl;
				again = 1;
				break;
			}
		}
	}
	dmo_buf_cstr(b);
	if ((dot = strrchr(b->p + start, '.')) != NULL && dot != b->p + start)
		b->len = (size_t)(dot - b->p);
	dmo_buf_cstr(b);
}

int
dmo_partition_member(struct dmo_partition *P, const char *input,
    struct dmo_err *err)
{
	struct dmo_buf stem = DMO_BUF_INIT;
	unsigned long k;
	struct part *p;

	if (P->current != NULL) {
		p = P->current;
		P->current = NULL;
		if (part_close(P, p, err) != 0)
			return -1;
	}
	member_stem(&stem, input);
	if (stem.len == 0)
		dmo_buf_adds(&stem, "data");
	for (k = 1;; k++) {
		P->key.len = 0;
		dmo_buf_add(&P->key, stem.p, stem.len);
		if (k > 1)
			dmo_buf_printf(&P->key, "-%lu", k);
		dmo_buf_adds(&P->key, P->ext);
		if (find_part(P, P->key.p, P->key.len, 0) == NULL)
			break;
	}
	dmo_buf_release(&stem);
	p = find_part(P, P->key.p, P->key.len, 1);
	p->keep_empty = 1;
	P->current = p;
	return part_open(P, p, err);
}

/* The partition path of rec into P->key: 0, or -1 (reject; err set). */
static int
partition_key(struct dmo_partition *P, const struct dmo_record *rec,
    struct dmo_err *err)
{
	size_t i, start, vlen;
	const char *v;
	enum dmo_type t;
	long k;

	P->key.len = 0;
	for (i = 0; i < P->o.nfields; i++) {
		if (i > 0)
			dmo_buf_addc(&P->key, '/');
		start = P->key.len;
		escape_bytes(&P->key, P->fields[i], P->fieldlen[i], 1);
		dmo_buf_addc(&P->key, '=');
		k = dmo_record_find(rec, P->fields[i], P->fieldlen[i]);
		if (k < 0) {
			dmo_partition_escape(&P->key, DMO_NULL, NULL, 0);
			continue;
		}
		t = dmo_record_type(rec, (size_t)k);
		v = dmo_record_value(rec, (size_t)k, &vlen);
		if (t == DMO_ARRAY || t == DMO_OBJECT) {
			dmo_err_set(err, DMO_EXIT_DATA, &rec->loc,
			    "field '%s': cannot partition by an %s: %s",
			    P->fields[i], dmo_type_name(t), dmo_quote(v, vlen));
			return -1;
		}
		dmo_partition_escape(&P->key, t, v, vlen);
		if (P->key.len - start > DMO_PARTITION_NAME_MAX) {
			dmo_err_set(err, DMO_EXIT_DATA, &rec->loc,
			    "field '%s': partition directory name too long: "
			    "%zu bytes, more than %d: %s", P->fields[i],
			    P->key.len - start, DMO_PARTITION_NAME_MAX,
			    dmo_quote(v, vlen));
			return -1;
		}
	}
	dmo_buf_cstr(&P->key);
	return 0;
}

/* rec without the partition fields, in P->proj. */
static const struct dmo_record *
project(struct dmo_partition *P, const struct dmo_record *rec,
    struct dmo_err *err)
{
	size_t i, j, nlen, vlen;
	const char *name, *v;

	dmo_record_reset(&P->proj);
	for (i = 0; i < rec->n; i++) {
		name = dmo_record_name(rec, i, &nlen);
		for (j = 0; j < P->o.nfields; j++)
			if (P->fieldlen[j] == nlen &&
			    memcmp(P->fields[j], name, nlen) == 0)
				break;
		if (j < P->o.nfields)
			continue;
		v = dmo_record_value(rec, i, &vlen);
		dmo_record_add(&P->proj, name, nlen, dmo_record_type(rec, i), v,
		    vlen);
	}
	P->proj.loc = rec->loc;
	P->proj.recno = rec->recno;
	/* The input's names are unique already. */
	if (dmo_record_finish(&P->proj, DMO_DUP_FIRST, err) != 0)
		return NULL;
	return &P->proj;
}

int
dmo_partition_write(struct dmo_partition *P, const struct dmo_record *rec,
    struct dmo_err *err)
{
	struct part *p;
	int rc;

	if (P->o.nfields == 0) {
		if ((p = P->current) == NULL &&
		    dmo_partition_member(P, NULL, err) != 0)
			return -2;
		p = P->current;
	} else {
		if (partition_key(P, rec, err) != 0)
			return -1;
		p = find_part(P, P->key.p, P->key.len, 1);
		if (!P->o.keep_fields && (rec = project(P, rec, err)) == NULL)
			return -1;
	}
	if (p->fd < 0 && part_open(P, p, err) != 0)
		return -2;
	if (P->head != p) {
		lru_unlink(P, p);
		lru_front(P, p);
	}
	rc = dmo_writer_write(p->writer, rec, err);
	if (rc == 0)
		p->nrec++;
	else if (rc == -2)
		keep_loc(P, err);
	return rc;
}

/* The highest N of the part-N files in dir, or -1. */
static long
highest_part(const char *dir)
{
	struct dirent *de;
	long best = -1, n;
	char *end;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "part-", 5) != 0 ||
		    de->d_name[5] < '0' || de->d_name[5] > '9')
			continue;
		errno = 0;
		n = strtol(de->d_name + 5, &end, 10);
		if (errno == 0 && (*end == '.' || *end == '\0') && n > best)
			best = n;
	}
	closedir(d);
	return best;
}

/* rename(2) that never replaces: EEXIST when to exists. */
static int
rename_new(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return -1;
	if (link(from, to) != 0)
		return -1;
	return unlink(from);
}

/* Append mode: move p's part files after those in the partition. */
static int
publish_append(struct dmo_partition *P, struct part *p, struct dmo_err *err)
{
	struct dmo_buf from = DMO_BUF_INIT, to = DMO_BUF_INIT;
	struct dmo_loc loc = { NULL, 0, 0 };
	unsigned long k, n;
	int rc = -1;

	dmo_buf_printf(&to, "%s/%s", P->path, p->rel);
	loc.file = dmo_xstrdup(dmo_buf_cstr(&to));
	if (mkdirs(to.p) != 0) {
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "%s", "");
		goto out;
	}
	n = (unsigned long)(highest_part(to.p) + 1);
	for (k = 0; k < p->seq; k++) {
		from.len = 0;
		dmo_buf_printf(&from, "%s/%s", P->staging, part_name(P, p, k));
		for (;;) {
			to.len = 0;
			dmo_buf_printf(&to, "%s/%s", P->path,
			    part_name(P, p, n));
			if (rename_new(dmo_buf_cstr(&from), to.p) == 0)
				break;
			if (errno != EEXIST) {
				dmo_err_sys(err, DMO_EXIT_IO, &loc, "cannot "
				    "move a part file into place");
				goto out;
			}
			n++;
		}
		n++;
	}
	if (sync_dir(loc.file) != 0) {
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "cannot sync directory");
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		keep_loc(P, err);
	free((char *)loc.file);
	dmo_buf_release(&from);
	dmo_buf_release(&to);
	return rc;
}

/* Replace mode: switch the partition's directory for the staged one. */
static int
publish_replace(struct dmo_partition *P, struct part *p, size_t nth,
    struct dmo_err *err)
{
	struct dmo_buf from = DMO_BUF_INIT, to = DMO_BUF_INIT;
	struct dmo_buf old = DMO_BUF_INIT;
	struct dmo_loc loc = { NULL, 0, 0 };
	struct stat st;
	char *slash;
	int rc = -1;

	dmo_buf_printf(&from, "%s/%s", P->staging, p->rel);
	dmo_buf_printf(&to, "%s/%s", P->path, p->rel);
	loc.file = dmo_buf_cstr(&to);
	slash = strrchr(to.p, '/');
	*slash = '\0';
	if (mkdirs(to.p) != 0) {
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "%s", "");
		goto out;
	}
	*slash = '/';
	if (lstat(to.p, &st) != 0) {
		if (errno != ENOENT) {
			dmo_err_sys(err, DMO_EXIT_IO, &loc, "%s", "");
			goto out;
		}
		if (rename(from.p, to.p) != 0) {
			dmo_err_sys(err, DMO_EXIT_IO, &loc, "cannot move the "
			    "partition into place");
			goto out;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "%s", "");
		goto out;
	} else if (renameat2(AT_FDCWD, from.p, AT_FDCWD, to.p,
	    RENAME_EXCHANGE) != 0) {
		/*
		 * No exchange here: the old directory moves aside, then the
		 * new one in; a reader may see no directory in between.
		 */
		if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
			dmo_err_sys(err, DMO_EXIT_IO, &loc, "cannot switch the "
			    "partition");
			goto out;
		}
		dmo_buf_printf(&old, "%s/.old-%zu", P->staging, nth);
		if (rename(to.p, dmo_buf_cstr(&old)) != 0 ||
		    rename(from.p, to.p) != 0) {
			dmo_err_sys(err, DMO_EXIT_IO, &loc, "cannot switch the "
			    "partition");
			goto out;
		}
	}
	/* Whatever now sits in the staging directory is the old partition. */
	*slash = '\0';
	if (sync_dir(to.p) != 0) {
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "cannot sync directory");
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		keep_loc(P, err);
	dmo_buf_release(&from);
	dmo_buf_release(&to);
	dmo_buf_release(&old);
	return rc;
}

int
dmo_partition_commit(struct dmo_partition *P, struct dmo_err *err)
{
	struct dmo_loc loc = { P->path, 0, 0 };
	size_t i;

	/* In the order first seen: members of an archive in input order. */
	for (i = 0; i < P->nparts; i++)
		if (part_close(P, P->parts[i], err) != 0)
			return -1;
	P->current = NULL;
	if (P->aw != NULL) {
		if (dmo_archive_writer_close(P->aw, err) != 0)
			return -1;
		dmo_archive_writer_free(P->aw);
		P->aw = NULL;
		P->bytes = dmo_atomic_out(P->atomic)->bytes +
		    dmo_atomic_out(P->atomic)->len;
		if (dmo_atomic_commit(P->atomic, err) != 0) {
			P->atomic = NULL;	/* the commit removed it */
			return -1;
		}
		P->atomic = NULL;
		P->published = P->nparts;
		P->done = 1;
		return 0;
	}
	/*
	 * Look before moving anything: a partition's place taken by a file
	 * fails the run with nothing published.
	 */
	for (i = 0; i < P->nparts; i++) {
		struct dmo_buf b = DMO_BUF_INIT;
		struct stat st;
		int bad;

		if (P->parts[i]->seq == 0)
			continue;
		dmo_buf_printf(&b, "%s/%s", P->path, P->parts[i]->rel);
		bad = lstat(dmo_buf_cstr(&b), &st) == 0 && !S_ISDIR(st.st_mode);
		if (bad) {
			loc.file = b.p;
			errno = ENOTDIR;
			dmo_err_sys(err, DMO_EXIT_IO, &loc, "%s", "");
			keep_loc(P, err);
		}
		dmo_buf_release(&b);
		if (bad)
			return -1;
	}
	for (i = 0; i < P->nparts; i++) {
		struct part *p = P->parts[i];

		if (p->seq == 0)
			continue;
		if ((P->o.append ? publish_append(P, p, err) :
		    publish_replace(P, p, i, err)) != 0)
			return -1;
		P->published++;
	}
	if (sync_dir(P->path) != 0) {
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "cannot sync directory");
		return -1;
	}
	rm_tree(P->staging);
	free(P->staging);
	P->staging = NULL;
	P->done = 1;
	return 0;
}

void
dmo_partition_abort(struct dmo_partition *P)
{
	if (P == NULL || P->done)
		return;
	P->done = 1;
	while (P->head != NULL)
		part_drop(P, P->head);
	P->current = NULL;
	dmo_archive_writer_free(P->aw);
	P->aw = NULL;
	dmo_atomic_abort(P->atomic);
	P->atomic = NULL;
	if (P->staging != NULL)
		rm_tree(P->staging);
	/* A directory this run made and left empty goes too. */
	if (P->created && P->published == 0)
		(void)rmdir(P->path);
	P->files = P->records = 0;
}

void
dmo_partition_free(struct dmo_partition *P)
{
	size_t i;

	if (P == NULL)
		return;
	dmo_partition_abort(P);
	for (i = 0; i < P->nparts; i++) {
		free(P->parts[i]->rel);
		free(P->parts[i]);
	}
	free(P->parts);
	free(P->table);
	for (i = 0; i < P->o.nfields; i++)
		free(P->fields[i]);
	free(P->fields);
	free(P->fieldlen);
	if (P->lockfd >= 0)
		close(P->lockfd);
	free(P->staging);
	free(P->spooldir);
	free(P->path);
	dmo_buf_release(&P->key);
	dmo_buf_release(&P->tmp);
	dmo_buf_release(&P->errfile);
	dmo_record_release(&P->proj);
	free(P);
}

unsigned long long
dmo_partition_files(const struct dmo_partition *P)
{
	return P->files;
}

unsigned long long
dmo_partition_records(const struct dmo_partition *P)
{
	return P->records;
}

unsigned long long
dmo_partition_count(const struct dmo_partition *P)
{
	return P->published;
}

unsigned long long
dmo_partition_bytes(const struct dmo_partition *P)
{
	return P->bytes;
}
