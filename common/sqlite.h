/* sqlite.h - load records into a SQLite table (the one file using SQLite). */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_SQLITE_H
#define DMO_SQLITE_H

#include <stddef.h>

#include "err.h"
#include "record.h"

/*
 * A load into one table of one database file.  The table is created from
 * the first record when it is missing (columns in the record's field
 * order, types from its values) and grows a column for each new field
 * (ALTER TABLE ADD COLUMN).  Values are stored exactly or not at all:
 * a value the column would change (a number that does not fit a REAL
 * column, "007" in an INTEGER column) rejects the record.  See
 * dmo-load(1), section SQLITE, for the rules.
 *
 * Everything written goes into a transaction that starts with the first
 * record (or with dmo_sqlite_commit when there was none) and ends with
 * dmo_sqlite_commit or dmo_sqlite_rollback; dmo_sqlite_close rolls back
 * what was not committed.  Errors carry the database path as loc.file and
 * a message that starts with "table 'name': ".
 */
enum dmo_sqlite_mode {
	DMO_SQLITE_APPEND = 0,	/* INSERT */
	DMO_SQLITE_REPLACE,	/* DELETE every row first, same transaction */
	DMO_SQLITE_UPSERT	/* INSERT ... ON CONFLICT (keys) DO UPDATE */
};

struct dmo_sqlite_opts {
	const char		*path;		/* the database file */
	const char		*table;
	enum dmo_sqlite_mode	 mode;
	const char *const	*keys;		/* upsert: key field names */
	size_t			 nkeys;
	int			 busy_ms;	/* lock wait; 0: 5000 */
	/* Schema changes ("created table", "added column"), or NULL. */
	void			(*notice)(void *ctx, const char *msg);
	void			*ctx;
};

struct dmo_sqlite;

/*
 * Open (or create) the database; the strings in opts are copied.  Returns
 * NULL with err set (code DMO_EXIT_IO) when it cannot be opened or is not
 * a database.
 */
struct dmo_sqlite *dmo_sqlite_open(const struct dmo_sqlite_opts *,
	    struct dmo_err *);

/*
 * Insert one record.  Returns 0; -1 when the record is rejected (err code
 * DMO_EXIT_DATA, err->loc the record's; nothing was stored); -2 when the
 * database failed (code DMO_EXIT_IO): roll back and stop.
 */
int	 dmo_sqlite_write(struct dmo_sqlite *, const struct dmo_record *,
	    struct dmo_err *);

/* Commit what was written since the last commit.  0, or -2 (err set). */
int	 dmo_sqlite_commit(struct dmo_sqlite *, struct dmo_err *);

/* Undo what was written since the last commit.  0, or -2 (err set). */
int	 dmo_sqlite_rollback(struct dmo_sqlite *, struct dmo_err *);

/* Records written since the last commit, and committed so far. */
unsigned long long dmo_sqlite_pending(const struct dmo_sqlite *);
unsigned long long dmo_sqlite_committed(const struct dmo_sqlite *);

/* Roll back anything not committed, close, free.  NULL is a no-op. */
void	 dmo_sqlite_close(struct dmo_sqlite *);

#endif
