/* expr_parse.c - parse a program into statements and expression trees. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "exprimpl.h"
#include "value.h"

/* Nesting deeper than this is refused, so no program exhausts the stack. */
#define MAX_DEPTH	256

struct parser {
	int		 depth;
	struct xlexer	 lx;
	struct xtoken	 tk;	/* the current token */
	struct dmo_err	*err;
	struct dmo_expr	*prog;
};

static struct xnode *parse_expr(struct parser *);

static int
advance(struct parser *ps)
{
	return xlex_next(&ps->lx, &ps->tk, ps->err);
}

static int
syntax(struct parser *ps, const struct xtoken *at, const char *fmt,
    const char *what)
{
	struct dmo_loc loc = { ps->lx.name, at->line, at->col };

	dmo_err_set(ps->err, DMO_EXIT_USAGE, &loc, fmt, what);
	return -1;
}

/* How a token reads in a message. */
static const char *
tokname(const struct xtoken *tk)
{
	if (tk->t == T_EOF)
		return "end of program";
	if (tk->t == T_NL)
		return "end of line";
	return dmo_quote(tk->p, tk->n);
}

static int
expect(struct parser *ps, enum xtok t, const char *what)
{
	char msg[64];

	if (ps->tk.t != t) {
		snprintf(msg, sizeof(msg), "expected %s, found %%s", what);
		return syntax(ps, &ps->tk, msg, tokname(&ps->tk));
	}
	return advance(ps);
}

static struct xnode *
node(enum xop op, const struct xtoken *at)
{
	struct xnode *n = dmo_xcalloc(1, sizeof(*n));

	n->op = op;
	n->line = at->line;
	n->col = at->col;
	return n;
}

static void
node_free(struct xnode *n)
{
	size_t i;

	if (n == NULL)
		return;
	node_free(n->a);
	node_free(n->b);
	node_free(n->c);
	for (i = 0; i < n->nargs; i++)
		node_free(n->args[i]);
	free(n->args);
	free(n->name);
	if (n->op == N_LIT && n->lit.t == XV_STR)
		free((char *)n->lit.p);
	if (n->re != NULL)
		xre_free(n->re);
	if (n->aux != NULL && n->fn != NULL)
		xfunc_free_aux(n);
	free(n);
}

static char *
memdup(const char *p, size_t n)
{
	char *s = dmo_xmalloc(n + 1);

	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static int
skip_nl(struct parser *ps)
{
	while (ps->tk.t == T_NL)
		if (advance(ps) != 0)
			return -1;
	return 0;
}

/* A field name: a bare word or a quoted name. */
static int
is_name(const struct xtoken *tk)
{
	return tk->t == T_IDENT || tk->t == T_QIDENT;
}

static int
take_name(struct parser *ps, struct xname *nm)
{
	if (!is_name(&ps->tk))
		return syntax(ps, &ps->tk, "expected a field name, found %s",
		    tokname(&ps->tk));
	if (ps->tk.t == T_QIDENT)
		nm->p = memdup(ps->tk.s, nm->n = ps->tk.slen);
	else
		nm->p = memdup(ps->tk.p, nm->n = ps->tk.n);
	return advance(ps);
}

/* Compile-time checks of a call: arity, literal patterns and zones. */
static int
check_call(struct parser *ps, struct xnode *n, const struct xtoken *at)
{
	const struct xfunc *f = n->fn;
	char msg[160];

	if ((int)n->nargs < f->min || (f->max >= 0 && (int)n->nargs > f->max)) {
		if (f->min == f->max)
			snprintf(msg, sizeof(msg), "function '%%s' takes %d "
			    "argument%s, not %zu", f->min, f->min == 1 ? "" :
			    "s", n->nargs);
		else if (f->max < 0)
			snprintf(msg, sizeof(msg), "function '%%s' takes at "
			    "least %d argument%s, not %zu", f->min,
			    f->min == 1 ? "" : "s", n->nargs);
		else
			snprintf(msg, sizeof(msg), "function '%%s' takes %d "
			    "to %d arguments, not %zu", f->min, f->max,
			    n->nargs);
		return syntax(ps, at, msg, f->name);
	}
	if (f->re_arg >= 0 && (size_t)f->re_arg < n->nargs &&
	    n->args[f->re_arg]->op == N_LIT &&
	    n->args[f->re_arg]->lit.t == XV_STR) {
		struct xnode *lit = n->args[f->re_arg];
		char why[120];
		size_t off;
		struct xtoken t2;

		n->re = xre_compile(lit->lit.p, lit->lit.n, &off, why,
		    sizeof(why));
		if (n->re == NULL) {
			t2.line = lit->line;
			t2.col = lit->col + 1 + off;
			return syntax(ps, &t2, "bad regular expression: %s",
			    why);
		}
	}
	if (f->tz_arg >= 0 && xfunc_check_aux(n, ps->err) != 0) {
		ps->err->loc.file = ps->lx.name;
		return -1;
	}
	return 0;
}

static struct xnode *
parse_if(struct parser *ps)
{
	struct xtoken at = ps->tk;
	struct xnode *n = node(N_COND, &at);

	if (advance(ps) != 0 || (n->a = parse_expr(ps)) == NULL ||
	    skip_nl(ps) != 0 || expect(ps, T_THEN, "'then'") != 0 ||
	    (n->b = parse_expr(ps)) == NULL || skip_nl(ps) != 0)
		goto bad;
	if (ps->tk.t == T_ELIF) {
		if ((n->c = parse_if(ps)) == NULL)
			goto bad;
		return n;
	}
	if (ps->tk.t == T_ELSE) {
		if (advance(ps) != 0 || (n->c = parse_expr(ps)) == NULL ||
		    skip_nl(ps) != 0)
			goto bad;
	} else {
		n->c = node(N_LIT, &ps->tk);	/* no else: null */
	}
	if (expect(ps, T_END, "'end'") != 0)
		goto bad;
	return n;
bad:
	node_free(n);
	return NULL;
}

static struct xnode *
parse_primary(struct parser *ps)
{
	struct xtoken at = ps->tk;
	struct xnode *n;

	switch (at.t) {
	case T_NUMBER:
		n = node(N_LIT, &at);
		n->lit.t = XV_NUM;
		n->lit.p = at.p;
		n->lit.n = at.n;
		break;
	case T_STRING:
		n = node(N_LIT, &at);
		n->lit.t = XV_STR;
		n->lit.p = memdup(at.s, at.slen);
		n->lit.n = at.slen;
		break;
	case T_TRUE:
	case T_FALSE:
		n = node(N_LIT, &at);
		n->lit.t = XV_BOOL;
		n->lit.i = at.t == T_TRUE;
		break;
	case T_NULL:
		n = node(N_LIT, &at);
		break;
	case T_LP:
		if (advance(ps) != 0 || (n = parse_expr(ps)) == NULL)
			return NULL;
		if (expect(ps, T_RP, "')'") != 0) {
			node_free(n);
			return NULL;
		}
		return n;
	case T_IF:
		return parse_if(ps);
	case T_QIDENT:
		n = node(N_FIELD, &at);
		n->name = memdup(at.s, n->nlen = at.slen);
		break;
	case T_IDENT:
		if (advance(ps) != 0)
			return NULL;
		if (ps->tk.t != T_LP) {
			n = node(N_FIELD, &at);
			n->name = memdup(at.p, n->nlen = at.n);
			return n;
		}
		n = node(N_CALL, &at);
		if ((n->fn = xfunc_find(at.p, at.n)) == NULL) {
			char fname[64];

			snprintf(fname, sizeof(fname), "%.*s",
			    (int)(at.n < 60 ? at.n : 60), at.p);
			syntax(ps, &at, "unknown function '%s'", fname);
			free(n);
			return NULL;
		}
		if (advance(ps) != 0)
			goto bad;
		while (ps->tk.t != T_RP) {
			struct xnode *arg;

			if (n->nargs > 0 && expect(ps, T_COMMA, "',' or ')'")
			    != 0)
				goto bad;
			if ((arg = parse_expr(ps)) == NULL)
				goto bad;
			n->args = dmo_xreallocarray(n->args, n->nargs + 1,
			    sizeof(*n->args));
			n->args[n->nargs++] = arg;
		}
		if (advance(ps) != 0 || check_call(ps, n, &at) != 0)
			goto bad;
		return n;
	default:
		syntax(ps, &at, "expected a value, found %s", tokname(&at));
		return NULL;
	}
	if (advance(ps) != 0) {
		node_free(n);
		return NULL;
	}
	return n;
bad:
	node_free(n);
	return NULL;
}

static struct xnode *
parse_postfix(struct parser *ps)
{
	struct xnode *n, *m;

	if ((n = parse_primary(ps)) == NULL)
		return NULL;
	for (;;) {
		struct xtoken at = ps->tk;

		if (at.t == T_DOT) {
			m = node(N_MEMBER, &at);
			m->a = n;
			n = m;
			if (advance(ps) != 0)
				goto bad;
			if (ps->tk.t == T_QIDENT)
				m->name = memdup(ps->tk.s, m->nlen =
				    ps->tk.slen);
			else if (ps->tk.t >= T_IDENT)
				m->name = memdup(ps->tk.p, m->nlen =
				    ps->tk.n);
			else {
				syntax(ps, &ps->tk, "expected a member name, "
				    "found %s", tokname(&ps->tk));
				goto bad;
			}
			if (advance(ps) != 0)
				goto bad;
		} else if (at.t == T_LB) {
			m = node(N_INDEX, &at);
			m->a = n;
			n = m;
			if (advance(ps) != 0 ||
			    (m->b = parse_expr(ps)) == NULL ||
			    expect(ps, T_RB, "']'") != 0)
				goto bad;
		} else
			return n;
	}
bad:
	node_free(n);
	return NULL;
}

static struct xnode *
parse_unary(struct parser *ps)
{
	struct xtoken at = ps->tk;
	struct xnode *n;

	if (at.t == T_MINUS) {
		if (++ps->depth > MAX_DEPTH) {
			syntax(ps, &at, "expression nested too deeply%s", "");
			return NULL;
		}
		if (advance(ps) != 0)
			return NULL;
		n = node(N_NEG, &at);
		if ((n->a = parse_unary(ps)) == NULL) {
			node_free(n);
			return NULL;
		}
		ps->depth--;
		return n;
	}
	return parse_postfix(ps);
}

/* Binary operators, lowest precedence first. */
static const struct level {
	enum xtok	 t[4];
	enum xop	 op[4];
} levels[] = {
	{ { T_CONCAT }, { N_CONCAT } },
	{ { T_PLUS, T_MINUS }, { N_ADD, N_SUB } },
	{ { T_STAR, T_SLASH, T_DSLASH, T_PERCENT },
	    { N_MUL, N_DIV, N_IDIV, N_MOD } },
};

static struct xnode *
parse_binary(struct parser *ps, size_t lv)
{
	struct xnode *n, *m;
	size_t i;

	if (lv == sizeof(levels) / sizeof(levels[0]))
		return parse_unary(ps);
	if ((n = parse_binary(ps, lv + 1)) == NULL)
		return NULL;
	for (;;) {
		struct xtoken at = ps->tk;

		for (i = 0; i < 4 && levels[lv].t[i] != T_EOF; i++)
			if (levels[lv].t[i] == at.t)
				break;
		if (i == 4 || levels[lv].t[i] == T_EOF)
			return n;
		m = node(levels[lv].op[i], &at);
		m->a = n;
		n = m;
		if (advance(ps) != 0 || (m->b = parse_binary(ps, lv + 1)) ==
		    NULL) {
			node_free(n);
			return NULL;
		}
	}
}

static struct xnode *
parse_cmp(struct parser *ps)
{
	struct xnode *n, *m;
	struct xtoken at;
	enum xop op;

	if ((n = parse_binary(ps, 0)) == NULL)
		return NULL;
	at = ps->tk;
	switch (at.t) {
	case T_EQ: op = N_EQ; break;
	case T_NE: op = N_NE; break;
	case T_LT: op = N_LT; break;
	case T_LE: op = N_LE; break;
	case T_GT: op = N_GT; break;
	case T_GE: op = N_GE; break;
	case T_IS:
		m = node(N_ISNULL, &at);
		m->a = n;
		if (advance(ps) != 0)
			goto bad;
		if (ps->tk.t == T_NOT) {
			m->op = N_ISNOTNULL;
			if (advance(ps) != 0)
				goto bad;
		}
		if (expect(ps, T_NULL, "'null'") != 0)
			goto bad;
		return m;
	bad:
		node_free(m);
		return NULL;
	case T_ASSIGN:
		syntax(ps, &at, "unexpected %s (use '==' to compare)",
		    tokname(&at));
		node_free(n);
		return NULL;
	default:
		return n;
	}
	m = node(op, &at);
	m->a = n;
	if (advance(ps) != 0 || (m->b = parse_binary(ps, 0)) == NULL) {
		node_free(m);
		return NULL;
	}
	switch (ps->tk.t) {
	case T_EQ: case T_NE: case T_LT: case T_LE: case T_GT: case T_GE:
		syntax(ps, &ps->tk, "comparisons do not chain: %s "
		    "(use 'and')", tokname(&ps->tk));
		node_free(m);
		return NULL;
	default:
		return m;
	}
}

static struct xnode *
parse_not(struct parser *ps)
{
	struct xtoken at = ps->tk;
	struct xnode *n;

	if (at.t != T_NOT)
		return parse_cmp(ps);
	if (++ps->depth > MAX_DEPTH) {
		syntax(ps, &at, "expression nested too deeply%s", "");
		return NULL;
	}
	if (advance(ps) != 0)
		return NULL;
	n = node(N_NOT, &at);
	if ((n->a = parse_not(ps)) == NULL) {
		node_free(n);
		return NULL;
	}
	ps->depth--;
	return n;
}

static struct xnode *
parse_logic(struct parser *ps, enum xtok t, enum xop op,
    struct xnode *(*sub)(struct parser *))
{
	struct xnode *n, *m;

	if ((n = sub(ps)) == NULL)
		return NULL;
	while (ps->tk.t == t) {
		m = node(op, &ps->tk);
		m->a = n;
		n = m;
		if (advance(ps) != 0 || (m->b = sub(ps)) == NULL) {
			node_free(n);
			return NULL;
		}
	}
	return n;
}

static struct xnode *
parse_and(struct parser *ps)
{
	return parse_logic(ps, T_AND, N_AND, parse_not);
}

static struct xnode *
parse_or(struct parser *ps)
{
	return parse_logic(ps, T_OR, N_OR, parse_and);
}

static struct xnode *
parse_coalesce(struct parser *ps)
{
	return parse_logic(ps, T_COALESCE, N_COALESCE, parse_or);
}

static struct xnode *parse_expr1(struct parser *);

static struct xnode *
parse_expr(struct parser *ps)
{
	struct xnode *n;

	if (++ps->depth > MAX_DEPTH) {
		syntax(ps, &ps->tk, "expression nested too deeply%s", "");
		return NULL;
	}
	n = parse_expr1(ps);
	ps->depth--;
	return n;
}

static struct xnode *
parse_expr1(struct parser *ps)
{
	struct xnode *n, *m;

	if ((n = parse_coalesce(ps)) == NULL)
		return NULL;
	if (ps->tk.t != T_QUEST)
		return n;
	m = node(N_COND, &ps->tk);
	m->a = n;
	if (advance(ps) != 0 || (m->b = parse_expr(ps)) == NULL ||
	    expect(ps, T_COLON, "':'") != 0 ||
	    (m->c = parse_expr(ps)) == NULL) {
		node_free(m);
		return NULL;
	}
	return m;
}

static int
word_is(const struct xtoken *tk, const char *w)
{
	return tk->t == T_IDENT && tk->n == strlen(w) &&
	    memcmp(tk->p, w, tk->n) == 0;
}

/* name, name, ... */
static int
parse_names(struct parser *ps, struct xstmt *st, int pairs)
{
	do {
		if (st->nnames > 0 && advance(ps) != 0)
			return -1;
		st->names = dmo_xreallocarray(st->names, st->nnames + 2,
		    sizeof(*st->names));
		memset(&st->names[st->nnames], 0, 2 * sizeof(*st->names));
		if (take_name(ps, &st->names[st->nnames++]) != 0)
			return -1;
		if (pairs) {
			if (expect(ps, T_AS, "'as'") != 0 ||
			    take_name(ps, &st->names[st->nnames++]) != 0)
				return -1;
		}
	} while (ps->tk.t == T_COMMA);
	return 0;
}

static const struct {
	const char	*word;
	enum xst	 k;
	int		 names;	/* 0 none, 1 a list, 2 pairs, 3 one, 4 optional list */
} stmt_words[] = {
	{ "where", S_WHERE, 0 },
	{ "drop", S_DROP, 1 },
	{ "keep", S_KEEP, 1 },
	{ "reorder", S_REORDER, 1 },
	{ "rename", S_RENAME, 2 },
	{ "explode", S_EXPLODE, 3 },
	{ "flatten", S_FLATTEN, 4 },
	{ "unflatten", S_UNFLATTEN, 4 },
};

static int
parse_stmt(struct parser *ps, struct xstmt *st)
{
	struct xtoken at = ps->tk;
	size_t i;

	st->line = at.line;
	st->col = at.col;
	st->sep[0] = '.';
	st->seplen = 1;
	for (i = 0; i < sizeof(stmt_words) / sizeof(stmt_words[0]); i++) {
		if (!word_is(&at, stmt_words[i].word))
			continue;
		if (advance(ps) != 0)
			return -1;
		if (ps->tk.t == T_ASSIGN)
			break;	/* a field called "where" */
		st->k = stmt_words[i].k;
		switch (stmt_words[i].names) {
		case 0:
			return (st->e = parse_expr(ps)) == NULL ? -1 : 0;
		case 1:
			return parse_names(ps, st, 0);
		case 2:
			return parse_names(ps, st, 1);
		case 3:
			return take_name(ps, &st->target);
		default:
			if (is_name(&ps->tk) && parse_names(ps, st, 0) != 0)
				return -1;
			return 0;
		}
	}
	if (i == sizeof(stmt_words) / sizeof(stmt_words[0])) {
		if (!is_name(&at))
			return syntax(ps, &at, "expected a statement, found %s",
			    tokname(&at));
		if (at.t == T_QIDENT)
			st->target.p = memdup(at.s, st->target.n = at.slen);
		else
			st->target.p = memdup(at.p, st->target.n = at.n);
		if (advance(ps) != 0)
			return -1;
	} else
		st->target.p = memdup(at.p, st->target.n = at.n);
	st->k = S_ASSIGN;
	if (ps->tk.t != T_ASSIGN)
		return syntax(ps, &ps->tk, "expected '=' after the field "
		    "name, found %s", tokname(&ps->tk));
	if (advance(ps) != 0)
		return -1;
	return (st->e = parse_expr(ps)) == NULL ? -1 : 0;
}

static void
stmts_free(struct dmo_expr *p)
{
	size_t i, j;

	for (i = 0; i < p->nst; i++) {
		node_free(p->st[i].e);
		free(p->st[i].target.p);
		for (j = 0; j < p->st[i].nnames; j++)
			free(p->st[i].names[j].p);
		free(p->st[i].names);
	}
	free(p->st);
}

struct dmo_expr *
dmo_expr_compile(const char *text, size_t len, const char *name,
    struct dmo_err *err)
{
	struct parser ps;
	struct dmo_expr *p = dmo_xcalloc(1, sizeof(*p));
	size_t ok, i;

	dmo_err_clear(err);
	p->text = memdup(text, len);
	p->len = len;
	p->name = name;
	dmo_record_init(&p->out);
	memset(&ps, 0, sizeof(ps));
	ps.err = err;
	ps.prog = p;
	xlex_init(&ps.lx, p->text, len, name);
	if ((ok = dmo_utf8_check(text, len)) != len) {
		/* Strings made from the program must be UTF-8 as records are. */
		struct xtoken at = { 0 };
		const char *q;

		at.line = 1;
		at.col = 1;
		for (q = text; q < text + ok; q++) {
			at.col++;
			if (*q == '\n') {
				at.line++;
				at.col = 1;
			} else if (((unsigned char)*q & 0xc0) == 0x80)
				at.col--;
		}
		syntax(&ps, &at, "invalid UTF-8 in the program%s", "");
		goto bad;
	}
	if (advance(&ps) != 0)
		goto bad;
	for (;;) {
		while (ps.tk.t == T_SEMI || ps.tk.t == T_NL)
			if (advance(&ps) != 0)
				goto bad;
		if (ps.tk.t == T_EOF)
			break;
		p->st = dmo_xreallocarray(p->st, p->nst + 1, sizeof(*p->st));
		memset(&p->st[p->nst], 0, sizeof(*p->st));
		p->nst++;
		if (parse_stmt(&ps, &p->st[p->nst - 1]) != 0)
			goto bad;
		if (ps.tk.t != T_SEMI && ps.tk.t != T_NL && ps.tk.t != T_EOF) {
			syntax(&ps, &ps.tk, "expected ';' or the end of the "
			    "statement, found %s", tokname(&ps.tk));
			goto bad;
		}
	}
	xlex_release(&ps.lx);
	p->passthrough = 1;
	for (i = 0; i < p->nst; i++)
		if (p->st[i].k != S_WHERE)
			p->passthrough = 0;
	return p;
bad:
	xlex_release(&ps.lx);
	stmts_free(p);
	free(p->text);
	dmo_record_release(&p->out);
	free(p);
	return NULL;
}

void
dmo_expr_free(struct dmo_expr *p)
{
	size_t i;

	if (p == NULL)
		return;
	stmts_free(p);
	for (i = 0; i < p->nlevels; i++)
		free(p->levels[i].f);
	free(p->levels);
	xarena_release(&p->arena);
	dmo_record_release(&p->out);
	dmo_buf_release(&p->tmp);
	dmo_buf_release(&p->tmp2);
	free(p->text);
	free(p);
}

const char *
dmo_expr_caret(const char *text, size_t len, const struct dmo_err *err)
{
	static char out[1024];
	const char *p = text, *end = text + len, *eol;
	unsigned long line = 1, col;
	size_t n, i, o = 0;

	if (err->loc.line == 0 || err->loc.col == 0)
		return "";
	while (line < err->loc.line && p < end) {
		if (*p++ == '\n')
			line++;
	}
	for (eol = p; eol < end && *eol != '\n'; eol++)
		continue;
	n = (size_t)(eol - p);
	if (n > 400)
		n = 400;
	o += (size_t)snprintf(out, sizeof(out), "  %.*s\n  ", (int)n, p);
	/* Tabs stay tabs, so the caret lines up on a terminal. */
	col = err->loc.col;
	for (i = 0; i + 1 < col && i < n && o < sizeof(out) - 3; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\t')
			out[o++] = '\t';
		else if ((c & 0xc0) != 0x80)
			out[o++] = ' ';
	}
	for (; i + 1 < col && o < sizeof(out) - 3; i++)
		out[o++] = ' ';
	out[o++] = '^';
	out[o++] = '\n';
	out[o] = '\0';
	return out;
}
