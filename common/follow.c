/* follow.c - read a growing file like tail -F: waits, rotation, truncation. */
/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * dmo_in_fill calls dmo_follow_read for a dmo_in opened with follow set
 * (a regular file).  At the end of the file it flushes every output
 * (dmo_io_before_wait), so downstream sees each complete record at once,
 * and waits: on inotify where there is one (the file for writes, moves and
 * removal, its directory for the path coming back), with a timeout as a
 * fallback for file systems that do not report changes (NFS), or by
 * polling the path without inotify.  After each wait it looks again:
 *  - the file shrank below the read offset: truncated, read from the top;
 *  - the path names another file: rotated; the old file is read to its
 *    end, then the new one from its start;
 *  - the path is gone: keep reading the old file and wait for it.
 * It never reports end of file.
 */

#include <sys/stat.h>
#ifdef __linux__
#include <sys/inotify.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "exitcode.h"
#include "io.h"

#define WAIT_INOTIFY_MS	200	/* fallback when no event comes */
#define WAIT_POLL_MS	100	/* without inotify */

struct follow {
	int	 ifd;		/* inotify, or -1: poll */
	int	 wfile;		/* watch on the file, or -1 */
	int	 wdir;		/* watch on its directory, or -1 */
	int	 regular;	/* in->fd is a regular file */
	dev_t	 dev;		/* in->fd's file */
	ino_t	 ino;
};

static void
notice(struct dmo_in *in, const char *fmt, const char *name)
{
	struct dmo_err e;

	if (in->warn == NULL)
		return;
	dmo_err_set(&e, 0, NULL, fmt, name);
	in->warn(&e);
}

static const char *
in_name(const struct dmo_in *in)
{
	return in->name != NULL ? in->name : in->path;
}

static void
watch_file(struct follow *f, const char *path)
{
#ifdef __linux__
	if (f->ifd < 0)
		return;
	if (f->wfile >= 0)
		(void)inotify_rm_watch(f->ifd, f->wfile);
	f->wfile = inotify_add_watch(f->ifd, path,
	    IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF);
#else
	(void)f;
	(void)path;
#endif
}

static void
watch_dir(struct follow *f, const char *path)
{
#ifdef __linux__
	char *dir, *slash;

	if (f->ifd < 0)
		return;
	dir = dmo_xstrdup(path);
	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	f->wdir = inotify_add_watch(f->ifd, dir,
	    IN_CREATE | IN_MOVED_TO | IN_ATTRIB | IN_ONLYDIR);
	free(dir);
#else
	(void)f;
	(void)path;
#endif
}

static struct follow *
state(struct dmo_in *in)
{
	struct follow *f;
	struct stat st;

	if (in->follow_state != NULL)
		return in->follow_state;
	f = dmo_xcalloc(1, sizeof(*f));
	f->ifd = f->wfile = f->wdir = -1;
	if (in->fd >= 0 && fstat(in->fd, &st) == 0) {
		f->regular = S_ISREG(st.st_mode);
		f->dev = st.st_dev;
		f->ino = st.st_ino;
	} else
		f->regular = in->fd < 0 && in->path != NULL;
#ifdef __linux__
	if (f->regular && in->path != NULL &&
	    (f->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) >= 0) {
		watch_file(f, in->path);
		watch_dir(f, in->path);
		if (f->wfile < 0) {
			/* The file cannot be watched: poll instead. */
			close(f->ifd);
			f->ifd = -1;
		}
	}
#endif
	in->follow_state = f;
	return f;
}

/* Not a regular file (a pipe): read it as it comes, end and all. */
static ssize_t
plain_read(struct dmo_in *in, char *buf, size_t n, struct dmo_err *err)
{
	struct pollfd pfd = { in->fd, POLLIN, 0 };
	struct dmo_loc loc = { in_name(in), 0, 0 };
	ssize_t r;

	if (poll(&pfd, 1, 0) == 0)
		dmo_io_before_wait();
	do
		r = read(in->fd, buf, n);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "read error");
	return r;
}

/* Sleep until something may have changed. */
static void
wait_change(struct follow *f)
{
	struct pollfd pfd;
	char ev[4096];

	if (f->ifd < 0) {
		(void)poll(NULL, 0, WAIT_POLL_MS);
		return;
	}
	pfd.fd = f->ifd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, WAIT_INOTIFY_MS) > 0)
		/* The events only wake us: what changed is looked up. */
		while (read(f->ifd, ev, sizeof(ev)) > 0)
			continue;
}

/*
 * Open the file now at in->path in place of the current one.  Returns 1
 * when switched, 0 when there is nothing to open yet.
 */
static int
reopen(struct dmo_in *in, struct follow *f)
{
	struct stat st;
	int fd, had = in->fd >= 0;

	if ((fd = open(in->path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	if (had && in->owns_fd)
		close(in->fd);
	in->fd = fd;
	in->owns_fd = 1;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	watch_file(f, in->path);
	notice(in, had ? "'%s' has been replaced; following new file" :
	    "'%s' has appeared; following new file", in_name(in));
	return 1;
}

ssize_t
dmo_follow_read(struct dmo_in *in, char *buf, size_t n, struct dmo_err *err)
{
	struct follow *f = state(in);
	struct dmo_loc loc = { in_name(in), 0, 0 };
	struct stat st;
	off_t off;
	ssize_t r;

	if (!f->regular)
		return plain_read(in, buf, n, err);
	if (n == 0)
		return 0;
	for (;;) {
		if (in->fd >= 0) {
			if ((r = read(in->fd, buf, n)) > 0)
				return r;
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				dmo_err_sys(err, DMO_EXIT_IO, &loc,
				    "read error");
				return -1;
			}
			/* At the end of what is there: did it shrink? */
			if (fstat(in->fd, &st) == 0 &&
			    (off = lseek(in->fd, 0, SEEK_CUR)) >= 0 &&
			    st.st_size < off) {
				if (lseek(in->fd, 0, SEEK_SET) < 0) {
					dmo_err_sys(err, DMO_EXIT_IO, &loc,
					    "seek error");
					return -1;
				}
				notice(in, "'%s': file truncated",
				    in_name(in));
				continue;
			}
		}
		/* Replaced?  Then read the old file to its very end first. */
		if (in->path != NULL && stat(in->path, &st) == 0 &&
		    (in->fd < 0 || st.st_dev != f->dev ||
		    st.st_ino != f->ino)) {
			if (in->fd >= 0 && (r = read(in->fd, buf, n)) > 0)
				return r;
			if (reopen(in, f))
				continue;
		}
		dmo_io_before_wait();
		wait_change(f);
	}
}

void
dmo_follow_release(struct dmo_in *in)
{
	struct follow *f = in->follow_state;

	if (f == NULL)
		return;
	if (f->ifd >= 0)
		close(f->ifd);
	free(f);
	in->follow_state = NULL;
}
