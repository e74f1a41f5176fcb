/* atomic.h - write a file so that readers see the old one or the new one. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_ATOMIC_H
#define DMO_ATOMIC_H

#include "err.h"
#include "io.h"

/*
 * dmo_atomic_open creates a temporary file next to path (same directory,
 * so that rename(2) is atomic), named ".NAME.dmo-XXXXXX", with the mode
 * of the file it replaces, or 0666 & ~umask for a new file.  Write through
 * dmo_atomic_out(); dmo_atomic_commit flushes, fsyncs, renames it over
 * path and fsyncs the directory; dmo_atomic_abort removes it and leaves
 * path untouched.  Both free the handle.
 *
 * A symbolic link is followed: the file it points to is replaced.  When
 * path exists and is not a regular file (a FIFO, /dev/null, a terminal),
 * there is nothing to replace: it is opened and written directly, and
 * abort cannot take back what was written.
 *
 * While a temporary file exists, SIGINT, SIGTERM and SIGHUP (unless
 * ignored or caught by the program) remove it before the signal takes its
 * default action, and so does exit(3).  SIGKILL leaves it behind.
 */
struct dmo_atomic;

struct dmo_atomic *dmo_atomic_open(const char *path, struct dmo_err *);
struct dmo_out *dmo_atomic_out(const struct dmo_atomic *);
/* 0, or -1 with err set (code DMO_EXIT_IO); the target is then untouched. */
int	 dmo_atomic_commit(struct dmo_atomic *, struct dmo_err *);
void	 dmo_atomic_abort(struct dmo_atomic *);
/* 1 when path is written directly (not a regular file), else 0. */
int	 dmo_atomic_direct(const struct dmo_atomic *);

#endif
