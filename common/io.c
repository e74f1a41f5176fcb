/* io.c - buffered byte input and output, flushed before any wait. */
/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * F_SETPIPE_SZ (Linux) is declared only with _GNU_SOURCE: without it
 * dmo_io_grow_pipe compiled to nothing, pipes kept their 64 KiB, and
 * two programs in a pipeline took turns instead of running side by side.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "exitcode.h"
#include "io.h"

#define OUT_BUFSIZE	(128 * 1024)
#define IN_BUFSIZE	(256 * 1024)

static struct dmo_out *outputs;		/* the flush list */

static struct {
	void	(*fn)(void *);
	void	*arg;
} waiters[4];

struct dmo_out *
dmo_out_new(int fd, const char *name)
{
	struct dmo_out *o = dmo_xcalloc(1, sizeof(*o));

	o->fd = fd;
	o->name = name;
	o->cap = OUT_BUFSIZE;
	o->buf = dmo_xmalloc(o->cap);
	o->next = outputs;
	outputs = o;
	return o;
}

static void
unlist(struct dmo_out *o)
{
	struct dmo_out **pp;

	for (pp = &outputs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == o) {
			*pp = o->next;
			break;
		}
}

/* Write it all; remember the first error and drop output after it. */
static void
drain(struct dmo_out *o, const char *p, size_t n)
{
	while (n > 0 && o->error == 0) {
		ssize_t w = write(o->fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = { o->fd, POLLOUT, 0 };

				(void)poll(&pfd, 1, -1);
				continue;
			}
			o->error = errno;
			break;
		}
		p += w;
		n -= (size_t)w;
		o->bytes += (size_t)w;
	}
}

static int
report(struct dmo_out *o, struct dmo_err *err)
{
	if (o->error == 0)
		return 0;
	if (err != NULL) {
		struct dmo_loc loc = { o->name, 0, 0 };

		errno = o->error;
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "write error");
	}
	return -1;
}

int
dmo_out_flush(struct dmo_out *o, struct dmo_err *err)
{
	if (o->len > 0) {
		drain(o, o->buf, o->len);
		o->len = 0;
	}
	return report(o, err);
}

void
dmo_out_reserve_slow(struct dmo_out *o, size_t n)
{
	if (o->len > 0) {
		drain(o, o->buf, o->len);
		o->len = 0;
	}
	if (n > o->cap) {
		free(o->buf);
		o->cap = n;
		o->buf = dmo_xmalloc(o->cap);
	}
}

void
dmo_out_write_slow(struct dmo_out *o, const void *p, size_t n)
{
	if (o->len > 0) {
		drain(o, o->buf, o->len);
		o->len = 0;
	}
	if (n >= o->cap)
		drain(o, p, n);
	else {
		memcpy(o->buf, p, n);
		o->len = n;
	}
}

int
dmo_out_close(struct dmo_out *o, struct dmo_err *err)
{
	int rc;

	if (o == NULL)
		return 0;
	rc = dmo_out_flush(o, err);
	if (o->fd > STDERR_FILENO && close(o->fd) != 0 && rc == 0) {
		o->error = errno;
		rc = report(o, err);
	}
	unlist(o);
	free(o->buf);
	free(o);
	return rc;
}

void
dmo_out_free(struct dmo_out *o)
{
	if (o == NULL)
		return;
	unlist(o);
	free(o->buf);
	free(o);
}

void
dmo_io_before_wait(void)
{
	struct dmo_out *o;
	size_t i;

	for (o = outputs; o != NULL; o = o->next)
		if (o->len > 0) {
			drain(o, o->buf, o->len);
			o->len = 0;
		}
	for (i = 0; i < sizeof(waiters) / sizeof(waiters[0]); i++)
		if (waiters[i].fn != NULL)
			waiters[i].fn(waiters[i].arg);
}

void
dmo_io_on_wait(void (*fn)(void *), void *arg)
{
	size_t i;

	for (i = 0; i < sizeof(waiters) / sizeof(waiters[0]); i++)
		if (waiters[i].fn == NULL) {
			waiters[i].fn = fn;
			waiters[i].arg = arg;
			return;
		}
}

void
dmo_io_grow_pipe(int fd)
{
#ifdef F_SETPIPE_SZ
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)fcntl(fd, F_SETPIPE_SZ, 1024 * 1024);
#else
	(void)fd;
#endif
}

static struct dmo_in *
in_new(const char *name)
{
	struct dmo_in *in = dmo_xcalloc(1, sizeof(*in));

	in->cap = IN_BUFSIZE;
	in->buf = dmo_xmalloc(in->cap + 1);
	in->fd = -1;
	in->name = name;
	return in;
}

struct dmo_in *
dmo_in_from_fd(int fd, const char *name, int owns_fd)
{
	struct dmo_in *in = in_new(name);
	struct stat st;

	in->fd = fd;
	in->owns_fd = owns_fd;
	in->may_block = !(fstat(fd, &st) == 0 && S_ISREG(st.st_mode));
	return in;
}

struct dmo_in *
dmo_in_from_fn(dmo_in_readfn fn, void *ctx, const char *name)
{
	struct dmo_in *in = in_new(name);

	in->readfn = fn;
	in->ctx = ctx;
	return in;
}

struct dmo_in *
dmo_in_open(const char *path, int follow, struct dmo_err *err)
{
	struct dmo_in *in;
	struct stat st;
	int fd;

	if (path == NULL || strcmp(path, "-") == 0) {
		dmo_io_grow_pipe(STDIN_FILENO);
		return dmo_in_from_fd(STDIN_FILENO, "<stdin>", 0);
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		struct dmo_loc loc = { path, 0, 0 };

		dmo_err_sys(err, DMO_EXIT_IO, &loc, "%s", "");
		return NULL;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		struct dmo_loc loc = { path, 0, 0 };

		close(fd);
		errno = EISDIR;
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "%s", "");
		return NULL;
	}
	in = dmo_in_from_fd(fd, path, 1);
	if (follow && S_ISREG(st.st_mode)) {
		in->follow = 1;
		in->path = dmo_xstrdup(path);
	}
	return in;
}

void
dmo_in_free(struct dmo_in *in)
{
	if (in == NULL)
		return;
	if (in->follow)
		dmo_follow_release(in);
	if (in->owns_fd && in->fd >= 0)
		close(in->fd);
	free(in->path);
	free(in->buf);
	free(in);
}

static ssize_t
raw_read(struct dmo_in *in, char *p, size_t n, struct dmo_err *err)
{
	ssize_t r;

	if (in->follow)
		return dmo_follow_read(in, p, n, err);
	if (in->readfn != NULL)
		return in->readfn(in->ctx, p, n, err);
	if (in->may_block) {
		struct pollfd pfd = { in->fd, POLLIN, 0 };

		/* About to wait: let downstream see what we have. */
		if (poll(&pfd, 1, 0) == 0)
			dmo_io_before_wait();
	}
	do
		r = read(in->fd, p, n);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		struct dmo_loc loc = { in->name, 0, 0 };

		dmo_err_sys(err, DMO_EXIT_IO, &loc, "read error");
	}
	return r;
}

ssize_t
dmo_in_fill(struct dmo_in *in, struct dmo_err *err)
{
	size_t have = in->end - in->pos;
	ssize_t r;

	if (in->eof)
		return 0;
	if (in->pos > 0) {
		if (have > 0)
			memmove(in->buf, in->buf + in->pos, have);
		in->pos = 0;
		in->end = have;
	}
	if (in->cap - in->end < IN_BUFSIZE / 4) {
		in->cap *= 2;
		in->buf = dmo_xrealloc(in->buf, in->cap + 1);
	}
	r = raw_read(in, in->buf + in->end, in->cap - in->end, err);
	if (r < 0)
		return -1;
	if (r == 0) {
		in->eof = 1;
		return 0;
	}
	in->end += (size_t)r;
	in->bytes += (size_t)r;
	return r;
}

/*
 * Make n bytes available.  With some set, stop early once there is
 * enough to go on with: a whole first line (8 bytes at least, for a magic
 * number, unless it starts as text), or 512 bytes, and the source has no
 * more ready; a pipe or a followed file that pauses is not waited for.
 */
static ssize_t
peek(struct dmo_in *in, size_t n, int some, struct dmo_err *err)
{
	while (in->end - in->pos < n) {
		size_t have = in->end - in->pos;
		ssize_t r;

		if (some && (have >= 512 || (have > 0 && (have >= 8 ||
		    (unsigned char)in->buf[in->pos] >= 0x20) &&
		    memchr(in->buf + in->pos, '\n', have) != NULL))) {
			struct pollfd pfd = { in->fd, POLLIN, 0 };

			if (in->follow || in->readfn != NULL)
				break;
			if (in->may_block && poll(&pfd, 1, 0) == 0)
				break;
		}
		if (in->cap < n) {
			in->cap = n + IN_BUFSIZE;
			in->buf = dmo_xrealloc(in->buf, in->cap + 1);
		}
		r = dmo_in_fill(in, err);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
	}
	return (ssize_t)(in->end - in->pos);
}

ssize_t
dmo_in_peek(struct dmo_in *in, size_t n, struct dmo_err *err)
{
	return peek(in, n, 0, err);
}

ssize_t
dmo_in_peek_some(struct dmo_in *in, size_t n, struct dmo_err *err)
{
	return peek(in, n, 1, err);
}

/*
 * Lines.  The buffer keeps the current line whole, so a line costs one
 * memchr unless it straddles a refill.  scan remembers how far a partial
 * line has been searched, so a long line is not searched again from its
 * start at every refill.
 */
const char *
dmo_in_line(struct dmo_in *in, size_t *len, struct dmo_err *err)
{
	size_t scan = in->pos;
	int skipping = 0;

	for (;;) {
		char *nl = memchr(in->buf + scan, '\n', in->end - scan);
		ssize_t r;
		size_t had;

		if (nl != NULL) {
			char *line = in->buf + in->pos;

			*len = (size_t)(nl + 1 - line);
			in->pos += *len;
			if (skipping || (in->max_line > 0 &&
			    *len - 1 > in->max_line)) {
				dmo_err_set(err, DMO_EXIT_DATA, NULL,
				    "line too long: more than %zu bytes",
				    in->max_line);
				return NULL;
			}
			return line;
		}
		if (in->max_line > 0 && in->end - in->pos > in->max_line) {
			/* Drop what we have of an overlong line, keep reading. */
			skipping = 1;
			in->pos = in->end;
		}
		had = in->end - in->pos;
		r = dmo_in_fill(in, err);
		if (r < 0)
			return NULL;
		scan = in->pos + had;
		if (r == 0) {
			if (in->end == in->pos) {
				*len = 0;
				if (skipping) {
					dmo_err_set(err, DMO_EXIT_DATA, NULL,
					    "line too long: more than %zu bytes",
					    in->max_line);
					return NULL;
				}
				err->code = 0;
				return NULL;
			}
			*len = in->end - in->pos;
			in->pos = in->end;
			if (skipping || (in->max_line > 0 &&
			    *len > in->max_line)) {
				dmo_err_set(err, DMO_EXIT_DATA, NULL,
				    "line too long: more than %zu bytes",
				    in->max_line);
				return NULL;
			}
			return in->buf + in->pos - *len;
		}
	}
}
