/* expr_eval.c - run a compiled program on a record: values, operators, statements. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "exprimpl.h"

/* The arena: blocks are kept, so a warm run allocates nothing. */
#define XBLOCK	65536

char *
xarena_alloc(struct xarena *a, size_t n)
{
	struct xblock *b = a->head;
	char *p;

	n = (n + 7) & ~(size_t)7;
	if (b == NULL || b->cap - b->used < n) {
		/* A spare block that fits, or a new one. */
		struct xblock **pp = b == NULL ? &a->head : &b->next;

		while (*pp != NULL && (*pp)->cap < n)
			pp = &(*pp)->next;
		if (*pp == NULL) {
			size_t cap = n > XBLOCK ? n : XBLOCK;

			b = dmo_xmalloc(sizeof(*b) + cap);
			b->cap = cap;
			b->next = NULL;
			*pp = b;
		} else
			b = *pp;
		/* Move it to the front: the blocks before it count as used. */
		if (b != a->head) {
			*pp = b->next;
			b->next = a->head;
			a->head = b;
		}
		b->used = 0;
	}
	p = b->data + b->used;
	b->used += n;
	return p;
}

char *
xarena_dup(struct xarena *a, const char *p, size_t n)
{
	char *s = xarena_alloc(a, n + 1);

	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

void
xarena_reset(struct xarena *a)
{
	struct xblock *b;

	for (b = a->head; b != NULL; b = b->next)
		b->used = 0;
}

void
xarena_release(struct xarena *a)
{
	struct xblock *b, *next;

	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
}

/* The statement being run, for messages. */
static __thread const struct xstmt *cur_stmt;

int
xerr(struct xctx *cx, struct xnode *n, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	(void)n;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cur_stmt == NULL)
		dmo_err_set(cx->err, DMO_EXIT_DATA, NULL, "%s", msg);
	else if (cur_stmt->k == S_ASSIGN)
		dmo_err_set(cx->err, DMO_EXIT_DATA, NULL, "field '%s': %s",
		    cur_stmt->target.p, msg);
	else if (cur_stmt->k == S_WHERE)
		dmo_err_set(cx->err, DMO_EXIT_DATA, NULL, "where: %s", msg);
	else
		dmo_err_set(cx->err, DMO_EXIT_DATA, NULL, "%s", msg);
	return -1;
}

const char *
xval_type_name(const struct xval *v)
{
	switch (v->t) {
	case XV_NULL: return "null";
	case XV_BOOL: return "boolean";
	case XV_STR: return "string";
	case XV_ARR: return "array";
	case XV_OBJ: return "object";
	default: return "number";
	}
}

enum dmo_type
xval_put(const struct xval *v, struct dmo_buf *b)
{
	char num[64];
	size_t n;

	switch (v->t) {
	case XV_NULL:
		return DMO_NULL;
	case XV_BOOL:
		return v->i ? DMO_TRUE : DMO_FALSE;
	case XV_INT:
	case XV_DEC:
	case XV_FLOAT:
		n = xnum_format(v, num, sizeof(num));
		dmo_buf_add(b, num, n);
		return DMO_NUMBER;
	case XV_NUM:
		dmo_buf_add(b, v->p, v->n);
		return DMO_NUMBER;
	case XV_STR:
		dmo_buf_add(b, v->p, v->n);
		return DMO_STRING;
	case XV_ARR:
		dmo_buf_add(b, v->p, v->n);
		return DMO_ARRAY;
	case XV_OBJ:
		dmo_buf_add(b, v->p, v->n);
		return DMO_OBJECT;
	}
	return DMO_NULL;
}

/* A value of a record as an xval (pointing into the record). */
static void
from_record(const struct dmo_record *r, size_t i, struct xval *v)
{
	size_t len;
	const char *p = dmo_record_value(r, i, &len);

	memset(v, 0, sizeof(*v));
	switch (dmo_record_type(r, i)) {
	case DMO_NULL: v->t = XV_NULL; return;
	case DMO_FALSE: v->t = XV_BOOL; return;
	case DMO_TRUE: v->t = XV_BOOL; v->i = 1; return;
	case DMO_NUMBER: v->t = XV_NUM; break;
	case DMO_STRING: v->t = XV_STR; v->field = 1; break;
	case DMO_ARRAY: v->t = XV_ARR; break;
	case DMO_OBJECT: v->t = XV_OBJ; break;
	}
	v->p = p;
	v->n = len;
}

static long
field_find(struct xfields *fs, const char *name, size_t nlen, size_t *hint)
{
	size_t i;

	if (*hint < fs->n && fs->f[*hint].nlen == nlen &&
	    memcmp(fs->f[*hint].name, name, nlen) == 0)
		return (long)*hint;
	for (i = 0; i < fs->n; i++)
		if (fs->f[i].nlen == nlen &&
		    memcmp(fs->f[i].name, name, nlen) == 0) {
			*hint = i;
			return (long)i;
		}
	return -1;
}

static void
fields_reserve(struct xfields *fs, size_t n)
{
	if (n > fs->cap) {
		fs->cap = n < 16 ? 16 : n * 2;
		fs->f = dmo_xreallocarray(fs->f, fs->cap, sizeof(*fs->f));
	}
}

/* Is v a number, or numeric text read from a record? */
static int
numeric(const struct xval *v)
{
	switch (v->t) {
	case XV_INT: case XV_DEC: case XV_FLOAT: case XV_NUM:
		return 1;
	case XV_STR:
		return v->field && xnum_is_numeric_text(v->p, v->n);
	default:
		return 0;
	}
}

/*
 * Empty text read from a record (an empty CSV field) is null where a
 * number is needed: in arithmetic and compared with a number.
 */
static inline int
empty(const struct xval *v)
{
	return v->t == XV_STR && v->field && v->n == 0;
}

/* Read v as a number for arithmetic: type error if it is not one. */
static int
need_num(struct xctx *cx, struct xnode *n, const struct xval *v,
    struct xval *out)
{
	if (xnum_get(v, out) == 0)
		return 0;
	if (v->t == XV_STR)
		return xerr(cx, n, "not a number: %s", dmo_quote(v->p, v->n));
	return xerr(cx, n, "not a number: %s", xval_type_name(v));
}

/* Truth of a condition: 1, 0, -1 for null; -2 with err set. */
static int
truth(struct xctx *cx, struct xnode *n, const struct xval *v)
{
	if (v->t == XV_NULL)
		return -1;
	if (v->t == XV_BOOL)
		return v->i != 0;
	xerr(cx, n, "not a boolean: %s", xval_type_name(v));
	return -2;
}

/* Text of any non-null value (numbers as printed), for || and functions. */
int
xval_text(struct xctx *cx, const struct xval *v, const char **p, size_t *n)
{
	char num[64];

	switch (v->t) {
	case XV_NULL:
		*p = "";
		*n = 0;
		return 0;
	case XV_BOOL:
		*p = v->i ? "true" : "false";
		*n = strlen(*p);
		return 0;
	case XV_INT: case XV_DEC: case XV_FLOAT:
		*n = xnum_format(v, num, sizeof(num));
		*p = xarena_dup(cx->arena, num, *n);
		return 0;
	default:
		*p = v->p;
		*n = v->n;
		return 0;
	}
}

/*
 * Compare: *res -1/0/1.  Returns 0, 1 when the values cannot be ordered
 * (different types: equal never, ordered is an error).
 */
static int
compare(const struct xval *a, const struct xval *b, int *res)
{
	if (numeric(a) && numeric(b)) {
		struct xval x, y;

		xnum_get(a, &x);
		xnum_get(b, &y);
		*res = xnum_cmp(&x, &y);
		return 0;
	}
	if (a->t == XV_STR && b->t == XV_STR) {
		size_t m = a->n < b->n ? a->n : b->n;
		int c = memcmp(a->p, b->p, m);

		*res = c != 0 ? (c < 0 ? -1 : 1) : (a->n < b->n ? -1 :
		    a->n > b->n);
		return 0;
	}
	if (a->t == XV_BOOL && b->t == XV_BOOL) {
		*res = (int)(a->i - b->i);
		return 0;
	}
	if (a->t == b->t && (a->t == XV_ARR || a->t == XV_OBJ)) {
		*res = a->n == b->n && memcmp(a->p, b->p, a->n) == 0 ? 0 : 2;
		return 0;
	}
	return 1;
}

/* A value in a message: quoted and cut short (dmo_quote). */
static const char *
shown(struct xctx *cx, const struct xval *v)
{
	const char *p;
	size_t n;

	xval_text(cx, v, &p, &n);
	return dmo_quote(p, n);
}

static int
eval_cmp(struct xctx *cx, struct xnode *n, struct xval *r)
{
	struct xval a, b;
	int c = 0;

	if (xeval(cx, n->a, &a) != 0 || xeval(cx, n->b, &b) != 0)
		return -1;
	memset(r, 0, sizeof(*r));
	if (a.t == XV_NULL || b.t == XV_NULL)
		return 0;	/* null: unknown */
	if ((empty(&a) && numeric(&b)) || (empty(&b) && numeric(&a)))
		return 0;	/* an empty CSV field against a number */
	r->t = XV_BOOL;
	if (compare(&a, &b, &c) != 0 || c == 2) {
		if (n->op == N_EQ || n->op == N_NE) {
			r->i = n->op == N_NE;
			return 0;
		}
		if (c == 2)
			return xerr(cx, n, "cannot order %ss",
			    xval_type_name(&a));
		return xerr(cx, n, "cannot compare %s %s with %s %s",
		    xval_type_name(&a), shown(cx, &a), xval_type_name(&b),
		    shown(cx, &b));
	}
	switch (n->op) {
	case N_EQ: r->i = c == 0; break;
	case N_NE: r->i = c != 0; break;
	case N_LT: r->i = c < 0; break;
	case N_LE: r->i = c <= 0; break;
	case N_GT: r->i = c > 0; break;
	default: r->i = c >= 0; break;
	}
	return 0;
}

static int
eval_logic(struct xctx *cx, struct xnode *n, struct xval *r)
{
	struct xval a, b;
	int x, y;

	if (xeval(cx, n->a, &a) != 0 || (x = truth(cx, n->a, &a)) == -2)
		return -1;
	memset(r, 0, sizeof(*r));
	r->t = XV_BOOL;
	/* Short circuit: false and _, true or _. */
	if (n->op == N_AND && x == 0)
		return 0;
	if (n->op == N_OR && x == 1) {
		r->i = 1;
		return 0;
	}
	if (xeval(cx, n->b, &b) != 0 || (y = truth(cx, n->b, &b)) == -2)
		return -1;
	if (n->op == N_AND) {
		if (y == 0)
			return 0;
		if (x == -1 || y == -1)
			r->t = XV_NULL;
		else
			r->i = 1;
	} else {
		if (y == 1)
			r->i = 1;
		else if (x == -1 || y == -1)
			r->t = XV_NULL;
	}
	return 0;
}

static int
eval_call(struct xctx *cx, struct xnode *n, struct xval *r)
{
	struct xval local[8], *args = local;
	size_t i;

	if (n->fn->flags & XF_LAZY)
		return n->fn->fn(cx, n, NULL, n->nargs, r);
	if (n->nargs > 8)
		args = (struct xval *)(void *)xarena_alloc(cx->arena,
		    n->nargs * sizeof(*args));
	for (i = 0; i < n->nargs; i++) {
		if (xeval(cx, n->args[i], &args[i]) != 0)
			return -1;
		if ((n->fn->flags & XF_NULLS) && args[i].t == XV_NULL) {
			memset(r, 0, sizeof(*r));
			return 0;
		}
	}
	memset(r, 0, sizeof(*r));
	return n->fn->fn(cx, n, args, n->nargs, r);
}

int
xeval(struct xctx *cx, struct xnode *n, struct xval *r)
{
	struct xval a, b, x, y;
	long i;
	int t;

	switch (n->op) {
	case N_LIT:
		*r = n->lit;
		return 0;
	case N_FIELD:
		if ((i = field_find(cx->fields, n->name, n->nlen, &n->hint)) < 0)
			memset(r, 0, sizeof(*r));
		else
			*r = cx->fields->f[i].v;
		return 0;
	case N_ADD: case N_SUB: case N_MUL: case N_DIV: case N_IDIV:
	case N_MOD:
		if (xeval(cx, n->a, &a) != 0 || xeval(cx, n->b, &b) != 0)
			return -1;
		if (a.t == XV_NULL || b.t == XV_NULL || empty(&a) ||
		    empty(&b)) {
			memset(r, 0, sizeof(*r));
			return 0;
		}
		if (need_num(cx, n, &a, &x) != 0 ||
		    need_num(cx, n, &b, &y) != 0)
			return -1;
		return xnum_arith(cx, n, (int)n->op, &x, &y, r);
	case N_NEG:
		if (xeval(cx, n->a, &a) != 0)
			return -1;
		if (a.t == XV_NULL || empty(&a)) {
			memset(r, 0, sizeof(*r));
			return 0;
		}
		if (need_num(cx, n, &a, &y) != 0)
			return -1;
		memset(&x, 0, sizeof(x));
		x.t = XV_INT;
		return xnum_arith(cx, n, N_SUB, &x, &y, r);
	case N_CONCAT: {
		const char *p, *q;
		size_t pn, qn;
		char *s;

		if (xeval(cx, n->a, &a) != 0 || xeval(cx, n->b, &b) != 0)
			return -1;
		memset(r, 0, sizeof(*r));
		if (a.t == XV_NULL || b.t == XV_NULL)
			return 0;
		xval_text(cx, &a, &p, &pn);
		xval_text(cx, &b, &q, &qn);
		s = xarena_alloc(cx->arena, pn + qn + 1);
		memcpy(s, p, pn);
		memcpy(s + pn, q, qn);
		s[pn + qn] = '\0';
		r->t = XV_STR;
		r->p = s;
		r->n = pn + qn;
		return 0;
	}
	case N_EQ: case N_NE: case N_LT: case N_LE: case N_GT: case N_GE:
		return eval_cmp(cx, n, r);
	case N_AND: case N_OR:
		return eval_logic(cx, n, r);
	case N_NOT:
		if (xeval(cx, n->a, &a) != 0 || (t = truth(cx, n->a, &a)) == -2)
			return -1;
		memset(r, 0, sizeof(*r));
		if (t >= 0) {
			r->t = XV_BOOL;
			r->i = !t;
		}
		return 0;
	case N_ISNULL: case N_ISNOTNULL:
		if (xeval(cx, n->a, &a) != 0)
			return -1;
		memset(r, 0, sizeof(*r));
		r->t = XV_BOOL;
		r->i = (a.t == XV_NULL) == (n->op == N_ISNULL);
		return 0;
	case N_COALESCE:
		if (xeval(cx, n->a, r) != 0)
			return -1;
		if (r->t != XV_NULL)
			return 0;
		return xeval(cx, n->b, r);
	case N_COND:
		if (xeval(cx, n->a, &a) != 0 || (t = truth(cx, n->a, &a)) == -2)
			return -1;
		return xeval(cx, t == 1 ? n->b : n->c, r);
	case N_CALL:
		return eval_call(cx, n, r);
	case N_MEMBER:
		if (xeval(cx, n->a, &a) != 0)
			return -1;
		if (a.t == XV_NULL) {
			*r = a;
			return 0;
		}
		if (a.t != XV_OBJ)
			return xerr(cx, n, "member '%s' of a %s", n->name,
			    xval_type_name(&a));
		if (!xjson_member(a.p, a.n, n->name, n->nlen, r, cx->arena))
			memset(r, 0, sizeof(*r));
		return 0;
	case N_INDEX:
		if (xeval(cx, n->a, &a) != 0 || xeval(cx, n->b, &b) != 0)
			return -1;
		memset(r, 0, sizeof(*r));
		if (a.t == XV_NULL || b.t == XV_NULL)
			return 0;
		if (a.t == XV_OBJ && b.t == XV_STR) {
			xjson_member(a.p, a.n, b.p, b.n, r, cx->arena);
			return 0;
		}
		if (a.t == XV_ARR) {
			if (xnum_get(&b, &y) != 0 || y.t != XV_INT)
				return xerr(cx, n, "array index not an "
				    "integer: %s", xval_type_name(&b));
			xjson_index(a.p, a.n, y.i, r, cx->arena);
			return 0;
		}
		return xerr(cx, n, "cannot index a %s", xval_type_name(&a));
	}
	return xerr(cx, n, "internal error: unknown operator");
}

/* Statements. */

static struct xfields *
level(struct dmo_expr *p, size_t k)
{
	if (k >= p->nlevels) {
		p->levels = dmo_xreallocarray(p->levels, k + 1,
		    sizeof(*p->levels));
		memset(&p->levels[p->nlevels], 0,
		    (k + 1 - p->nlevels) * sizeof(*p->levels));
		p->nlevels = k + 1;
	}
	return &p->levels[k];
}

static int
in_names(const struct xstmt *st, const char *name, size_t nlen)
{
	size_t j;

	for (j = 0; j < st->nnames; j++)
		if (st->names[j].n == nlen &&
		    memcmp(st->names[j].p, name, nlen) == 0)
			return (int)j;
	return -1;
}

static int
emit_record(struct xctx *cx, struct xfields *fs, dmo_expr_emit emit,
    void *ctx)
{
	struct dmo_record *out = &cx->prog->out;
	size_t i;

	dmo_record_reset(out);
	for (i = 0; i < fs->n; i++) {
		size_t off = out->data.len;
		enum dmo_type t = xval_put(&fs->f[i].v, &out->data);

		dmo_record_push(out, fs->f[i].name, fs->f[i].nlen, t, off);
	}
	if (dmo_record_finish(out, DMO_DUP_LAST, cx->err) != 0)
		return -1;
	out->loc = cx->in->loc;
	out->recno = cx->in->recno;
	return emit(ctx, out, cx->err);
}

static int
exec(struct xctx *cx, size_t lv, size_t from, dmo_expr_emit emit, void *ctx)
{
	struct dmo_expr *p = cx->prog;
	struct xfields *fs = level(p, lv);
	size_t i, j, k, hint = 0;
	struct xval v;
	long at;
	int t;

	for (i = from; i < p->nst; i++) {
		const struct xstmt *st = &p->st[i];

		cx->fields = fs;
		cur_stmt = st;
		switch (st->k) {
		case S_ASSIGN:
			if (xeval(cx, st->e, &v) != 0)
				return -1;
			if ((at = field_find(fs, st->target.p, st->target.n,
			    &hint)) >= 0)
				fs->f[at].v = v;
			else {
				fields_reserve(fs, fs->n + 1);
				fs->f[fs->n].name = st->target.p;
				fs->f[fs->n].nlen = st->target.n;
				fs->f[fs->n++].v = v;
			}
			break;
		case S_WHERE:
			if (xeval(cx, st->e, &v) != 0 ||
			    (t = truth(cx, st->e, &v)) == -2)
				return -1;
			if (t != 1)
				return 0;
			break;
		case S_DROP:
		case S_KEEP:
			for (j = k = 0; j < fs->n; j++)
				if ((in_names(st, fs->f[j].name,
				    fs->f[j].nlen) >= 0) == (st->k == S_KEEP))
					fs->f[k++] = fs->f[j];
			fs->n = k;
			break;
		case S_REORDER: {
			struct xfields *tmp = level(p, p->nst + 1);

			fs = level(p, lv);	/* level() may move the array */
			fields_reserve(tmp, fs->n);
			tmp->n = 0;
			for (j = 0; j < st->nnames; j++)
				if (in_names(st, st->names[j].p,
				    st->names[j].n) == (int)j &&
				    (at = field_find(fs, st->names[j].p,
				    st->names[j].n, &hint)) >= 0)
					tmp->f[tmp->n++] = fs->f[at];
			for (j = 0; j < fs->n; j++)
				if (in_names(st, fs->f[j].name,
				    fs->f[j].nlen) < 0)
					tmp->f[tmp->n++] = fs->f[j];
			if (tmp->n > 0)
				memcpy(fs->f, tmp->f, tmp->n * sizeof(*fs->f));
			break;
		}
		case S_RENAME:
			for (j = 0; j + 1 < st->nnames; j += 2) {
				long to;

				if ((at = field_find(fs, st->names[j].p,
				    st->names[j].n, &hint)) < 0)
					continue;
				to = field_find(fs, st->names[j + 1].p,
				    st->names[j + 1].n, &hint);
				fs->f[at].name = st->names[j + 1].p;
				fs->f[at].nlen = st->names[j + 1].n;
				if (to >= 0 && to != at) {
					/* The old field of that name goes. */
					memmove(&fs->f[to], &fs->f[to + 1],
					    (fs->n - (size_t)to - 1) *
					    sizeof(*fs->f));
					fs->n--;
				}
			}
			break;
		case S_FLATTEN:
		case S_UNFLATTEN: {
			struct xfields *tmp = level(p, p->nst + 1);

			fs = level(p, lv);
			if ((st->k == S_FLATTEN ? xflatten : xunflatten)(cx,
			    fs, tmp, st) != 0)
				return -1;
			break;
		}
		case S_EXPLODE: {
			struct xfields *next;
			size_t pos = 0;
			struct xval el;
			int rc;

			if ((at = field_find(fs, st->target.p, st->target.n,
			    &hint)) < 0 || fs->f[at].v.t == XV_NULL)
				break;
			v = fs->f[at].v;
			if (v.t != XV_ARR) {
				dmo_err_set(cx->err, DMO_EXIT_DATA, NULL,
				    "explode: field '%s': not an array: %s",
				    st->target.p, xval_type_name(&v));
				return -1;
			}
			while (xjson_next(v.p, v.n, &pos, &el, cx->arena)) {
				next = level(p, lv + 1);
				fs = level(p, lv);
				fields_reserve(next, fs->n);
				memcpy(next->f, fs->f, fs->n * sizeof(*fs->f));
				next->n = fs->n;
				next->f[at].v = el;
				if ((rc = exec(cx, lv + 1, i + 1, emit, ctx)) != 0)
					return rc;
			}
			return 0;
		}
		}
	}
	cur_stmt = NULL;
	if (p->passthrough)	/* unchanged: a binary writer copies its frame */
		return emit(ctx, (struct dmo_record *)(uintptr_t)cx->in,
		    cx->err);
	return emit_record(cx, fs, emit, ctx);
}

int
dmo_expr_run(struct dmo_expr *p, const struct dmo_record *in,
    dmo_expr_emit emit, void *ctx, struct dmo_err *err)
{
	struct xctx cx;
	struct xfields *fs = level(p, 0);
	size_t i;
	int rc;

	cx.prog = p;
	cx.arena = &p->arena;
	cx.in = in;
	cx.err = err;
	fields_reserve(fs, in->n + p->nst);
	for (i = 0; i < in->n; i++) {
		fs->f[i].name = dmo_record_name(in, i, &fs->f[i].nlen);
		from_record(in, i, &fs->f[i].v);
	}
	fs->n = in->n;
	rc = exec(&cx, 0, 0, emit, ctx);
	cur_stmt = NULL;
	xarena_reset(&p->arena);
	return rc;
}
