/* archive.h - read and write archives and compressed files (libarchive). */
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

/*
 * Writing archives.  The types dmo-load writes, with the word of a target
 * prefix ("tar.gz:out") and the end of a file name (".tar.gz") for each.
 */
enum dmo_archive_type {
	DMO_ARCHIVE_TAR,
	DMO_ARCHIVE_TAR_GZ,
	DMO_ARCHIVE_TAR_XZ,
	DMO_ARCHIVE_TAR_ZST,
	DMO_ARCHIVE_ZIP
};

/* "tar", "tar.gz", "tgz", "tar.xz", "txz", "tar.zst", "tzst", "zip"; -1. */
int	 dmo_archive_type_parse(const char *word, size_t len);
/* The type a file name ends with (".tar.gz", ".tgz", ".zip"), or -1. */
int	 dmo_archive_type_by_name(const char *path);
const char *dmo_archive_type_name(enum dmo_archive_type);

struct dmo_archive_writer;

/*
 * Start an archive written to out (not freed; name is for messages).
 * tar types are POSIX pax (plain ustar when the names allow), zip is
 * deflated; member names are UTF-8.  NULL with err set: code
 * DMO_EXIT_USAGE when this libarchive cannot write the type.
 */
struct dmo_archive_writer *dmo_archive_writer_new(struct dmo_out *out,
	    enum dmo_archive_type, const char *name, struct dmo_err *);
/*
 * Add a regular file named member holding the bytes of fd, a regular
 * file, from offset 0 to its end (its size goes in the header first).
 * Mode 0666 & ~umask, the process's uid and gid, mtime as given.
 * 0, or -1 with err set (code DMO_EXIT_IO); the archive is then unusable.
 */
int	 dmo_archive_writer_add(struct dmo_archive_writer *,
	    const char *member, int fd, long long mtime, struct dmo_err *);
/* Write the archive's end (the caller then commits out).  0 or -1. */
int	 dmo_archive_writer_close(struct dmo_archive_writer *,
	    struct dmo_err *);
/* Free; without a close, nothing more is written to out. */
void	 dmo_archive_writer_free(struct dmo_archive_writer *);

#endif
