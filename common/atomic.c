/* atomic.c - replace a file through a temporary file and rename(2). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "exitcode.h"

struct dmo_atomic {
	char			*path;		/* as given, for messages */
	char			*final;		/* symbolic links resolved */
	char			*dir;
	char			*tmp;		/* NULL when writing directly */
	int			 fd;
	struct dmo_out		*out;
	struct dmo_atomic	*next;		/* the list of live temp files */
};

/*
 * Temporary files to remove on a signal or at exit.  The list is changed
 * only with the signals blocked, so the handler sees it whole.
 */
static struct dmo_atomic *volatile live;
static int installed;
static const int cleanup_signals[] = { SIGHUP, SIGINT, SIGTERM };
#define NSIGNALS (sizeof(cleanup_signals) / sizeof(cleanup_signals[0]))

static void
remove_live(void)
{
	struct dmo_atomic *a;

	for (a = live; a != NULL; a = a->next)
		if (a->tmp != NULL)
			(void)unlink(a->tmp);	/* async-signal-safe */
}

static void
on_signal(int sig)
{
	int saved = errno;

	remove_live();
	errno = saved;
	/* SA_RESETHAND restored the default action; SA_NODEFER lets it in. */
	(void)raise(sig);
}

static void
install(void)
{
	struct sigaction sa, old;
	size_t i;

	if (installed)
		return;
	installed = 1;
	(void)atexit(remove_live);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NSIGNALS; i++) {
		/* Leave alone what is ignored (nohup) or caught elsewhere. */
		if (sigaction(cleanup_signals[i], NULL, &old) != 0 ||
		    old.sa_handler != SIG_DFL)
			continue;
		(void)sigaction(cleanup_signals[i], &sa, NULL);
	}
}

static void
block(sigset_t *old)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < NSIGNALS; i++)
		sigaddset(&set, cleanup_signals[i]);
	(void)sigprocmask(SIG_BLOCK, &set, old);
}

static void
unblock(const sigset_t *old)
{
	(void)sigprocmask(SIG_SETMASK, old, NULL);
}

static void
unlist(struct dmo_atomic *a)
{
	struct dmo_atomic **pp;
	sigset_t old;

	block(&old);
	for (pp = (struct dmo_atomic **)&live; *pp != NULL; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	unblock(&old);
}

static void
release(struct dmo_atomic *a)
{
	free(a->path);
	free(a->final);
	free(a->dir);
	free(a->tmp);
	free(a);
}

/* The directory part of p ("." when none), and where the name starts. */
static char *
dir_of(const char *p, const char **base)
{
	const char *slash = strrchr(p, '/');

	if (slash == NULL) {
		*base = p;
		return dmo_xstrdup(".");
	}
	*base = slash + 1;
	if (slash == p)
		return dmo_xstrdup("/");
	return dmo_xmemdup(p, (size_t)(slash - p));
}

/*
 * Follow symbolic links (a dangling one too: the file it names will be
 * created).  NULL with errno set on a loop or an lstat failure other
 * than ENOENT.
 */
static char *
resolve(const char *path)
{
	char *cur = dmo_xstrdup(path), link[PATH_MAX];
	struct stat st;
	int hops;

	for (hops = 0; hops < 40; hops++) {
		ssize_t n;
		const char *base;
		char *dir, *next;

		if (lstat(cur, &st) != 0) {
			if (errno == ENOENT)
				return cur;
			free(cur);
			return NULL;
		}
		if (!S_ISLNK(st.st_mode))
			return cur;
		if ((n = readlink(cur, link, sizeof(link) - 1)) < 0) {
			free(cur);
			return NULL;
		}
		link[n] = '\0';
		if (link[0] == '/' || strchr(cur, '/') == NULL)
			next = dmo_xstrdup(link);
		else {
			struct dmo_buf b = DMO_BUF_INIT;

			dir = dir_of(cur, &base);
			dmo_buf_adds(&b, dir);
			dmo_buf_addc(&b, '/');
			dmo_buf_adds(&b, link);
			next = dmo_xstrdup(dmo_buf_cstr(&b));
			dmo_buf_release(&b);
			free(dir);
		}
		free(cur);
		cur = next;
	}
	free(cur);
	errno = ELOOP;
	return NULL;
}

struct dmo_atomic *
dmo_atomic_open(const char *path, struct dmo_err *err)
{
	struct dmo_atomic *a = dmo_xcalloc(1, sizeof(*a));
	struct dmo_loc loc = { NULL, 0, 0 };
	struct dmo_buf b = DMO_BUF_INIT;
	struct stat st;
	const char *base;
	mode_t mode, mask;
	sigset_t old;
	int exists;

	a->fd = -1;
	a->path = dmo_xstrdup(path);
	loc.file = a->path;
	if ((a->final = resolve(path)) == NULL) {
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "%s", "");
		goto fail;
	}
	exists = stat(a->final, &st) == 0;
	if (!exists && errno != ENOENT) {
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "%s", "");
		goto fail;
	}
	if (exists && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "%s", "");
		goto fail;
	}
	if (exists && !S_ISREG(st.st_mode)) {
		/* A device or a FIFO: nothing to rename over. */
		if ((a->fd = open(a->final, O_WRONLY | O_TRUNC | O_CLOEXEC)) <
		    0) {
			dmo_err_sys(err, DMO_EXIT_IO, &loc, "%s", "");
			goto fail;
		}
		a->out = dmo_out_new(a->fd, a->path);
		return a;
	}
	if (exists)
		mode = st.st_mode & 07777;
	else {
		mask = umask(0);
		(void)umask(mask);
		mode = 0666 & ~mask;
	}
	a->dir = dir_of(a->final, &base);
	dmo_buf_adds(&b, a->dir);
	dmo_buf_adds(&b, "/.");
	/* Keep the name within NAME_MAX with the suffix added. */
	dmo_buf_add(&b, base, strlen(base) > 200 ? 200 : strlen(base));
	dmo_buf_adds(&b, ".dmo-XXXXXX");
	a->tmp = dmo_xstrdup(dmo_buf_cstr(&b));
	dmo_buf_release(&b);

	install();
	block(&old);
	a->fd = mkstemp(a->tmp);
	if (a->fd >= 0) {
		a->next = live;
		live = a;
	}
	unblock(&old);
	if (a->fd < 0) {
		int e = errno;

		free(a->tmp);
		a->tmp = NULL;
		errno = e;
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "cannot create a "
		    "temporary file in '%s'", a->dir);
		goto fail;
	}
	(void)fcntl(a->fd, F_SETFD, FD_CLOEXEC);
	/* Owner first: fchown may clear set-id bits that fchmod sets. */
	if (exists && (st.st_uid != geteuid() || st.st_gid != getegid()))
		(void)fchown(a->fd, st.st_uid, st.st_gid);
	if (fchmod(a->fd, mode) != 0) {
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "cannot set the mode of "
		    "the temporary file");
		goto fail;
	}
	a->out = dmo_out_new(a->fd, a->path);
	return a;
fail:
	err->loc.file = path;	/* a->path goes with a */
	dmo_atomic_abort(a);
	return NULL;
}

struct dmo_out *
dmo_atomic_out(const struct dmo_atomic *a)
{
	return a->out;
}

int
dmo_atomic_direct(const struct dmo_atomic *a)
{
	return a->tmp == NULL;
}

/* Make the rename durable; file systems that cannot sync a directory pass. */
static int
sync_dir(const char *dir)
{
	int fd, rc = 0;

	if ((fd = open(dir, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS &&
	    errno != EBADF)
		rc = -1;
	close(fd);
	return rc;
}

/*
 * The error names the file through a->path or the output's name, both
 * freed with a: fold the location into the message, so the error stays
 * whole after release (the printed text is the same).
 */
static void
detach(struct dmo_err *err)
{
	char buf[sizeof(err->msg)];

	if (err->loc.file == NULL)
		return;
	dmo_err_format(err, buf, sizeof(buf));
	memcpy(err->msg, buf, sizeof(buf));
	err->loc.file = NULL;
	err->loc.line = err->loc.col = 0;
}

int
dmo_atomic_commit(struct dmo_atomic *a, struct dmo_err *err)
{
	struct dmo_loc loc = { a->path, 0, 0 };
	struct dmo_out *out = a->out;
	int rc = 0;

	if (a->tmp == NULL) {
		a->out = NULL;
		a->fd = -1;	/* dmo_out_close closes it */
		rc = dmo_out_close(out, err);
		if (rc != 0)
			detach(err);
		release(a);
		return rc;
	}
	if (dmo_out_flush(out, err) != 0)
		goto fail;
	if (fsync(a->fd) != 0) {
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "write error");
		goto fail;
	}
	a->out = NULL;
	rc = dmo_out_close(out, err);
	a->fd = -1;
	if (rc != 0)
		goto fail;
	if (rename(a->tmp, a->final) != 0) {
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "cannot rename '%s'",
		    a->tmp);
		goto fail;
	}
	unlist(a);
	if (sync_dir(a->dir) != 0) {
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "cannot sync directory "
		    "'%s'", a->dir);
		rc = -1;
		detach(err);
	}
	release(a);
	return rc;
fail:
	detach(err);
	dmo_atomic_abort(a);
	return -1;
}

void
dmo_atomic_abort(struct dmo_atomic *a)
{
	if (a == NULL)
		return;
	if (a->out != NULL)
		dmo_out_free(a->out);
	if (a->fd >= 0)
		close(a->fd);
	if (a->tmp != NULL) {
		(void)unlink(a->tmp);
		unlist(a);
	}
	release(a);
}
