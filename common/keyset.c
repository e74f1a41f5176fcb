/* keyset.c - read, write, rotate and protect keyset files (dmo-keyset(5)). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "base64.h"
#include "crypto.h"
#include "exitcode.h"
#include "json.h"
#include "keyset.h"

#define MAX_KEYSET	(1 << 20)	/* bytes: a keyset is small */
#define SEAL_AAD	"dmo-keyset v1"

const char *
dmo_key_status_name(enum dmo_key_status s)
{
	switch (s) {
	case DMO_KEY_PRIMARY:
		return "primary";
	case DMO_KEY_ACTIVE:
		return "active";
	case DMO_KEY_DISABLED:
		return "disabled";
	}
	return "?";
}

/* dmo_doc_type, for a member that may be missing (NULL). */
static enum dmo_doc_type
type_of(const struct dmo_doc *d)
{
	return d == NULL ? DMO_DOC_NULL : dmo_doc_type(d);
}

static int
read_all(int fd, const char *name, struct dmo_buf *b, struct dmo_err *err)
{
	ssize_t n;

	for (;;) {
		dmo_buf_grow(b, 4096);
		n = read(fd, b->p + b->len, b->cap - b->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			dmo_err_sys(err, DMO_EXIT_IO, NULL, "%s", name);
			return -1;
		}
		if (n == 0)
			return 0;
		b->len += (size_t)n;
		if (b->len > MAX_KEYSET) {
			dmo_err_set(err, DMO_EXIT_USAGE, NULL, "%s: not a "
			    "keyset: more than 1 MiB", name);
			return -1;
		}
	}
}

int
dmo_keyset_read_file(const char *path, struct dmo_buf *b, struct dmo_err *err)
{
	struct stat st;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		dmo_err_sys(err, DMO_EXIT_IO, NULL, "%s", path);
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		dmo_err_sys(err, DMO_EXIT_IO, NULL, "%s", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "%s: key file is not a "
		    "regular file", path);
		close(fd);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "%s: key file is "
		    "accessible by group or others (mode %04o): chmod 600 it",
		    path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	rc = read_all(fd, path, b, err);
	close(fd);
	return rc;
}

int
dmo_keyset_read_fd(int fd, const char *name, struct dmo_buf *b,
    struct dmo_err *err)
{
	return read_all(fd, name, b, err);
}

static struct dmo_keyset *
keyset_new(void)
{
	return dmo_xcalloc(1, sizeof(struct dmo_keyset));
}

void
dmo_keyset_free(struct dmo_keyset *ks)
{
	if (ks == NULL)
		return;
	dmo_crypto_wipe(ks->keys, ks->n * sizeof(*ks->keys));
	free(ks->keys);
	free(ks);
}

static struct dmo_key *
key_add(struct dmo_keyset *ks)
{
	struct dmo_key *k;

	/* Grow by hand so that no secret is left behind by realloc. */
	k = dmo_xcalloc(ks->n + 1, sizeof(*k));
	if (ks->n > 0) {
		memcpy(k, ks->keys, ks->n * sizeof(*k));
		dmo_crypto_wipe(ks->keys, ks->n * sizeof(*k));
	}
	free(ks->keys);
	ks->keys = k;
	return &ks->keys[ks->n++];
}

static int
parse_hexid(const char *s, uint32_t *id)
{
	uint32_t v = 0;
	int i, d;

	if (s == NULL || strlen(s) != 8)
		return -1;
	for (i = 0; i < 8; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	*id = v;
	return 0;
}

static int
bad(struct dmo_err *err, const char *name, const char *what)
{
	dmo_err_set(err, DMO_EXIT_USAGE, NULL, "%s: not a valid keyset: %s",
	    name, what);
	return -1;
}

/* The "keys" array, plain. */
static int
parse_keys(struct dmo_keyset *ks, const struct dmo_doc *arr, const char *name,
    struct dmo_err *err)
{
	size_t i, j, len, nprimary = 0;

	if (type_of(arr) != DMO_DOC_ARRAY || dmo_doc_size(arr) == 0)
		return bad(err, name, "'keys' is not a non-empty array");
	for (i = 0; i < dmo_doc_size(arr); i++) {
		const struct dmo_doc *o = dmo_doc_index(arr, i);
		const char *id = dmo_doc_string(dmo_doc_get(o, "id"), NULL);
		const char *alg = dmo_doc_string(dmo_doc_get(o, "algorithm"),
		    NULL);
		const char *created = dmo_doc_string(dmo_doc_get(o, "created"),
		    &len);
		const char *st = dmo_doc_string(dmo_doc_get(o, "status"), NULL);
		const char *sec;
		struct dmo_key *k;
		size_t slen;
		uint8_t raw[64];

		if (type_of(o) != DMO_DOC_OBJECT)
			return bad(err, name, "a key is not an object");
		k = key_add(ks);
		if (parse_hexid(id, &k->id) != 0)
			return bad(err, name, "a key id is not 8 hex digits");
		memcpy(k->idhex, id, 9);
		if (alg == NULL || strcmp(alg, "dmo-v1") != 0)
			return bad(err, name, "unknown key algorithm");
		if (created == NULL || len >= sizeof(k->created))
			return bad(err, name, "bad creation time");
		memcpy(k->created, created, len + 1);
		if (st != NULL && strcmp(st, "primary") == 0) {
			k->status = DMO_KEY_PRIMARY;
			nprimary++;
		} else if (st != NULL && strcmp(st, "active") == 0)
			k->status = DMO_KEY_ACTIVE;
		else if (st != NULL && strcmp(st, "disabled") == 0)
			k->status = DMO_KEY_DISABLED;
		else
			return bad(err, name, "a key's status is not primary, "
			    "active or disabled");
		sec = dmo_doc_string(dmo_doc_get(o, "secret"), &slen);
		if (sec == NULL || slen > 64 ||
		    dmo_b64url_decode(sec, slen, raw) != DMO_KEY_SECRET) {
			dmo_crypto_wipe(raw, sizeof(raw));
			return bad(err, name, "a key's secret is not 32 bytes "
			    "in base64url");
		}
		memcpy(k->secret, raw, DMO_KEY_SECRET);
		dmo_crypto_wipe(raw, sizeof(raw));
		for (j = 0; j + 1 < ks->n; j++)
			if (ks->keys[j].id == k->id)
				return bad(err, name, "a key id repeats");
	}
	if (nprimary != 1)
		return bad(err, name, "not exactly one primary key");
	return 0;
}

int
dmo_keyset_is_protected(const char *text, size_t len)
{
	struct dmo_err err;
	struct dmo_doc *d = dmo_doc_parse(text, len, "keyset", &err);
	int p = d != NULL && dmo_doc_get(d, "sealed") != NULL;

	dmo_doc_free(d);
	return p;
}

static long
b64_field(const struct dmo_doc *o, const char *key, uint8_t *out, size_t max)
{
	size_t len;
	const char *s = dmo_doc_string(dmo_doc_get(o, key), &len);

	if (s == NULL || len > max / 3 * 4)
		return -1;
	return dmo_b64url_decode(s, len, out);
}

/* Open the sealed keys with the passphrase; the plain text into b. */
static int
unseal(const struct dmo_doc *d, const char *name, const char *pass,
    size_t passlen, struct dmo_buf *b, int *log2n, struct dmo_err *err)
{
	const struct dmo_doc *sp = dmo_doc_get(d, "scrypt");
	uint8_t salt[32], nonce[DMO_GCM_IV], kek[32], *ct;
	struct dmo_iov aad = { SEAL_AAD, sizeof(SEAL_AAD) - 1 };
	struct dmo_gcm *g;
	long ln, r, p, sl, cl;
	size_t len;
	const char *s;

	ln = dmo_doc_integer(dmo_doc_get(sp, "log2n"));
	r = dmo_doc_integer(dmo_doc_get(sp, "r"));
	p = dmo_doc_integer(dmo_doc_get(sp, "p"));
	if (type_of(dmo_doc_get(sp, "log2n")) != DMO_DOC_INT ||
	    ln < 1 || r != 8 || p != 1)
		return bad(err, name, "bad scrypt parameters");
	if (ln > DMO_SCRYPT_MAX_LOG2N) {
		dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "%s: scrypt work "
		    "factor 2^%ld is above the 2^%d accepted", name, ln,
		    DMO_SCRYPT_MAX_LOG2N);
		return -1;
	}
	if ((sl = b64_field(sp, "salt", salt, sizeof(salt))) < 16 ||
	    b64_field(d, "nonce", nonce, sizeof(nonce)) != DMO_GCM_IV)
		return bad(err, name, "bad scrypt salt or nonce");
	s = dmo_doc_string(dmo_doc_get(d, "sealed"), &len);
	if (s == NULL)
		return bad(err, name, "'sealed' is not a string");
	ct = dmo_xmalloc(len + 1);
	if ((cl = dmo_b64url_decode(s, len, ct)) < DMO_GCM_TAG) {
		free(ct);
		return bad(err, name, "'sealed' is not base64url");
	}
	if (dmo_crypto_scrypt(pass, passlen, salt, (size_t)sl,
	    (uint64_t)1 << ln, 8, 1, kek, sizeof(kek), err) != 0) {
		free(ct);
		return -1;
	}
	g = dmo_gcm_new(kek, err);
	dmo_crypto_wipe(kek, sizeof(kek));
	if (g == NULL) {
		free(ct);
		return -1;
	}
	dmo_buf_grow(b, (size_t)cl);
	if (dmo_gcm_open(g, nonce, &aad, 1, ct, (size_t)cl, (uint8_t *)b->p,
	    err) != 0) {
		dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "%s: wrong passphrase, "
		    "or the keyset was changed", name);
		dmo_gcm_free(g);
		free(ct);
		return -1;
	}
	b->len = (size_t)cl - DMO_GCM_TAG;
	dmo_gcm_free(g);
	free(ct);
	*log2n = (int)ln;
	return 0;
}

struct dmo_keyset *
dmo_keyset_parse(const char *text, size_t len, const char *name,
    const char *pass, size_t passlen, struct dmo_err *err)
{
	struct dmo_doc *d, *inner = NULL;
	struct dmo_keyset *ks = keyset_new();
	struct dmo_buf plain = DMO_BUF_INIT;
	const char *fmt;
	int rc = -1;

	if ((d = dmo_doc_parse(text, len, name, err)) == NULL) {
		err->code = DMO_EXIT_USAGE;
		free(ks);
		return NULL;
	}
	fmt = dmo_doc_string(dmo_doc_get(d, "format"), NULL);
	if (type_of(d) != DMO_DOC_OBJECT || fmt == NULL ||
	    strcmp(fmt, "dmo-keyset") != 0)
		bad(err, name, "no \"format\":\"dmo-keyset\"");
	else if (dmo_doc_integer(dmo_doc_get(d, "version")) != 1)
		bad(err, name, "unsupported version");
	else if (dmo_doc_get(d, "sealed") != NULL) {
		if (pass == NULL)
			dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "%s: keyset is "
			    "protected by a passphrase", name);
		else if (unseal(d, name, pass, passlen, &plain, &ks->log2n,
		    err) == 0) {
			inner = dmo_doc_parse(plain.p, plain.len, name, err);
			if (inner == NULL)
				bad(err, name, "sealed keys are not JSON");
			else
				rc = parse_keys(ks, inner, name, err);
		}
	} else
		rc = parse_keys(ks, dmo_doc_get(d, "keys"), name, err);
	dmo_crypto_wipe(plain.p, plain.cap);
	dmo_buf_release(&plain);
	dmo_doc_free(inner);
	dmo_doc_free(d);
	if (rc != 0) {
		dmo_keyset_free(ks);
		return NULL;
	}
	return ks;
}

static int
key_new(struct dmo_keyset *ks, struct dmo_err *err)
{
	struct dmo_key *k;
	uint8_t idb[4];
	struct tm tm;
	time_t now = time(NULL);
	size_t i;

	k = key_add(ks);
	do {
		if (dmo_crypto_random(idb, 4, err) != 0)
			return -1;
		k->id = (uint32_t)idb[0] << 24 | (uint32_t)idb[1] << 16 |
		    (uint32_t)idb[2] << 8 | idb[3];
		for (i = 0; i + 1 < ks->n; i++)
			if (ks->keys[i].id == k->id)
				break;
	} while (i + 1 < ks->n);
	snprintf(k->idhex, sizeof(k->idhex), "%08x", (unsigned)k->id);
	gmtime_r(&now, &tm);
	strftime(k->created, sizeof(k->created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	k->status = DMO_KEY_PRIMARY;
	return dmo_crypto_random(k->secret, DMO_KEY_SECRET, err);
}

struct dmo_keyset *
dmo_keyset_generate(struct dmo_err *err)
{
	struct dmo_keyset *ks = keyset_new();

	if (key_new(ks, err) != 0) {
		dmo_keyset_free(ks);
		return NULL;
	}
	return ks;
}

int
dmo_keyset_rotate(struct dmo_keyset *ks, struct dmo_err *err)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (ks->keys[i].status == DMO_KEY_PRIMARY)
			ks->keys[i].status = DMO_KEY_ACTIVE;
	return key_new(ks, err);
}

int
dmo_keyset_set_status(struct dmo_keyset *ks, const char *idhex,
    enum dmo_key_status st, struct dmo_err *err)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (strcmp(ks->keys[i].idhex, idhex) == 0) {
			if (ks->keys[i].status == DMO_KEY_PRIMARY) {
				dmo_err_set(err, DMO_EXIT_USAGE, NULL, "key "
				    "'%s' is the primary key: rotate first",
				    idhex);
				return -1;
			}
			ks->keys[i].status = st;
			return 0;
		}
	dmo_err_set(err, DMO_EXIT_USAGE, NULL, "no key '%s' in the keyset",
	    idhex);
	return -1;
}

const struct dmo_key *
dmo_keyset_primary(const struct dmo_keyset *ks)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (ks->keys[i].status == DMO_KEY_PRIMARY)
			return &ks->keys[i];
	return NULL;
}

const struct dmo_key *
dmo_keyset_find(const struct dmo_keyset *ks, uint32_t id)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (ks->keys[i].id == id)
			return &ks->keys[i];
	return NULL;
}

/* base64url of n bytes into b. */
static void
add_b64(struct dmo_buf *b, const void *p, size_t n)
{
	size_t m = dmo_b64url_len(n);

	dmo_buf_grow(b, m);
	dmo_b64url_encode(p, n, b->p + b->len);
	b->len += m;
}

/*
 * The keys array, written by hand (not through the JSON library) so that
 * every copy of a secret is in a buffer we wipe.  Grown ahead, so no
 * realloc leaves a copy behind.
 */
static void
format_keys(const struct dmo_keyset *ks, struct dmo_buf *b)
{
	size_t i;

	dmo_buf_grow(b, 256 * ks->n + 16);
	dmo_buf_adds(b, "[");
	for (i = 0; i < ks->n; i++) {
		const struct dmo_key *k = &ks->keys[i];

		dmo_buf_printf(b, "%s\n  {\"id\":\"%s\",\"algorithm\":"
		    "\"dmo-v1\",\"created\":\"%s\",\"status\":\"%s\","
		    "\"secret\":\"", i > 0 ? "," : "", k->idhex, k->created,
		    dmo_key_status_name(k->status));
		add_b64(b, k->secret, DMO_KEY_SECRET);
		dmo_buf_adds(b, "\"}");
	}
	dmo_buf_adds(b, "\n]");
}

int
dmo_keyset_format(const struct dmo_keyset *ks, const char *pass,
    size_t passlen, int log2n, struct dmo_buf *out, struct dmo_err *err)
{
	struct dmo_buf plain = DMO_BUF_INIT;
	uint8_t salt[16], nonce[DMO_GCM_IV], kek[32], *ct;
	struct dmo_iov aad = { SEAL_AAD, sizeof(SEAL_AAD) - 1 };
	struct dmo_gcm *g;
	int rc = -1;

	if (pass == NULL) {
		dmo_buf_adds(out, "{\"format\":\"dmo-keyset\",\"version\":1,"
		    "\"keys\":");
		dmo_buf_grow(out, 256 * ks->n + 64);
		format_keys(ks, out);
		dmo_buf_adds(out, "}\n");
		return 0;
	}
	if (log2n < DMO_SCRYPT_MIN_LOG2N || log2n > DMO_SCRYPT_MAX_LOG2N) {
		dmo_err_set(err, DMO_EXIT_USAGE, NULL, "scrypt work factor "
		    "2^%d is outside 2^%d to 2^%d", log2n,
		    DMO_SCRYPT_MIN_LOG2N, DMO_SCRYPT_MAX_LOG2N);
		return -1;
	}
	format_keys(ks, &plain);
	ct = dmo_xmalloc(plain.len + DMO_GCM_TAG);
	if (dmo_crypto_random(salt, sizeof(salt), err) == 0 &&
	    dmo_crypto_random(nonce, sizeof(nonce), err) == 0 &&
	    dmo_crypto_scrypt(pass, passlen, salt, sizeof(salt),
	    (uint64_t)1 << log2n, 8, 1, kek, sizeof(kek), err) == 0 &&
	    (g = dmo_gcm_new(kek, err)) != NULL) {
		rc = dmo_gcm_seal(g, nonce, &aad, 1, plain.p, plain.len, ct,
		    err);
		dmo_gcm_free(g);
	}
	dmo_crypto_wipe(kek, sizeof(kek));
	dmo_crypto_wipe(plain.p, plain.cap);
	if (rc == 0) {
		dmo_buf_printf(out, "{\"format\":\"dmo-keyset\",\"version\":1,"
		    "\"scrypt\":{\"log2n\":%d,\"r\":8,\"p\":1,\"salt\":\"",
		    log2n);
		add_b64(out, salt, sizeof(salt));
		dmo_buf_adds(out, "\"},\n\"nonce\":\"");
		add_b64(out, nonce, sizeof(nonce));
		dmo_buf_adds(out, "\",\n\"sealed\":\"");
		add_b64(out, ct, plain.len + DMO_GCM_TAG);
		dmo_buf_adds(out, "\"}\n");
	}
	dmo_buf_release(&plain);
	free(ct);
	return rc;
}

int
dmo_keyset_write(const char *path, int create, const struct dmo_buf *b,
    struct dmo_err *err)
{
	struct dmo_atomic *a;
	size_t off = 0;
	ssize_t n;
	int fd;

	if (!create) {
		if ((a = dmo_atomic_open(path, err)) == NULL)
			return -1;
		dmo_out_write(dmo_atomic_out(a), b->p, b->len);
		return dmo_atomic_commit(a, err);
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600))
	    < 0) {
		dmo_err_sys(err, DMO_EXIT_IO, NULL, "%s", path);
		return -1;
	}
	while (off < b->len) {
		if ((n = write(fd, b->p + off, b->len - off)) < 0) {
			if (errno == EINTR)
				continue;
			dmo_err_sys(err, DMO_EXIT_IO, NULL, "%s", path);
			close(fd);
			unlink(path);
			return -1;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		dmo_err_sys(err, DMO_EXIT_IO, NULL, "%s", path);
		unlink(path);
		return -1;
	}
	return 0;
}

/* The first line of fd, without its end of line. */
long
dmo_passphrase_fd(int fd, const char *name, char *buf, struct dmo_err *err)
{
	size_t n = 0;
	ssize_t r;
	char c;

	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			dmo_err_sys(err, DMO_EXIT_IO, NULL, "%s", name);
			return -1;
		}
		if (r == 0 || c == '\n')
			break;
		if (n == DMO_PASSPHRASE_MAX) {
			dmo_crypto_wipe(buf, n);
			dmo_err_set(err, DMO_EXIT_USAGE, NULL, "%s: passphrase "
			    "longer than %d bytes", name, DMO_PASSPHRASE_MAX);
			return -1;
		}
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (n == 0) {
		dmo_err_set(err, DMO_EXIT_USAGE, NULL, "%s: empty passphrase",
		    name);
		return -1;
	}
	return (long)n;
}

long
dmo_passphrase_tty(const char *prompt, char *buf, struct dmo_err *err)
{
	struct termios old, quiet;
	long n;
	int fd, restore;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0) {
		dmo_err_set(err, DMO_EXIT_USAGE, NULL, "no terminal to ask "
		    "for the passphrase: use --passphrase-file or "
		    "--passphrase-fd");
		return -1;
	}
	restore = tcgetattr(fd, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* The prompt is a courtesy; reading goes on without it. */
	}
	n = dmo_passphrase_fd(fd, "/dev/tty", buf, err);
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
		/* As above. */
	}
	close(fd);
	return n;
}
