/* io.h - buffered byte input and output, flushed before any wait. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_IO_H
#define DMO_IO_H

#include <stddef.h>
#include <string.h>
#include <sys/types.h>

#include "err.h"

/*
 * Output.  A dmo_out buffers writes to a file descriptor.  Every dmo_out
 * is on a list that dmo_io_before_wait() flushes: input code calls it
 * whenever it is about to block, so records reach the next program as
 * soon as the input pauses, and a batch run pays nothing (dmo(7)).
 *
 * Write errors are sticky: the first one is kept and reported by
 * dmo_out_flush/dmo_out_close (code DMO_EXIT_IO; "write error: No space
 * left on device").  SIGPIPE is left at its default, so a closed pipe ends
 * the program quietly, as any filter.
 */
struct dmo_out {
	int		 fd;
	const char	*name;		/* for messages: path or "<stdout>" */
	char		*buf;
	size_t		 len;
	size_t		 cap;
	int		 error;		/* errno of the first failure, or 0 */
	unsigned long long bytes;	/* bytes handed to write(2) */
	struct dmo_out	*next;		/* the flush list */
};

struct dmo_out *dmo_out_new(int fd, const char *name);
/* Flush, close the fd unless it is 0-2, free.  Returns 0 or -1 (err). */
int	 dmo_out_close(struct dmo_out *, struct dmo_err *);
void	 dmo_out_free(struct dmo_out *);	/* no flush; for error paths */
int	 dmo_out_flush(struct dmo_out *, struct dmo_err *);
void	 dmo_out_write_slow(struct dmo_out *, const void *, size_t);
/* Make room for n contiguous bytes at buf+len (may flush or grow). */
void	 dmo_out_reserve_slow(struct dmo_out *, size_t);

static inline char *
dmo_out_reserve(struct dmo_out *o, size_t n)
{
	if (o->cap - o->len < n)
		dmo_out_reserve_slow(o, n);
	return o->buf + o->len;
}

static inline void
dmo_out_write(struct dmo_out *o, const void *p, size_t n)
{
	if (o->cap - o->len >= n) {
		memcpy(o->buf + o->len, p, n);
		o->len += n;
	} else
		dmo_out_write_slow(o, p, n);
}

static inline void
dmo_out_putc(struct dmo_out *o, int c)
{
	if (o->cap == o->len)
		dmo_out_reserve_slow(o, 1);
	o->buf[o->len++] = (char)c;
}

/* Flush every open dmo_out; called before blocking on input. */
void	 dmo_io_before_wait(void);

/*
 * Also run fn(arg) in dmo_io_before_wait, after the flush: a loader in a
 * stream commits what it holds when its input pauses.  At most 4.
 */
void	 dmo_io_on_wait(void (*fn)(void *), void *arg);

/*
 * Raise a pipe's buffer to 1 MiB where the kernel allows (F_SETPIPE_SZ);
 * harmless on anything else.  Programs call it for stdin and stdout.
 */
void	 dmo_io_grow_pipe(int fd);

/*
 * Input.  A dmo_in reads from a file descriptor, or from a callback
 * (an archive member, later a network body), into a buffer that holds at
 * least one whole line.  The unread bytes are buf[pos..end).
 *
 * With follow set, a regular file is read like tail -F: at its end the
 * reader flushes outputs and waits for more, reopens the path when the
 * file is replaced (rotation) and starts again from the top when it
 * shrinks (truncation, with a warning through the warn callback); it
 * never reports end of file.
 */
typedef ssize_t (*dmo_in_readfn)(void *ctx, char *buf, size_t n,
	    struct dmo_err *);

struct dmo_in {
	char		*buf;
	size_t		 pos;		/* first unread byte */
	size_t		 end;		/* end of data read so far */
	size_t		 cap;
	int		 eof;		/* the source said end of file */
	int		 fd;		/* -1 when reading through readfn */
	int		 owns_fd;
	int		 may_block;	/* pipe, tty or socket: poll first */
	int		 follow;
	char		*path;		/* for reopening in follow mode */
	dmo_in_readfn	 readfn;
	void		*ctx;
	const char	*name;		/* for messages */
	unsigned long long bytes;	/* bytes read from the source */
	size_t		 max_line;	/* 0: no limit */
	void		 *follow_state;
	void		(*warn)(const struct dmo_err *);	/* notices */
};

/* Open path ("-" or NULL: stdin). Returns NULL with err set (code IO). */
struct dmo_in *dmo_in_open(const char *path, int follow, struct dmo_err *);
struct dmo_in *dmo_in_from_fd(int fd, const char *name, int owns_fd);
struct dmo_in *dmo_in_from_fn(dmo_in_readfn, void *ctx, const char *name);
void	 dmo_in_free(struct dmo_in *);

/*
 * Read more bytes, keeping buf[pos..end) (moved to the start, buffer grown
 * as needed).  Returns the number of new bytes, 0 at end of file, -1 on
 * error (err set, code DMO_EXIT_IO).
 */
ssize_t	 dmo_in_fill(struct dmo_in *, struct dmo_err *);

/*
 * Make at least n bytes available at buf+pos if the source has them.
 * Returns the number available (less than n only at end of file), or -1.
 */
ssize_t	 dmo_in_peek(struct dmo_in *, size_t n, struct dmo_err *);

/*
 * As dmo_in_peek, but for looking ahead (format detection, CSV sniffing):
 * once some bytes are there it does not wait for more, so a pipe or a
 * followed file that pauses is not held up.  Returns the number
 * available, 0 only at end of file, or -1.
 */
ssize_t	 dmo_in_peek_some(struct dmo_in *, size_t n, struct dmo_err *);

/*
 * The next line, including its LF if it has one (the last line of a
 * file may lack it).  *len is its length.  Returns NULL at end of file
 * (err->code 0) or on error (err->code set).  A line longer than
 * max_line is skipped up to its end and reported as an error with
 * code DMO_EXIT_DATA ("line too long: more than N bytes"); reading may
 * go on after it.  The line stays valid until the next call.
 */
const char *dmo_in_line(struct dmo_in *, size_t *len, struct dmo_err *);

/*
 * follow.c: the reading side of follow mode.  dmo_in_fill calls
 * dmo_follow_read instead of read(2) when in->follow is set; it returns
 * bytes as they are appended to in->path, waiting (after
 * dmo_io_before_wait) when there are none, and never returns 0.
 * dmo_follow_release frees in->follow_state.
 */
ssize_t	 dmo_follow_read(struct dmo_in *, char *buf, size_t n,
	    struct dmo_err *);
void	 dmo_follow_release(struct dmo_in *);

#endif
