/* test_io.c - unit tests for buffered I/O (io.c). */
/* SPDX-License-Identifier: BSD-2-Clause */
#define _GNU_SOURCE	/* F_GETPIPE_SZ */

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "io.h"

#include "testhelp.h"

/*
 * 2026-11-21: dmo_io_grow_pipe compiled to nothing (F_SETPIPE_SZ is
 * declared only with _GNU_SOURCE), so pipes between dmo programs kept
 * 64 KiB and the two ends took turns.
 */
static void
test_grow_pipe(void)
{
#ifdef F_GETPIPE_SZ
	int fd[2], before, after;

	if (pipe(fd) != 0)
		bail("pipe: %s", strerror(errno));
	before = fcntl(fd[0], F_GETPIPE_SZ);
	dmo_io_grow_pipe(fd[1]);
	after = fcntl(fd[0], F_GETPIPE_SZ);
	/* The kernel may cap pipes (pipe-max-size, a user's page limit). */
	if (before >= 1024 * 1024)
		skip("io: dmo_io_grow_pipe raises a pipe to 1 MiB",
		    "pipes are that large already");
	else if (fcntl(fd[0], F_SETPIPE_SZ, 1024 * 1024) < 0 &&
	    after == before)
		skip("io: dmo_io_grow_pipe raises a pipe to 1 MiB",
		    "this kernel does not allow it");
	else
		CHECK_EQ(after, 1024 * 1024,
		    "io: dmo_io_grow_pipe raises a pipe to 1 MiB");
	close(fd[0]);
	close(fd[1]);
#else
	skip("io: dmo_io_grow_pipe raises a pipe to 1 MiB", "not Linux");
#endif
}

int
main(void)
{
	test_grow_pipe();
	return done();
}
