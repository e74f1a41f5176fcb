/* archive.h - compressed files and archives as record sources (libarchive). */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_ARCHIVE_H
#define DMO_ARCHIVE_H

#include <stddef.h>

#include "err.h"
#include "io.h"

/*
 * Does a stream that starts with these bytes need libarchive: gzip,
 * bzip2, xz, zstd, lz4, lzip, compress, zip, 7z, rar, tar, cpio, ar, iso?
 * n may be short (a tiny file); 1 yes, 0 no.
 */
int	 dmo_archive_sniff(const unsigned char *p, size_t n);

struct dmo_archive;

/*
 * Read an archive or compressed file from in (which is not freed).  Only
 * members whose names match glob (fnmatch, NULL: all) are returned.
 */
struct dmo_archive *dmo_archive_open(struct dmo_in *in, const char *name,
	    const char *glob, struct dmo_err *);

/*
 * The next member, as a dmo_in reading its (decompressed) bytes, valid
 * until the next call.  *display is the name for messages and the source
 * field ("data.zip/2024/sales.csv"; for a lone compressed file, the
 * file's own name); *inner is the member's name, used to choose a format
 * by extension ("2024/sales.csv"; for "x.csv.gz", "x.csv").  Members that
 * are not regular files (directories, links, devices) are skipped; a
 * skipped member that matched the glob is reported through warn.
 * Returns 1, 0 at the end, -1 on error (err set, code DMO_EXIT_IO for a
 * corrupt or truncated archive).
 */
int	 dmo_archive_next(struct dmo_archive *, struct dmo_in **member,
	    const char **display, const char **inner,
	    void (*warn)(const struct dmo_err *), struct dmo_err *);
void	 dmo_archive_free(struct dmo_archive *);

#endif
