/* partition.h - Hive-style partitioned files, and archive members. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_PARTITION_H
#define DMO_PARTITION_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "format.h"
#include "record.h"

/*
 * A dmo_partition writes records into many files at once: the part files
 * of Hive-style partitions in a directory (DIR/dt=2024-01-01/part-00000.csv),
 * or the members of an archive, one per partition or one per input file.
 *
 * Nothing is visible until dmo_partition_commit.  In a directory, part
 * files are written under a hidden staging directory DIR/.dmo-run-XXXXXX
 * (locked with flock(2) while the run lives) and moved into place at the
 * commit: in replace mode each partition directory the run wrote is
 * switched whole (renameat2 RENAME_EXCHANGE where the file system has it),
 * in append mode the part files are renamed after the highest part number
 * already there, never over a file.  A staging directory left by a killed
 * run is removed by the next run into the same directory.  An archive is
 * written to a temporary file and renamed over its path (atomic.h); each
 * member is spooled to an unlinked temporary file next to it first,
 * because a tar header carries the member's size.
 *
 * At most max_open part files are open: past it, the least recently
 * written one is closed (finished and moved to the staging directory, or
 * copied into the archive), and a later record of its partition opens the
 * next part file.
 */

/* The directory name of a null or empty value (Hive's). */
#define DMO_PARTITION_DEFAULT	"__HIVE_DEFAULT_PARTITION__"
/* The longest directory name; longer ones reject the record. */
#define DMO_PARTITION_NAME_MAX	255

struct dmo_partition_opts {
	const char		*path;		/* the directory or archive */
	int			 archive;	/* enum dmo_archive_type, or -1 */
	struct dmo_write_opts	 wopts;		/* the part files' format */
	const char *const	*fields;	/* partition by these */
	size_t			 nfields;	/* 0: one member per input */
	int			 keep_fields;	/* keep them in the rows */
	size_t			 max_open;	/* part files open at once */
	int			 append;	/* directory: add part files */
	long long		 mtime;		/* archive members' time */
};

struct dmo_partition;

/* NULL with err set (code DMO_EXIT_IO, or DMO_EXIT_USAGE). */
struct dmo_partition *dmo_partition_open(const struct dmo_partition_opts *,
	    struct dmo_err *);

/*
 * Without fields: the records that follow go to a new archive member
 * named after input ("data/sales.csv.gz" -> "data/sales.ndjson"; no
 * leading "/", no "." or ".." components; "-" -> "data.ndjson"; a name
 * already used gets "-2", "-3" before its extension).  The previous
 * member is finished and added.  0, or -1 with err set (DMO_EXIT_IO).
 */
int	 dmo_partition_member(struct dmo_partition *, const char *input,
	    struct dmo_err *);

/*
 * Write one record to its partition.  0; -1 when the record cannot go
 * to a partition or be written in the format (err says why, code
 * DMO_EXIT_DATA: reject it); -2 on a write error (DMO_EXIT_IO).
 */
int	 dmo_partition_write(struct dmo_partition *, const struct dmo_record *,
	    struct dmo_err *);

/*
 * Make everything written visible (see above).  0, or -1 with err set;
 * dmo_partition_abort then removes what is left.
 */
int	 dmo_partition_commit(struct dmo_partition *, struct dmo_err *);
/* Throw away everything not committed. */
void	 dmo_partition_abort(struct dmo_partition *);
void	 dmo_partition_free(struct dmo_partition *);

/* Committed: part files or members, and the records in them. */
unsigned long long dmo_partition_files(const struct dmo_partition *);
unsigned long long dmo_partition_records(const struct dmo_partition *);
/*
 * Partitions (directories) made visible, even by a commit that failed
 * part-way (each partition is switched whole), and bytes written.
 */
unsigned long long dmo_partition_count(const struct dmo_partition *);
unsigned long long dmo_partition_bytes(const struct dmo_partition *);

/*
 * Append the directory name of one partition value to b, as Hive
 * escapes it: control bytes, DEL, and " # % ' * / : = ? \ { [ ] ^ become
 * %XX (uppercase hex); other bytes, UTF-8 too, stay.  A null value, an
 * empty string and a missing field (v NULL) give DMO_PARTITION_DEFAULT;
 * true and false their names; a number its lexeme.
 */
void	 dmo_partition_escape(struct dmo_buf *b, enum dmo_type,
	    const char *v, size_t len);

#endif
