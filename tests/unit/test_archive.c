/* test_archive.c - archives and compressed files (archive.c), follow mode. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "buf.h"
#include "err.h"
#include "exitcode.h"
#include "io.h"

#include "testhelp.h"

/*
 * The archives are made with tar, gzip, zip and friends in a temporary
 * directory (system(3)); a check whose tool is missing is reported as
 * skipped.
 */

/* Run a shell command in tmpdir; 0 on success. */
static int
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	struct dmo_buf cmd = DMO_BUF_INIT;
	char part[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(part, sizeof(part), fmt, ap);
	va_end(ap);
	dmo_buf_printf(&cmd, "cd '%s' && { %s; } >/dev/null 2>&1", th_dir,
	    part);
	rc = system(dmo_buf_cstr(&cmd));
	dmo_buf_release(&cmd);
	return rc;
}

static int
have(const char *tool)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* --- sniffing ----------------------------------------------------------- */

struct magic {
	const char	*name;
	const char	*bytes;
	size_t		 len;
};

static void
test_sniff(void)
{
	static const struct magic yes[] = {
		{ "gzip", "\x1f\x8b\x08\0\0\0\0\0\0\3", 10 },
		{ "bzip2", "BZh91AY&SY", 10 },
		{ "bzip2, empty", "BZh9\x17\x72\x45\x38\x50\x90", 10 },
		{ "xz", "\xfd" "7zXZ\0\0\4", 8 },
		{ "lzma", "\x5d\0\0\x80\0\xff\xff\xff\xff\xff\xff\xff\xff",
		    13 },
		{ "lzma, known size", "\x5d\0\0\x10\0\x05\0\0\0\0\0\0\0", 13 },
		{ "zstd", "\x28\xb5\x2f\xfd\x24\x04", 6 },
		{ "lz4", "\x04\x22\x4d\x18\x64\x40", 6 },
		{ "lz4 legacy", "\x02\x21\x4c\x18", 4 },
		{ "lzip", "LZIP\1\x0c", 6 },
		{ "compress", "\x1f\x9d\x90", 3 },
		{ "zip", "PK\3\4\x14\0", 6 },
		{ "zip, empty", "PK\5\6\0\0\0\0", 8 },
		{ "zip, spanned", "PK\7\10PK\3\4", 8 },
		{ "7z", "7z\xbc\xaf\x27\x1c\0\4", 8 },
		{ "rar", "Rar!\x1a\x07\x00", 7 },
		{ "rar5", "Rar!\x1a\x07\x01\x00", 8 },
		{ "ar", "!<arch>\n", 8 },
		{ "cpio binary", "\xc7\x71\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
		    "\0\0\0\0\0\0", 26 },
		{ "xar", "xar!\0\x1c\0\1", 8 },
		{ "cab", "MSCF\0\0\0\0", 8 },
	};
	static const struct magic no[] = {
		{ "empty", "", 0 },
		{ "csv", "name,age\nada,36\n", 16 },
		{ "ndjson", "{\"a\":1}\n", 8 },
		{ "one gzip byte", "\x1f", 1 },
		{ "gzip, not deflate", "\x1f\x8b\x07", 3 },
		{ "bzip2, short", "BZh9", 4 },
		{ "bzip2 text", "BZh9 is a line\n", 15 },
		{ "xz, short", "\xfd" "7zX", 4 },
		{ "zstd, short", "\x28\xb5\x2f", 3 },
		{ "zip, short", "PK\3", 3 },
		{ "PK00 text", "PK001,widget\n", 13 },
		{ "7z, short", "7z\xbc\xaf\x27", 5 },
		{ "rar, short", "Rar!\x1a", 5 },
		{ "lzip text", "LZIP,1\n", 7 },
		{ "lzma text", "]\0\0\0\0 bracket", 13 },
		{ "compress, bad bits", "\x1f\x9d\x05", 3 },
		{ "ar, short", "!<arch>", 7 },
		{ "cpio text", "070707,a,b\n", 11 },
		{ "cpio binary, short", "\xc7\x71\0\0", 4 },
	};
	unsigned char big[40000];
	char name[128];
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(name, sizeof(name), "sniff: %s", yes[i].name);
		CHECK(dmo_archive_sniff((const unsigned char *)yes[i].bytes,
		    yes[i].len) == 1, name);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		snprintf(name, sizeof(name), "sniff: not %s", no[i].name);
		CHECK(dmo_archive_sniff((const unsigned char *)no[i].bytes,
		    no[i].len) == 0, name);
	}
	CHECK(dmo_archive_sniff(NULL, 0) == 0, "sniff: NULL");

	/* tar: "ustar" at 257, which a short buffer does not reach. */
	memset(big, 'x', sizeof(big));
	memcpy(big, "a.csv", 5);
	memcpy(big + 257, "ustar\0" "00", 8);
	CHECK(dmo_archive_sniff(big, 512) == 1, "sniff: tar (POSIX)");
	CHECK(dmo_archive_sniff(big, 261) == 0, "sniff: tar, short");
	memcpy(big + 257, "ustar  \0", 8);
	CHECK(dmo_archive_sniff(big, 262) == 1, "sniff: tar (GNU)");

	/* cpio: the whole ASCII header must be there and well formed. */
	memset(big, '0', sizeof(big));
	memcpy(big, "070701", 6);
	CHECK(dmo_archive_sniff(big, 110) == 1, "sniff: cpio newc");
	CHECK(dmo_archive_sniff(big, 109) == 0, "sniff: cpio newc, short");
	big[50] = 'g';
	CHECK(dmo_archive_sniff(big, 110) == 0, "sniff: cpio newc, not hex");
	memset(big, '7', 76);
	memcpy(big, "070707", 6);
	CHECK(dmo_archive_sniff(big, 76) == 1, "sniff: cpio odc");
	big[70] = '8';
	CHECK(dmo_archive_sniff(big, 76) == 0, "sniff: cpio odc, not octal");

	/* iso9660: "CD001" in the first volume descriptor, at 32769. */
	memset(big, 0, sizeof(big));
	memcpy(big + 32769, "CD001", 5);
	CHECK(dmo_archive_sniff(big, sizeof(big)) == 1, "sniff: iso9660");
	CHECK(dmo_archive_sniff(big, 32773) == 0, "sniff: iso9660, short");
	CHECK(dmo_archive_sniff(big, 512) == 0, "sniff: zeros");
}

/* --- reading ------------------------------------------------------------ */

static struct dmo_buf warnings = DMO_BUF_INIT;
static int last_code;		/* of the last error read_all saw */

static void
collect(const struct dmo_err *e)
{
	char line[600];

	dmo_err_format(e, line, sizeof(line));
	dmo_buf_adds(&warnings, line);
	dmo_buf_addc(&warnings, '\n');
}

/* Read a member to its end into out; 0, or -1 with err set. */
static int
slurp(struct dmo_in *in, struct dmo_buf *out, struct dmo_err *err)
{
	ssize_t r;

	for (;;) {
		if (in->end > in->pos) {
			dmo_buf_add(out, in->buf + in->pos, in->end - in->pos);
			in->pos = in->end;
		}
		if ((r = dmo_in_fill(in, err)) < 0)
			return -1;
		if (r == 0)
			break;
	}
	dmo_buf_cstr(out);
	return 0;
}

/*
 * Read every member of file (in tmpdir) as the reader does: open, peek
 * 512 bytes for the sniffing, open the archive.  Appends
 * "display|inner|content\n" per member to out, or "error: msg\n"; each
 * error is followed by another dmo_archive_next.  With pipe set, the
 * bytes come through a pipe (no seeking).  Returns the number of errors,
 * or -1 when the archive cannot be opened (err says why).
 */
static int
read_all(const char *file, const char *name, const char *glob, int pipe,
    struct dmo_buf *out, struct dmo_err *err)
{
	struct dmo_archive *ar;
	struct dmo_in *in, *m;
	const char *display, *inner;
	char cmd[1024], line[600];
	FILE *fp = NULL;
	int r, errors = 0;

	out->len = 0;
	warnings.len = 0;
	last_code = 0;
	dmo_err_clear(err);
	if (pipe) {
		snprintf(cmd, sizeof(cmd), "cat '%s'", th_path(file));
		if ((fp = popen(cmd, "r")) == NULL)
			return -1;
		in = dmo_in_from_fd(fileno(fp), name, 0);
	} else if ((in = dmo_in_open(th_path(file), 0, err)) == NULL)
		return -1;
	in->max_line = 1000;
	if (dmo_in_peek(in, 512, err) < 0 ||
	    (ar = dmo_archive_open(in, name, glob, err)) == NULL) {
		dmo_err_format(err, line, sizeof(line));
		dmo_buf_printf(out, "open error: %s\n", line);
		last_code = err->code;
		dmo_buf_cstr(&warnings);
		dmo_in_free(in);
		if (fp != NULL)
			pclose(fp);
		return -1;
	}
	for (;;) {
		dmo_err_clear(err);
		r = dmo_archive_next(ar, &m, &display, &inner, collect, err);
		if (r == 0)
			break;
		if (r < 0) {
			dmo_err_format(err, line, sizeof(line));
			dmo_buf_printf(out, "error: %s\n", line);
			last_code = err->code;
			errors++;
			continue;
		}
		if (m->max_line != 1000)
			dmo_buf_adds(out, "(max_line not passed on)");
		dmo_buf_printf(out, "%s|%s|", display, inner);
		if (slurp(m, out, err) < 0) {
			dmo_err_format(err, line, sizeof(line));
			dmo_buf_printf(out, "\nerror: %s\n", line);
			last_code = err->code;
			errors++;
		}
	}
	dmo_archive_free(ar);
	dmo_in_free(in);
	if (fp != NULL)
		pclose(fp);
	dmo_buf_cstr(out);
	dmo_buf_cstr(&warnings);
	return errors;
}

static void
make_tree(void)
{
	sh("mkdir -p t/sub && printf 'a,b\\n1,2\\n' >t/a.csv && "
	    "printf '{\"x\":1}\\n' >t/sub/b.ndjson && "
	    "printf 'c\\n3\\n' >t/sub/c.csv && ln -s a.csv t/link.csv && "
	    "ln t/a.csv t/hard.csv");
}

static void
test_tar_gz(void)
{
	struct dmo_buf out = DMO_BUF_INIT;
	struct dmo_err err;
	int r;

	if (sh("tar -C t -czf t.tar.gz a.csv sub hard.csv link.csv") != 0) {
		skip("tar.gz", "tar failed");
		return;
	}
	r = read_all("t.tar.gz", "t.tar.gz", NULL, 0, &out, &err);
	CHECK_EQ(r, 0, "tar.gz: no errors");
	CHECK_STR(out.p,
	    "t.tar.gz/a.csv|a.csv|a,b\n1,2\n"
	    "t.tar.gz/sub/b.ndjson|sub/b.ndjson|{\"x\":1}\n"
	    "t.tar.gz/sub/c.csv|sub/c.csv|c\n3\n",
	    "tar.gz: read as tar, every regular member, dirs skipped");
	CHECK_STR(warnings.p,
	    "t.tar.gz: member 'hard.csv': not a regular file, skipped\n"
	    "t.tar.gz: member 'link.csv': not a regular file, skipped\n",
	    "tar.gz: links skipped with a warning");

	r = read_all("t.tar.gz", "t.tar.gz", "sub/*", 0, &out, &err);
	CHECK_STR(out.p,
	    "t.tar.gz/sub/b.ndjson|sub/b.ndjson|{\"x\":1}\n"
	    "t.tar.gz/sub/c.csv|sub/c.csv|c\n3\n", "tar.gz: glob sub/*");
	CHECK_STR(warnings.p, "", "tar.gz: no warning for unmatched links");
	r = read_all("t.tar.gz", "t.tar.gz", "*.csv", 0, &out, &err);
	CHECK_STR(out.p,
	    "t.tar.gz/a.csv|a.csv|a,b\n1,2\n"
	    "t.tar.gz/sub/c.csv|sub/c.csv|c\n3\n",
	    "tar.gz: glob *.csv matches across '/'");
	r = read_all("t.tar.gz", "t.tar.gz", "nothing", 0, &out, &err);
	CHECK(r == 0 && out.len == 0, "tar.gz: glob matching nothing");

	r = read_all("t.tar.gz", "<stdin>", "a.csv", 1, &out, &err);
	CHECK_STR(out.p, "<stdin>/a.csv|a.csv|a,b\n1,2\n",
	    "tar.gz: through a pipe");

	if (sh("tar -C t -cf t.tar a.csv sub && mkdir -p z && cp t.tar z/") ==
	    0) {
		r = read_all("t.tar", "t.tar", "sub/c.csv", 0, &out, &err);
		CHECK_STR(out.p, "t.tar/sub/c.csv|sub/c.csv|c\n3\n",
		    "tar: members skipped by seeking");
	}
	/* A member bigger than any buffer, skipped with lseek, and not. */
	if (sh("head -c 5000000 /dev/zero | tr '\\0' x >t/big.csv && "
	    "tar -C t -cf big.tar big.csv a.csv && rm t/big.csv") == 0) {
		r = read_all("big.tar", "big.tar", "a.csv", 0, &out, &err);
		CHECK_STR(out.p, "big.tar/a.csv|a.csv|a,b\n1,2\n",
		    "tar: a big member skipped by seeking");
		r = read_all("big.tar", "big.tar", "a.csv", 1, &out, &err);
		CHECK_STR(out.p, "big.tar/a.csv|a.csv|a,b\n1,2\n",
		    "tar: a big member skipped by reading");
		sh("head -c 3000000 big.tar >bigcut.tar");
		r = read_all("bigcut.tar", "bigcut.tar", "a.csv", 0, &out,
		    &err);
		CHECK(r == 1 && last_code == DMO_EXIT_IO,
		    "tar: skipping past the end of a cut tar is an error");
	}
	dmo_buf_release(&out);
}

struct lone {
	const char	*tool;
	const char	*cmd;
	const char	*file;
};

static void
test_lone(void)
{
	static const struct lone lone[] = {
		{ "gzip", "gzip -c t/a.csv >x.csv.gz", "x.csv.gz" },
		{ "bzip2", "bzip2 -c t/a.csv >x.csv.bz2", "x.csv.bz2" },
		{ "xz", "xz -c t/a.csv >x.csv.xz", "x.csv.xz" },
		{ "xz", "xz --format=lzma -c t/a.csv >x.csv.lzma",
		    "x.csv.lzma" },
		{ "zstd", "zstd -q -c t/a.csv >x.csv.zst", "x.csv.zst" },
		{ "lz4", "lz4 -q -c t/a.csv >x.csv.lz4", "x.csv.lz4" },
		{ "gzip", "gzip -c t/a.csv >X.CSV.GZ", "X.CSV.GZ" },
		{ "gzip", "gzip -c t/a.csv >noext", "noext" },
	};
	struct dmo_buf out = DMO_BUF_INIT, want = DMO_BUF_INIT;
	struct dmo_err err;
	char name[128], inner[64];
	const char *dot;
	size_t i;
	int r;

	for (i = 0; i < sizeof(lone) / sizeof(lone[0]); i++) {
		snprintf(name, sizeof(name), "lone: %s", lone[i].file);
		if (!have(lone[i].tool) || sh("%s", lone[i].cmd) != 0) {
			skip(name, "no tool");
			continue;
		}
		dot = strrchr(lone[i].file, '.');
		snprintf(inner, sizeof(inner), "%.*s",
		    dot != NULL && strcmp(dot, ".CSV") != 0 ?
		    (int)(dot - lone[i].file) : (int)strlen(lone[i].file),
		    lone[i].file);
		want.len = 0;
		dmo_buf_printf(&want, "%s|%s|a,b\n1,2\n", lone[i].file, inner);
		r = read_all(lone[i].file, lone[i].file, "*.json", 0, &out,
		    &err);
		CHECK_EQ(r, 0, name);
		CHECK_STR(out.p, dmo_buf_cstr(&want), name);
	}
	/* Peeked bytes are not lost, and a pipe does as well as a file. */
	r = read_all("x.csv.gz", "x.csv.gz", NULL, 1, &out, &err);
	CHECK_STR(out.p, "x.csv.gz|x.csv|a,b\n1,2\n",
	    "lone: gzip through a pipe");

	/* Concatenated gzip members are one stream, as gzip -d has it. */
	sh("cat x.csv.gz x.csv.gz >xx.csv.gz");
	r = read_all("xx.csv.gz", "xx.csv.gz", NULL, 0, &out, &err);
	CHECK_STR(out.p, "xx.csv.gz|xx.csv|a,b\n1,2\na,b\n1,2\n",
	    "lone: concatenated gzip");

	/* An empty compressed file: no member, no error. */
	sh(": | gzip -c >empty.csv.gz");
	r = read_all("empty.csv.gz", "empty.csv.gz", NULL, 0, &out, &err);
	CHECK_EQ(r, 0, "lone: empty gzip, no error");
	dmo_buf_release(&out);
	dmo_buf_release(&want);
}

static void
test_zip_7z(void)
{
	struct dmo_buf out = DMO_BUF_INIT;
	struct dmo_err err;
	int r;

	if (!have("zip") || sh("cd t && zip -q -r ../t.zip a.csv sub") != 0)
		skip("zip", "no zip");
	else {
		r = read_all("t.zip", "t.zip", "*.csv", 0, &out, &err);
		CHECK_STR(out.p,
		    "t.zip/a.csv|a.csv|a,b\n1,2\n"
		    "t.zip/sub/c.csv|sub/c.csv|c\n3\n", "zip: seekable");
		r = read_all("t.zip", "t.zip", "*.csv", 1, &out, &err);
		CHECK_STR(out.p,
		    "t.zip/a.csv|a.csv|a,b\n1,2\n"
		    "t.zip/sub/c.csv|sub/c.csv|c\n3\n", "zip: through a pipe");
		/* Streamed: sizes after the data (data descriptors). */
		sh("cat t/a.csv | zip -q -fd s.zip -");
		r = read_all("s.zip", "s.zip", NULL, 1, &out, &err);
		CHECK_STR(out.p, "s.zip/-|-|a,b\n1,2\n",
		    "zip: streamed, through a pipe");

		sh("cd t && zip -q -P secret ../enc.zip a.csv && "
		    "zip -q ../enc.zip sub/c.csv");
		r = read_all("enc.zip", "enc.zip", NULL, 0, &out, &err);
		CHECK_EQ(r, 1, "zip: encrypted member, one error");
		CHECK_STR(out.p,
		    "error: enc.zip: member 'a.csv': encrypted, skipped\n"
		    "enc.zip/sub/c.csv|sub/c.csv|c\n3\n",
		    "zip: encrypted member named, the rest read");
		r = read_all("enc.zip", "enc.zip", NULL, 1, &out, &err);
		CHECK_STR(out.p,
		    "error: enc.zip: member 'a.csv': encrypted, skipped\n"
		    "enc.zip/sub/c.csv|sub/c.csv|c\n3\n",
		    "zip: encrypted member, through a pipe");
	}
	if (!have("7z") || sh("cd t && 7z a -bd ../t.7z a.csv sub") != 0)
		skip("7z", "no 7z");
	else {
		r = read_all("t.7z", "t.7z", "*.csv", 0, &out, &err);
		CHECK_STR(out.p,
		    "t.7z/a.csv|a.csv|a,b\n1,2\n"
		    "t.7z/sub/c.csv|sub/c.csv|c\n3\n", "7z: seekable");
	}
	dmo_buf_release(&out);
}

static void
test_damage(void)
{
	struct dmo_buf out = DMO_BUF_INIT;
	struct dmo_err err;
	int r;

	/* A gzip stream cut short: the member ends in an error. */
	sh("seq 1 200000 | gzip -c >big.csv.gz && "
	    "head -c 200000 big.csv.gz >cut.csv.gz");
	r = read_all("cut.csv.gz", "cut.csv.gz", NULL, 0, &out, &err);
	CHECK(r == 1 && last_code == DMO_EXIT_IO, "damage: cut gzip, status 3");
	CHECK(strstr(out.p, "\nerror: cut.csv.gz: truncated gzip input\n") !=
	    NULL, "damage: cut gzip, message");
	/* So short that libarchive finds out while opening. */
	sh("head -c 2000 big.csv.gz >cut2.csv.gz");
	r = read_all("cut2.csv.gz", "cut2.csv.gz", NULL, 0, &out, &err);
	CHECK(r == -1 && last_code == DMO_EXIT_IO,
	    "damage: short gzip, open fails");
	CHECK_STR(out.p, "open error: cut2.csv.gz: truncated gzip input\n",
	    "damage: short gzip, message");

	/* A gzip header, then garbage. */
	sh("printf '\\037\\213\\010\\000\\000\\000\\000\\000\\000\\003"
	    "garbage that is not deflate' >bad.csv.gz");
	r = read_all("bad.csv.gz", "bad.csv.gz", NULL, 0, &out, &err);
	CHECK(r == -1 && last_code == DMO_EXIT_IO,
	    "damage: bad gzip, status 3");
	CHECK_STR(out.p, "open error: bad.csv.gz: gzip decompression failed\n",
	    "damage: bad gzip, message");

	/* A tar cut in a member's data, and in a header. */
	sh("head -c 700 t.tar >cut.tar && head -c 1200 t.tar >cut2.tar");
	r = read_all("cut.tar", "cut.tar", NULL, 0, &out, &err);
	CHECK(r == 1 && last_code == DMO_EXIT_IO, "damage: cut tar, status 3");
	/* libarchive says how many bytes were missing. */
	CHECK(strncmp(out.p, "cut.tar/a.csv|a.csv|\nerror: cut.tar/a.csv: "
	    "truncated input file (needed ", 72) == 0,
	    "damage: cut tar, message");
	r = read_all("cut2.tar", "cut2.tar", NULL, 0, &out, &err);
	CHECK(r == 1 && last_code == DMO_EXIT_IO, "damage: cut tar header");
	CHECK_STR(out.p, "cut2.tar/a.csv|a.csv|a,b\n1,2\n"
	    "error: cut2.tar: truncated tar archive\n",
	    "damage: cut tar header, message");

	/* A zip without its end, through a pipe and seekable. */
	sh("head -c 150 t.zip >cut.zip");
	r = read_all("cut.zip", "cut.zip", NULL, 1, &out, &err);
	CHECK(r == 1 && last_code == DMO_EXIT_IO, "damage: cut zip, status 3");
	CHECK_STR(out.p, "cut.zip/a.csv|a.csv|a,b\n1,2\n"
	    "error: cut.zip: truncated ZIP file header\n",
	    "damage: cut zip, message");
	r = read_all("cut.zip", "cut.zip", NULL, 0, &out, &err);
	CHECK(r == 1 && last_code == DMO_EXIT_IO,
	    "damage: cut zip, seekable, status 3");
	CHECK_STR(out.p, "cut.zip/a.csv|a.csv|a,b\n1,2\n"
	    "error: cut.zip: truncated ZIP file header\n",
	    "damage: cut zip, seekable, message");

	/* Not an archive after all. */
	sh("printf 'PK\\003\\004 but then text\\n' >fake.zip");
	r = read_all("fake.zip", "fake.zip", NULL, 0, &out, &err);
	CHECK(r == 1 && last_code == DMO_EXIT_IO, "damage: fake zip");
	CHECK_STR(out.p, "error: fake.zip: truncated ZIP file header\n",
	    "damage: fake zip, message");
	dmo_buf_release(&out);
}

static void
test_hostile(void)
{
	struct dmo_buf out = DMO_BUF_INIT;
	struct dmo_err err;
	struct stat st;
	int r;

	/*
	 * Names that would write outside the directory if the members were
	 * extracted: they are only names here.
	 */
	sh("mkdir -p h/in && printf 'k\\nv\\n' >h/in/x.csv && "
	    "tar -C h/in -cf abs.tar -P --transform 's,^,/tmp/dmo-evil-%ld/,' "
	    "x.csv && tar -C h/in -cf dots.tar -P "
	    "--transform 's,^,../../dmo-evil-%ld/,' x.csv", (long)getpid(),
	    (long)getpid());
	r = read_all("abs.tar", "abs.tar", NULL, 0, &out, &err);
	{
		char want[256];

		snprintf(want, sizeof(want),
		    "abs.tar//tmp/dmo-evil-%ld/x.csv|/tmp/dmo-evil-%ld/x.csv|"
		    "k\nv\n", (long)getpid(), (long)getpid());
		CHECK_STR(out.p, want, "hostile: absolute name read as a name");
		snprintf(want, sizeof(want), "/tmp/dmo-evil-%ld",
		    (long)getpid());
		CHECK(stat(want, &st) != 0 && errno == ENOENT,
		    "hostile: nothing created at the absolute path");
	}
	r = read_all("dots.tar", "dots.tar", NULL, 0, &out, &err);
	CHECK(r == 0 && strstr(out.p, "|../../dmo-evil-") != NULL &&
	    strstr(out.p, "|k\nv\n") != NULL, "hostile: '..' name read");
	CHECK(stat(th_path("../../dmo-evil"), &st) != 0,
	    "hostile: nothing created above");

	/* Control bytes in a member name do not reach a message raw. */
	sh("mkdir -p h/ctl && ln -s x \"h/ctl/$(printf 'a\\nb')\" && "
	    "tar -C h/ctl -cf ctl.tar .");
	r = read_all("ctl.tar", "ctl.tar", NULL, 0, &out, &err);
	CHECK_STR(warnings.p,
	    "ctl.tar: member './a?b': not a regular file, skipped\n",
	    "hostile: control bytes in a name");

	/* A member without a newline stops at max_line: no huge buffer. */
	if (sh("head -c 50000000 /dev/zero | tr '\\0' x | "
	    "gzip -c >long.csv.gz") == 0) {
		struct dmo_archive *ar;
		struct dmo_in *in, *m;
		const char *d, *inner, *line;
		size_t len;

		in = dmo_in_open(th_path("long.csv.gz"), 0, &err);
		in->max_line = 1 << 20;
		ar = dmo_archive_open(in, "long.csv.gz", NULL, &err);
		r = dmo_archive_next(ar, &m, &d, &inner, collect, &err);
		CHECK_EQ(r, 1, "hostile: a line bomb is a member");
		if (r == 1) {
			line = dmo_in_line(m, &len, &err);
			CHECK(line == NULL && err.code == DMO_EXIT_DATA,
			    "hostile: a line bomb is a bad line");
			CHECK(m->cap < 4 << 20, "hostile: buffer stays small");
			line = dmo_in_line(m, &len, &err);
			CHECK(line == NULL && err.code == 0,
			    "hostile: then the end");
		}
		dmo_archive_free(ar);
		dmo_in_free(in);
	}
	dmo_buf_release(&out);
}

/* --- follow mode (common/follow.c), without ever waiting ---------------- */

static struct dmo_buf notices = DMO_BUF_INIT;

static void
notice(const struct dmo_err *e)
{
	dmo_buf_adds(&notices, e->msg);
	dmo_buf_addc(&notices, '\n');
	dmo_buf_cstr(&notices);
}

/* The next line, which must be there already: follow mode never ends. */
static const char *
next_line(struct dmo_in *in)
{
	static char line[256];
	struct dmo_err err;
	const char *p;
	size_t len;

	dmo_err_clear(&err);
	if ((p = dmo_in_line(in, &len, &err)) == NULL)
		return "(none)";
	snprintf(line, sizeof(line), "%.*s", (int)len, p);
	return line;
}

static void
append(const char *file, const char *text)
{
	FILE *fp = fopen(th_path(file), "a");

	fputs(text, fp);
	fclose(fp);
}

static void
test_follow(void)
{
	struct dmo_in *in;
	struct dmo_err err;
	FILE *old;

	sh("printf 'one\\ntwo, a longer line\\n' >f.log");
	if ((in = dmo_in_open(th_path("f.log"), 1, &err)) == NULL) {
		CHECK(0, "follow: open");
		return;
	}
	in->name = "f.log";
	in->warn = notice;
	CHECK(in->follow, "follow: set for a regular file");
	CHECK_STR(next_line(in), "one\n", "follow: first line");
	CHECK_STR(next_line(in), "two, a longer line\n", "follow: second line");

	/* Shorter than what was read: truncated, read from the top. */
	sh(": >f.log && printf 'three\\n' >>f.log");
	CHECK_STR(next_line(in), "three\n", "follow: after truncation");
	CHECK_STR(notices.p, "'f.log': file truncated\n",
	    "follow: truncation notice");

	/* A partial line waits for its end. */
	append("f.log", "fo");
	append("f.log", "ur\n");
	CHECK_STR(next_line(in), "four\n", "follow: a line in two writes");

	/*
	 * Rotation: the writer still has the old file and writes once more
	 * after the rename; that line comes before the new file's.
	 */
	old = fopen(th_path("f.log"), "a");
	sh("mv f.log f.log.1 && printf 'six\\n' >f.log");
	fputs("five\n", old);
	fclose(old);
	notices.len = 0;
	CHECK_STR(next_line(in), "five\n", "follow: old file read to its end");
	CHECK_STR(next_line(in), "six\n", "follow: then the new file");
	CHECK_STR(notices.p, "'f.log' has been replaced; following new file\n",
	    "follow: rotation notice");

	/* Removed and created again. */
	sh("rm f.log && printf 'seven\\n' >f.log");
	notices.len = 0;
	CHECK_STR(next_line(in), "seven\n", "follow: recreated file");
	CHECK_STR(notices.p, "'f.log' has been replaced; following new file\n",
	    "follow: recreated notice");
	dmo_in_free(in);

	/* Not a regular file: no following (dmo_in_open decides). */
	in = dmo_in_open("/dev/null", 1, &err);
	CHECK(in != NULL && !in->follow, "follow: not for /dev/null");
	dmo_in_free(in);
	dmo_buf_release(&notices);
}

int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	th_tmpdir("test_archive");
	test_sniff();
	make_tree();
	test_tar_gz();
	test_lone();
	test_zip_7z();
	test_damage();
	test_hostile();
	test_follow();
	dmo_buf_release(&warnings);
	return done();
}
