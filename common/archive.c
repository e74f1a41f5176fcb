/* archive.c - read and write archives and compressed files (libarchive). */
/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * This is the only file that touches libarchive.  An archive is read as a
 * stream from a struct dmo_in: libarchive is handed the dmo_in's buffer
 * through a read callback, so bytes the caller peeked at to choose a
 * format are not lost.  When the dmo_in reads a regular file, a seek
 * callback is added too; libarchive needs it for 7z and for zip files
 * whose central directory disagrees with the local headers.
 *
 * Members are never written to disk: each one is a dmo_in whose read
 * function calls archive_read_data.  Absolute paths, ".." components and
 * links inside an archive are therefore harmless; they are only names.
 * Memory stays bounded whatever the compression ratio: a member is
 * decompressed block by block as the record reader asks for bytes, and a
 * line without an end stops at the reader's max_line.
 *
 * Errors.  dmo_archive_next returns -1 for a member that cannot be read
 * (an encrypted one) and for an archive that cannot be read further
 * (corrupt, truncated).  A caller may call it again after -1: it goes on
 * with the next member after a member error, and returns 0 after a fatal
 * one, so a loop that reports each error and goes on ends either way.
 */

#include <sys/stat.h>

/* The build uses -iquote common, so <archive.h> is libarchive's. */
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "archive.h"
#include "buf.h"
#include "exitcode.h"

struct dmo_archive {
	struct archive	*a;
	struct dmo_in	*in;		/* the archive's bytes (not ours) */
	char		*name;		/* the archive's name, for messages */
	char		*glob;		/* NULL: every member */
	off_t		 base;		/* file offset of the stream's start */
	int		 seekable;
	int		 started;	/* the first header was read */
	int		 raw;		/* a lone compressed file */
	int		 fatal;		/* no more reading: return 0 */
	int		 done;
	int		 member_done;	/* the current member's data ended */
	struct dmo_err	 ioerr;		/* the dmo_in's own read error */
	struct dmo_in	*member;	/* the current member */
	struct dmo_buf	 display;
	struct dmo_buf	 inner;
};

/*
 * libarchive converts names through the locale's character set, and the
 * programs run in the C locale, where a UTF-8 name cannot be converted:
 * a zip member flagged UTF-8 reads as "", and libarchive 3.6 crashes
 * (NULL in its error message) writing a first member whose name is not
 * ASCII.  Names are UTF-8 bytes to us: every libarchive call that may
 * convert one runs with a UTF-8 LC_CTYPE for this thread only.
 */
static locale_t
enter(void)
{
	static locale_t utf8;
	static int tried;

	if (!tried) {
		tried = 1;
		utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
		if (utf8 == (locale_t)0)
			utf8 = newlocale(LC_CTYPE_MASK, "en_US.UTF-8",
			    (locale_t)0);
	}
	return utf8 != (locale_t)0 ? uselocale(utf8) : (locale_t)0;
}

static void
leave(locale_t old)
{
	if (old != (locale_t)0)
		(void)uselocale(old);
}

/* Suffixes a lone compressed file's inner name loses ("x.csv.gz"). */
static const char *const suffixes[] = {
	".gz", ".bz2", ".xz", ".zst", ".lz4", ".Z", ".lz", ".lzma"
};

static int
has(const unsigned char *p, size_t n, size_t off, const void *magic,
    size_t len)
{
	return n >= off + len && memcmp(p + off, magic, len) == 0;
}

static int
all_in(const unsigned char *p, size_t len, const char *set)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] == '\0' || strchr(set, p[i]) == NULL)
			return 0;
	return 1;
}

/*
 * A .lzma ("lzma alone") file has no magic: accept the header that every
 * encoder writes by default (lc=3 lp=0 pb=2), a dictionary size of 2^n or
 * 2^n + 2^(n-1), and an uncompressed size that is unknown or sane.
 */
static int
sniff_lzma(const unsigned char *p, size_t n)
{
	uint32_t dict;
	int i;

	if (n < 13 || p[0] != 0x5d)
		return 0;
	dict = (uint32_t)p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16 |
	    (uint32_t)p[4] << 24;
	if (dict < 4096)
		return 0;
	while ((dict & 1) == 0)
		dict >>= 1;
	if (dict != 1 && dict != 3)
		return 0;
	for (i = 5; i < 13; i++)
		if (p[i] != 0xff)
			break;
	return i == 13 || p[12] == 0;
}

int
dmo_archive_sniff(const unsigned char *p, size_t n)
{
	if (p == NULL)
		return 0;
	/* Compression. */
	if (has(p, n, 0, "\x1f\x8b", 2))		/* gzip, deflate */
		return n < 3 || p[2] == 8;
	if (has(p, n, 0, "BZh", 3) && n >= 10 && p[3] >= '1' && p[3] <= '9' &&
	    (memcmp(p + 4, "\x31\x41\x59\x26\x53\x59", 6) == 0 ||
	    memcmp(p + 4, "\x17\x72\x45\x38\x50\x90", 6) == 0))
		return 1;
	if (has(p, n, 0, "\xfd" "7zXZ\0", 6))
		return 1;
	if (has(p, n, 0, "\x28\xb5\x2f\xfd", 4))	/* zstd */
		return 1;
	if (has(p, n, 0, "\x04\x22\x4d\x18", 4) ||	/* lz4 */
	    has(p, n, 0, "\x02\x21\x4c\x18", 4))	/* lz4, legacy */
		return 1;
	if (has(p, n, 0, "LZIP", 4) && n >= 5 && p[4] <= 1)
		return 1;
	if (has(p, n, 0, "\x1f\x9d", 2) && n >= 3 &&	/* compress (.Z) */
	    (p[2] & 0x60) == 0 && (p[2] & 0x1f) >= 9 && (p[2] & 0x1f) <= 16)
		return 1;
	if (sniff_lzma(p, n))
		return 1;
	/* Archives. */
	if (has(p, n, 0, "PK\3\4", 4) || has(p, n, 0, "PK\5\6", 4) ||
	    (has(p, n, 0, "PK\7\10", 4) && has(p, n, 4, "PK\3\4", 4)) ||
	    (has(p, n, 0, "PK00", 4) && has(p, n, 4, "PK\3\4", 4)))
		return 1;
	if (has(p, n, 0, "7z\xbc\xaf\x27\x1c", 6))
		return 1;
	if (has(p, n, 0, "Rar!\x1a\x07\x00", 7) ||
	    has(p, n, 0, "Rar!\x1a\x07\x01\x00", 8))
		return 1;
	if (has(p, n, 257, "ustar", 5))		/* POSIX and GNU tar */
		return 1;
	if (has(p, n, 0, "070707", 6) && n >= 76 &&	/* cpio odc */
	    all_in(p + 6, 70, "01234567"))
		return 1;
	if ((has(p, n, 0, "070701", 6) || has(p, n, 0, "070702", 6)) &&
	    n >= 110 && all_in(p + 6, 104, "0123456789abcdefABCDEF"))
		return 1;				/* cpio newc, crc */
	if ((has(p, n, 0, "\xc7\x71", 2) || has(p, n, 0, "\x71\xc7", 2)) &&
	    n >= 26)				/* cpio binary */
		return 1;
	if (has(p, n, 0, "!<arch>\n", 8))
		return 1;
	if (has(p, n, 0, "xar!\0\x1c\0\1", 8))
		return 1;
	if (has(p, n, 0, "MSCF\0\0\0\0", 8))	/* cab */
		return 1;
	if (has(p, n, 32769, "CD001", 5))	/* iso9660 */
		return 1;
	return 0;
}

/*
 * libarchive's messages start with a capital ("Truncated tar archive");
 * ours are lowercase.  Acronyms ("ZIP bad CRC") stay as they are.
 */
static void
set_error(struct dmo_archive *ar, struct dmo_err *err, const char *file,
    const char *fallback)
{
	struct dmo_loc loc = { file, 0, 0 };
	const char *s;
	char msg[sizeof(err->msg)];

	if (ar->ioerr.code != 0) {
		/* The dmo_in failed: its message says more than libarchive. */
		*err = ar->ioerr;
		return;
	}
	s = archive_error_string(ar->a);
	if (s == NULL || *s == '\0')
		s = fallback;
	snprintf(msg, sizeof(msg), "%s", s);
	if (isupper((unsigned char)msg[0]) && islower((unsigned char)msg[1]))
		msg[0] = (char)tolower((unsigned char)msg[0]);
	dmo_err_set(err, DMO_EXIT_IO, &loc, "%s", msg);
}

/* Hand libarchive the dmo_in's unread bytes, then refill. */
static la_ssize_t
arc_read(struct archive *a, void *cd, const void **bufp)
{
	struct dmo_archive *ar = cd;
	struct dmo_in *in = ar->in;
	ssize_t r;

	if (in->pos >= in->end) {
		r = dmo_in_fill(in, &ar->ioerr);
		if (r < 0) {
			if (ar->ioerr.code == 0)
				ar->ioerr.code = DMO_EXIT_IO;
			archive_set_error(a, EIO, "%s", ar->ioerr.msg);
			return ARCHIVE_FATAL;
		}
		if (r == 0 || in->pos >= in->end)
			return 0;
	}
	*bufp = in->buf + in->pos;
	r = (ssize_t)(in->end - in->pos);
	in->pos = in->end;
	return r;
}

/* Only for a regular file: position the fd and drop the buffered bytes. */
static la_int64_t
arc_seek(struct archive *a, void *cd, la_int64_t off, int whence)
{
	struct dmo_archive *ar = cd;
	struct dmo_in *in = ar->in;
	off_t cur, t;

	switch (whence) {
	case SEEK_SET:
		t = ar->base + (off_t)off;
		break;
	case SEEK_CUR:
		if ((cur = lseek(in->fd, 0, SEEK_CUR)) < 0)
			goto fail;
		t = cur - (off_t)(in->end - in->pos) + (off_t)off;
		break;
	case SEEK_END:
		if ((t = lseek(in->fd, (off_t)off, SEEK_END)) < 0)
			goto fail;
		break;
	default:
		archive_set_error(a, EINVAL, "bad seek");
		return ARCHIVE_FATAL;
	}
	if (t < ar->base) {
		archive_set_error(a, EINVAL, "seek before the start");
		return ARCHIVE_FATAL;
	}
	if ((t = lseek(in->fd, t, SEEK_SET)) < 0)
		goto fail;
	in->pos = in->end = 0;
	in->eof = 0;
	return t - ar->base;
fail:
	archive_set_error(a, errno, "%s", strerror(errno));
	return ARCHIVE_FATAL;
}

/* Only for a regular file: skip without reading, up to its end. */
static la_int64_t
arc_skip(struct archive *a, void *cd, la_int64_t request)
{
	struct dmo_archive *ar = cd;
	struct dmo_in *in = ar->in;
	struct stat st;
	off_t cur, left;
	la_int64_t done = 0;
	size_t k;

	(void)a;
	if (request <= 0)
		return 0;
	k = in->end - in->pos;
	if (k > 0) {
		if ((la_int64_t)k > request)
			k = (size_t)request;
		in->pos += k;
		done = (la_int64_t)k;
		if (done == request)
			return done;
	}
	if (fstat(in->fd, &st) < 0 || (cur = lseek(in->fd, 0, SEEK_CUR)) < 0)
		return done;
	left = st.st_size > cur ? st.st_size - cur : 0;
	if (left > request - done)
		left = (off_t)(request - done);
	if (left <= 0 || lseek(in->fd, left, SEEK_CUR) < 0)
		return done;
	in->pos = in->end = 0;
	return done + left;
}

struct dmo_archive *
dmo_archive_open(struct dmo_in *in, const char *name, const char *glob,
    struct dmo_err *err)
{
	struct dmo_archive *ar;
	struct stat st;
	locale_t old;
	off_t cur;
	int rc;

	ar = dmo_xcalloc(1, sizeof(*ar));
	ar->in = in;
	ar->name = dmo_xstrdup(name != NULL ? name : in->name != NULL ?
	    in->name : "<stdin>");
	ar->glob = glob != NULL ? dmo_xstrdup(glob) : NULL;
	dmo_err_clear(&ar->ioerr);
	if ((ar->a = archive_read_new()) == NULL) {
		struct dmo_loc loc = { name, 0, 0 };

		dmo_err_set(err, DMO_EXIT_IO, &loc, "out of memory");
		goto fail;
	}
	/*
	 * Filters that libarchive runs in-process only: lrzip, lzop and
	 * grzip would start an external program, uu and rpm are no use here.
	 */
	archive_read_support_filter_bzip2(ar->a);
	archive_read_support_filter_compress(ar->a);
	archive_read_support_filter_gzip(ar->a);
	archive_read_support_filter_lz4(ar->a);
	archive_read_support_filter_lzip(ar->a);
	archive_read_support_filter_lzma(ar->a);
	archive_read_support_filter_xz(ar->a);
	archive_read_support_filter_zstd(ar->a);
	/*
	 * Not archive_read_support_format_all: mtree takes lines of text for
	 * file names ("a,b\n1,2\n" is an mtree spec of two files), warc is
	 * text too, and lha looks for its magic at an offset that text can
	 * match.  A compressed CSV must stay one member.  The order is
	 * format_all's: with iso9660 before tar, a tar cut inside a header
	 * ends quietly instead of "truncated tar archive".
	 */
	archive_read_support_format_ar(ar->a);
	archive_read_support_format_cpio(ar->a);
	archive_read_support_format_empty(ar->a);
	archive_read_support_format_tar(ar->a);
	archive_read_support_format_xar(ar->a);
	archive_read_support_format_7zip(ar->a);
	archive_read_support_format_cab(ar->a);
	archive_read_support_format_rar(ar->a);
	archive_read_support_format_rar5(ar->a);
	archive_read_support_format_iso9660(ar->a);
	archive_read_support_format_zip(ar->a);
	/* Every other format outbids raw: a .tar.gz is a tar. */
	archive_read_support_format_raw(ar->a);

	if (in->fd >= 0 && !in->follow && in->readfn == NULL &&
	    fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (cur = lseek(in->fd, 0, SEEK_CUR)) >= 0 &&
	    cur >= (off_t)(in->end - in->pos)) {
		ar->seekable = 1;
		ar->base = cur - (off_t)(in->end - in->pos);
		archive_read_set_seek_callback(ar->a, arc_seek);
		archive_read_set_skip_callback(ar->a, arc_skip);
	}
	archive_read_set_read_callback(ar->a, arc_read);
	archive_read_set_callback_data(ar->a, ar);
	old = enter();
	rc = archive_read_open1(ar->a);
	leave(old);
	if (rc != ARCHIVE_OK) {
		/* The caller's name: ours is freed below. */
		set_error(ar, err, name, "cannot open archive");
		goto fail;
	}
	return ar;
fail:
	dmo_archive_free(ar);
	return NULL;
}

static ssize_t
member_read(void *ctx, char *buf, size_t n, struct dmo_err *err)
{
	struct dmo_archive *ar = ctx;
	la_ssize_t r;

	if (ar->member_done || ar->fatal)
		return 0;
	r = archive_read_data(ar->a, buf, n);
	if (r == 0)
		ar->member_done = 1;
	if (r >= 0)
		return (ssize_t)r;
	if (r == ARCHIVE_FATAL)
		ar->fatal = 1;
	ar->member_done = 1;
	set_error(ar, err, ar->raw ? ar->name : ar->display.p,
	    "cannot read member");
	return -1;
}

/* A member name for a one-line message: no control bytes. */
static const char *
printable(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ?
		    '?' : s[i];
	buf[i] = '\0';
	return buf;
}

static const char *
entry_path(struct archive_entry *e)
{
	const char *p;

	/* UTF-8 where the archive says what the names are (zip, pax). */
	if ((p = archive_entry_pathname_utf8(e)) == NULL &&
	    (p = archive_entry_pathname(e)) == NULL)
		p = "";
	return p;
}

static void
set_raw_names(struct dmo_archive *ar)
{
	size_t i, len, slen;

	dmo_buf_adds(&ar->display, ar->name);
	len = strlen(ar->name);
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		slen = strlen(suffixes[i]);
		if (len > slen &&
		    strcasecmp(ar->name + len - slen, suffixes[i]) == 0) {
			len -= slen;
			break;
		}
	}
	dmo_buf_add(&ar->inner, ar->name, len);
}

int
dmo_archive_next(struct dmo_archive *ar, struct dmo_in **member,
    const char **display, const char **inner,
    void (*warn)(const struct dmo_err *), struct dmo_err *err)
{
	struct archive_entry *e;
	struct dmo_loc loc = { ar->name, 0, 0 };
	struct dmo_err w;
	const char *path, *s;
	char pbuf[256];
	locale_t old;
	int r;

	if (ar->member != NULL) {
		dmo_in_free(ar->member);
		ar->member = NULL;
	}
	ar->display.len = ar->inner.len = 0;
	if (ar->fatal || ar->done)
		return 0;
	for (;;) {
		old = enter();
		r = archive_read_next_header(ar->a, &e);
		leave(old);
		if (r == ARCHIVE_EOF) {
			ar->done = 1;
			return 0;
		}
		if (r == ARCHIVE_WARN) {
			/*
			 * Names we take as UTF-8 ourselves need no conversion
			 * to the locale: that warning is noise.
			 */
			s = archive_error_string(ar->a);
			if (warn != NULL && s != NULL &&
			    strstr(s, "be converted") == NULL) {
				set_error(ar, &w, ar->name, "warning");
				w.code = DMO_EXIT_OK;
				warn(&w);
			}
		} else if (r != ARCHIVE_OK) {
			if (r == ARCHIVE_FATAL)
				ar->fatal = 1;
			set_error(ar, err, ar->name, "cannot read archive");
			return -1;
		}
		if (!ar->started) {
			ar->started = 1;
			ar->raw = archive_format(ar->a) == ARCHIVE_FORMAT_RAW;
		}
		old = enter();
		path = entry_path(e);
		leave(old);
		if (archive_entry_filetype(e) == AE_IFDIR)
			continue;
		/* A lone compressed file is its only member: no glob. */
		if (!ar->raw && ar->glob != NULL &&
		    fnmatch(ar->glob, path, 0) != 0)
			continue;
		if (archive_entry_filetype(e) != AE_IFREG ||
		    archive_entry_hardlink(e) != NULL) {
			if (warn != NULL) {
				dmo_err_set(&w, DMO_EXIT_OK, &loc,
				    "member '%s': not a regular file, skipped",
				    printable(path, pbuf, sizeof(pbuf)));
				warn(&w);
			}
			continue;
		}
		if (archive_entry_is_data_encrypted(e) ||
		    archive_entry_is_metadata_encrypted(e)) {
			dmo_err_set(err, DMO_EXIT_IO, &loc,
			    "member '%s': encrypted, skipped",
			    printable(path, pbuf, sizeof(pbuf)));
			return -1;
		}
		break;
	}
	if (ar->raw)
		set_raw_names(ar);
	else {
		dmo_buf_adds(&ar->display, ar->name);
		dmo_buf_addc(&ar->display, '/');
		dmo_buf_adds(&ar->display, path);
		dmo_buf_adds(&ar->inner, path);
	}
	dmo_buf_cstr(&ar->display);
	dmo_buf_cstr(&ar->inner);
	ar->member_done = 0;
	dmo_err_clear(&ar->ioerr);
	ar->member = dmo_in_from_fn(member_read, ar, ar->display.p);
	ar->member->max_line = ar->in->max_line;
	ar->member->warn = ar->in->warn;
	*member = ar->member;
	*display = ar->display.p;
	*inner = ar->inner.p;
	return 1;
}

void
dmo_archive_free(struct dmo_archive *ar)
{
	if (ar == NULL)
		return;
	if (ar->member != NULL)
		dmo_in_free(ar->member);
	if (ar->a != NULL)
		archive_read_free(ar->a);
	dmo_buf_release(&ar->display);
	dmo_buf_release(&ar->inner);
	free(ar->glob);
	free(ar->name);
	free(ar);
}

/*
 * Writing.  libarchive writes into a dmo_out (the temporary file of an
 * atomic replace), so a write error keeps the dmo_out's message ("write
 * error: No space left on device") and the caller decides what stays.
 * A member is copied from a file descriptor whose size is known: tar
 * needs the size in the member's header before its data, so the caller
 * spools each member to a temporary file first (partition.c).
 */

static const struct {
	const char		*word;		/* the target prefix */
	const char		*suffix;	/* the file name's end */
	enum dmo_archive_type	 type;
} archive_types[] = {
	{ "tar",	".tar",		DMO_ARCHIVE_TAR },
	{ "tar.gz",	".tar.gz",	DMO_ARCHIVE_TAR_GZ },
	{ "tgz",	".tgz",		DMO_ARCHIVE_TAR_GZ },
	{ "tar.xz",	".tar.xz",	DMO_ARCHIVE_TAR_XZ },
	{ "txz",	".txz",		DMO_ARCHIVE_TAR_XZ },
	{ "tar.zst",	".tar.zst",	DMO_ARCHIVE_TAR_ZST },
	{ "tzst",	".tzst",	DMO_ARCHIVE_TAR_ZST },
	{ "zip",	".zip",		DMO_ARCHIVE_ZIP },
};
#define NTYPES	(sizeof(archive_types) / sizeof(archive_types[0]))

int
dmo_archive_type_parse(const char *word, size_t len)
{
	size_t i;

	for (i = 0; i < NTYPES; i++)
		if (strlen(archive_types[i].word) == len &&
		    strncasecmp(word, archive_types[i].word, len) == 0)
			return (int)archive_types[i].type;
	return -1;
}

int
dmo_archive_type_by_name(const char *path)
{
	size_t i, n = strlen(path), sl;

	for (i = 0; i < NTYPES; i++) {
		sl = strlen(archive_types[i].suffix);
		if (n > sl && strcasecmp(path + n - sl,
		    archive_types[i].suffix) == 0 && path[n - sl - 1] != '/')
			return (int)archive_types[i].type;
	}
	return -1;
}

const char *
dmo_archive_type_name(enum dmo_archive_type t)
{
	size_t i;

	for (i = 0; i < NTYPES; i++)
		if (archive_types[i].type == t)
			return archive_types[i].word;
	return "?";
}

struct dmo_archive_writer {
	struct archive		*a;
	struct dmo_out		*out;		/* not ours */
	char			*name;		/* for messages */
	int			 closed;
	char			 buf[64 * 1024];
};

static la_ssize_t
arc_write(struct archive *a, void *cd, const void *p, size_t n)
{
	struct dmo_archive_writer *w = cd;

	dmo_out_write(w->out, p, n);
	if (w->out->error != 0) {
		archive_set_error(a, w->out->error, "write error: %s",
		    strerror(w->out->error));
		return -1;
	}
	return (la_ssize_t)n;
}

/* The dmo_out's own error says more than libarchive's copy of it. */
static void
set_write_error(struct dmo_archive_writer *w, struct dmo_err *err,
    const char *member, const char *fallback)
{
	struct dmo_loc loc = { w->name, 0, 0 };
	const char *s;
	char msg[sizeof(err->msg)];

	if (w->out->error != 0) {
		errno = w->out->error;
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "write error");
		return;
	}
	s = archive_error_string(w->a);
	if (s == NULL || *s == '\0')
		s = fallback;
	snprintf(msg, sizeof(msg), "%s", s);
	if (isupper((unsigned char)msg[0]) && islower((unsigned char)msg[1]))
		msg[0] = (char)tolower((unsigned char)msg[0]);
	if (member != NULL)
		dmo_err_set(err, DMO_EXIT_IO, &loc, "member '%s': %s", member,
		    msg);
	else
		dmo_err_set(err, DMO_EXIT_IO, &loc, "%s", msg);
}

struct dmo_archive_writer *
dmo_archive_writer_new(struct dmo_out *out, enum dmo_archive_type type,
    const char *name, struct dmo_err *err)
{
	struct dmo_archive_writer *w = dmo_xcalloc(1, sizeof(*w));
	struct dmo_loc loc = { name, 0, 0 };
	int rc = ARCHIVE_OK;
	locale_t old;

	w->out = out;
	w->name = dmo_xstrdup(name);
	old = enter();
	if ((w->a = archive_write_new()) == NULL) {
		dmo_err_set(err, DMO_EXIT_IO, &loc, "out of memory");
		goto fail;
	}
	if (type == DMO_ARCHIVE_ZIP) {
		rc = archive_write_set_format_zip(w->a);
		/* Names are UTF-8 whatever the locale, and say so. */
		if (rc == ARCHIVE_OK)
			rc = archive_write_set_format_option(w->a, "zip",
			    "hdrcharset", "UTF-8");
	} else {
		/* ustar where it can, pax headers for long or UTF-8 names. */
		rc = archive_write_set_format_pax_restricted(w->a);
		if (rc == ARCHIVE_OK)
			rc = archive_write_set_format_option(w->a, "pax",
			    "hdrcharset", "UTF-8");
	}
	/*
	 * Only filters libarchive runs in-process: ARCHIVE_WARN means it
	 * would start an external program, which we do not want.
	 */
	if (rc == ARCHIVE_OK) {
		switch (type) {
		case DMO_ARCHIVE_TAR:
		case DMO_ARCHIVE_ZIP:
			rc = archive_write_add_filter_none(w->a);
			break;
		case DMO_ARCHIVE_TAR_GZ:
			rc = archive_write_add_filter_gzip(w->a);
			/*
			 * No time in the gzip header (gzip -n): the members
			 * carry theirs, and the same input gives the same
			 * bytes.
			 */
			if (rc == ARCHIVE_OK)
				(void)archive_write_set_filter_option(w->a,
				    "gzip", "timestamp", NULL);
			break;
		case DMO_ARCHIVE_TAR_XZ:
			rc = archive_write_add_filter_xz(w->a);
			break;
		case DMO_ARCHIVE_TAR_ZST:
			rc = archive_write_add_filter_zstd(w->a);
			break;
		}
	}
	if (rc != ARCHIVE_OK) {
		dmo_err_set(err, DMO_EXIT_USAGE, &loc, "cannot write %s "
		    "archives: not supported by this libarchive",
		    dmo_archive_type_name(type));
		goto fail;
	}
	/* A compressed stream or a zip needs no padding to tar's blocks. */
	if (type != DMO_ARCHIVE_TAR)
		archive_write_set_bytes_in_last_block(w->a, 1);
	if (archive_write_open(w->a, w, NULL, arc_write, NULL) !=
	    ARCHIVE_OK) {
		set_write_error(w, err, NULL, "cannot start the archive");
		goto fail;
	}
	leave(old);
	return w;
fail:
	leave(old);
	dmo_archive_writer_free(w);
	return NULL;
}

int
dmo_archive_writer_add(struct dmo_archive_writer *w, const char *member,
    int fd, long long mtime, struct dmo_err *err)
{
	struct archive_entry *e;
	struct dmo_loc loc = { w->name, 0, 0 };
	struct stat st;
	off_t off = 0;
	ssize_t n;
	mode_t mask;
	locale_t old;
	int rc = -1;

	if (fstat(fd, &st) != 0) {
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "member '%s'", member);
		return -1;
	}
	mask = umask(0);
	(void)umask(mask);
	if ((e = archive_entry_new()) == NULL) {
		dmo_err_set(err, DMO_EXIT_IO, &loc, "out of memory");
		return -1;
	}
	/*
	 * As bytes: libarchive keeps them when they are not UTF-8 (pax
	 * hdrcharset=BINARY) instead of losing the name.
	 */
	old = enter();
	archive_entry_copy_pathname(e, member);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0666 & ~mask);
	archive_entry_set_size(e, (la_int64_t)st.st_size);
	archive_entry_set_mtime(e, (time_t)mtime, 0);
	archive_entry_set_uid(e, geteuid());
	archive_entry_set_gid(e, getegid());
	if (archive_write_header(w->a, e) < ARCHIVE_WARN) {
		set_write_error(w, err, member, "cannot write a header");
		goto out;
	}
	while (off < st.st_size) {
		size_t want = sizeof(w->buf);

		if ((off_t)want > st.st_size - off)
			want = (size_t)(st.st_size - off);
		n = pread(fd, w->buf, want, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;	/* the spool file shrank */
			dmo_err_sys(err, DMO_EXIT_IO, &loc, "member '%s': "
			    "cannot read the spooled data", member);
			goto out;
		}
		if (archive_write_data(w->a, w->buf, (size_t)n) != n) {
			set_write_error(w, err, member, "cannot write data");
			goto out;
		}
		off += n;
	}
	if (archive_write_finish_entry(w->a) < ARCHIVE_WARN) {
		set_write_error(w, err, member, "cannot write data");
		goto out;
	}
	rc = 0;
out:
	leave(old);
	archive_entry_free(e);
	return rc;
}

int
dmo_archive_writer_close(struct dmo_archive_writer *w, struct dmo_err *err)
{
	locale_t old = enter();
	int rc;

	w->closed = 1;
	rc = archive_write_close(w->a);
	leave(old);
	if (rc != ARCHIVE_OK) {
		set_write_error(w, err, NULL, "cannot finish the archive");
		return -1;
	}
	if (w->out->error != 0) {
		set_write_error(w, err, NULL, "write error");
		return -1;
	}
	return 0;
}

void
dmo_archive_writer_free(struct dmo_archive_writer *w)
{
	if (w == NULL)
		return;
	if (w->a != NULL) {
		locale_t old = enter();

		/*
		 * Not closed: the output is being thrown away.  Closing
		 * writes an end into it that nobody will see, and frees
		 * what archive_write_fail would leak.
		 */
		if (!w->closed)
			(void)archive_write_close(w->a);
		archive_write_free(w->a);
		leave(old);
	}
	free(w->name);
	free(w);
}
