/* dmo-clean - make records trustworthy: schemas, coercion, rules, dedupe. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clean.h"
#include "cli.h"
#include "dedupe.h"
#include "io.h"
#include "pool.h"
#include "repair.h"
#include "schema.h"
#include "value.h"

static const char synopsis[] =
    "usage: dmo-clean [-BDeEStv] [-C file] [-f format] [-k fields] "
    "[-n token] [-s schema] [--threads n] [file ...]";

static const char help[] =
    "Clean records: coerce and validate them against a schema (JSON Schema\n"
    "with x-dmo- extensions, dmo-schema(5)), apply cleaning rules, drop\n"
    "duplicates, and send every record that fails to the rejects with a\n"
    "reason code.  Reads files (or stdin), writes NDJSON on stdout.\n"
    "\n"
    "  -s, --schema FILE         coerce and validate against the schema in FILE\n"
    "  -t, --trim                remove white space at both ends of strings\n"
    "  -S, --squeeze             make each run of white space one space\n"
    "  -n, --null TOKEN          strings equal to TOKEN become null (repeatable)\n"
    "      --null-defaults       the usual null tokens: \"\", NA, N/A, n/a, NULL, null, None, nil\n"
    "      --nfc                 normalise strings to Unicode NFC\n"
    "      --case MAP            map the case of strings: lower, upper, fold, keep\n"
    "      --snake-case          rename fields to snake_case, made unique\n"
    "  -e, --drop-empty-records  drop records whose values are all null or empty\n"
    "  -E, --drop-empty-fields   drop fields that are null or empty\n"
    "      --fill-down FIELDS    fill null or empty values from the record before\n"
    "  -D, --dedupe              drop records equal to an earlier one\n"
    "  -k, --dedupe-key FIELDS   drop records whose FIELDS equal an earlier one's\n"
    "      --dedupe-memory SIZE  memory for exact dedupe before it spills to disk (default 64M)\n"
    "      --dedupe-approx RATE  approximate dedupe with this false-positive rate (0.001, 0.1%)\n"
    "      --dedupe-window WINDOW  dedupe within the last N records, or a time (30s, 10m, 1h)\n"
    "  -C, --changes FILE        log every value changed, one JSON line each, to FILE\n"
    "  -B, --binary              write binary frames (dmo-frame(5)) instead of NDJSON\n"
    "  -f, --format FORMAT       input format: csv, tsv, ndjson, json, binary (default: detected)\n"
    "      --ragged POLICY       CSV rows with the wrong number of fields: reject, pad, truncate,\n"
    "                            join (two short rows that a stray line break split)\n"
    "      --invalid-utf8 POLICY    bytes that are not UTF-8: reject, replace, keep\n"
    "      --max-rejects N[%]    rejected records allowed before the status is 1 (default 0)\n"
    "      --no-progress         show no progress, even on a terminal\n"
    "      --progress            show progress even when stderr is not a terminal\n"
    "      --rejects FILE        write rejected records with their reasons to FILE (NDJSON)\n"
    "      --stats FILE          write a JSON run summary to FILE\n"
    "      --threads N           threads that clean records (default: online CPUs)\n"
    "  -v, --verbose             print the run summary on stderr\n"
    "  -h, --help                print this help and exit\n"
    "  -V, --version             print the version and exit\n"
    "\n"
    "Reason codes: TYPE REQUIRED PATTERN RANGE ENUM CONST LENGTH FORMAT SCALE\n"
    "EXTRA_FIELD ENCODING RAGGED READ, and DUPLICATE and EMPTY for records\n"
    "dropped on purpose (those do not count against --max-rejects).\n"
    "Environment: DMO_WIRE=binary has the effect of -B.\n"
    "Exit status: 0 ok, 1 rejects beyond the limit, 2 usage or schema, 3 I/O error.\n";

enum {
	OPT_NULL_DEFAULTS = DMO_OPT_PROGRAM_BASE,
	OPT_NFC,
	OPT_CASE,
	OPT_SNAKE,
	OPT_FILL_DOWN,
	OPT_DEDUPE_MEMORY,
	OPT_DEDUPE_APPROX,
	OPT_DEDUPE_WINDOW,
	OPT_RAGGED,
	OPT_THREADS
};

static const struct option longopts[] = {
	{ "binary",		no_argument,		NULL, 'B' },
	{ "case",		required_argument,	NULL, OPT_CASE },
	{ "changes",		required_argument,	NULL, 'C' },
	{ "dedupe",		no_argument,		NULL, 'D' },
	{ "dedupe-approx",	required_argument,	NULL, OPT_DEDUPE_APPROX },
	{ "dedupe-key",		required_argument,	NULL, 'k' },
	{ "dedupe-memory",	required_argument,	NULL, OPT_DEDUPE_MEMORY },
	{ "dedupe-window",	required_argument,	NULL, OPT_DEDUPE_WINDOW },
	{ "drop-empty-fields",	no_argument,		NULL, 'E' },
	{ "drop-empty-records",	no_argument,		NULL, 'e' },
	{ "fill-down",		required_argument,	NULL, OPT_FILL_DOWN },
	{ "format",		required_argument,	NULL, 'f' },
	{ "invalid-utf8",	required_argument,	NULL, DMO_OPT_INVALID_UTF8 },
	{ "nfc",		no_argument,		NULL, OPT_NFC },
	{ "null",		required_argument,	NULL, 'n' },
	{ "null-defaults",	no_argument,		NULL, OPT_NULL_DEFAULTS },
	{ "ragged",		required_argument,	NULL, OPT_RAGGED },
	{ "schema",		required_argument,	NULL, 's' },
	{ "snake-case",		no_argument,		NULL, OPT_SNAKE },
	{ "squeeze",		no_argument,		NULL, 'S' },
	{ "threads",		required_argument,	NULL, OPT_THREADS },
	{ "trim",		no_argument,		NULL, 't' },
	DMO_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static const char *const null_defaults[] = {
	"", "NA", "N/A", "n/a", "NULL", "null", "None", "nil", NULL
};

/*
 * A record of a batch (--threads): the record read, its cleaned form,
 * and what cleaning said, kept until the batch is written in order.
 */
struct slot {
	struct dmo_record	 rec, res;
	unsigned long long	 recno;		/* run.in once it counts */
	int			 rc, changed;
	struct dmo_clean_fail	 fail;		/* field, value in why */
	struct dmo_err		*err;		/* when rc: kept for the next */
	struct dmo_buf		 why;
	struct dmo_buf		 chg;		/* its change log lines */
	struct dmo_buf		 frame;		/* its binary frame, -B */
};

/*
 * What the pool's threads read while they clean, apart on cache lines
 * of its own and not written during a run: the main thread writes
 * struct clean for every record, and a line it shares with what the
 * other threads read would go back and forth between CPUs.
 */
struct crew {
	struct dmo_clean	**engines;	/* [thread] */
	struct slot		*slots;		/* of the batch in the pool */
	int			 changes;	/* a change log is kept */
	int			 encode;	/* -B: frames made here */
};

#define CREW_SIZE	128	/* two cache lines: one and its pair */
_Static_assert(sizeof(struct crew) <= CREW_SIZE, "struct crew fits");

struct batch {
	struct slot		*slots;		/* BATCH_RECORDS */
	size_t			 n, bytes;
};

struct clean {
	struct dmo_run		 run;
	struct dmo_read_opts	 ropts;
	struct dmo_clean_opts	 copts;
	struct dmo_clean	*engine;
	struct dmo_schema	*schema;
	struct dmo_writer	*w;
	struct dmo_out		*out;
	struct dmo_record	 rec, res;
	int			 drop_empty;
	/* dedupe */
	int			 dedupe;
	char			**keys;		/* NULL: the whole record */
	size_t			 nkeys;
	struct dmo_dedupe_opts	 dopts;
	struct dmo_dedupe	*dd;
	struct dmo_buf		 key;
	/* the change log */
	const char		*changes_path;
	struct dmo_out		*changes;
	struct dmo_buf		 chg;
	/* --ragged join: a short row held for the next, the header */
	int			 join;
	int			 held;
	struct dmo_buf		 hraw;
	struct dmo_err		 herr;
	size_t			 hnf, hncols;
	struct dmo_buf		 hnames;
	struct dmo_span		*hspans;
	size_t			 hn;
	unsigned long		 hshape;
	long			 jfield;	/* joined field, or -1 */
	struct dmo_buf		 jbefore;
	struct dmo_record	 jrec;
	/* --threads: a batch cleaned by the pool, engines[t] for thread t */
	int			 threads;
	int			 encode;	/* -B: frames made in the pool */
	struct crew		*crew;
	struct dmo_pool		*pool;
	struct dmo_clean	**engines;
	struct batch		 batch[2];
	struct batch		*cur;		/* being read */
	struct batch		*fly;		/* in the pool, or NULL */
	unsigned long long	 pending;	/* records read, not settled */
};

/* A list "a,b,c" as a NULL-ended array; empty names are an error. */
static char **
split_fields(struct clean *x, const char *opt, const char *arg, size_t *np)
{
	char **v = NULL, *copy = dmo_xstrdup(arg), *p = copy, *comma;
	size_t n = 0;

	for (;;) {
		comma = strchr(p, ',');
		if (comma != NULL)
			*comma = '\0';
		if (*p == '\0')
			dmo_usage_error(&x->run, "option '%s': empty field "
			    "name in %s", opt, dmo_quote(arg, strlen(arg)));
		v = dmo_xreallocarray(v, n + 2, sizeof(*v));
		v[n++] = dmo_xstrdup(p);
		v[n] = NULL;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	free(copy);
	*np = n;
	return v;
}

static void
add_null(struct clean *x, const char *tok)
{
	struct dmo_slist *l = &x->copts.text.nulls;

	l->v = dmo_xreallocarray(l->v, l->n + 2, sizeof(char *));
	l->v[l->n++] = dmo_xstrdup(tok);
	l->v[l->n] = NULL;
	l->set = 1;
}

/* Where a record's change log lines go (a cleaning thread's own). */
struct chgctx {
	struct dmo_buf		*b;
	unsigned long long	 recno;
	const struct dmo_record	*rec;
};

static void
on_change(void *arg, const struct dmo_clean_change *ch)
{
	struct chgctx *c = arg;
	struct dmo_buf *b = c->b;
	const char *src = c->rec->loc.file != NULL ? c->rec->loc.file : "";

	dmo_buf_printf(b, "{\"record\":%llu,\"source\":", c->recno);
	dmo_json_buf_string(b, src, strlen(src));
	dmo_buf_printf(b, ",\"line\":%lu,\"field\":", c->rec->loc.line);
	dmo_json_buf_string(b, ch->field, ch->flen);
	if (ch->btype >= 0) {
		dmo_buf_adds(b, ",\"before\":");
		dmo_json_buf_value(b, ch->btype, ch->before, ch->blen);
	}
	if (ch->atype >= 0) {
		dmo_buf_adds(b, ",\"after\":");
		dmo_json_buf_value(b, ch->atype, ch->after, ch->alen);
	}
	dmo_buf_adds(b, ",\"rule\":");
	dmo_json_buf_string(b, ch->rule, strlen(ch->rule));
	dmo_buf_adds(b, "}\n");
}

static int
all_empty(const struct dmo_record *r)
{
	size_t i, n;

	for (i = 0; i < r->n; i++) {
		enum dmo_type t = dmo_record_type(r, i);

		dmo_record_value(r, i, &n);
		if (t != DMO_NULL && !(t == DMO_STRING && n == 0))
			return 0;
	}
	return 1;
}

static void
key_part(struct dmo_buf *b, int t, const char *p, size_t n)
{
	unsigned char hdr[5];

	hdr[0] = (unsigned char)t;
	hdr[1] = (unsigned char)(n >> 24);
	hdr[2] = (unsigned char)(n >> 16);
	hdr[3] = (unsigned char)(n >> 8);
	hdr[4] = (unsigned char)n;
	dmo_buf_add(b, hdr, 5);
	dmo_buf_add(b, p, n);
}

/* The dedupe key of a record: typed, length-prefixed, unambiguous. */
static void
make_key(struct clean *x, const struct dmo_record *r)
{
	size_t i, n;
	const char *p;

	x->key.len = 0;
	if (x->keys == NULL) {
		for (i = 0; i < r->n; i++) {
			p = dmo_record_name(r, i, &n);
			key_part(&x->key, 0xfe, p, n);
			p = dmo_record_value(r, i, &n);
			key_part(&x->key, dmo_record_type(r, i), p, n);
		}
		return;
	}
	for (i = 0; i < x->nkeys; i++) {
		long k = dmo_record_find(r, x->keys[i], strlen(x->keys[i]));

		if (k < 0) {
			key_part(&x->key, 0xff, "", 0);
			continue;
		}
		p = dmo_record_value(r, (size_t)k, &n);
		key_part(&x->key, dmo_record_type(r, (size_t)k), p, n);
	}
}

static void
drop(struct clean *x, const struct dmo_record *r, const char *code,
    const char *msg)
{
	struct dmo_reject_why why = { 0 };
	struct dmo_err err;

	dmo_err_set(&err, DMO_EXIT_DATA, &r->loc, "%s", msg);
	why.code = code;
	why.vtype = -1;
	why.dropped = 1;
	if (x->keys != NULL && x->nkeys == 1) {
		long k = dmo_record_find(r, x->keys[0], strlen(x->keys[0]));

		why.field = x->keys[0];
		why.flen = strlen(x->keys[0]);
		if (k >= 0) {
			why.vtype = dmo_record_type(r, (size_t)k);
			why.value = dmo_record_value(r, (size_t)k, &why.vlen);
		}
	}
	dmo_run_reject_why(&x->run, &err, &why, r, NULL, 0);
}

/*
 * What follows cleaning, in input order on this thread: the reject, or
 * the empty and duplicate drops, the record written, its change log.
 * in is the record read, res its cleaned form, chg its change log.
 */
static void
settle(struct clean *x, const struct dmo_record *in,
    const struct dmo_record *res, int rc, int changed,
    const struct dmo_clean_fail *fail, struct dmo_err *errp,
    const struct dmo_buf *chg)
{
	struct dmo_err err;
	const struct dmo_record *r;

	if (rc != 0) {
		struct dmo_reject_why why;

		why.code = dmo_reason_name(fail->reason);
		why.field = fail->field;
		why.flen = fail->flen;
		why.vtype = fail->vtype;
		why.value = fail->value;
		why.vlen = fail->vlen;
		why.dropped = 0;
		dmo_run_reject_why(&x->run, errp, &why, in, NULL, 0);
		return;
	}
	r = changed ? res : in;
	if (x->drop_empty && all_empty(r)) {
		drop(x, in, "EMPTY", "empty record");
		return;
	}
	if (x->dedupe) {
		make_key(x, r);
		rc = dmo_dedupe_check(x->dd, x->key.p != NULL ? x->key.p : "",
		    x->key.len, &err);
		if (rc < 0)
			dmo_run_write_failed(&x->run, &err);
		if (rc == 1) {
			drop(x, r, "DUPLICATE", x->keys != NULL ?
			    "duplicate key" : "duplicate record");
			return;
		}
	}
	rc = dmo_writer_write(x->w, r, &err);
	if (rc == 0) {
		x->run.out++;
		if (chg->len > 0)
			dmo_out_write(x->changes, chg->p, chg->len);
	} else if (rc == -1) {
		struct dmo_reject_why why = { "READ", NULL, 0, -1, NULL, 0, 0 };

		if (err.loc.file == NULL)
			err.loc = in->loc;
		dmo_run_reject_why(&x->run, &err, &why, in, NULL, 0);
	} else
		dmo_run_write_failed(&x->run, &err);
}

static void
process(struct clean *x)
{
	struct dmo_clean_fail fail;
	struct dmo_err err;
	struct chgctx cc = { &x->chg, x->run.in, &x->rec };
	int changed = 0, rc;

	x->chg.len = 0;
	if (x->jfield >= 0 && x->changes != NULL) {
		struct dmo_clean_change ch;
		size_t vl;
		const char *v = dmo_record_value(&x->rec, (size_t)x->jfield,
		    &vl);

		ch.field = dmo_record_name(&x->rec, (size_t)x->jfield,
		    &ch.flen);
		ch.btype = ch.atype = DMO_STRING;
		ch.before = x->jbefore.p;
		ch.blen = x->jbefore.len;
		ch.after = v;
		ch.alen = vl;
		ch.rule = "join";
		on_change(&cc, &ch);
	}
	rc = dmo_clean_record(x->engine, &x->rec, &x->res, &changed,
	    x->changes != NULL ? on_change : NULL, &cc, &fail, &err);
	settle(x, &x->rec, &x->res, rc, changed, &fail, &err, &x->chg);
}

/*
 * Parallel cleaning (--threads).  Records read are gathered into a
 * batch (BATCH_RECORDS, or BATCH_BYTES of values).  A full batch is
 * handed to the pool, whose helper threads clean it, CHUNK records at a
 * time, each with an engine of its own (an engine keeps scratch buffers
 * and plans), while this thread settles the batch before it and reads
 * the next; then this thread cleans what is left of the batch in the
 * pool, and settles it.  Settling is everything in input order: the
 * rejects, drops, dedupe, --max-rejects, the output and the change log
 * are what one thread makes of the same records.  Cleaning does not
 * depend on the records before (--fill-down does: it runs on one
 * thread).
 *
 * Records are not copied into a batch: the record just read is swapped
 * with the batch slot's, so the reader gets back a record with the same
 * names and shape (the binary reader's fast path needs that; a slot of
 * another shape is made alike by one copy first).
 *
 * Both batches are settled before anything that must keep its place: a
 * control frame, a bad record, the ragged row held for --ragged join,
 * the end of a file, and whenever the input is about to block
 * (dmo_io_on_wait), so records still reach the next program at once.
 */
#define BATCH_RECORDS	2048	/* fewer hand-overs; two stay in the caches */
#define BATCH_BYTES	((size_t)2 << 20)
#define CHUNK		32
#define SLOT_KEEP	((size_t)64 << 10)	/* bigger buffers are freed */

/* Clean slots [begin, end) of the batch in the pool (a pool function). */
static void
clean_slots(void *arg, int t, size_t begin, size_t end)
{
	const struct crew *w = arg;
	struct dmo_clean *engine = w->engines[t];
	struct chgctx cc;
	struct dmo_err err;	/* here: a slot has room for one on a reject */
	struct slot *s;
	size_t i, voff;

	for (i = begin; i < end; i++) {
		s = &w->slots[i];
		s->chg.len = 0;
		cc.b = &s->chg;
		cc.recno = s->recno;
		cc.rec = &s->rec;
		s->changed = 0;
		s->rc = dmo_clean_record(engine, &s->rec, &s->res, &s->changed,
		    w->changes ? on_change : NULL, &cc, &s->fail, &err);
		if (s->rc == 0 && w->encode)
			/*
			 * The binary writer copies a record's frame, so the
			 * pool encodes it too, not this thread (format.h).
			 */
			(void)dmo_frame_encode(s->changed ? &s->res : &s->rec,
			    &s->frame);
		if (s->rc != 0) {
			if (s->err == NULL)
				s->err = dmo_xmalloc(sizeof(*s->err));
			*s->err = err;
			/* The engine's pointers last until its next record. */
			s->why.len = 0;
			if (s->fail.field != NULL)
				dmo_buf_add(&s->why, s->fail.field,
				    s->fail.flen);
			dmo_buf_addc(&s->why, '\0');
			voff = s->why.len;
			if (s->fail.value != NULL)
				dmo_buf_add(&s->why, s->fail.value,
				    s->fail.vlen);
			dmo_buf_addc(&s->why, '\0');
			if (s->fail.field != NULL)
				s->fail.field = s->why.p;
			if (s->fail.value != NULL)
				s->fail.value = s->why.p + voff;
		}
	}
}

static void
slot_trim(struct slot *s)
{
	if (s->rec.data.cap > SLOT_KEEP) {
		dmo_record_release(&s->rec);
		dmo_record_init(&s->rec);
	}
	if (s->res.data.cap > SLOT_KEEP) {
		dmo_record_release(&s->res);
		dmo_record_init(&s->res);
	}
	if (s->chg.cap > SLOT_KEEP)
		dmo_buf_release(&s->chg);
	if (s->frame.cap > SLOT_KEEP) {
		/* Its record points here: it is gone with the batch. */
		s->rec.frame = s->res.frame = NULL;
		dmo_buf_release(&s->frame);
	}
}

/* Settle batch b, cleaned, in order; it is then empty. */
static void
batch_settle(struct clean *x, struct batch *b)
{
	struct slot *s;
	size_t i, n = b->n;

	/* Empty first: settling may exit (--max-rejects). */
	b->n = 0;
	b->bytes = 0;
	for (i = 0; i < n; i++) {
		s = &b->slots[i];
		x->pending--;
		x->run.in++;
		settle(x, &s->rec, &s->res, s->rc, s->changed, &s->fail,
		    s->err, &s->chg);
		slot_trim(s);
	}
}

/* Finish cleaning the batch in the pool, if any, and settle it. */
static void
batch_land(struct clean *x)
{
	struct batch *b = x->fly;

	if (b == NULL)
		return;
	dmo_pool_wait(x->pool);
	x->fly = NULL;
	batch_settle(x, b);
}

/*
 * The batch being read is full: hand it to the pool, settle the one
 * before (the pool cleaned it meanwhile), and read into that one.
 */
static void
batch_ship(struct clean *x)
{
	struct batch *b = x->fly;

	if (b != NULL)
		dmo_pool_wait(x->pool);
	x->fly = x->cur;
	x->crew->slots = x->fly->slots;
	dmo_pool_start(x->pool, x->fly->n, CHUNK, clean_slots, x->crew);
	if (b != NULL)
		batch_settle(x, b);
	else
		b = x->fly == &x->batch[0] ? &x->batch[1] : &x->batch[0];
	x->cur = b;
}

/* Settle every record read (called once a record: inline). */
static inline void
batch_flush(struct clean *x)
{
	if (x->pending > 0) {
		batch_land(x);
		if (x->cur->n > 0) {
			batch_ship(x);
			batch_land(x);
		}
	}
}

/* The input is about to block: write out what the batches hold. */
static void
batch_on_wait(void *arg)
{
	struct clean *x = arg;
	struct dmo_err err;

	if (x->pending == 0)
		return;
	batch_flush(x);
	if (dmo_out_flush(x->out, &err) != 0)
		dmo_run_write_failed(&x->run, &err);
	if (x->changes != NULL)
		(void)dmo_out_flush(x->changes, &err);	/* told at close */
	if (x->run.rejects != NULL)
		(void)dmo_out_flush(x->run.rejects, &err);
}

static void
pool_start(struct clean *x)
{
	void *mem;
	int t;

	x->pool = dmo_pool_new(x->threads);
	x->threads = dmo_pool_threads(x->pool);
	x->engines = dmo_xcalloc((size_t)x->threads, sizeof(*x->engines));
	x->engines[0] = x->engine;
	for (t = 1; t < x->threads; t++)
		x->engines[t] = dmo_clean_new(&x->copts);
	if (posix_memalign(&mem, CREW_SIZE, CREW_SIZE) != 0)
		mem = dmo_xmalloc(CREW_SIZE);	/* apart or not, it works */
	x->crew = memset(mem, 0, CREW_SIZE);
	x->crew->engines = x->engines;
	x->crew->changes = x->changes != NULL;
	x->crew->encode = x->encode;
	for (t = 0; t < 2; t++)
		x->batch[t].slots = dmo_xcalloc(BATCH_RECORDS,
		    sizeof(struct slot));
	x->cur = &x->batch[0];
	dmo_io_on_wait(batch_on_wait, x);
}

static void
pool_stop(struct clean *x)
{
	struct slot *s;
	size_t i;
	int t;

	if (x->pool == NULL)
		return;
	dmo_pool_free(x->pool);
	x->pool = NULL;
	for (t = 1; t < x->threads; t++)
		dmo_clean_free(x->engines[t]);
	free(x->engines);
	free(x->crew);
	for (t = 0; t < 2; t++) {
		for (i = 0; i < BATCH_RECORDS; i++) {
			s = &x->batch[t].slots[i];
			dmo_record_release(&s->rec);
			dmo_record_release(&s->res);
			dmo_buf_release(&s->why);
			dmo_buf_release(&s->chg);
			dmo_buf_release(&s->frame);
			free(s->err);
		}
		free(x->batch[t].slots);
	}
}

/* Add the record just read to the batch (see above). */
static void
batch_add(struct clean *x)
{
	struct batch *b = x->cur;
	struct slot *s = &b->slots[b->n];
	struct dmo_record t;

	if (s->rec.shape != x->rec.shape) {
		dmo_record_copy(&s->rec, &x->rec);
		s->rec.shape = x->rec.shape;	/* the same names */
	}
	t = s->rec;
	s->rec = x->rec;
	x->rec = t;
	/*
	 * Its frame is the reader's, gone by the time it is written; the
	 * one the reader gets back may point at the slot's (-B).
	 */
	s->rec.frame = NULL;
	x->rec.frame = NULL;
	/* Records read, settled or not, are counted in this order. */
	s->recno = x->run.in + x->pending + 1;
	x->pending++;
	b->n++;
	b->bytes += s->rec.data.len;
	if (b->n == BATCH_RECORDS || b->bytes >= BATCH_BYTES)
		batch_ship(x);
}

static const char *
read_code(const struct dmo_err *err)
{
	if (strstr(err->msg, "invalid UTF-8") != NULL)
		return "ENCODING";
	if (strncmp(err->msg, "ragged row", 10) == 0)
		return "RAGGED";
	return "READ";
}

/* Reject the short row held for --ragged join. */
static void
reject_held(struct clean *x)
{
	struct dmo_reject_why why = { "RAGGED", NULL, 0, -1, NULL, 0, 0 };

	if (!x->held)
		return;
	x->held = 0;
	x->run.in++;
	dmo_run_reject_why(&x->run, &x->herr, &why, NULL, x->hraw.p != NULL ?
	    x->hraw.p : "", x->hraw.len);
}

/* Remember the names of a CSV source's rows, for joining. */
static void
keep_names(struct clean *x)
{
	size_t i, n;

	if (x->rec.shape == x->hshape && x->hspans != NULL)
		return;
	x->hshape = x->rec.shape;
	x->hnames.len = 0;
	x->hn = x->rec.n;
	x->hspans = dmo_xreallocarray(x->hspans, x->hn + 1,
	    sizeof(*x->hspans));
	for (i = 0; i < x->hn; i++) {
		const char *p = dmo_record_name(&x->rec, i, &n);

		x->hspans[i].off = x->hnames.len;
		x->hspans[i].len = n;
		dmo_buf_add(&x->hnames, p, n);
		dmo_buf_addc(&x->hnames, '\0');
	}
}

/*
 * A ragged row under --ragged join: 1 when it was dealt with (held, or
 * joined with the held one and processed), 0 when it is to be rejected.
 */
static int
try_join(struct clean *x, struct dmo_reader *r, const struct dmo_err *err)
{
	size_t nf, ncols, len, field;
	const char *raw = dmo_reader_raw(r, &len);
	struct dmo_loc loc;
	struct dmo_err jerr;

	if (sscanf(err->msg, "ragged row: %zu field%*[s], expected %zu", &nf,
	    &ncols) != 2 && sscanf(err->msg, "ragged row: %zu field, "
	    "expected %zu", &nf, &ncols) != 2)
		return 0;
	if (nf >= ncols || x->hspans == NULL || x->hn != ncols) {
		reject_held(x);
		return 0;
	}
	if (x->held && dmo_csv_join(x->hraw.p, x->hraw.len, x->hnf, raw, len,
	    nf, &x->hnames, x->hspans, ncols, &x->jrec, &field,
	    &x->jbefore) == 0) {
		x->held = 0;
		loc = x->herr.loc;
		dmo_record_finish(&x->jrec, DMO_DUP_FIRST, &jerr);
		dmo_record_copy(&x->rec, &x->jrec);
		x->rec.loc = loc;
		x->run.in++;
		x->jfield = (long)field;
		process(x);
		x->jfield = -1;
		return 1;
	}
	reject_held(x);
	x->held = 1;
	x->herr = *err;
	x->hnf = nf;
	x->hncols = ncols;
	x->hraw.len = 0;
	dmo_buf_add(&x->hraw, raw, len);
	return 1;
}

static void
clean_one(struct clean *x, const char *path)
{
	struct dmo_reader *r;
	struct dmo_err err;
	int rc;

	if ((r = dmo_reader_open(path, &x->ropts, &err)) == NULL) {
		dmo_run_error(&x->run, &err);
		return;
	}
	while ((rc = dmo_reader_next(r, &x->rec, &err)) != DMO_READ_EOF) {
		if (rc == DMO_READ_RECORD && x->pool != NULL && !x->held) {
			dmo_run_tick(&x->run);
			if (x->join)
				keep_names(x);
			batch_add(x);
			continue;
		}
		batch_flush(x);
		if (rc == DMO_READ_BAD && x->join &&
		    strcmp(read_code(&err), "RAGGED") == 0 &&
		    try_join(x, r, &err))
			continue;
		if (x->held)
			reject_held(x);
		dmo_run_tick(&x->run);
		if (rc == DMO_READ_RECORD) {
			x->run.in++;
			if (x->join)
				keep_names(x);
			process(x);
		} else if (rc == DMO_READ_CONTROL) {
			if (dmo_writer_control(x->w, dmo_reader_control(r),
			    &err) != 0)
				dmo_run_write_failed(&x->run, &err);
		} else if (rc == DMO_READ_BAD) {
			struct dmo_reject_why why = { read_code(&err), NULL,
			    0, -1, NULL, 0, 0 };
			size_t len;
			const char *raw = dmo_reader_raw(r, &len);

			x->run.in++;
			dmo_run_reject_why(&x->run, &err, &why, NULL, raw,
			    len);
		} else
			dmo_run_error(&x->run, &err);
	}
	/* Its records name the reader's source: settled before it goes. */
	batch_flush(x);
	reject_held(x);
	free(x->hspans);
	x->hspans = NULL;
	x->hshape = 0;
	x->run.bytes_in += dmo_reader_bytes(r);
	dmo_reader_free(r);
}

static void
parse_window(struct clean *x, const char *arg)
{
	size_t n = strlen(arg);

	x->dopts.mode = DMO_DEDUPE_WINDOW;
	if (n > 0 && arg[n - 1] >= '0' && arg[n - 1] <= '9') {
		if (dmo_parse_ull(arg, &x->dopts.window_n) == 0 &&
		    x->dopts.window_n > 0)
			return;
	} else if (dmo_parse_seconds(arg, &x->dopts.window_secs) == 0 &&
	    x->dopts.window_secs > 0)
		return;
	dmo_usage_error(&x->run, "option '--dedupe-window': not a count or "
	    "a time: %s", dmo_quote(arg, strlen(arg)));
}

static void
parse_rate(struct clean *x, const char *arg)
{
	size_t n = strlen(arg);
	char *end;
	double r;

	r = strtod(arg, &end);
	if (n > 1 && arg[n - 1] == '%' && end == arg + n - 1)
		r /= 100;
	else if (*end != '\0' || end == arg)
		r = -1;
	if (!(r > 0 && r < 1) || arg[0] == ' ')
		dmo_usage_error(&x->run, "option '--dedupe-approx': not a "
		    "rate between 0 and 1: %s", dmo_quote(arg, strlen(arg)));
	x->dopts.mode = DMO_DEDUPE_APPROX;
	x->dopts.rate = r;
}

static void
open_changes(struct clean *x)
{
	int fd;

	if (x->changes_path == NULL)
		return;
	if (strcmp(x->changes_path, "-") == 0)
		fd = dup(STDERR_FILENO);
	else
		fd = open(x->changes_path, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0666);
	if (fd < 0) {
		dmo_warn("%s", x->changes_path);
		exit(DMO_EXIT_IO);
	}
	x->changes = dmo_out_new(fd, x->changes_path);
}

int
main(int argc, char *argv[])
{
	static struct clean x;
	struct dmo_write_opts wopts = { 0 };
	struct dmo_err err;
	int binary = 0, ch, fmt, window = 0, approx = 0;
	size_t i, nfill = 0;
	const char *schema_path = NULL;

	dmo_setprogname(argv[0]);
	dmo_run_init(&x.run, synopsis, help);
	x.ropts.header = -1;
	x.ropts.warn = dmo_run_warn;
	x.copts.text.trim = x.copts.text.squeeze = x.copts.text.nfc = -1;
	x.copts.text.casemap = -1;
	x.threads = dmo_pool_cpus(DMO_THREADS_DEFAULT_MAX);
	while ((ch = getopt_long(argc, argv, "BC:DeEf:hk:n:s:StvV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'B':
			binary = 1;
			break;
		case 'C':
			x.changes_path = optarg;
			break;
		case 'D':
			x.dedupe = 1;
			break;
		case 'e':
			x.drop_empty = 1;
			break;
		case 'E':
			x.copts.drop_empty_fields = 1;
			break;
		case 'f':
			if ((fmt = dmo_format_parse(optarg)) < 0)
				dmo_usage_error(&x.run, "option '--format': "
				    "unknown format: %s",
				    dmo_quote(optarg, strlen(optarg)));
			x.ropts.format = (enum dmo_format)fmt;
			break;
		case 'k':
			x.dedupe = 1;
			x.keys = split_fields(&x, "--dedupe-key", optarg,
			    &x.nkeys);
			break;
		case 'n':
			add_null(&x, optarg);
			break;
		case 's':
			schema_path = optarg;
			break;
		case 'S':
			x.copts.text.squeeze = 1;
			break;
		case 't':
			x.copts.text.trim = 1;
			break;
		case OPT_NULL_DEFAULTS:
			for (i = 0; null_defaults[i] != NULL; i++)
				add_null(&x, null_defaults[i]);
			break;
		case OPT_NFC:
			x.copts.text.nfc = 1;
			break;
		case OPT_CASE:
			if (strcmp(optarg, "keep") == 0)
				x.copts.text.casemap = DMO_CASE_KEEP;
			else if (strcmp(optarg, "lower") == 0)
				x.copts.text.casemap = DMO_CASE_LOWER;
			else if (strcmp(optarg, "upper") == 0)
				x.copts.text.casemap = DMO_CASE_UPPER;
			else if (strcmp(optarg, "fold") == 0)
				x.copts.text.casemap = DMO_CASE_FOLD;
			else
				dmo_usage_error(&x.run, "option '--case': not "
				    "lower, upper, fold or keep: %s",
				    dmo_quote(optarg, strlen(optarg)));
			break;
		case OPT_SNAKE:
			x.copts.snake = 1;
			break;
		case OPT_FILL_DOWN:
			x.copts.filldown = split_fields(&x, "--fill-down",
			    optarg, &nfill);
			break;
		case OPT_DEDUPE_MEMORY:
			if (dmo_parse_size(optarg, &x.dopts.memory) != 0 ||
			    x.dopts.memory < 65536)
				dmo_usage_error(&x.run, "option "
				    "'--dedupe-memory': not a size of 64K or "
				    "more: %s", dmo_quote(optarg,
				    strlen(optarg)));
			break;
		case OPT_DEDUPE_APPROX:
			parse_rate(&x, optarg);
			approx = 1;
			break;
		case OPT_DEDUPE_WINDOW:
			parse_window(&x, optarg);
			window = 1;
			break;
		case OPT_RAGGED:
			if (strcmp(optarg, "reject") == 0)
				x.ropts.ragged = DMO_RAGGED_REJECT;
			else if (strcmp(optarg, "pad") == 0)
				x.ropts.ragged = DMO_RAGGED_PAD;
			else if (strcmp(optarg, "truncate") == 0)
				x.ropts.ragged = DMO_RAGGED_TRUNCATE;
			else if (strcmp(optarg, "join") == 0) {
				x.ropts.ragged = DMO_RAGGED_REJECT;
				x.join = 1;
			} else
				dmo_usage_error(&x.run, "option '--ragged': "
				    "not reject, pad, truncate or join: %s",
				    dmo_quote(optarg, strlen(optarg)));
			break;
		case OPT_THREADS:
			x.threads = dmo_run_threads_option(&x.run, optarg);
			break;
		case DMO_OPT_INVALID_UTF8:
			if (strcmp(optarg, "keep") == 0)
				x.ropts.utf8 = DMO_UTF8_KEEP;
			else if (dmo_parse_utf8(optarg, &x.ropts.utf8) != 0)
				dmo_usage_error(&x.run, "option "
				    "'--invalid-utf8': not reject, replace or "
				    "keep: %s", dmo_quote(optarg,
				    strlen(optarg)));
			break;
		default:
			if (!dmo_run_option(&x.run, ch, optarg))
				dmo_usage_error(&x.run, NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (approx && window)
		dmo_usage_error(&x.run, "options '--dedupe-approx' and "
		    "'--dedupe-window' exclude each other");
	if ((approx || window || x.dopts.memory != 0) && !x.dedupe)
		dmo_usage_error(&x.run, "the '--dedupe-' options need "
		    "'--dedupe' or '--dedupe-key'");

	if (schema_path != NULL &&
	    (x.schema = dmo_schema_load(schema_path, &err)) == NULL) {
		dmo_report(&err);
		return err.code != 0 ? err.code : DMO_EXIT_USAGE;
	}
	x.copts.schema = x.schema;
	x.engine = dmo_clean_new(&x.copts);
	if (x.dedupe && (x.dd = dmo_dedupe_new(&x.dopts, &err)) == NULL) {
		dmo_report(&err);
		return DMO_EXIT_USAGE;
	}
	x.run.report_dropped = x.dedupe || x.drop_empty;
	dmo_run_start(&x.run);
	open_changes(&x);
	dmo_io_grow_pipe(STDOUT_FILENO);
	x.out = dmo_out_new(STDOUT_FILENO, "<stdout>");
	wopts.format = dmo_wire_format(binary);
	wopts.header = 1;
	x.encode = wopts.format == DMO_FMT_BINARY;
	if ((x.w = dmo_writer_new(x.out, &wopts, &err)) == NULL)
		dmo_run_write_failed(&x.run, &err);
	dmo_record_init(&x.rec);
	dmo_record_init(&x.res);
	dmo_record_init(&x.jrec);
	x.jfield = -1;
	/* --fill-down carries values from record to record: one thread. */
	if (x.threads > 1 && x.copts.filldown == NULL &&
	    !x.copts.filldown_all)
		pool_start(&x);
	if (argc == 0)
		clean_one(&x, "-");
	for (; argc > 0; argc--, argv++)
		clean_one(&x, *argv);
	pool_stop(&x);
	if (dmo_writer_finish(x.w, &err) != 0)
		dmo_run_write_failed(&x.run, &err);
	x.run.bytes_out = x.out->bytes;
	if (x.changes != NULL && dmo_out_close(x.changes, &err) != 0) {
		dmo_report(&err);
		dmo_run_status(&x.run, DMO_EXIT_IO);
	}
	if (x.dd != NULL && x.run.verbose) {
		struct dmo_dedupe_stats st;

		dmo_dedupe_stats(x.dd, &st);
		dmo_warnx("dedupe: %llu keys, %llu spill%s, %llu merge%s, "
		    "%llu bytes on disk", st.keys, st.spills,
		    st.spills == 1 ? "" : "s", st.merges,
		    st.merges == 1 ? "" : "s", st.disk_bytes);
	}
	dmo_writer_free(x.w);
	dmo_out_free(x.out);
	dmo_record_release(&x.rec);
	dmo_record_release(&x.res);
	dmo_record_release(&x.jrec);
	dmo_buf_release(&x.hraw);
	dmo_buf_release(&x.jbefore);
	dmo_buf_release(&x.hnames);
	dmo_clean_free(x.engine);
	dmo_schema_free(x.schema);
	dmo_dedupe_free(x.dd);
	dmo_buf_release(&x.key);
	dmo_buf_release(&x.chg);
	if (x.keys != NULL) {
		for (i = 0; i < x.nkeys; i++)
			free(x.keys[i]);
		free(x.keys);
	}
	if (x.copts.filldown != NULL) {
		for (i = 0; i < nfill; i++)
			free(x.copts.filldown[i]);
		free(x.copts.filldown);
	}
	if (x.copts.text.nulls.v != NULL) {
		for (i = 0; i < x.copts.text.nulls.n; i++)
			free(x.copts.text.nulls.v[i]);
		free(x.copts.text.nulls.v);
	}
	return dmo_run_finish(&x.run);
}
