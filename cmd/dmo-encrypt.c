/* dmo-encrypt - protect fields: encrypt, pseudonymise, mask, redact; keys. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "crypto.h"
#include "keyset.h"
#include "policy.h"
#include "pool.h"
#include "seal.h"
#include "stream.h"
#include "value.h"

static const char synopsis[] =
    "usage: dmo-encrypt [-Bv] [-c context] [-D fields] [-d fields] "
    "[-e fields] [-k keyset] [-m fields] [-p fields] [-r fields] [file ...]";

static const char help[] =
    "Protect fields of records: encrypt them (randomised or deterministic),\n"
    "replace them by keyed pseudonyms, mask, redact or drop them; decrypt\n"
    "and rewrap; encrypt whole streams; create and rotate keysets.  FIELDS\n"
    "is a comma-separated list of names or globs (email,addr_*).\n"
    "\n"
    "  -B, --binary              write binary frames (dmo-frame(5)) instead of NDJSON\n"
    "  -c, --context NAME        bind ciphertexts and pseudonyms to NAME (a dataset)\n"
    "  -D, --decrypt FIELDS      decrypt FIELDS\n"
    "  -d, --deterministic FIELDS  encrypt FIELDS with AES-SIV: equal values, equal ciphertexts\n"
    "  -e, --encrypt FIELDS      encrypt FIELDS with AES-256-GCM (randomised)\n"
    "  -k, --key-file FILE       the keyset (mode 0600 or stricter)\n"
    "  -m, --mask FIELDS         mask FIELDS but their last characters\n"
    "  -p, --pseudonymise FIELDS  replace FIELDS by keyed pseudonyms (HMAC-SHA-256)\n"
    "  -r, --redact FIELDS       set FIELDS to null\n"
    "      --disable-key ID      mark key ID disabled in the keyset (-k)\n"
    "      --drop FIELDS         remove FIELDS\n"
    "      --duplicate-keys POLICY  repeated field names: reject, first, last\n"
    "      --invalid-utf8 POLICY    bytes that are not UTF-8: reject, replace\n"
    "      --key-env VAR         read the keyset from environment variable VAR\n"
    "      --key-fd FD           read the keyset from file descriptor FD\n"
    "      --keygen              create a new keyset in the file of -k\n"
    "      --list-keys           list the keys of the keyset (no secrets)\n"
    "      --mask-char CHAR      the mask character (default *)\n"
    "      --mask-digits         mask digits only, keeping the value's format\n"
    "      --mask-keep N         characters (or digits) left at the end (default 4)\n"
    "      --max-record-size SIZE   longest record accepted (default 256M)\n"
    "      --max-rejects N[%]    rejected records allowed before the status is 1 (default 0)\n"
    "      --no-progress         show no progress, even on a terminal\n"
    "      --passphrase-fd FD    read the keyset passphrase from file descriptor FD\n"
    "      --passphrase-file FILE  read the keyset passphrase from FILE\n"
    "      --policy FILE         apply the role policy FILE (with --role)\n"
    "      --progress            show progress even when stderr is not a terminal\n"
    "      --protect             --keygen: protect the keyset with a passphrase\n"
    "      --rejects FILE        write rejected records with their reasons to FILE (NDJSON)\n"
    "      --rewrap FIELDS       re-encrypt FIELDS under the primary key\n"
    "      --role ROLE           the role whose policy applies\n"
    "      --rotate              add a new primary key to the keyset of -k\n"
    "      --stats FILE          write a JSON run summary to FILE\n"
    "      --stream MODE         encrypt or decrypt a whole byte stream\n"
    "      --threads N           threads that compute values (default: online CPUs)\n"
    "      --work-factor N       --keygen --protect: scrypt cost 2^N (15-20, default 17)\n"
    "  -v, --verbose             print the run summary on stderr\n"
    "  -h, --help                print this help and exit\n"
    "  -V, --version             print the version and exit\n"
    "\n"
    "Environment: DMO_WIRE=binary has the effect of -B.\n"
    "Exit status: 0 ok, 1 rejects beyond the limit, 2 usage, 3 I/O error,\n"
    "4 key or authentication failure.\n";

enum {
	OPT_DISABLE_KEY = DMO_OPT_PROGRAM_BASE,
	OPT_DROP,
	OPT_KEY_ENV,
	OPT_KEY_FD,
	OPT_KEYGEN,
	OPT_LIST_KEYS,
	OPT_MASK_CHAR,
	OPT_MASK_DIGITS,
	OPT_MASK_KEEP,
	OPT_PASS_FD,
	OPT_PASS_FILE,
	OPT_POLICY,
	OPT_PROTECT,
	OPT_REWRAP,
	OPT_ROLE,
	OPT_ROTATE,
	OPT_STREAM,
	OPT_THREADS,
	OPT_WORK_FACTOR
};

static const struct option longopts[] = {
	{ "binary",		no_argument,		NULL, 'B' },
	{ "context",		required_argument,	NULL, 'c' },
	{ "decrypt",		required_argument,	NULL, 'D' },
	{ "deterministic",	required_argument,	NULL, 'd' },
	{ "disable-key",	required_argument,	NULL, OPT_DISABLE_KEY },
	{ "drop",		required_argument,	NULL, OPT_DROP },
	{ "duplicate-keys",	required_argument,	NULL, DMO_OPT_DUPLICATE_KEYS },
	{ "encrypt",		required_argument,	NULL, 'e' },
	{ "invalid-utf8",	required_argument,	NULL, DMO_OPT_INVALID_UTF8 },
	{ "key-env",		required_argument,	NULL, OPT_KEY_ENV },
	{ "key-fd",		required_argument,	NULL, OPT_KEY_FD },
	{ "key-file",		required_argument,	NULL, 'k' },
	{ "keygen",		no_argument,		NULL, OPT_KEYGEN },
	{ "list-keys",		no_argument,		NULL, OPT_LIST_KEYS },
	{ "mask",		required_argument,	NULL, 'm' },
	{ "mask-char",		required_argument,	NULL, OPT_MASK_CHAR },
	{ "mask-digits",	no_argument,		NULL, OPT_MASK_DIGITS },
	{ "mask-keep",		required_argument,	NULL, OPT_MASK_KEEP },
	{ "max-record-size",	required_argument,	NULL, DMO_OPT_MAX_RECORD_SIZE },
	{ "passphrase-fd",	required_argument,	NULL, OPT_PASS_FD },
	{ "passphrase-file",	required_argument,	NULL, OPT_PASS_FILE },
	{ "policy",		required_argument,	NULL, OPT_POLICY },
	{ "protect",		no_argument,		NULL, OPT_PROTECT },
	{ "pseudonymise",	required_argument,	NULL, 'p' },
	{ "redact",		required_argument,	NULL, 'r' },
	{ "rewrap",		required_argument,	NULL, OPT_REWRAP },
	{ "role",		required_argument,	NULL, OPT_ROLE },
	{ "rotate",		no_argument,		NULL, OPT_ROTATE },
	{ "stream",		required_argument,	NULL, OPT_STREAM },
	{ "threads",		required_argument,	NULL, OPT_THREADS },
	{ "work-factor",	required_argument,	NULL, OPT_WORK_FACTOR },
	DMO_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* A field rule from the command line, in the order given. */
struct rule {
	char		*glob;
	enum dmo_action	 act;
};

/* What happens to field i of the current shape. */
struct field_plan {
	enum dmo_action	 act;
	const char	*cls;		/* policy class, or NULL */
	int		 forbidden;	/* decryption the role may not do */
};

/*
 * A value computed for field i: bytes in scratch, or (inrec) bytes
 * appended to the record's own data, with their NUL.
 */
struct change {
	size_t		 i;
	enum dmo_type	 type;
	size_t		 off;
	size_t		 len;
	int		 drop;
	int		 inrec;
};

/* What a thread needs to compute new values: its sealer and buffers. */
struct hand {
	struct dmo_sealer	*sealer;
	struct dmo_buf		 scratch;
	struct dmo_buf		 tmp;
	struct change		*chg;
	size_t			 chgcap;
	/* The fields of shape act_shape that are not passed, in order. */
	size_t			*act;
	size_t			 nact;
	unsigned long		 act_shape;
	int			 act_valid;
};

/* A record of a batch (see batch_flush) and what became of it. */
struct slot {
	struct dmo_record	 rec;
	uint64_t		 nonce;		/* the first of its window */
	int			 failed;
	size_t			 bad;		/* the field at fault */
	struct dmo_err		 err;
	struct dmo_buf		 frame;		/* its binary frame, -B */
};

/*
 * A binary record frame of a batch, read but not decoded (see
 * frame_add), and what became of it.
 */
struct fslot {
	size_t			 off;		/* its payload in the arena */
	size_t			 len;
	unsigned long long	 foff;		/* dmo_frame_ref */
	unsigned long long	 recno;
	uint64_t		 nonce;		/* the first of its window */
	size_t			 out;		/* its sealed frame in outs */
	size_t			 outlen;
	int			 done;		/* else this thread redoes it */
};

/* Records gathered to be sealed together. */
struct batch {
	struct slot		*slots;
	size_t			 n;
	size_t			 bytes;		/* of values */
	size_t			 slots_hi;	/* slots ever used */
	int			 frames;	/* it holds fslots, not slots */
	struct fslot		*fs;
	struct dmo_buf		 arena;		/* the frames' payloads */
	size_t			 arena_hi;	/* the most it held */
	struct dmo_buf		*outs;		/* [chunk]: sealed frames */
};

/* What a pool thread decodes frames into: its own, and kept warm. */
struct deck {
	struct dmo_record	 rec;
	struct dmo_buf		 stack;
	char			 pad[64];	/* apart from the next */
};

/*
 * What the pool's threads read while they seal, apart on cache lines
 * of its own and not written during a run: the main thread writes
 * struct enc for every record, and a line it shares with what the
 * other threads read would go back and forth between CPUs.
 */
struct crew {
	const struct enc	*E;		/* its plan: not changed meanwhile */
	struct hand		**hands;	/* [thread] */
	struct slot		*slots;		/* of the batch in the pool */
	unsigned		 nonces;	/* a record's window */
	int			 encode;	/* -B, nothing dropped: frames */
	/* A batch of frames (frame_add): */
	struct fslot		*fs;
	const char		*arena;
	struct dmo_buf		*outs;
	const struct dmo_record	*names;	/* the frames' schema */
	struct deck		*decks;		/* [thread] */
};

#define CREW_SIZE	128	/* two cache lines: one and its pair */
_Static_assert(sizeof(struct crew) <= CREW_SIZE, "struct crew fits");

struct enc {
	struct dmo_run		 run;
	struct dmo_read_opts	 ropts;
	struct rule		*rules;
	size_t			 nrules;
	struct dmo_policy	*policy;
	const char		*key_file;
	const char		*key_env;
	int			 key_fd;
	const char		*pass_file;
	int			 pass_fd;
	const char		*context;
	size_t			 mask_keep;
	char			 mask_char[8];
	int			 mask_digits;
	struct dmo_keyset	*ks;
	struct hand		 hand;		/* this thread's */
	int			 threads;
	struct dmo_pool		*pool;		/* --threads: see batch_flush */
	struct hand		**hands;	/* [thread]: 0 is &hand */
	struct crew		*crew;
	struct batch		 batch[2];
	struct batch		*cur;		/* being read */
	struct batch		*fly;		/* being sealed, or NULL */
	int			 sealing;	/* the pool is at fly */
	size_t			 pending;	/* records read, not written */
	int			 encode;	/* -B output */
	int			 frames;	/* the plan takes frame_add */
	int			 try_frames;	/* read with next_frame */
	int			 discard;	/* a frame ended its source */
	struct dmo_reader	*r;		/* being read */
	struct dmo_record	 fnames;	/* the frames' names (crew) */
	struct dmo_record	 frec;		/* ... for the writer */
	struct dmo_writer	*w;
	struct dmo_out		*out;
	struct dmo_record	 rec;
	struct dmo_record	 outrec;
	unsigned long		 shape;
	struct field_plan	*plan;
	size_t			 nplan;
	int			 any_drop;
	int			 active;	/* some field is not passed */
	unsigned		 nonces;	/* fields that may need one */
};

/*
 * Wait for the pool to finish the batch it seals, if any: this thread
 * then has its sealer back and may end the run (see batch_flush).
 */
static void
pool_idle(struct enc *E)
{
	if (E->sealing) {
		dmo_pool_wait(E->pool);
		E->sealing = 0;
		dmo_sealer_no_window(E->hand.sealer);
	}
}

static void __attribute__((noreturn))
die(struct enc *E, const struct dmo_err *err)
{
	pool_idle(E);
	dmo_report(err);
	dmo_run_status(&E->run, err->code ? err->code : DMO_EXIT_IO);
	dmo_keyset_free(E->ks);
	E->ks = NULL;
	exit(dmo_run_finish(&E->run));
}

static void
add_rules(struct enc *E, const char *opt, const char *list,
    enum dmo_action act)
{
	const char *p = list, *comma;
	size_t n;

	for (;;) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n == 0)
			dmo_usage_error(&E->run, "option '%s': empty field name "
			    "in %s", opt, dmo_quote(list, strlen(list)));
		E->rules = dmo_xreallocarray(E->rules, E->nrules + 1,
		    sizeof(*E->rules));
		E->rules[E->nrules].glob = dmo_xmemdup(p, n);
		E->rules[E->nrules++].act = act;
		if (comma == NULL)
			return;
		p = comma + 1;
	}
}

/* One UTF-8 character, not a control character. */
static int
one_char(const char *s)
{
	size_t i, n = strlen(s), lead = 0;

	if (n == 0 || n > 4 || dmo_utf8_check(s, n) != n ||
	    (unsigned char)s[0] < 0x20 || s[0] == 0x7f)
		return 0;
	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			lead++;
	return lead == 1;
}

static int
parse_fd(const char *s)
{
	unsigned long long v;

	if (dmo_parse_ull(s, &v) != 0 || v > 1024 * 1024)
		return -1;
	return (int)v;
}

/*
 * The keyset text from the one source given.  The environment variable's
 * bytes are overwritten in place, so /proc/PID/environ no longer shows
 * them, and the variable is removed.
 */
static void
keyset_text(struct enc *E, struct dmo_buf *b, const char **name)
{
	struct dmo_err err;
	int n = (E->key_file != NULL) + (E->key_env != NULL) +
	    (E->key_fd >= 0);

	if (n == 0)
		dmo_usage_error(&E->run, "a keyset is needed: use --key-file, "
		    "--key-fd or --key-env");
	if (n > 1)
		dmo_usage_error(&E->run, "options '--key-file', '--key-fd' and "
		    "'--key-env' exclude each other");
	if (E->key_file != NULL) {
		*name = E->key_file;
		if (dmo_keyset_read_file(E->key_file, b, &err) != 0)
			die(E, &err);
	} else if (E->key_fd >= 0) {
		*name = "<key-fd>";
		if (dmo_keyset_read_fd(E->key_fd, *name, b, &err) != 0)
			die(E, &err);
		close(E->key_fd);
	} else {
		char *v = getenv(E->key_env);

		*name = E->key_env;
		if (v == NULL || *v == '\0') {
			dmo_err_set(&err, DMO_EXIT_USAGE, NULL, "environment "
			    "variable '%s' is not set", E->key_env);
			die(E, &err);
		}
		dmo_buf_add(b, v, strlen(v));
		dmo_crypto_wipe(v, strlen(v));
		unsetenv(E->key_env);
	}
}

/* The passphrase from --passphrase-file, --passphrase-fd or the terminal. */
static long
passphrase(struct enc *E, const char *prompt, char *buf)
{
	struct dmo_err err;
	long n;
	int fd;

	if (E->pass_file != NULL && E->pass_fd >= 0)
		dmo_usage_error(&E->run, "options '--passphrase-file' and "
		    "'--passphrase-fd' exclude each other");
	if (E->pass_file != NULL) {
		struct stat st;

		if ((fd = open(E->pass_file, O_RDONLY | O_CLOEXEC)) < 0) {
			dmo_err_sys(&err, DMO_EXIT_IO, NULL, "%s",
			    E->pass_file);
			die(E, &err);
		}
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    (st.st_mode & 077) != 0) {
			dmo_err_set(&err, DMO_EXIT_CRYPTO, NULL, "%s: "
			    "passphrase file is accessible by group or others "
			    "(mode %04o): chmod 600 it", E->pass_file,
			    (unsigned)(st.st_mode & 07777));
			die(E, &err);
		}
		n = dmo_passphrase_fd(fd, E->pass_file, buf, &err);
		close(fd);
	} else if (E->pass_fd >= 0) {
		n = dmo_passphrase_fd(E->pass_fd, "<passphrase-fd>", buf, &err);
		close(E->pass_fd);
	} else
		n = dmo_passphrase_tty(prompt, buf, &err);
	if (n < 0)
		die(E, &err);
	return n;
}

/* Load the keyset; *pass keeps the passphrase when it is protected. */
static struct dmo_keyset *
load_keys(struct enc *E, char *pass, long *passlen)
{
	struct dmo_buf b = DMO_BUF_INIT;
	struct dmo_keyset *ks;
	struct dmo_err err;
	const char *name;

	*passlen = -1;
	keyset_text(E, &b, &name);
	if (dmo_keyset_is_protected(b.p, b.len))
		*passlen = passphrase(E, "keyset passphrase: ", pass);
	ks = dmo_keyset_parse(b.p, b.len, name, *passlen >= 0 ? pass : NULL,
	    *passlen >= 0 ? (size_t)*passlen : 0, &err);
	dmo_crypto_wipe(b.p, b.cap);
	dmo_buf_release(&b);
	if (ks == NULL)
		die(E, &err);
	return ks;
}

enum keyop {
	OP_NONE,
	OP_KEYGEN,
	OP_ROTATE,
	OP_LIST,
	OP_DISABLE
};

static int
key_management(struct enc *E, enum keyop op, const char *disable_id,
    int protect, int log2n)
{
	char pass[DMO_PASSPHRASE_MAX + 1], again[DMO_PASSPHRASE_MAX + 1];
	struct dmo_buf text = DMO_BUF_INIT;
	struct dmo_err err;
	struct dmo_keyset *ks;
	long passlen = -1;
	size_t i;
	int rc;

	if (E->key_file == NULL)
		dmo_usage_error(&E->run, "option '--%s' needs --key-file",
		    op == OP_KEYGEN ? "keygen" : op == OP_ROTATE ? "rotate" :
		    op == OP_LIST ? "list-keys" : "disable-key");
	if (op == OP_KEYGEN) {
		if (log2n == 0)
			log2n = DMO_SCRYPT_LOG2N;
		if ((ks = dmo_keyset_generate(&err)) == NULL)
			die(E, &err);
		if (protect) {
			passlen = passphrase(E, "new keyset passphrase: ", pass);
			if (E->pass_file == NULL && E->pass_fd < 0) {
				long n = passphrase(E, "again: ", again);

				if (n != passlen || !dmo_crypto_equal(pass,
				    again, (size_t)n)) {
					dmo_err_set(&err, DMO_EXIT_USAGE, NULL,
					    "the passphrases differ");
					die(E, &err);
				}
			}
		}
	} else {
		ks = load_keys(E, pass, &passlen);
		/* A protected keyset keeps its cost unless told otherwise. */
		if (passlen >= 0 && log2n == 0)
			log2n = ks->log2n < DMO_SCRYPT_MIN_LOG2N ?
			    DMO_SCRYPT_MIN_LOG2N : ks->log2n;
	}
	E->ks = ks;
	if (op == OP_LIST) {
		printf("id\tstatus\tcreated\talgorithm\n");
		for (i = 0; i < ks->n; i++)
			printf("%s\t%s\t%s\tdmo-v1\n", ks->keys[i].idhex,
			    dmo_key_status_name(ks->keys[i].status),
			    ks->keys[i].created);
		rc = 0;
	} else {
		if (op == OP_ROTATE && dmo_keyset_rotate(ks, &err) != 0)
			die(E, &err);
		if (op == OP_DISABLE && dmo_keyset_set_status(ks, disable_id,
		    DMO_KEY_DISABLED, &err) != 0)
			die(E, &err);
		rc = dmo_keyset_format(ks, passlen >= 0 ? pass : NULL,
		    passlen >= 0 ? (size_t)passlen : 0, log2n, &text, &err);
		if (rc == 0)
			rc = dmo_keyset_write(E->key_file, op == OP_KEYGEN,
			    &text, &err);
		dmo_crypto_wipe(text.p, text.cap);
		dmo_buf_release(&text);
		if (rc != 0)
			die(E, &err);
		if (E->run.verbose)
			dmo_warnx("%s: primary key %s", E->key_file,
			    dmo_keyset_primary(ks)->idhex);
	}
	dmo_crypto_wipe(pass, sizeof(pass));
	dmo_crypto_wipe(again, sizeof(again));
	dmo_keyset_free(ks);
	E->ks = NULL;
	return dmo_run_finish(&E->run);
}

static int
stream_mode(struct enc *E, const char *mode, int argc, char **argv)
{
	char pass[DMO_PASSPHRASE_MAX + 1];
	const char *name = "<stdin>";
	struct dmo_err err;
	long passlen;
	int fd = STDIN_FILENO, rc, decrypt;

	if (strcmp(mode, "encrypt") == 0)
		decrypt = 0;
	else if (strcmp(mode, "decrypt") == 0)
		decrypt = 1;
	else
		dmo_usage_error(&E->run, "option '--stream': not encrypt or "
		    "decrypt: %s", dmo_quote(mode, strlen(mode)));
	if (argc > 1)
		dmo_usage_error(&E->run, "option '--stream' takes one file");
	if (E->nrules > 0 || E->policy != NULL)
		dmo_usage_error(&E->run, "option '--stream' takes no field "
		    "options and no policy");
	E->ks = load_keys(E, pass, &passlen);
	dmo_crypto_wipe(pass, sizeof(pass));
	if (argc == 1 && strcmp(argv[0], "-") != 0) {
		struct stat st;

		name = argv[0];
		if ((fd = open(name, O_RDONLY | O_CLOEXEC)) < 0) {
			dmo_err_sys(&err, DMO_EXIT_IO, NULL, "%s", name);
			die(E, &err);
		}
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			errno = EISDIR;
			dmo_err_sys(&err, DMO_EXIT_IO, NULL, "%s", name);
			die(E, &err);
		}
	}
	dmo_io_grow_pipe(STDOUT_FILENO);
	E->out = dmo_out_new(STDOUT_FILENO, "<stdout>");
	rc = decrypt ? dmo_stream_decrypt(E->ks, fd, name, E->out, &err) :
	    dmo_stream_encrypt(E->ks, fd, name, E->out, &err);
	if (rc != 0) {
		dmo_report(&err);
		dmo_run_status(&E->run, err.code);
	}
	if (dmo_out_flush(E->out, &err) != 0) {
		dmo_report(&err);
		dmo_run_status(&E->run, DMO_EXIT_IO);
	}
	if (fd != STDIN_FILENO)
		close(fd);
	E->run.bytes_out = E->out->bytes;
	dmo_out_free(E->out);
	dmo_keyset_free(E->ks);
	E->ks = NULL;
	return dmo_run_finish(&E->run);
}

/* Work out what happens to each field of a new shape. */
static void
plan_shape(struct enc *E, const struct dmo_record *r)
{
	size_t i, j, n = dmo_record_count(r);

	if (n > E->nplan) {
		free(E->plan);
		E->plan = dmo_xcalloc(n, sizeof(*E->plan));
		E->nplan = n;
	}
	E->any_drop = 0;
	E->active = 0;
	E->nonces = 0;
	for (i = 0; i < n; i++) {
		const char *name = dmo_record_name(r, i, NULL);
		struct field_plan *p = &E->plan[i];

		p->act = DMO_ACT_PASS;
		p->cls = NULL;
		p->forbidden = 0;
		for (j = 0; j < E->nrules; j++)
			if (fnmatch(E->rules[j].glob, name, 0) == 0)
				break;
		if (E->policy != NULL)
			p->cls = dmo_policy_class(E->policy, name);
		if (j < E->nrules)
			p->act = E->rules[j].act;
		else if (E->policy != NULL)
			p->act = dmo_policy_action(E->policy, p->cls);
		if (p->act == DMO_ACT_DECRYPT && E->policy != NULL &&
		    !dmo_policy_may_decrypt(E->policy, p->cls))
			p->forbidden = 1;
		if (p->act == DMO_ACT_DROP)
			E->any_drop = 1;
		if (p->act != DMO_ACT_PASS)
			E->active = 1;
		/* A rewrapped value is randomised again if it was. */
		if (p->act == DMO_ACT_ENCRYPT || p->act == DMO_ACT_REWRAP)
			E->nonces++;
	}
	E->shape = r->shape;
	E->frames = E->threads > 1 && E->encode && E->hand.sealer != NULL &&
	    E->active && !E->any_drop;
	E->try_frames = E->frames;
}

/*
 * Mask text: every character (or, with --mask-digits, every digit) but
 * the last mask_keep is replaced by the mask character.  A value with no
 * more than mask_keep of them is masked whole: nothing is shown.  A
 * character is a byte that does not continue one with the bytes that
 * continue it, so the characters masked are always the first ones, and
 * what is kept is copied in one piece; digits are masked in place, the
 * text between them copied a run at a time.
 */
static void
mask(const struct enc *E, const char *v, size_t len, struct dmo_buf *out)
{
	const unsigned char *u = (const unsigned char *)v;
	size_t i, k, run, total = 0, hide, mlen = strlen(E->mask_char);

	for (i = 0; i < len; i++)
		if (E->mask_digits ? (u[i] >= '0' && u[i] <= '9') :
		    (u[i] & 0xc0) != 0x80)
			total++;
	hide = total <= E->mask_keep ? total : total - E->mask_keep;
	dmo_buf_grow(out, len + hide * mlen);
	if (E->mask_digits) {
		for (i = run = 0, k = hide; i < len && k > 0; i++)
			if (u[i] >= '0' && u[i] <= '9') {
				dmo_buf_add(out, v + run, i - run);
				dmo_buf_add(out, E->mask_char, mlen);
				run = i + 1;
				k--;
			}
		dmo_buf_add(out, v + run, len - run);
		return;
	}
	/* Bytes that continue no character, at the start, are kept. */
	for (i = 0; i < len && (u[i] & 0xc0) == 0x80; i++)
		continue;
	dmo_buf_add(out, v, i);
	for (k = 0; k < hide; k++) {
		for (i++; i < len && (u[i] & 0xc0) == 0x80; i++)
			continue;
		if (mlen == 1)
			out->p[out->len++] = E->mask_char[0];
		else
			dmo_buf_add(out, E->mask_char, mlen);
	}
	dmo_buf_add(out, v + i, len - i);
}

static void
reject(struct enc *E, struct dmo_record *r, struct dmo_err *err, size_t i,
    const char *v, size_t vlen)
{
	char why[sizeof(err->msg)];

	pool_idle(E);
	memcpy(why, err->msg, sizeof(why));
	dmo_err_set(err, err->code, &r->loc, "field '%.100s': %.300s: %s",
	    dmo_record_name(r, i, NULL), why, dmo_quote(v, vlen));
	dmo_run_reject(&E->run, err, r, NULL, 0);
	if (err->code == DMO_EXIT_CRYPTO)
		dmo_run_status(&E->run, DMO_EXIT_CRYPTO);
}

/*
 * Compute the new value of field i of r into h->scratch, or for the
 * sealing actions (most values of most runs) into r->data after its
 * values, where dmo_record_set_built takes them without a copy.  0, 1
 * (no change), -1.  E is only read: worker threads call this too.
 */
static int
apply(const struct enc *E, struct hand *h, struct dmo_record *r,
    size_t i, struct change *c, struct dmo_err *err)
{
	const struct field_plan *p = &E->plan[i];
	enum dmo_type t = dmo_record_type(r, i), ot;
	enum dmo_seal_mode mode;
	size_t nlen, vlen;
	const char *name = dmo_record_name(r, i, &nlen);
	const char *v = dmo_record_value(r, i, &vlen);

	c->i = i;
	c->off = h->scratch.len;
	c->type = DMO_STRING;
	c->drop = 0;
	c->inrec = 0;
	switch (p->act) {
	case DMO_ACT_PASS:
		return 1;
	case DMO_ACT_ENCRYPT:
	case DMO_ACT_DETERM:
		/* v lies in r->data: dmo_seal allows that (seal.h). */
		c->inrec = 1;
		c->off = r->data.len;
		if (dmo_seal(h->sealer, p->act == DMO_ACT_ENCRYPT ?
		    DMO_SEAL_RANDOM : DMO_SEAL_DETERM, name, nlen, t, v, vlen,
		    &r->data, err) != 0)
			return -1;
		c->len = r->data.len - c->off;
		dmo_buf_addc(&r->data, '\0');
		return 0;
	case DMO_ACT_PSEUDO:
		if (t == DMO_NULL)
			return 1;
		if (dmo_seal_pseudonym(h->sealer, t, v, vlen, &h->scratch,
		    err) != 0)
			return -1;
		break;
	case DMO_ACT_MASK:
		if (t == DMO_NULL)
			return 1;
		if (t == DMO_TRUE || t == DMO_FALSE) {
			v = t == DMO_TRUE ? "true" : "false";
			vlen = strlen(v);
		}
		mask(E, v, vlen, &h->scratch);
		break;
	case DMO_ACT_REDACT:
		c->type = DMO_NULL;
		break;
	case DMO_ACT_DROP:
		c->drop = 1;
		break;
	case DMO_ACT_DECRYPT:
		if (p->forbidden) {
			dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "role '%s' may "
			    "not decrypt class '%s'",
			    dmo_policy_role(E->policy), p->cls);
			return -1;
		}
		if (t != DMO_STRING) {
			dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "not a "
			    "dmo-encrypt ciphertext (a %s)", dmo_type_name(t));
			return -1;
		}
		if (dmo_seal_open(h->sealer, name, nlen, v, vlen, &c->type,
		    &mode, &h->scratch, err) != 0)
			return -1;
		break;
	case DMO_ACT_REWRAP:
		if (t != DMO_STRING) {
			dmo_err_set(err, DMO_EXIT_CRYPTO, NULL, "not a "
			    "dmo-encrypt ciphertext (a %s)", dmo_type_name(t));
			return -1;
		}
		h->tmp.len = 0;
		if (dmo_seal_open(h->sealer, name, nlen, v, vlen, &ot, &mode,
		    &h->tmp, err) != 0)
			return -1;
		if (dmo_seal(h->sealer, mode, name, nlen, ot, h->tmp.p,
		    h->tmp.len, &h->scratch, err) != 0) {
			dmo_crypto_wipe(h->tmp.p, h->tmp.len);
			return -1;
		}
		dmo_crypto_wipe(h->tmp.p, h->tmp.len);
		break;
	}
	c->len = h->scratch.len - c->off;
	return 0;
}

/*
 * The fields of the current shape that are not passed, kept by each
 * hand until the shape changes: a record's loop then visits only them.
 * E->shape and E->plan do not change while threads compute.
 */
static void
hand_plan(const struct enc *E, struct hand *h, size_t n)
{
	size_t i;

	if (h->act_valid && h->act_shape == E->shape)
		return;
	free(h->act);
	h->act = dmo_xcalloc(n > 0 ? n : 1, sizeof(*h->act));
	h->nact = 0;
	for (i = 0; i < n; i++)
		if (E->plan[i].act != DMO_ACT_PASS)
			h->act[h->nact++] = i;
	h->act_shape = E->shape;
	h->act_valid = 1;
}

/*
 * The new values of r by the plan, set in r (dropped fields keep their
 * value; emit leaves them out).  0, or -1 with err set and *bad the
 * field at fault, r unchanged.  Worker threads call this too.
 */
static int
compute(const struct enc *E, struct hand *h, struct dmo_record *r,
    size_t *bad, struct dmo_err *err)
{
	size_t i, k, n = dmo_record_count(r), nchg = 0, end = r->data.len;
	struct change *c;
	int rc, decrypted = 0;

	if (n > h->chgcap) {
		free(h->chg);
		h->chg = dmo_xcalloc(n, sizeof(*h->chg));
		h->chgcap = n;
	}
	hand_plan(E, h, n);
	h->scratch.len = 0;
	for (k = 0; k < h->nact; k++) {
		i = h->act[k];
		rc = apply(E, h, r, i, &h->chg[nchg], err);
		if (rc < 0) {
			dmo_crypto_wipe(h->scratch.p, h->scratch.len);
			/* Values sealed into r->data: r is left as it was. */
			r->data.len = end;
			*bad = i;
			return -1;
		}
		if (rc == 0) {
			if (E->plan[i].act == DMO_ACT_DECRYPT)
				decrypted = 1;
			nchg++;
		}
	}
	for (c = h->chg; c < h->chg + nchg; c++)
		if (c->inrec)
			dmo_record_set_built(r, c->i, c->type, c->off, c->len);
		else if (!c->drop)
			dmo_record_set(r, c->i, c->type, h->scratch.p + c->off,
			    c->len);
	/* The record holds the plaintext now; no second copy lingers. */
	if (decrypted)
		dmo_crypto_wipe(h->scratch.p, h->scratch.len);
	return 0;
}

static void __attribute__((noreturn))
write_failed(struct enc *E, const struct dmo_err *err)
{
	die(E, err);
}

/* Write r, without its dropped fields. */
static void
emit(struct enc *E, struct dmo_record *r)
{
	const struct dmo_record *w = r;
	struct dmo_err err;
	size_t i, n = dmo_record_count(r);
	int rc;

	if (E->any_drop) {
		dmo_record_reset(&E->outrec);
		for (i = 0; i < n; i++) {
			size_t nl, vl;
			const char *nm = dmo_record_name(r, i, &nl);
			const char *v = dmo_record_value(r, i, &vl);

			if (E->plan[i].act == DMO_ACT_DROP)
				continue;
			dmo_record_add(&E->outrec, nm, nl,
			    dmo_record_type(r, i), v, vl);
		}
		E->outrec.loc = r->loc;
		E->outrec.recno = r->recno;
		if (dmo_record_finish(&E->outrec, DMO_DUP_FIRST, &err) != 0) {
			reject(E, r, &err, 0, "", 0);
			return;
		}
		w = &E->outrec;
	}
	rc = dmo_writer_write(E->w, w, &err);
	if (rc == 0)
		E->run.out++;
	else if (rc == -1) {
		if (err.loc.file == NULL)
			err.loc = r->loc;
		pool_idle(E);
		dmo_run_reject(&E->run, &err, r, NULL, 0);
	} else
		write_failed(E, &err);
}

/* One record, in this thread (inlined in the loop of encrypt_one). */
static inline __attribute__((always_inline)) void
process(struct enc *E)
{
	struct dmo_err err;
	size_t bad, vlen;
	const char *v;

	if (compute(E, &E->hand, &E->rec, &bad, &err) != 0) {
		v = dmo_record_value(&E->rec, bad, &vlen);
		reject(E, &E->rec, &err, bad, v, vlen);
		return;
	}
	emit(E, &E->rec);
}

/*
 * Parallel sealing (--threads).  Records whose shape has fields to
 * protect are gathered into a batch (BATCH_RECORDS, or BATCH_BYTES of
 * values).  A full batch is handed to the pool, whose helper threads
 * seal it, CHUNK records at a time, while this thread writes the batch
 * before it and reads the next; then this thread seals what is left of
 * the batch in the pool, and writes it.  Batches are written in order,
 * rejects included, so the output is what one thread writes.  Nonces
 * stay in record order: as a batch is handed over this thread reserves
 * the batch's nonces of the run's data key (seal.h) and gives each
 * record a window of its own, one nonce per field that may be sealed
 * randomised.  Helper threads use helper sealers, which share the data
 * key.  With -B the pool encodes the sealed records' frames as well,
 * so that this thread's writer only copies them (format.h).
 *
 * Records are not copied into a batch: the record just read is swapped
 * with the batch slot's, so the reader gets back a record with the same
 * names and shape (the binary reader's fast path needs that; a slot of
 * another shape is made alike by one copy first).
 *
 * Both batches are written before anything that must keep its place: a
 * control frame, a bad record, a record of another shape (its plan is
 * another: the pool reads the plan), the end of a file, and whenever
 * the input is about to block (dmo_io_on_wait), so records still reach
 * the next program without waiting for a full batch.  Before this
 * thread reports a reject or dies it waits for the pool: a reject may
 * end the run (--max-rejects), and the keys must outlive the sealing.
 */
#define BATCH_RECORDS	2048	/* fewer hand-overs; two stay in the caches */
#define BATCH_BYTES	((size_t)2 << 20)
#define CHUNK		32
#define SLOT_KEEP	((size_t)4 << 10)	/* bigger buffers are freed */

/* Seal slots [begin, end) of the batch in the pool (a pool function). */
static void
seal_slots(void *arg, int t, size_t begin, size_t end)
{
	const struct crew *w = arg;
	struct hand *h = w->hands[t];
	struct slot *s;
	size_t i;

	for (i = begin; i < end; i++) {
		s = &w->slots[i];
		dmo_sealer_window(h->sealer, s->nonce, w->nonces);
		s->failed = compute(w->E, h, &s->rec, &s->bad, &s->err) != 0;
		if (!s->failed && w->encode)
			(void)dmo_frame_encode(&s->rec, &s->frame);
	}
}

/*
 * Binary input, binary output (the common case between dmo programs):
 * this thread does not decode the records of a batch.  It only cuts
 * the input into record frames (dmo_reader_next_frame) and copies their
 * payloads one after another into the batch's arena; a pool thread
 * decodes each into a record of its own (the same one for every record,
 * so it stays in that thread's caches), seals it and encodes its frame
 * after the others of its chunk in outs[chunk]; this thread copies the
 * frames out in order.  So a record's bytes cross between CPUs twice,
 * in two long runs, and no buffer is written by one thread and then
 * rewritten by the other.  A frame that the pool could not do whole (a
 * bad value, a value that fails to seal, a record too large for a
 * frame) is redone here in order, from its payload, as one thread does
 * it: decoded as dmo_reader_next would have, sealed in its own window.
 */

/* Seal frames [begin, end) of the batch in the pool (a pool function). */
static void
seal_frames(void *arg, int t, size_t begin, size_t end)
{
	const struct crew *w = arg;
	struct hand *h = w->hands[t];
	struct deck *d = &w->decks[t];
	struct dmo_buf *o = &w->outs[begin / CHUNK];
	struct fslot *s;
	struct dmo_err err;
	size_t i, bad;

	o->len = 0;
	if (d->rec.shape != w->names->shape) {
		dmo_record_copy(&d->rec, w->names);
		d->rec.shape = w->names->shape;
	}
	for (i = begin; i < end; i++) {
		s = &w->fs[i];
		s->done = 0;
		if (dmo_frame_decode(w->arena + s->off, s->len, &d->rec,
		    &d->stack) != 0)
			continue;
		dmo_sealer_window(h->sealer, s->nonce, w->nonces);
		if (compute(w->E, h, &d->rec, &bad, &err) != 0)
			continue;
		s->out = o->len;
		if (dmo_frame_append(&d->rec, o) != 0)
			continue;
		s->outlen = o->len - s->out;
		s->done = 1;
	}
}

/*
 * Make room for n more bytes in the arena of b; its old bytes are
 * wiped, as far as they were used (wiping untouched pages faults them
 * in).
 */
static void
arena_grow(struct batch *b, size_t n)
{
	struct dmo_buf nb = DMO_BUF_INIT;
	struct dmo_buf *a = &b->arena;

	if (a->cap - a->len > n)
		return;
	dmo_buf_grow(&nb, 2 * (a->len + n) > ((size_t)64 << 10) ?
	    2 * (a->len + n) : (size_t)64 << 10);
	if (a->len > 0)
		memcpy(nb.p, a->p, a->len);
	nb.len = a->len;
	dmo_crypto_wipe(a->p, b->arena_hi);
	dmo_buf_release(a);
	*a = nb;
}

/* Redo frame s of b here, in order (see above). */
static void
frame_redo(struct enc *E, struct batch *b, const struct fslot *s)
{
	struct dmo_frame_ref f;
	struct dmo_err err;
	int rc;

	f.payload = b->arena.p + s->off;
	f.len = s->len;
	f.foff = s->foff;
	f.recno = s->recno;
	rc = dmo_reader_decode_frame(E->r, &f, &E->rec, &err);
	if (rc == DMO_READ_RECORD) {
		E->run.in++;
		dmo_sealer_window(E->hand.sealer, s->nonce, E->nonces);
		process(E);
		dmo_sealer_no_window(E->hand.sealer);
	} else if (rc == DMO_READ_BAD)
		dmo_run_reject_read(&E->run, E->r, &err);
	else {
		/* Its source ends here: the frames after it were not read. */
		dmo_run_error(&E->run, &err);
		E->discard = 1;
	}
}

/* Write batch b of frames, sealed, in order; it is then empty. */
static void
frames_write(struct enc *E, struct batch *b)
{
	struct fslot *s;
	size_t i, n = b->n;

	b->n = 0;
	b->bytes = 0;
	for (i = 0; i < n; i++) {
		s = &b->fs[i];
		E->pending--;
		if (E->discard)
			continue;
		if (!s->done) {
			frame_redo(E, b, s);
			continue;
		}
		E->run.in++;
		E->frec.frame = b->outs[i / CHUNK].p + s->out;
		E->frec.framelen = s->outlen;
		emit(E, &E->frec);
	}
	b->arena.len = 0;
	if (E->pending == 0)
		E->discard = 0;
}

/* Wipe and free what a slot holds beyond SLOT_KEEP. */
static void
slot_trim(struct slot *s)
{
	if (s->rec.data.cap > SLOT_KEEP) {
		dmo_crypto_wipe(s->rec.data.p, s->rec.data.cap);
		dmo_record_release(&s->rec);
		dmo_record_init(&s->rec);
	}
	if (s->frame.cap > SLOT_KEEP) {
		dmo_crypto_wipe(s->frame.p, s->frame.cap);
		dmo_buf_release(&s->frame);
	}
	/* Its frame is gone with the batch, or soon overwritten. */
	s->rec.frame = NULL;
}

/* Write batch b, sealed, in order; it is then empty. */
static void
batch_write(struct enc *E, struct batch *b)
{
	struct slot *s;
	size_t i, n = b->n, vlen;

	if (b->frames) {
		frames_write(E, b);
		return;
	}
	/* Empty first: a reject may end the run (--max-rejects). */
	b->n = 0;
	b->bytes = 0;
	for (i = 0; i < n; i++) {
		s = &b->slots[i];
		E->pending--;
		if (s->failed) {
			const char *v = dmo_record_value(&s->rec, s->bad,
			    &vlen);

			reject(E, &s->rec, &s->err, s->bad, v, vlen);
		} else
			emit(E, &s->rec);
		slot_trim(s);
	}
}

/* Finish sealing the batch in the pool, if any, and write it. */
static void
batch_land(struct enc *E)
{
	struct batch *b = E->fly;

	if (b == NULL)
		return;
	pool_idle(E);
	E->fly = NULL;
	batch_write(E, b);
}

/*
 * The batch being read is full: hand it to the pool, write the one
 * before (the pool sealed it meanwhile), and read into that one.
 */
static void
batch_ship(struct enc *E)
{
	struct batch *b = E->fly;
	struct dmo_err err;
	uint64_t first = 0;
	size_t i;
	int t;

	pool_idle(E);
	/* Every sealer is idle: nonces are handed out in input order. */
	if (E->nonces > 0 && dmo_sealer_reserve(E->hand.sealer,
	    (uint64_t)E->nonces * E->cur->n, &first, &err) != 0)
		die(E, &err);
	for (i = 0; i < E->cur->n; i++)
		if (E->cur->frames)
			E->cur->fs[i].nonce = first + (uint64_t)i * E->nonces;
		else
			E->cur->slots[i].nonce = first + (uint64_t)i * E->nonces;
	for (t = 1; t < E->threads; t++)
		if (dmo_sealer_sync(E->hands[t]->sealer, &err) != 0)
			die(E, &err);
	E->fly = E->cur;
	E->crew->slots = E->fly->slots;
	E->crew->nonces = E->nonces;
	E->crew->encode = E->encode && !E->any_drop;
	if (E->fly->frames) {
		E->crew->fs = E->fly->fs;
		E->crew->arena = E->fly->arena.p;
		E->crew->outs = E->fly->outs;
		E->crew->names = &E->fnames;
	}
	dmo_pool_start(E->pool, E->fly->n, CHUNK, E->fly->frames ?
	    seal_frames : seal_slots, E->crew);
	E->sealing = 1;
	if (b != NULL)
		batch_write(E, b);
	else
		b = E->fly == &E->batch[0] ? &E->batch[1] : &E->batch[0];
	E->cur = b;
}

/* Write every record read (called once a record: inline). */
static inline void
batch_flush(struct enc *E)
{
	if (E->pending > 0) {
		batch_land(E);
		if (E->cur->n > 0) {
			batch_ship(E);
			batch_land(E);
		}
	}
}

/* The input is about to block: write what the batches hold. */
static void
batch_on_wait(void *arg)
{
	struct enc *E = arg;
	struct dmo_err err;

	if (E->pending == 0)
		return;
	batch_flush(E);
	if (dmo_out_flush(E->out, &err) != 0)
		write_failed(E, &err);
}

static void
pool_start(struct enc *E)
{
	struct dmo_err err;
	void *mem;
	int t;

	E->pool = dmo_pool_new(E->threads);
	E->threads = dmo_pool_threads(E->pool);
	E->hands = dmo_xcalloc((size_t)E->threads, sizeof(*E->hands));
	E->hands[0] = &E->hand;
	for (t = 1; t < E->threads; t++) {
		E->hands[t] = dmo_xcalloc(1, sizeof(**E->hands));
		if ((E->hands[t]->sealer = dmo_sealer_helper(E->hand.sealer,
		    &err)) == NULL)
			die(E, &err);
	}
	if (posix_memalign(&mem, CREW_SIZE, CREW_SIZE) != 0)
		mem = dmo_xmalloc(CREW_SIZE);	/* apart or not, it works */
	E->crew = memset(mem, 0, CREW_SIZE);
	E->crew->E = E;
	E->crew->hands = E->hands;
	for (t = 0; t < 2; t++) {
		E->batch[t].slots = dmo_xcalloc(BATCH_RECORDS,
		    sizeof(struct slot));
		E->batch[t].fs = dmo_xcalloc(BATCH_RECORDS,
		    sizeof(struct fslot));
		E->batch[t].outs = dmo_xcalloc(BATCH_RECORDS / CHUNK,
		    sizeof(struct dmo_buf));
	}
	if (posix_memalign(&mem, 64, (size_t)E->threads *
	    sizeof(struct deck)) != 0)
		mem = dmo_xmalloc((size_t)E->threads * sizeof(struct deck));
	E->crew->decks = memset(mem, 0, (size_t)E->threads *
	    sizeof(struct deck));
	for (t = 0; t < E->threads; t++)
		dmo_record_init(&E->crew->decks[t].rec);
	E->cur = &E->batch[0];
	dmo_io_on_wait(batch_on_wait, E);
}

static void
hand_release(struct hand *h)
{
	dmo_crypto_wipe(h->scratch.p, h->scratch.cap);
	dmo_buf_release(&h->scratch);
	dmo_crypto_wipe(h->tmp.p, h->tmp.cap);
	dmo_buf_release(&h->tmp);
	free(h->chg);
	h->chg = NULL;
	h->chgcap = 0;
	free(h->act);
	h->act = NULL;
	h->act_valid = 0;
}

static void
pool_stop(struct enc *E)
{
	struct slot *s;
	size_t i;
	int t;

	if (E->pool == NULL)
		return;
	pool_idle(E);
	dmo_pool_free(E->pool);
	E->pool = NULL;
	for (t = 1; t < E->threads; t++) {
		dmo_sealer_free(E->hands[t]->sealer);
		hand_release(E->hands[t]);
		free(E->hands[t]);
	}
	free(E->hands);
	for (t = 0; t < E->threads; t++) {
		struct deck *d = &E->crew->decks[t];

		dmo_crypto_wipe(d->rec.data.p, d->rec.data.cap);
		dmo_record_release(&d->rec);
		dmo_buf_release(&d->stack);
	}
	free(E->crew->decks);
	free(E->crew);
	for (t = 0; t < 2; t++) {
		/* Not those never used: reading them would fault them in. */
		for (i = 0; i < E->batch[t].slots_hi; i++) {
			s = &E->batch[t].slots[i];
			dmo_crypto_wipe(s->rec.data.p, s->rec.data.cap);
			dmo_record_release(&s->rec);
			dmo_crypto_wipe(s->frame.p, s->frame.cap);
			dmo_buf_release(&s->frame);
		}
		free(E->batch[t].slots);
		free(E->batch[t].fs);
		dmo_crypto_wipe(E->batch[t].arena.p, E->batch[t].arena_hi);
		dmo_buf_release(&E->batch[t].arena);
		for (i = 0; i < BATCH_RECORDS / CHUNK; i++) {
			struct dmo_buf *o = &E->batch[t].outs[i];

			dmo_crypto_wipe(o->p, o->cap);
			dmo_buf_release(o);
		}
		free(E->batch[t].outs);
	}
}

/* Add the record just read to the batch (see above). */
static void
batch_add(struct enc *E)
{
	struct batch *b;
	struct slot *s;
	struct dmo_record t;

	if (E->pool == NULL)
		pool_start(E);
	if (E->cur->n > 0 && E->cur->frames)
		batch_flush(E);
	b = E->cur;
	b->frames = 0;
	s = &b->slots[b->n];
	if (s->rec.shape != E->rec.shape) {
		dmo_record_copy(&s->rec, &E->rec);
		s->rec.shape = E->rec.shape;	/* the same names */
	}
	t = s->rec;
	s->rec = E->rec;
	E->rec = t;
	/*
	 * Its frame is the reader's, gone by the time it is written; the
	 * one the reader gets back may point at the slot's (-B).
	 */
	s->rec.frame = NULL;
	E->rec.frame = NULL;
	E->pending++;
	b->n++;
	if (b->n > b->slots_hi)
		b->slots_hi = b->n;
	b->bytes += s->rec.data.len;
	if (b->n == BATCH_RECORDS || b->bytes >= BATCH_BYTES)
		batch_ship(E);
}

/* Add the frame just read to the batch (see seal_frames). */
static void
frame_add(struct enc *E, const struct dmo_frame_ref *f)
{
	struct batch *b;
	struct fslot *s;

	if (E->pool == NULL)
		pool_start(E);
	if (E->cur->n > 0 && !E->cur->frames)
		batch_flush(E);
	b = E->cur;
	b->frames = 1;
	s = &b->fs[b->n];
	s->off = b->arena.len;
	s->len = f->len;
	s->foff = f->foff;
	s->recno = f->recno;
	arena_grow(b, f->len);
	memcpy(b->arena.p + b->arena.len, f->payload, f->len);
	b->arena.len += f->len;
	if (b->arena.len > b->arena_hi)
		b->arena_hi = b->arena.len;
	E->pending++;
	b->n++;
	b->bytes += f->len;
	if (b->n == BATCH_RECORDS || b->bytes >= BATCH_BYTES)
		batch_ship(E);
}

/*
 * The next record, or with frame_add in view (binary input, a plan
 * that takes it) the next record frame undecoded.  A frame that the
 * plan of its names does not take is decoded here and goes as a record.
 */
static int
next_input(struct enc *E, struct dmo_reader *r, struct dmo_err *err)
{
	struct dmo_frame_ref f;
	const struct dmo_record *names;
	int rc;

	if (!E->try_frames)
		return dmo_reader_next(r, &E->rec, err);
	for (;;) {
		rc = dmo_reader_next_frame(r, E->pending > 0, &E->rec, &f,
		    err);
		if (rc == DMO_READ_SYNC) {
			batch_flush(E);
			continue;
		}
		if (rc != DMO_READ_FRAME)
			return rc;
		dmo_run_tick(&E->run);
		names = dmo_reader_schema(r);
		if (names->shape != E->shape || E->plan == NULL) {
			batch_flush(E);
			plan_shape(E, names);
			dmo_record_copy(&E->fnames, names);
			E->fnames.shape = names->shape;
			dmo_record_copy(&E->frec, names);
			E->frec.shape = names->shape;
		}
		if (E->frames) {
			frame_add(E, &f);
			continue;
		}
		batch_flush(E);
		return dmo_reader_decode_frame(r, &f, &E->rec, err);
	}
}

static void
encrypt_one(struct enc *E, const char *path)
{
	struct dmo_reader *r;
	struct dmo_err err;
	int rc;

	if ((r = dmo_reader_open(path, &E->ropts, &err)) == NULL) {
		dmo_run_error(&E->run, &err);
		return;
	}
	E->r = r;
	while ((rc = next_input(E, r, &err)) != DMO_READ_EOF) {
		dmo_run_tick(&E->run);
		if (rc == DMO_READ_RECORD) {
			E->run.in++;
			if (E->rec.shape != E->shape || E->plan == NULL) {
				batch_flush(E);
				plan_shape(E, &E->rec);
			}
			if (E->threads > 1 && E->active && E->hand.sealer != NULL &&
			    !E->frames)
				batch_add(E);
			else {
				batch_flush(E);
				process(E);
			}
			continue;
		}
		batch_flush(E);
		if (rc == DMO_READ_CONTROL) {
			if (dmo_writer_control(E->w, dmo_reader_control(r),
			    &err) != 0)
				write_failed(E, &err);
		} else if (rc == DMO_READ_BAD)
			dmo_run_reject_read(&E->run, r, &err);
		else
			dmo_run_error(&E->run, &err);
	}
	/* Its records name the reader's source: written before it goes. */
	batch_flush(E);
	E->run.bytes_in += dmo_reader_bytes(r);
	dmo_reader_free(r);
	E->r = NULL;
}

static int
needs_keys(const struct enc *E)
{
	size_t i;

	for (i = 0; i < E->nrules; i++)
		switch (E->rules[i].act) {
		case DMO_ACT_ENCRYPT:
		case DMO_ACT_DETERM:
		case DMO_ACT_PSEUDO:
		case DMO_ACT_DECRYPT:
		case DMO_ACT_REWRAP:
			return 1;
		default:
			break;
		}
	return E->policy != NULL;
}

int
main(int argc, char *argv[])
{
	static struct enc E;
	struct dmo_write_opts wopts = { 0 };
	const char *policy = NULL, *role = NULL, *stream = NULL;
	const char *disable_id = NULL;
	enum keyop op = OP_NONE;
	struct dmo_err err;
	int binary = 0, ch, protect = 0, log2n = 0;
	unsigned long long ull;

	dmo_setprogname(argv[0]);
	dmo_run_init(&E.run, synopsis, help);
	E.ropts.header = -1;
	E.ropts.warn = dmo_run_warn;
	E.key_fd = E.pass_fd = -1;
	E.mask_keep = 4;
	strcpy(E.mask_char, "*");
	E.threads = dmo_pool_cpus(DMO_THREADS_DEFAULT_MAX);
	while ((ch = getopt_long(argc, argv, "Bc:D:d:e:hk:m:p:r:vV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'B':
			binary = 1;
			break;
		case 'c':
			E.context = optarg;
			break;
		case 'D':
			add_rules(&E, "--decrypt", optarg, DMO_ACT_DECRYPT);
			break;
		case 'd':
			add_rules(&E, "--deterministic", optarg,
			    DMO_ACT_DETERM);
			break;
		case 'e':
			add_rules(&E, "--encrypt", optarg, DMO_ACT_ENCRYPT);
			break;
		case 'k':
			E.key_file = optarg;
			break;
		case 'm':
			add_rules(&E, "--mask", optarg, DMO_ACT_MASK);
			break;
		case 'p':
			add_rules(&E, "--pseudonymise", optarg, DMO_ACT_PSEUDO);
			break;
		case 'r':
			add_rules(&E, "--redact", optarg, DMO_ACT_REDACT);
			break;
		case OPT_DISABLE_KEY:
			op = OP_DISABLE;
			disable_id = optarg;
			break;
		case OPT_DROP:
			add_rules(&E, "--drop", optarg, DMO_ACT_DROP);
			break;
		case OPT_KEY_ENV:
			if (*optarg == '\0')
				dmo_usage_error(&E.run, "option '--key-env': "
				    "empty variable name");
			E.key_env = optarg;
			break;
		case OPT_KEY_FD:
			if ((E.key_fd = parse_fd(optarg)) < 0)
				dmo_usage_error(&E.run, "option '--key-fd': not "
				    "a file descriptor: %s",
				    dmo_quote(optarg, strlen(optarg)));
			break;
		case OPT_KEYGEN:
			op = OP_KEYGEN;
			break;
		case OPT_LIST_KEYS:
			op = OP_LIST;
			break;
		case OPT_MASK_CHAR:
			if (!one_char(optarg))
				dmo_usage_error(&E.run, "option '--mask-char': "
				    "not one character: %s",
				    dmo_quote(optarg, strlen(optarg)));
			strcpy(E.mask_char, optarg);
			break;
		case OPT_MASK_DIGITS:
			E.mask_digits = 1;
			break;
		case OPT_MASK_KEEP:
			if (dmo_parse_ull(optarg, &ull) != 0 || ull > 1000)
				dmo_usage_error(&E.run, "option '--mask-keep': "
				    "not a count up to 1000: %s",
				    dmo_quote(optarg, strlen(optarg)));
			E.mask_keep = (size_t)ull;
			break;
		case OPT_PASS_FD:
			if ((E.pass_fd = parse_fd(optarg)) < 0)
				dmo_usage_error(&E.run, "option "
				    "'--passphrase-fd': not a file descriptor: "
				    "%s", dmo_quote(optarg, strlen(optarg)));
			break;
		case OPT_PASS_FILE:
			E.pass_file = optarg;
			break;
		case OPT_POLICY:
			policy = optarg;
			break;
		case OPT_PROTECT:
			protect = 1;
			break;
		case OPT_REWRAP:
			add_rules(&E, "--rewrap", optarg, DMO_ACT_REWRAP);
			break;
		case OPT_ROLE:
			role = optarg;
			break;
		case OPT_ROTATE:
			op = OP_ROTATE;
			break;
		case OPT_STREAM:
			stream = optarg;
			break;
		case OPT_THREADS:
			E.threads = dmo_run_threads_option(&E.run, optarg);
			break;
		case OPT_WORK_FACTOR:
			if (dmo_parse_ull(optarg, &ull) != 0 ||
			    ull < DMO_SCRYPT_MIN_LOG2N ||
			    ull > DMO_SCRYPT_MAX_LOG2N)
				dmo_usage_error(&E.run, "option '--work-factor':"
				    " not a number from %d to %d: %s",
				    DMO_SCRYPT_MIN_LOG2N, DMO_SCRYPT_MAX_LOG2N,
				    dmo_quote(optarg, strlen(optarg)));
			log2n = (int)ull;
			break;
		default:
			if (!dmo_run_read_option(&E.run, &E.ropts, ch, optarg) &&
			    !dmo_run_option(&E.run, ch, optarg))
				dmo_usage_error(&E.run, NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if ((policy != NULL) != (role != NULL))
		dmo_usage_error(&E.run, "options '--policy' and '--role' go "
		    "together");
	if (protect && op != OP_KEYGEN)
		dmo_usage_error(&E.run, "option '--protect' applies to "
		    "--keygen only");

	dmo_run_start(&E.run);
	if (op != OP_NONE) {
		if (argc > 0 || E.nrules > 0 || policy != NULL ||
		    stream != NULL)
			dmo_usage_error(&E.run, "key management options take "
			    "no files, field options or policy");
		if (E.key_env != NULL || E.key_fd >= 0)
			dmo_usage_error(&E.run, "key management needs "
			    "--key-file");
		return key_management(&E, op, disable_id, protect, log2n);
	}
	if (policy != NULL &&
	    (E.policy = dmo_policy_load(policy, role, &err)) == NULL)
		die(&E, &err);
	if (stream != NULL)
		return stream_mode(&E, stream, argc, argv);

	if (needs_keys(&E)) {
		char pass[DMO_PASSPHRASE_MAX + 1];
		long passlen;

		E.ks = load_keys(&E, pass, &passlen);
		dmo_crypto_wipe(pass, sizeof(pass));
		E.hand.sealer = dmo_sealer_new(E.ks, E.context, &err);
	}
	dmo_io_grow_pipe(STDOUT_FILENO);
	E.out = dmo_out_new(STDOUT_FILENO, "<stdout>");
	wopts.format = dmo_wire_format(binary);
	wopts.header = 1;
	E.encode = wopts.format == DMO_FMT_BINARY;
	/* Until a plan says otherwise (plan_shape). */
	E.try_frames = E.threads > 1 && E.encode && E.hand.sealer != NULL;
	if ((E.w = dmo_writer_new(E.out, &wopts, &err)) == NULL)
		write_failed(&E, &err);
	dmo_record_init(&E.rec);
	dmo_record_init(&E.outrec);
	dmo_record_init(&E.fnames);
	dmo_record_init(&E.frec);
	if (argc == 0)
		encrypt_one(&E, "-");
	for (; argc > 0; argc--, argv++)
		encrypt_one(&E, *argv);
	if (dmo_writer_finish(E.w, &err) != 0)
		write_failed(&E, &err);
	E.run.bytes_out = E.out->bytes;
	dmo_writer_free(E.w);
	dmo_out_free(E.out);
	pool_stop(&E);
	dmo_record_release(&E.rec);
	dmo_record_release(&E.outrec);
	dmo_record_release(&E.fnames);
	dmo_record_release(&E.frec);
	dmo_sealer_free(E.hand.sealer);
	hand_release(&E.hand);
	dmo_keyset_free(E.ks);
	dmo_policy_free(E.policy);
	free(E.plan);
	while (E.nrules > 0)
		free(E.rules[--E.nrules].glob);
	free(E.rules);
	return dmo_run_finish(&E.run);
}
