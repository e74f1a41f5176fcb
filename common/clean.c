/* clean.c - the cleaning engine of dmo-clean: rules, coercion, validation. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "bytes.h"
#include "clean.h"
#include "datetime.h"
#include "exitcode.h"
#include "unicode.h"
#include "value.h"

/* Rules applied to a value, as bits, named in the change log. */
enum {
	R_TRIM = 1 << 0,
	R_SQUEEZE = 1 << 1,
	R_NFC = 1 << 2,
	R_NULL = 1 << 3,
	R_FILL = 1 << 4,
	R_DEFAULT = 1 << 5,
	R_INTEGER = 1 << 6,
	R_NUMBER = 1 << 7,
	R_BOOLEAN = 1 << 8,
	R_STRING = 1 << 9,
	R_DATE = 1 << 10,
	R_DATETIME = 1 << 11,
	R_TIME = 1 << 12,
	R_CASE = 1 << 13,
	R_SCALE = 1 << 14,
	R_DROP = 1 << 15,
	R_NRULES = 16
};

static const char *const rule_names[R_NRULES] = {
	"trim", "squeeze", "nfc", "null", "fill-down", "default", "integer",
	"number", "boolean", "string", "date", "date-time", "time", "case",
	"scale", "drop-empty"
};

/* The effective text rules of a property (or of fields without one). */
struct eff {
	int		 trim, squeeze, nfc, casemap;
	char *const	*nulls;		/* NULL-ended, or NULL */
	size_t		 nullmax;	/* the longest token */
};

/* How the fields of one input shape map to the output. */
struct plan {
	unsigned long	 shape;
	size_t		 n;
	long		*prop;		/* property index, or -1 */
	size_t		*noff, *nlen;	/* output names in names */
	long		*fill;		/* fill-down slot, or -1 */
	struct dmo_buf	 names;
	unsigned char	*seen;		/* per property, for this shape */
	int		 renamed;	/* some name differs from the input */
	long		 dup;		/* a property read twice, or -1 */
	/* The output's names: the fields', then defaults for missing ones. */
	struct dmo_buf	 onames;
	struct dmo_span	*ospans;
	size_t		 on;
	unsigned long	 oshape;	/* out's shape once they are set */
	const struct fast **fz;		/* field's fast path, or NULL */
	size_t		*absent;	/* properties with no field */
	size_t		 nabsent;
	/*
	 * Their defaults, when no absent property is required without
	 * one: the values, each with its NUL, and their slots (off from
	 * the start of defs), for a record made by reference.
	 */
	int		 defs_ok;
	struct dmo_buf	 defs;
	struct dmo_val	*defval;
	size_t		 ndefs;
};

struct fillslot {
	char		*name;
	int		 has, phas;
	enum dmo_type	 type, ptype;
	struct dmo_buf	 val, pval;	/* last accepted; this record's */
};

struct pending {
	size_t		 field;		/* out index, or SIZE_MAX: removed */
	size_t		 noff, nlen;	/* name in log */
	int		 btype;
	size_t		 boff, blen;	/* before in log */
	unsigned	 rules;
};

/*
 * Fast paths.  dmo_clean_new decides once per property which one may
 * apply, from the property's keywords and effective rules; clean_value
 * tries it on a string value first.  A fast path handles only values it
 * knows the general path would keep or merely retype (a canonical
 * integer, a plain decimal at its scale, "true", a UTC timestamp in the
 * layout dmo writes, text with nothing to trim, squeeze or map, an empty
 * string that is null) and gives exactly the general path's type, bytes
 * and rules.  At anything else it gives up and the general path does
 * all the work, so that every error says what the general path says.
 * tests/unit/test_clean.c runs both on the same values
 * (dmo_clean_general_only).
 */
enum fkind {
	FK_NONE = 0,
	FK_INT,		/* integer: "-?[1-9][0-9]{0,17}" or "0" */
	FK_NUM,		/* number: "-?(0|[1-9]D*)(.D+)?", scale digits */
	FK_BOOL,	/* boolean: "true", "false" */
	FK_DT,		/* date-time: dmo_dt_is_canonical_utc */
	FK_TEXT,	/* string: kept as it is */
	FK_EMAIL	/* string: an address that lower case keeps */
};

/* A value or bound: sign, integer part, 18 fraction digits. */
struct fnum {
	int			 neg;
	unsigned long long	 ip, fp;
};

struct fast {
	const struct dmo_prop *p;
	const struct eff *e;
	enum fkind	 kind;
	int		 empty_null;	/* "" is null, and null is allowed */
	int		 nbounds;	/* minimum, maximum, exclusive ones */
	int		 has[4];
	struct fnum	 b[4];
	/*
	 * The bounds for values with exactly scale decimals (0 for
	 * integers), as integers of units of 10^-scale: lo <= v <= hi.
	 * scaled 0 when a bound has no such form; fast_range then.
	 */
	int		 scaled;
	int		 scale;
	long long	 lo, hi;
	int		 rest;		/* enum, const, lengths, pattern */
	unsigned	 txbad;		/* FK_TEXT: text_scan bits to give up at */
	/*
	 * The checks on a kept string that are done here: lengths, and
	 * enum by a table of its non-empty string members (index + 1, by
	 * enum_hash); others (pattern, const) by check_value.
	 */
	int		 rest_here;
	size_t		*eslot;
	size_t		 emask;		/* table size - 1 */
};

/* Tests: 1 turns the fast paths off (see test_clean.c). */
int	dmo_clean_general_only;

struct dmo_clean {
	struct dmo_clean_opts	 o;
	struct dmo_schema	*s;
	struct eff		*peff;		/* per property */
	struct fast		*fast;		/* per property */
	struct eff		 xeff;		/* fields without a property */
	struct plan		 plan;
	struct fillslot		*fills;
	size_t			 nfills;
	struct dmo_buf		 a, b, t;	/* scratch */
	struct dmo_dec		 dec, dec2;
	struct pending		*pend;
	size_t			 npend, pendcap;
	struct dmo_buf		 log;		/* before values, names */
	struct dmo_buf		 rulestr;
	struct dmo_buf		 failname;
};

static void fast_prepare(struct dmo_clean *, size_t);

static int
pick(int prop, int top, int cli)
{
	return prop >= 0 ? prop : top >= 0 ? top : cli > 0 ? cli : 0;
}

static char *const *
pick_nulls(const struct dmo_slist *p, const struct dmo_slist *t,
    const struct dmo_slist *c)
{
	if (p != NULL && p->set)
		return p->v;
	if (t != NULL && t->set)
		return t->v;
	return c->set ? c->v : NULL;
}

static void
set_nullmax(struct eff *e)
{
	size_t i;

	e->nullmax = 0;
	for (i = 0; e->nulls != NULL && e->nulls[i] != NULL; i++)
		if (strlen(e->nulls[i]) > e->nullmax)
			e->nullmax = strlen(e->nulls[i]);
}

struct dmo_clean *
dmo_clean_new(const struct dmo_clean_opts *o)
{
	struct dmo_clean *c = dmo_xcalloc(1, sizeof(*c));
	const struct dmo_textrules *top = o->schema != NULL ?
	    &o->schema->text : NULL, *cli = &o->text;
	size_t i;

	c->o = *o;
	c->s = o->schema;
	c->xeff.trim = pick(-1, top ? top->trim : -1, cli->trim);
	c->xeff.squeeze = pick(-1, top ? top->squeeze : -1, cli->squeeze);
	c->xeff.nfc = pick(-1, top ? top->nfc : -1, cli->nfc);
	c->xeff.casemap = pick(-1, top ? top->casemap : -1, cli->casemap);
	c->xeff.nulls = pick_nulls(NULL, top ? &top->nulls : NULL,
	    &cli->nulls);
	set_nullmax(&c->xeff);
	if (c->s != NULL) {
		c->peff = dmo_xcalloc(c->s->nprops + 1, sizeof(*c->peff));
		for (i = 0; i < c->s->nprops; i++) {
			const struct dmo_textrules *p = &c->s->props[i].text;
			struct eff *e = &c->peff[i];

			e->trim = pick(p->trim, top->trim, cli->trim);
			e->squeeze = pick(p->squeeze, top->squeeze,
			    cli->squeeze);
			e->nfc = pick(p->nfc, top->nfc, cli->nfc);
			e->casemap = pick(p->casemap, top->casemap,
			    cli->casemap);
			e->nulls = pick_nulls(&p->nulls, &top->nulls,
			    &cli->nulls);
			set_nullmax(e);
		}
		c->fast = dmo_xcalloc(c->s->nprops + 1, sizeof(*c->fast));
		for (i = 0; i < c->s->nprops; i++)
			fast_prepare(c, i);
		c->plan.seen = dmo_xcalloc(c->s->nprops + 1, 1);
	}
	if (o->filldown != NULL) {
		for (i = 0; o->filldown[i] != NULL; i++)
			;
		c->nfills = i;
		c->fills = dmo_xcalloc(i + 1, sizeof(*c->fills));
		for (i = 0; i < c->nfills; i++)
			c->fills[i].name = dmo_xstrdup(o->filldown[i]);
	}
	return c;
}

static void
plan_release(struct plan *p)
{
	free(p->ospans);
	p->ospans = NULL;
	dmo_buf_release(&p->onames);
	p->oshape = 0;
	free(p->prop);
	free(p->noff);
	free(p->nlen);
	free(p->fill);
	free(p->fz);
	free(p->absent);
	free(p->defval);
	p->defval = NULL;
	p->ndefs = 0;
	dmo_buf_release(&p->defs);
	p->fz = NULL;
	p->absent = NULL;
	p->nabsent = 0;
	dmo_buf_release(&p->names);
	p->prop = NULL;
	p->noff = p->nlen = NULL;
	p->fill = NULL;
}

void
dmo_clean_free(struct dmo_clean *c)
{
	size_t i;

	if (c == NULL)
		return;
	plan_release(&c->plan);
	free(c->plan.seen);
	for (i = 0; i < c->nfills; i++) {
		free(c->fills[i].name);
		dmo_buf_release(&c->fills[i].val);
		dmo_buf_release(&c->fills[i].pval);
	}
	free(c->fills);
	free(c->peff);
	for (i = 0; c->fast != NULL && i < c->s->nprops; i++)
		free(c->fast[i].eslot);
	free(c->fast);
	dmo_buf_release(&c->a);
	dmo_buf_release(&c->b);
	dmo_buf_release(&c->t);
	dmo_dec_release(&c->dec);
	dmo_dec_release(&c->dec2);
	free(c->pend);
	dmo_buf_release(&c->log);
	dmo_buf_release(&c->rulestr);
	dmo_buf_release(&c->failname);
	free(c);
}

/* Is name among p->names[0..k)?  (Linear: headers are short.) */
static int
name_taken(const struct plan *p, size_t k, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < k; i++)
		if (p->nlen[i] == len &&
		    memcmp(p->names.p + p->noff[i], name, len) == 0)
			return 1;
	return 0;
}

static void
make_plan(struct dmo_clean *c, const struct dmo_record *in)
{
	struct plan *p = &c->plan;
	size_t i, j;

	plan_release(p);
	p->shape = in->shape;
	p->n = in->n;
	p->prop = dmo_xcalloc(p->n + 1, sizeof(*p->prop));
	p->noff = dmo_xcalloc(p->n + 1, sizeof(*p->noff));
	p->nlen = dmo_xcalloc(p->n + 1, sizeof(*p->nlen));
	p->fill = dmo_xcalloc(p->n + 1, sizeof(*p->fill));
	p->renamed = 0;
	p->dup = -1;
	if (c->s != NULL)
		memset(p->seen, 0, c->s->nprops);
	for (i = 0; i < p->n; i++) {
		size_t nl, start = p->names.len;
		const char *nm = dmo_record_name(in, i, &nl);
		long k = -1;

		if (c->o.snake) {
			size_t base, suffix = 2;

			dmo_snake_case(nm, nl, &p->names);
			base = p->names.len - start;
			/* Made unique: name, name_2, name_3, ... */
			while (name_taken(p, i, p->names.p + start,
			    p->names.len - start)) {
				p->names.len = start + base;
				dmo_buf_printf(&p->names, "_%zu", suffix++);
			}
		} else
			dmo_buf_add(&p->names, nm, nl);
		if (c->s != NULL &&
		    (k = dmo_schema_find(c->s, p->names.p + start,
		    p->names.len - start)) >= 0) {
			if (p->seen[k])
				p->dup = k;
			p->seen[k] = 1;
			/* The property's name is the output name. */
			p->names.len = start;
			dmo_buf_adds(&p->names, c->s->props[k].name);
		}
		p->prop[i] = k;
		p->noff[i] = start;
		p->nlen[i] = p->names.len - start;
		if (p->nlen[i] != nl || memcmp(nm, p->names.p + start, nl) != 0)
			p->renamed = 1;
		p->fill[i] = -1;
		for (j = 0; j < c->nfills; j++)
			if (strlen(c->fills[j].name) == p->nlen[i] &&
			    memcmp(c->fills[j].name, p->names.p + start,
			    p->nlen[i]) == 0)
				p->fill[i] = (long)j;
	}
	dmo_buf_cstr(&p->names);
	p->ospans = dmo_xcalloc(p->n + (c->s != NULL ? c->s->nprops : 0) + 1,
	    sizeof(*p->ospans));
	for (i = 0; i < p->n; i++) {
		p->ospans[i].off = p->onames.len;
		p->ospans[i].len = p->nlen[i];
		dmo_buf_add(&p->onames, p->names.p + p->noff[i], p->nlen[i]);
		dmo_buf_addc(&p->onames, '\0');
	}
	p->fz = dmo_xcalloc(p->n + 1, sizeof(*p->fz));
	for (i = 0; i < p->n; i++)
		if (p->prop[i] >= 0 && p->fill[i] < 0 &&
		    !dmo_clean_general_only)
			p->fz[i] = &c->fast[p->prop[i]];
	p->absent = dmo_xcalloc((c->s != NULL ? c->s->nprops : 0) + 1,
	    sizeof(*p->absent));
	p->defval = dmo_xcalloc((c->s != NULL ? c->s->nprops : 0) + 1,
	    sizeof(*p->defval));
	p->defs_ok = 1;
	for (j = 0; c->s != NULL && j < c->s->nprops; j++)
		if (!p->seen[j]) {
			const struct dmo_prop *q = &c->s->props[j];

			p->absent[p->nabsent++] = j;
			if (q->has_default) {
				struct dmo_val *dv = &p->defval[p->ndefs++];

				dv->type = q->def.type;
				dv->off = p->defs.len;
				dv->len = q->def.len;
				dmo_buf_add(&p->defs, q->def.text, q->def.len);
				dmo_buf_addc(&p->defs, '\0');
			} else if (q->required)
				p->defs_ok = 0;
		}
	p->on = p->n;
	for (j = 0; c->s != NULL && j < c->s->nprops; j++)
		if (!p->seen[j] && c->s->props[j].has_default) {
			p->ospans[p->on].off = p->onames.len;
			p->ospans[p->on].len = strlen(c->s->props[j].name);
			dmo_buf_adds(&p->onames, c->s->props[j].name);
			dmo_buf_addc(&p->onames, '\0');
			p->on++;
		}
}

/*
 * Values go into out by index when its names can be set once per shape
 * (no field is dropped), which spares comparing every name of every
 * record; else they are appended.
 */
static inline void
out_put(struct dmo_record *out, int setmode, size_t *oi, const char *name,
    size_t nlen, enum dmo_type t, const char *v, size_t n)
{
	if (setmode)
		dmo_record_set(out, (*oi)++, t, v, n);
	else {
		dmo_record_add(out, name, nlen, t, v, n);
		(*oi)++;
	}
}

struct cur;
static inline void out_set(struct dmo_record *, const struct dmo_record *,
    size_t *, size_t, const struct cur *);

static int
is_null_token(const struct eff *e, const char *v, size_t n)
{
	char *const *tokens = e->nulls;
	size_t i;

	if (tokens == NULL || n > e->nullmax)
		return 0;
	for (i = 0; tokens[i] != NULL; i++)
		if (tokens[i][0] == (n > 0 ? v[0] : '\0') &&
		    strlen(tokens[i]) == n && memcmp(tokens[i], v, n) == 0)
			return 1;
	return 0;
}

/* Is there white space to squeeze: anything but single spaces? */
static int
squeeze_at(const char *p, size_t n, size_t i)
{
	if (p[i] == ' ')
		return i + 1 < n && dmo_ws_at(p + i + 1, n - i - 1) > 0;
	return dmo_ws_at(p + i, n - i) > 0;
}

#define ONES	0x0101010101010101ULL
#define LOWS	0x7f7f7f7f7f7f7f7fULL

/* High bit set in each byte of x that is zero (exact, no carries). */
static inline uint64_t
zero_bytes(uint64_t x)
{
	return ~(((x & LOWS) + LOWS) | x | LOWS);
}

static int
needs_squeeze(const char *p, size_t n)
{
	size_t i = 0, j;

	/* Eight bytes at a time: controls, U+00A0's lead, two spaces. */
	for (; i + 8 <= n; i += 8) {
		uint64_t x, lt, sp, c2;

		memcpy(&x, p + i, 8);
		lt = ~((x & LOWS) + ONES * 0x5f) & ~x & ~LOWS;	/* < 0x21 */
		sp = zero_bytes(x ^ (ONES * 0x20));
		c2 = zero_bytes(x ^ (ONES * 0xc2));
		if ((lt & ~sp) == 0 && c2 == 0 &&
		    (sp & (sp << 8)) == 0 && !(p[i + 7] == ' ' && i + 8 < n &&
		    squeeze_at(p, n, i + 7)))
			continue;
		for (j = i; j < i + 8; j++)
			if (squeeze_at(p, n, j))
				return 1;
	}
	for (; i < n; i++)
		if (((unsigned char)p[i] <= ' ' || (unsigned char)p[i] ==
		    0xc2) && squeeze_at(p, n, i))
			return 1;
	return 0;
}

/* The value being cleaned: type and bytes (in one of the scratch bufs). */
struct cur {
	enum dmo_type	 t;
	const char	*v;
	size_t		 n;
	unsigned	 rules;
};

/* Move the value into the scratch buffer not holding it. */
static struct dmo_buf *
other(struct dmo_clean *c, const struct cur *v)
{
	struct dmo_buf *b = (c->a.p != NULL && v->v >= c->a.p &&
	    v->v <= c->a.p + c->a.cap) ? &c->b : &c->a;

	b->len = 0;
	return b;
}

/*
 * Value i of a record made by reference (out's bytes a copy of in's):
 * bytes that lie in in's value i, up to its NUL, are taken where they
 * are in the copy; any others are appended.
 */
static inline void
out_set(struct dmo_record *out, const struct dmo_record *in, size_t *oi,
    size_t i, const struct cur *v)
{
	const struct dmo_val *iv = &in->val[i];
	uintptr_t start = (uintptr_t)(in->data.p + iv->off);
	uintptr_t at = (uintptr_t)v->v;
	struct dmo_val *ov = &out->val[(*oi)++];

	if (v->n == 0) {
		ov->type = v->t;
		ov->off = iv->off + iv->len;	/* in's NUL after value i */
		ov->len = 0;
	} else if (at >= start && at + v->n == start + iv->len) {
		ov->type = v->t;
		ov->off = iv->off + (size_t)(at - start);
		ov->len = v->n;
	} else
		dmo_record_set(out, *oi - 1, v->t, v->v, v->n);
}

/*
 * The same for what a fast path gives: in's bytes retyped (a number's
 * lexeme is the string's), or no bytes (null, a boolean): in's NUL.
 */
static inline void
out_ref(struct dmo_val *ov, const struct dmo_val *iv, const struct cur *v)
{
	ov->type = v->t;
	if (v->n == 0) {
		ov->off = iv->off + iv->len;
		ov->len = 0;
	}
}

static void
settle(struct cur *v, struct dmo_buf *b, enum dmo_type t, unsigned rule)
{
	dmo_buf_cstr(b);
	v->t = t;
	v->v = b->p;
	v->n = b->len;
	v->rules |= rule;
}

struct failure {
	enum dmo_reason	 reason;
	char		 msg[512];
};

static int __attribute__((format(printf, 3, 4)))
bad(struct failure *f, enum dmo_reason r, const char *fmt, ...)
{
	va_list ap;

	f->reason = r;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static const char *
type_names(unsigned types)
{
	if (types & DMO_T_INTEGER)
		return "an integer";
	if (types & DMO_T_NUMBER)
		return "a number";
	if (types & DMO_T_BOOLEAN)
		return "a boolean";
	if (types & DMO_T_STRING)
		return "a string";
	if (types & DMO_T_ARRAY)
		return "an array";
	if (types & DMO_T_OBJECT)
		return "an object";
	return "null";
}

static int
type_ok(unsigned types, enum dmo_type t)
{
	switch (t) {
	case DMO_NULL:
		return types & DMO_T_NULL;
	case DMO_TRUE:
	case DMO_FALSE:
		return types & DMO_T_BOOLEAN;
	case DMO_NUMBER:
		return types & (DMO_T_NUMBER | DMO_T_INTEGER);
	case DMO_STRING:
		return types & DMO_T_STRING;
	case DMO_ARRAY:
		return types & DMO_T_ARRAY;
	case DMO_OBJECT:
		return types & DMO_T_OBJECT;
	}
	return 0;
}

/* Text rules on a string: trim, squeeze, NFC. */
static void
text_rules(struct dmo_clean *c, const struct eff *e, struct cur *v)
{
	if (e->trim) {
		const char *p = v->v;
		size_t n = v->n;

		dmo_trim(&p, &n);
		if (n != v->n) {
			v->v = p;
			v->n = n;
			v->rules |= R_TRIM;
		}
	}
	if (e->squeeze) {
		if (needs_squeeze(v->v, v->n)) {
			struct dmo_buf *b = other(c, v);

			dmo_squeeze(v->v, v->n, b);
			settle(v, b, DMO_STRING, R_SQUEEZE);
		}
	}
	if (e->nfc) {
		struct dmo_buf *b = other(c, v);

		if (dmo_uni_nfc(v->v, v->n, b) == 1)
			settle(v, b, DMO_STRING, R_NFC);
	}
}

static int
datetime_value(struct dmo_clean *c, const struct dmo_prop *p, struct cur *v,
    struct failure *f)
{
	struct dmo_datetime t;
	const char *why = "not ISO 8601", *what, *s = v->v;
	size_t i, n = v->n;
	int ok = -1, kind = p->format == DMO_SF_DATE ? 'd' :
	    p->format == DMO_SF_TIME ? 't' : 'T';
	struct dmo_buf *b;

	what = kind == 'd' ? "date" : kind == 't' ? "time" : "date-time";
	if (kind == 'T' && !p->formats.set && p->outtz == NULL &&
	    dmo_dt_is_canonical_utc(s, n))
		return 0;	/* UTC in the layout written: kept, not parsed */
	dmo_trim(&s, &n);
	if (p->formats.set) {
		const char *best = NULL;

		for (i = 0; i < p->formats.n && ok != 0; i++) {
			ok = dmo_dt_parse_fmt(s, n, p->formats.v[i], &t, &why);
			/* A format that fits but finds a bad day says why. */
			if (ok != 0 && best == NULL &&
			    strcmp(why, "does not match the format") != 0)
				best = why;
		}
		if (ok != 0)
			why = best != NULL ? best : p->formats.n > 1 ?
			    "matches none of the formats" : why;
	} else
		ok = dmo_dt_parse_iso(s, n, kind == 'd' ? 1 : kind == 't' ?
		    0 : -1, &t, &why);
	if (ok == 0 && kind == 'd' && (t.has_time || !t.has_date)) {
		ok = -1;
		why = t.has_date ? "a date without a time was expected" :
		    "no date";
	}
	if (ok == 0 && kind == 'T' && !t.has_date) {
		ok = -1;
		why = "no date";
	}
	if (ok != 0)
		return bad(f, DMO_REASON_FORMAT, "not a %s (%s)", what, why);
	if (kind == 'T' && t.has_offset && t.offset == 0 && p->outtz == NULL &&
	    !t.end_of_day && n == v->n && v->v[n - 1] == 'Z' &&
	    n == (t.frac > 0 ? 21 + (size_t)t.frac : 20) && s[10] == 'T' &&
	    (t.frac == 0 || s[19] == '.')) {
		/* Already UTC in the canonical form: nothing to redo. */
		return 0;
	}
	if (kind == 'T') {
		long long utc = 0;
		int off;

		if (t.has_offset)
			utc = dmo_dt_epoch(&t);
		else {
			const struct dmo_tz *z = p->tz != NULL ? p->tz :
			    c->s->utc;
			int rc = dmo_tz_resolve(z, dmo_dt_local_secs(&t),
			    p->dst, &utc, &off);

			if (rc < 0)
				return bad(f, DMO_REASON_FORMAT, "not a %s "
				    "(the wall time is skipped or repeated in "
				    "%s)", what, dmo_tz_name(z));
		}
		off = p->outtz != NULL ? dmo_tz_offset(p->outtz, utc, NULL,
		    NULL) : 0;
		{
			int frac = t.frac;
			long nsec = t.nsec;

			dmo_dt_from_epoch(utc, nsec, off, &t);
			t.frac = frac;
			t.has_offset = 1;
		}
		if (t.year < 1 || t.year > 9999)
			return bad(f, DMO_REASON_FORMAT, "not a %s (year out "
			    "of range)", what);
	} else if (kind == 't' && p->tz != NULL && !t.has_offset) {
		/* A time of day alone keeps its offset only if given. */
	}
	b = other(c, v);
	dmo_dt_put_iso(&t, kind, b);
	if (b->len != v->n || memcmp(b->p, v->v, v->n) != 0)
		settle(v, b, DMO_STRING, kind == 'd' ? R_DATE : kind == 't' ?
		    R_TIME : R_DATETIME);
	return 0;
}

static int
check_format(struct dmo_clean *c, const struct dmo_prop *p, struct cur *v,
    struct failure *f)
{
	int ok = 1;
	const char *what = "";

	switch (p->format) {
	case DMO_SF_NONE:
		return 0;
	case DMO_SF_DATE:
	case DMO_SF_DATETIME:
	case DMO_SF_TIME:
		return datetime_value(c, p, v, f);
	case DMO_SF_EMAIL:
		ok = dmo_format_email(v->v, v->n);
		what = "an email address";
		break;
	case DMO_SF_URI:
		ok = dmo_format_uri(v->v, v->n);
		what = "a URI";
		break;
	case DMO_SF_UUID:
		ok = dmo_format_uuid(v->v, v->n);
		what = "a UUID";
		break;
	case DMO_SF_IPV4:
		ok = dmo_format_ipv4(v->v, v->n);
		what = "an IPv4 address";
		break;
	}
	return ok ? 0 : bad(f, DMO_REASON_FORMAT, "not %s", what);
}

/* Coerce v to one of p's types. */
static int
coerce(struct dmo_clean *c, const struct dmo_prop *p, struct cur *v,
    struct failure *f)
{
	struct dmo_buf *b;
	const char *why = "", *first = NULL;
	enum dmo_reason r;
	int bt;

	if (v->t == DMO_NUMBER && (p->types & DMO_T_INTEGER) &&
	    !(p->types & DMO_T_NUMBER)) {
		/* A number for an integer field: integral, in range. */
		b = other(c, v);
		if ((r = dmo_coerce_integer(v->v, v->n, &c->dec, b, &why))
		    != DMO_REASON_NONE)
			return bad(f, r, "%s", why);
		if (b->len != v->n || memcmp(b->p, v->v, v->n) != 0)
			settle(v, b, DMO_NUMBER, R_INTEGER);
		return 0;
	}
	if (type_ok(p->types, v->t))
		return 0;
	b = other(c, v);
	switch (v->t) {
	case DMO_STRING:
		if (p->types & DMO_T_INTEGER) {
			if ((r = dmo_coerce_integer(v->v, v->n, &c->dec, b,
			    &why)) == DMO_REASON_NONE) {
				settle(v, b, DMO_NUMBER, R_INTEGER);
				return 0;
			}
			if (r == DMO_REASON_RANGE)
				return bad(f, r, "%s", why);
			/* Its reason says more than "not an integer". */
			first = why;
		}
		b->len = 0;
		if ((p->types & DMO_T_NUMBER) &&
		    dmo_coerce_number(v->v, v->n, b, &why) ==
		    DMO_REASON_NONE) {
			settle(v, b, DMO_NUMBER, R_NUMBER);
			return 0;
		}
		if ((p->types & DMO_T_BOOLEAN) && (bt = dmo_coerce_bool(v->v,
		    v->n, p->truev.set ? (const char *const *)p->truev.v : NULL,
		    p->falsev.set ? (const char *const *)p->falsev.v : NULL)) >= 0) {
			b->len = 0;
			settle(v, b, (enum dmo_type)bt, R_BOOLEAN);
			return 0;
		}
		break;
	case DMO_NUMBER:
		if (p->types & DMO_T_STRING) {
			dmo_buf_add(b, v->v, v->n);
			settle(v, b, DMO_STRING, R_STRING);
			return 0;
		}
		if ((p->types & DMO_T_BOOLEAN) && (bt = dmo_coerce_bool(v->v,
		    v->n, p->truev.set ? (const char *const *)p->truev.v : NULL,
		    p->falsev.set ? (const char *const *)p->falsev.v : NULL)) >= 0) {
			settle(v, b, (enum dmo_type)bt, R_BOOLEAN);
			return 0;
		}
		break;
	case DMO_TRUE:
	case DMO_FALSE:
		if (p->types & DMO_T_STRING) {
			dmo_buf_adds(b, v->t == DMO_TRUE ? "true" : "false");
			settle(v, b, DMO_STRING, R_STRING);
			return 0;
		}
		break;
	default:
		break;
	}
	if (first != NULL)
		return bad(f, DMO_REASON_TYPE, "%s", first);
	return bad(f, DMO_REASON_TYPE, "not %s", type_names(p->types));
}

static int
check_value(struct dmo_clean *c, const struct dmo_prop *p, struct cur *v,
    struct failure *f)
{
	if (v->t == DMO_NUMBER && (p->has_min || p->has_max || p->has_xmin ||
	    p->has_xmax)) {
		struct dmo_buf *b = &c->t;

		if (dmo_dec_parse(&c->dec, v->v, v->n) != 0)
			return bad(f, DMO_REASON_TYPE, "not a number");
		b->len = 0;
		if (p->has_min && dmo_dec_cmp(&c->dec, &p->min) < 0) {
			dmo_dec_put(&p->min, b);
			return bad(f, DMO_REASON_RANGE, "below the minimum %s",
			    dmo_buf_cstr(b));
		}
		if (p->has_max && dmo_dec_cmp(&c->dec, &p->max) > 0) {
			dmo_dec_put(&p->max, b);
			return bad(f, DMO_REASON_RANGE, "above the maximum %s",
			    dmo_buf_cstr(b));
		}
		if (p->has_xmin && dmo_dec_cmp(&c->dec, &p->xmin) <= 0) {
			dmo_dec_put(&p->xmin, b);
			return bad(f, DMO_REASON_RANGE, "not above the "
			    "exclusive minimum %s", dmo_buf_cstr(b));
		}
		if (p->has_xmax && dmo_dec_cmp(&c->dec, &p->xmax) >= 0) {
			dmo_dec_put(&p->xmax, b);
			return bad(f, DMO_REASON_RANGE, "not below the "
			    "exclusive maximum %s", dmo_buf_cstr(b));
		}
	}
	if (v->t == DMO_STRING && (p->minlen >= 0 || p->maxlen >= 0) &&
	    /* A code point is 1 to 4 bytes: often the bytes decide. */
	    !((p->maxlen < 0 || v->n <= (size_t)p->maxlen) &&
	    (p->minlen < 0 || v->n / 4 >= (size_t)p->minlen))) {
		size_t len = dmo_uni_length(v->v, v->n);

		if (p->minlen >= 0 && len < (size_t)p->minlen)
			return bad(f, DMO_REASON_LENGTH, "shorter than "
			    "minLength %lld", p->minlen);
		if (p->maxlen >= 0 && len > (size_t)p->maxlen)
			return bad(f, DMO_REASON_LENGTH, "longer than "
			    "maxLength %lld", p->maxlen);
	}
	if (v->t == DMO_STRING && p->has_re &&
	    regexec(&p->re, v->v, 0, NULL, 0) != 0)
		return bad(f, DMO_REASON_PATTERN, "does not match the pattern "
		    "%s", dmo_quote(p->pattern, strlen(p->pattern)));
	if (p->nenums > 0 && !dmo_schema_in_enum(p, v->t, v->v, v->n,
	    &c->dec2))
		return bad(f, DMO_REASON_ENUM, "not one of the enum values");
	if (p->has_const && !dmo_sval_equal(&p->konst, v->t, v->v, v->n,
	    &c->dec2))
		return bad(f, DMO_REASON_CONST, "not the const value");
	return 0;
}

static int
case_map(struct dmo_clean *c, int casemap, struct cur *v)
{
	struct dmo_buf *b;
	int rc;

	if (casemap <= DMO_CASE_KEEP || v->t != DMO_STRING)
		return 0;
	b = other(c, v);
	rc = casemap == DMO_CASE_LOWER ? dmo_uni_lower(v->v, v->n, b) :
	    casemap == DMO_CASE_UPPER ? dmo_uni_upper(v->v, v->n, b) :
	    dmo_uni_fold(v->v, v->n, b);
	if (rc == 1)
		settle(v, b, DMO_STRING, R_CASE);
	return 0;
}

static int
scale(struct dmo_clean *c, const struct dmo_prop *p, struct cur *v,
    struct failure *f)
{
	struct dmo_buf *b;
	int inexact;

	if (p->scale < 0 || v->t != DMO_NUMBER)
		return 0;
	{
		/* Plain digits with the right number of decimals: as is. */
		const char *dot = memchr(v->v, '.', v->n);
		size_t i;

		if (dot != NULL && (size_t)(v->v + v->n - dot - 1) ==
		    (size_t)p->scale) {
			for (i = 0; i < v->n; i++)
				if (v->v[i] == 'e' || v->v[i] == 'E')
					break;
			if (i == v->n)
				return 0;
		}
	}
	if (dmo_dec_parse(&c->dec, v->v, v->n) != 0)
		return bad(f, DMO_REASON_TYPE, "not a number");
	inexact = dmo_dec_round(&c->dec, p->scale);
	if (inexact && !p->round)
		return bad(f, DMO_REASON_SCALE, "more than %ld decimal%s",
		    p->scale, p->scale == 1 ? "" : "s");
	b = other(c, v);
	dmo_dec_put(&c->dec, b);
	if (b->len != v->n || memcmp(b->p, v->v, v->n) != 0)
		settle(v, b, DMO_NUMBER, R_SCALE);
	return 0;
}

static int
empty(enum dmo_type t, size_t n)
{
	return t == DMO_NULL || (t == DMO_STRING && n == 0);
}

/*
 * What a string holds, for the fast path of text (a bit set), as far as
 * asked (want): TX_SQUEEZE a byte below 0x20, two spaces in a row, or a
 * byte 0xc2 (U+00A0 starts with it), without which there is nothing to
 * squeeze; TX_HIGH a byte of 0x80 or more; TX_UPPER A-Z; TX_LOWER a-z.
 * ASCII text without TX_UPPER has nothing to lower case.  Sixteen bytes
 * a step with SSE2 (every x86-64 has it), else one.
 */
enum {
	TX_SQUEEZE = 1 << 0,
	TX_HIGH = 1 << 1,
	TX_UPPER = 1 << 2,
	TX_LOWER = 1 << 3
};

#ifdef __SSE2__
struct txacc {
	__m128i		 sq, up, lo, x;
};

/*
 * Sixteen bytes into the accumulators.  A pair of spaces counts where
 * pairok has 0xff in the byte of its second space.
 */
static inline void
scan16(struct txacc *a, __m128i x, __m128i pairok, unsigned want)
{
	const __m128i sp = _mm_set1_epi8(0x20), k25 = _mm_set1_epi8(25);

	if (want & TX_SQUEEZE) {
		__m128i s = _mm_cmpeq_epi8(x, sp);
		__m128i le = _mm_cmpeq_epi8(_mm_min_epu8(x, sp), x);

		a->sq = _mm_or_si128(a->sq, _mm_or_si128(_mm_andnot_si128(s,
		    le), _mm_or_si128(_mm_cmpeq_epi8(x,
		    _mm_set1_epi8((char)0xc2)), _mm_and_si128(pairok,
		    _mm_and_si128(s, _mm_slli_si128(s, 1))))));
	}
	if (want & TX_UPPER) {
		__m128i u = _mm_sub_epi8(x, _mm_set1_epi8('A'));

		a->up = _mm_or_si128(a->up, _mm_cmpeq_epi8(_mm_min_epu8(u,
		    k25), u));
	}
	if (want & TX_LOWER) {
		__m128i l = _mm_sub_epi8(x, _mm_set1_epi8('a'));

		a->lo = _mm_or_si128(a->lo, _mm_cmpeq_epi8(_mm_min_epu8(l,
		    k25), l));
	}
	a->x = _mm_or_si128(a->x, x);
}

#endif

static unsigned
text_scan(const char *p, size_t n, unsigned want)
{
	unsigned f = 0;
	size_t i = 0;
#ifdef __SSE2__
	/*
	 * Whole blocks, then the last sixteen bytes again (they overlap
	 * the blocks: the bits are the same).  Shorter text is two
	 * overlapping loads of 8 or 4 bytes side by side, padded with '0'
	 * (none of the bytes looked for); the seam between them is no pair.
	 */
	struct txacc a;
	const __m128i all = _mm_set1_epi8(-1);

	a.sq = a.up = a.lo = a.x = _mm_setzero_si128();
	if (n >= 16) {
		for (; i + 16 <= n; i += 16) {
			scan16(&a, _mm_loadu_si128((const __m128i *)
			    (const void *)(p + i)), all, want);
			if (i > 0 && p[i - 1] == ' ' && p[i] == ' ')
				f |= TX_SQUEEZE;
		}
		if (i < n)
			scan16(&a, _mm_loadu_si128((const __m128i *)
			    (const void *)(p + n - 16)), all, want);
	} else if (n >= 8)
		scan16(&a, _mm_set_epi64x((long long)dmo_load64(p + n - 8),
		    (long long)dmo_load64(p)), _mm_set_epi32(-1, -256, -1, -1),
		    want);
	else if (n >= 4)
		scan16(&a, _mm_set_epi32(0x30303030, 0x30303030,
		    (int)dmo_load32(p + n - 4), (int)dmo_load32(p)),
		    _mm_set_epi32(-1, -1, -256, -1), want);
	if (n >= 4) {
		f |= (_mm_movemask_epi8(a.sq) != 0 ? TX_SQUEEZE : 0) |
		    (_mm_movemask_epi8(a.x) != 0 ? TX_HIGH : 0) |
		    (_mm_movemask_epi8(a.up) != 0 ? TX_UPPER : 0) |
		    (_mm_movemask_epi8(a.lo) != 0 ? TX_LOWER : 0);
		return f & want;
	}
#endif
	for (; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch < 0x20 || ch == 0xc2 || (ch == ' ' && i + 1 < n &&
		    p[i + 1] == ' '))
			f |= TX_SQUEEZE;
		if (ch >= 0x80)
			f |= TX_HIGH;
		else if (ch >= 'A' && ch <= 'Z')
			f |= TX_UPPER;
		else if (ch >= 'a' && ch <= 'z')
			f |= TX_LOWER;
	}
	return f & want;
}

/* For the enum table: a few bytes of a non-empty string, mixed. */
static inline size_t
enum_hash(const char *s, size_t n)
{
	uint32_t h = (uint32_t)n * 0x9e3779b1u ^
	    (unsigned char)s[0] * 0x85ebca6bu ^
	    (unsigned char)s[n - 1] * 0xc2b2ae35u ^
	    (unsigned char)s[n >> 1] * 0x27d4eb2fu;

	return h ^ (h >> 15);
}

static void
enum_table(struct fast *f, const struct dmo_prop *p)
{
	size_t i, h, cap = 8;

	while (cap < p->nenums * 4)
		cap *= 2;
	f->eslot = dmo_xcalloc(cap, sizeof(*f->eslot));
	f->emask = cap - 1;
	for (i = 0; i < p->nenums; i++) {
		const struct dmo_sval *m = &p->enums[i];

		if (m->type != DMO_STRING || m->len == 0)
			continue;
		for (h = enum_hash(m->text, m->len) & f->emask;
		    f->eslot[h] != 0; h = (h + 1) & f->emask)
			;
		f->eslot[h] = i + 1;
	}
}

/* Is s[0..n) (n > 0) one of the enum's strings? */
static inline int
in_enum(const struct fast *f, const struct dmo_prop *p, const char *s,
    size_t n)
{
	size_t h;

	for (h = enum_hash(s, n) & f->emask; f->eslot[h] != 0;
	    h = (h + 1) & f->emask) {
		const struct dmo_sval *m = &p->enums[f->eslot[h] - 1];

		if (m->len == n && memcmp(m->text, s, n) == 0)
			return 1;
	}
	return 0;
}

static const unsigned long long p10[19] = { 1ULL, 10ULL, 100ULL,
    1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
    1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
    10000000000000ULL, 100000000000000ULL, 1000000000000000ULL,
    10000000000000000ULL, 100000000000000000ULL, 1000000000000000000ULL };

/* A bound as a struct fnum: -1 when it has too many digits for one. */
static int
fnum_from_dec(const struct dmo_dec *d, struct fnum *f)
{
	long long ipn = (long long)d->digits.len + d->exp, pos, k;
	size_t i;

	if (ipn > 18 || d->exp < -18)
		return -1;
	f->ip = f->fp = 0;
	for (i = 0; i < d->digits.len; i++) {
		unsigned dig = (unsigned)(d->digits.p[i] - '0');

		pos = (long long)i - ipn;	/* < 0: integer digit */
		if (pos < 0)
			f->ip = f->ip * 10 + dig;
		else
			f->fp += dig * p10[17 - pos];
	}
	for (k = 0; k < d->exp; k++)
		f->ip *= 10;
	f->neg = d->neg && (f->ip != 0 || f->fp != 0);
	return 0;
}

static int
fnum_cmp(const struct fnum *a, const struct fnum *b)
{
	int mag;

	if (a->neg != b->neg)
		return a->neg ? -1 : 1;
	mag = a->ip != b->ip ? (a->ip < b->ip ? -1 : 1) : a->fp != b->fp ?
	    (a->fp < b->fp ? -1 : 1) : 0;
	return a->neg ? -mag : mag;
}

/* Within the bounds?  (Outside: the general path says which.) */
static int
fast_range(const struct fast *f, const struct fnum *v)
{
	if (f->nbounds == 0)
		return 1;
	if (f->has[0] && fnum_cmp(v, &f->b[0]) < 0)
		return 0;
	if (f->has[1] && fnum_cmp(v, &f->b[1]) > 0)
		return 0;
	if (f->has[2] && fnum_cmp(v, &f->b[2]) <= 0)
		return 0;
	if (f->has[3] && fnum_cmp(v, &f->b[3]) >= 0)
		return 0;
	return 1;
}

/*
 * f->lo and f->hi from the bounds, in units of 10^-scale: a minimum is
 * rounded up, a maximum down, an exclusive one moved by one unit.
 */
static void
scaled_bounds(struct fast *f, int scale)
{
	const unsigned long long lim = 1000000000000000000ULL;
	int i;

	f->scaled = 1;
	f->scale = scale;
	f->lo = -(long long)lim;
	f->hi = (long long)lim;
	for (i = 0; i < 4; i++) {
		const struct fnum *b = &f->b[i];
		unsigned long long div = p10[18 - scale], u;
		long long fl, ce;	/* floor and ceiling of the bound */
		int rem;

		if (!f->has[i])
			continue;
		if (b->ip >= p10[18 - scale]) {
			f->scaled = 0;
			return;
		}
		u = b->ip * p10[scale] + b->fp / div;
		rem = b->fp % div != 0;
		fl = b->neg ? -(long long)(u + (unsigned)rem) : (long long)u;
		ce = b->neg ? -(long long)u : (long long)(u + (unsigned)rem);
		if (i == 0 && ce > f->lo)
			f->lo = ce;
		else if (i == 1 && fl < f->hi)
			f->hi = fl;
		else if (i == 2 && fl + 1 > f->lo)
			f->lo = fl + 1;
		else if (i == 3 && ce - 1 < f->hi)
			f->hi = ce - 1;
	}
}

static void
fast_prepare(struct dmo_clean *c, size_t k)
{
	const struct dmo_prop *p = &c->s->props[k];
	const struct eff *e = &c->peff[k];
	struct fast *f = &c->fast[k];
	const struct dmo_dec *bound[4];
	unsigned t = p->types;
	int i, bounds_ok = 1, checks;

	memset(f, 0, sizeof(*f));
	f->p = p;
	f->e = e;
	bound[0] = p->has_min ? &p->min : NULL;
	bound[1] = p->has_max ? &p->max : NULL;
	bound[2] = p->has_xmin ? &p->xmin : NULL;
	bound[3] = p->has_xmax ? &p->xmax : NULL;
	for (i = 0; i < 4; i++)
		if (bound[i] != NULL) {
			f->has[i] = 1;
			f->nbounds++;
			if (fnum_from_dec(bound[i], &f->b[i]) != 0)
				bounds_ok = 0;
		}
	f->rest = p->nenums > 0 || p->has_const || p->minlen >= 0 ||
	    p->maxlen >= 0 || p->has_re;
	f->rest_here = f->rest && !p->has_const && !p->has_re;
	if (f->rest_here && p->nenums > 0)
		enum_table(f, p);
	/* As clean_value: "" a null token, or no type that text can be. */
	f->empty_null = (is_null_token(e, "", 0) || (t != 0 &&
	    !(t & DMO_T_STRING) && p->format == DMO_SF_NONE &&
	    (t & ~(unsigned)DMO_T_NULL) != 0)) && !p->has_default &&
	    !p->required && (t == 0 || (t & DMO_T_NULL));
	checks = p->nenums > 0 || p->has_const;
	if (t != 0 && !(t & DMO_T_STRING)) {
		if ((t & DMO_T_INTEGER) && bounds_ok && !checks &&
		    p->scale < 0) {
			f->kind = FK_INT;
			scaled_bounds(f, 0);
		} else if ((t & DMO_T_NUMBER) && !(t & DMO_T_INTEGER) &&
		    bounds_ok && !checks && p->scale != 0 && p->scale <= 18) {
			f->kind = FK_NUM;
			if (p->scale > 0)
				scaled_bounds(f, (int)p->scale);
		}
		else if ((t & DMO_T_BOOLEAN) && !(t & (DMO_T_INTEGER |
		    DMO_T_NUMBER)) && !p->truev.set && !p->falsev.set &&
		    !checks)
			f->kind = FK_BOOL;
	} else if (p->format == DMO_SF_DATETIME) {
		if (!p->formats.set && p->outtz == NULL && e->casemap <= 0)
			f->kind = FK_DT;
	} else if (p->format != DMO_SF_DATE && p->format != DMO_SF_TIME) {
		f->kind = FK_TEXT;
		if (p->format == DMO_SF_EMAIL && !e->squeeze && !e->nfc &&
		    (e->casemap == DMO_CASE_LOWER ||
		    e->casemap == DMO_CASE_FOLD))
			f->kind = FK_EMAIL;	/* ASCII fold is lower */
		if (e->squeeze)
			f->txbad |= TX_SQUEEZE;
		if (e->nfc)
			f->txbad |= TX_HIGH;
		if (e->casemap == DMO_CASE_LOWER || e->casemap == DMO_CASE_FOLD)
			f->txbad |= TX_HIGH | TX_UPPER;
		else if (e->casemap == DMO_CASE_UPPER)
			f->txbad |= TX_HIGH | TX_LOWER;
	}
}

/*
 * The fast path of a string value (v untouched so far): 1 done, v set
 * as the general path would set it (kept, or retyped with in's bytes or
 * none: out_ref relies on that); 0 not sure, for the general path; -1
 * rejected by a check (pattern, const) the general path would make the
 * same way on the same string, with fl saying why.
 */
static inline int
fast_value(struct dmo_clean *c, const struct fast *f, struct cur *v,
    struct failure *fl)
{
	const struct dmo_prop *p = f->p;
	const struct eff *e = f->e;
	const char *s = v->v;
	size_t n = v->n, i;
	struct fnum num;

	if (n == 0) {
		if (!f->empty_null)
			return 0;
		v->t = DMO_NULL;
		v->rules |= R_NULL;
		return 1;
	}
	if (n <= e->nullmax && is_null_token(e, s, n))
		return 0;
	switch (f->kind) {
	case FK_NONE:
		return 0;
	case FK_INT:
		/* What dmo_coerce_integer keeps as it is. */
		i = s[0] == '-';
		if (n - i > 18 || n == i || (s[i] == '0' && n - i > 1) ||
		    (i == 1 && s[1] == '0'))
			return 0;
		{
			int neg = (int)i;
			unsigned long long u = 0;
			long long sv;

			for (; i < n; i++) {
				unsigned d = (unsigned char)s[i] - '0';

				if (d > 9)
					return 0;
				u = u * 10 + d;
			}
			/* Integer bounds always have the scaled form. */
			sv = neg ? -(long long)u : (long long)u;
			if (sv < f->lo || sv > f->hi)
				return 0;
		}
		v->t = DMO_NUMBER;
		v->rules |= R_INTEGER;
		return 1;
	case FK_NUM: {
		/* A JSON number without exponent: kept by dmo_coerce_number. */
		size_t dot, fd;

		i = s[0] == '-';
		if (f->scaled) {
			/* "-?(0|[1-9]D*).D{scale}" in units of 10^-scale. */
			size_t sc = (size_t)f->scale, k;
			unsigned long long u = 0;
			long long sv;

			if (n < i + sc + 2 || s[n - sc - 1] != '.' ||
			    n - sc - 1 - i > 18 - sc ||
			    (s[i] == '0' && n - sc - 1 - i > 1))
				return 0;
			for (k = i; k < n; k++) {
				unsigned d = (unsigned char)s[k] - '0';

				if (k == n - sc - 1)
					continue;
				if (d > 9)
					return 0;
				u = u * 10 + d;
			}
			sv = i ? -(long long)u : (long long)u;
			if (sv < f->lo || sv > f->hi)
				return 0;
			v->t = DMO_NUMBER;
			v->rules |= R_NUMBER;
			return 1;
		}
		num.neg = (int)i;
		num.ip = num.fp = 0;
		if (i == n || (s[i] == '0' && i + 1 < n && s[i + 1] != '.'))
			return 0;
		for (dot = i; dot < n && (unsigned)(s[dot] - '0') <= 9;
		    dot++)
			num.ip = num.ip * 10 + (unsigned)(s[dot] - '0');
		if (dot == i || dot - i > 18)
			return 0;
		fd = 0;
		if (dot < n) {
			if (s[dot] != '.' || n - dot - 1 > 18 || n - dot < 2)
				return 0;
			for (i = dot + 1; i < n; i++) {
				unsigned d = (unsigned char)s[i] - '0';

				if (d > 9)
					return 0;
				num.fp += d * p10[17 - fd++];
			}
		}
		/* x-dmo-scale: exactly that many decimals is kept as is. */
		if (p->scale > 0 && fd != (size_t)p->scale)
			return 0;
		if (num.ip == 0 && num.fp == 0)
			num.neg = 0;
		if (!fast_range(f, &num))
			return 0;
		v->t = DMO_NUMBER;
		v->rules |= R_NUMBER;
		return 1;
	}
	case FK_BOOL:
		if (n == 4 && memcmp(s, "true", 4) == 0)
			v->t = DMO_TRUE;
		else if (n == 5 && memcmp(s, "false", 5) == 0)
			v->t = DMO_FALSE;
		else
			return 0;
		v->v = "";
		v->n = 0;
		v->rules |= R_BOOLEAN;
		return 1;
	case FK_DT:
		if (!dmo_dt_is_canonical_utc(s, n))
			return 0;
		break;
	case FK_EMAIL:
		/* Valid, ASCII, no capitals or spaces: nothing to trim or map. */
		if (!dmo_format_email_lower(s, n))
			return 0;
		break;
	case FK_TEXT:
		/* Bytes that trimming would look at, at either end. */
		if (e->trim && ((unsigned char)s[0] <= ' ' ||
		    (unsigned char)s[0] == 0xc2 ||
		    (unsigned char)s[n - 1] <= ' ' ||
		    (unsigned char)s[n - 1] == 0xa0))
			return 0;
		/* ASCII that the case map keeps is in NFC already. */
		if (f->txbad != 0 && text_scan(s, n, f->txbad) != 0)
			return 0;
		switch (p->format) {
		case DMO_SF_EMAIL:
			if (!dmo_format_email(s, n))
				return 0;
			break;
		case DMO_SF_URI:
			if (!dmo_format_uri(s, n))
				return 0;
			break;
		case DMO_SF_UUID:
			if (!dmo_format_uuid(s, n))
				return 0;
			break;
		case DMO_SF_IPV4:
			if (!dmo_format_ipv4(s, n))
				return 0;
			break;
		default:
			break;
		}
		break;
	}
	/* A string kept as it is: the checks that remain are the same. */
	if (!f->rest)
		return 1;
	if (f->rest_here) {
		/* A code point is 1 to 4 bytes: often the bytes decide. */
		if ((p->maxlen < 0 || n <= (size_t)p->maxlen) &&
		    (p->minlen < 0 || n / 4 >= (size_t)p->minlen) &&
		    (f->eslot == NULL || in_enum(f, p, s, n)))
			return 1;
		/* Not sure, or not so: the general path says which. */
		return 0;
	}
	{
		/* A copy, so that v need not live in memory. */
		struct cur w = *v;

		if (check_value(c, p, &w, fl) != 0)
			return -1;
	}
	return 1;
}

/* Clean one value: 0 keep, 1 drop the field, -1 reject. */
static int
clean_value(struct dmo_clean *c, long k, long fill, struct cur *v,
    struct failure *f)
{
	const struct dmo_prop *p = k >= 0 ? &c->s->props[k] : NULL;
	const struct eff *e = k >= 0 ? &c->peff[k] : &c->xeff;
	struct fillslot *fs = fill >= 0 ? &c->fills[fill] : NULL;

	if (v->t == DMO_STRING) {
		text_rules(c, e, v);
		if (is_null_token(e, v->v, v->n)) {
			v->t = DMO_NULL;
			v->v = "";
			v->n = 0;
			v->rules |= R_NULL;
		} else if (v->n == 0 && p != NULL && p->types != 0 &&
		    !(p->types & DMO_T_STRING) && p->format == DMO_SF_NONE &&
		    (p->types & ~(unsigned)DMO_T_NULL) != 0) {
			/* Empty text is no number, boolean or date: null. */
			v->t = DMO_NULL;
			v->rules |= R_NULL;
		}
	}
	if (fs != NULL) {
		if (empty(v->t, v->n)) {
			if (fs->has) {
				v->t = fs->type;
				v->v = fs->val.p != NULL ? fs->val.p : "";
				v->n = fs->val.len;
				v->rules |= R_FILL;
				fs->phas = 0;
				/* Filled values were cleaned already. */
				return 0;
			}
		}
	}
	if (p != NULL) {
		if (v->t == DMO_NULL) {
			if (p->has_default) {
				v->t = p->def.type;
				v->v = p->def.text;
				v->n = p->def.len;
				v->rules |= R_DEFAULT;
				return 0;
			}
			if (p->required)
				return bad(f, DMO_REASON_REQUIRED, "required "
				    "but null");
			if (p->types != 0 && !(p->types & DMO_T_NULL))
				return bad(f, DMO_REASON_TYPE, "null, not %s",
				    type_names(p->types));
			goto done;
		}
		if (p->types != 0 && coerce(c, p, v, f) != 0)
			return -1;
		if (v->t == DMO_STRING && check_format(c, p, v, f) != 0)
			return -1;
		case_map(c, e->casemap, v);
		if (scale(c, p, v, f) != 0 || check_value(c, p, v, f) != 0)
			return -1;
	} else
		case_map(c, e->casemap, v);
done:
	if (fs != NULL && !empty(v->t, v->n)) {
		fs->phas = 1;
		fs->ptype = v->t;
		fs->pval.len = 0;
		dmo_buf_add(&fs->pval, v->v, v->n);
	}
	if (c->o.drop_empty_fields && empty(v->t, v->n)) {
		v->rules |= R_DROP;
		return 1;
	}
	return 0;
}

static const char *
rule_string(struct dmo_clean *c, unsigned rules)
{
	int i;

	c->rulestr.len = 0;
	for (i = 0; i < R_NRULES; i++)
		if (rules & (1u << i)) {
			if (c->rulestr.len > 0)
				dmo_buf_addc(&c->rulestr, ',');
			dmo_buf_adds(&c->rulestr, rule_names[i]);
		}
	return dmo_buf_cstr(&c->rulestr);
}

static void
pend(struct dmo_clean *c, size_t field, const char *name, size_t nlen,
    int btype, const char *before, size_t blen, unsigned rules)
{
	struct pending *q;

	if (c->npend == c->pendcap) {
		c->pendcap = c->pendcap ? c->pendcap * 2 : 16;
		c->pend = dmo_xreallocarray(c->pend, c->pendcap,
		    sizeof(*c->pend));
	}
	q = &c->pend[c->npend++];
	q->field = field;
	q->rules = rules;
	q->btype = btype;
	q->noff = c->log.len;
	q->nlen = nlen;
	dmo_buf_add(&c->log, name, nlen);
	q->boff = c->log.len;
	q->blen = blen;
	dmo_buf_add(&c->log, before, blen);
}

static int
reject(struct dmo_clean *c, const struct dmo_record *in, const char *name,
    size_t nlen, int vtype, const char *val, size_t vlen,
    const struct failure *f, struct dmo_clean_fail *fail,
    struct dmo_err *err)
{
	c->failname.len = 0;
	dmo_buf_add(&c->failname, name, nlen);
	fail->reason = f->reason;
	fail->field = name != NULL ? dmo_buf_cstr(&c->failname) : NULL;
	fail->flen = nlen;
	fail->vtype = vtype;
	fail->value = val;
	fail->vlen = vlen;
	if (name == NULL)
		dmo_err_set(err, DMO_EXIT_DATA, &in->loc, "%s", f->msg);
	else if (vtype < 0)
		dmo_err_set(err, DMO_EXIT_DATA, &in->loc, "field '%s': %s",
		    fail->field, f->msg);
	else
		dmo_err_set(err, DMO_EXIT_DATA, &in->loc, "field '%s': %s: %s",
		    fail->field, f->msg, vtype == DMO_NULL ? "null" :
		    dmo_quote(val, vlen));
	return 1;
}

/*
 * Field i by the general path (and any field the fast path is not
 * sure of).  0, or 1 when the record is rejected.
 */
static int
one_field(struct dmo_clean *c, const struct dmo_record *in,
    struct dmo_record *out, int setmode, int byref, size_t *oi, size_t i,
    dmo_clean_change_fn fn, int *diff, struct dmo_clean_fail *fail,
    struct dmo_err *err)
{
	struct plan *p = &c->plan;
	struct failure f;
	struct cur v;
	const char *name = p->names.p + p->noff[i];
	int rc;

	v.t = dmo_record_type(in, i);
	v.v = dmo_record_value(in, i, &v.n);
	v.rules = 0;
	if (p->prop[i] < 0 && c->s != NULL && !c->s->additional) {
		f.reason = DMO_REASON_EXTRA_FIELD;
		snprintf(f.msg, sizeof(f.msg), "not in the schema "
		    "(additionalProperties is false)");
		return reject(c, in, name, p->nlen[i], v.t, v.v, v.n,
		    &f, fail, err);
	}
	if (v.t != DMO_STRING && p->prop[i] < 0 && p->fill[i] < 0 &&
	    !c->o.drop_empty_fields && c->xeff.casemap <= 0) {
		/* Nothing applies to it: copied as it is. */
		if (byref)
			(*oi)++;
		else
			out_put(out, setmode, oi, name, p->nlen[i],
			    v.t, v.v, v.n);
		return 0;
	}
	rc = clean_value(c, p->prop[i], p->fill[i], &v, &f);
	if (rc < 0) {
		const char *ov;
		size_t on;

		ov = dmo_record_value(in, i, &on);
		return reject(c, in, name, p->nlen[i],
		    dmo_record_type(in, i), ov, on, &f, fail, err);
	}
	if (v.rules == 0 && rc == 0) {
		if (byref)
			out_set(out, in, oi, i, &v);
		else
			out_put(out, setmode, oi, name, p->nlen[i],
			    v.t, v.v, v.n);
		return 0;
	}
	{
		size_t on;
		const char *ov = dmo_record_value(in, i, &on);
		enum dmo_type ot = dmo_record_type(in, i);

		if (rc == 0 && ot == v.t && on == v.n &&
		    memcmp(ov, v.v, on) == 0) {
			/* Rules ran but changed nothing in the end. */
			if (byref)
				(*oi)++;
			else
				out_put(out, setmode, oi, name,
				    p->nlen[i], v.t, v.v, v.n);
			return 0;
		}
		*diff = 1;
		if (fn != NULL)
			pend(c, rc == 1 ? SIZE_MAX : *oi, name,
			    p->nlen[i], (int)ot, ov, on, v.rules);
		if (rc == 0 && byref)
			out_set(out, in, oi, i, &v);
		else if (rc == 0)
			out_put(out, setmode, oi, name, p->nlen[i],
			    v.t, v.v, v.n);
	}
	return 0;
}

/* Whether out's names are already the plan's output names. */
static int
has_onames(const struct plan *p, const struct dmo_record *out)
{
	size_t i, l;
	const char *a;

	if (out->n != p->on || out->nnames != p->on)
		return 0;
	for (i = 0; i < p->on; i++) {
		a = dmo_record_name(out, i, &l);
		if (l != p->ospans[i].len ||
		    memcmp(a, p->onames.p + p->ospans[i].off, l) != 0)
			return 0;
	}
	return 1;
}

int
dmo_clean_record(struct dmo_clean *c, const struct dmo_record *in,
    struct dmo_record *out, int *changed, dmo_clean_change_fn fn, void *arg,
    struct dmo_clean_fail *fail, struct dmo_err *err)
{
	struct plan *p = &c->plan;
	struct failure f;
	size_t i, j, nl, oi = 0;
	int diff, setmode = !c->o.drop_empty_fields, byref = 0;

	if (p->shape != in->shape || p->prop == NULL || in->shape == 0)
		make_plan(c, in);
	diff = p->renamed;
	c->npend = 0;
	c->log.len = 0;
	if (setmode && (p->oshape == 0 || out->shape != p->oshape)) {
		struct dmo_err e;

		/*
		 * Another out than last time (dmo-clean --threads cleans
		 * into one record per batch slot, in turns with other
		 * engines): once its names are onames, it and the plan
		 * take one shape for them, so writers see one shape, not
		 * one per slot or engine.
		 */
		if (p->oshape != 0 && out->shape != 0 &&
		    has_onames(p, out)) {
			/*
			 * Both numbers stand for these names: the older
			 * wins, so engines and slots end up with one.
			 */
			if (out->shape < p->oshape)
				p->oshape = out->shape;
			else
				out->shape = p->oshape;
		} else if (dmo_record_set_names(out, &p->onames, p->ospans,
		    p->on, &e) != 0)
			setmode = 0;	/* names clash: appended, rejected */
		else if (p->oshape != 0)
			out->shape = p->oshape;
		else
			p->oshape = out->shape;
	}
	if (setmode && in->data.p != NULL && in->n == p->n &&
	    out->nnames == p->on && p->defs_ok) {
		/*
		 * By reference: out starts as a copy of in's value bytes and
		 * slots, one memcpy each, so that a value kept as it is, or
		 * only retyped ("7" to 7, "" to null), costs nothing more;
		 * values that change are appended (out_set).
		 */
		size_t dl = in->data.len;

		byref = 1;
		out->frame = NULL;
		out->data.len = 0;
		dmo_buf_grow(&out->data, dl + p->defs.len);
		memcpy(out->data.p, in->data.p, dl);
		if (p->defs.len > 0)
			memcpy(out->data.p + dl, p->defs.p, p->defs.len);
		out->data.len = dl + p->defs.len;
		if (out->valcap < p->on) {
			out->valcap = p->on;
			out->val = dmo_xreallocarray(out->val, out->valcap,
			    sizeof(*out->val));
		}
		if (in->n > 0)
			memcpy(out->val, in->val, in->n * sizeof(*in->val));
		/* Defaults for the properties absent (p->on - in->n). */
		for (j = 0; j < p->ndefs; j++) {
			out->val[in->n + j] = p->defval[j];
			out->val[in->n + j].off += dl;
		}
		out->n = p->on;
	} else if (setmode)
		dmo_record_reset_values(out);
	else
		dmo_record_reset(out);
	out->loc = in->loc;
	out->recno = in->recno;
	if (p->dup >= 0) {
		f.reason = DMO_REASON_TYPE;
		snprintf(f.msg, sizeof(f.msg), "field '%s' is given twice "
		    "(under names of x-dmo-from)", c->s->props[p->dup].name);
		return reject(c, in, NULL, 0, -1, NULL, 0, &f, fail, err);
	}
	if (byref) {
		/* The hot loop: fast paths inline, the rest in one_field. */
		const struct dmo_val *iv = in->val;
		const char *base = in->data.p;
		const struct fast *const *fz = p->fz;
		struct dmo_val *ov = out->val;	/* not reallocated here */
		size_t n = in->n;

		/* Here out's value i is field i: oi is i (set for one_field). */
		for (i = 0; i < n; i++) {
			if (fz[i] != NULL && iv[i].type == DMO_STRING) {
				struct cur v;
				int rc;

				v.t = DMO_STRING;
				v.v = base + iv[i].off;
				v.n = iv[i].len;
				v.rules = 0;
				rc = fast_value(c, fz[i], &v, &f);
				if (rc > 0) {
					/* Kept as it is, or retyped. */
					if (v.rules == 0)
						continue;
					diff = 1;
					if (fn != NULL)
						pend(c, i, p->names.p +
						    p->noff[i], p->nlen[i],
						    DMO_STRING, base + iv[i].off,
						    iv[i].len, v.rules);
					out_ref(&ov[i], &iv[i], &v);
					continue;
				}
				if (rc < 0)
					return reject(c, in, p->names.p +
					    p->noff[i], p->nlen[i], DMO_STRING,
					    base + iv[i].off, iv[i].len, &f,
					    fail, err);
			}
			oi = i;
			if (one_field(c, in, out, setmode, byref, &oi, i, fn,
			    &diff, fail, err) != 0)
				return 1;
		}
		oi = n;
	} else
		for (i = 0; i < in->n; i++)
			if (one_field(c, in, out, setmode, byref, &oi, i, fn,
			    &diff, fail, err) != 0)
				return 1;
	/* Properties not in the record: defaults, or required. */
	if (byref) {
		/* The defaults are in out already. */
		for (j = 0; fn != NULL && j < p->ndefs; j++)
			pend(c, oi + j, p->onames.p + p->ospans[oi + j].off,
			    p->ospans[oi + j].len, -1, "", 0, R_DEFAULT);
		if (p->ndefs > 0)
			diff = 1;
	} else if (c->s != NULL)
		for (j = 0; j < p->nabsent; j++) {
			const struct dmo_prop *q = &c->s->props[p->absent[j]];

			if (q->has_default) {
				nl = strlen(q->name);
				if (fn != NULL)
					pend(c, oi, q->name, nl, -1, "", 0,
					    R_DEFAULT);
				out_put(out, setmode, &oi, q->name, nl,
				    q->def.type, q->def.text, q->def.len);
				diff = 1;
			} else if (q->required) {
				f.reason = DMO_REASON_REQUIRED;
				snprintf(f.msg, sizeof(f.msg), "required but "
				    "missing");
				return reject(c, in, q->name, strlen(q->name),
				    -1, NULL, 0, &f, fail, err);
			}
		}
	if (!setmode && dmo_record_finish(out, DMO_DUP_REJECT, err) != 0) {
		f.reason = DMO_REASON_READ;
		snprintf(f.msg, sizeof(f.msg), "%s", err->msg);
		return reject(c, in, NULL, 0, -1, NULL, 0, &f, fail, err);
	}
	/* Accepted: fill-down remembers, the changes are told. */
	for (j = 0; j < c->nfills; j++)
		if (c->fills[j].phas) {
			struct fillslot *fs = &c->fills[j];

			fs->has = 1;
			fs->type = fs->ptype;
			fs->val.len = 0;
			dmo_buf_add(&fs->val, fs->pval.p, fs->pval.len);
			dmo_buf_cstr(&fs->val);
			fs->phas = 0;
		}
	if (fn != NULL)
		for (j = 0; j < c->npend; j++) {
			struct pending *q = &c->pend[j];
			struct dmo_clean_change ch;

			ch.field = c->log.p + q->noff;
			ch.flen = q->nlen;
			ch.btype = q->btype;
			ch.before = c->log.p + q->boff;
			ch.blen = q->blen;
			if (q->field == SIZE_MAX) {
				ch.atype = -1;
				ch.after = NULL;
				ch.alen = 0;
			} else {
				ch.atype = dmo_record_type(out, q->field);
				ch.after = dmo_record_value(out, q->field,
				    &ch.alen);
			}
			ch.rule = rule_string(c, q->rules);
			fn(arg, &ch);
		}
	*changed = diff;
	return 0;
}
