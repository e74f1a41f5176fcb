/* bookmark.h - incremental runs: the bookmark, its state file, checkpoints. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_BOOKMARK_H
#define DMO_BOOKMARK_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "format.h"
#include "record.h"

/*
 * dmo-extract --since-field FIELD --state FILE sends only the records
 * whose FIELD is at or after the bookmark saved in FILE, and sends
 * checkpoint frames (format.h) that dmo-load --state FILE saves once the
 * records before them are committed.  See dmo-extract(1), INCREMENTAL
 * RUNS, for the rules.
 *
 * Comparison (dmo_bookmark_compare): values are compared by their text
 * (a number's lexeme, a string's bytes): numerically and exactly when
 * both texts are JSON numbers ("9" < "10", "1e400" > "9e399", "-0" ==
 * "0.0"), and otherwise bytewise (memcmp; a prefix sorts first).
 */
int	 dmo_bookmark_compare(const char *a, size_t alen, const char *b,
	    size_t blen);

/*
 * The state file's absolute name: realpath(3) of its directory and its
 * last component, so that dmo-extract and dmo-load agree on it whatever
 * their spelling.  A new string, or NULL with err set (code
 * DMO_EXIT_USAGE: the directory does not exist).
 */
char	*dmo_state_path(const char *arg, struct dmo_err *);

/*
 * Save a checkpoint to its state file (cp->state), atomically and
 * durably (atomic.h: a temporary file, fsync, rename, fsync of the
 * directory).  0, or -1 with err set (code DMO_EXIT_IO).
 */
int	 dmo_state_save(const struct dmo_checkpoint *, struct dmo_err *);

/* The extracting side: what dmo-extract keeps for --since-field. */
struct dmo_bookmark {
	char			*field;
	size_t			 flen;
	char			*state;		/* absolute */
	struct dmo_buf		 from;		/* the saved bookmark */
	int			 have_from;
	int			 from_num;	/* from is a JSON number */
	struct dmo_buf		 max;		/* largest value sent */
	int			 have_max;
	int			 max_num;
	unsigned long long	 sent;		/* records sent this run */
	unsigned long long	 skipped;	/* before the bookmark */
	unsigned long long	 pending;	/* sent since the checkpoint */
	unsigned long long	 checkpoints;	/* checkpoint frames sent */
	unsigned long long	 every;		/* checkpoint every N records */
	double			 interval;	/* and every T seconds */
	struct timespec		 last;		/* of the last checkpoint */
	int			 disordered;	/* a value went down */
	int			 stopped;	/* no more checkpoints */
	unsigned long		 shape;		/* index cache: shape ... */
	long			 idx;		/* ... and the field's index */
	long			 cur;		/* its index in the record tested */
	struct dmo_buf		 payload;
};

/*
 * Read the state file (a missing one means no bookmark: the first run
 * sends everything).  0, or -1 with err set: code DMO_EXIT_USAGE for a
 * file that is not a state file or is about another field, with a
 * message naming the file; DMO_EXIT_IO when it cannot be read.
 */
int	 dmo_bookmark_open(struct dmo_bookmark *, const char *field,
	    const char *state_arg, struct dmo_err *);
void	 dmo_bookmark_release(struct dmo_bookmark *);

/*
 * Should this record be sent?  1 yes, 0 no (before the bookmark; it is
 * counted in skipped), -1 when the record cannot be placed (the field is
 * missing, null, a boolean, an array or an object): err says why, code
 * DMO_EXIT_DATA, and the caller rejects the record.
 */
int	 dmo_bookmark_test(struct dmo_bookmark *, const struct dmo_record *,
	    struct dmo_err *);

/*
 * The record that dmo_bookmark_test passed has been written.  Returns 1
 * the first time a value is lower than one sent before (the input is not
 * in order of the field: periodic checkpoints stop), with err holding a
 * warning; else 0.
 */
int	 dmo_bookmark_sent(struct dmo_bookmark *, const struct dmo_record *,
	    struct dmo_err *);

/* Is a periodic checkpoint due (every N records, or T seconds)? */
int	 dmo_bookmark_due(struct dmo_bookmark *, int waiting);

/*
 * The checkpoint frame for now: its payload is valid until the next
 * call.  The caller sends it (dmo_writer_control).
 */
const struct dmo_control *dmo_bookmark_checkpoint(struct dmo_bookmark *);

#endif
