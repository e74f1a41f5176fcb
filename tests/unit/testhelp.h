/* testhelp.h - what the unit tests share: TAP checks, sources in memory. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_TESTHELP_H
#define DMO_TESTHELP_H

/*
 * A unit test is a program that prints TAP, one line a check:
 * "ok N - name" or "not ok N - name", with "#" lines that say why a check
 * failed, and the plan "1..N" at the end.  unit.bats runs every one.
 *
 *	CHECK(cond, name)			cond holds
 *	CHECK_EQ(got, want, name)		two integers are equal
 *	CHECK_STR(got, want, name)		two C strings are equal
 *	CHECK_MEM(got, glen, want, wlen, name)	two byte strings are equal
 *	TODO("why");				the next check is a known bug
 *	skip(name, why);			a check that cannot run here
 *	bail("fmt", ...);			set-up failed: stop here
 *	return done();				the plan, and the exit status
 *
 * Sources and sinks: a reader of one format over bytes in memory, handed
 * over a few at a time (th_mem_open), a dmo_out whose bytes can be read
 * back (th_out_new, th_out_bytes), and files in a temporary directory
 * that done() removes (th_tmpdir, th_path, th_put_file, th_get_file).
 *
 * Everything is static: a test program includes this file once.  The
 * fuzz targets use the sources too (fuzz/fuzzhelp.h).
 */

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "formatimpl.h"
#include "io.h"
#include "record.h"

/* A string literal as pointer and length. */
#define S(lit)	lit, sizeof(lit) - 1

/* csv.c's hooks: parse with libcsv alone; bytes read again by a resync. */
extern int			dmo_csv_libcsv_only;
extern unsigned long long	dmo_csv_replayed;

static int		 th_ntest, th_nfail;
static const char	*th_todo;
static char		 th_dir[512];

/*
 * A known bug: the next check becomes a TAP "# TODO" (reported, not
 * counted as a failure).  Name the function at fault; remove with the fix.
 */
#define TODO(why)	(th_todo = (why))

static inline int
th_check(int ok, const char *name, int line, const char *expr)
{
	th_ntest++;
	printf("%sok %d - %s", ok ? "" : "not ", th_ntest, name);
	if (th_todo != NULL)
		printf(" # TODO %s", th_todo);
	putchar('\n');
	if (!ok) {
		printf("# line %d: %s\n", line, expr);
		if (th_todo == NULL)
			th_nfail++;
	}
	th_todo = NULL;
	return ok;
}

#define CHECK(cond, name)	th_check((cond) != 0, (name), __LINE__, #cond)

/* Bytes as a "#" line, control bytes visible, a line per LF. */
static inline void
th_show(const char *label, const char *p, size_t n)
{
	size_t i;

	printf("#   %s: ", label);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\n' && i + 1 < n)
			fputs("\\n\n#         ", stdout);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('\n');
}

static inline int
th_check_mem(const char *got, size_t glen, const char *want, size_t wlen,
    const char *name, int line)
{
	int ok = got != NULL && glen == wlen &&
	    (wlen == 0 || memcmp(got, want, wlen) == 0);

	th_check(ok, name, line, "bytes differ");
	if (!ok) {
		th_show("got ", got != NULL ? got : "(null)",
		    got != NULL ? glen : 6);
		th_show("want", want, wlen);
	}
	return ok;
}

static inline int
th_check_str(const char *got, const char *want, const char *name, int line)
{
	return th_check_mem(got, got != NULL ? strlen(got) : 0, want,
	    strlen(want), name, line);
}

static inline int
th_check_eq(long long got, long long want, const char *name, int line,
    const char *expr)
{
	th_check(got == want, name, line, expr);
	if (got != want)
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
	return got == want;
}

#define CHECK_MEM(got, glen, want, wlen, name) \
	th_check_mem((got), (glen), (want), (wlen), (name), __LINE__)
#define CHECK_STR(got, want, name) \
	th_check_str((got), (want), (name), __LINE__)
#define CHECK_EQ(got, want, name) \
	th_check_eq((long long)(got), (long long)(want), (name), __LINE__, \
	    #got " == " #want)

static inline void
skip(const char *name, const char *why)
{
	th_ntest++;
	printf("ok %d - %s # SKIP %s\n", th_ntest, name, why);
}

static inline void
th_rmtmp(void)
{
	char cmd[600];

	if (th_dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", th_dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", th_dir);
	th_dir[0] = '\0';
}

static inline void
bail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Set-up failed: nothing after this can be trusted. */
static inline void
bail(const char *fmt, ...)
{
	va_list ap;

	fputs("Bail out! ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	th_rmtmp();
	exit(1);
}

/* The end: the plan, the temporary directory removed, the status. */
static inline int
done(void)
{
	th_rmtmp();
	printf("1..%d\n", th_ntest);
	return th_nfail == 0 ? 0 : 1;
}

/* --- files -------------------------------------------------------------- */

/* Make this program's temporary directory ($TMPDIR or /tmp). */
static inline const char *
th_tmpdir(const char *prog)
{
	const char *t = getenv("TMPDIR");

	snprintf(th_dir, sizeof(th_dir), "%s/%s.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp", prog);
	if (mkdtemp(th_dir) == NULL)
		bail("mkdtemp %s: %s", th_dir, strerror(errno));
	return th_dir;
}

/* name in the temporary directory; the last four results stay valid. */
static inline const char *
th_path(const char *name)
{
	static char bufs[4][1024];
	static int next;
	char *p = bufs[next++ & 3];

	snprintf(p, sizeof(bufs[0]), "%s/%s", th_dir, name);
	return p;
}

static inline void
th_put_file(const char *path, const void *p, size_t n)
{
	FILE *fp = fopen(path, "wb");

	if (fp == NULL || (n > 0 && fwrite(p, 1, n, fp) != n) ||
	    fclose(fp) != 0)
		bail("%s: %s", path, strerror(errno));
}

/* A new file in the temporary directory holding p[0..n): its path. */
static inline const char *
th_new_file(const void *p, size_t n)
{
	static int seq;
	char name[32];
	const char *path;

	snprintf(name, sizeof(name), "in%d", ++seq);
	path = th_path(name);
	th_put_file(path, p, n);
	return path;
}

/* All bytes of fd from offset 0, appended to b (NUL after them). */
static inline void
th_fd_bytes(int fd, struct dmo_buf *b)
{
	char chunk[65536];
	off_t at = 0;
	ssize_t got;

	while ((got = pread(fd, chunk, sizeof(chunk), at)) > 0) {
		dmo_buf_add(b, chunk, (size_t)got);
		at += got;
	}
	if (got < 0)
		bail("pread: %s", strerror(errno));
	dmo_buf_cstr(b);
}

/* A file's bytes in a new buffer, NUL after them; *n is their number. */
static inline unsigned char *
th_get_file(const char *path, size_t *n)
{
	struct dmo_buf b = DMO_BUF_INIT;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		bail("%s: %s", path, strerror(errno));
	th_fd_bytes(fd, &b);
	close(fd);
	*n = b.len;
	return (unsigned char *)b.p;
}

/* A dmo_out on a temporary file that is gone once it is closed. */
static inline struct dmo_out *
th_out_new(void)
{
	FILE *fp = tmpfile();
	int fd;

	if (fp == NULL || (fd = dup(fileno(fp))) < 0)
		bail("tmpfile: %s", strerror(errno));
	fclose(fp);
	return dmo_out_new(fd, "t.out");
}

/* What o has been given so far (flushed first), appended to b. */
static inline void
th_out_bytes(struct dmo_out *o, struct dmo_buf *b)
{
	struct dmo_err err;

	if (dmo_out_flush(o, &err) != 0)
		bail("flush: %s", err.msg);
	th_fd_bytes(o->fd, b);
}

/* --- readers over bytes in memory --------------------------------------- */

/*
 * Bytes in memory as a dmo_in source: each read hands over at most chunk
 * bytes or, with seed set, a pseudo-random 1 to chunk bytes, so that
 * refills land everywhere.
 */
struct th_src {
	const char	*p;
	size_t		 n;
	size_t		 off;
	size_t		 chunk;
	uint32_t	 seed;
};

static inline ssize_t
th_src_read(void *ctx, char *buf, size_t n, struct dmo_err *err)
{
	struct th_src *s = ctx;
	size_t k = s->n - s->off, lim = s->chunk;

	(void)err;
	if (k == 0)
		return 0;
	if (s->seed != 0) {
		s->seed ^= s->seed << 13;
		s->seed ^= s->seed >> 17;
		s->seed ^= s->seed << 5;
		lim = 1 + s->seed % s->chunk;
	}
	if (k > n)
		k = n;
	if (k > lim)
		k = lim;
	memcpy(buf, s->p + s->off, k);
	s->off += k;
	return (ssize_t)k;
}

/* A reader of one format over bytes in memory. */
struct th_mem {
	struct dmo_reader	 r;
	struct th_src		 src;
};

/*
 * Start reading p[0..n) with ops (&dmo_csv_reader_ops, ...) in o->format,
 * chunk bytes at a time, as dmo_reader_open starts a file: a look at what
 * the first read brings, then the format's init.  source names it in
 * messages.  Returns 0, or -1 with err set; th_mem_close it either way.
 * m must not move.
 */
static inline int
th_mem_open(struct th_mem *m, const struct dmo_reader_ops *ops,
    const void *p, size_t n, size_t chunk, const struct dmo_read_opts *o,
    const char *source, struct dmo_err *err)
{
	memset(m, 0, sizeof(*m));
	m->src.p = p;
	m->src.n = n;
	m->src.chunk = chunk;
	m->r.opts = *o;
	m->r.format = o->format;
	m->r.source = (char *)source;
	m->r.ops = ops;
	m->r.in = dmo_in_from_fn(th_src_read, &m->src, source);
	dmo_err_clear(err);
	if (dmo_in_peek_some(m->r.in, 64 * 1024, err) < 0 ||
	    m->r.ops->init(&m->r, err) != 0)
		return -1;
	m->r.started = 1;
	return 0;
}

static inline int
th_mem_next(struct th_mem *m, struct dmo_record *rec, struct dmo_err *err)
{
	dmo_err_clear(err);
	return m->r.ops->next(&m->r, rec, err);
}

static inline void
th_mem_close(struct th_mem *m)
{
	if (m->r.started && m->r.ops->fini != NULL)
		m->r.ops->fini(&m->r);
	m->r.started = 0;
	dmo_in_free(m->r.in);
	m->r.in = NULL;
	dmo_buf_release(&m->r.raw);
}

/* Do a and b hold the same names, types and bytes, in the same order? */
static inline int
th_same_record(const struct dmo_record *a, const struct dmo_record *b)
{
	size_t i, la, lb;
	const char *pa, *pb;

	if (dmo_record_count(a) != dmo_record_count(b))
		return 0;
	for (i = 0; i < dmo_record_count(a); i++) {
		pa = dmo_record_name(a, i, &la);
		pb = dmo_record_name(b, i, &lb);
		if (la != lb || memcmp(pa, pb, la) != 0 ||
		    dmo_record_type(a, i) != dmo_record_type(b, i))
			return 0;
		pa = dmo_record_value(a, i, &la);
		pb = dmo_record_value(b, i, &lb);
		if (la != lb || memcmp(pa, pb, la) != 0)
			return 0;
	}
	return 1;
}

#endif
