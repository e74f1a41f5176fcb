/* pg.h - PostgreSQL as a source and a target (the one file using libpq). */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_PG_H
#define DMO_PG_H

#include <stddef.h>

#include "err.h"
#include "record.h"

/*
 * Operands are libpq URIs, postgres://... or postgresql://..., with an
 * optional fragment naming a table: "#table" or "#schema.table" (split
 * at the first dot; quote nothing, names are taken as written).  A URI
 * that holds a password (user:secret@ or ?password=) is refused: a
 * password on the command line is visible to every user of the machine
 * (ps), so it must come from PGPASSFILE, ~/.pgpass or PGPASSWORD, which
 * libpq reads itself.
 */

/* Is s a PostgreSQL URI operand?  1 yes, 0 no. */
int	 dmo_pg_is_uri(const char *s);

/*
 * Split an operand into the URI for libpq and the table (each NULL when
 * absent; the caller frees all three).  Returns 0, or -1 with err set
 * (code DMO_EXIT_USAGE): a password in the URI, a URI libpq cannot
 * parse, an empty table name.
 */
int	 dmo_pg_split(const char *operand, char **uri, char **schema,
	    char **table, struct dmo_err *);

/*
 * A load into one table.  The table is created from the first record
 * when it is missing (types from its values, see dmo-load(1)) and grows
 * a column for each new field.  Rows go through COPY FROM STDIN; in
 * upsert mode into a temporary staging table first, merged with INSERT
 * ... ON CONFLICT (keys) DO UPDATE when a batch is committed.  Everything
 * written goes into one transaction, started by the first record and
 * ended by dmo_pg_commit or dmo_pg_rollback; dmo_pg_close (or the
 * connection dropping, e.g. a kill) rolls back what was not committed.
 */
enum dmo_pg_mode {
	DMO_PG_APPEND = 0,
	DMO_PG_REPLACE,		/* DELETE every row first, same transaction */
	DMO_PG_UPSERT
};

struct dmo_pg_opts {
	const char		*operand;	/* for messages: loc.file */
	const char		*uri;
	const char		*schema;	/* or NULL: the search path */
	const char		*table;
	enum dmo_pg_mode	 mode;
	const char *const	*keys;
	size_t			 nkeys;
	void			(*notice)(void *ctx, const char *msg);
	void			*ctx;
};

struct dmo_pg;

/*
 * Connect.  Returns NULL with err set: DMO_EXIT_IO when the server cannot
 * be reached or refuses (the server's message), DMO_EXIT_CRYPTO when
 * authentication fails.
 */
struct dmo_pg *dmo_pg_open(const struct dmo_pg_opts *, struct dmo_err *);

/*
 * Queue one record.  Returns 0; -1 when the record is rejected (code
 * DMO_EXIT_DATA; nothing queued); -2 when the server failed (code
 * DMO_EXIT_IO): roll back and stop.  The server checks rows at commit
 * at the latest, so a row it refuses fails dmo_pg_commit, and the
 * message names the record's source line.
 */
int	 dmo_pg_write(struct dmo_pg *, const struct dmo_record *,
	    struct dmo_err *);
int	 dmo_pg_commit(struct dmo_pg *, struct dmo_err *);
int	 dmo_pg_rollback(struct dmo_pg *, struct dmo_err *);
unsigned long long dmo_pg_pending(const struct dmo_pg *);
unsigned long long dmo_pg_committed(const struct dmo_pg *);
void	 dmo_pg_close(struct dmo_pg *);

#endif
